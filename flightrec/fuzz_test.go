package flightrec

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzHandlerPath serves any path: only the index or a kept snapshot's
// exact bytes may come back, anything else is a 404, never a panic.
func FuzzHandlerPath(f *testing.F) {
	for _, s := range []string{"/", "", "/1", "/2", "/01", "/2/", "//2", "/-1", "/18446744073709551616", "/x", "/1/2", "/%32"} {
		f.Add(s)
	}
	r, err := New(Config{Keep: 3})
	if err != nil {
		f.Fatal(err)
	}
	r.keep(Trigger{Reason: "one"}, []byte("first"))
	r.keep(Trigger{Reason: "two"}, []byte("second"))
	h := r.Handler()
	f.Fuzz(func(t *testing.T, path string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL = &url.URL{Path: path}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Result().Body)
		name := strings.Trim(path, "/")
		switch rec.Code {
		case http.StatusOK:
			if name == "" {
				if !bytes.Contains(body, []byte(Schema)) {
					t.Fatalf("%q: index without schema: %s", path, body)
				}
				return
			}
			id, err := strconv.ParseUint(name, 10, 64)
			data, _, ok := r.Get(id)
			if err != nil || !ok || !bytes.Equal(body, data) {
				t.Fatalf("%q: 200 with %q", path, body)
			}
		case http.StatusNotFound:
			if name == "" {
				t.Fatalf("%q: index not found", path)
			}
		default:
			t.Fatalf("%q: status %d", path, rec.Code)
		}
	})
}
