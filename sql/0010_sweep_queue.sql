-- 0010_sweep_queue.sql -- what the hazard sweep must look at, so that its cost follows what
-- changed rather than the size of the register. Two feeds: the passage of time (units whose due
-- date fell since the last day swept, read through the next_due index from sweep_state) and
-- changes (units whose due date or status changed, queued here by the database itself, so that
-- no writer can forget and a change committed during a sweep waits for the next one).

CREATE TABLE sweep_state (
  name     text PRIMARY KEY,
  through  date NOT NULL   -- the last day swept: units due before it have been looked at
);

CREATE TABLE equipment_changed (
  equipment_id bigint PRIMARY KEY
);

CREATE FUNCTION sereg_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- a new unit matters now only if it is already due on the writer's day; later, the
    -- passage of time brings it to the sweep
    INSERT INTO equipment_changed (equipment_id)
      SELECT id FROM new_rows WHERE next_due < coalesce(nullif(current_setting('sereg.today', true), '')::date,
                                                        current_date)
      ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO equipment_changed (equipment_id)
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.next_due IS DISTINCT FROM o.next_due OR n.status IS DISTINCT FROM o.status
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- Statement-level with transition tables: a batch that moves 10,000 due dates queues them in
-- one insert.
CREATE TRIGGER equipment_queue_inserted AFTER INSERT ON equipment
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sereg_queue_changed();
CREATE TRIGGER equipment_queue_updated AFTER UPDATE ON equipment
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sereg_queue_changed();
