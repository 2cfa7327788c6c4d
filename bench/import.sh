#!/usr/bin/env bash
# import.sh: how fast `muster import persons` is, against `sqlite3 .import`
# of the same file into an equivalent schema (the same 12 columns, the
# primary key, one secondary index).
#
#   bash bench/import.sh [N]        N persons, default 1000000
#   MUSTER_BIN=path/to/muster       the binary (default build/muster)
#   KEEP=1                          keep the work directory
#
# The file comes from bench/gen_persons.py (deterministic, shuffled ids,
# valid rows); the offices it names are imported first. Both imports start
# from an empty database on the same disk. muster does more than sqlite3
# does: full validation (domain/person.c), a history row per person, four
# secondary indexes (its real schema), duplicate-candidate keys, an audit
# entry per batch, and a commit (synchronous=FULL) per batch. Times are
# wall-clock seconds; CPU = user + sys; peak RSS from /usr/bin/time.
set -euo pipefail

N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${MUSTER_BIN:-$ROOT/build/muster}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/muster-bench-import.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$DIR"' EXIT
command -v sqlite3 >/dev/null || { echo "import.sh: needs sqlite3" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "import.sh: needs /usr/bin/time (package time)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "import.sh: no binary at $BIN (make build)" >&2; exit 1; }

echo "generating $N persons in $DIR ..."
python3 "$ROOT/bench/gen_persons.py" "$N" "$DIR/persons.csv" "$DIR/offices.csv"
ls -l "$DIR/persons.csv" | awk '{printf "file: %.0f MB\n", $5 / 1048576}'

measure() { # label, then the command; prints "wall cpu rss_mb"
	local label=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$DIR/time.$label" "$@" >"$DIR/out.$label" 2>"$DIR/err.$label" || {
		echo "$label failed:" >&2; cat "$DIR/err.$label" >&2; exit 1; }
	awk '{printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024}' "$DIR/time.$label"
}

cat >"$DIR/ref.sql" <<'SQL'
CREATE TABLE persons (
    national_id TEXT PRIMARY KEY, family_name TEXT NOT NULL, given_name TEXT NOT NULL,
    patronymic TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL,
    region TEXT NOT NULL, office TEXT NOT NULL, address TEXT NOT NULL,
    phone TEXT NOT NULL, email TEXT NOT NULL, fitness TEXT NOT NULL) STRICT;
CREATE INDEX persons_office ON persons(office, national_id);
SQL
sqlite3 "$DIR/ref.db" <"$DIR/ref.sql"
sync
echo "sqlite3 .import ..."
read -r ref_wall ref_cpu ref_rss < <(measure ref sqlite3 "$DIR/ref.db" ".mode csv" \
	".import --skip 1 $DIR/persons.csv persons")

"$BIN" init --db "$DIR/reg.db" >/dev/null
"$BIN" import offices --db "$DIR/reg.db" "$DIR/offices.csv" >/dev/null
sync
echo "muster import persons ..."
read -r mu_wall mu_cpu mu_rss < <(measure muster "$BIN" import persons --db "$DIR/reg.db" \
	"$DIR/persons.csv" --source bench)
cat "$DIR/out.muster"
echo "muster import persons again (idempotent) ..."
read -r re_wall re_cpu re_rss < <(measure again "$BIN" import persons --db "$DIR/reg.db" \
	"$DIR/persons.csv" --source bench)
cat "$DIR/out.again"

printf '\n%-34s %9s %9s %9s\n' "" "wall s" "cpu s" "peak MB"
printf '%-34s %9s %9s %9s\n' "sqlite3 .import (1 index)" "$ref_wall" "$ref_cpu" "$ref_rss"
printf '%-34s %9s %9s %9s\n' "muster import persons" "$mu_wall" "$mu_cpu" "$mu_rss"
printf '%-34s %9s %9s %9s\n' "muster re-import (unchanged)" "$re_wall" "$re_cpu" "$re_rss"
awk -v a="$ref_wall" -v b="$mu_wall" -v c="$ref_cpu" -v d="$mu_cpu" 'BEGIN {
	printf "\nratio sqlite3/muster: %.2fx wall, %.2fx cpu (goal: 3x)\n", a / b, c / d }'
