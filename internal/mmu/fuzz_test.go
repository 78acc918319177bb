package mmu

import (
	"math"
	"testing"
	"time"

	"github.com/gcwatch/gcwatch/internal/model"
)

// decodeCalls turns fuzz bytes into Set calls, 7 bytes a call: a time step
// (2 bytes, scaled by the first byte's top bits from ns to ms, and allowed
// to go back in time), procs (1 byte, may be 0), and four busy bytes
// (128 and up are fractions, 255 is NaN).
func decodeCalls(data []byte) ([]call, model.Time) {
	var calls []call
	var t model.Time
	for len(data) >= 7 {
		step := model.Time(data[0]&0x3f)<<8 | model.Time(data[1])
		switch data[0] >> 6 {
		case 1:
			step *= model.Time(time.Microsecond)
		case 2:
			step *= model.Time(time.Millisecond) / 4
		case 3:
			step = -step // against the contract: must be handled, not trusted
		}
		t += step
		var busy [model.NumSources]float64
		for s := range busy {
			switch b := data[3+s]; {
			case b == 255:
				busy[s] = math.NaN()
			case b >= 128:
				busy[s] = float64(b-128) / 16
			default:
				busy[s] = float64(b % 10)
			}
		}
		calls = append(calls, call{t, int(data[2] % 12), busy})
		data = data[7:]
	}
	end := t + model.Time(len(data))*model.Time(time.Millisecond)
	return calls, end
}

// FuzzBuilder checks the Builder against the reference on arbitrary
// series, including calls that go back in time (which both clamp to the
// latest time seen).
func FuzzBuilder(f *testing.F) {
	f.Add([]byte{0x40, 10, 4, 0, 0, 0, 0, 0x80, 0, 4, 4, 1, 0, 0, 0x40, 1, 4, 0, 0, 0, 2, 3})
	f.Add([]byte{0x80, 200, 2, 1, 130, 255, 7, 0xc0, 5, 0, 0, 0, 0, 0, 0x81, 0, 8, 8, 8, 8, 8, 0})
	f.Add([]byte{0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 9, 9, 9})
	// Windows below 10µs would need a looser tolerance: see Precision in doc.go.
	windows := []time.Duration{10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 20 * time.Millisecond}
	f.Fuzz(func(t *testing.T, data []byte) {
		calls, end := decodeCalls(data)
		if len(calls) == 0 {
			return
		}
		got, ref := feed(calls, end, Options{Windows: windows})
		if end < ref.states[len(ref.states)-1].t {
			ref.end = ref.states[len(ref.states)-1].t // Finish's contract
		}
		checkAgainstReference(t, 0, got, ref, windows)
	})
}
