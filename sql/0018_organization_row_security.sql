-- 0018_organization_row_security.sql -- organizations get row-level security like the rest:
-- every stated caller reads the register (the core filters lists), and only the city, the
-- district of the organization's jurisdiction and the system register or change one.
ALTER TABLE organization ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization FORCE ROW LEVEL SECURITY;
-- Any stated caller: an enterprise's name and credit code are on its business licence, and a
-- district transferring a unit to an enterprise of another district must find it by its code.
CREATE POLICY organization_read ON organization FOR SELECT
  USING (coalesce(current_setting('sereg.role', true), '') <> '');
-- Written as the organization's jurisdiction allows, never by the organization itself (a user
-- unit does not rename itself): sereg_can_write with no organization to match.
CREATE POLICY organization_insert ON organization FOR INSERT
  WITH CHECK (sereg_can_write(jurisdiction, NULL));
CREATE POLICY organization_update ON organization FOR UPDATE
  USING (sereg_can_write(jurisdiction, NULL))
  WITH CHECK (sereg_can_write(jurisdiction, NULL));
