package whatif

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// FuzzFitRun builds runs from arbitrary bytes (eight little-endian
// uint16s per cycle) and checks that fitting never panics and that every
// prediction of a successful fit is finite and encodes as JSON.
func FuzzFitRun(f *testing.F) {
	seed := func(cycles ...[8]uint16) []byte {
		var b []byte
		for _, c := range cycles {
			for _, v := range c {
				b = binary.LittleEndian.AppendUint16(b, v)
			}
		}
		return b
	}
	f.Add(seed([8]uint16{10, 100, 5, 9, 5, 11, 300, 2}, [8]uint16{40, 100, 9, 10, 5, 11, 300, 2}, [8]uint16{70, 100, 9, 10, 5, 10, 250, 2}))
	f.Add(seed([8]uint16{0, 0, 0, 0, 0, 0, 0, 0}, [8]uint16{0, 0, 0, 0, 0, 0, 0, 0}, [8]uint16{0, 0, 0, 0, 0, 0, 0, 0}))
	f.Add(seed([8]uint16{1, 65535, 65535, 1, 65535, 0, 65535, 65535}, [8]uint16{2, 1, 1, 65535, 0, 65535, 1, 1}, [8]uint16{3, 0, 7, 7, 7, 7, 7, 0}, [8]uint16{4, 9, 9, 9, 9, 9, 9, 9}))
	f.Fuzz(checkFitBytes)
}

func checkFitBytes(t *testing.T, data []byte) {
	run := &model.Run{GOMAXPROCS: 2}
	var at model.Time
	for i := 0; len(data) >= 16 && i < 200; i++ {
		v := func(k int) int64 { return int64(binary.LittleEndian.Uint16(data[2*k:])) }
		at += model.Time(v(0)) * model.Time(time.Millisecond)
		c := model.Cycle{
			N: i + 1, Start: at, End: at + model.Time(v(1))*1000,
			HeapStart: v(2) << 20, HeapEnd: v(3) << 20, HeapLive: v(4) << 20, HeapGoal: v(5) << 20,
			Stacks: v(7)%3 - 1, Globals: 0, Procs: int(v(7) % 9),
			CPU:  model.CycleCPU{Background: time.Duration(v(6)) * time.Microsecond, Idle: time.Duration(v(1))},
			From: model.FromGCTrace, Forced: v(7)%5 == 0,
		}
		if v(6)%7 == 0 {
			c.HeapLive = model.Unknown
		}
		run.Cycles = append(run.Cycles, c)
		data = data[16:]
	}
	fit, err := FitRun(run, Known{})
	if err != nil {
		return
	}
	if _, err := json.Marshal(fit); err != nil {
		t.Fatalf("fit does not encode: %v", err)
	}
	lat, err := NewMixtureLatencyModel([]time.Duration{time.Millisecond, 5 * time.Millisecond}, []bool{false, true}, []time.Duration{0, 2 * time.Millisecond}, fit.Observed.MarkActiveFraction)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Grid(fit, 1<<30, lat) {
		for _, v := range []float64{p.GCPerSecond, p.GCCPUFraction, p.MarkActiveFraction} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("%v: non-finite or negative prediction %+v of fit %+v", p.Settings, p, fit)
			}
		}
		if _, err := json.Marshal(p.Row()); err != nil {
			t.Fatalf("row does not encode: %v", err)
		}
	}
}
