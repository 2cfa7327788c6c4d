#!/bin/sh
# deps.sh: install the Debian 12 packages muster needs to build, test and
# benchmark. Does nothing when all are present. Needs root (or sudo) only
# when something is missing.
set -eu

PKGS="build-essential cmake pkg-config git ca-certificates tzdata
libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libsodium-dev
libcsv-dev libcmocka-dev libcurl4-openssl-dev libhpdf-dev libqrencode-dev
libpq-dev python3 curl gzip clang libclang-rt-14-dev
fonts-dejavu-core poppler-utils zbar-tools
chromium nodejs npm"

if [ "${1:-}" = "--bench" ]; then
	PKGS="$PKGS wrk nginx-light time"
fi

missing=""
for p in $PKGS; do
	# the browser tests need node and npm, not Debian's build of them: a
	# NodeSource nodejs (which bundles npm and conflicts with Debian's npm)
	# will do, so a working command counts as installed
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
