#!/bin/bash
# bench/audit.sh: how fast the audit log appends, and how fast it verifies.
#
#   bash bench/audit.sh [ENTRIES] [BATCH]      default 1000000 and 10000
#
# Appends ENTRIES synthetic audit entries (agency checks: the most frequent
# entries a register writes) to a fresh register through the store's
# append path, BATCH entries per transaction with synchronous=FULL: each
# entry is encoded, leaf-hashed, stored by the chunk of 32, folded into the
# Merkle tree (stored interior hashes included), and indexed by person,
# actor, subject and action when its bucket of 2048 is sealed; the writer
# signs tree heads as it goes. Reports entries per second of wall time and per
# cpu-second (the writer's CPU while appending: what one idle core
# sustains, a steadier figure on a busy machine). Then times
# `muster audit verify`, which recomputes the whole tree and checks every
# signed head. Goal (issue 8): at least 200 000 entries a second.
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES=${1:-1000000}
BATCH=${2:-10000}
BIN=${MUSTER_BIN:-build/muster}
TMP=$(mktemp -d /tmp/muster-audit-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" audit bench --db "$TMP/audit.db" --entries "$ENTRIES" --batch "$BATCH"
START=$(date +%s.%N)
"$BIN" audit verify --db "$TMP/audit.db"
END=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3])+1; \
print('verify: %.2f s, %.0f entries/s' % (s, n / s))" "$START" "$END" "$ENTRIES"
echo "register: $(du -h "$TMP/audit.db" | cut -f1) for $ENTRIES entries"
