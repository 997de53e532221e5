#!/usr/bin/env bash
# tests/bench/import.sh [ROWS] -- `sereg import equipment` of ROWS elevators (default 1,000,000)
# against a plain psql \copy of the same rows into the same table, in the same run, each into
# a fresh database of one private cluster; and sereg's peak memory, which must not grow with
# the file. Prints the ratio.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$SR_ROOT"
rows=${1:-1000000}
sr_install_deps
sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
work=$(mktemp -d /tmp/sereg-bench-import.XXXXXX)
chmod 755 "$work" # the cluster's owner must reach $work/pg
pg=$work/pg
trap 'sr_pg_stop "$pg"; rm -rf "$work"' EXIT
base=$(sr_pg_start "$pg" 54343 "-c max_wal_size=8GB")
# Every session without JIT, as sereg runs its own: the limit and sereg measured alike.
export PGOPTIONS="-c jit=off"
psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER"
for db in baseline sereg; do
  psql "$base dbname=postgres" -qc "CREATE DATABASE $db OWNER sereg_app"
  DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=$db" ./build-bench/sereg migrate >/dev/null
  DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=$db" ./build-bench/sereg demo >/dev/null
done
unit=$(psql "$base dbname=sereg" -qtAc "SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")
unit_id=$(psql "$base dbname=baseline" -qtAc "SELECT id FROM organization WHERE credit_code = '$unit'")
maint=$(psql "$base dbname=sereg" -qtAc "SELECT credit_code FROM organization WHERE kind = 'maintenance_unit' ORDER BY id LIMIT 1")
python3 tests/bench/gen_register.py "$rows" "$work" "$unit" "$unit_id" "$maint"
echo "== $rows rows, $(du -h "$work/register.csv" | cut -f1) of CSV"

# The limit: psql \copy of the same rows into the same table (as its superuser: COPY into a table
# with row-level security is refused to anyone the policies apply to).
start=$(date +%s.%N)
psql "$base dbname=baseline" -qc "\\copy equipment (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address, commissioned_on, attributes, status, rule) FROM '$work/register.copy'"
copy_s=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
peak_kb=$(DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=sereg" \
  python3 tests/bench/peak_rss.py ./build-bench/sereg import equipment "$work/register.csv")
import_s=$(echo "$(date +%s.%N) - $start" | bc)
loaded=$(psql "$base dbname=sereg" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment WHERE equipment_code LIKE '3110_____2019%'")

echo
echo "== result"
awk -v r="$rows" -v c="$copy_s" -v s="$import_s" 'BEGIN {
  printf "psql \\copy:    %6.1f s  %8.0f rows/s\n", c, r / c
  printf "sereg import:  %6.1f s  %8.0f rows/s (plugin validation, due dates, history)\n", s, r / s
  printf "ratio sereg/copy: %.2f (goal >= 0.50)\n", c / s }'
echo "rows loaded by sereg: $loaded"
echo "sereg peak resident memory: $((peak_kb / 1024)) MiB"
