-- inspect.sql -- pgbench script: the SQL of one inspection upload as sereg runs it, in one
-- transaction: caller, scoped equipment look-up through the accreditation, idempotency look-up,
-- accreditation on the inspection date, the due-date facts, the result, the due date, history,
-- audit and two notices, written by the one writer (sereg_record()) as sereg writes them.
\set id random(:first, :last)
\set r random(1, 2000000000)
BEGIN;
SELECT a.id, a.role FROM api_token t JOIN account a ON a.id = t.account_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL;
SELECT set_config('sereg.role', 'agency', true), set_config('sereg.jurisdiction', '', true), set_config('sereg.org', :agency, true), set_config('sereg.today', '2026-11-29', true), set_config('sereg.account', '1', true), set_config('sereg.actor_role', 'agency', true), set_config('sereg.actor_account', '1', true), set_config('sereg.request', 'bench', true);
SELECT e.id, e.type, e.variety, e.status, sereg_equipment_json(e)::text FROM equipment e WHERE e.id = :id AND EXISTS (SELECT 1 FROM accreditation acc WHERE acc.equipment_type = e.type AND (acc.varieties IS NULL OR e.variety = ANY (acc.varieties)) AND acc.agency_id = :agency AND '2026-11-29'::date BETWEEN acc.valid_from AND acc.valid_to);
SELECT i.id FROM inspection i WHERE i.agency_id = :agency AND i.report_number = 'pgb-' || :client_id || '-' || :id || '-' || :r;
SELECT 1 FROM accreditation WHERE agency_id = :agency AND equipment_type = 'elevator' AND (varieties IS NULL OR '3110' = ANY (varieties)) AND '2021-05-20'::date BETWEEN valid_from AND valid_to;
SELECT e.type, sereg_equipment_json(e)::text, (SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = e.type AND (r.jurisdiction = e.jurisdiction OR r.jurisdiction IS NULL) AND r.valid_from <= '2026-11-29' AND (r.valid_to IS NULL OR r.valid_to >= '2026-11-29') ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1), (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, 'inspected_on', i.inspected_on) ORDER BY i.inspected_on, i.id), '[]') FROM inspection i WHERE i.equipment_id = e.id AND i.superseded_by IS NULL)::text, (SELECT coalesce(jsonb_agg(ev.action ORDER BY ev.id), '[]') FROM equipment_event ev WHERE ev.equipment_id = e.id AND ev.action IN ('suspend', 'resume'))::text FROM equipment e WHERE e.id = :id;
INSERT INTO inspection (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, conclusion_text, passed, defects, inspector, request_hash, due_after) VALUES (:agency, 'pgb-' || :client_id || '-' || :id || '-' || :r, :id, 'periodic', '2021-05-20', 'pass', '合格', true, '[]', '压测', md5(random()::text), '{"next_due":"2022-05-31"}') RETURNING id, sereg_inspection_json(inspection)::text;
SELECT set_config('sereg.role', 'system', true);
UPDATE equipment SET next_due = '2022-05-31', next_due_kind = 'self_test', next_due_rule = 'elevator.lua@1.1.0', next_due_basis = '{"reason":"x"}', version = version + 1, updated_at = now() WHERE id = :id;
SELECT set_config('sereg.role', 'agency', true);
SELECT sereg_record(jsonb_build_array(jsonb_build_object('event', jsonb_build_object('type', 'equipment.due_changed', 'subject_type', 'equipment', 'subject_id', :id::text, 'jurisdiction', '510104', 'payload', '{"next_due":"2022-05-31"}'::jsonb))));
SELECT sereg_record(jsonb_build_array(jsonb_build_object('history', jsonb_build_object('of', 'equipment', 'id', :id::text, 'action', 'inspect', 'from', 'in_service', 'to', 'in_service', 'reason', 'recorded periodic inspection', 'after', '{"next_due":"2022-05-31"}'::jsonb), 'audit', jsonb_build_object('action', 'inspection.record', 'target_type', 'inspection', 'target_id', :id::text, 'detail', '{}'::jsonb), 'event', jsonb_build_object('type', 'inspection.recorded', 'subject_type', 'inspection', 'subject_id', :id::text, 'jurisdiction', '510104', 'payload', '{"next_due":"2022-05-31"}'::jsonb))));
COMMIT;
