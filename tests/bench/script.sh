#!/usr/bin/env bash
# tests/bench/script.sh [UNITS] -- `sereg script` over a register of UNITS (default 1,000,000)
# units, 1% of them overdue: a script that reads every unit through sereg.each and writes a CSV
# line per overdue one (tests/bench/overdue.lua), against psql \copy of the same rows to a file in
# the same run; then the same script letting the list's own filter (overdue=true) choose the
# rows. Peak memory of each run beside its time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-1000000}
bench_start script 54346
on=2027-06-01

echo "== loading $units units (1% due before $on)"
bench_load_overdue "$units" "$on"
total=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment" | tail -1)
tok=$(./build-bench/sereg token create --role city_supervisor --name 压测 | tail -1)

ms() { echo $(( $(date +%s%N) / 1000000 )); }
settle() { psql "$base dbname=bench" -qc "CHECKPOINT" >/dev/null; }
# runs "$@" with its output to $work/out; sets $took (ms) and $rss (KiB, peak)
timed() {
  settle
  local t0 t1
  t0=$(ms)
  rss=$(python3 tests/bench/peak_rss.py sh -c '"$@" > "'"$work"'/out"' sh "$@")
  t1=$(ms)
  took=$((t1 - t0))
}

copy_sql="SELECT e.equipment_code, e.registration_number, e.jurisdiction, o.name, e.next_due FROM equipment e
          JOIN organization o ON o.id = e.user_unit_id WHERE e.status = 'in_service' AND e.next_due < '$on' ORDER BY e.id"
echo "== the limit: psql \\copy of the same rows to a file"
copy_sql=$(echo $copy_sql) # \copy is one line
timed psql "$DATABASE_URL" -qc "SET sereg.role = 'system'" -c "\\copy ($copy_sql) TO '$work/copy.csv' WITH (FORMAT csv, HEADER)"
copy=$took
rows=$(($(wc -l < "$work/copy.csv") - 1))
echo "psql \\copy: $rows rows in $copy ms"
echo "== the limit for reading every unit: psql \\copy of each unit's record as the list builds it"
records_sql="SELECT sereg_equipment_shape(e.id, e.equipment_code, e.type, e.variety, e.registration_number,
               e.jurisdiction, j.name, o.credit_code, o.name, e.address, e.commissioned_on, e.attributes, e.status,
               e.rule, e.next_due, e.next_due_kind, e.version, e.created_at, e.updated_at, e.inspection_state)::text
             FROM equipment e JOIN organization o ON o.id = e.user_unit_id JOIN jurisdiction j ON j.code = e.jurisdiction
             WHERE e.status = 'in_service' ORDER BY e.id"
records_sql=$(echo $records_sql)
timed psql "$DATABASE_URL" -qc "SET sereg.role = 'system'" -c "\\copy ($records_sql) TO '$work/all.json'"
copy_all=$took
echo "psql \\copy of $total records: $copy_all ms"

echo "== sereg script over every unit, deciding in Lua"
timed ./build-bench/sereg script tests/bench/overdue.lua --as "$tok" --format csv --now "$on"
whole=$took whole_rss=$rss
got=$(($(grep -c $'\r$' "$work/out") - 1))
[ "$got" -eq "$rows" ] || { echo "the script wrote $got rows, \\copy $rows" >&2; exit 1; }
echo "sereg script: $got rows in $whole ms, peak RSS $whole_rss KiB"

echo "== sereg script with the list's filter (overdue=true)"
timed ./build-bench/sereg script tests/bench/overdue.lua --as "$tok" --format csv --now "$on" -- filtered
filtered=$took filtered_rss=$rss
got=$(($(grep -c $'\r$' "$work/out") - 1))
[ "$got" -eq "$rows" ] || { echo "the filtered script wrote $got rows, \\copy $rows" >&2; exit 1; }
echo "sereg script (filtered): $got rows in $filtered ms, peak RSS $filtered_rss KiB"

echo
echo "== result ($total units, $rows overdue)"
awk -v c="$copy" -v s="$whole" 'BEGIN { printf "reading every unit: %d ms; psql \\copy of the rows: %d ms; ratio %.2f (goal >= 0.3)\n", s, c, c / s }'
awk -v c="$copy_all" -v s="$whole" 'BEGIN { printf "  against \\copy of every record (%d ms, the same reading): ratio %.2f\n", c, c / s }'
awk -v c="$copy" -v s="$filtered" 'BEGIN { printf "with overdue=true: %d ms; ratio to \\copy %.2f\n", s, c / s }'
echo "peak RSS: $whole_rss KiB reading every unit, $filtered_rss KiB filtered"
