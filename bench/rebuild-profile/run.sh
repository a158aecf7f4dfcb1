#!/usr/bin/env bash
# Profile of `scim-audit rebuild` over a store of USERS users (bench/results/rebuild-profile.md).
# On the shared server (127.0.0.1:5432) in a database of its own: helpers may not start the
# bench's own cluster. Steps: seed (as bench/lib/templates.ts), one plain rebuild (builds the live
# read models the bench's template has, and is timed), one under --cpu-prof with
# pg-timing-hook.js, one more plain, then the COPY reference of bench/rebuild.bench.ts.
#   USERS=100000 bash bench/rebuild-profile/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-100000}
DB=${DB:-prof_rebuild_${USERS}}
OUT=${OUT:-bench/.out/rebuild-profile}
URL="postgres://postgres@127.0.0.1:5432/$DB"
mkdir -p "$OUT"
load() { echo "$(date -u +%H:%M:%S) loadavg $(cat /proc/loadavg)"; }
rebuild() { NODE_ENV=production DATABASE_URL=$URL PGAPPNAME=bench-rebuild node "$@" --import tsx services/audit/main.ts rebuild --json; }

load
if [ "${SKIP_SEED:-}" != 1 ]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  DATABASE_URL=$URL USERS=$USERS node_modules/.bin/tsx bench/rebuild-profile/seed.ts
  load
fi
psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "SELECT 'events', count(*) FROM events"
rebuild > "$OUT/rebuild-1.json"; cat "$OUT/rebuild-1.json"; load
rm -f "$OUT"/*.cpuprofile
PROF_STATS=$OUT/statements.json rebuild --cpu-prof --cpu-prof-dir="$OUT" -r ./bench/rebuild-profile/pg-timing-hook.js > "$OUT/rebuild-2-profiled.json"
cat "$OUT/rebuild-2-profiled.json"; load
rebuild > "$OUT/rebuild-3.json"; cat "$OUT/rebuild-3.json"; load
DATABASE_URL=$URL REPEATS=${REPEATS:-2} node_modules/.bin/tsx bench/rebuild-profile/copy-reference.ts > "$OUT/copy.json"; cat "$OUT/copy.json"; load
DB=$DB bash bench/rebuild-profile/copy-index-split.sh 2>&1 | tee "$OUT/copy-index-split.txt"
node bench/rebuild-profile/analyze.js "$(ls "$OUT"/CPU.*.0.*.cpuprofile)" "$OUT/statements.json" > "$OUT/summary.txt"; cat "$OUT/summary.txt"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE $DB WITH (FORCE)"
