-- 0027_figures.sql -- indexes for the oversight figures (docs/figures.md, domain/figures_sql.c):
-- each part of the one statement reads only the rows of its periods, and the census of units
-- reads an index instead of the table. No second copy of any figure: they are counted from the
-- rows themselves every time.

-- Units by jurisdiction, status and type, with the due date for the overdue count: an index-only
-- scan. The columns row-level security reads (user unit, variety) ride along, or every row would
-- be fetched to check the policy.
CREATE INDEX equipment_census ON equipment (jurisdiction, status, type, next_due) INCLUDE (user_unit_id, variety);

-- Lifecycle events of a period (registrations, changes, cancellations); results' events stay out.
CREATE INDEX equipment_event_lifecycle ON equipment_event (effective_on)
  WHERE action IN ('register', 'approve', 'modify', 'relocate', 'transfer', 'rename', 'cancel');

-- Due dates set in a period: by a result (its due_after) or by a registration. ISO dates as text
-- sort as the dates do, so the text itself is indexed (a cast to date is not immutable).
CREATE INDEX inspection_due_set ON inspection ((due_after->>'next_due')) WHERE superseded_by IS NULL;
CREATE INDEX equipment_event_due_set ON equipment_event ((after->>'next_due'))
  WHERE action = 'approve' OR (action = 'register' AND to_status = 'in_service');

-- Results of a period, per agency.
CREATE INDEX inspection_made ON inspection (inspected_on) WHERE superseded_by IS NULL;

-- Hazards found and rectifications closed in a period.
CREATE INDEX hazard_found ON hazard (found_on);
CREATE INDEX rectification_closed ON rectification (closed_on) WHERE closed_on IS NOT NULL;

-- The census of the register (units on it, in service, overdue) read from a tally rather than a
-- million rows: how many units of each jurisdiction, type and status fall due on each day. It is
-- no second truth: only the triggers below write it, in the same statement as the equipment rows
-- it counts, so it commits and rolls back with them; sql/0027's own count starts it.
CREATE TABLE equipment_tally (
  jurisdiction  text NOT NULL,
  type          text NOT NULL,
  status        text NOT NULL,
  next_due      date NOT NULL,            -- 'infinity': no due date
  n             bigint NOT NULL,          -- no CHECK: a decrement is proposed as a row of -1 first
  PRIMARY KEY (jurisdiction, status, type, next_due)
);

-- Read as the equipment it counts is read, by jurisdiction (a user unit or an agency sees none:
-- the figures are not theirs); written only by the trigger, which says so for its statement.
ALTER TABLE equipment_tally ENABLE ROW LEVEL SECURITY;
ALTER TABLE equipment_tally FORCE ROW LEVEL SECURITY;
CREATE POLICY equipment_tally_read ON equipment_tally FOR SELECT
  USING (sereg_can_read(jurisdiction, NULL) OR current_setting('sereg.tally', true) = 'on');
CREATE POLICY equipment_tally_write ON equipment_tally FOR ALL
  USING (current_setting('sereg.tally', true) = 'on') WITH CHECK (current_setting('sereg.tally', true) = 'on');

-- The rows an INSERT or UPDATE of equipment added and took away, netted per key, written in key
-- order (two statements touching the same keys wait for each other instead of deadlocking).
CREATE FUNCTION sereg_equipment_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('sereg.tally', 'on', true);
  IF TG_OP = 'INSERT' THEN
    INSERT INTO equipment_tally AS t (jurisdiction, type, status, next_due, n)
    SELECT jurisdiction, type, status, coalesce(next_due, 'infinity'), count(*) FROM new_rows
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2, 4
    ON CONFLICT (jurisdiction, status, type, next_due) DO UPDATE SET n = t.n + excluded.n;
  ELSE
    INSERT INTO equipment_tally AS t (jurisdiction, type, status, next_due, n)
    SELECT jurisdiction, type, status, next_due, sum(d) FROM (
      SELECT jurisdiction, type, status, coalesce(next_due, 'infinity') AS next_due, 1 AS d FROM new_rows
      UNION ALL
      SELECT jurisdiction, type, status, coalesce(next_due, 'infinity'), -1 FROM old_rows) x
    GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 3, 2, 4
    ON CONFLICT (jurisdiction, status, type, next_due) DO UPDATE SET n = t.n + excluded.n;
  END IF;
  PERFORM set_config('sereg.tally', '', true);
  RETURN NULL;
END $$;

CREATE TRIGGER equipment_tally_inserted AFTER INSERT ON equipment REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_equipment_tally();
CREATE TRIGGER equipment_tally_updated AFTER UPDATE ON equipment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_equipment_tally();

-- The count it starts from.
SELECT set_config('sereg.role', 'system', true), set_config('sereg.tally', 'on', true);
INSERT INTO equipment_tally (jurisdiction, type, status, next_due, n)
SELECT jurisdiction, type, status, coalesce(next_due, 'infinity'), count(*) FROM equipment GROUP BY 1, 2, 3, 4;
SELECT set_config('sereg.tally', '', true);
