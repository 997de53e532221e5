-- 0023_plugin_activation.sql -- which plugin set was active when. A row per activation: the
-- set's files with their SHA-256 and what each declares (types, ladder, workflows, formats with
-- their versions), when, who acted and on which event (serve.start, serve.reload, cli.sweep, ...).
-- A process that publishes a set writes a row only when the set differs from the latest one
-- recorded, so a restart with the same files adds nothing.

CREATE TABLE plugin_activation (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  -- SHA-256 over every file's name and SHA-256 (sr_plugins_describe): the same files, the same digest
  digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  files         jsonb NOT NULL CHECK (jsonb_typeof(files) = 'array'),
  event         text NOT NULL CHECK (event ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  actor_role    text NOT NULL,
  actor_account bigint REFERENCES account (id)
);

CREATE TRIGGER plugin_activation_append_only BEFORE UPDATE OR DELETE ON plugin_activation
  FOR EACH ROW EXECUTE FUNCTION sereg_append_only();
CREATE TRIGGER plugin_activation_no_truncate BEFORE TRUNCATE ON plugin_activation
  FOR EACH STATEMENT EXECUTE FUNCTION sereg_append_only();

-- Records the set <p_digest> (its files <p_files>) as active by <p_event>, with its audit record
-- through the one writer, unless it is the latest recorded: the new row's id, or NULL. Processes
-- that start together take turns, so two of them publishing one new set record it once.
CREATE FUNCTION sereg_plugin_activate(p_digest text, p_files jsonb, p_event text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_role text := nullif(current_setting('sereg.actor_role', true), '');
  v_account bigint := nullif(current_setting('sereg.actor_account', true), '')::bigint;
  v_id bigint;
BEGIN
  IF v_role IS NULL THEN
    RAISE EXCEPTION 'sereg_plugin_activate: the transaction names no actor (sereg.actor_role)';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('sereg_plugin_activate'));
  IF (SELECT a.digest FROM plugin_activation a ORDER BY a.id DESC LIMIT 1) IS NOT DISTINCT FROM p_digest THEN
    RETURN NULL;
  END IF;
  INSERT INTO plugin_activation (digest, files, event, actor_role, actor_account)
  VALUES (p_digest, p_files, p_event, v_role, CASE WHEN v_role = 'system' THEN NULL ELSE v_account END)
  RETURNING id INTO v_id;
  PERFORM sereg_record(jsonb_build_array(jsonb_build_object('audit', jsonb_build_object(
    'action', 'plugins.activate', 'target_type', 'plugin_activation', 'target_id', v_id::text,
    'detail', jsonb_build_object('digest', p_digest, 'event', p_event,
                                 'files', (SELECT jsonb_agg(jsonb_build_object('file', f->>'file', 'sha256', f->>'sha256'))
                                           FROM jsonb_array_elements(p_files) f))))));
  RETURN v_id;
END $$;
