-- 0025_equipment_search.sql -- finding a unit by what people know of it (its equipment code, its
-- registration number or part of it, its user unit's credit code or name, part of its address),
-- and the orders a list of units may be read in.
--
-- A search is a substring match, served by a GIN index of the text's runs of two and of four
-- characters: every substring of two characters or more holds at least one, so a two-character
-- Chinese query (红星, 春熙) narrows through the index as well as a long one. pg_trgm, which ships with
-- PostgreSQL (and which the schema's owner may create, being trusted), was weighed and left: its
-- LIKE support draws no trigram from a two-character pattern, and such a query reads everything.
--
-- The searched text lives in a table of its own, equipment_search, kept by triggers beside the
-- unit and its user unit, without row-level security: equipment's forced policies let an index
-- serve only leakproof operators (equality, order), and neither @> nor LIKE is one, so an index
-- on equipment itself is never used by the server's role. The table yields ids only; a list joins
-- them back to equipment, where the caller's scope and the row policies hold as for any list.

-- The form searched: lower case, full-width brackets and space as their ASCII selves, so that
-- 梯11川A01115（26） and a01115 find 梯11川A01115(26). Built-in functions only: these bodies are
-- inlined into an index expression, which autovacuum's analyze evaluates with no search path of ours.
CREATE FUNCTION sereg_search_key(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(translate(t, '（）　', '() '))
$$;

-- The grams of <t>: every run of two consecutive characters and every run of four (GIN keeps
-- each once). A query asks for its runs of four when it has any, else its pairs
-- (sereg_search_grams): a run of four is far rarer than a pair, above all among digits (100
-- pairs, 10,000 runs of four), so that a code or a registration number narrows to a few rows.
CREATE FUNCTION sereg_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  c text[] := string_to_array(t, NULL);
  n integer := coalesce(array_length(c, 1), 0);
  grams text[] := '{}';
BEGIN
  FOR i IN 1 .. n - 1 LOOP
    grams := grams || (c[i] || c[i + 1]);
    IF i + 3 <= n THEN
      grams := grams || (c[i] || c[i + 1] || c[i + 2] || c[i + 3]);
    END IF;
  END LOOP;
  RETURN grams;
END $$;

CREATE FUNCTION sereg_search_grams(q text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN length(q) >= 4 THEN ARRAY(SELECT g FROM unnest(sereg_grams(q)) AS g WHERE length(g) = 4)
              ELSE sereg_grams(q) END
$$;

-- Each unit's keys, one a line, so that no match runs from one into the next (a query holds no
-- line break): its own (code, registration number, address) and its user unit's (name, credit
-- code), each part kept by the triggers of its table.
CREATE TABLE equipment_search (
  equipment_id bigint PRIMARY KEY REFERENCES equipment (id),
  user_unit_id bigint NOT NULL,
  unit_keys    text NOT NULL,
  org_keys     text NOT NULL
);
CREATE INDEX equipment_search_user_unit ON equipment_search (user_unit_id);
CREATE INDEX equipment_search_keys ON equipment_search USING gin (sereg_grams(unit_keys || chr(10) || org_keys));

CREATE FUNCTION sereg_equipment_keys(equipment_code text, registration_number text, address text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(translate(equipment_code || chr(10) || coalesce(registration_number, '') || chr(10) || address,
                         '（）　', '() '))
$$;

CREATE FUNCTION sereg_organization_keys(name text, credit_code text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(translate(name || chr(10) || credit_code, '（）　', '() '))
$$;

-- Every role that writes a unit reads organizations (their policy lets any stated caller read).
CREATE FUNCTION sereg_equipment_search_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO equipment_search (equipment_id, user_unit_id, unit_keys, org_keys)
  SELECT NEW.id, NEW.user_unit_id, sereg_equipment_keys(NEW.equipment_code, NEW.registration_number, NEW.address),
         sereg_organization_keys(o.name, o.credit_code)
  FROM organization o WHERE o.id = NEW.user_unit_id
  ON CONFLICT (equipment_id) DO UPDATE
    SET user_unit_id = EXCLUDED.user_unit_id, unit_keys = EXCLUDED.unit_keys, org_keys = EXCLUDED.org_keys;
  RETURN NULL;
END $$;
CREATE TRIGGER equipment_search_keep AFTER INSERT OR UPDATE OF equipment_code, registration_number, address,
  user_unit_id ON equipment FOR EACH ROW EXECUTE FUNCTION sereg_equipment_search_keep();

-- A renamed user unit: every unit of it, whoever renames it and whatever of them they may see.
CREATE FUNCTION sereg_organization_search_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE equipment_search SET org_keys = sereg_organization_keys(NEW.name, NEW.credit_code)
  WHERE user_unit_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER organization_search_keep AFTER UPDATE OF name, credit_code ON organization
  FOR EACH ROW EXECUTE FUNCTION sereg_organization_search_keep();

SELECT set_config('sereg.role', 'system', true);
INSERT INTO equipment_search (equipment_id, user_unit_id, unit_keys, org_keys)
SELECT e.id, e.user_unit_id, sereg_equipment_keys(e.equipment_code, e.registration_number, e.address),
       sereg_organization_keys(o.name, o.credit_code)
FROM equipment e JOIN organization o ON o.id = e.user_unit_id;

-- The orders of a list of units besides id: due date (units with none last) and registration.
-- The equipment code has its unique index already. The due key is a CASE, not coalesce: the
-- planner takes COALESCE for leaky, and so under equipment's row policies would read the index
-- from its start rather than from a page's cursor.
CREATE INDEX equipment_due_order ON equipment ((CASE WHEN next_due IS NULL THEN 'infinity'::date ELSE next_due END), id);
CREATE INDEX equipment_registered ON equipment (created_at, id);
