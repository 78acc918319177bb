package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gcwatch/gcwatch/internal/outfile"
)

// Options tune a capture.
type Options struct {
	// Seconds is how long the trace records.
	Seconds int
	// Timeout bounds the trace request; 0 means 1.5 × Seconds plus
	// Margin, as the service first records for Seconds then sends.
	Timeout time.Duration
	// QuickTimeout bounds the other requests (profiles, metrics); 0 means
	// Margin.
	QuickTimeout time.Duration
	// MaxBytes bounds each download; a larger answer is an error.
	MaxBytes int64
	// Client makes the requests; nil means a default client.
	Client *http.Client
	// Now gives the wall clock (tests fix it); nil means time.Now.
	Now func() time.Time
}

// Margin is added to 1.5 × Seconds for the trace's timeout, and is the
// timeout of the quick requests (profiles, metrics).
const Margin = 10 * time.Second

// DefaultMaxBytes bounds a download unless told otherwise: 2 GiB.
const DefaultMaxBytes = 2 << 30

// Target is a normalised service address.
type Target struct {
	// Base is the URL the pprof paths hang off, e.g. http://host:port.
	Base string
	// Prefix is the pprof prefix, "/debug/pprof".
	Prefix string
}

// ParseTarget accepts host:port, :port, or a URL (with or without the
// /debug/pprof path).
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, errors.New("no address given")
	}
	if !strings.Contains(s, "://") {
		if strings.HasPrefix(s, ":") {
			s = "localhost" + s
		}
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Target{}, fmt.Errorf("%q is not host:port or a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Target{}, fmt.Errorf("%q: only http and https are supported", s)
	}
	prefix := "/debug/pprof"
	if p := strings.TrimSuffix(u.Path, "/"); p != "" {
		if i := strings.Index(p, "/debug/pprof"); i >= 0 {
			prefix = p[:i] + "/debug/pprof"
		} else {
			prefix = p + "/debug/pprof"
		}
	}
	return Target{Base: u.Scheme + "://" + u.Host, Prefix: prefix}, nil
}

// File is one artefact of a capture.
type File struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Bytes  int64  `json:"bytes"`
	Status string `json:"status"` // "ok", or what went wrong
}

// Result is what a capture fetched.
type Result struct {
	Dir      string
	Manifest Manifest
	// Interrupted is set when the context ended before every download
	// finished; what was fetched is kept.
	Interrupted bool
	// Answered is set when the service answered any request, even with an
	// error status.
	Answered bool
}

// Fetch captures target into dir (created if missing): the execution trace
// over opts.Seconds, and alongside it the heap and allocs profiles and, when
// served, Prometheus metrics or expvar. The trace is required: an error
// getting it is returned (after saving what else was fetched); the others
// are noted in the manifest.
func Fetch(ctx context.Context, target Target, dir string, opts Options) (*Result, error) {
	if opts.Seconds <= 0 {
		opts.Seconds = 10
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Duration(opts.Seconds)*time.Second*3/2 + Margin
	}
	if opts.QuickTimeout <= 0 {
		opts.QuickTimeout = Margin
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot make the capture folder: %w", err)
	}
	res := &Result{Dir: dir, Manifest: Manifest{
		Tool: "gcwatch capture", Target: target.Base + target.Prefix, Started: now().UTC(), Seconds: opts.Seconds,
	}}
	// Only the trace is kept when cut short: its complete generations
	// can be analysed, while part of a profile or of metrics cannot.
	jobs := []job{
		{"trace.out", fmt.Sprintf("%s/trace?seconds=%d", target.Prefix, opts.Seconds), opts.Timeout, checkTrace, false, true},
		{"heap.pb.gz", target.Prefix + "/heap", opts.QuickTimeout, checkProfile, true, false},
		// The allocations of the trace's window, not since start-up: a
		// delta profile over the same seconds (net/http/pprof takes one
		// profile now and one at the end and sends the difference).
		{"allocs.pb.gz", fmt.Sprintf("%s/allocs?seconds=%d", target.Prefix, opts.Seconds), opts.Timeout, checkProfile, true, false},
		{"metrics.txt", "/metrics", opts.QuickTimeout, checkMetrics, true, false},
		{"vars.json", "/debug/vars", opts.QuickTimeout, checkVars, true, false},
	}
	// The CPU the process got over the trace's window: its CPU counter
	// read just before the trace is asked for and as soon as it arrives.
	metricsURL := target.Base + "/metrics"
	cpuStart, cpuKnown := readProcessCPU(ctx, opts.Client, metricsURL, opts.QuickTimeout, now)
	var cpuEnd cpuReading
	files := make([]File, len(jobs))
	errs := make([]error, len(jobs))
	var answered atomic.Bool
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			u := target.Base + j.path
			n, err := download(ctx, opts.Client, u, filepath.Join(dir, j.name), j, opts.MaxBytes, &answered)
			if i == 0 && err == nil && cpuKnown {
				cpuEnd, cpuKnown = readProcessCPU(ctx, opts.Client, metricsURL, opts.QuickTimeout, now)
			}
			files[i] = File{Name: j.name, URL: u, Bytes: n, Status: "ok"}
			if err != nil {
				files[i].Status = err.Error()
				errs[i] = err
			}
		})
	}
	wg.Wait()
	// A server that cannot send a delta (an old net/http/pprof, a proxy
	// that cuts long requests) still has the profile since start-up; the
	// report says which it is.
	const allocsJob = 2
	if errs[allocsJob] != nil && ctx.Err() == nil && answered.Load() {
		j := jobs[allocsJob]
		j.path, j.timeout = target.Prefix+"/allocs", opts.QuickTimeout
		u := target.Base + j.path
		os.Remove(filepath.Join(dir, j.name))
		if n, err := download(ctx, opts.Client, u, filepath.Join(dir, j.name), j, opts.MaxBytes, &answered); err == nil {
			files[allocsJob] = File{Name: j.name, URL: u, Bytes: n, Status: "ok"}
			errs[allocsJob] = nil
		}
	}
	res.Interrupted = ctx.Err() != nil
	res.Answered = answered.Load()
	for i, f := range files {
		if errs[i] != nil && jobs[i].optional {
			f.Status = "not available: " + f.Status
		}
		if f.Bytes > 0 || errs[i] != nil {
			res.Manifest.Files = append(res.Manifest.Files, f)
		}
	}
	res.Manifest.Finished = now().UTC()
	res.Manifest.Interrupted = res.Interrupted
	res.Manifest.readSettings(dir)
	if cpuKnown && errs[0] == nil {
		res.Manifest.ProcessCPU = processCPUOver(cpuStart, cpuEnd)
	}
	if err := res.Manifest.write(dir); err != nil {
		return res, err
	}
	if errs[0] != nil {
		return res, errs[0]
	}
	return res, nil
}

// job is one download of a capture.
type job struct {
	name, path string
	timeout    time.Duration
	check      func([]byte) error
	optional   bool
	// keepPart keeps what arrived when the answer is cut short.
	keepPart bool
}

// CutShortError is a download that stopped part-way, interrupted or past
// its timeout, whose part was kept.
type CutShortError struct {
	URL   string
	Bytes int64
	// Why is what stopped it: "interrupted", or the timeout.
	Why string
}

func (e *CutShortError) Error() string {
	return fmt.Sprintf("GET %s: %s after %d bytes; the part received is kept", e.URL, e.Why, e.Bytes)
}

// download GETs u into path. Non-200 answers, time-outs and content that
// check rejects are errors that say what happened; the file is removed
// unless j.keepPart and bytes were received before an interruption or the
// timeout (a *CutShortError: a trace cut short still holds complete
// generations).
func download(ctx context.Context, c *http.Client, u, path string, j job, maxBytes int64, answered *atomic.Bool) (int64, error) {
	rctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, describe(u, err, ctx, rctx, j.timeout)
	}
	defer resp.Body.Close()
	answered.Store(true)
	if resp.StatusCode != http.StatusOK {
		first, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("GET %s: %s%s", u, resp.Status, bodyLine(first))
	}
	f, err := outfile.CreateNew(path)
	if err != nil {
		return 0, err
	}
	head := &headWriter{max: 512}
	n, err := io.Copy(io.MultiWriter(f, head), io.LimitReader(resp.Body, maxBytes+1))
	cerr := f.Close()
	switch {
	case n > maxBytes:
		os.Remove(path)
		return 0, fmt.Errorf("GET %s: the answer is larger than the %d-byte limit", u, maxBytes)
	case err != nil && j.keepPart && n > 0 && cerr == nil && ctx.Err() != nil:
		return n, &CutShortError{URL: u, Bytes: n, Why: "interrupted"}
	case err != nil && j.keepPart && n > 0 && cerr == nil && errors.Is(rctx.Err(), context.DeadlineExceeded):
		return n, &CutShortError{URL: u, Bytes: n, Why: fmt.Sprintf("no complete answer within %s", j.timeout)}
	case err != nil:
		os.Remove(path)
		return 0, describe(u, err, ctx, rctx, j.timeout)
	case cerr != nil:
		os.Remove(path)
		return 0, cerr
	}
	if err := j.check(head.b); err != nil {
		os.Remove(path)
		return 0, fmt.Errorf("%s %w", u, err)
	}
	return n, nil
}

// bodyLine is the start of an error answer's body, made safe for a
// terminal: its first line, without control or formatting characters (an
// answer may hold escape sequences), at most 200 bytes; "" when empty.
func bodyLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	line = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == utf8.RuneError, unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, line)
	line = strings.TrimSpace(line)
	if len(line) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	if line == "" {
		return ""
	}
	return ": " + line
}

// describe turns a transport error into what a user can act on. A request
// that was redirected names where it went, since that is what failed.
func describe(u string, err error, parent, rctx context.Context, timeout time.Duration) error {
	where := u
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != u {
		where = fmt.Sprintf("%s, redirected to %s", u, ue.URL)
	}
	switch {
	case parent.Err() != nil:
		return fmt.Errorf("GET %s: interrupted", u)
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("GET %s: no complete answer within %s (the server accepted the connection but did not finish answering)", where, timeout)
	case errors.Is(err, syscall.ECONNREFUSED) && where != u:
		return fmt.Errorf("GET %s: connection refused there", where)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("GET %s: connection refused (is the service running there, with net/http/pprof registered?)", u)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Errorf("GET %s: cannot resolve %s", where, dns.Name)
	}
	if ue != nil {
		err = ue.Err // it names the URL, said already
	}
	return fmt.Errorf("GET %s: %w", where, err)
}

// headWriter keeps the first bytes written to it.
type headWriter struct {
	b   []byte
	max int
}

func (h *headWriter) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
