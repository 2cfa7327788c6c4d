#!/bin/bash
# bench/static.sh: the bytes a first visit to the citizen portal downloads,
# without and with gzip. Starts the binary on an empty register, finds what
# the page loads (the href/src of /portal's index.html, then the imports of
# each script, recursively) and fetches each file with curl twice: without
# Accept-Encoding (identity), then with "Accept-Encoding: gzip" (the
# compressed copies embedded at build time, cmake/embed.cmake). Counts the
# bytes on the wire as received (curl does not decompress here): bodies, and
# bodies plus response headers. Prints both totals and the ratio; no timings.
#
#   bash bench/static.sh [PAGE]        (default /portal; /console, /verify)
#
# Needs only curl and python3 (a free port).
set -euo pipefail
cd "$(dirname "$0")/.."
PAGE=${1:-/portal}
BIN=${MUSTER_BIN:-build/muster}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup

"$BIN" init --db "$TMP/reg.db" >/dev/null
PORT=$(free_port)
"$BIN" serve --db "$TMP/reg.db" --listen "127.0.0.1:$PORT" --no-access-log 2>"$TMP/muster.log" &
PIDS+=($!)
BASE="http://127.0.0.1:$PORT"
wait_up "$BASE/healthz"

# The files the page loads: URL paths, the page first, each once.
declare -A seen=()
files=()
add() { [ -n "${seen[$1]:-}" ] && return 0; seen[$1]=1; files+=("$1"); }
# $1 relative to the directory of $2 (./x.js, ../x.js), or as it is (/x.js)
resolve() {
	case $1 in
	/*) echo "$1" ;;
	*) python3 -c 'import posixpath,sys;print(posixpath.normpath(posixpath.join(posixpath.dirname(sys.argv[2]),sys.argv[1])))' "$1" "$2" ;;
	esac
}
add "$PAGE"
curl -sf "$BASE$PAGE" -o "$TMP/page.html"
for u in $(grep -oE '(href|src)="[^"]+"' "$TMP/page.html" | sed -E 's/^[a-z]+="([^"]*)"$/\1/'); do
	u=${u%%#*} u=${u%%\?*}
	case $u in '' | http:* | https:* | //*) continue ;; esac
	add "$(resolve "$u" "$PAGE/index.html")"
done
i=1
while [ "$i" -lt "${#files[@]}" ]; do
	f=${files[$i]}
	i=$((i + 1))
	case $f in *.js | *.mjs) ;; *) continue ;; esac
	curl -sf "$BASE$f" -o "$TMP/f.js"
	# static imports: import ... from '...', import '...', export ... from
	# '...' (the from line of a multi-line import starts with })
	for u in $(grep -E "^[[:space:]]*((import|export|\}).*[[:space:]]from|import)[[:space:]]*['\"][^'\"]+['\"]" "$TMP/f.js" |
		sed -E "s/^.*(from|import)[[:space:]]*['\"]([^'\"]*)['\"].*$/\2/"); do
		add "$(resolve "$u" "$f")"
	done
done

# bytes of body and of headers+body for one GET; extra curl args after URL
fetch() { curl -sf -o /dev/null -w '%{size_download} %{size_header}' "$@"; }
tot_id=0 tot_gz=0 wire_id=0 wire_gz=0
printf '%-24s %10s %10s %9s\n' file identity gzip encoding
for f in "${files[@]}"; do
	read -r bi hi <<<"$(fetch "$BASE$f")"
	read -r bg hg <<<"$(fetch -H 'Accept-Encoding: gzip' "$BASE$f")"
	enc=$(curl -sf -o /dev/null -D - -H 'Accept-Encoding: gzip' "$BASE$f" |
		tr -d '\r' | awk -F': *' 'tolower($1)=="content-encoding" {print $2}')
	printf '%-24s %10d %10d %9s\n' "$f" "$bi" "$bg" "${enc:-identity}"
	tot_id=$((tot_id + bi)) tot_gz=$((tot_gz + bg))
	wire_id=$((wire_id + bi + hi)) wire_gz=$((wire_gz + bg + hg))
done
echo
echo "$PAGE page load, ${#files[@]} files:"
awk -v a="$tot_id" -v b="$tot_gz" 'BEGIN { printf "bodies:          identity %d bytes, gzip %d bytes, gzip/identity %.3f (%.1fx smaller)\n", a, b, b / a, a / b }'
awk -v a="$wire_id" -v b="$wire_gz" 'BEGIN { printf "bodies+headers:  identity %d bytes, gzip %d bytes, gzip/identity %.3f (%.1fx smaller)\n", a, b, b / a, a / b }'
