-- 0009_hazards.sql -- hidden hazards (事故隐患) found on equipment, with their history. See
-- docs/hazards.md for how they grow into escalation and supervised rectification.

CREATE TABLE hazard (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  equipment_id   bigint NOT NULL REFERENCES equipment (id),
  source         text NOT NULL CHECK (source IN ('overdue', 'failed_in_use', 'defect', 'patrol', 'manual')),
  -- What makes two findings the same hazard, e.g. 'overdue:2026-03-01' or 'result:<id>'. One
  -- condition opens one hazard, ever: a closed hazard's condition does not open a second one.
  condition_key  text NOT NULL,
  grade          text NOT NULL CHECK (grade IN ('general', 'major')),
  level          text NOT NULL CHECK (level IN ('district', 'city')),
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  found_on       date NOT NULL,                -- the calendar day it was found (the caller's today)
  rule           text NOT NULL,                -- what decided it: plugin@version, or the core's rule
  facts          jsonb NOT NULL,               -- what it was decided from
  closed_on      date,
  version        integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (equipment_id, source, condition_key),
  CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);
CREATE INDEX hazard_open ON hazard (status, id);
CREATE INDEX hazard_equipment ON hazard (equipment_id, id);

CREATE TABLE hazard_event (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hazard_id      bigint NOT NULL REFERENCES hazard (id),
  action         text NOT NULL,
  actor_account  bigint REFERENCES account (id),
  actor_role     text NOT NULL,
  reason         text NOT NULL,
  effective_on   date NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  after          jsonb NOT NULL
);
CREATE INDEX hazard_event_hazard ON hazard_event (hazard_id, id);
CREATE TRIGGER hazard_event_append_only BEFORE UPDATE OR DELETE ON hazard_event
  FOR EACH ROW EXECUTE FUNCTION sereg_append_only();
CREATE TRIGGER hazard_event_no_truncate BEFORE TRUNCATE ON hazard_event
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_append_only();

-- The second lock: a hazard is visible and writable exactly when its equipment is (the
-- subquery runs under equipment's own policies).
ALTER TABLE hazard ENABLE ROW LEVEL SECURITY;
ALTER TABLE hazard FORCE ROW LEVEL SECURITY;
CREATE POLICY hazard_read ON hazard FOR SELECT
  USING (EXISTS (SELECT 1 FROM equipment e WHERE e.id = equipment_id));
CREATE POLICY hazard_insert ON hazard FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM equipment e WHERE e.id = equipment_id
                      AND sereg_can_write(e.jurisdiction, e.user_unit_id)));
CREATE POLICY hazard_update ON hazard FOR UPDATE
  USING (EXISTS (SELECT 1 FROM equipment e WHERE e.id = equipment_id
                 AND sereg_can_write(e.jurisdiction, e.user_unit_id)));

-- The one JSON shape of a hazard.
CREATE FUNCTION sereg_hazard_json(h hazard) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', h.id,
    'equipment_id', h.equipment_id,
    'registration_number', e.registration_number,
    'jurisdiction', e.jurisdiction,
    'user_unit', o.credit_code,
    'source', h.source,
    'condition', h.condition_key,
    'grade', h.grade,
    'level', h.level,
    'status', h.status,
    'found_on', to_char(h.found_on, 'YYYY-MM-DD'),
    'closed_on', to_char(h.closed_on, 'YYYY-MM-DD'),
    'rule', h.rule,
    'facts', h.facts,
    'version', h.version,
    'created_at', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(h.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM equipment e JOIN organization o ON o.id = e.user_unit_id WHERE e.id = h.equipment_id
$$;
