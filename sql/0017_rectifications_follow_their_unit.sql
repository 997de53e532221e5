-- 0017_rectifications_follow_their_unit.sql -- a rectification's jurisdiction and user unit are
-- copies of its unit's, kept for the list indexes; from now on they move with the unit in the
-- transaction of its 过户 or 移装 (core/rectification.c, sr_rectification_follow). Rectifications
-- whose unit moved before that are realigned here, each with its history entry, audit record and
-- notice, through the one writer as any step. One that covers more than one unit is left as it is.

SELECT set_config('sereg.role', 'system', true), set_config('sereg.actor_role', 'system', true),
  set_config('sereg.request', 'migration 0017', true);

WITH one AS (
  SELECT r.id, r.state, r.jurisdiction AS was_jurisdiction, o.credit_code AS was_unit, min(h.equipment_id) AS eid
  FROM rectification r
  JOIN organization o ON o.id = r.user_unit_id
  JOIN rectification_hazard rh ON rh.rectification_id = r.id
  JOIN hazard h ON h.id = rh.hazard_id
  GROUP BY r.id, o.credit_code
  HAVING count(DISTINCT h.equipment_id) = 1),
moved AS (
  UPDATE rectification r SET jurisdiction = e.jurisdiction, user_unit_id = e.user_unit_id, version = r.version + 1,
    updated_at = now()
  FROM one JOIN equipment e ON e.id = one.eid
  WHERE r.id = one.id AND (r.jurisdiction, r.user_unit_id) IS DISTINCT FROM (e.jurisdiction, e.user_unit_id)
  RETURNING r.id, one.state, sereg_rectification_json(r) AS j,
    format('realigned with equipment %s by migration 0017: now of %s in %s (was %s in %s)', one.eid,
           (SELECT credit_code FROM organization WHERE id = e.user_unit_id), e.jurisdiction, one.was_unit,
           one.was_jurisdiction) AS note),
rec AS (
  SELECT sereg_record(jsonb_agg(jsonb_build_object(
    'history', jsonb_build_object('of', 'rectification', 'id', id, 'action', 'follow_unit', 'from', state, 'to', state,
      'note', note, 'effective_on', current_date),
    'audit', jsonb_build_object('action', 'rectification.follow_unit', 'target_type', 'rectification',
      'target_id', id::text, 'detail', jsonb_build_object('rectification', j, 'from', state, 'to', state, 'note', note)),
    'event', jsonb_build_object('type', 'rectification.transitioned', 'subject_type', 'rectification',
      'subject_id', id::text, 'jurisdiction', j->>'jurisdiction', 'payload', jsonb_build_object('rectification', j,
      'action', 'follow_unit', 'from', state, 'to', state, 'actor_role', 'system', 'note', note)))))
  FROM moved)
SELECT count(*) FROM rec;
