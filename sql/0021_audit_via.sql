-- An audit record says what its actor acted through when that was not a request of its own: an
-- administrator's script run with --apply names its file and SHA-256 (sereg script). The caller
-- states it per transaction in sereg.via (a JSON object), as it states who acts; the writer of
-- audit records is unchanged, and this trigger adds it to each record's detail as 'via'.
CREATE FUNCTION sereg_audit_via() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.detail := coalesce(NEW.detail, '{}'::jsonb) || jsonb_build_object('via', current_setting('sereg.via')::jsonb);
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_via BEFORE INSERT ON audit_log
  FOR EACH ROW WHEN (coalesce(current_setting('sereg.via', true), '') <> '')
  EXECUTE FUNCTION sereg_audit_via();
