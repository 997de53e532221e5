#!/usr/bin/env bash
# tests/bench/sweep.sh [UNITS] -- the hazard sweep on a register of UNITS (default 1,000,000)
# units of which 1% are overdue on the sweep date: the sweep's time against the bare SQL that
# finds those rows, in the same run; then a sweep with nothing to do (goal: under 100 ms); then,
# a month on, the sweep that fires the first ladder rung of each of those hazards (no other unit
# falls due in between, so that is all it does) against the bare SQL that finds the rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-1000000}
bench_start sweep 54345
sweep_on=2027-06-01

echo "== loading $units units (1% due before $sweep_on, the rest from 60 days after it on)"
bench_load_overdue "$units" "$sweep_on"
overdue=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment WHERE next_due < '$sweep_on' AND status = 'in_service'" | tail -1)
total=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment" | tail -1)
echo "register: $total units, $overdue overdue on $sweep_on"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Before each measurement: a checkpoint, so that one phase's writes are not flushed on the
# next one's clock (with a million units loaded, checkpoints otherwise land anywhere).
settle() { psql "$base dbname=bench" -qc "CHECKPOINT" >/dev/null; }
# The fastest of three runs of a read-only query, in ms (psql start-up included), without JIT
# as sereg's own sessions run.
best_of_3() {
  local best=999999 t0 t1 i
  for i in 1 2 3; do
    t0=$(ms); psql "$DATABASE_URL" -qtAc "SET jit = off; $1" >/dev/null; t1=$(ms)
    [ $((t1 - t0)) -lt "$best" ] && best=$((t1 - t0))
  done
  echo "$best"
}

echo "== the limit: the bare SQL that finds the overdue units"
settle
bare=$(best_of_3 "SET sereg.role = 'system'; SELECT count(*), max(id), max(next_due) FROM equipment WHERE next_due < '$sweep_on' AND status = 'in_service'")
echo "bare SQL: $bare ms (best of 3, psql start-up included)"

echo "== sereg sweep --now $sweep_on"
settle
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
settle
rungs=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM deadline WHERE fired_on IS NULL AND due_on <= '$rung_on'" | tail -1)
# (read whole, rung definitions included, but counted on the server: psql printing 10,000
# JSON documents would be the client's time, not the database's)
bare_rungs=$(best_of_3 "SET sereg.role = 'system'; SELECT count(*), sum(length(spec::text)) FROM deadline WHERE fired_on IS NULL AND due_on <= '$rung_on'")
echo "bare SQL: $rungs rows in $bare_rungs ms"
echo "== sereg sweep --now $rung_on"
settle
t0=$(ms)
./build-bench/sereg sweep --now $rung_on
t1=$(ms)
fired=$((t1 - t0))
t0=$(ms)
./build-bench/sereg sweep --now $rung_on >/dev/null
t1=$(ms)
idle2=$((t1 - t0))

# A second limit for the first sweep's work, measured last so that it disturbs nothing: the
# rows that sweep wrote for those units (hazard, history, audit, notice, two rung rows each),
# written again by one plain statement under another condition key, then rolled back.
echo "== the limit: one statement writing the same rows (rolled back)"
settle
t0=$(ms)
psql "$DATABASE_URL" -qtA >/dev/null <<SQL
BEGIN;
SET LOCAL sereg.role = 'system';
SET LOCAL jit = off;
WITH cand AS (SELECT e.id, to_char(e.next_due, 'YYYY-MM-DD') AS due FROM equipment e
              WHERE e.next_due < '$sweep_on' AND e.status = 'in_service'),
h AS (INSERT INTO hazard (equipment_id, source, condition_key, grade, level, found_on, rule, facts)
      SELECT id, 'overdue', 'bench:' || due, 'general', 'district', '$sweep_on', 'bench',
             jsonb_build_object('next_due', due) FROM cand
      RETURNING id, found_on, sereg_hazard_json(hazard) AS j),
ev AS (INSERT INTO hazard_event (hazard_id, action, actor_role, reason, effective_on, after)
       SELECT id, 'open', 'system', 'overdue', found_on, j FROM h),
au AS (INSERT INTO audit_log (role, action, target_type, target_id, detail)
       SELECT 'system', 'hazard.open', 'hazard', id::text, j FROM h),
dl AS (INSERT INTO deadline (hazard_id, kind, due_on, spec)
       SELECT id, k, found_on + d, '{}' FROM h, (VALUES ('rung:a', 30), ('rung:b', 90)) AS r(k, d))
INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload)
SELECT 'hazard.opened', 'hazard', id::text, j->>'jurisdiction', j FROM h;
ROLLBACK;
SQL
t1=$(ms)
bare_writes=$((t1 - t0))
echo "one statement: $bare_writes ms"

echo
echo "== result"
echo "sweep opening $overdue hazards in a register of $total: $swept ms; bare SQL finding them: $bare ms"
awk -v s="$swept" -v b="$bare" -v n="$overdue" 'BEGIN { printf "ratio sweep/bare SQL: %.1f (%.2f ms per hazard opened)\n", s / b, s / n }'
awk -v s="$swept" -v w="$bare_writes" 'BEGIN { printf "ratio sweep/one statement writing the same rows (%d ms): %.1f\n", w, s / w }'
echo "sweep with nothing to do: $idle ms (goal < 100 ms; process start and connection included)"
echo "sweep firing $rungs ladder rungs: $fired ms; bare SQL finding them: $bare_rungs ms"
awk -v s="$fired" -v n="$rungs" 'BEGIN { if (n > 0) printf "%.2f ms per rung fired (hazard, history, audit and notice each)\n", s / n }'
echo "sweep with nothing to do after that: $idle2 ms"
