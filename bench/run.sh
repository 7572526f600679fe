#!/usr/bin/env bash
# Load benchmark of the ontohub API server; bench/README.md explains the scenarios and the output.
#
# usage: bench/run.sh [--categories N] [--duration 60s] [--connections 32] [--threads 2]
#                     [--warmup 3s] [--seed 1] [--scenarios entity,page,search,graph,used-by] [--keep]
#
# Builds ./cmd/ontohub, the ceiling server and the ontology generator into a temporary folder,
# generates an ontology of N categories (about five entities per category), ingests it into a
# fresh database, serves it, and runs wrk against each scenario and against the ceiling.
#
# Environment:
#   BENCH_DATABASE_URL  database to (re)create; default
#                       postgres://postgres@127.0.0.1:5432/ontohub_bench?sslmode=disable. It is
#                       DROPPED first, so its name must contain "bench". (DATABASE_URL itself is
#                       ignored: it may well point at a database someone cares about.)
#   BENCH_SCHEMAS       sample checkout whose _schema.json files the generator copies; default
#                       ingest/testdata/samples/labki-schemas
#   GO                  the go command; default go from PATH, else /usr/local/go/bin/go
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
categories=5000
duration=60s
connections=32
threads=2
warmup=3s
seed=1
scenarios=entity,page,search,graph,used-by
keep=false

usage() { sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() {
	echo "run.sh: $*" >&2
	exit 1
}
need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }

while (($#)); do
	case $1 in
	--categories | --duration | --connections | --threads | --warmup | --seed | --scenarios)
		need_value "$@"
		declare "${1#--}=$2"
		shift 2
		;;
	--keep)
		keep=true
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done
[[ $categories =~ ^[0-9]+$ && $connections =~ ^[0-9]+$ && $threads =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ ]] ||
	die "--categories, --connections, --threads and --seed take whole numbers"
[[ $duration =~ ^[0-9]+[smh]?$ && $warmup =~ ^[0-9]+[smh]?$ ]] || die "--duration and --warmup take e.g. 10s, 2m"
for name in ${scenarios//,/ }; do
	[[ $name =~ ^(entity|page|search|graph|used-by)$ ]] || die "unknown scenario $name (entity, page, search, graph, used-by)"
done

# --- tools -------------------------------------------------------------------------------------

go=${GO:-}
if [[ -z $go ]]; then
	go=$(command -v go || echo /usr/local/go/bin/go)
fi
[[ -x $go ]] || die "no go command (set GO)"
for tool in wrk psql curl awk; do
	if ! command -v "$tool" > /dev/null; then
		case $tool in
		wrk) die "wrk is missing: apt-get update && apt-get install -y wrk" ;;
		psql) die "psql is missing: apt-get install -y postgresql-client" ;;
		*) die "$tool is missing" ;;
		esac
	fi
done

db_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ontohub_bench?sslmode=disable}
db_base=${db_url%%\?*}
db_query=${db_url#"$db_base"}
db_name=${db_base##*/}
admin_url=${db_base%/*}/postgres$db_query
[[ $db_name == *bench* ]] || die "refusing to drop database \"$db_name\": BENCH_DATABASE_URL must name a database whose name contains \"bench\""
schemas=${BENCH_SCHEMAS:-$repo/ingest/testdata/samples/labki-schemas}
lua=$repo/bench/pick.lua

work=$(mktemp -d "${TMPDIR:-/tmp}/ontohub-bench.XXXXXX")
server_pid=
ceiling_pid=
sampler_pid=

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

drop_database() {
	PGOPTIONS='--client-min-messages=warning' psql "$admin_url" -v ON_ERROR_STOP=1 -qc \
		"DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" > /dev/null
}

stop() {
	local pid=$1
	[[ -n $pid ]] && kill -0 "$pid" 2> /dev/null || return 0
	kill "$pid" 2> /dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2> /dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true # reaps it without bash's "Killed" notice
}

cleanup() {
	local status=$?
	set +e
	stop "$sampler_pid"
	stop "$ceiling_pid"
	if $keep; then
		echo
		echo "kept (--keep): work folder $work, database $db_name"
		if [[ -n $server_pid ]] && kill -0 "$server_pid" 2> /dev/null; then
			echo "ontohub still serving on http://${addr:-?} (pid $server_pid): kill $server_pid"
		fi
		exit "$status"
	fi
	stop "$server_pid"
	drop_database || echo "run.sh: could not drop database $db_name" >&2
	if ((status == 0)); then
		rm -rf "$work"
	else
		echo "run.sh: failed; logs and outputs are in $work" >&2
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# loadavg prints the 1, 5 and 15 minute load averages.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# rss prints the resident set size of a process in MiB.
rss() { awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status" 2> /dev/null || echo 0; }

start_load=$(loadavg)
log "machine: $(nproc) CPUs, load average $start_load; wrk, the servers and PostgreSQL share them"

# --- build -------------------------------------------------------------------------------------

log "building ontohub, ceiling and genontology into $work/bin"
(
	cd "$repo"
	"$go" build -o "$work/bin/ontohub" ./cmd/ontohub
	"$go" build -o "$work/bin/ceiling" ./bench/ceiling
	"$go" build -o "$work/bin/genontology" ./bench/genontology
)

# --- generate and ingest -----------------------------------------------------------------------

log "generating an ontology of $categories categories (seed $seed)"
if ! "$work/bin/genontology" -categories "$categories" -seed "$seed" -out "$work/ontology" \
	-manifest "$work/manifest.tsv" -schemas "$schemas" > "$work/genontology.txt" 2>&1; then
	cat "$work/genontology.txt" >&2
	die "genontology failed"
fi
sed 's/^/    /' "$work/genontology.txt"

log "ingesting into a fresh database $db_name"
drop_database
ingest_start=$(date +%s.%N)
if ! DATABASE_URL=$db_url LOG_LEVEL=warn "$work/bin/ontohub" ingest "$work/ontology" > "$work/ingest.txt" 2>&1; then
	tail -20 "$work/ingest.txt" >&2
	die "ontohub ingest failed"
fi
ingest_seconds=$(awk -v a="$ingest_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sed 's/^/    /' "$work/ingest.txt"
log "ingest took ${ingest_seconds}s"

# --- servers -----------------------------------------------------------------------------------

# The access log (one line per request at LOG_LEVEL=info) is part of the cost being measured.
# All of wrk's connections come from one address: the per-client caps must not be what is measured.
DATABASE_URL=$db_url LISTEN_ADDR=127.0.0.1:0 RATE_LIMIT_ENABLED=false LOG_LEVEL=info LOG_FORMAT=json \
	MAX_EXPENSIVE_PER_ADDR=$((connections + 1)) MAX_CONNS_PER_ADDR=$((connections + 64)) \
	"$work/bin/ontohub" serve >> "$work/server.log" 2>&1 &
server_pid=$!
addr=
for _ in $(seq 600); do
	kill -0 "$server_pid" 2> /dev/null || {
		tail -20 "$work/server.log" >&2
		die "ontohub serve exited"
	}
	addr=$(sed -n 's/.*"msg":"serving".*"addr":"\([^"]*\)".*/\1/p' "$work/server.log" | head -1)
	[[ -n $addr ]] && curl -fsS -o /dev/null "http://$addr/health" 2> /dev/null && break
	sleep 0.1
done
[[ -n $addr ]] || die "ontohub serve did not log its address within 60s (see $work/server.log)"
curl -fsS -o /dev/null "http://$addr/health" || die "GET /health on $addr failed"
base=http://$addr
idle_rss=$(rss "$server_pid")
log "ontohub serving on $base (pid $server_pid), RSS $idle_rss MiB"

"$work/bin/ceiling" > "$work/ceiling.log" 2>&1 &
ceiling_pid=$!
ceiling_addr=
for _ in $(seq 100); do
	ceiling_addr=$(sed -n 's/^listening on //p' "$work/ceiling.log")
	[[ -n $ceiling_addr ]] && break
	sleep 0.1
done
[[ -n $ceiling_addr ]] || die "the ceiling server did not start (see $work/ceiling.log)"
log "ceiling serving on http://$ceiling_addr (pid $ceiling_pid)"

# --- request paths -----------------------------------------------------------------------------

# The entity types the server serves today: those its counts endpoint reports with entities.
counts=$(curl -fsS "$base/api/v1/entities")
types=$(printf '%s' "$counts" | sed -n 's/.*"counts":{\([^}]*\)}.*/\1/p' | tr ',' '\n' |
	sed -n 's/^"\([a-z_]*\)":\([0-9]*\)$/\1 \2/p' | awk '$2 > 0 { printf "%s ", $1 }')
types=${types% }
[[ -n $types ]] || die "GET /api/v1/entities reported no entities: $counts"
log "entity types served: $types"
has_type() { [[ " $types " == *" $1 "* ]]; }

paths=$work/paths
mkdir -p "$paths"
# Random entities of every served type, each entity equally likely; "/" in ids becomes %2F.
awk -F'\t' -v types="$types" '
	BEGIN { n = split(types, t, " "); for (i = 1; i <= n; i++) want[t[i]] = 1 }
	want[$1] { id = $2; gsub("/", "%2F", id); print "/api/v1/entities/" $1 "/" id }' \
	"$work/manifest.tsv" > "$paths/entity.txt"
# The first 20-item page of each type.
for t in $types; do echo "/api/v1/entities/$t?limit=20"; done > "$paths/page.txt"
# Searches for words of labels, as often as they occur in labels (so common words like
# "sample" come up more often than rare ones), within the type of the entity they came from.
awk -F'\t' -v types="$types" -v seed="$seed" '
	BEGIN { n = split(types, t, " "); for (i = 1; i <= n; i++) want[t[i]] = 1 }
	want[$1] {
		k = split(tolower($3), w, /[^a-z]+/)
		for (i = 1; i <= k; i++) if (length(w[i]) >= 3) all[++count] = "/api/v1/entities/" $1 "?q=" w[i]
	}
	END { srand(seed); for (i = 0; i < 5000 && count > 0; i++) print all[int(rand() * count) + 1] }' \
	"$work/manifest.tsv" > "$paths/search.txt"
has_type category && awk -F'\t' '$1 == "category" { print "/api/v1/categories/" $2 "/graph" }' \
	"$work/manifest.tsv" > "$paths/graph.txt"
has_type property && awk -F'\t' '$1 == "property" { print "/api/v1/entities/property/" $2 "/used-by" }' \
	"$work/manifest.tsv" > "$paths/used-by.txt"

# probe GETs the first three and three random paths of a list and fails unless each answers 200.
probe() {
	local name=$1 file=$2 url=$3 path code
	while read -r path; do
		code=$(curl -s -o "$work/probe.body" -w '%{http_code}' "$url$path")
		if [[ $code != 200 ]]; then
			echo "GET $path answered $code:" >&2
			head -c 600 "$work/probe.body" >&2
			echo >&2
			die "scenario $name: its endpoint does not answer 200"
		fi
	done < <(head -3 "$file"
		awk -v seed="$seed" 'BEGIN { srand(seed) } { all[NR] = $0 }
		END { for (i = 0; i < 3; i++) print all[int(rand() * NR) + 1] }' "$file")
}

# --- load --------------------------------------------------------------------------------------

# Results per scenario, in the order run.
names=()
rps=()
p50=()
p99=()
non2xx=()
errors=()
rss_start=()
rss_max=()
rss_end=()
requests=()
log_bytes=()
serial=()
failed=()

# to_ms converts a wrk duration (850.00us, 1.23ms, 2.01s, 1.00m) to milliseconds.
to_ms() {
	awk -v d="$1" 'BEGIN {
		v = d + 0; u = d; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.2f", v }'
}

# cpu_ticks prints the CPU time a process has used, in clock ticks (user + system).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# quiesce waits until process pid uses less than 5% of a CPU, at most two minutes. When wrk stops
# it abandons the requests in flight, but the server finishes them: a slow endpoint would
# otherwise still be busy with the warm-up's requests, or the last scenario's, when the next
# measurement starts.
quiesce() {
	local pid=$1 before after hz waited
	hz=$(getconf CLK_TCK)
	for waited in $(seq 120); do
		kill -0 "$pid" 2> /dev/null || die "process $pid is gone (see $work/server.log)"
		before=$(cpu_ticks "$pid")
		sleep 1
		after=$(cpu_ticks "$pid")
		if (((after - before) * 20 <= hz)); then
			((waited > 2)) && log "waited ${waited}s for pid $pid to finish abandoned requests"
			return 0
		fi
	done
	log "warning: pid $pid is still busy after 120s; measuring anyway"
}

# serial_latency GETs up to 20 random paths of file one at a time, for at most 20 seconds, and
# prints the median and the largest time in ms and how many were sent ("1.20/3.40 (20)"): the cost
# of a request without any queueing, which wrk's closed loop of 32 connections always adds.
serial_latency() {
	local file=$1 url=$2 path deadline=$((SECONDS + 20)) times=$work/serial.txt
	: > "$times"
	while read -r path; do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url$path" >> "$times"
		((SECONDS < deadline)) || break
	done < <(awk -v seed="$seed" 'BEGIN { srand(seed + 1) } { all[NR] = $0 }
		END { for (i = 0; i < 20; i++) print all[int(rand() * NR) + 1] }' "$file")
	awk '$1 != 200 { bad++ } END { if (bad) printf "%d non-200 of ", bad }' "$times"
	awk '{ print $2 * 1000 }' "$times" | sort -n |
		awk '{ t[NR] = $1 } END { printf "%.2f/%.2f (%d)\n", t[int((NR + 1) / 2)], t[NR], NR }'
}

# run_wrk runs wrk against url with the paths in file for a duration; its output goes to out.
run_wrk() {
	local url=$1 file=$2 for=$3 out=$4
	if ! wrk -t"$threads" -c"$connections" -d"$for" --latency --timeout 30s -s "$lua" "$url" -- "$file" > "$out" 2>&1; then
		cat "$out" >&2
		die "wrk failed"
	fi
	grep -q 'requests in' "$out" || {
		cat "$out" >&2
		die "wrk did not run"
	}
}

# scenario runs one scenario: a warm-up, then the measured run while the RSS of pid is sampled
# every second. A response that is not 2xx marks the scenario failed: the run goes on, so the
# table shows everything, and exits 1 at the end.
scenario() {
	local name=$1 url=$2 file=$3 pid=$4 out=$work/wrk-$1.txt samples=$work/rss-$1.txt
	[[ -s $file ]] || {
		log "skipping $name: no paths"
		return 0
	}
	probe "$name" "$file" "$url"
	log "$name: $(wc -l < "$file") paths; warm-up $warmup, then $duration with $connections connections on $threads threads"
	quiesce "$pid"
	serial+=("$(serial_latency "$file" "$url")")
	if [[ $warmup != 0 && $warmup != 0s ]]; then
		run_wrk "$url" "$file" "$warmup" "$work/wrk-$name-warmup.txt"
		quiesce "$pid"
	fi
	[[ $pid == "$server_pid" ]] && : > "$work/server.log" # appended to (>>), so truncating is safe
	rss "$pid" > "$samples"
	(while kill -0 "$pid" 2> /dev/null; do
		sleep 1
		rss "$pid"
	done) >> "$samples" &
	sampler_pid=$!
	run_wrk "$url" "$file" "$duration" "$out"
	stop "$sampler_pid"
	sampler_pid=
	rss "$pid" >> "$samples"

	local bad socket
	bad=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out")
	bad=${bad:-0}
	socket=$(sed -n 's/.*Socket errors: *\(.*\)/\1/p' "$out")
	names+=("$name")
	rps+=("$(awk '/^Requests\/sec:/ { print $2 }' "$out")")
	p50+=("$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")")
	p99+=("$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")")
	requests+=("$(awk '/requests in/ { print $1 }' "$out")")
	non2xx+=("$bad")
	errors+=("${socket:-none}")
	rss_start+=("$(head -1 "$samples")")
	rss_max+=("$(sort -n "$samples" | tail -1)")
	rss_end+=("$(tail -1 "$samples")")
	if [[ $pid == "$server_pid" ]]; then
		log_bytes+=("$(stat -c %s "$work/server.log")")
		# The statuses the server logged, and the last lines, for the record; then the log is
		# emptied to keep the disk free.
		grep -o '"status":[0-9]*' "$work/server.log" | sort | uniq -c | awk '{ printf "%s×%s ", $1, substr($2, 10) }' > "$work/statuses-$name.txt" || true
		tail -200 "$work/server.log" > "$work/server-$name.log"
		: > "$work/server.log"
	else
		log_bytes+=(0)
		: > "$work/statuses-$name.txt"
	fi
	log "$name: ${rps[-1]} requests/s (${requests[-1]} requests), p99 ${p99[-1]} ms, non-2xx $bad, socket errors ${socket:-none}"
	if ((${requests[-1]} < 10 * connections)); then
		log "warning: $name completed only ${requests[-1]} requests: too few for stable numbers (requests slower than the run are not counted)"
	fi
	if ((bad > 0 || ${requests[-1]} == 0)); then
		failed+=("$name")
		echo "run.sh: scenario $name: $bad responses were not 2xx, ${requests[-1]} completed; statuses the server logged: $(cat "$work/statuses-$name.txt")" >&2
		echo "run.sh: the last lines of its log are in $work/server-$name.log" >&2
	fi
}

scenario "ceiling" "http://$ceiling_addr" "$paths/entity.txt" "$ceiling_pid"
for name in ${scenarios//,/ }; do
	scenario "$name" "$base" "$paths/$name.txt" "$server_pid"
done
scenario "ceiling-end" "http://$ceiling_addr" "$paths/entity.txt" "$ceiling_pid"
end_load=$(loadavg)

# --- report ------------------------------------------------------------------------------------

ceiling_rps=$(awk -v a="${rps[0]}" -v b="${rps[-1]}" 'BEGIN { printf "%.1f", (a + b) / 2 }')
ratio_target() {
	case $1 in
	entity) echo 0.5 ;;
	page) echo 0.3 ;;
	search | graph) echo 0.2 ;;
	*) echo "" ;;
	esac
}
describe() {
	case $1 in
	ceiling) echo "ceiling (net/http JSON), first" ;;
	ceiling-end) echo "ceiling, last" ;;
	entity) echo "GET random entity" ;;
	page) echo "20-item page of each type" ;;
	search) echo "search ?q=word" ;;
	graph) echo "category graph" ;;
	used-by) echo "property used-by" ;;
	esac
}

echo
echo "ontohub load test: $categories categories (seed $seed), wrk $connections connections, $threads threads, $duration per scenario (+ $warmup warm-up)"
echo "machine: $(nproc) CPUs; load average at start $start_load, at end $end_load"
echo "ingest: ${ingest_seconds}s; ceiling = mean of the first and last ceiling runs = $ceiling_rps requests/s"
awk -v a="${rps[0]}" -v b="${rps[-1]}" 'BEGIN { d = (a > b ? a - b : b - a) / ((a + b) / 2)
	if (d > 0.2) printf "warning: the two ceiling runs differ by %.0f%%: the machine was busy with something else, ratios are rough\n", d * 100 }'
echo
printf '%-31s %11s %7s %-12s %8s %8s %5s  %-22s %7s  %s\n' \
	scenario requests/s ratio "(target)" "p50 ms" "p99 ms" "(<5)" "RSS MiB start/max/end" non-2xx "1-at-a-time ms p50/max (n)"
for i in "${!names[@]}"; do
	name=${names[$i]}
	target=$(ratio_target "$name")
	ratio=$(awk -v r="${rps[$i]}" -v c="$ceiling_rps" 'BEGIN { printf "%.2f", r / c }')
	verdict=
	if [[ -n $target ]]; then
		verdict=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print ">=" t " " (r >= t ? "ok" : "MISS") }')
	fi
	p99_verdict=$(awk -v p="${p99[$i]}" 'BEGIN { print (p < 5 ? "ok" : "MISS") }')
	[[ $name == ceiling* ]] && p99_verdict=
	if ((non2xx[i] > 0)); then
		verdict="INVALID" p99_verdict=
	elif ((requests[i] == 0)); then
		verdict="NO DATA" p99_verdict=
	fi
	printf '%-31s %11.1f %7s %-12s %8s %8s %5s  %-22s %7s  %s\n' "$(describe "$name")" "${rps[$i]}" "$ratio" "$verdict" \
		"${p50[$i]}" "${p99[$i]}" "$p99_verdict" "${rss_start[$i]}/${rss_max[$i]}/${rss_end[$i]}" "${non2xx[$i]}" "${serial[$i]}"
done
echo
# The server's RSS over the whole run: the first sample of the first ontohub scenario, the
# largest of all, the last.
server_rss=$(for i in "${!names[@]}"; do
	[[ ${names[$i]} == ceiling* ]] || echo "${rss_start[$i]} ${rss_max[$i]} ${rss_end[$i]}"
done | awk 'NR == 1 { first = $1 } { if ($2 > max) max = $2; last = $3 }
	END { printf "%s MiB when the load started, %s MiB at most, %s MiB at the end", first, max, last }')
echo "ontohub RSS: $idle_rss MiB idle after start; $server_rss (target: < 100 MiB and flat)"
echo "access log written during the measured runs: $(for b in "${log_bytes[@]}"; do echo "$b"; done | awk '{ s += $1 } END { printf "%.1f MiB", s / 1048576 }')"
for i in "${!names[@]}"; do
	[[ ${errors[$i]} == none ]] || echo "socket errors in ${names[$i]}: ${errors[$i]}"
	((requests[i] >= 10 * connections)) || echo "too few requests in ${names[$i]} (${requests[$i]}): its numbers are not stable"
done
if ((${#failed[@]} > 0)); then
	echo
	for name in "${failed[@]}"; do
		echo "FAILED: $name answered non-2xx responses or completed none; server statuses: $(cat "$work/statuses-$name.txt")"
	done
	exit 1
fi
