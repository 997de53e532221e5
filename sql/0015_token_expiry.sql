-- 0015_token_expiry.sql -- tokens end: each has an expiry (NULL only for a token created with
-- "--expires never", or created before this migration), and a revoked token says when and by
-- what it was revoked. Authentication refuses a token past its expiry or revoked.
ALTER TABLE api_token ADD COLUMN expires_at timestamptz;
ALTER TABLE api_token ADD COLUMN revoked_reason text CHECK (length(revoked_reason) <= 500);
ALTER TABLE api_token ADD CONSTRAINT api_token_revocation CHECK (revoked_reason IS NULL OR revoked_at IS NOT NULL);
CREATE INDEX api_token_account ON api_token (account_id, id);
