-- 0019_evidence_uploads.sql -- who uploaded an evidence file, per account. The bytes are stored
-- once by their SHA-256 (evidence); each account that uploads them has its own row here, with the
-- name and type it gave and the bytes it was charged. What a caller may cite or download, and
-- under which name, comes from its own upload or from a record citing the file that it may read,
-- never from another account's upload; the rows of the last 24 hours are its upload quota.
CREATE TABLE evidence_upload (
  evidence_id   bigint NOT NULL REFERENCES evidence (id),
  account_id    bigint NOT NULL REFERENCES account (id),
  name          text NOT NULL,
  content_type  text NOT NULL,
  bytes         integer NOT NULL CHECK (bytes >= 0),
  uploaded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (evidence_id, account_id)
);
CREATE INDEX evidence_upload_quota ON evidence_upload (account_id, uploaded_at);

-- Files stored so far were uploaded by the account that stored them.
INSERT INTO evidence_upload (evidence_id, account_id, name, content_type, bytes, uploaded_at)
SELECT id, uploaded_by, name, content_type, size, created_at FROM evidence WHERE uploaded_by IS NOT NULL;

-- The second lock: an account sees and writes its own uploads only (each transaction states its
-- account in 'sereg.account'), the system all of them.
ALTER TABLE evidence_upload ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence_upload FORCE ROW LEVEL SECURITY;
CREATE POLICY evidence_upload_own ON evidence_upload FOR ALL
  USING (sereg_is_system() OR account_id = nullif(current_setting('sereg.account', true), '')::bigint)
  WITH CHECK (sereg_is_system() OR account_id = nullif(current_setting('sereg.account', true), '')::bigint);
