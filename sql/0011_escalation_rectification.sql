-- 0011_escalation_rectification.sql -- what drives a hazard to closure: the escalation ladder's
-- rungs and the workflows' state deadlines as indexed deadline rows, rectifications (监察指令书,
-- 挂牌督办) with their hazards and history, and evidence files. See docs/hazards.md.

-- The exact rule definitions hazards and rectifications run under. A hazard keeps the ladder it
-- was opened with and a rectification the workflow it was opened with, so a new plugin version
-- applies to new ones only.
CREATE TABLE rule_definition (
  rule        text PRIMARY KEY,           -- file@version, e.g. 'escalation.lua@1.0.0'
  kind        text NOT NULL CHECK (kind IN ('escalation', 'workflow')),
  spec        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE hazard ADD COLUMN ladder text REFERENCES rule_definition (rule);
ALTER TABLE hazard ADD COLUMN reported_by bigint REFERENCES account (id);
ALTER TABLE hazard ADD COLUMN evidence jsonb NOT NULL DEFAULT '[]';

-- Evidence files (photos, reports) are stored once per content, named by their SHA-256; a
-- transition or a patrol report refers to them by hash.
CREATE TABLE evidence (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sha256        text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  name          text NOT NULL,
  content_type  text NOT NULL,
  size          integer NOT NULL CHECK (size >= 0),
  content       bytea NOT NULL,
  uploaded_by   bigint REFERENCES account (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (octet_length(content) = size)
);

CREATE TABLE rectification (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow          text NOT NULL,                 -- the workflow's code
  rule              text NOT NULL REFERENCES rule_definition (rule),
  directive_number  text,                          -- 指令书编号
  state             text NOT NULL,
  deadline          date,                          -- the directive's deadline
  jurisdiction      text NOT NULL,
  user_unit_id      bigint NOT NULL REFERENCES organization (id),
  opened_on         date NOT NULL,
  closed_on         date,
  version           integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow, directive_number)
);
CREATE INDEX rectification_scope ON rectification (jurisdiction, id);
CREATE INDEX rectification_unit ON rectification (user_unit_id, id);

CREATE TABLE rectification_hazard (
  rectification_id  bigint NOT NULL REFERENCES rectification (id),
  hazard_id         bigint NOT NULL REFERENCES hazard (id),
  PRIMARY KEY (rectification_id, hazard_id)
);
CREATE INDEX rectification_hazard_hazard ON rectification_hazard (hazard_id);

CREATE TABLE rectification_event (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rectification_id  bigint NOT NULL REFERENCES rectification (id),
  action            text NOT NULL,
  from_state        text,
  to_state          text NOT NULL,
  actor_account     bigint REFERENCES account (id),
  actor_role        text NOT NULL,
  note              text,
  opinion           text,
  deadline          date,
  evidence          jsonb NOT NULL DEFAULT '[]',
  effective_on      date NOT NULL,
  at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rectification_event_rect ON rectification_event (rectification_id, id);
CREATE TRIGGER rectification_event_append_only BEFORE UPDATE OR DELETE ON rectification_event
  FOR EACH ROW EXECUTE FUNCTION sereg_append_only();
CREATE TRIGGER rectification_event_no_truncate BEFORE TRUNCATE ON rectification_event
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_append_only();

-- Every rung of the ladder and every workflow state deadline is a row here, written in the
-- transaction that makes it due; the sweep reads only pending rows that have fallen due, so its
-- cost follows what changed. A row fires once: fired_on is set in the transaction that acts.
CREATE TABLE deadline (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hazard_id         bigint REFERENCES hazard (id),
  rectification_id  bigint REFERENCES rectification (id),
  kind              text NOT NULL,     -- 'rung:<id>' or 'state:<state>@<rectification version>'
  due_on            date NOT NULL,
  spec              jsonb NOT NULL,    -- the rung or state as it was when scheduled
  fired_on          date,
  outcome           text,
  CHECK (num_nonnulls(hazard_id, rectification_id) = 1),
  CHECK ((fired_on IS NULL) = (outcome IS NULL)),
  UNIQUE (hazard_id, kind),
  UNIQUE (rectification_id, kind)
);
CREATE INDEX deadline_pending ON deadline (due_on, id) WHERE fired_on IS NULL;

-- The second lock, as for hazards: a rectification is visible and writable with its unit's
-- jurisdiction and user unit; its hazards, history and deadlines go with it.
ALTER TABLE rectification ENABLE ROW LEVEL SECURITY;
ALTER TABLE rectification FORCE ROW LEVEL SECURITY;
CREATE POLICY rectification_read ON rectification FOR SELECT USING (sereg_can_read(jurisdiction, user_unit_id));
CREATE POLICY rectification_insert ON rectification FOR INSERT WITH CHECK (sereg_can_write(jurisdiction, user_unit_id));
CREATE POLICY rectification_update ON rectification FOR UPDATE USING (sereg_can_write(jurisdiction, user_unit_id));

ALTER TABLE rectification_hazard ENABLE ROW LEVEL SECURITY;
ALTER TABLE rectification_hazard FORCE ROW LEVEL SECURITY;
CREATE POLICY rectification_hazard_read ON rectification_hazard FOR SELECT
  USING (EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id));
CREATE POLICY rectification_hazard_insert ON rectification_hazard FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id
                      AND sereg_can_write(r.jurisdiction, r.user_unit_id)));

ALTER TABLE rectification_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE rectification_event FORCE ROW LEVEL SECURITY;
CREATE POLICY rectification_event_read ON rectification_event FOR SELECT
  USING (EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id));
CREATE POLICY rectification_event_insert ON rectification_event FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id
                      AND sereg_can_write(r.jurisdiction, r.user_unit_id)));

ALTER TABLE deadline ENABLE ROW LEVEL SECURITY;
ALTER TABLE deadline FORCE ROW LEVEL SECURITY;
CREATE POLICY deadline_read ON deadline FOR SELECT
  USING (EXISTS (SELECT 1 FROM hazard h WHERE h.id = hazard_id)
         OR EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id));
CREATE POLICY deadline_write ON deadline FOR ALL
  USING (current_setting('sereg.role', true) = 'system'
         OR EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id
                    AND sereg_can_write(r.jurisdiction, r.user_unit_id))
         OR EXISTS (SELECT 1 FROM hazard h JOIN equipment e ON e.id = h.equipment_id WHERE h.id = hazard_id
                    AND sereg_can_write(e.jurisdiction, e.user_unit_id)));

-- The one JSON shape of a hazard, now with the ladder it runs under and its evidence.
CREATE OR REPLACE FUNCTION sereg_hazard_json(h hazard) RETURNS jsonb
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
    'ladder', h.ladder,
    'facts', h.facts,
    'evidence', h.evidence,
    'version', h.version,
    'created_at', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(h.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM equipment e JOIN organization o ON o.id = e.user_unit_id WHERE e.id = h.equipment_id
$$;

CREATE FUNCTION sereg_rectification_json(r rectification) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', r.id,
    'workflow', r.workflow,
    'rule', r.rule,
    'directive_number', r.directive_number,
    'state', r.state,
    'deadline', to_char(r.deadline, 'YYYY-MM-DD'),
    'jurisdiction', r.jurisdiction,
    'user_unit', o.credit_code,
    'hazard_ids', coalesce((SELECT jsonb_agg(rh.hazard_id ORDER BY rh.hazard_id) FROM rectification_hazard rh
                            WHERE rh.rectification_id = r.id), '[]'),
    'opened_on', to_char(r.opened_on, 'YYYY-MM-DD'),
    'closed_on', to_char(r.closed_on, 'YYYY-MM-DD'),
    'version', r.version,
    'created_at', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM organization o WHERE o.id = r.user_unit_id
$$;
