package capture

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gcwatch/gcwatch/flightrec"
	"github.com/gcwatch/gcwatch/internal/outfile"
)

// Snapshots pulls flight-recorder snapshots from a service that serves
// package flightrec's Handler, remembering which it has seen.
type Snapshots struct {
	URL    string // the handler's root, e.g. http://host:port/debug/gcwatch/snapshots
	Client *http.Client
	// Answered is set once the handler's server has answered a request,
	// even with an error status.
	Answered bool
	seen     uint64
}

// New lists the snapshots taken since the last call (on the first call,
// those already kept count as new too).
func (s *Snapshots) New(ctx context.Context) ([]flightrec.Info, error) {
	var ix flightrec.Index
	u := strings.TrimSuffix(s.URL, "/") + "/"
	body, err := s.get(ctx, u, 16<<20)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &ix); err != nil || ix.Schema != flightrec.Schema {
		return nil, fmt.Errorf("%s is not a gcwatch flight-recorder handler: %s", u, looksLike(body))
	}
	var out []flightrec.Info
	for _, in := range ix.Snapshots {
		if in.ID > s.seen {
			out = append(out, in)
		}
	}
	for _, in := range ix.Snapshots {
		s.seen = max(s.seen, in.ID)
	}
	return out, nil
}

// Save downloads snapshot info into dir as trace.out, with a manifest.
func (s *Snapshots) Save(ctx context.Context, info flightrec.Info, dir string) error {
	u := fmt.Sprintf("%s/%d", strings.TrimSuffix(s.URL, "/"), info.ID)
	body, err := s.get(ctx, u, DefaultMaxBytes)
	if err != nil {
		return err
	}
	if err := checkTrace(body); err != nil {
		return fmt.Errorf("%s %w", u, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := outfile.WriteNew(filepath.Join(dir, "trace.out"), body); err != nil {
		return err
	}
	m := Manifest{Tool: "gcwatch watch (flight recorder)", Target: s.URL, Started: info.Time.UTC(), Finished: time.Now().UTC(),
		Files: []File{{Name: "trace.out", URL: u, Bytes: int64(len(body)), Status: "ok"}}}
	return m.write(dir)
}

func (s *Snapshots) get(ctx context.Context, u string, limit int64) ([]byte, error) {
	c := s.Client
	if c == nil {
		c = &http.Client{}
	}
	rctx, cancel := context.WithTimeout(ctx, Margin)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, describe(u, err, ctx, rctx, Margin)
	}
	defer resp.Body.Close()
	s.Answered = true
	if resp.StatusCode != http.StatusOK {
		first, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s%s", u, resp.Status, bodyLine(first))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, describe(u, err, ctx, rctx, Margin)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: the answer is larger than the %d-byte limit", u, limit)
	}
	return b, nil
}
