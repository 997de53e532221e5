-- Where a unit's next due date comes from. 'decided': its type's rule decided it from its
-- inspection results (or its commissioning). 'recorded': the register it was imported from
-- recorded it (next_due_basis names the file and the last inspection as recorded there); it
-- stands until a real result arrives. 'unknown': it was imported without any inspection state, so
-- it has no due date and is not reported overdue until the district settles it or a result arrives.
ALTER TABLE equipment ADD COLUMN inspection_state text NOT NULL DEFAULT 'decided'
  CHECK (inspection_state IN ('decided', 'recorded', 'unknown'));
CREATE INDEX equipment_inspection_state ON equipment (inspection_state, id) WHERE inspection_state <> 'decided';

-- The record's shape gains the state (its other members as in 0022).
DROP FUNCTION sereg_equipment_shape(bigint, text, text, text, text, text, text, text, text, text, date, jsonb, text,
                                    text, date, text, integer, timestamptz, timestamptz);
CREATE FUNCTION sereg_equipment_shape(id bigint, equipment_code text, type text, variety text,
                                      registration_number text, jurisdiction text, jurisdiction_name text,
                                      user_unit text, user_unit_name text, address text, commissioned_on date,
                                      attributes jsonb, status text, rule text, next_due date, next_due_kind text,
                                      version integer, created_at timestamptz, updated_at timestamptz,
                                      inspection_state text)
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
    'inspection_state', inspection_state,
    'version', version,
    'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

CREATE OR REPLACE FUNCTION sereg_equipment_json(e equipment) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT sereg_equipment_shape(e.id, e.equipment_code, e.type, e.variety, e.registration_number, e.jurisdiction,
                               (SELECT name FROM jurisdiction WHERE code = e.jurisdiction), o.credit_code, o.name,
                               e.address, e.commissioned_on, e.attributes, e.status, e.rule, e.next_due,
                               e.next_due_kind, e.version, e.created_at, e.updated_at, e.inspection_state)
  FROM organization o WHERE o.id = e.user_unit_id
$$;
