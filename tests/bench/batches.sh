#!/usr/bin/env bash
# tests/bench/batches.sh [ROUNDS] -- what a batch of inspection results costs against how its
# results spread over units: one POST /api/v1/inspections:batch of 10,000 results for 10 units
# (1,000 each) against one of 10,000 results for 10,000 units (one each), ROUNDS times each
# (default 3), alternating, on fresh units every time. The limit for each, in the same run: the
# statements the batch runs, on the very rows it wrote, by psql in one transaction (rolled back).
# Goal: the two batches within 20% of each other. Prints each figure next to its limit.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$SR_ROOT"
rounds=${1:-3}
sr_install_deps
sr_build build-bench -DCMAKE_BUILD_TYPE=Release -DSR_BUILD_TESTS=OFF
work=$(mktemp -d /tmp/sereg-bench-batch.XXXXXX)
chmod 755 "$work"
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; sr_pg_stop "$work/pg"; rm -rf "$work"' EXIT
base=$(sr_pg_start "$work/pg" 54346 "-c max_connections=50")  # default durability: fsync on
psql "$base dbname=postgres" -qc "CREATE ROLE sereg_app LOGIN NOSUPERUSER" -c "CREATE DATABASE bench OWNER sereg_app"
export DATABASE_URL="${base/user=sereg/user=sereg_app} dbname=bench"
# Every session without JIT, as sereg runs its own: the limit and sereg measured alike.
export PGOPTIONS="-c jit=off"
./build-bench/sereg migrate >/dev/null
./build-bench/sereg demo >/dev/null
unit=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1")
maint=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'maintenance_unit' ORDER BY id LIMIT 1")
agency=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT credit_code FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1")
agency_id=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT id FROM organization WHERE credit_code = '$agency'")
per_round=10010
echo "== loading $((rounds * per_round)) elevators"
python3 tests/bench/gen_register.py $((rounds * per_round)) "$work" "$unit" 0 "$maint"
./build-bench/sereg import equipment "$work/register.csv" >/dev/null
first=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT min(id) FROM equipment WHERE address LIKE '成都市锦江区测试路%'" | tail -1)
psql "$base dbname=bench" -qc "VACUUM ANALYZE"
city=$(./build-bench/sereg token create --role city_supervisor | tail -1)
tok=$(./build-bench/sereg token create --role agency --org "$agency" | tail -1)
port=18082
./build-bench/sereg serve --listen 127.0.0.1:$port --threads 4 --sweep-every 0 2>"$work/serve.log" &
srv=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
curl -sf -X POST -H "Authorization: Bearer $city" -H 'Content-Type: application/json' \
  -d '{"equipment_type":"elevator","valid_from":"2019-01-01","valid_to":"2030-12-31"}' \
  http://127.0.0.1:$port/api/v1/organizations/$agency_id/accreditations >/dev/null
today=$(date +%F)

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Before each measurement: a checkpoint, so that one batch's writes are not flushed on the next
# one's clock.
settle() { psql "$base dbname=bench" -qc "CHECKPOINT" >/dev/null; }
maxid() { psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT coalesce(max(id), 0) FROM $1" | tail -1; }

# batch ROUND SPREAD: prints "sereg_ms limit_ms"
batch() {
  local round=$1 spread=$2 dir="$work/r$1-$2" lo t0 t1 mi me ma mo
  mkdir -p "$dir"
  lo=$((first + round * per_round + (spread == 10 ? 0 : 10)))
  # Result i is about unit lo + i % SPREAD, on a date that wanders over five years.
  python3 - "$lo" "$spread" "$round" > "$dir/batch.json" <<'PY'
import datetime, json, sys
lo, spread, rnd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
d0 = datetime.date(2020, 6, 1)
print(json.dumps([{"equipment_id": lo + i % spread, "report_number": f"B{rnd}-{spread}-{i}", "kind": "periodic",
                   "inspected_on": (d0 + datetime.timedelta(days=i * 7919 % 1800)).isoformat(),
                   "conclusion": "pass", "defects": []} for i in range(10000)]))
PY
  python3 -c 'import json, sys; print(json.dumps(sorted({i["equipment_id"] for i in json.load(open(sys.argv[1]))})))' \
    "$dir/batch.json" > "$dir/ids.json"
  mi=$(maxid inspection); me=$(maxid equipment_event); ma=$(maxid audit_log); mo=$(maxid outbox)
  settle
  t0=$(ms)
  curl -s -o "$dir/batch.out" -X POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    --data-binary @"$dir/batch.json" http://127.0.0.1:$port/api/v1/inspections:batch
  t1=$(ms)
  local accepted
  accepted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accepted"])' "$dir/batch.out" 2>/dev/null) ||
    { echo "the batch was refused:" >&2; head -c 2000 "$dir/batch.out" >&2; tail -25 "$work/serve.log" >&2; exit 1; }
  [ "$accepted" = 10000 ] || { echo "only $accepted of 10000 accepted" >&2; exit 1; }
  # The rows the batch wrote, to write again for the limit (under other report numbers).
  (cd "$dir" && psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL
SET sereg.role = 'system';
\copy (SELECT agency_id, 'L' || report_number, equipment_id, kind, inspected_on, conclusion, conclusion_text, passed, safety_grade, defects, inspector, request_hash, due_after FROM inspection WHERE id > $mi ORDER BY id) TO 'inspection.copy'
\copy (SELECT equipment_id, action, from_status, to_status, actor_account, actor_role, reason, after, effective_on FROM equipment_event WHERE id > $me ORDER BY id) TO 'event.copy'
\copy (SELECT account_id, role, action, target_type, target_id, request_id, detail FROM audit_log WHERE id > $ma ORDER BY id) TO 'audit.copy'
\copy (SELECT event_type, subject_type, subject_id, jurisdiction, payload, actor_account, actor_role, request_id FROM outbox WHERE id > $mo ORDER BY id) TO 'outbox.copy'
\copy (SELECT jsonb_agg(jsonb_build_object('id', e.id, 'next_due', e.next_due, 'next_due_kind', e.next_due_kind, 'rule', e.next_due_rule, 'basis', e.next_due_basis, 'n', 10000 / $spread)) FROM equipment e WHERE e.id = ANY (ARRAY(SELECT jsonb_array_elements_text('$(cat "$dir/ids.json")'::jsonb)::bigint))) TO 'units.json'
SQL
  )
  # The limit: what the batch asks of the database, as psql sends it in one transaction: the
  # units with their facts (read whole, counted on the server), the results, the units' due
  # dates, history, audit records and notices; then rolled back.
  settle
  local l0 l1
  l0=$(ms)
  (cd "$dir" && psql "$DATABASE_URL" -qtA -v ON_ERROR_STOP=1 >/dev/null <<SQL
\set units \`cat units.json\`
BEGIN;
SELECT set_config('sereg.role', 'agency', true), set_config('sereg.jurisdiction', '', true), set_config('sereg.org', '$agency_id', true), set_config('sereg.today', '$today', true);
SELECT count(*), sum(length(j) + length(history) + length(stops)) FROM (
  SELECT e.id, e.equipment_code, sereg_equipment_json(e)::text AS j,
    (SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = e.type AND (r.jurisdiction = e.jurisdiction OR r.jurisdiction IS NULL) AND r.valid_from <= '$today'::date AND (r.valid_to IS NULL OR r.valid_to >= '$today'::date) ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1) AS regime,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, 'inspected_on', to_char(i.inspected_on, 'YYYY-MM-DD'), 'conclusion', i.conclusion, 'conclusion_text', i.conclusion_text, 'passed', i.passed, 'safety_grade', i.safety_grade, 'report_number', i.report_number) ORDER BY i.inspected_on, i.id), '[]') FROM inspection i WHERE i.equipment_id = e.id AND i.superseded_by IS NULL AND i.id <> 0)::text AS history,
    (SELECT coalesce(jsonb_agg(jsonb_build_object('action', ev.action, 'on', to_char(coalesce(ev.effective_on, ev.at::date), 'YYYY-MM-DD')) ORDER BY ev.id), '[]') FROM equipment_event ev WHERE ev.equipment_id = e.id AND ev.action IN ('suspend', 'resume'))::text AS stops
  FROM equipment e WHERE (e.id = ANY (ARRAY(SELECT jsonb_array_elements_text('$(cat "$dir/ids.json")'::jsonb)::bigint)) OR e.equipment_code = ANY (ARRAY(SELECT jsonb_array_elements_text('[]'::jsonb))))
    AND EXISTS (SELECT 1 FROM accreditation acc WHERE acc.equipment_type = e.type AND (acc.varieties IS NULL OR e.variety = ANY (acc.varieties)) AND acc.agency_id = $agency_id AND '$today'::date BETWEEN acc.valid_from AND acc.valid_to)) f;
\copy inspection (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, conclusion_text, passed, safety_grade, defects, inspector, request_hash, due_after) FROM 'inspection.copy'
SELECT set_config('sereg.role', 'system', true);
UPDATE equipment e SET next_due = x.next_due, next_due_kind = x.next_due_kind, next_due_rule = x.rule, next_due_basis = x.basis, version = e.version + x.n, updated_at = now() FROM jsonb_to_recordset(:'units'::jsonb) AS x(id bigint, next_due date, next_due_kind text, rule text, basis jsonb, n int) WHERE e.id = x.id;
SELECT set_config('sereg.role', 'agency', true);
\copy equipment_event (equipment_id, action, from_status, to_status, actor_account, actor_role, reason, after, effective_on) FROM 'event.copy'
\copy audit_log (account_id, role, action, target_type, target_id, request_id, detail) FROM 'audit.copy'
\copy outbox (event_type, subject_type, subject_id, jurisdiction, payload, actor_account, actor_role, request_id) FROM 'outbox.copy'
ROLLBACK;
SQL
  )
  l1=$(ms)
  echo "$((t1 - t0)) $((l1 - l0))"
}

: > "$work/figures"
for r in $(seq 0 $((rounds - 1))); do
  for spread in 10 10000; do
    batch "$r" "$spread" > "$work/one"
    read -r s l < "$work/one"
    echo "round $((r + 1)): 10,000 results for $spread units: sereg $s ms, the same SQL in one transaction $l ms"
    echo "$spread $s $l" >> "$work/figures"
  done
done

echo
echo "== result ($rounds rounds; median [lowest-highest])"
python3 - "$work/figures" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {sp: [(int(s), int(l)) for sp2, s, l in rows if sp2 == sp] for sp in ("10", "10000")}
def fig(v):
    return f"{statistics.median(v) / 1000:.2f} s [{min(v) / 1000:.2f}-{max(v) / 1000:.2f}]"
for sp, name in (("10", "10 units x 1,000 results"), ("10000", "10,000 units x 1 result")):
    s, l = [x[0] for x in by[sp]], [x[1] for x in by[sp]]
    print(f"{name}: sereg {fig(s)} = {10000 / statistics.median(s) * 1000:.0f} results/s; "
          f"the same SQL {fig(l)}; sereg/limit {statistics.median(s) / statistics.median(l):.2f}")
pair = [a[0] / b[0] for a, b in zip(by["10"], by["10000"])]
lim = [a[1] / b[1] for a, b in zip(by["10"], by["10000"])]
print(f"10 units against 10,000 units: {statistics.median(pair):.2f} [{min(pair):.2f}-{max(pair):.2f}] "
      f"(goal 0.80-1.20); the same ratio of their limits: {statistics.median(lim):.2f} [{min(lim):.2f}-{max(lim):.2f}]")
own = {sp: statistics.median([s - l for s, l in by[sp]]) / 1000 for sp in by}
print(f"sereg's time beyond its limit (HTTP, JSON, checks, plugins, answers): {own['10']:.2f} s for 10 units, "
      f"{own['10000']:.2f} s for 10,000 units")
PY
