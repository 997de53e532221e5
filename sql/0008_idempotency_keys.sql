-- 0008_idempotency_keys.sql -- POST requests with an Idempotency-Key header: the first one with a
-- key claims it, and its outcome is kept so that a retry (after a lost answer, say) gets the
-- same answer instead of doing the work twice.
CREATE TABLE idempotency_key (
  account_id    bigint NOT NULL REFERENCES account (id),
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash  text NOT NULL,              -- SHA-256 of method, path and body
  status        integer,                    -- NULL while the first request is being served
  response      text,
  etag          text,
  location      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
