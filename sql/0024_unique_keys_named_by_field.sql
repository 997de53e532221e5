-- 0024_unique_keys_named_by_field.sql -- every unique key named <table>_<field>_key, so that a
-- conflict is reported as the field that really conflicted (sr_db_unique_field): the two keys
-- over two columns are named by the field a caller gives, not by the owner beside it.
ALTER TABLE inspection RENAME CONSTRAINT inspection_agency_id_report_number_key TO inspection_report_number_key;
ALTER TABLE rectification RENAME CONSTRAINT rectification_workflow_directive_number_key
  TO rectification_directive_number_key;
