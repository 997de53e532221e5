-- 0014_system_reads_without_subqueries.sql -- row policies that follow a parent (a hazard its
-- unit, a deadline its hazard or rectification) ran their EXISTS subqueries for every row even
-- for the system, to whom every row is visible anyway: reading 10,000 due deadline rows cost
-- 800 ms of nested look-ups (deadline -> hazard -> equipment) instead of a few milliseconds.
-- The system's case is now decided first; everyone else's rows are checked as before.
CREATE FUNCTION sereg_is_system() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT current_setting('sereg.role', true) = 'system' $$;

DROP POLICY hazard_read ON hazard;
CREATE POLICY hazard_read ON hazard FOR SELECT
  USING (sereg_is_system()
         OR (coalesce(current_setting('sereg.role', true), '') <> 'agency'
             AND EXISTS (SELECT 1 FROM equipment e WHERE e.id = equipment_id)));

DROP POLICY deadline_read ON deadline;
CREATE POLICY deadline_read ON deadline FOR SELECT
  USING (sereg_is_system()
         OR EXISTS (SELECT 1 FROM hazard h WHERE h.id = hazard_id)
         OR EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id));

DROP POLICY deadline_write ON deadline;
CREATE POLICY deadline_write ON deadline FOR ALL
  USING (sereg_is_system()
         OR EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id
                    AND sereg_can_write(r.jurisdiction, r.user_unit_id))
         OR EXISTS (SELECT 1 FROM hazard h JOIN equipment e ON e.id = h.equipment_id WHERE h.id = hazard_id
                    AND sereg_can_write(e.jurisdiction, e.user_unit_id)));

DROP POLICY rectification_hazard_read ON rectification_hazard;
CREATE POLICY rectification_hazard_read ON rectification_hazard FOR SELECT
  USING (sereg_is_system() OR EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id));

DROP POLICY rectification_event_read ON rectification_event;
CREATE POLICY rectification_event_read ON rectification_event FOR SELECT
  USING (sereg_is_system() OR EXISTS (SELECT 1 FROM rectification r WHERE r.id = rectification_id));
