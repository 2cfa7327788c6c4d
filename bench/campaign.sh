#!/bin/bash
# bench/campaign.sh: a call-up campaign of 1M summonses on a register of 2M
# persons, and what it does to the agency checks meanwhile.
#
#   bash bench/campaign.sh [PERSONS] [QUOTA] [SECONDS]
#
# Prints the time to draft (POST /v1/campaigns), to approve (POST
# /v1/campaigns/{id}/approve: every summons in one transaction) and, last,
# to cancel it (POST /v1/campaigns/{id}/cancel), and the
# throughput of GET /v1/checks/exit/{random id} with the settings of
# bench/checks.sh (wrk, keep-alive, 64 connections, 2 threads) while idle
# and while the approval runs, with their ratio and the 503s (reads refused
# because the audit queue was full). Goals (issue 6): 1M summonses within
# 10 s; checks keep at least half their idle throughput during issuance.
#
# The register is built through the product: bench/gen_persons.py writes
# PERSONS persons (birth dates 1970..2007, fitness A..D or none) and
# `muster import` loads them, with offices of a daily capacity big enough
# for the quota (CAPACITY, default 5000 a working day each). With
# BENCH_DB=PATH the built register is kept at PATH (tokens in PATH.tokens)
# and later runs with the same PATH copy it instead of building it: the
# approval changes the register, so every run works on a fresh copy.
#
# The throughput figures come from muster's own counters (GET /metrics:
# 2xx answers and audit refusals), read at the start and at the end of each
# window, while wrk keeps the load on: the idle window is SECONDS long, the
# busy window is exactly the approval. wrk's own report of the run that
# overlaps the approval is printed too (its latencies include the idle
# seconds around the approval).
#
# SERVE_ARGS adds options to `muster serve` (for experiments, e.g.
# SERVE_ARGS="--audit-queue 1000000").
#
# Needs wrk, sqlite3, curl, python3 (scripts/deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
PERSONS=${1:-2000000}
QUOTA=${2:-1000000}
SECS=${3:-10}
CAPACITY=${CAPACITY:-5000}
CONNS=64
THREADS=2
BIN=${MUSTER_BIN:-build/muster}
for t in wrk sqlite3 curl python3; do
	command -v "$t" >/dev/null || { echo "campaign.sh: needs $t (scripts/deps.sh --bench)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "campaign.sh: no binary at $BIN (make build)" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup muster-bench-campaign
now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# ---- the register -------------------------------------------------------

build_register() { # PATH
	local db=$1 t0
	t0=$(now)
	rm -f "$db" "$db-wal" "$db-shm" "$db.tokens"
	echo "generating $PERSONS persons..." >&2
	python3 bench/gen_persons.py "$PERSONS" "$TMP/persons.csv"
	python3 - "$TMP/offices.csv" "$CAPACITY" <<'PY'
import sys
sys.path.insert(0, "bench")
from gen_persons import OFFICES
with open(sys.argv[1], "w") as f:
    f.write("id,name,region,timezone,daily_capacity\n")
    for oid, region, tz in OFFICES:
        f.write("%s,%s enlistment office,%s,%s,%s\n" % (oid, region, region, tz, sys.argv[2]))
PY
	"$BIN" init --db "$db" --profile ru-2023 > "$TMP/init.txt"
	echo "admin $(tail -n 1 "$TMP/init.txt")" > "$db.tokens"
	"$BIN" import offices --db "$db" "$TMP/offices.csv" >&2
	echo "importing..." >&2
	"$BIN" import persons --db "$db" "$TMP/persons.csv" --source bench >&2
	echo "commissar $("$BIN" token create --db "$db" --role commissar --label bench | tail -n 1)" >> "$db.tokens"
	echo "exit $("$BIN" token create --db "$db" --role agency --agency exit --label bench | tail -n 1)" >> "$db.tokens"
	rm -f "$TMP/persons.csv"
	echo "  register built in $(secs "$t0" "$(now)") s" >&2
}

DB=$TMP/reg.db
if [ -n "${BENCH_DB:-}" ]; then
	if [ ! -s "$BENCH_DB" ] || [ ! -s "$BENCH_DB.tokens" ]; then
		build_register "$BENCH_DB"
	else
		echo "reusing the register $BENCH_DB" >&2
	fi
	cp "$BENCH_DB" "$DB"
	cp "$BENCH_DB.tokens" "$DB.tokens"
else
	build_register "$DB"
fi
tok() { awk -v r="$1" '$1 == r {print $2}' "$DB.tokens"; }
ADMIN=$(tok admin); COMMISSAR=$(tok commissar); EXIT=$(tok exit)
N=$(sqlite3 "$DB" "select count(*) from persons")
echo "register: $N persons" >&2

# ---- the server and the load ----------------------------------------------

MPORT=$(free_port)
# shellcheck disable=SC2086
"$BIN" serve --db "$DB" --listen "127.0.0.1:$MPORT" --no-access-log ${SERVE_ARGS:-} 2>>"$TMP/muster.log" &
MPID=$!
PIDS+=("$MPID")
wait_up "http://127.0.0.1:$MPORT/healthz"
URL=http://127.0.0.1:$MPORT

cat > "$TMP/random.lua" <<LUA
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
function init(args) math.randomseed(42 + tid) end
request = function()
  return wrk.format("GET", string.format("/v1/checks/exit/RU-%010d", math.random(1, $PERSONS)))
end
LUA
start_wrk() { # SECONDS OUT
	wrk -t"$THREADS" -c"$CONNS" -d"$1s" --latency -H "Authorization: Bearer $EXIT" \
		-s "$TMP/random.lua" "$URL/" > "$2" &
	WPID=$!
	PIDS+=("$WPID")
}
# counters FILE: "TIME 2XX REFUSED 5XX" from muster's /metrics
counters() {
	local t
	t=$(now)
	curl -sf -H "Authorization: Bearer $ADMIN" "$URL/metrics" > "$TMP/metrics"
	echo "$t $(awk '$1 == "muster_responses_total{class=\"2xx\"}" {a=$2}
		$1 == "muster_audit_refusals_total" {b=$2}
		$1 == "muster_responses_total{class=\"5xx\"}" {c=$2}
		END {print a, b, c}' "$TMP/metrics")" > "$1"
}
# rate A B: 2xx answers a second between two counter snapshots (the
# /metrics call of A is counted in B: one less)
rate() { python3 -c "
import sys
a = open(sys.argv[1]).read().split(); b = open(sys.argv[2]).read().split()
print('%.0f' % ((int(b[1]) - int(a[1]) - 1) / (float(b[0]) - float(a[0]))))" "$1" "$2"; }
delta() { python3 -c "
import sys
a = open(sys.argv[1]).read().split(); b = open(sys.argv[2]).read().split()
print(int(b[int(sys.argv[3])]) - int(a[int(sys.argv[3])]))" "$1" "$2" "$3"; }

curl -sf -H "Authorization: Bearer $EXIT" "$URL/v1/checks/exit/RU-0000000001" > "$TMP/check.json"
grep -q '"permitted"' "$TMP/check.json" || { echo "the check does not answer" >&2; exit 1; }

# idle: SECS of checks, counted by muster
echo "idle checks, ${SECS} s..." >&2
start_wrk $((SECS + 2)) "$TMP/wrk-idle.txt"
sleep 1
counters "$TMP/i0"
sleep "$SECS"
counters "$TMP/i1"
wait "$WPID"
IDLE=$(rate "$TMP/i0" "$TMP/i1")

# draft (no load)
FROM=$(date -u -d "+7 days" +%Y-%m-%dT00:00:00Z)
TO=$(date -u -d "+340 days" +%Y-%m-%dT00:00:00Z)
BODY="{\"name\":\"Bench call-up\",\"legal_basis\":\"bench/campaign.sh\",\"purpose\":\"data_clarification\",
 \"report_from\":\"$FROM\",\"report_to\":\"$TO\",\"quota\":$QUOTA,
 \"criteria\":{\"born_from\":\"1900-01-01\",\"born_to\":\"2100-12-31\"}}"
echo "draft of $QUOTA..." >&2
t0=$(now)
curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" \
	-d "$BODY" "$URL/v1/campaigns" > "$TMP/draft.json" || { echo "draft failed" >&2; cat "$TMP/muster.log" >&2; exit 1; }
DRAFT_S=$(secs "$t0" "$(now)")
CID=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['id'])" "$TMP/draft.json")
SELECTED=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['selected'])" "$TMP/draft.json")

# approve under load: wrk starts first and outlasts the approval
echo "approve $SELECTED summonses under load..." >&2
start_wrk 600 "$TMP/wrk-busy.txt"
sleep 2
counters "$TMP/b0"
t0=$(now)
CODE=$(curl -s -o "$TMP/approve.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $COMMISSAR" \
	-H "Content-Type: application/json" -d '{}' "$URL/v1/campaigns/$CID/approve")
t1=$(now)
counters "$TMP/b1"
kill -INT "$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true
APPROVE_S=$(secs "$t0" "$t1")
[ "$CODE" = 200 ] || { echo "approve answered $CODE: $(head -c 500 "$TMP/approve.json")" >&2; exit 1; }
ISSUED=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['issued'])" "$TMP/approve.json")
BUSY=$(rate "$TMP/b0" "$TMP/b1")
REFUSED=$(delta "$TMP/b0" "$TMP/b1" 2)
E5XX=$(delta "$TMP/b0" "$TMP/b1" 3)
IN_DB=$(sqlite3 "$DB" "select count(*) from summonses where campaign = '$CID'")
# cancel the whole campaign: every summons gets `cancelled`, its bars lift
echo "cancel the campaign..." >&2
t0=$(now)
CODE=$(curl -s -o "$TMP/cancel.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $COMMISSAR" \
	-H "Content-Type: application/json" -d '{"reason":"bench: decree withdrawn"}' \
	"$URL/v1/campaigns/$CID/cancel")
t1=$(now)
CANCEL_S=$(secs "$t0" "$t1")
[ "$CODE" = 200 ] || { echo "cancel answered $CODE: $(head -c 500 "$TMP/cancel.json")" >&2; exit 1; }
CANCELLED=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summonses_cancelled'])" "$TMP/cancel.json")
kill -TERM "$MPID"
wait "$MPID" || { echo "muster did not stop cleanly" >&2; tail "$TMP/muster.log" >&2; exit 1; }

echo
echo "register: $N persons; campaign $CID: $SELECTED selected, $ISSUED issued ($IN_DB summonses in the register)"
echo "draft    $DRAFT_S s"
echo "approve  $APPROVE_S s  ($(python3 -c "print('%.0f' % ($ISSUED / $APPROVE_S))") summonses/s; goal: 1M within 10 s)"
echo "cancel   $CANCEL_S s  ($CANCELLED summonses cancelled, $(python3 -c "print('%.0f' % ($CANCELLED / $CANCEL_S))") a second)"
echo "checks idle           $IDLE req/s"
echo "checks during approve $BUSY req/s  (503 audit refusals: $REFUSED, 5xx: $E5XX)"
python3 -c "print('ratio busy/idle: %.2f (goal: at least 0.50)' % ($BUSY / $IDLE))"
echo "wrk, idle run:"
grep -E "Requests/sec|Latency |99%|Non-2xx|Socket errors" "$TMP/wrk-idle.txt" | sed 's/^/  /'
echo "wrk, the run around the approval:"
grep -E "Latency |99%|Non-2xx|Socket errors" "$TMP/wrk-busy.txt" | sed 's/^/  /' || true
