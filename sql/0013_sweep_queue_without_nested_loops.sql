-- 0013_sweep_queue_without_nested_loops.sql -- the queue trigger compared old and new rows with
-- a join of the two transition tables. PostgreSQL has no statistics for transition tables and
-- may plan that join as a nested loop: for a batch moving 10,000 due dates that is 10^8 row
-- pairs, and a batch upload ran into the statement timeout inside the trigger. EXCEPT over
-- (id, next_due, status) says the same thing -- a unit whose due date or status is not what it
-- was, NULLs compared as equal -- and is hashed or sorted, never a nested loop.
CREATE OR REPLACE FUNCTION sereg_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
      SELECT DISTINCT id FROM (SELECT id, next_due, status FROM new_rows
                               EXCEPT SELECT id, next_due, status FROM old_rows) changed
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
