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
# later runs; they are never committed. GCWATCH_BENCH_ANNOTATE=false makes
# traces without tasks and regions, to see the ingest without the requests
# it keeps.
#
# For each trace it runs, one after the other:
#   plainloop       bench/plainloop: for { r.ReadEvent() } and nothing else
#   ingest          bench/ingest: exectrace.Read, the ingest alone
#   gcwatch         gcwatch analyze --format json (ingest, analysis, report)
# and prints wall time, MB/s, events/s, peak RSS (from /usr/bin/time) and
# CPU time, with speed and memory relative to plainloop.
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
mkdir -p "$dir/bin"
go build -o "$dir/bin/" ./bench/tracegen ./bench/plainloop ./bench/ingest ./cmd/gcwatch

# run LABEL FILE CMD... runs CMD under /usr/bin/time and prints one row.
run() {
	local label=$1 file=$2
	shift 2
	if ! /usr/bin/time -f '%e %M %U %S' -o "$dir/time.out" "$@" >"$dir/stdout" 2>"$dir/stderr"; then
		echo "bench/trace.sh: $label failed:" >&2
		cat "$dir/stderr" >&2
		exit 1
	fi
	local wall rss user sys
	read -r wall rss user sys <"$dir/time.out"
	awk -v label="$label" -v bytes="$(stat -c %s "$file")" -v events="$events" \
		-v wall="$wall" -v rss="$rss" -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" \
		-v bwall="${base_wall:-$wall}" -v brss="${base_rss:-$rss}" 'BEGIN {
			if (wall <= 0) wall = 0.01
			printf "  %-10s %8.2f s %8.1f MB/s %7.2f Mev/s %8.0f MB RSS %7.2f s CPU   %5.2fx speed %5.2fx RSS\n",
				label, wall, bytes / 1048576 / wall, events / 1e6 / wall, rss / 1024, cpu,
				bwall / wall, rss / brss
		}'
	last_wall=$wall last_rss=$rss
}

for size in "${sizes[@]}"; do
	trace="$dir/trace-$size-annotate=$annotate.out"
	if [[ ! -s $trace ]]; then
		echo "making a $size trace (annotate=$annotate) in $trace ..."
		"$dir/bin/tracegen" -size "$size" -annotate="$annotate" -o "$trace"
	fi
	events=0
	base_wall='' base_rss=''
	"$dir/bin/plainloop" "$trace" >"$dir/stdout" # warm the page cache, count events
	events=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$dir/stdout")
	echo "$size trace: $(stat -c %s "$trace") bytes, $events events, GOMAXPROCS $(nproc)"
	run plainloop "$trace" "$dir/bin/plainloop" "$trace"
	base_wall=$last_wall base_rss=$last_rss
	run ingest "$trace" "$dir/bin/ingest" "$trace"
	sed 's/^/               /' "$dir/stdout"
	run gcwatch "$trace" "$dir/bin/gcwatch" analyze --format json "$trace"
done
