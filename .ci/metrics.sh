#!/usr/bin/env bash
# The metrics and the dashboard, checked against a real Prometheus:
#   1. `promtool check config` on the compose stack's deploy/prometheus/prometheus.yml;
#   2. start the real server (bin/ontohub serve --ingest examples/ontology) on a fresh database,
#      with its metrics on METRICS_ADDR and a small read budget (so that some requests get 429);
#   3. start Debian's Prometheus scraping it every second under the compose job name (ontohub);
#   4. send some traffic: reads, lists, unknown paths, drafts created and read, past the budget;
#   5. run every query of deploy/grafana/dashboards/ontohub.json through Prometheus' HTTP API
#      (/api/v1/query, Grafana's $__rate_interval as 1m) and fail if any returns no data (no
#      series, or only NaN).
# Needs Go, curl, jq, node (for free ports), createdb/dropdb access to PostgreSQL (PGHOST,
# default 127.0.0.1, user postgres) and Debian's prometheus package (prometheus, promtool):
# apt-get install -y prometheus (.ci/run installs it when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/usr/local/go/bin:$PATH"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

step() { printf '\n==> metrics: %s\n' "$*"; }
fail() { printf 'metrics: FAILED: %s\n' "$*" >&2; exit 1; }

for tool in go curl jq node createdb dropdb prometheus promtool; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH (prometheus, promtool: apt-get install -y prometheus)"
done
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'; }

step "promtool check config deploy/prometheus/prometheus.yml"
promtool check config deploy/prometheus/prometheus.yml

step "build bin/ontohub"
go build -o bin/ontohub ./cmd/ontohub

scratch=$(mktemp -d)
db=""
server_pid=""
prom_pid=""
mkdir -p artifacts
log="$root/artifacts/metrics-server.log"
prom_log="$root/artifacts/metrics-prometheus.log"
cleanup() {
  for pid in "$prom_pid" "$server_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "$db" ]; then
    dropdb --if-exists "$db" || echo "metrics: could not drop database $db" >&2
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

step "start bin/ontohub serve on a fresh database, metrics on METRICS_ADDR"
db="ontohub_metrics_ci_$$_${RANDOM}"
createdb "$db"
port=$(free_port)
metrics_port=$(free_port)
base="http://127.0.0.1:$port"
env DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable" \
  LISTEN_ADDR="127.0.0.1:$port" METRICS_ADDR="127.0.0.1:$metrics_port" \
  RATE_LIMIT_ENABLED=true RATE_LIMIT_READ=60/minute REDIS_URL= PUBLIC_BASE_URL= \
  MIGRATE_ON_START=true LOG_FORMAT=text LOG_LEVEL=warn \
  ./bin/ontohub serve --ingest ./examples/ontology --commit 0123456789abcdef0123456789abcdef01234567 >"$log" 2>&1 &
server_pid=$!
healthy=""
for _ in $(seq 1 60); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited during start-up"; }
  # The image's health check, run against the live server.
  if ./bin/ontohub healthcheck --url "$base/health" >/dev/null 2>&1; then
    healthy=yes
    break
  fi
  sleep 0.5
done
[ -n "$healthy" ] || { tail -n 50 "$log" >&2; fail "ontohub healthcheck did not pass within 30 seconds"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")
[ "$code" = 404 ] || fail "the API port answers /metrics with $code although METRICS_ADDR is set"
echo "serving on $base, metrics on 127.0.0.1:$metrics_port (database $db)"

step "start Prometheus scraping it every second"
prom_port=$(free_port)
prom="http://127.0.0.1:$prom_port"
cat >"$scratch/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ontohub
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF
promtool check config "$scratch/prometheus.yml" >/dev/null
prometheus --config.file="$scratch/prometheus.yml" --storage.tsdb.path="$scratch/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$prom_log" 2>&1 &
prom_pid=$!
up=""
for _ in $(seq 1 60); do
  kill -0 "$prom_pid" 2>/dev/null || { tail -n 30 "$prom_log" >&2; fail "Prometheus exited during start-up"; }
  if [ "$(curl -s "$prom/api/v1/query" --data-urlencode 'query=up{job="ontohub"}' | jq -r '.data.result[0].value[1] // empty' 2>/dev/null)" = 1 ]; then
    up=yes
    break
  fi
  sleep 0.5
done
[ -n "$up" ] || { tail -n 30 "$prom_log" >&2; fail "Prometheus does not see the server up within 30 seconds"; }

step "traffic: reads, lists, unknown paths, drafts, past the read budget"
category=$(curl -sf "$base/api/v1/entities/category?limit=1" | jq -r '.items[0].entity_id // .items[0].id')
[ -n "$category" ] && [ "$category" != null ] || fail "no category to read in examples/ontology"
for round in $(seq 1 12); do
  for _ in $(seq 1 8); do
    curl -s -o /dev/null "$base/api/v1/entities"
    curl -s -o /dev/null "$base/api/v1/entities/category/$category"
    curl -s -o /dev/null "$base/api/v1/entities/category?limit=5"
    curl -s -o /dev/null "$base/api/v1/modules"
    curl -s -o /dev/null "$base/api/v1/version"
    curl -s -o /dev/null "$base/no/such/path"
  done
  if [ "$round" -le 3 ]; then
    url=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"payload": {}}' "$base/api/v1/drafts" | jq -r .capability_url)
    curl -s -o /dev/null "$base/api/v1/drafts/${url#*#}"
  fi
  sleep 1
done
limited=$(curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^ontohub_ratelimit_decisions_total\{class="read",decision="limited"\}/ {print $2}')
[ -n "$limited" ] && [ "$limited" != 0 ] || fail "no read was refused: the read budget of 60/minute was not exhausted"
# Let Prometheus scrape what the traffic left.
sleep 3

step "every dashboard query returns data"
dashboard=deploy/grafana/dashboards/ontohub.json
mapfile -t queries < <(jq -r '.. | objects | select(has("expr")) | .expr' "$dashboard")
[ "${#queries[@]}" -gt 0 ] || fail "no queries in $dashboard"
empty=0
for q in "${queries[@]}"; do
  expr=${q//\$__rate_interval/1m}
  answer=$(curl -s "$prom/api/v1/query" --data-urlencode "query=$expr")
  status=$(jq -r .status <<<"$answer")
  # Series with a number: a panel of nothing but NaN (0/0) shows no data either.
  series=$(jq -r '[.data.result[] | select(.value[1] != "NaN")] | length' <<<"$answer" 2>/dev/null || echo 0)
  if [ "$status" != success ] || [ "$series" -eq 0 ]; then
    printf 'NO DATA  %s\n         %s\n' "$q" "$(jq -c '.error // .data' <<<"$answer")" >&2
    empty=$((empty + 1))
  else
    printf 'ok %3d   %s\n' "$series" "$q"
  fi
done
[ "$empty" -eq 0 ] || fail "$empty of ${#queries[@]} dashboard queries returned no data (logs: artifacts/metrics-*.log)"
echo "all ${#queries[@]} dashboard queries return data"

step "stop Prometheus and the server, drop the database"
kill -TERM "$prom_pid"
wait "$prom_pid" || true
prom_pid=""
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server did not shut down cleanly (see artifacts/metrics-server.log)"
server_pid=""
dropdb "$db"
db=""
echo "metrics: all checks passed"
