#!/usr/bin/env bash
# Trace ingest benchmark: throughput and peak memory of gcwatch's
# execution-trace ingest, side by side with a bare x/exp ReadEvent loop
# over the same file.
#
#   bench/trace.sh [SIZE...]      e.g. bench/trace.sh 50MB 300MB 1GB
#
# SIZE defaults to $GCWATCH_BENCH_SIZES, else 300MB. Traces are made by
# bench/tracegen (an allocating service with a task and regions per request)
# and kept in $GCWATCH_BENCH_DIR (default ${TMPDIR:-/tmp}/gcwatch-bench) for
# later runs; they are never committed. GCWATCH_BENCH_WORKLOAD picks what a
# request does: realistic (the default: dozens of goroutine round trips and
# a few system calls, about 3.5 KB of trace per request) or dense (a task
# every ~280 bytes of trace, the worst case for what ingest keeps per
# request). GCWATCH_BENCH_ANNOTATE=false makes traces without tasks and
# regions, to see the ingest without the requests it keeps.
#
# For each trace it runs, one after the other:
#   plainloop       bench/plainloop: for { r.ReadEvent() } and nothing else
#   ingest          bench/ingest: exectrace.Read, the ingest alone
#   gcwatch         gcwatch analyze --format json (ingest, analysis, report)
# $GCWATCH_BENCH_RUNS times (default 3), interleaved, and prints for each
# its best wall time with MB/s, events/s, peak RSS (from /usr/bin/time) and
# CPU time, and speed and memory relative to plainloop.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/time ]]; then
	echo "bench/trace.sh: needs /usr/bin/time (GNU time) for peak RSS" >&2
	exit 1
fi
sizes=("$@")
if [[ ${#sizes[@]} -eq 0 ]]; then
	read -ra sizes <<<"${GCWATCH_BENCH_SIZES:-300MB}"
fi
dir=${GCWATCH_BENCH_DIR:-${TMPDIR:-/tmp}/gcwatch-bench}
annotate=${GCWATCH_BENCH_ANNOTATE:-true}
workload=${GCWATCH_BENCH_WORKLOAD:-realistic}
mkdir -p "$dir/bin"
go build -o "$dir/bin/" ./bench/tracegen ./bench/plainloop ./bench/ingest ./cmd/gcwatch

# measure LABEL CMD... runs CMD under /usr/bin/time and keeps the best
# (shortest) wall time per label, with that run's peak RSS and CPU: other
# load on the machine only ever adds time.
declare -A best_wall best_rss best_cpu
measure() {
	local label=$1
	shift
	if ! /usr/bin/time -f '%e %M %U %S' -o "$dir/time.out" "$@" >"$dir/stdout.$label" 2>"$dir/stderr"; then
		echo "bench/trace.sh: $label failed:" >&2
		cat "$dir/stderr" >&2
		exit 1
	fi
	local wall rss user sys
	read -r wall rss user sys <"$dir/time.out"
	if [[ -z ${best_wall[$label]:-} ]] || awk -v a="$wall" -v b="${best_wall[$label]}" 'BEGIN{exit !(a < b)}'; then
		best_wall[$label]=$wall
		best_rss[$label]=$rss
		best_cpu[$label]=$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')
	fi
}

# row LABEL prints one line, relative to plainloop.
row() {
	local label=$1
	awk -v label="$label" -v bytes="$bytes" -v events="$events" \
		-v wall="${best_wall[$label]}" -v rss="${best_rss[$label]}" -v cpu="${best_cpu[$label]}" \
		-v bwall="${best_wall[plainloop]}" -v brss="${best_rss[plainloop]}" 'BEGIN {
			if (wall <= 0) wall = 0.01
			printf "  %-10s %7.2f s %7.1f MB/s %6.2f Mev/s %6.0f MB RSS %6.2f s CPU   %5.2fx speed %5.2fx RSS\n",
				label, wall, bytes / 1048576 / wall, events / 1e6 / wall, rss / 1024, cpu,
				bwall / wall, rss / brss
		}'
}

runs=${GCWATCH_BENCH_RUNS:-3}
for size in "${sizes[@]}"; do
	trace="$dir/trace-$size-$workload-annotate=$annotate.out"
	if [[ ! -s $trace ]]; then
		echo "making a $size trace (workload=$workload, annotate=$annotate) in $trace ..."
		"$dir/bin/tracegen" -size "$size" -workload="$workload" -annotate="$annotate" -o "$trace"
	fi
	"$dir/bin/plainloop" "$trace" >"$dir/stdout" # warm the page cache, count events
	events=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$dir/stdout")
	bytes=$(stat -c %s "$trace")
	best_wall=() best_rss=() best_cpu=()
	for ((r = 0; r < runs; r++)); do
		measure plainloop "$dir/bin/plainloop" "$trace"
		measure ingest "$dir/bin/ingest" "$trace"
		measure gcwatch "$dir/bin/gcwatch" analyze --format json "$trace"
	done
	echo "$size $workload trace (annotate=$annotate): $bytes bytes, $events events, GOMAXPROCS $(nproc), best of $runs runs"
	row plainloop
	row ingest
	sed 's/^/                /' "$dir/stdout.ingest"
	row gcwatch
done
