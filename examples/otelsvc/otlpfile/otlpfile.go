// Package otlpfile is a loopback OTLP/HTTP trace receiver for tests and
// recordings: it accepts what an OTLP/HTTP exporter posts to /v1/traces
// (protobuf, gzip or not) and appends each batch to a file as one line of
// OTLP JSON, the way the OpenTelemetry collector's file exporter stores
// traces. The conversion is the collector's own (pdata), so the file is
// what a collector would have written.
package otlpfile

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Receiver is a running receiver.
type Receiver struct {
	// Endpoint is the URL to export to (…/v1/traces).
	Endpoint string
	srv      *http.Server
	ln       net.Listener
	mu       sync.Mutex
	out      *os.File
	batches  int
	spans    int
	err      error
}

// Start listens on a free loopback port and writes batches to path.
func Start(path string) (*Receiver, error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		out.Close()
		return nil, err
	}
	r := &Receiver{Endpoint: "http://" + ln.Addr().String() + "/v1/traces", ln: ln, out: out}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.handle)
	r.srv = &http.Server{Handler: mux}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body := io.Reader(req.Body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(b)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	js, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	r.mu.Lock()
	if _, err := r.out.Write(append(js, '\n')); err != nil && r.err == nil {
		r.err = err
	}
	r.batches++
	r.spans += td.SpanCount()
	r.mu.Unlock()
	// An empty ExportTraceServiceResponse: full success.
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// Close stops the receiver and closes the file; it returns how many
// batches and spans were stored.
func (r *Receiver) Close() (batches, spans int, err error) {
	r.srv.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.out.Close(); err != nil && r.err == nil {
		r.err = err
	}
	if r.err != nil {
		return r.batches, r.spans, fmt.Errorf("otlpfile: %w", r.err)
	}
	return r.batches, r.spans, nil
}
