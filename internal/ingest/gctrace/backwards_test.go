package gctrace

import (
	"strings"
	"testing"
)

// TestTimeWentBackwards checks that a log whose gc counter goes on while
// its time goes back says that, not that the counter restarted.
func TestTimeWentBackwards(t *testing.T) {
	log := strings.Join([]string{gcLine(1, 10, 2, false), gcLine(2, 5000, 2, false), gcLine(3, 200, 2, false), gcLine(4, 300, 2, false)}, "\n")
	r, err := Parse(strings.NewReader(log), "app.log")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Processes) != 2 || r.Processes[1].TimeWentBack != 3 || r.Processes[0].TimeWentBack != 0 {
		t.Fatalf("processes %+v", r.Processes)
	}
	want := "app.log:3: time went backwards: gc 3 @0.200s follows gc 2 @5.000s of line 2"
	if !strings.Contains(strings.Join(r.Warnings, "\n"), want) {
		t.Errorf("warnings %q, want %q", r.Warnings, want)
	}
	// A counter that restarts is not time going back.
	log = strings.Join([]string{gcLine(1, 10, 2, false), gcLine(2, 5000, 2, false), gcLine(1, 20, 2, false)}, "\n")
	if r, _ = Parse(strings.NewReader(log), "app.log"); len(r.Processes) != 2 || r.Processes[1].TimeWentBack != 0 {
		t.Errorf("a restarted counter: %+v", r.Processes)
	}
}
