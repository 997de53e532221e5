#!/usr/bin/env bash
# tests/bench/sweep.sh [UNITS] -- the hazard sweep on a register of UNITS (default 1,000,000)
# units of which 1% are overdue on the sweep date: the sweep's time against the bare SQL that
# finds those rows, in the same run; then a sweep with nothing to do (goal: under 100 ms); then,
# a month on, the sweep that fires the first ladder rung of each of those hazards (no other unit
# falls due in between, so that is all it does) against the bare SQL that finds the rows.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$SR_ROOT"
units=${1:-1000000}
sr_install_deps
sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
work=$(mktemp -d /tmp/sereg-bench-sweep.XXXXXX)
chmod 755 "$work"
trap 'sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT
base=$(sr_pg_start "$work/pg" 54345 "-c max_connections=50")
psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
./build-bench/sereg migrate >/dev/null
./build-bench/sereg demo >/dev/null
sweep_on=2027-06-01

echo "== loading $units units (1% due before $sweep_on, the rest from 60 days after it on)"
# Straight SQL, not the import: this measures the sweep, not the loading.
psql "$DATABASE_URL" -q <<SQL
SET sereg.role = 'system';
INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address,
                       commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule)
SELECT '3110' || lpad((n / 100000)::text, 5, '0') || '2019' || lpad((n % 100000)::text, 5, '0'), 'elevator', '3110',
       'BENCH' || n, '510104', (SELECT id FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1),
       '压测路 ' || n || ' 号', date '2019-05-01', '{}'::jsonb, 'in_service', 'bench@1',
       CASE WHEN n % 100 = 0 THEN date '$sweep_on' - 1 - (n / 100) % 300
            ELSE date '$sweep_on' + 60 + n % 700 END,
       'periodic', 'bench@1'
FROM generate_series(1, $units) AS n;
VACUUM ANALYZE equipment;
SQL
overdue=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment WHERE next_due < '$sweep_on' AND status = 'in_service'" | tail -1)
total=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment" | tail -1)
echo "register: $total units, $overdue overdue on $sweep_on"

ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "== the limit: the bare SQL that finds the overdue units"
t0=$(ms)
psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT id, next_due FROM equipment WHERE next_due < '$sweep_on' AND status = 'in_service'" >/dev/null
t1=$(ms)
bare=$((t1 - t0))
echo "bare SQL: $bare ms (psql start-up included)"

echo "== sereg sweep --now $sweep_on"
t0=$(ms)
out=$(./build-bench/sereg sweep --now $sweep_on)
t1=$(ms)
swept=$((t1 - t0))
echo "$out"

echo "== sereg sweep again, nothing to do"
t0=$(ms)
./build-bench/sereg sweep --now $sweep_on >/dev/null
t1=$(ms)
idle=$((t1 - t0))

# A month on, every one of those hazards has its first ladder rung (a notice at 30 days) due:
# the sweep fires them from the deadline rows; the limit is the bare SQL that finds those rows.
rung_on=$(date -d "$sweep_on + 31 days" +%F)
echo "== the limit: the bare SQL that finds the rungs due on $rung_on"
t0=$(ms)
rungs=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM (SELECT id, hazard_id, spec FROM deadline WHERE fired_on IS NULL AND due_on <= '$rung_on') d" | tail -1)
t1=$(ms)
bare_rungs=$((t1 - t0))
echo "bare SQL: $rungs rows in $bare_rungs ms"
echo "== sereg sweep --now $rung_on"
t0=$(ms)
./build-bench/sereg sweep --now $rung_on
t1=$(ms)
fired=$((t1 - t0))
t0=$(ms)
./build-bench/sereg sweep --now $rung_on >/dev/null
t1=$(ms)
idle2=$((t1 - t0))

echo
echo "== result"
echo "sweep opening $overdue hazards in a register of $total: $swept ms; bare SQL finding them: $bare ms"
awk -v s="$swept" -v b="$bare" -v n="$overdue" 'BEGIN { printf "ratio sweep/bare SQL: %.1f (%.2f ms per hazard opened)\n", s / b, s / n }'
echo "sweep with nothing to do: $idle ms (goal < 100 ms; process start and connection included)"
echo "sweep firing $rungs ladder rungs: $fired ms; bare SQL finding them: $bare_rungs ms"
awk -v s="$fired" -v n="$rungs" 'BEGIN { if (n > 0) printf "%.2f ms per rung fired (hazard, history, audit and notice each)\n", s / n }'
echo "sweep with nothing to do after that: $idle2 ms"
