-- 0028_sessions.sql -- people log in: an account may have a login name and a password (an
-- Argon2id hash in libsodium's string form, never the password), a count of its recent failed
-- logins and, after too many, a time until which it is locked; a login opens a revocable
-- session, stored as the SHA-256 of its cookie as tokens are. Instants of logins and sessions
-- are the server's clock, passed in by the session module (so that tests can move it).

-- The name as it is written ('王监察', 'wangjc'), and the key it is unique by: the same bytes with
-- ASCII letters in lower case (core/domain/account.c makes it; no other folding).
ALTER TABLE account ADD COLUMN login_key text CHECK (length(login_key) BETWEEN 1 AND 128);
ALTER TABLE account ADD COLUMN password_hash text CHECK (password_hash LIKE '$argon2id$%');
ALTER TABLE account ADD COLUMN password_changed_at timestamptz;
ALTER TABLE account ADD COLUMN failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE account ADD COLUMN last_failed_at timestamptz;
ALTER TABLE account ADD COLUMN locked_until timestamptz;
ALTER TABLE account ADD CONSTRAINT account_password_needs_login CHECK (password_hash IS NULL OR login_key IS NOT NULL);
CREATE UNIQUE INDEX account_login_key ON account (login_key);

CREATE TABLE login_session (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES account (id),
  token_hash      text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),  -- SHA-256; never the cookie
  created_at      timestamptz NOT NULL,
  last_seen_at    timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,                  -- the absolute end; the idle end is last_seen_at's
  revoked_at      timestamptz,
  revoked_reason  text CHECK (revoked_reason IN ('logout', 'disabled', 'reset', 'password')),
  CHECK (revoked_reason IS NULL OR revoked_at IS NOT NULL)
);
CREATE INDEX login_session_account ON login_session (account_id) WHERE revoked_at IS NULL;
CREATE INDEX login_session_live ON login_session (expires_at) WHERE revoked_at IS NULL;
