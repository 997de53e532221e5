-- figures_load.sql -- psql -v units=N -v day=YYYY-MM-DD: a city of :units units over every current
-- district for tests/bench/figures.sh, loaded with straight SQL (this measures the figures, not
-- the loading): each unit with its registration, one result of the last year that set its due
-- date, 1 in 16 with a hazard found in the last year (60 % closed), 1 in 48 with a rectification
-- (1 in 10 of them listed supervision, half closed).
\set ON_ERROR_STOP 1
SET sereg.role = 'system';
SET maintenance_work_mem = '512MB';
CREATE TEMP TABLE d AS
  SELECT row_number() OVER (ORDER BY code) - 1 AS k, code FROM jurisdiction
  WHERE parent IS NOT NULL AND valid_to IS NULL;
-- one user unit per district, credit codes well-formed (their check digits are not the point here)
INSERT INTO organization (credit_code, name, kind, jurisdiction)
SELECT '91510100BF' || lpad(k::text, 6, '0') || 'XX', '压测使用单位' || k, 'user_unit', code FROM d;
CREATE TEMP TABLE uu AS
  SELECT d.k, o.id FROM d JOIN organization o ON o.credit_code = '91510100BF' || lpad(d.k::text, 6, '0') || 'XX';
CREATE TEMP TABLE nd AS SELECT count(*) AS n FROM d;

ALTER TABLE equipment DISABLE TRIGGER equipment_search_keep;
ALTER TABLE equipment DISABLE TRIGGER equipment_queue_inserted;
INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address,
                       commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule)
SELECT '3110' || lpad((n / 100000)::text, 5, '0') || '2018' || lpad((n % 100000)::text, 5, '0'), 'elevator', '3110',
       'FIG' || n, d.code, uu.id, '压测路 ' || n || ' 号', date '2015-01-01' + n % 3000,
       '{"variety": "3110", "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 12}'::jsonb,
       CASE WHEN n % 100 = 0 THEN 'cancelled' WHEN n % 50 = 1 THEN 'suspended' ELSE 'in_service' END,
       'bench@1', date :'day' - 30 + n % 400, 'periodic', 'bench@1'
FROM generate_series(0, :units - 1) AS n
JOIN d ON d.k = n % (SELECT n FROM nd) JOIN uu ON uu.k = d.k;
ALTER TABLE equipment ENABLE TRIGGER equipment_search_keep;
ALTER TABLE equipment ENABLE TRIGGER equipment_queue_inserted;

INSERT INTO equipment_event (equipment_id, action, from_status, to_status, actor_role, reason, at, after, effective_on)
SELECT e.id, 'register', NULL, 'in_service', 'system', '压测', e.commissioned_on::timestamptz,
       jsonb_build_object('next_due', to_char(e.commissioned_on + 365, 'YYYY-MM-DD')),
       -- the last year's registrations: one in ten
       CASE WHEN e.id % 10 = 0 THEN date :'day' - (e.id % 365)::int ELSE e.commissioned_on END
FROM equipment e WHERE e.rule = 'bench@1';
INSERT INTO equipment_event (equipment_id, action, from_status, to_status, actor_role, reason, after, effective_on)
SELECT e.id, 'cancel', 'in_service', 'cancelled', 'system', '压测', '{}', date :'day' - (e.id % 365)::int
FROM equipment e WHERE e.rule = 'bench@1' AND e.status = 'cancelled';

INSERT INTO inspection (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, conclusion_text, passed,
                        defects, request_hash, due_after, recorded_at)
SELECT (SELECT id FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1), 'FIG-' || e.id, e.id, 'periodic',
       least(e.next_due - 365 + (e.id % 20)::int, date :'day'), CASE WHEN e.id % 40 = 0 THEN 'fail' ELSE 'pass' END,
       '压测', e.id % 40 <> 0, '[]', md5(e.id::text),
       jsonb_build_object('next_due', to_char(e.next_due, 'YYYY-MM-DD'), 'next_due_kind', 'periodic'),
       (least(e.next_due - 365 + (e.id % 20)::int, date :'day'))::timestamptz
FROM equipment e WHERE e.rule = 'bench@1';

INSERT INTO hazard (equipment_id, source, condition_key, grade, level, status, found_on, rule, facts, closed_on)
SELECT e.id, (ARRAY['overdue', 'failed_in_use', 'defect', 'patrol', 'manual'])[1 + (e.id / 16) % 5], 'bench',
       CASE WHEN e.id % 10 = 3 THEN 'major' ELSE 'general' END, 'district',
       CASE WHEN (e.id / 16) % 5 < 3 THEN 'closed' ELSE 'open' END, date :'day' - (e.id % 365)::int, 'bench@1', '{}',
       CASE WHEN (e.id / 16) % 5 < 3 THEN date :'day' - (e.id % 365)::int + ((e.id % 365)::int / 2) END
FROM equipment e WHERE e.rule = 'bench@1' AND e.id % 16 = 3;

INSERT INTO rectification (workflow, rule, directive_number, state, deadline, jurisdiction, user_unit_id, opened_on,
                           closed_on)
SELECT CASE WHEN e.id % 480 = 3 THEN 'listed_supervision' ELSE 'rectification' END,
       (SELECT rule FROM rule_definition WHERE kind = 'workflow' ORDER BY rule LIMIT 1), 'FIG-' || e.id,
       CASE WHEN e.id % 96 = 3 THEN 'closed' ELSE 'issued' END, h.found_on + 30, e.jurisdiction, e.user_unit_id,
       h.found_on, CASE WHEN e.id % 96 = 3 THEN h.found_on + (e.id % 50)::int END
FROM equipment e JOIN hazard h ON h.equipment_id = e.id WHERE e.rule = 'bench@1' AND e.id % 48 = 3;

VACUUM ANALYZE equipment;
VACUUM ANALYZE equipment_event;
VACUUM ANALYZE inspection;
VACUUM ANALYZE hazard;
VACUUM ANALYZE rectification;
