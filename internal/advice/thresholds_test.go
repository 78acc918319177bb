package advice

import (
	"strings"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/whatif"
)

func TestThresholdsSetAndLoad(t *testing.T) {
	th := DefaultThresholds()
	if err := th.Set("gc_share_small", "0.2"); err != nil || th.GCShareSmall != 0.2 {
		t.Errorf("Set gc_share_small: %v %v", err, th.GCShareSmall)
	}
	if err := th.Set("time_to_stop_min", "3ms"); err != nil || th.TimeToStopMin != 3*time.Millisecond {
		t.Errorf("Set time_to_stop_min: %v %v", err, th.TimeToStopMin)
	}
	if err := th.Set("min_cycles", "4"); err != nil || th.MinCycles != 4 {
		t.Errorf("Set min_cycles: %v %v", err, th.MinCycles)
	}
	for _, bad := range [][2]string{{"nope", "1"}, {"gc_share_small", "x"}, {"time_to_stop_min", "3"}, {"min_cycles", "-1"}, {"gc_share_small", "NaN"}, {"gc_share_small", "Inf"}, {"gc_share_small", "+Inf"}, {"gc_share_small", "1e999"}} {
		if err := th.Set(bad[0], bad[1]); err == nil {
			t.Errorf("Set(%q, %q) succeeded", bad[0], bad[1])
		}
	}
	err := th.Load(strings.NewReader(`{"thresholds": {"gc_cpu_high": 0.4, "mark_wall_high": "25ms"}}`), "cfg.json")
	if err != nil || th.GCCPUHigh != 0.4 || th.MarkWallHigh != 25*time.Millisecond {
		t.Errorf("Load: %v %+v", err, th)
	}
	if err := th.Load(strings.NewReader(`{"thresholds": {"bogus": 1}}`), "cfg.json"); err == nil || !strings.Contains(err.Error(), "cfg.json") {
		t.Errorf("Load with an unknown name: %v", err)
	}
	if err := th.Load(strings.NewReader(`{"threshold": {}}`), "cfg.json"); err == nil {
		t.Errorf("Load with an unknown top-level key succeeded")
	}
	if len(ThresholdNames()) != 28 {
		t.Errorf("ThresholdNames = %v", ThresholdNames())
	}
}

func TestSettingsDistance(t *testing.T) {
	cur := whatif.Settings{GOGC: 100, MemoryLimit: 110 << 20}
	near := whatif.Settings{GOGC: 100, MemoryLimit: whatif.NoLimit}
	far := whatif.Settings{GOGC: 25, MemoryLimit: whatif.NoLimit}
	if !(settingsDistance(cur, cur) == 0 && settingsDistance(cur, near) < settingsDistance(cur, far)) {
		t.Errorf("distances %v %v %v", settingsDistance(cur, cur), settingsDistance(cur, near), settingsDistance(cur, far))
	}
	if d := settingsDistance(whatif.Settings{GOGC: 100, MemoryLimit: whatif.NoLimit}, whatif.Settings{GOGC: 400, MemoryLimit: whatif.NoLimit}); d != 2 {
		t.Errorf("two doublings = %v", d)
	}
}
