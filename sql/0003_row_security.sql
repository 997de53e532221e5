-- 0003_row_security.sql -- the second lock on scoping. The core already filters every query by
-- the caller's role and jurisdiction; these policies make the database refuse the same rows if a
-- query ever forgets. Each transaction states its caller with set_config('sereg.role', ...),
-- 'sereg.jurisdiction' and 'sereg.org'; without them no equipment row is visible at all.

CREATE FUNCTION sereg_can_read(j text, org bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE current_setting('sereg.role', true)
    WHEN 'system' THEN true
    WHEN 'city_supervisor' THEN true
    WHEN 'admin' THEN true
    WHEN 'district_supervisor' THEN j = current_setting('sereg.jurisdiction', true)
    WHEN 'coordinator' THEN j = current_setting('sereg.jurisdiction', true)
    WHEN 'user_unit' THEN org = nullif(current_setting('sereg.org', true), '')::bigint
    ELSE false
  END
$$;

CREATE FUNCTION sereg_can_write(j text, org bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE current_setting('sereg.role', true)
    WHEN 'system' THEN true
    WHEN 'city_supervisor' THEN true
    WHEN 'district_supervisor' THEN j = current_setting('sereg.jurisdiction', true)
    WHEN 'user_unit' THEN org = nullif(current_setting('sereg.org', true), '')::bigint
    ELSE false
  END
$$;

ALTER TABLE equipment ENABLE ROW LEVEL SECURITY;
ALTER TABLE equipment FORCE ROW LEVEL SECURITY;
CREATE POLICY equipment_read ON equipment FOR SELECT USING (sereg_can_read(jurisdiction, user_unit_id));
CREATE POLICY equipment_insert ON equipment FOR INSERT WITH CHECK (sereg_can_write(jurisdiction, user_unit_id));
CREATE POLICY equipment_update ON equipment FOR UPDATE
  USING (sereg_can_write(jurisdiction, user_unit_id))
  WITH CHECK (sereg_can_write(jurisdiction, user_unit_id));
