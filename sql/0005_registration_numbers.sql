-- 0005_registration_numbers.sql -- serial numbers for registration-certificate numbers, one series
-- per class, variety digits and year (e.g. 梯11/2026). Each series is a PostgreSQL sequence, so
-- concurrent registrations never wait on one another: a counter row would serialize every
-- registration of a class behind one row lock held until commit. Like any sequence, a number
-- drawn by a registration that then fails is not reused, so a series may have gaps; numbers are
-- unique and increasing, which is what a certificate number needs.

CREATE TABLE registration_series (
  prefix    text PRIMARY KEY,    -- 梯11/2026
  sequence  text NOT NULL UNIQUE -- the sequence that numbers it
);

CREATE FUNCTION sereg_next_registration_serial(p_prefix text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  seq text;
BEGIN
  SELECT sequence INTO seq FROM registration_series WHERE prefix = p_prefix;
  IF seq IS NULL THEN
    -- The first number of a series: create it once, even when two registrations race for it.
    PERFORM pg_advisory_xact_lock(hashtext('sereg.registration_series'), hashtext(p_prefix));
    seq := 'registration_serial_' || md5(p_prefix);
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', seq);
    INSERT INTO registration_series (prefix, sequence) VALUES (p_prefix, seq) ON CONFLICT DO NOTHING;
  END IF;
  RETURN nextval(seq::regclass);
END $$;
