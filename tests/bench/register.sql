-- register.sql -- pgbench script: the SQL of one registration as sereg runs it (caller look-up,
-- caller identity for row-level security, jurisdiction, user unit and inspection regime in one
-- look-up, the registration serial, the insert with its first due date and JSON image, and the
-- history entry, audit record and notice through the one writer, sereg_record()), in one
-- transaction. sereg sends BEGIN and the identity in one round trip, pgbench in two.
BEGIN;
SELECT a.id, a.role FROM api_token t JOIN account a ON a.id = t.account_id WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND a.disabled_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now());
SELECT set_config('sereg.role', 'city_supervisor', true), set_config('sereg.jurisdiction', '', true), set_config('sereg.org', '', true), set_config('sereg.today', '2026-11-29', true), set_config('sereg.account', '1', true), set_config('sereg.actor_role', 'city_supervisor', true), set_config('sereg.actor_account', '1', true), set_config('sereg.request', 'bench', true);
SELECT (SELECT 1 FROM jurisdiction WHERE code = '510104' AND kind <> 'city' AND valid_to IS NULL) AS jok, (SELECT id FROM organization WHERE credit_code = :unit AND kind = 'user_unit') AS unit_id, (SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = 'elevator' AND (r.jurisdiction = '510104' OR r.jurisdiction IS NULL) AND r.valid_from <= '2026-11-29'::date AND (r.valid_to IS NULL OR r.valid_to >= '2026-11-29'::date) ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1) AS regime;
SELECT sereg_next_registration_serial('梯11/2026') AS serial, (SELECT plate_prefix FROM jurisdiction WHERE kind = 'city' LIMIT 1) \gset
INSERT INTO equipment AS e (equipment_code, type, variety, registration_number, jurisdiction, user_unit_id, address, commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule, next_due_basis)
  SELECT '3110' || substr(n, 1, 5) || '2018' || substr(n, 6, 5), 'elevator', '3110', '梯11川A' || :serial || '(26)', '510104', :unit_id, '压测路', '2020-05-01',
         '{"variety":"3110","rated_load_kg":1000,"rated_speed_mps":1.75,"stops":12,"maintenance_unit":"91510106MA60137065"}', 'in_service', 'elevator.lua@1.1.0',
         '2021-05-31', 'periodic', 'elevator.lua@1.1.0', '{"reason":"periodic inspection due in service year 1","basis":{"regime":"tsg_t7001_2023","base_date":"2020-05-01","service_year":1},"rule":"elevator.lua@1.1.0","computed_on":"2026-11-29","request_by":"2021-04-30","statutory_latest":"2021-05-31"}'
  FROM (SELECT lpad(nextval('bench_codes')::text, 10, '0') AS n) s
  RETURNING e.id, sereg_equipment_json(e)::text AS j \gset eq_
SELECT sereg_record(jsonb_build_array(jsonb_build_object(
  'history', jsonb_build_object('of', 'equipment', 'id', :eq_id::text, 'action', 'register', 'to', 'in_service', 'reason', '使用登记', 'after', :eq_j::jsonb),
  'audit', jsonb_build_object('action', 'equipment.register', 'target_type', 'equipment', 'target_id', :eq_id::text, 'detail', '{"action":"register","to":"in_service","reason":"使用登记"}'::jsonb),
  'event', jsonb_build_object('type', 'equipment.registered', 'subject_type', 'equipment', 'subject_id', :eq_id::text, 'jurisdiction', '510104', 'payload', jsonb_build_object('action', 'register', 'equipment', :eq_j::jsonb)))));
COMMIT;
