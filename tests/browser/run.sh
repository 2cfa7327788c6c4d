#!/bin/sh
# run.sh: the browser tests as CTest runs them (CMakeLists.txt):
#   sh tests/browser/run.sh PATH/TO/muster
# Installs playwright-core from the lock file when node_modules is missing,
# then runs web.test.js with Node's own test runner against that binary,
# in Debian's Chromium (scripts/deps.sh installs chromium and nodejs).
set -eu

bin=${1:?usage: run.sh PATH/TO/muster}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "run.sh: $chromium is missing: run scripts/deps.sh (Debian package chromium)" >&2
	exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
	npm ci --no-audit --no-fund >&2
fi
MUSTER_BIN=$bin CHROMIUM=$chromium exec node --test --test-reporter=spec web.test.js
