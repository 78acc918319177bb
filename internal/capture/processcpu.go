package capture

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// cpuReading is one reading of a service's process_cpu_seconds_total.
type cpuReading struct {
	at         time.Time // midway between asking and the answer
	seconds    float64
	gomaxprocs float64
}

// readProcessCPU GETs the service's /metrics and reads the CPU time its
// process has used (process_cpu_seconds_total, which the Prometheus Go
// client's process collector exports) and GOMAXPROCS. ok is false when
// the service does not answer with them.
func readProcessCPU(ctx context.Context, c *http.Client, u string, timeout time.Duration, now func() time.Time) (cpuReading, bool) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return cpuReading{}, false
	}
	asked := now()
	resp, err := c.Do(req)
	if err != nil {
		return cpuReading{}, false
	}
	defer resp.Body.Close()
	answered := now()
	if resp.StatusCode != http.StatusOK {
		return cpuReading{}, false
	}
	s := parseMetrics(io.LimitReader(resp.Body, 64<<20))
	if !s.hasProcessCPU {
		return cpuReading{}, false
	}
	return cpuReading{at: asked.Add(answered.Sub(asked) / 2), seconds: s.processCPU, gomaxprocs: s.gomaxprocs}, true
}

// processCPUOver is the CPU the process used between two readings; nil
// when the counter went backwards (the process restarted) or no time
// passed.
func processCPUOver(a, b cpuReading) *model.ProcessCPU {
	wall := b.at.Sub(a.at)
	if wall <= 0 || b.seconds < a.seconds {
		return nil
	}
	p := &model.ProcessCPU{CPUMs: (b.seconds - a.seconds) * 1e3, WallMs: float64(wall) / float64(time.Millisecond)}
	if g := max(a.gomaxprocs, b.gomaxprocs); g >= 1 && g < 1<<20 {
		p.GOMAXPROCS = int(g)
	}
	return p
}
