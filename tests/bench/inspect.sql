-- inspect.sql -- pgbench script: the SQL of one inspection upload as sereg runs it, in one
-- transaction: caller, scoped equipment look-up through the accreditation, idempotency look-up,
-- accreditation on the inspection date, the due-date facts, the result, the due date, history,
-- audit and two notices.
\set id random(:first, :last)
\set r random(1, 2000000000)
BEGIN;
SELECT a.id, a.role FROM api_token t JOIN account a ON a.id = t.account_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL;
SELECT set_config('sereg.role', 'agency', true), set_config('sereg.jurisdiction', '', true), set_config('sereg.org', :agency, true), set_config('sereg.today', '2026-11-29', true);
SELECT e.id, e.type, e.variety, e.status, sereg_equipment_json(e)::text FROM equipment e WHERE e.id = :id AND EXISTS (SELECT 1 FROM accreditation acc WHERE acc.equipment_type = e.type AND (acc.varieties IS NULL OR e.variety = ANY (acc.varieties)) AND acc.agency_id = :agency AND '2026-11-29'::date BETWEEN acc.valid_from AND acc.valid_to);
SELECT i.id FROM inspection i WHERE i.agency_id = :agency AND i.report_number = 'pgb-' || :client_id || '-' || :id || '-' || :r;
SELECT 1 FROM accreditation WHERE agency_id = :agency AND equipment_type = 'elevator' AND (varieties IS NULL OR '3110' = ANY (varieties)) AND '2021-05-20'::date BETWEEN valid_from AND valid_to;
SELECT e.type, sereg_equipment_json(e)::text, (SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = e.type AND (r.jurisdiction = e.jurisdiction OR r.jurisdiction IS NULL) AND r.valid_from <= '2026-11-29' AND (r.valid_to IS NULL OR r.valid_to >= '2026-11-29') ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1), (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, 'inspected_on', i.inspected_on) ORDER BY i.inspected_on, i.id), '[]') FROM inspection i WHERE i.equipment_id = e.id AND i.superseded_by IS NULL)::text, (SELECT coalesce(jsonb_agg(ev.action ORDER BY ev.id), '[]') FROM equipment_event ev WHERE ev.equipment_id = e.id AND ev.action IN ('suspend', 'resume'))::text FROM equipment e WHERE e.id = :id;
INSERT INTO inspection (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, conclusion_text, passed, defects, inspector, request_hash, due_after) VALUES (:agency, 'pgb-' || :client_id || '-' || :id || '-' || :r, :id, 'periodic', '2021-05-20', 'pass', '合格', true, '[]', '压测', md5(random()::text), '{"next_due":"2022-05-31"}') RETURNING id, sereg_inspection_json(inspection)::text;
SELECT set_config('sereg.role', 'system', true);
UPDATE equipment SET next_due = '2022-05-31', next_due_kind = 'self_test', next_due_rule = 'elevator.lua@1.1.0', next_due_basis = '{"reason":"x"}', version = version + 1, updated_at = now() WHERE id = :id;
SELECT set_config('sereg.role', 'agency', true);
INSERT INTO outbox (event_type, subject_type, subject_id, payload) VALUES ('equipment.due_changed', 'equipment', :id, '{"next_due":"2022-05-31"}');
WITH ev AS (INSERT INTO equipment_event (equipment_id, action, from_status, to_status, actor_account, actor_role, reason, before, after, effective_on) SELECT :id::bigint, 'inspect', 'in_service', 'in_service', NULL, 'agency', 'recorded periodic inspection', NULL, '{"next_due":"2022-05-31"}'::jsonb, '2026-11-29'::date), au AS (INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail) VALUES (NULL, 'agency', 'inspection.record', 'inspection', :id, 'bench', '{}')) INSERT INTO outbox (event_type, subject_type, subject_id, payload) VALUES ('inspection.recorded', 'inspection', :id, '{"next_due":"2022-05-31"}');
COMMIT;
