// Package promtest runs a real Prometheus server and example services for
// tests of the monitoring side of the fleet report (internal/promfleet and
// gcwatch report --prometheus). It finds prometheus in PATH and skips the
// test, saying so, when it is not there (.ci/tools installs it). Everything it starts is stopped in t.Cleanup.
package promtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binary returns the path of prometheus, or skips the test saying it is
// missing. Tests never install it: .ci/tools does.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus is not installed (.ci/tools installs it)")
	}
	return p
}

// lastLines is the last n lines of b, joined on one line.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " / ")
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// ClosedURL returns an http URL on loopback where nothing listens.
func ClosedURL(t testing.TB) string { return "http://" + freeAddr(t) }

// Start runs prometheus scraping targets (job name → host:port) every
// second, with its data in a temporary folder, and returns its URL once it
// is ready. The server is killed when the test ends.
func Start(t testing.TB, targets map[string]string) string {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n")
	for job, addr := range targets {
		fmt.Fprintf(&cfg, "  - job_name: %q\n    static_configs:\n      - targets: [%q]\n", job, addr)
	}
	conf := filepath.Join(dir, "prom.yml")
	if err := os.WriteFile(conf, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	logs, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logs.Close()
	})
	base := "http://" + addr
	if err := poll(15*time.Second, func() error { return get(base+"/-/ready", nil) }); err != nil {
		b, _ := os.ReadFile(logs.Name())
		t.Fatalf("prometheus did not become ready: %v; its log: %s", err, lastLines(b, 5))
	}
	return base
}

// WaitScraped waits until prometheus holds at least n samples of up == 1
// for every job.
func WaitScraped(t testing.TB, base string, jobs []string, n int, timeout time.Duration) {
	t.Helper()
	err := poll(timeout, func() error {
		for _, job := range jobs {
			q := fmt.Sprintf(`sum_over_time(up{job=%q}[5m])`, job)
			var resp struct {
				Data struct {
					Result []struct {
						Value [2]any `json:"value"`
					} `json:"result"`
				} `json:"data"`
			}
			if err := get(base+"/api/v1/query?query="+url.QueryEscape(q), &resp); err != nil {
				return err
			}
			if len(resp.Data.Result) == 0 {
				return fmt.Errorf("job %s not scraped yet", job)
			}
			s, _ := resp.Data.Result[0].Value[1].(string)
			if ok, err := strconv.ParseFloat(s, 64); err != nil || ok < float64(n) {
				return fmt.Errorf("job %s: %q successful scrapes, want %d", job, s, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("waiting for scrapes: %v", err)
	}
}

func get(u string, into any) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	if into == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

func poll(timeout time.Duration, try func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := try()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// BuildService builds examples/promsvc into a temporary folder.
func BuildService(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	bin := filepath.Join(t.TempDir(), "promsvc")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/promsvc")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building examples/promsvc: %v\n%s", err, out)
	}
	return bin
}

// StartService runs the example service with args on a free loopback port
// and returns its host:port; it is killed when the test ends.
func StartService(t testing.TB, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(l, "listening on http://")
		if !ok {
			t.Fatalf("%s: want a first line \"listening on http://ADDR\", got %q", bin, l)
		}
		return addr
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not say where it listens within 10s", bin)
	}
	return ""
}
