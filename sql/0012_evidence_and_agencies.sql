-- 0012_evidence_and_agencies.sql -- who may download an evidence file is decided by the records
-- that cite it (a patrol hazard, a rectification step); these indexes find them by hash. And
-- hazards are supervision records: an agency sees the units it is accredited for, not their
-- hazards (the core filters them out; this is the second lock).
CREATE INDEX hazard_evidence ON hazard USING gin (evidence jsonb_path_ops);
CREATE INDEX rectification_event_evidence ON rectification_event USING gin (evidence jsonb_path_ops);

DROP POLICY hazard_read ON hazard;
CREATE POLICY hazard_read ON hazard FOR SELECT
  USING (coalesce(current_setting('sereg.role', true), '') <> 'agency'
         AND EXISTS (SELECT 1 FROM equipment e WHERE e.id = equipment_id));
