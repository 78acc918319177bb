package advice

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	recordStarved = flag.Bool("record-starved", false, "record example programs starved of CPU (taskset, Linux) and check their verdicts; takes a CPU for tens of seconds")
	updateStarved = flag.Bool("update-starved", false, "with -record-starved, keep the recordings as testdata/starved-*")
)

// burnerEnv makes the test binary a CPU burner (TestStarvedBurner).
const burnerEnv = "GCWATCH_STARVED_BURNER"

// TestStarvedBurner is not a test: run by TestRecordStarved with burnerEnv
// set, it keeps one CPU busy until it is killed.
func TestStarvedBurner(t *testing.T) {
	if os.Getenv(burnerEnv) != "1" {
		t.Skip("a CPU burner for TestRecordStarved, run only by it")
	}
	for x := 0; ; x++ {
	}
}

// starvedRecordings are the programs TestRecordStarved records starved of
// CPU, with the verdict each must get.
var starvedRecordings = []struct {
	dir, program string // dir under testdata
	args         []string
	want         string
}{
	// Ordinary code: whichever goroutine ran on a descheduled thread is
	// last to stop.
	{"starved-allocheavy", "allocheavy", []string{"-duration", "1s"}, NotTheCause},
	// A loop that cannot be preempted is still last at most pauses when
	// the process is starved as well.
	{"starved-stwdelay", "stwdelay", []string{"-duration", "1s"}, FixSTWDelay},
}

// starvedBurners is how many busy loops share CPU 0 with the program. With
// two, allocheavy's stops stretched too little to tell in one run of four
// (the test then skips); with three, in one run of about fifteen.
const starvedBurners = 3

// TestRecordStarved records example programs at GOMAXPROCS=2 pinned to
// CPU 0 beside starvedBurners busy loops pinned there too, so their two
// procs share at most a quarter of that CPU, and checks their verdicts. It is how
// testdata/starved-* were made (-update-starved); it runs only when asked
// (-record-starved), as it takes a CPU for tens of seconds.
func TestRecordStarved(t *testing.T) {
	if !*recordStarved {
		t.Skip("records for tens of seconds on a busy CPU: run with -record-starved")
	}
	if runtime.GOOS != "linux" {
		t.Skip("pins processes to a CPU with taskset: Linux only")
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("taskset not found: cannot pin the programs and the burners to one CPU")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := t.TempDir()
	for _, rec := range starvedRecordings {
		pkg := "github.com/gcwatch/gcwatch/examples/" + rec.program
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, rec.program), pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	for range starvedBurners {
		burner := exec.CommandContext(ctx, taskset, "-c", "0", os.Args[0], "-test.run=^TestStarvedBurner$")
		burner.Env = append(os.Environ(), burnerEnv+"=1", "GOMAXPROCS=1")
		if err := burner.Start(); err != nil {
			t.Fatalf("starting a CPU burner: %v", err)
		}
		t.Cleanup(func() {
			burner.Process.Kill()
			burner.Wait()
		})
	}
	time.Sleep(200 * time.Millisecond)

	for _, rec := range starvedRecordings {
		t.Run(rec.dir, func(t *testing.T) {
			dir := t.TempDir()
			tracePath, logPath := filepath.Join(dir, "trace.out"), filepath.Join(dir, "gctrace.log")
			log, err := os.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(ctx, taskset, append([]string{"-c", "0", filepath.Join(bin, rec.program), "-trace", tracePath}, rec.args...)...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=2", "GOGC=100", "GODEBUG=gctrace=1")
			cmd.Stderr = log
			out, err := cmd.Output()
			log.Close()
			if err != nil {
				t.Fatalf("%s: %v", rec.program, err)
			}
			t.Logf("%s: %s", rec.program, lastLineOf(out))

			v := decideTrace(t, true, tracePath, logPath)
			if e, ok := evidenceNamed(v, "stw_delays_with_last_to_stop"); !ok || !e.Holds {
				t.Skipf("the run did not stretch the stops enough to tell (verdict %s: %s; evidence %+v): was CPU 0 really shared?", v.ID, v.Summary, v.Evidence)
			}
			e, _ := evidenceNamed(v, "last_to_stop_top_goroutine_share")
			t.Logf("%s: %.3f (%s)", e.Metric, e.Value, e.Note)
			if v.ID != rec.want {
				t.Fatalf("verdict %s (%s), want %s; evidence %+v", v.ID, v.Summary, rec.want, v.Evidence)
			}
			if *updateStarved {
				for _, name := range []string{"trace.out", "gctrace.log"} {
					b, err := os.ReadFile(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.MkdirAll(filepath.Join("testdata", rec.dir), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join("testdata", rec.dir, name), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

func lastLineOf(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
