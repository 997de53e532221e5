-- 0025_equipment_search.sql -- finding a unit by what people know of it (its equipment code, its
-- registration number or part of it, its user unit's credit code or name, part of its address),
-- and the orders a list of units may be read in.
--
-- A search is a substring match, served by a GIN index of the text's character pairs (bigrams):
-- every substring of two characters or more holds at least one pair, so a two-character Chinese
-- query (红星, 春熙) narrows through the index as well as a long one. pg_trgm, which ships with
-- PostgreSQL, was weighed and left: its LIKE support draws no trigram from a two-character
-- pattern, and such a query falls back to reading the whole table. The pairs need no extension.

-- The form searched: lower case, full-width brackets and space as their ASCII selves, so that
-- 梯11川A01115（26） and a01115 find 梯11川A01115(26).
CREATE FUNCTION sereg_search_key(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT lower(translate(t, '（）　', '() '))
$$;

-- The distinct pairs of consecutive characters of <t> (none for a text under two characters).
CREATE FUNCTION sereg_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}') FROM generate_series(1, length(t) - 1) AS i
$$;

-- A unit's searched text: its keys one a line, so that no match runs from one into the next (a
-- query holds no line break), in the form sereg_search_key makes. The bodies name only built-in
-- functions: they are inlined into the index expressions, which autovacuum's analyze evaluates
-- with no search path of ours.
CREATE FUNCTION sereg_equipment_search_text(equipment_code text, registration_number text, address text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(translate(equipment_code || chr(10) || coalesce(registration_number, '') || chr(10) || address,
                         '（）　', '() '))
$$;

CREATE FUNCTION sereg_organization_search_text(name text, credit_code text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(translate(name || chr(10) || credit_code, '（）　', '() '))
$$;

CREATE INDEX equipment_search ON equipment
  USING gin (sereg_bigrams(sereg_equipment_search_text(equipment_code, registration_number, address)));
CREATE INDEX organization_search ON organization
  USING gin (sereg_bigrams(sereg_organization_search_text(name, credit_code)));

-- The orders of a list of units besides id: due date (units with none last) and registration.
-- The equipment code has its unique index already.
CREATE INDEX equipment_due_order ON equipment ((coalesce(next_due, 'infinity'::date)), id);
CREATE INDEX equipment_registered ON equipment (created_at, id);
