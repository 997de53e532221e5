-- 0030_figures_due_dates.sql -- the inspection rate (定期检验率, docs/figures.md) of a year or a
-- series without each due date of the period joined to its unit and looked for among its later
-- results. figures_due holds, for each unit in service now, each due date it had (set by its
-- registration or by a result, each date once) under the jurisdiction it has now, and whether the
-- result that moved it past that date was made by it: exactly what domain/figures_sql.c counted
-- from the rows, kept per unit. No second truth: only the triggers below write it, in the same
-- statement as the change of a unit, a result or a registration, by counting that unit's rows
-- again from scratch, so it commits and rolls back with them and cannot drift whatever the order
-- of the statements. "Behind us" (a due date before today) is decided when the figures are read.

CREATE TABLE figures_due (
  equipment_id  bigint NOT NULL,
  due           date NOT NULL,
  jurisdiction  text NOT NULL,
  on_time       boolean NOT NULL,
  PRIMARY KEY (equipment_id, due)
);
CREATE INDEX figures_due_day ON figures_due (due, jurisdiction) INCLUDE (on_time);

ALTER TABLE figures_due ENABLE ROW LEVEL SECURITY;
ALTER TABLE figures_due FORCE ROW LEVEL SECURITY;
CREATE POLICY figures_due_read ON figures_due FOR SELECT
  USING (sereg_can_read(jurisdiction, NULL) OR current_setting('sereg.tally', true) = 'on');
CREATE POLICY figures_due_write ON figures_due FOR ALL
  USING (current_setting('sereg.tally', true) = 'on') WITH CHECK (current_setting('sereg.tally', true) = 'on');

-- The due dates of unit <eid> (its due date now <unit_next_due>): the date a registration set
-- (its event's next_due) and the date each result set (superseded results left out), each once
-- with the first thing that set it; on time when the unit's first later result (by inspection
-- date) whose own due date is another one was made on or before it. A unit whose due date is
-- still this one has met it by no result.
CREATE FUNCTION sereg_due_of(eid bigint, unit_next_due date) RETURNS TABLE (due date, on_time boolean)
LANGUAGE sql STABLE AS $$
  -- Each table is read by its unit alone behind OFFSET 0, the other conditions outside it: with
  -- the statistics of a smaller table the planner otherwise read a whole partial index of sql/0027
  -- (inspection_due_set, equipment_event_due_set, inspection_made) for each unit, whose predicate
  -- those conditions imply: 4 to 14 s for a batch of 10,000 results.
  WITH r AS MATERIALIZED (SELECT n.id, n.inspected_on, n.due_after->>'next_due' AS d FROM (
                            SELECT * FROM inspection WHERE equipment_id = eid OFFSET 0) n
                          WHERE n.superseded_by IS NULL)
  SELECT ds.d::date, coalesce(m.inspected_on <= ds.d::date, false)
  FROM (SELECT DISTINCT ON (x.d) x.d, x.so, x.sid FROM (
          SELECT r.d, r.inspected_on AS so, r.id AS sid FROM r
          UNION ALL
          SELECT ev.after->>'next_due', NULL::date, 0 FROM (
            SELECT * FROM equipment_event WHERE equipment_id = eid OFFSET 0) ev
          WHERE ev.action = 'approve' OR (ev.action = 'register' AND ev.to_status = 'in_service')) x
        WHERE x.d ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
        ORDER BY x.d, x.so NULLS FIRST, x.sid) ds
  LEFT JOIN LATERAL (SELECT r.inspected_on FROM r
                     WHERE unit_next_due IS DISTINCT FROM ds.d::date
                       AND (ds.so IS NULL OR (r.inspected_on, r.id) > (ds.so, ds.sid))
                       AND r.d IS DISTINCT FROM ds.d
                     ORDER BY r.inspected_on, r.id LIMIT 1) m ON true
$$;

-- The units <ids> counted again: their rows taken away, and those of the ones in service now
-- written from their rows as they are now. The ids are joined as a set, not tested with = ANY: with
-- the statistics of a smaller register the planner scanned every unit in service against an array
-- of 10,000 (6.7 s for a batch of results). The units are locked first (as the UPDATE that records
-- a result's due date locks them anyway), so that two transactions recording results of one unit
-- at once count it one after the other, the second from what the first committed.
CREATE FUNCTION sereg_due_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE was text;
BEGIN
  IF cardinality(ids) = 0 THEN
    RETURN;
  END IF;
  was := sereg_tally_begin();
  PERFORM 1 FROM unnest(ids) u(id) JOIN equipment e ON e.id = u.id ORDER BY e.id FOR NO KEY UPDATE OF e;
  DELETE FROM figures_due f USING unnest(ids) u(id) WHERE f.equipment_id = u.id;
  INSERT INTO figures_due (equipment_id, due, jurisdiction, on_time)
  SELECT e.id, d.due, e.jurisdiction, d.on_time
  FROM unnest(ids) u(id) JOIN equipment e ON e.id = u.id CROSS JOIN LATERAL sereg_due_of(e.id, e.next_due) d
  WHERE e.status = 'in_service';
  PERFORM sereg_tally_end(was);
END $$;

-- What changes a unit's due dates: its status, its due date or its jurisdiction; a result of it
-- (or its amendment); a registration. Old and new units are compared with EXCEPT, never a join of
-- the transition tables (sql/0013: without statistics that join may be a nested loop).
CREATE FUNCTION sereg_due_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'equipment' THEN
    PERFORM sereg_due_refresh(array(
      SELECT DISTINCT id FROM (SELECT id, status, next_due, jurisdiction FROM new_rows
                               EXCEPT SELECT id, status, next_due, jurisdiction FROM old_rows) changed
      ORDER BY 1));
  ELSIF TG_TABLE_NAME = 'equipment_event' THEN
    PERFORM sereg_due_refresh(array(SELECT DISTINCT equipment_id FROM new_rows WHERE action IN ('register', 'approve')
                                    ORDER BY 1));
  ELSE
    PERFORM sereg_due_refresh(array(SELECT DISTINCT equipment_id FROM new_rows ORDER BY 1));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER equipment_due_updated AFTER UPDATE ON equipment REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_due_changed();
CREATE TRIGGER equipment_event_due_inserted AFTER INSERT ON equipment_event REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_due_changed();
CREATE TRIGGER inspection_due_inserted AFTER INSERT ON inspection REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_due_changed();
CREATE TRIGGER inspection_due_updated AFTER UPDATE ON inspection REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_due_changed();

-- The rows it starts from.
SELECT set_config('sereg.role', 'system', true), set_config('sereg.tally', 'on', true);
INSERT INTO figures_due (equipment_id, due, jurisdiction, on_time)
SELECT e.id, d.due, e.jurisdiction, d.on_time
FROM equipment e CROSS JOIN LATERAL sereg_due_of(e.id, e.next_due) d WHERE e.status = 'in_service';
SELECT set_config('sereg.tally', '', true);
ANALYZE figures_due;
