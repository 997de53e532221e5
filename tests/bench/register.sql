-- register.sql -- pgbench script: the SQL of one registration as sereg runs it (caller
-- identity, jurisdiction and unit checks, registration number, insert with the JSON image,
-- history, audit, outbox), in one transaction.
\set n random(1, 9999999999)
BEGIN;
SELECT set_config('sereg.role', 'city_supervisor', true), set_config('sereg.jurisdiction', '', true), set_config('sereg.org', '', true);
SELECT a.id, a.role FROM api_token t JOIN account a ON a.id = t.account_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL;
SELECT 1 FROM jurisdiction WHERE code = '510104' AND kind <> 'city' AND valid_to IS NULL;
SELECT id FROM organization WHERE credit_code = :unit AND kind = 'user_unit';
WITH s AS (INSERT INTO registration_sequence (prefix, last) VALUES ('梯11/bench', 1) ON CONFLICT (prefix) DO UPDATE SET last = registration_sequence.last + 1 RETURNING last) SELECT s.last, (SELECT plate_prefix FROM jurisdiction WHERE kind = 'city' LIMIT 1) FROM s;
INSERT INTO equipment AS e (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address, commissioned_on, attributes, status, rule)
  VALUES ('3110' || substr(lpad(:n::text, 10, '0'), 1, 5) || '2018' || substr(lpad(:n::text, 10, '0'), 6, 5), 'elevator', '3110', 'PGB' || :n || '-' || :client_id || '-' || random(), '510104', :unit_id, '压测路', '2020-05-01',
          '{"variety":"3110","rated_load_kg":1000,"rated_speed_mps":1.75,"stops":12,"maintenance_unit":"x"}', 'in_service', 'elevator.lua@1.0.0')
  ON CONFLICT DO NOTHING RETURNING e.id, sereg_equipment_json(e)::text \gset eq_
INSERT INTO equipment_event (equipment_id, action, from_status, to_status, actor_account, actor_role, reason, before, after)
  VALUES (:eq_id, 'register', NULL, 'in_service', NULL, 'city_supervisor', '使用登记', NULL, '{}');
INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail) VALUES (NULL, 'city_supervisor', 'equipment.register', 'equipment', :eq_id, 'bench', '{"action":"register"}');
INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload) VALUES ('equipment.registered', 'equipment', :eq_id, '510104', '{}');
COMMIT;
