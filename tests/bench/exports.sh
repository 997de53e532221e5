#!/usr/bin/env bash
# tests/bench/exports.sh [UNITS] -- a list of UNITS units (default 100,000, the ceiling of one
# export) exported as CSV and as xlsx through GET /api/v1/equipment?format=, against psql \copy of
# the same rows and columns to a CSV file in the same run. Each file's time, size and row count,
# and the server's peak resident memory after each. Not part of the test suite.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-100000}
bench_start exports 54349
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT
on=2027-06-01

demo=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment" | tail -1)
echo "== loading $((units - demo)) units beside the demo's $demo"
bench_load_overdue "$((units - demo))" "$on"
tok=$(./build-bench/sereg token create --role city_supervisor --name 压测 | tail -1)

port=18093
./build-bench/sereg serve --listen 127.0.0.1:$port --threads 4 --sweep-every 0 2>"$work/serve.log" &
srv=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
hwm() { awk '/^VmHWM/ {printf "%d MiB", $2 / 1024}' /proc/$srv/status; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
settle() { psql "$base dbname=bench" -qc "CHECKPOINT" >/dev/null; }
echo "server after start: $(hwm)"

# The export's columns, read as the list reads them (its record, then the cells of it) and
# straight from the tables for \copy.
copy_sql=$(echo "SELECT e.equipment_code, e.registration_number, e.type, e.variety, o.name, o.credit_code, j.name,
  e.jurisdiction, e.address, e.commissioned_on, e.status, e.next_due, e.next_due_kind,
  (e.created_at AT TIME ZONE 'Asia/Shanghai')::date, e.id FROM equipment e JOIN organization o ON o.id = e.user_unit_id
  JOIN jurisdiction j ON j.code = e.jurisdiction ORDER BY e.id")
# The limit of reading the rows as the list does: \copy of each unit's record as the list builds it.
records_sql=$(echo "SELECT sereg_equipment_shape(e.id, e.equipment_code, e.type, e.variety, e.registration_number,
  e.jurisdiction, j.name, o.credit_code, o.name, e.address, e.commissioned_on, e.attributes, e.status, e.rule,
  e.next_due, e.next_due_kind, e.version, e.created_at, e.updated_at, e.inspection_state)::text
  FROM equipment e JOIN organization o ON o.id = e.user_unit_id JOIN jurisdiction j ON j.code = e.jurisdiction ORDER BY e.id")
printf '\n%-22s %10s %12s %10s %14s\n' what ms bytes rows server_peak
for run in 1 2; do
  settle
  t0=$(ms)
  psql "$DATABASE_URL" -qc "SET sereg.role = 'system'" -c "\\copy ($copy_sql) TO '$work/copy.csv' WITH (FORMAT csv, HEADER)"
  t1=$(ms)
  printf '%-22s %10s %12s %10s %14s\n' "psql \\copy ($run)" $((t1 - t0)) "$(stat -c %s "$work/copy.csv")" \
    $(($(wc -l < "$work/copy.csv") - 1)) -
  settle
  t0=$(ms)
  psql "$DATABASE_URL" -qc "SET sereg.role = 'system'" -c "\\copy ($records_sql) TO '$work/records.json'"
  t1=$(ms)
  printf '%-22s %10s %12s %10s %14s\n' "\\copy records ($run)" $((t1 - t0)) "$(stat -c %s "$work/records.json")" \
    "$(wc -l < "$work/records.json")" -
  for fmt in csv xlsx; do
    settle
    t0=$(ms)
    code=$(curl -s -o "$work/export.$fmt" -w '%{http_code}' -H "Authorization: Bearer $tok" \
      "http://127.0.0.1:$port/api/v1/equipment?format=$fmt")
    t1=$(ms)
    [ "$code" = 200 ] || { echo "format=$fmt answered $code: $(head -c 300 "$work/export.$fmt")" >&2; exit 1; }
    rows=$(python3 - "$work/export.$fmt" "$fmt" <<'PY'
import csv, io, re, sys, zipfile
path, fmt = sys.argv[1:]
if fmt == "csv":
    print(len(list(csv.reader(io.open(path, encoding="utf-8-sig", newline="")))) - 1)
else:
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    print(len(re.findall(rb"<row ", xml)) - 1)
PY
)
    [ "$rows" = "$units" ] || { echo "format=$fmt holds $rows rows, not $units" >&2; exit 1; }
    printf '%-22s %10s %12s %10s %14s\n' "format=$fmt ($run)" $((t1 - t0)) "$(stat -c %s "$work/export.$fmt")" \
      "$rows" "$(hwm)"
  done
done
