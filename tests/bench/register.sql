-- register.sql -- pgbench script: the SQL of one registration as sereg runs it (caller lookup,
-- caller identity for row-level security, jurisdiction and unit checks, the registration serial,
-- the insert with its JSON image, history, audit, outbox), in one transaction.
BEGIN;
SELECT a.id, a.role FROM api_token t JOIN account a ON a.id = t.account_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL;
SELECT set_config('sereg.role', 'city_supervisor', true), set_config('sereg.jurisdiction', '', true), set_config('sereg.org', '', true);
SELECT 1 FROM jurisdiction WHERE code = '510104' AND kind <> 'city' AND valid_to IS NULL;
SELECT id FROM organization WHERE credit_code = :unit AND kind = 'user_unit';
SELECT sereg_next_registration_serial('梯11/2026') AS serial, (SELECT plate_prefix FROM jurisdiction WHERE kind = 'city' LIMIT 1) \gset
INSERT INTO equipment AS e (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address, commissioned_on, attributes, status, rule)
  SELECT '3110' || substr(n, 1, 5) || '2018' || substr(n, 6, 5), 'elevator', '3110', '梯11川A' || :serial || '(26)', '510104', :unit_id, '压测路', '2020-05-01',
         '{"variety":"3110","rated_load_kg":1000,"rated_speed_mps":1.75,"stops":12,"maintenance_unit":"91510106MA60137065"}', 'in_service', 'elevator.lua@1.0.0'
  FROM (SELECT lpad(nextval('bench_codes')::text, 10, '0') AS n) s
  RETURNING e.id, sereg_equipment_json(e)::text AS j \gset eq_
INSERT INTO equipment_event (equipment_id, action, from_status, to_status, actor_account, actor_role, reason, before, after)
  VALUES (:eq_id, 'register', NULL, 'in_service', NULL, 'city_supervisor', '使用登记', NULL, :eq_j);
INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail) VALUES (NULL, 'city_supervisor', 'equipment.register', 'equipment', :eq_id, 'bench', '{"action":"register","to":"in_service","reason":"使用登记"}');
INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload) VALUES ('equipment.registered', 'equipment', :eq_id, '510104', :eq_j);
COMMIT;
