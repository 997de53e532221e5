-- 0029_figures_flow_tallies.sql -- the flow figures of a year or a series without a row of the
-- period joined to its unit (docs/figures.md, domain/figures_sql.c). Lifecycle events, hazards and
-- agencies' results are tallied by the jurisdiction their unit has now and by calendar month
-- (every period asked is whole months). Like sql/0027's census these are no second truth: only
-- the triggers below write them, in the same statement as the rows they count, so they commit and
-- roll back with them, and a unit moved (移装) takes its counts with it in its own UPDATE.
--
-- Events and results are written by many callers at once (registrations, uploads): their keys
-- carry the unit's id modulo 8 (slot), so that two transactions counting the same district and
-- month seldom wait for each other's commit on one row. Hazards are written a few at a time.

CREATE TABLE figures_event_tally (
  jurisdiction  text NOT NULL,
  month         date NOT NULL,            -- the first day of the month of effective_on
  figure        text NOT NULL CHECK (figure IN ('reg', 'chg', 'can')),
  slot          smallint NOT NULL,
  n             bigint NOT NULL,
  PRIMARY KEY (jurisdiction, month, figure, slot)
);

CREATE TABLE figures_hazard_tally (
  jurisdiction  text NOT NULL,
  month         date NOT NULL,            -- of found_on
  source        text NOT NULL,
  grade         text NOT NULL,            -- now: the ladder may raise it
  status        text NOT NULL,            -- now
  n             bigint NOT NULL,
  PRIMARY KEY (jurisdiction, month, source, grade, status)
);

CREATE TABLE figures_result_tally (
  jurisdiction  text NOT NULL,
  month         date NOT NULL,            -- of inspected_on; superseded results are not counted
  agency_id     bigint NOT NULL,
  passed        boolean NOT NULL,
  slot          smallint NOT NULL,
  n             bigint NOT NULL,
  PRIMARY KEY (jurisdiction, month, agency_id, passed, slot)
);

-- Read as the census is, by jurisdiction; written only by the triggers, which say so.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['figures_event_tally', 'figures_hazard_tally', 'figures_result_tally'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (sereg_can_read(jurisdiction, NULL) '
                   'OR current_setting(''sereg.tally'', true) = ''on'')', t || '_read', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR ALL USING (current_setting(''sereg.tally'', true) = ''on'') '
                   'WITH CHECK (current_setting(''sereg.tally'', true) = ''on'')', t || '_write', t);
  END LOOP;
END $$;

-- Which lifecycle figure an event is (docs/figures.md: registrations, changes, cancellations).
CREATE FUNCTION sereg_event_figure(action text, from_status text, to_status text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN action = 'approve' OR (action = 'register' AND to_status = 'in_service') THEN 'reg'
              WHEN action IN ('modify', 'relocate', 'transfer', 'rename') THEN 'chg'
              WHEN action = 'cancel' AND from_status IS DISTINCT FROM 'pending' THEN 'can' END
$$;

-- The triggers read the units as the system (a unit is counted whoever wrote its row, and
-- whether or not that caller may read it afterwards), then give the caller its role back.
CREATE FUNCTION sereg_tally_begin() RETURNS text LANGUAGE plpgsql AS $$
DECLARE was text := coalesce(current_setting('sereg.role', true), '');
BEGIN
  PERFORM set_config('sereg.tally', 'on', true), set_config('sereg.role', 'system', true);
  RETURN was;
END $$;
CREATE FUNCTION sereg_tally_end(was text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('sereg.role', was, true), set_config('sereg.tally', '', true);
END $$;

-- Events are appended only.
CREATE FUNCTION sereg_event_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE was text := sereg_tally_begin();
BEGIN
  INSERT INTO figures_event_tally AS t (jurisdiction, month, figure, slot, n)
  SELECT e.jurisdiction, date_trunc('month', x.effective_on::timestamp)::date, x.figure, (x.equipment_id % 8)::smallint, count(*)
  FROM (SELECT equipment_id, effective_on, sereg_event_figure(action, from_status, to_status) AS figure
        FROM new_rows) x
  JOIN equipment e ON e.id = x.equipment_id
  WHERE x.figure IS NOT NULL AND x.effective_on IS NOT NULL
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (jurisdiction, month, figure, slot) DO UPDATE SET n = t.n + excluded.n;
  PERFORM sereg_tally_end(was);
  RETURN NULL;
END $$;
CREATE TRIGGER equipment_event_tallied AFTER INSERT ON equipment_event REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_event_tally();

-- Hazards change status and grade: the rows a statement took away and added, netted per key,
-- in key order (as sql/0027's census).
CREATE FUNCTION sereg_hazard_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE was text := sereg_tally_begin();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO figures_hazard_tally AS t (jurisdiction, month, source, grade, status, n)
    SELECT e.jurisdiction, date_trunc('month', h.found_on::timestamp)::date, h.source, h.grade, h.status, count(*)
    FROM new_rows h JOIN equipment e ON e.id = h.equipment_id
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (jurisdiction, month, source, grade, status) DO UPDATE SET n = t.n + excluded.n;
  ELSE
    INSERT INTO figures_hazard_tally AS t (jurisdiction, month, source, grade, status, n)
    SELECT e.jurisdiction, date_trunc('month', h.found_on::timestamp)::date, h.source, h.grade, h.status, sum(h.d)
    FROM (SELECT equipment_id, found_on, source, grade, status, 1 AS d FROM new_rows
          UNION ALL SELECT equipment_id, found_on, source, grade, status, -1 FROM old_rows) h
    JOIN equipment e ON e.id = h.equipment_id
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(h.d) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (jurisdiction, month, source, grade, status) DO UPDATE SET n = t.n + excluded.n;
  END IF;
  PERFORM sereg_tally_end(was);
  RETURN NULL;
END $$;
CREATE TRIGGER hazard_tally_inserted AFTER INSERT ON hazard REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_hazard_tally();
CREATE TRIGGER hazard_tally_updated AFTER UPDATE ON hazard REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_hazard_tally();

-- Results are immutable but for their amendment's pointer: one superseded leaves the count.
CREATE FUNCTION sereg_result_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE was text := sereg_tally_begin();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO figures_result_tally AS t (jurisdiction, month, agency_id, passed, slot, n)
    SELECT e.jurisdiction, date_trunc('month', i.inspected_on::timestamp)::date, i.agency_id, i.passed,
           (i.equipment_id % 8)::smallint, count(*)
    FROM new_rows i JOIN equipment e ON e.id = i.equipment_id WHERE i.superseded_by IS NULL
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (jurisdiction, month, agency_id, passed, slot) DO UPDATE SET n = t.n + excluded.n;
  ELSE
    INSERT INTO figures_result_tally AS t (jurisdiction, month, agency_id, passed, slot, n)
    SELECT e.jurisdiction, date_trunc('month', i.inspected_on::timestamp)::date, i.agency_id, i.passed,
           (i.equipment_id % 8)::smallint, sum(i.d)
    FROM (SELECT equipment_id, inspected_on, agency_id, passed, 1 AS d FROM new_rows WHERE superseded_by IS NULL
          UNION ALL
          SELECT equipment_id, inspected_on, agency_id, passed, -1 FROM old_rows WHERE superseded_by IS NULL) i
    JOIN equipment e ON e.id = i.equipment_id
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(i.d) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (jurisdiction, month, agency_id, passed, slot) DO UPDATE SET n = t.n + excluded.n;
  END IF;
  PERFORM sereg_tally_end(was);
  RETURN NULL;
END $$;
CREATE TRIGGER inspection_tally_inserted AFTER INSERT ON inspection REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_result_tally();
CREATE TRIGGER inspection_tally_updated AFTER UPDATE ON inspection REFERENCING OLD TABLE AS old_rows
  NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sereg_result_tally();

-- A unit moved to another jurisdiction takes its counts with it (docs/figures.md: every figure of
-- a unit is counted under the jurisdiction it has now). Before the row is written, so that an
-- event or result recorded after the move in the same transaction (the relocation's own history
-- entry) is counted under the new jurisdiction by its own trigger, and not moved a second time.
CREATE FUNCTION sereg_tally_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE was text := sereg_tally_begin();
BEGIN
  INSERT INTO figures_event_tally AS t (jurisdiction, month, figure, slot, n)
  SELECT j, month, figure, slot, sum(d) FROM (
    SELECT x.j, date_trunc('month', ev.effective_on::timestamp)::date AS month,
           sereg_event_figure(ev.action, ev.from_status, ev.to_status) AS figure, (ev.equipment_id % 8)::smallint AS slot,
           x.d
    FROM equipment_event ev CROSS JOIN (VALUES (OLD.jurisdiction, -1), (NEW.jurisdiction, 1)) x(j, d)
    WHERE ev.equipment_id = OLD.id AND ev.effective_on IS NOT NULL) m
  WHERE figure IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (jurisdiction, month, figure, slot) DO UPDATE SET n = t.n + excluded.n;
  INSERT INTO figures_hazard_tally AS t (jurisdiction, month, source, grade, status, n)
  SELECT x.j, date_trunc('month', h.found_on::timestamp)::date, h.source, h.grade, h.status, sum(x.d)
  FROM hazard h CROSS JOIN (VALUES (OLD.jurisdiction, -1), (NEW.jurisdiction, 1)) x(j, d)
  WHERE h.equipment_id = OLD.id GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (jurisdiction, month, source, grade, status) DO UPDATE SET n = t.n + excluded.n;
  INSERT INTO figures_result_tally AS t (jurisdiction, month, agency_id, passed, slot, n)
  SELECT x.j, date_trunc('month', i.inspected_on::timestamp)::date, i.agency_id, i.passed, (i.equipment_id % 8)::smallint,
         sum(x.d)
  FROM inspection i CROSS JOIN (VALUES (OLD.jurisdiction, -1), (NEW.jurisdiction, 1)) x(j, d)
  WHERE i.equipment_id = OLD.id AND i.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (jurisdiction, month, agency_id, passed, slot) DO UPDATE SET n = t.n + excluded.n;
  PERFORM sereg_tally_end(was);
  RETURN NEW;
END $$;
CREATE TRIGGER equipment_tally_moved BEFORE UPDATE OF jurisdiction ON equipment
  FOR EACH ROW WHEN (OLD.jurisdiction IS DISTINCT FROM NEW.jurisdiction) EXECUTE FUNCTION sereg_tally_move();

-- The counts they start from.
SELECT set_config('sereg.role', 'system', true), set_config('sereg.tally', 'on', true);
INSERT INTO figures_event_tally (jurisdiction, month, figure, slot, n)
SELECT e.jurisdiction, date_trunc('month', ev.effective_on::timestamp)::date, x.figure, (ev.equipment_id % 8)::smallint, count(*)
FROM equipment_event ev JOIN equipment e ON e.id = ev.equipment_id
CROSS JOIN LATERAL (SELECT sereg_event_figure(ev.action, ev.from_status, ev.to_status) AS figure) x
WHERE x.figure IS NOT NULL AND ev.effective_on IS NOT NULL GROUP BY 1, 2, 3, 4;
INSERT INTO figures_hazard_tally (jurisdiction, month, source, grade, status, n)
SELECT e.jurisdiction, date_trunc('month', h.found_on::timestamp)::date, h.source, h.grade, h.status, count(*)
FROM hazard h JOIN equipment e ON e.id = h.equipment_id GROUP BY 1, 2, 3, 4, 5;
INSERT INTO figures_result_tally (jurisdiction, month, agency_id, passed, slot, n)
SELECT e.jurisdiction, date_trunc('month', i.inspected_on::timestamp)::date, i.agency_id, i.passed,
       (i.equipment_id % 8)::smallint, count(*)
FROM inspection i JOIN equipment e ON e.id = i.equipment_id WHERE i.superseded_by IS NULL GROUP BY 1, 2, 3, 4, 5;
SELECT set_config('sereg.tally', '', true);
