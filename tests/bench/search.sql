-- search.sql -- pgbench: the statement GET /api/v1/equipment?q=:q runs for the city supervisor
-- (equipment_list.c: the record, the search through equipment_search, id order, a page of 50), with the
-- caller's identity set as the server sets it. Keep in step with the code.
BEGIN;
SELECT set_config('sereg.role', 'city_supervisor', true), set_config('sereg.today', '2026-12-01', true);
SELECT e.id, sereg_equipment_shape(e.id, e.equipment_code, e.type, e.variety, e.registration_number, e.jurisdiction, ej.name, eo.credit_code, eo.name, e.address, e.commissioned_on, e.attributes, e.status, e.rule, e.next_due, e.next_due_kind, e.version, e.created_at, e.updated_at)::text AS j FROM equipment e JOIN organization eo ON eo.id = e.user_unit_id JOIN jurisdiction ej ON ej.code = e.jurisdiction WHERE true AND e.id = ANY (ARRAY(SELECT s.equipment_id FROM equipment_search s WHERE sereg_grams(s.unit_keys || chr(10) || s.org_keys) @> sereg_search_grams(sereg_search_key(:q)) AND strpos(s.unit_keys || chr(10) || s.org_keys, sereg_search_key(:q)) > 0)) ORDER BY e.id LIMIT 51;
END;
