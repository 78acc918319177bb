package main

import "runtime/metrics"

// limiterLastEnabled returns the last GC cycle in which the GC CPU limiter
// was on (0 if never): the evidence that the limit, not GOGC, drove the GC.
func limiterLastEnabled() uint64 {
	s := []metrics.Sample{{Name: "/gc/limiter/last-enabled:gc-cycle"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
