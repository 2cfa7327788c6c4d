#!/bin/bash
# bench/checks.sh: GET /v1/checks/exit/{random id} on a register of 1M
# persons, 100k of them barred from leaving the country, against nginx
# serving a static file of the same size as the typical answer, with the same
# wrk settings (keep-alive, 64 connections, 2 threads), in the same run.
# "The same settings" is the same client: nginx gets the very requests
# muster gets (the Lua script's random /v1/checks/exit/{id} paths and the
# Authorization header) and answers every path with the file (one rewrite).
# The first versions of this bench sent nginx a fixed GET /check.json with
# no script: wrk then spent about 3 us less per request on nginx's run, on
# two cores shared with the servers (NGINX_CLIENT=plain measures that way).
# Prints both, the ratios, muster's RSS, and verifies that every answered
# check was audited.
#
#   bash bench/checks.sh [PERSONS] [RESTRICTED] [SECONDS]   (ROUNDS=7 by default)
#
# Building the register takes minutes (see below). With BENCH_DB=PATH the
# register is kept there (tokens in PATH.tokens) and reused by the next run
# with the same PATH, which then only measures.
#
# How the register is made, honestly and through the product:
#   1. `muster demo --persons N --no-serve` builds the persons (bulk insert).
#   2. Every (N/RESTRICTED)-th person gets a summons issued through the HTTP
#      API at real time (report in 30 days), then `handed` at its issue
#      instant: the rules engine imposes the exit bar at once, the store
#      materialises it and records it in the feed. A small threaded Python
#      client (keep-alive, 8 connections) does the 2 x RESTRICTED writes;
#      they are serialised by muster's writer thread, so this takes minutes.
#   3. muster is restarted (SIGTERM, clean) and measured with wrk.
# The audit check: muster's own 2xx counter (/metrics) is read before and
# after the wrk run; after a clean stop (which flushes the read-audit queue)
# the audit log must have grown by exactly that many entries.
#
# PERF_STAT=1 adds each server's instructions per request (perf stat; needs
# perf, from Debian's linux-perf).
#
# Needs wrk, nginx, sqlite3, curl, python3 (scripts/deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
PERSONS=${1:-1000000}
RESTRICTED=${2:-100000}
SECS=${3:-5}
ROUNDS=${ROUNDS:-7}
CONNS=64
THREADS=2
LOADERS=8
BIN=${MUSTER_BIN:-build/muster}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup
start_muster() {
	"$BIN" serve --db "$DB" --listen "127.0.0.1:$MPORT" --no-access-log 2>>"$TMP/muster.log" &
	MPID=$!
	PIDS+=("$MPID")
	wait_up "http://127.0.0.1:$MPORT/healthz"
}
stop_muster() {
	kill -TERM "$MPID"
	wait "$MPID" || { echo "muster did not stop cleanly" >&2; tail "$TMP/muster.log" >&2; exit 1; }
}
# snap FILE: save muster's /metrics; val FILE NAME: one value from it.
snap() { curl -sf -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$MPORT/metrics" > "$1"; }
val() { awk -v m="$2" '$1 == m {print $2}' "$1"; }

DB=${BENCH_DB:-$TMP/reg.db}
REUSE=0
[ -n "${BENCH_DB:-}" ] && [ -s "$DB" ] && [ -s "$DB.tokens" ] && REUSE=1
t0=$(date +%s)
if [ "$REUSE" = 0 ]; then
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.tokens"
	echo "building a register of $PERSONS persons..." >&2
	"$BIN" demo --db "$DB" --persons "$PERSONS" --no-serve > "$DB.tokens"
	echo "  $(( $(date +%s) - t0 )) s" >&2
else
	echo "reusing the register $DB" >&2
fi
ADMIN=$(awk '$1 == "admin" {print $NF}' "$DB.tokens")
CLERK=$(awk '/clerk \(national\)/ {print $NF}' "$DB.tokens")
EXIT=$(awk '$1 == "agency" && $2 == "exit" {print $NF}' "$DB.tokens")

cat > "$TMP/restrict.py" <<'PY'
"""Issue a summons to every STEP-th person and record `handed` at once."""
import datetime as dt, http.client, json, sys, threading, time
port, clerk, persons, count, nthreads = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
step = persons // count
ids = ["RU-%010d" % (1 + k * step) for k in range(count)]
ok, bad, errs = [0] * nthreads, [0] * nthreads, []

def post(conn, path, body):
    conn.request("POST", path, body=json.dumps(body),
                 headers={"Authorization": "Bearer " + clerk, "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, json.loads(r.read())

def work(t):
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=300)
    for nid in ids[t::nthreads]:
        report = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
        s, b = post(conn, "/v1/summonses", {"national_id": nid, "purpose": "data_clarification",
                                            "report_at": report.strftime("%Y-%m-%dT%H:%M:%SZ")})
        if s == 201:
            s, b = post(conn, "/v1/summonses/%s/events" % b["id"],
                        {"type": "handed", "at": b["issued_at"]})
        if s == 201:
            ok[t] += 1
        else:
            bad[t] += 1
            if len(errs) < 5:
                errs.append((nid, s, str(b)[:300]))

t0 = time.time()
th = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(nthreads)]
for x in th:
    x.start()
while any(x.is_alive() for x in th):
    time.sleep(1)
    if int(time.time() - t0) % 30 == 0:
        print("  %d of %d barred, %.0f/s" % (sum(ok), count, sum(ok) / (time.time() - t0)),
              file=sys.stderr)
print("  barred %d persons (%d failed) in %.0f s" % (sum(ok), sum(bad), time.time() - t0),
      file=sys.stderr)
for e in errs:
    print("  failed:", e, file=sys.stderr)
sys.exit(1 if sum(bad) else 0)
PY

MPORT=$(free_port)
if [ "$REUSE" = 0 ]; then
	start_muster
	echo "barring $RESTRICTED persons through the API (issue + handed)..." >&2
	python3 "$TMP/restrict.py" "$MPORT" "$CLERK" "$PERSONS" "$RESTRICTED" "$LOADERS"
	stop_muster
fi
BARRED=$(sqlite3 "$DB" "select count(*) from restrictions where kind='exit'")
echo "exit bars in force: $BARRED" >&2

start_muster
STEP=$((PERSONS / RESTRICTED))
# Typical answers: a barred and a free person.
curl -sf -H "Authorization: Bearer $EXIT" "http://127.0.0.1:$MPORT/v1/checks/exit/RU-$(printf %010d $((1 + STEP)))" > "$TMP/barred.json"
curl -sf -H "Authorization: Bearer $EXIT" "http://127.0.0.1:$MPORT/v1/checks/exit/RU-$(printf %010d $((2 + STEP)))" > "$TMP/free.json"
grep -q '"permitted":false' "$TMP/barred.json" || { echo "RU-$((1 + STEP)) is not barred" >&2; exit 1; }
grep -q '"permitted":true' "$TMP/free.json" || { echo "RU-$((2 + STEP)) is barred" >&2; exit 1; }
SIZE=$(stat -c %s "$TMP/free.json")
BSIZE=$(stat -c %s "$TMP/barred.json")

# nginx: the free answer (what 1 - 1/STEP of random ids get) as a static file.
NPORT=$(free_port)
nginx_serving "$TMP/free.json" check.json "$NPORT"
cmp -s "$TMP/free.json" <(curl -sf "http://127.0.0.1:$NPORT/v1/checks/exit/RU-0000000001") ||
	{ echo "nginx does not answer a check path with the file" >&2; exit 1; }

cat > "$TMP/random.lua" <<LUA
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
function init(args) math.randomseed(42 + tid) end
request = function()
  return wrk.format("GET", string.format("/v1/checks/exit/RU-%010d", math.random(1, $PERSONS)))
end
LUA

run_wrk() { wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@"; }
sleep 1
# entries in the log: during the run only checks are appended
AUDIT0=$(sqlite3 "$DB" "select coalesce(sum(n), 0) from audit_chunks")
snap "$TMP/m0.txt"
# Rounds alternate muster and nginx: this machine's speed drifts by a third
# within a minute (other tenants), so one run of each compares two
# different machines. Each side reports its median round.
echo "muster: GET /v1/checks/exit/{random id}, answers of $SIZE bytes (free) and $BSIZE (barred, 1 in $STEP)" >&2
if [ "${NGINX_CLIENT:-same}" = plain ]; then
	echo "nginx: GET /check.json ($SIZE bytes), no script, no header (NGINX_CLIENT=plain); $ROUNDS rounds of ${SECS}s each, alternating" >&2
else
	echo "nginx: the same requests, every path answered with check.json ($SIZE bytes); $ROUNDS rounds of ${SECS}s each, alternating" >&2
fi
# CPU time (user + system, in clock ticks) of processes, to report each
# server's CPU per request: a figure the machine's drift hardly moves.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
NGINX_WORKERS=$(pgrep -f "nginx: worker process" | tr '\n' ' ')
# PERF_STAT=1: also count each server's instructions (user, kernel) over
# its wrk runs with perf stat, a figure steadier still than CPU time.
pstat_on() { # SIDE ROUND PIDS...
	[ -n "${PERF_STAT:-}" ] || return 0
	local side=$1 round=$2; shift 2
	perf stat -x, -e instructions:u,instructions:k -p "$(echo "$@" | tr ' ' ',')" \
		-o "$TMP/perf-$side-$round.txt" 2>/dev/null &
	PSP=$!
	sleep 0.2
}
pstat_off() { [ -n "${PERF_STAT:-}" ] || return 0; kill -INT "$PSP"; wait "$PSP" || true; }
if [ -n "${PERF_STAT:-}" ] && ! command -v perf >/dev/null; then
	echo "PERF_STAT needs perf (linux-perf)" >&2; exit 1
fi
MT=0; NT=0
for r in $(seq "$ROUNDS"); do
	t0=$(ticks "$MPID")
	pstat_on muster "$r" "$MPID"
	run_wrk -H "Authorization: Bearer $EXIT" -s "$TMP/random.lua" "http://127.0.0.1:$MPORT/" > "$TMP/wrk-muster-$r.txt"
	pstat_off
	t1=$(ticks "$MPID"); MT=$((MT + t1 - t0))
	# shellcheck disable=SC2086
	t0=$(ticks $NGINX_WORKERS)
	# shellcheck disable=SC2086
	pstat_on nginx "$r" $NGINX_WORKERS
	if [ "${NGINX_CLIENT:-same}" = plain ]; then
		run_wrk "http://127.0.0.1:$NPORT/check.json" > "$TMP/wrk-nginx-$r.txt"
	else
		run_wrk -H "Authorization: Bearer $EXIT" -s "$TMP/random.lua" \
			"http://127.0.0.1:$NPORT/" > "$TMP/wrk-nginx-$r.txt"
	fi
	pstat_off
	# shellcheck disable=SC2086
	t1=$(ticks $NGINX_WORKERS); NT=$((NT + t1 - t0))
	echo "  round $r: muster $(awk '/Requests\/sec/ {print $2}' "$TMP/wrk-muster-$r.txt"), nginx $(awk '/Requests\/sec/ {print $2}' "$TMP/wrk-nginx-$r.txt") req/s" >&2
done
snap "$TMP/m1.txt"
RSS=$(ps -o rss= -p "$MPID")
stop_muster
AUDIT1=$(sqlite3 "$DB" "select coalesce(sum(n), 0) from audit_chunks")

ms() { python3 -c "import re,sys; v,u=re.match(r'([\d.]+)(us|ms|s)$',sys.argv[1]).groups(); print(float(v)*{'us':1e-3,'ms':1,'s':1e3}[u])" "$1"; }
# median FIELD SIDE: the median over the rounds of req/s or p99 (ms)
median() {
	for f in "$TMP"/wrk-"$2"-*.txt; do
		if [ "$1" = rps ]; then awk '/Requests\/sec/ {print $2}' "$f"; else ms "$(awk '$1=="99%" {print $2}' "$f")"; fi
	done | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
total() { cat "$TMP"/wrk-muster-*.txt | awk '/requests in/ {s+=$1} END {print s}'; }
non2xx() { cat "$TMP"/wrk-muster-*.txt | awk '/Non-2xx/ {s+=$NF} END {print s+0}'; }
M=$(median rps muster); N=$(median rps nginx)
MP=$(median p99 muster); NP=$(median p99 nginx)
OK2XX='muster_responses_total{class="2xx"}'
# Minus the first /metrics call: counted once its answer was queued.
ANSWERED=$(($(val "$TMP/m1.txt" "$OK2XX") - $(val "$TMP/m0.txt" "$OK2XX") - 1))
REFUSED=$(($(val "$TMP/m1.txt" muster_audit_refusals_total) - $(val "$TMP/m0.txt" muster_audit_refusals_total)))
HITS=$(($(val "$TMP/m1.txt" muster_check_index_hits_total) - $(val "$TMP/m0.txt" muster_check_index_hits_total)))
AUDITED=$((AUDIT1 - AUDIT0))
echo
echo "register: $PERSONS persons, $BARRED barred from leaving"
echo "muster  $M req/s  p99 ${MP}ms  non-2xx: $(non2xx)  (median of $ROUNDS rounds)"
echo "nginx   $N req/s  p99 ${NP}ms  (median of $ROUNDS rounds)"
python3 -c "print('ratio muster/nginx: %.2fx req/s, %.2fx p99 latency' % ($M / $N, $MP / $NP))"
NTOTAL=$(cat "$TMP"/wrk-nginx-*.txt | awk '/requests in/ {s+=$1} END {print s}')
HZ=$(getconf CLK_TCK)
python3 -c "m, n = $MT / $HZ / $(total) * 1e6, $NT / $HZ / $NTOTAL * 1e6; print('server CPU per request (user + system): muster %.1f us, nginx %.1f us, ratio %.2fx' % (m, n, m / n))"
python3 -c "
import re, glob
def rps(f): return float(re.search(r'Requests/sec:\s+([\d.]+)', open(f).read()).group(1))
print('per-round ratios: ' + ', '.join('%.2f' % (rps('$TMP/wrk-muster-%d.txt' % r) / rps('$TMP/wrk-nginx-%d.txt' % r)) for r in range(1, $ROUNDS + 1)))"
[ -z "${PERF_STAT:-}" ] || python3 - "$TMP" "$ROUNDS" <<'PY'
import re, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def per_request(side):
    ins = {"u": 0, "k": 0}; req = 0
    for r in range(1, rounds + 1):
        for line in open("%s/perf-%s-%d.txt" % (tmp, side, r)):
            f = line.strip().split(",")
            if len(f) > 2 and f[0].isdigit() and f[2].startswith("instructions:"):
                ins[f[2][-1]] += int(f[0])
        req += int(re.search(r"(\d+) requests in", open("%s/wrk-%s-%d.txt" % (tmp, side, r)).read()).group(1))
    return ins["u"] / req, ins["k"] / req
mu, mk = per_request("muster"); nu, nk = per_request("nginx")
print("instructions per request (perf stat, user + kernel): muster %.0f + %.0f, nginx %.0f + %.0f, ratio %.2fx"
      % (mu, mk, nu, nk, (mu + mk) / (nu + nk)))
PY
echo "muster RSS after the run: $((RSS / 1024)) MiB; the checks' index: $(val "$TMP/m1.txt" muster_check_index_entries) persons, $(( $(val "$TMP/m1.txt" muster_check_index_bytes) / 1048576 )) MiB"
echo "checks answered 2xx (server counter): $ANSWERED, from memory: $HITS, refused 503 (audit queue full): $REFUSED; wrk counted $(total) requests"
echo "checks audited (entries appended to the audit log): $AUDITED"
if [ "$ANSWERED" -ne "$AUDITED" ]; then
	echo "FAIL: $ANSWERED checks answered but $AUDITED audited" >&2
	exit 1
fi
echo "every answered check is audited"
