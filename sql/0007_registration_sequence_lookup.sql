-- 0007_registration_sequence_lookup.sql -- the sequence of a registration series without drawing
-- from it, so that a bulk load can call nextval() once per row instead of a PL/pgSQL function.
CREATE FUNCTION sereg_registration_sequence(p_prefix text) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
  seq text;
BEGIN
  SELECT sequence INTO seq FROM registration_series WHERE prefix = p_prefix;
  IF seq IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('sereg.registration_series'), hashtext(p_prefix));
    seq := 'registration_serial_' || md5(p_prefix);
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', seq);
    INSERT INTO registration_series (prefix, sequence) VALUES (p_prefix, seq) ON CONFLICT DO NOTHING;
  END IF;
  RETURN seq::regclass;
END $$;

-- One definition of how a series finds its sequence: the per-registration function uses it too.
CREATE OR REPLACE FUNCTION sereg_next_registration_serial(p_prefix text) RETURNS bigint
LANGUAGE sql AS $$ SELECT nextval(sereg_registration_sequence(p_prefix)) $$;
