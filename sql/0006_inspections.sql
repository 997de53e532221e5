-- 0006_inspections.sql -- inspection intake: agencies' accreditations, inspection results with
-- their amendments, the statutory next due date of each unit of equipment, and which inspection
-- regime applies where and since when (data, not code).

CREATE TABLE accreditation (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id       bigint NOT NULL REFERENCES organization (id),
  equipment_type  text NOT NULL,
  varieties       text[],                -- NULL: every variety of the type
  valid_from      date NOT NULL,
  valid_to        date NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_from <= valid_to)
);
CREATE INDEX accreditation_agency ON accreditation (agency_id, equipment_type);

CREATE TABLE inspection (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  agency_id        bigint NOT NULL REFERENCES organization (id),
  report_number    text NOT NULL CHECK (length(report_number) BETWEEN 1 AND 64),
  equipment_id     bigint NOT NULL REFERENCES equipment (id),
  kind             text NOT NULL CHECK (kind IN ('periodic', 'supervisory', 'first', 'self_test',
                                                 'annual_check', 'external', 'internal')),
  inspected_on     date NOT NULL,
  conclusion       text NOT NULL,          -- the plugin's code, e.g. 'pass'
  conclusion_text  text NOT NULL,          -- its Chinese wording, e.g. '合格'
  passed           boolean NOT NULL,       -- whether the conclusion lets the unit stay in use
  safety_grade     smallint CHECK (safety_grade BETWEEN 1 AND 5),
  defects          jsonb NOT NULL DEFAULT '[]',
  inspector        text,
  request_hash     text NOT NULL,          -- SHA-256 of the normalized request, for idempotency
  amends_id        bigint REFERENCES inspection (id),
  superseded_by    bigint REFERENCES inspection (id),
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agency_id, report_number)
);
CREATE INDEX inspection_equipment ON inspection (equipment_id, inspected_on, id);
CREATE INDEX inspection_recorded ON inspection (recorded_at, id);

-- A result is evidence: once stored only the pointer to its amendment may be set, once.
CREATE FUNCTION sereg_inspection_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.superseded_by IS NOT NULL OR
     (to_jsonb(NEW) - 'superseded_by') IS DISTINCT FROM (to_jsonb(OLD) - 'superseded_by') THEN
    RAISE EXCEPTION 'inspection results are immutable; record an amendment'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER inspection_immutable BEFORE UPDATE OR DELETE ON inspection
  FOR EACH ROW EXECUTE FUNCTION sereg_inspection_immutable();

CREATE TABLE inspection_regime (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  equipment_type  text NOT NULL,
  jurisdiction    text REFERENCES jurisdiction (code),  -- NULL: the whole city
  regime          text NOT NULL,
  valid_from      date NOT NULL,
  valid_to        date,
  source          text NOT NULL
);

-- Elevators: the yearly regime of TSG T7001-2009 until TSG T7001-2023 became mandatory at the
-- end of its one-year transition (published 2023-04-02).
INSERT INTO inspection_regime (equipment_type, jurisdiction, regime, valid_from, valid_to, source) VALUES
  ('elevator', NULL, 'yearly', '2009-01-01', '2024-04-01', 'TSG T7001-2009'),
  ('elevator', NULL, 'tsg_t7001_2023', '2024-04-02', NULL, 'TSG T7001-2023, TSG T7008-2023'),
  ('boiler', NULL, 'tsg_11_2020', '2021-06-01', NULL, 'TSG 11-2020'),
  ('pressure_vessel', NULL, 'tsg_21_2016', '2016-10-01', NULL, 'TSG 21-2016');

ALTER TABLE equipment
  ADD COLUMN next_due       date,
  ADD COLUMN next_due_kind  text,
  ADD COLUMN next_due_rule  text,    -- plugin@version that decided it
  ADD COLUMN next_due_basis jsonb;   -- the plugin's explanation and the inputs it used
CREATE INDEX equipment_next_due ON equipment (next_due, id) WHERE next_due IS NOT NULL;
CREATE INDEX equipment_jurisdiction_due ON equipment (jurisdiction, next_due) WHERE next_due IS NOT NULL;

-- Agencies see the equipment of the types they are accredited for, on the caller's "today".
CREATE FUNCTION sereg_agency_accredited(t text, v text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM accreditation a
    WHERE a.agency_id = nullif(current_setting('sereg.org', true), '')::bigint
      AND a.equipment_type = t
      AND (a.varieties IS NULL OR v = ANY (a.varieties))
      AND nullif(current_setting('sereg.today', true), '')::date BETWEEN a.valid_from AND a.valid_to)
$$;

DROP POLICY equipment_read ON equipment;
CREATE POLICY equipment_read ON equipment FOR SELECT USING (
  sereg_can_read(jurisdiction, user_unit_id)
  OR (current_setting('sereg.role', true) = 'agency' AND sereg_agency_accredited(type, variety)));

-- The API's shape of equipment gains the due date.
CREATE OR REPLACE FUNCTION sereg_equipment_json(e equipment) RETURNS jsonb
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
    'next_due', to_char(e.next_due, 'YYYY-MM-DD'),
    'next_due_kind', e.next_due_kind,
    'version', e.version,
    'created_at', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(e.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM organization o WHERE o.id = e.user_unit_id
$$;

-- The calendar day an event takes effect (the caller's "today"), which due-date rules read:
-- the instant in 'at' is when it was recorded, which replays and tests do not control.
ALTER TABLE equipment_event ADD COLUMN effective_on date;
ALTER TABLE inspection ADD COLUMN due_after jsonb; -- the equipment's next due as this result left it

-- The one JSON shape of an inspection result.
CREATE FUNCTION sereg_inspection_json(i inspection) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', i.id,
    'agency', o.credit_code,
    'agency_name', o.name,
    'report_number', i.report_number,
    'equipment_id', i.equipment_id,
    'kind', i.kind,
    'inspected_on', to_char(i.inspected_on, 'YYYY-MM-DD'),
    'conclusion', i.conclusion,
    'conclusion_text', i.conclusion_text,
    'passed', i.passed,
    'safety_grade', i.safety_grade,
    'defects', i.defects,
    'inspector', i.inspector,
    'amends', (SELECT a.report_number FROM inspection a WHERE a.id = i.amends_id),
    'superseded_by', (SELECT s.report_number FROM inspection s WHERE s.id = i.superseded_by),
    'recorded_at', to_char(i.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM organization o WHERE o.id = i.agency_id
$$;
