#!/usr/bin/env bash
# The contract, the TypeScript SDK and Swagger UI, checked end to end:
#   1. lint openapi.yaml with Redocly CLI (zero errors; tools/redocly.yaml);
#   2. check that the committed sdk/typescript/src/schema.d.ts is what openapi.yaml generates;
#   3. type-check the SDK (tsc --noEmit);
#   4. start the real server (bin/ontohub serve) on a free port against a fresh database holding
#      examples/ontology, run the SDK smoke test, the Swagger UI browser test (Debian's
#      chromium through playwright-core; screenshot artifacts/docs.png) and the draft page
#      browser test (a draft with changes and a finding opened through its capability URL;
#      screenshots artifacts/draft-page.png and artifacts/draft-page-phone.png).
# Needs Go, Node 20+, npm, psql/createdb/dropdb access to PostgreSQL (PGHOST, default 127.0.0.1,
# user postgres) and, when /usr/bin/chromium is missing, root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/usr/local/go/bin:$PATH"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
# Redocly CLI: no usage reports, no update checks (CI has no internet).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step() { printf '\n==> sdk: %s\n' "$*"; }
fail() { printf 'sdk: FAILED: %s\n' "$*" >&2; exit 1; }

step "build bin/ontohub"
go build -o bin/ontohub ./cmd/ontohub

step "chromium"
if [ ! -x /usr/bin/chromium ]; then
  echo "/usr/bin/chromium is missing; installing Debian's chromium"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
/usr/bin/chromium --version 2>/dev/null

step "npm ci (tools, sdk/typescript, e2e)"
for dir in tools sdk/typescript e2e; do
  (cd "$dir" && npm ci --no-audit --no-fund)
done

step "lint openapi.yaml (Redocly CLI, tools/redocly.yaml)"
(cd tools && npm run --silent lint) || fail "openapi.yaml has lint errors (see above)"

step "TypeScript SDK is generated from the current openapi.yaml"
scratch=$(mktemp -d)
db=""
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$db" ]; then
    dropdb --if-exists "$db" || echo "sdk: could not drop database $db" >&2
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
(cd sdk/typescript && npx openapi-typescript ../../openapi.yaml --output "$scratch/schema.d.ts" >/dev/null)
if ! diff -u sdk/typescript/src/schema.d.ts "$scratch/schema.d.ts"; then
  fail "sdk/typescript/src/schema.d.ts is stale: run 'npm run generate' in sdk/typescript and commit it"
fi
echo "src/schema.d.ts is current"

step "type-check the TypeScript SDK (tsc --noEmit)"
(cd sdk/typescript && npm run --silent typecheck)
echo "no type errors"

step "start bin/ontohub serve on a fresh database"
db="ontohub_sdk_ci_$$_${RANDOM}"
createdb "$db"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base="http://127.0.0.1:$port"
mkdir -p artifacts
log="$root/artifacts/sdk-server.log"
env DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable" \
  LISTEN_ADDR="127.0.0.1:$port" RATE_LIMIT_ENABLED=false REDIS_URL= PUBLIC_BASE_URL= \
  MIGRATE_ON_START=true LOG_FORMAT=text \
  ./bin/ontohub serve --ingest ./examples/ontology >"$log" 2>&1 &
server_pid=$!
healthy=""
for _ in $(seq 1 60); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$log" >&2
    fail "the server exited during start-up"
  fi
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$base/health"; then
    healthy=yes
    break
  fi
  sleep 0.5
done
if [ -z "$healthy" ]; then
  tail -n 50 "$log" >&2
  fail "$base/health did not answer 200 within 30 seconds"
fi
echo "serving on $base (database $db, log artifacts/sdk-server.log)"

step "TypeScript SDK smoke test against the live server"
(cd sdk/typescript && ONTOHUB_URL="$base" npm run --silent smoke) || {
  tail -n 30 "$log" >&2
  fail "TypeScript SDK smoke test"
}

step "Swagger UI browser test (chromium + playwright-core), screenshot artifacts/docs.png"
rm -f artifacts/docs.png
(cd e2e && ONTOHUB_URL="$base" SCREENSHOT="$root/artifacts/docs.png" npm run --silent test) || {
  tail -n 30 "$log" >&2
  fail "Swagger UI browser test"
}
[ -s artifacts/docs.png ] || fail "no screenshot at artifacts/docs.png"

step "draft page browser test (chromium + playwright-core), screenshots artifacts/draft-page*.png"
rm -f artifacts/draft-page.png artifacts/draft-page-phone.png
(cd e2e && ONTOHUB_URL="$base" SERVER_LOG="$log" SCREENSHOT="$root/artifacts/draft-page.png" \
  SCREENSHOT_PHONE="$root/artifacts/draft-page-phone.png" npm run --silent test:page) || {
  tail -n 30 "$log" >&2
  fail "draft page browser test"
}
[ -s artifacts/draft-page.png ] && [ -s artifacts/draft-page-phone.png ] || fail "no screenshots at artifacts/draft-page*.png"

step "stop the server, drop the database"
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server did not shut down cleanly (see artifacts/sdk-server.log)"
server_pid=""
dropdb "$db"
db=""
echo "sdk: all checks passed"
