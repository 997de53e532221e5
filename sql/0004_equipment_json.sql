-- 0004_equipment_json.sql -- the one JSON shape of an equipment record, used by the API, the
-- history's before/after images and the outbox, so all three always agree.
CREATE FUNCTION sereg_equipment_json(e equipment) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', e.id,
    'equipment_code', e.equipment_code,
    'type', e.type,
    'variety', e.variety,
    'registration_number', e.registration_number,
    'jurisdiction', e.jurisdiction,
    'jurisdiction_name', (SELECT name FROM jurisdiction WHERE code = e.jurisdiction),
    'user_unit', o.credit_code,
    'user_unit_name', o.name,
    'address', e.address,
    'commissioned_on', to_char(e.commissioned_on, 'YYYY-MM-DD'),
    'attributes', e.attributes,
    'status', e.status,
    'rule', e.rule,
    'version', e.version,
    'created_at', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(e.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM organization o WHERE o.id = e.user_unit_id
$$;
