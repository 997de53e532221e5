-- 0001_core.sql -- the registry's core tables: jurisdictions, organizations, accounts and tokens,
-- equipment with its append-only history, the append-only audit log and the notice outbox.
-- Applied by `sereg migrate` in one transaction; never edit once released, add a new file.

CREATE TABLE jurisdiction (
  code          text PRIMARY KEY CHECK (code ~ '^[0-9]{6}(-[A-Z]{2})?$'),
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('city', 'district', 'county', 'county_city', 'functional_zone')),
  parent        text REFERENCES jurisdiction (code),
  division_code text CHECK (division_code ~ '^[0-9]{6}$'),  -- GB/T 2260; NULL for functional zones
  valid_from    date,
  valid_to      date,                                      -- retired codes stay for legacy data
  successor     text REFERENCES jurisdiction (code),
  plate_prefix  text                                       -- e.g. 川A, for registration numbers
);

CREATE TABLE organization (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  credit_code     text NOT NULL UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind            text NOT NULL CHECK (kind IN ('user_unit', 'agency', 'maintenance_unit')),
  jurisdiction    text NOT NULL REFERENCES jurisdiction (code),
  check_override  text,   -- the supervisor's reason for accepting a code that fails its check digit
  created_at      timestamptz NOT NULL DEFAULT now(),
  version         integer NOT NULL DEFAULT 1
);
CREATE INDEX organization_jurisdiction ON organization (jurisdiction, id);

CREATE TABLE account (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('city_supervisor', 'district_supervisor', 'agency',
                                               'user_unit', 'coordinator', 'admin')),
  jurisdiction  text REFERENCES jurisdiction (code),
  org_id        bigint REFERENCES organization (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  CHECK (role NOT IN ('district_supervisor', 'coordinator') OR jurisdiction IS NOT NULL),
  CHECK (role NOT IN ('user_unit', 'agency') OR org_id IS NOT NULL)
);

CREATE TABLE api_token (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES account (id),
  token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),  -- SHA-256; never the token
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE equipment (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  equipment_code      text NOT NULL UNIQUE CHECK (equipment_code ~ '^[0-9]{9}(19|20)[0-9]{2}[0-9A-Z]{5}$'),
  type                text NOT NULL,
  variety             text NOT NULL CHECK (variety = left(equipment_code, 4)),
  registration_number text UNIQUE,
  jurisdiction        text NOT NULL REFERENCES jurisdiction (code),
  user_unit_id        bigint NOT NULL REFERENCES organization (id),
  address             text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
  commissioned_on     date NOT NULL,
  attributes          jsonb NOT NULL CHECK (jsonb_typeof(attributes) = 'object'),
  status              text NOT NULL CHECK (status IN ('pending', 'in_service', 'suspended', 'scrapped', 'cancelled')),
  rule                text NOT NULL,      -- plugin@version that validated the attributes
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'pending' OR registration_number IS NOT NULL OR status = 'cancelled')
);
CREATE INDEX equipment_jurisdiction ON equipment (jurisdiction, id);
CREATE INDEX equipment_user_unit ON equipment (user_unit_id, id);
CREATE INDEX equipment_status ON equipment (status, id);
CREATE INDEX equipment_type ON equipment (type, id);

CREATE TABLE equipment_event (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  equipment_id   bigint NOT NULL REFERENCES equipment (id),
  action         text NOT NULL,
  from_status    text,
  to_status      text NOT NULL,
  actor_account  bigint REFERENCES account (id),
  actor_role     text NOT NULL,
  reason         text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  before         jsonb,
  after          jsonb NOT NULL
);
CREATE INDEX equipment_event_equipment ON equipment_event (equipment_id, id);

CREATE TABLE audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  account_id   bigint REFERENCES account (id),
  role         text NOT NULL,
  action       text NOT NULL,
  target_type  text NOT NULL,
  target_id    text NOT NULL,
  request_id   text,
  detail       jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE outbox (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at    timestamptz NOT NULL DEFAULT now(),
  event_type    text NOT NULL,
  subject_type  text NOT NULL,
  subject_id    text NOT NULL,
  jurisdiction  text REFERENCES jurisdiction (code),
  payload       jsonb NOT NULL,
  delivered_at  timestamptz
);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL;

-- History and audit are append-only for everyone, the table owner included.
CREATE FUNCTION sereg_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER equipment_event_append_only BEFORE UPDATE OR DELETE ON equipment_event
  FOR EACH ROW EXECUTE FUNCTION sereg_append_only();
CREATE TRIGGER equipment_event_no_truncate BEFORE TRUNCATE ON equipment_event
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_append_only();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION sereg_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_append_only();
