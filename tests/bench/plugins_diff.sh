#!/usr/bin/env bash
# tests/bench/plugins_diff.sh [UNITS] -- `sereg plugins diff` over a register of UNITS (default
# 1,000,000) elevators, each with one passed periodic result, against a copy of plugins/ whose
# elevators fall due a month sooner (so every unit with a date changes and is written out): its
# time and peak memory, beside the bare SQL that reads the same rows (the unit, its regime, its
# results twice over, as the due decision and hazards() read them, its stops) in the same run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
units=${1:-1000000}
export SEREG_NOW=2026-06-15
bench_start diff 54347

echo "== loading $units elevators with one result each"
# Straight SQL, not the import: this measures the replay, not the loading.
psql "$DATABASE_URL" -q <<SQL
SET sereg.role = 'system';
INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address,
                       commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule)
SELECT '3110' || lpad((n / 100000)::text, 5, '0') || '2019' || lpad((n % 100000)::text, 5, '0'), 'elevator', '3110',
       'BENCH' || n, '510104', (SELECT id FROM organization WHERE kind = 'user_unit' ORDER BY id LIMIT 1),
       '压测路 ' || n || ' 号', date '2019-05-01' + n % 365,
       jsonb_build_object('variety', '3110', 'rated_load_kg', 1000, 'rated_speed_mps', 1.75, 'stops', 12,
                          'maintenance_unit', (SELECT credit_code FROM organization WHERE kind = 'maintenance_unit' ORDER BY id LIMIT 1)),
       'in_service', 'elevator.lua@1.4.0', NULL, NULL, NULL
FROM generate_series(1, $units) AS n;
INSERT INTO inspection (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, conclusion_text,
                        passed, request_hash)
SELECT (SELECT id FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1), 'BENCH-' || e.id, e.id, 'periodic',
       e.commissioned_on + 365 * 6, 'pass', '合格', true, 'bench'
FROM equipment e WHERE e.registration_number LIKE 'BENCH%';
VACUUM ANALYZE equipment;
VACUUM ANALYZE inspection;
SQL
total=$(psql "$DATABASE_URL" -qtAc "SET sereg.role = 'system'; SELECT count(*) FROM equipment" | tail -1)
echo "register: $total units"
new=$work/plugins-new
cp -r plugins "$new"
python3 - "$new/elevator.lua" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = s.replace("  local due = due_of(base, n)\n", "  local due = sereg.end_of_month(sereg.add_months(due_of(base, n), -1))\n", 1)
open(p, "w", encoding="utf-8").write(re.sub(r'version = "[0-9.]+"', 'version = "1.5.0"', s, count=1))
PY

ms() { echo $(( $(date +%s%N) / 1000000 )); }
settle() { psql "$base dbname=bench" -qc "CHECKPOINT" >/dev/null; }

echo "== the limit: the bare SQL that reads the same rows"
settle
t0=$(ms)
psql "$DATABASE_URL" -qtA >/dev/null <<SQL
SET sereg.role = 'system';
SELECT count(*), sum(length(j) + length(history) + length(results) + length(stops) + coalesce(length(regime), 0))
FROM (SELECT sereg_equipment_json(e)::text AS j,
             (SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = e.type
                AND (r.jurisdiction = e.jurisdiction OR r.jurisdiction IS NULL) AND r.valid_from <= '$SEREG_NOW'
                AND (r.valid_to IS NULL OR r.valid_to >= '$SEREG_NOW')
              ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1) AS regime,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, 'inspected_on', i.inspected_on,
                'conclusion', i.conclusion, 'passed', i.passed, 'report_number', i.report_number)
                ORDER BY i.inspected_on, i.id), '[]') FROM inspection i
              WHERE i.equipment_id = e.id AND i.superseded_by IS NULL)::text AS history,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, 'inspected_on', i.inspected_on,
                'conclusion', i.conclusion, 'passed', i.passed, 'defects', i.defects) ORDER BY i.inspected_on, i.id), '[]')
              FROM inspection i WHERE i.equipment_id = e.id AND i.superseded_by IS NULL)::text AS results,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('action', ev.action, 'on', ev.at) ORDER BY ev.id), '[]')
              FROM equipment_event ev WHERE ev.equipment_id = e.id AND ev.action IN ('suspend', 'resume'))::text AS stops
      FROM equipment e) x;
SQL
t1=$(ms)
bare=$((t1 - t0))
echo "bare SQL: $bare ms"

echo "== sereg plugins diff (csv, every change written out)"
settle
t0=$(ms)
rss=$(python3 tests/bench/peak_rss.py ./build-bench/sereg plugins diff "$new" --format csv)
t1=$(ms)
took=$((t1 - t0))
echo
echo "== result"
echo "plugins diff over $total units: $took ms, peak RSS $rss KiB; bare SQL reading the same rows: $bare ms"
awk -v s="$took" -v b="$bare" -v n="$total" 'BEGIN { printf "ratio diff/bare SQL: %.1f (%.1f us per unit)\n", s / b, 1000 * s / n }'
