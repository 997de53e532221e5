-- The one JSON shape of a unit, from its columns: an inlinable SQL function (a single expression,
-- STABLE as to_char is), so that a list that joins the unit's user unit and jurisdiction builds
-- each record in its own plan instead of running a query per row. A list of a million units
-- (a script's sereg.each) spent most of its time in those per-row queries.
CREATE FUNCTION sereg_equipment_shape(id bigint, equipment_code text, type text, variety text,
                                      registration_number text, jurisdiction text, jurisdiction_name text,
                                      user_unit text, user_unit_name text, address text, commissioned_on date,
                                      attributes jsonb, status text, rule text, next_due date, next_due_kind text,
                                      version integer, created_at timestamptz, updated_at timestamptz)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', id,
    'equipment_code', equipment_code,
    'type', type,
    'variety', variety,
    'registration_number', registration_number,
    'jurisdiction', jurisdiction,
    'jurisdiction_name', jurisdiction_name,
    'user_unit', user_unit,
    'user_unit_name', user_unit_name,
    'address', address,
    'commissioned_on', to_char(commissioned_on, 'YYYY-MM-DD'),
    'attributes', attributes,
    'status', status,
    'rule', rule,
    'next_due', to_char(next_due, 'YYYY-MM-DD'),
    'next_due_kind', next_due_kind,
    'version', version,
    'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

-- A single unit's record, as before, now from the same shape.
CREATE OR REPLACE FUNCTION sereg_equipment_json(e equipment) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT sereg_equipment_shape(e.id, e.equipment_code, e.type, e.variety, e.registration_number, e.jurisdiction,
                               (SELECT name FROM jurisdiction WHERE code = e.jurisdiction), o.credit_code, o.name,
                               e.address, e.commissioned_on, e.attributes, e.status, e.rule, e.next_due,
                               e.next_due_kind, e.version, e.created_at, e.updated_at)
  FROM organization o WHERE o.id = e.user_unit_id
$$;
