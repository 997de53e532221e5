-- 0016_one_writer.sql -- every change's records (its history entry, audit record and outbox
-- notice) are written by one function, sereg_record(changes), from one session's truth of who
-- acts. Outbox rows carry the jurisdiction of what they are about, the acting account and role,
-- the request, and an event type from one list (event_type).

-- The notices sereg sends, each about one kind of subject.
CREATE TABLE event_type (
  name         text PRIMARY KEY CHECK (name ~ '^[a-z_]+\.[a-z_]+$'),
  subject_type text NOT NULL,
  description  text NOT NULL
);
INSERT INTO event_type (name, subject_type, description) VALUES
  ('organization.registered', 'organization', 'an organization was registered'),
  ('organization.renamed', 'organization', 'an organization (使用单位更名) changed its name'),
  ('organization.imported', 'organization', 'a register of organizations was imported'),
  ('accreditation.granted', 'organization', 'an inspection agency was accredited'),
  ('equipment.registered', 'equipment', 'a unit was registered (使用登记)'),
  ('equipment.transitioned', 'equipment', 'a unit changed: approved, suspended, resumed, modified, relocated, transferred, renamed, scrapped or cancelled'),
  ('equipment.due_changed', 'equipment', 'a unit''s next inspection date changed'),
  ('equipment.imported', 'equipment', 'a register of equipment was imported'),
  ('inspection.recorded', 'inspection', 'an inspection result (or its amendment) was recorded'),
  ('hazard.opened', 'hazard', 'a hazard was found'),
  ('hazard.escalated', 'hazard', 'a hazard climbed a rung of its escalation ladder'),
  ('hazard.closed', 'hazard', 'a hazard was closed'),
  ('rectification.transitioned', 'rectification', 'a rectification took a step of its workflow'),
  ('rectification.overdue', 'rectification', 'a rectification stayed in a state past its deadline');

-- Rows written before this migration: their jurisdiction from what they are about (imports are
-- the whole city's), and no record of who acted.
UPDATE outbox o SET jurisdiction = coalesce(CASE
    WHEN o.event_type LIKE '%.imported' THEN (SELECT code FROM jurisdiction WHERE kind = 'city' LIMIT 1)
    WHEN o.subject_type = 'equipment' THEN (SELECT e.jurisdiction FROM equipment e WHERE e.id::text = o.subject_id)
    WHEN o.subject_type = 'inspection' THEN (SELECT e.jurisdiction FROM inspection i JOIN equipment e ON e.id = i.equipment_id
                                              WHERE i.id::text = o.subject_id)
    WHEN o.subject_type = 'organization' THEN (SELECT g.jurisdiction FROM organization g WHERE g.id::text = o.subject_id)
    WHEN o.subject_type = 'hazard' THEN (SELECT e.jurisdiction FROM hazard h JOIN equipment e ON e.id = h.equipment_id
                                          WHERE h.id::text = o.subject_id)
    WHEN o.subject_type = 'rectification' THEN (SELECT r.jurisdiction FROM rectification r WHERE r.id::text = o.subject_id)
  END, (SELECT code FROM jurisdiction WHERE kind = 'city' LIMIT 1))
  WHERE o.jurisdiction IS NULL;
ALTER TABLE outbox ALTER COLUMN jurisdiction SET NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_event_type FOREIGN KEY (event_type) REFERENCES event_type (name);
ALTER TABLE outbox ADD COLUMN actor_account bigint REFERENCES account (id);
ALTER TABLE outbox ADD COLUMN actor_role text NOT NULL DEFAULT 'unrecorded'
  CHECK (actor_role IN ('city_supervisor', 'district_supervisor', 'agency', 'user_unit', 'coordinator', 'admin',
                        'system', 'unrecorded'));
ALTER TABLE outbox ALTER COLUMN actor_role DROP DEFAULT;
ALTER TABLE outbox ADD COLUMN request_id text;

/*
 * The one writer. <changes> is a JSON array; each change may hold
 *   history: {of: equipment|hazard|rectification, id, action, ...the entry's own fields}
 *   audit:   {action, target_type, target_id, detail}
 *   event:   {type, subject_type, subject_id, jurisdiction, payload}
 * Who acts is the transaction's: sereg.actor_role and sereg.actor_account, set with the caller
 * when the transaction begins (and to the system while the core acts on its own, as a ladder
 * rung does during someone's request); the request is sereg.request and the day sereg.today.
 * Set-based statements aggregate their rows into one array and call it once.
 */
CREATE FUNCTION sereg_record(changes jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_role text := nullif(current_setting('sereg.actor_role', true), '');
  v_account bigint := nullif(current_setting('sereg.actor_account', true), '')::bigint;
  v_request text := nullif(current_setting('sereg.request', true), '');
  v_today date := coalesce(nullif(current_setting('sereg.today', true), '')::date,
                           (now() AT TIME ZONE 'Asia/Shanghai')::date);
BEGIN
  IF v_role IS NULL THEN
    RAISE EXCEPTION 'sereg_record: the transaction names no actor (sereg.actor_role)';
  END IF;
  IF v_role = 'system' THEN
    v_account := NULL;
  END IF;
  -- One statement, so that the changes are unpacked once however many there are.
  WITH x AS MATERIALIZED (
    SELECT c->'history' AS h, c->'audit' AS a, c->'event' AS e FROM jsonb_array_elements(changes) c),
  eq AS (
    INSERT INTO equipment_event (equipment_id, action, from_status, to_status, actor_account, actor_role, reason,
                                 before, after, effective_on)
    SELECT (h->>'id')::bigint, h->>'action', h->>'from', coalesce(h->>'to', h->>'from'), v_account, v_role,
           h->>'reason', h->'before', h->'after', coalesce((h->>'effective_on')::date, v_today)
    FROM x WHERE h->>'of' = 'equipment'),
  hz AS (
    INSERT INTO hazard_event (hazard_id, action, actor_account, actor_role, reason, effective_on, after)
    SELECT (h->>'id')::bigint, h->>'action', v_account, v_role, h->>'reason',
           coalesce((h->>'effective_on')::date, v_today), h->'after'
    FROM x WHERE h->>'of' = 'hazard'),
  re AS (
    INSERT INTO rectification_event (rectification_id, action, from_state, to_state, actor_account, actor_role, note,
                                     opinion, deadline, evidence, effective_on)
    SELECT (h->>'id')::bigint, h->>'action', h->>'from', h->>'to', v_account, v_role, h->>'note', h->>'opinion',
           (h->>'deadline')::date, coalesce(h->'evidence', '[]'), coalesce((h->>'effective_on')::date, v_today)
    FROM x WHERE h->>'of' = 'rectification'),
  au AS (
    INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail)
    SELECT v_account, v_role, a->>'action', a->>'target_type', a->>'target_id', v_request, coalesce(a->'detail', '{}')
    FROM x WHERE jsonb_typeof(a) = 'object')
  INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload, actor_account, actor_role, request_id)
  SELECT e->>'type', e->>'subject_type', e->>'subject_id', e->>'jurisdiction', coalesce(e->'payload', '{}'),
         v_account, v_role, v_request
  FROM x WHERE jsonb_typeof(e) = 'object';
END $$;
