#!/usr/bin/env bash
# overhead.sh measures what -flightrec-slow costs httpsvc: the same
# open-loop load (httpload) against the service without and with the
# flight recorder, runs interleaved, reporting httpload's latency
# quantiles and the service's CPU seconds during the load (from
# process_cpu_seconds_total on /metrics before and after).
#
#   examples/httpsvc/overhead.sh [RUNS] [RPS] [SECONDS]
#
# ON sets the flags of the recorder's runs (default -flightrec-slow 50ms);
# for example ON='-flightrec-slow 10ms -flightrec-cooldown 2s' also counts
# the snapshots' cost.
set -euo pipefail
runs=${1:-3} rps=${2:-300} secs=${3:-10}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
root=$(cd "$(dirname "$0")/../.." && pwd)
(cd "$root" && go build -o "$dir/httpsvc" ./examples/httpsvc && go build -o "$dir/httpload" ./examples/httpload)

cpu() { curl -s "http://$1/metrics" | awk '$1=="process_cpu_seconds_total"{print $2}'; }

one() { # one run: $1 is the extra flag (or empty)
	"$dir/httpsvc" -addr 127.0.0.1:0 $1 >"$dir/out" 2>"$dir/err" &
	local pid=$! addr=""
	for _ in $(seq 100); do
		addr=$(head -1 "$dir/out" 2>/dev/null | sed -n 's/^listening on //p')
		[ -n "$addr" ] && break
		sleep 0.1
	done
	sleep 1 # let the catalogue's build settle
	local c0 c1 res
	c0=$(cpu "$addr")
	res=$("$dir/httpload" -json -rps "$rps" -duration "${secs}s" \
		-url "http://$addr/api/search?q=blue+kettle" -url "http://$addr/api/products/{i}" \
		-url "http://$addr/api/search?q=acme" -url "http://$addr/api/cart/s{i}")
	c1=$(cpu "$addr")
	kill -TERM "$pid"
	wait "$pid" || true
	echo "$res" | sed "s/^{/{\"mode\":\"${1:-off}\",\"cpu_s\":$(echo "$c1 - $c0" | bc),\"snapshots\":$(sed -n 2p "$dir/out" | sed -n 's/.*"snapshots_taken":\([0-9]*\).*/\1/p' | grep . || echo 0),/"
}

for _ in $(seq "$runs"); do
	one ""
	one "${ON:--flightrec-slow 50ms}"
done
