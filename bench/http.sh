#!/bin/bash
# bench/http.sh: GET /v1/persons/{id} on muster against nginx serving a
# static file of the same size, with the same wrk settings (keep-alive,
# 64 connections, the same Lua script and header: nginx answers every path
# with the file), in the same run. Prints both and the ratio.
#
#   bash bench/http.sh [PERSONS] [SECONDS]
#
# Needs wrk and nginx (scripts/deps.sh --bench installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
PERSONS=${1:-100000}
SECS=${2:-10}
CONNS=64
THREADS=2
BIN=${MUSTER_BIN:-build/muster}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup

echo "building a register of $PERSONS persons..." >&2
"$BIN" demo --db "$TMP/reg.db" --persons "$PERSONS" --no-serve > "$TMP/demo.txt"
CLERK=$(awk '/clerk \(national\)/ {print $NF}' "$TMP/demo.txt")

MPORT=$(free_port)
"$BIN" serve --db "$TMP/reg.db" --listen "127.0.0.1:$MPORT" --no-access-log 2>"$TMP/muster.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$MPORT/healthz" >/dev/null && break; sleep 0.1; done

# A static file of the same size as a typical person record.
curl -sf -H "Authorization: Bearer $CLERK" "http://127.0.0.1:$MPORT/v1/persons/RU-0000000001" > "$TMP/person.json"
SIZE=$(stat -c %s "$TMP/person.json")
NPORT=$(free_port)
nginx_serving "$TMP/person.json" person.json "$NPORT"

cat > "$TMP/random.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/v1/persons/RU-%010d", math.random(1, $PERSONS)))
end
LUA

run_wrk() { wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@"; }
echo "muster: GET /v1/persons/{random id}, $SIZE-byte answers" >&2
run_wrk -H "Authorization: Bearer $CLERK" -s "$TMP/random.lua" "http://127.0.0.1:$MPORT/" > "$TMP/wrk-muster.txt"
# the same client for nginx: the same script and header (every path is
# answered with the file), as bench/checks.sh does
echo "nginx: the same requests, every path answered with person.json ($SIZE bytes)" >&2
run_wrk -H "Authorization: Bearer $CLERK" -s "$TMP/random.lua" "http://127.0.0.1:$NPORT/" > "$TMP/wrk-nginx.txt"

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1=="99%" {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {print $NF}' "$1"; }
M=$(rps "$TMP/wrk-muster.txt"); N=$(rps "$TMP/wrk-nginx.txt")
echo
echo "muster  $M req/s  p99 $(p99 "$TMP/wrk-muster.txt")  non-2xx: $(non2xx "$TMP/wrk-muster.txt" || true)"
echo "nginx   $N req/s  p99 $(p99 "$TMP/wrk-nginx.txt")"
python3 -c "print('ratio muster/nginx: %.2f' % ($M / $N))"
RSS=$(ps -o rss= -p "${PIDS[0]}")
echo "muster RSS: $((RSS / 1024)) MiB"
AUDITED=$(sqlite3 "$TMP/reg.db" "select count(*) from audit_log where action='person.read'" 2>/dev/null || echo "?")
echo "person reads audited so far: $AUDITED"
