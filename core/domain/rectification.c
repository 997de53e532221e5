/* rectification.c -- see rectification.h. */
#include "rectification.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tx.h"
#include "hazard.h"
#include "record.h"
#include "rule.h"
#include "evidence.h"
#include "flow.h"
#include "json.h"
#include "plugin.h"
#include "sql.h"
#include "sr_limits.h"

#define MAX_HAZARDS_PER_RECTIFICATION 100

static PGresult *run(struct sr_ctx *c, const char *sql, int n, const char *const *p, struct sr_problem *pb)
{
  PGresult *r = sr_db_exec(c->db, sql, n, p);
  if(sr_db_ran(r))
    return r;
  if(sr_db_classify(r) == SR_DB_UNIQUE) /* the one unique key a step can meet: the directive number */
    sr_problem_set(pb, SR_CONFLICT, "That directive number is already in use for this workflow.");
  else
    sr_db_failure(r, pb, "database error");
  PQclear(r);
  return NULL;
}

/* The deadline row of <state>, entered at <version>: a number of days from today, or the
 * directive's deadline. No row when the state has neither. */
static enum sr_err schedule_state(struct sr_ctx *c, const char *rid, const char *state, const char *version,
                                  const cJSON *wf, const char *directive_deadline, struct sr_problem *pb)
{
  const cJSON *s = sr_flow_state(wf, state);
  const cJSON *days = cJSON_GetObjectItemCaseSensitive(s, "deadline_days");
  char due[11] = "";
  if(cJSON_IsNumber(days))
    sr_date_format(sr_date_add_days(c->today, (int)days->valuedouble), due);
  else if(sr_json_str(s, "deadline") && directive_deadline)
    snprintf(due, sizeof due, "%s", directive_deadline);
  if(!due[0])
    return SR_OK;
  char kind[100];
  snprintf(kind, sizeof kind, "state:%s@%s", state, version);
  cJSON *spec = cJSON_CreateObject();
  cJSON_AddStringToObject(spec, "state", state);
  cJSON_AddStringToObject(spec, "set_by", cJSON_IsNumber(days) ? "deadline_days" : "directive");
  char *text = cJSON_PrintUnformatted(spec);
  cJSON_Delete(spec);
  const char *p[] = { rid, kind, due, text };
  PGresult *r = text ? run(c, "INSERT INTO deadline (rectification_id, kind, due_on, spec) "
                              "VALUES ($1, $2, $3::date, $4::jsonb) ON CONFLICT DO NOTHING", 4, p, pb) : NULL;
  free(text);
  PQclear(r);
  return r ? SR_OK : pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "out of memory");
}

/* The history entry, audit record and rectification.transitioned of a step just written. */
static PGresult *record_step(struct sr_ctx *c, const char *rid, const char *action, const char *from, const char *to,
                             const char *note, const char *opinion, const char *deadline, const char *evidence,
                             struct sr_problem *pb)
{
  const char *p[] = { rid, action, from, to, note, opinion, deadline, evidence ? evidence : "[]" };
  return run(c,
      "WITH r AS (SELECT id, version, sereg_rectification_json(r) AS j FROM rectification r WHERE id = $1), "
      "rec AS (SELECT sereg_record(jsonb_agg(jsonb_build_object("
      "  'history', jsonb_build_object('of', 'rectification', 'id', id, 'action', $2::text, 'from', $3::text, "
      "    'to', $4::text, 'note', $5::text, 'opinion', $6::text, 'deadline', $7::text, 'evidence', $8::jsonb), "
      "  'audit', jsonb_build_object('action', 'rectification.' || $2, 'target_type', 'rectification', "
      "    'target_id', id::text, 'detail', jsonb_build_object('rectification', j, 'from', $3::text, 'to', $4::text, "
      "    'note', $5::text, 'opinion', $6::text, 'evidence', $8::jsonb)), "
      "  'event', jsonb_build_object('type', 'rectification.transitioned', 'subject_type', 'rectification', "
      "    'subject_id', id::text, 'jurisdiction', j->>'jurisdiction', 'payload', jsonb_build_object("
      "    'rectification', j, 'action', $2::text, 'from', $3::text, 'to', $4::text, "
      "    'actor_role', current_setting('sereg.actor_role'), 'note', $5::text, 'opinion', $6::text, "
      "    'deadline', $7::text, 'evidence', $8::jsonb))))) FROM r) "
      "SELECT version::text AS version, j::text AS j FROM r WHERE (SELECT count(*) FROM rec) = 1",
      8, p, pb);
}

/* Opens a rectification of <wf> for the hazards in <ids> (locked and checked by the caller). */
static enum sr_err open_rect(struct sr_ctx *c, const struct sr_workflow *wf, const char *ids, const char *jurisdiction,
                             const char *unit, const char *directive, const char *deadline, const char *note,
                             const char *action, long *rid_out, struct sr_problem *pb)
{
  char rule[300], today[11];
  if(sr_rule_store(c, "workflow", wf->file, wf->version, wf->spec, rule, sizeof rule, pb) != SR_OK)
    return pb->err;
  sr_date_format(c->today, today);
  const char *initial = sr_json_str(wf->spec, "initial");
  const char *p[] = { wf->code, rule, directive, initial, deadline, jurisdiction, unit, today };
  PGresult *r = run(c,
                    "INSERT INTO rectification (workflow, rule, directive_number, state, deadline, jurisdiction, "
                    "user_unit_id, opened_on) VALUES ($1, $2, $3, $4, $5::date, $6, $7::bigint, $8::date) RETURNING id",
                    8, p, pb);
  if(!r)
    return pb->err;
  char rid[24];
  snprintf(rid, sizeof rid, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  const char *q[] = { rid, ids };
  r = run(c, "INSERT INTO rectification_hazard (rectification_id, hazard_id) SELECT $1, unnest($2::bigint[])", 2, q, pb);
  if(!r)
    return pb->err;
  PQclear(r);
  r = record_step(c, rid, action, NULL, initial, note, NULL, deadline, NULL, pb);
  if(!r)
    return pb->err;
  PQclear(r);
  *rid_out = atol(rid);
  return schedule_state(c, rid, initial, "1", wf->spec, deadline, pb);
}

enum sr_err sr_rectification_propose(struct sr_ctx *c, long hazard_id, const char *workflow, const char *reason,
                                     struct sr_problem *pb)
{
  const struct sr_workflow *wf = sr_plugins_workflow(c->plugins, workflow);
  if(!wf) /* the ladder was checked against the loaded workflows; an older ladder may name a gone one */
    return sr_problem_set(pb, SR_PLUGIN, "the escalation ladder proposes workflow '%s', which is not loaded", workflow);
  char hid[24];
  snprintf(hid, sizeof hid, "%ld", hazard_id);
  const char *p[] = { hid, workflow };
  PGresult *r = run(c,
                    "SELECT e.jurisdiction, e.user_unit_id::text AS unit, EXISTS (SELECT 1 FROM rectification_hazard rh "
                    "  JOIN rectification r ON r.id = rh.rectification_id WHERE rh.hazard_id = h.id "
                    "  AND r.workflow = $2 AND r.closed_on IS NULL) AS covered "
                    "FROM hazard h JOIN equipment e ON e.id = h.equipment_id WHERE h.id = $1",
                    2, p, pb);
  if(!r)
    return pb->err;
  enum sr_err e = SR_OK;
  if(PQntuples(r) == 1 && strcmp(sr_db_get(r, 0, "covered"), "f") == 0) {
    char ids[40];
    long rid;
    snprintf(ids, sizeof ids, "{%ld}", hazard_id);
    e = open_rect(c, wf, ids, sr_db_get(r, 0, "jurisdiction"), sr_db_get(r, 0, "unit"), NULL, NULL, reason,
                  "propose", &rid, pb);
  }
  PQclear(r);
  return e;
}

/* Reads and checks the hazard list of an opening request; *ids is its bigint[] literal. */
static void read_hazard_ids(const cJSON *list, struct sr_buf *ids, struct sr_problem *pb)
{
  if(!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0 || cJSON_GetArraySize(list) > MAX_HAZARDS_PER_RECTIFICATION) {
    sr_problem_field(pb, "hazard_ids", "must list 1 to %d hazard ids", MAX_HAZARDS_PER_RECTIFICATION);
    return;
  }
  sr_buf_append(ids, "{", 1);
  int i = 0;
  for(const cJSON *h = list->child; h; h = h->next, i++) {
    char f[32], num[32];
    snprintf(f, sizeof f, "hazard_ids[%d]", i);
    if(!cJSON_IsNumber(h) || h->valuedouble < 1 || h->valuedouble > 9e15 || h->valuedouble != (double)(long)h->valuedouble) {
      sr_problem_field(pb, f, "must be a hazard id");
      continue;
    }
    snprintf(num, sizeof num, "%s%ld", i ? "," : "", (long)h->valuedouble);
    sr_buf_append(ids, num, strlen(num));
  }
  sr_buf_append(ids, "}", 2); /* with the terminating NUL */
}

enum sr_err sr_rectification_open(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  static const char *const keys[] = { "workflow", "hazard_ids", "directive_number", "deadline", "note", NULL };
  sr_json_only(body, keys, pb);
  const char *code = sr_json_string(body, "workflow", false, 32, pb);
  const char *directive = sr_json_string(body, "directive_number", true, 64, pb);
  const char *note = sr_json_string(body, "note", false, SR_MAX_STRING, pb);
  struct sr_date deadline;
  bool has_deadline = sr_json_date(body, "deadline", false, &deadline, pb);
  const struct sr_workflow *wf = sr_plugins_workflow(c->plugins, code ? code : "rectification");
  if(!wf)
    sr_problem_field(pb, "workflow", "names no loaded workflow");
  struct sr_buf ids;
  sr_buf_init(&ids, 4096);
  read_hazard_ids(cJSON_GetObjectItemCaseSensitive(body, "hazard_ids"), &ids, pb);
  if(wf) {
    /* A deadline is needed up front unless the first step sets it (挂牌督办 sets it on listing). */
    bool set_later = false;
    const cJSON *ts = cJSON_GetObjectItem(wf->spec, "transitions");
    for(const cJSON *t = ts->child; t; t = t->next)
      if(sr_flow_transition_from(t, sr_json_str(wf->spec, "initial")) && cJSON_IsTrue(cJSON_GetObjectItem(t, "sets_deadline")))
        set_later = true;
    if(!has_deadline && !set_later && !cJSON_GetObjectItemCaseSensitive(body, "deadline"))
      sr_problem_field(pb, "deadline", "is required: the date by which the hazards must be rectified");
    if(has_deadline && sr_date_cmp(deadline, c->today) <= 0)
      sr_problem_field(pb, "deadline", "must be after today");
    const cJSON *by = cJSON_GetObjectItem(wf->spec, "opened_by");
    if(!sr_flow_list_has(by, sr_role_name(c->who.role)) && pb->err == SR_OK) {
      char *who = cJSON_PrintUnformatted(by);
      sr_problem_set(pb, SR_FORBIDDEN, "A %s is opened by %s, not by a %s.", wf->name, who ? who : "others",
                     sr_role_name(c->who.role));
      free(who);
    }
  }
  if(pb->err != SR_OK) {
    sr_buf_free(&ids);
    return pb->err;
  }
  if(!sr_tx_begin(c, pb)) {
    sr_buf_free(&ids);
    return pb->err;
  }
  /* Lock the hazards: two supervisors opening for the same one wait for each other. */
  struct sr_sql q;
  sr_sql_init(&q, "SELECT h.id, h.status, e.jurisdiction, e.user_unit_id::text AS unit, "
                  "  (SELECT min(r.id) FROM rectification_hazard rh JOIN rectification r ON r.id = rh.rectification_id "
                  "   WHERE rh.hazard_id = h.id AND r.workflow = ");
  sr_sql_param(&q, wf->code);
  sr_sql_add(&q, " AND r.closed_on IS NULL) AS covered_by FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
                 "WHERE h.id = ANY (");
  sr_sql_param(&q, ids.data);
  sr_sql_add(&q, "::bigint[])");
  sr_scope_equipment(&q, c, "e");
  sr_sql_add(&q, " ORDER BY h.id FOR UPDATE OF h");
  PGresult *r = q.overflow ? NULL : sr_db_exec(c->db, q.text.data, q.n, q.params);
  sr_sql_free(&q);
  long rid = 0;
  if(!sr_db_ok(r, PGRES_TUPLES_OK))
    sr_problem_set(pb, SR_INTERNAL, "database error");
  else {
    const cJSON *list = cJSON_GetObjectItem(body, "hazard_ids");
    int i = 0;
    for(const cJSON *h = list->child; h; h = h->next, i++) {
      char f[32];
      snprintf(f, sizeof f, "hazard_ids[%d]", i);
      int row = -1;
      for(int k = 0; k < PQntuples(r); k++)
        if(atol(PQgetvalue(r, k, 0)) == (long)h->valuedouble)
          row = k;
      if(row < 0)
        sr_problem_field(pb, f, "names no hazard you may see");
      else if(strcmp(sr_db_get(r, row, "status"), "open") != 0)
        sr_problem_field(pb, f, "is closed");
      else if(sr_db_get(r, row, "covered_by"))
        sr_problem_field(pb, f, "is already under %s #%s", wf->code, sr_db_get(r, row, "covered_by"));
      else if(strcmp(sr_db_get(r, row, "unit"), sr_db_get(r, 0, "unit")) != 0)
        sr_problem_field(pb, f, "belongs to another user unit: one directive goes to one user unit");
      else if(strcmp(sr_db_get(r, row, "jurisdiction"), sr_db_get(r, 0, "jurisdiction")) != 0)
        sr_problem_field(pb, f, "is in another jurisdiction: one directive goes to one user unit in one jurisdiction");
    }
    if(pb->err == SR_OK) {
      char day[11];
      if(has_deadline)
        sr_date_format(deadline, day);
      open_rect(c, wf, ids.data, sr_db_get(r, 0, "jurisdiction"), sr_db_get(r, 0, "unit"), directive,
                has_deadline ? day : NULL, note, "open", &rid, pb);
    }
  }
  PQclear(r);
  sr_buf_free(&ids);
  if(pb->err != SR_OK || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : SR_INTERNAL;
  }
  return sr_rectification_get(c, rid, out, pb);
}

/* The actions <role> may take from <state>, with what each needs. */
static cJSON *allowed_actions(const cJSON *wf, const char *state, const char *role)
{
  cJSON *list = cJSON_CreateArray();
  const cJSON *ts = cJSON_GetObjectItem(wf, "transitions");
  for(const cJSON *t = ts ? ts->child : NULL; t; t = t->next) {
    if(!sr_flow_transition_from(t, state) || !sr_flow_list_has(cJSON_GetObjectItem(t, "roles"), role))
      continue;
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "action", sr_json_str(t, "action"));
    cJSON_AddStringToObject(a, "to", sr_json_str(t, "to"));
    const cJSON *req = cJSON_GetObjectItem(t, "requires");
    cJSON_AddItemToObject(a, "requires", req ? cJSON_Duplicate(req, 1) : cJSON_CreateArray());
    cJSON_AddItemToArray(list, a);
  }
  return list;
}

enum sr_err sr_rectification_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q,
              "SELECT sereg_rectification_json(r)::text AS j, d.spec::text AS spec, r.state, "
              "(SELECT coalesce(jsonb_agg(sereg_hazard_json(h) ORDER BY h.id), '[]') FROM rectification_hazard rh "
              "  JOIN hazard h ON h.id = rh.hazard_id WHERE rh.rectification_id = r.id)::text AS hazards, "
              "(SELECT coalesce(jsonb_agg(jsonb_build_object('action', ev.action, 'from', ev.from_state, "
              "  'to', ev.to_state, 'actor_role', ev.actor_role, 'note', ev.note, 'opinion', ev.opinion, "
              "  'deadline', to_char(ev.deadline, 'YYYY-MM-DD'), 'evidence', ev.evidence, "
              "  'effective_on', to_char(ev.effective_on, 'YYYY-MM-DD'), "
              "  'at', to_char(ev.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) ORDER BY ev.id), '[]') "
              "  FROM rectification_event ev WHERE ev.rectification_id = r.id)::text AS history, "
              "(SELECT coalesce(jsonb_agg(jsonb_build_object('kind', dl.kind, 'due_on', to_char(dl.due_on, 'YYYY-MM-DD'), "
              "  'fired_on', to_char(dl.fired_on, 'YYYY-MM-DD'), 'outcome', dl.outcome) ORDER BY dl.id), '[]') "
              "  FROM deadline dl WHERE dl.rectification_id = r.id)::text AS deadlines "
              "FROM rectification r JOIN rule_definition d ON d.rule = r.rule WHERE r.id = ");
  sr_sql_param_long(&q, id);
  sr_scope_supervision(&q, c, "r");
  PGresult *r = sr_sql_one(c, &q, "rectification", id, pb);
  if(!r)
    return pb->err;
  static const char *const members[] = { "hazards", "deadlines", "history", NULL };
  cJSON *j = sr_sql_record(r, members), *spec = cJSON_Parse(sr_db_get(r, 0, "spec"));
  if(j && spec) {
    cJSON_AddStringToObject(j, "workflow_name", sr_json_str(spec, "name"));
    cJSON_AddItemToObject(j, "allowed_actions", allowed_actions(spec, sr_db_get(r, 0, "state"), sr_role_name(c->who.role)));
    sr_json_move_last(j, members); /* in the order the answer has always had them */
  }
  PQclear(r);
  cJSON_Delete(spec);
  if(!j || !cJSON_GetObjectItem(j, "workflow_name")) {
    cJSON_Delete(j);
    return sr_problem_set(pb, SR_INTERNAL, "could not read the rectification");
  }
  *out = j;
  return SR_OK;
}

/* Closes each open hazard of <rid> that no other open rectification covers. */
static enum sr_err close_hazards(struct sr_ctx *c, const char *rid, const char *why, struct sr_problem *pb)
{
  const char *p[] = { rid };
  PGresult *r = run(c,
                    "SELECT h.id FROM rectification_hazard rh JOIN hazard h ON h.id = rh.hazard_id "
                    "WHERE rh.rectification_id = $1 AND h.status = 'open' AND NOT EXISTS (SELECT 1 "
                    "  FROM rectification_hazard o JOIN rectification r ON r.id = o.rectification_id "
                    "  WHERE o.hazard_id = h.id AND r.id <> $1 AND r.closed_on IS NULL) ORDER BY h.id FOR UPDATE OF h",
                    1, p, pb);
  if(!r)
    return pb->err;
  enum sr_err e = SR_OK;
  for(int i = 0; i < PQntuples(r) && e == SR_OK; i++)
    e = sr_hazard_close(c, atol(PQgetvalue(r, i, 0)), why, pb);
  PQclear(r);
  return e;
}

struct step {
  const char *action, *note, *opinion;
  bool has_deadline;
  struct sr_date deadline;
  cJSON *evidence;
};

/* Reads the body of a transition against what <t> requires. */
static void read_step(struct sr_ctx *c, const cJSON *body, const cJSON *t, struct step *s, struct sr_problem *pb)
{
  const cJSON *req = cJSON_GetObjectItem(t, "requires");
  s->note = sr_json_string(body, "note", sr_flow_list_has(req, "note"), SR_MAX_STRING, pb);
  s->opinion = sr_json_string(body, "opinion", sr_flow_list_has(req, "opinion"), SR_MAX_STRING, pb);
  s->has_deadline = sr_json_date(body, "deadline", sr_flow_list_has(req, "deadline"), &s->deadline, pb);
  if(cJSON_GetObjectItemCaseSensitive(body, "deadline") && !sr_flow_list_has(req, "deadline"))
    sr_problem_field(pb, "deadline", "is not taken by action '%s'", s->action);
  if(s->has_deadline && sr_date_cmp(s->deadline, c->today) <= 0)
    sr_problem_field(pb, "deadline", "must be after today");
  sr_evidence_check_refs(c, cJSON_GetObjectItemCaseSensitive(body, "evidence"), "evidence", sr_flow_list_has(req, "evidence"),
                         &s->evidence, pb);
}

enum sr_err sr_rectification_transition(struct sr_ctx *c, long id, const struct sr_versions *if_match,
                                        const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  static const char *const keys[] = { "action", "note", "opinion", "deadline", "evidence", NULL };
  sr_json_only(body, keys, pb);
  struct step s = { 0 };
  s.action = sr_json_string(body, "action", true, 32, pb);
  if(pb->err != SR_OK)
    return pb->err;
  if(!sr_tx_begin(c, pb))
    return pb->err;
  struct sr_sql q;
  sr_sql_init(&q, "SELECT r.id, r.state, r.version, r.workflow, to_char(r.deadline, 'YYYY-MM-DD') AS deadline, "
                  "d.spec::text AS spec FROM rectification r JOIN rule_definition d ON d.rule = r.rule WHERE r.id = ");
  sr_sql_param_long(&q, id);
  sr_scope_supervision(&q, c, "r");
  /* Read first: a role that may see the rectification but not change it (row-level security
   * hides rows FOR UPDATE from it) hears 403, not 404. Then lock, and read the state again. */
  PGresult *r = q.overflow ? NULL : sr_db_exec(c->db, q.text.data, q.n, q.params);
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1) {
    const cJSON *rt = NULL;
    cJSON *spec = cJSON_Parse(sr_db_get(r, 0, "spec"));
    if(spec && (rt = sr_flow_transition(spec, s.action)) &&
       sr_flow_list_has(cJSON_GetObjectItem(rt, "roles"), sr_role_name(c->who.role))) {
      sr_sql_add(&q, " FOR UPDATE OF r");
      PQclear(r);
      r = q.overflow ? NULL : sr_db_exec(c->db, q.text.data, q.n, q.params);
    }
    cJSON_Delete(spec);
  }
  sr_sql_free(&q);
  cJSON *wf = NULL;
  const cJSON *t = NULL;
  if(!sr_db_ok(r, PGRES_TUPLES_OK))
    sr_problem_set(pb, SR_INTERNAL, "database error");
  else if(PQntuples(r) == 0)
    sr_problem_set(pb, SR_NOT_FOUND, "No rectification %ld that you may see.", id);
  else if(!(wf = cJSON_Parse(sr_db_get(r, 0, "spec"))))
    sr_problem_set(pb, SR_INTERNAL, "could not read the workflow");
  if(pb->err != SR_OK)
    goto done;
  const char *state = sr_db_get(r, 0, "state"), *role = sr_role_name(c->who.role);
  long version = atol(sr_db_get(r, 0, "version"));
  t = sr_flow_transition(wf, s.action);
  if(!t) {
    sr_problem_field(pb, "action", "is not an action of workflow %s", sr_db_get(r, 0, "workflow"));
    goto done;
  }
  if(!sr_flow_list_has(cJSON_GetObjectItem(t, "roles"), role)) {
    char *who = cJSON_PrintUnformatted(cJSON_GetObjectItem(t, "roles"));
    sr_problem_set(pb, SR_FORBIDDEN, "Action '%s' is taken by %s, not by a %s.", s.action, who ? who : "others", role);
    free(who);
    goto done;
  }
  if(!sr_versions_has(if_match, version)) {
    sr_problem_set(pb, SR_PRECONDITION, "The rectification is at version %ld, which If-Match does not name; read it "
                   "again.", version);
    goto done;
  }
  if(!sr_flow_transition_from(t, state)) {
    cJSON *allowed = allowed_actions(wf, state, role);
    char *list = cJSON_PrintUnformatted(allowed);
    sr_problem_set(pb, SR_CONFLICT, "Action '%s' is not allowed in state '%s'; you may now: %s.", s.action, state,
                   list && cJSON_GetArraySize(allowed) ? list : "nothing");
    free(list);
    cJSON_Delete(allowed);
    goto done;
  }
  const char *deadline = sr_db_get(r, 0, "deadline");
  char today[11];
  sr_date_format(c->today, today);
  if(cJSON_IsTrue(cJSON_GetObjectItem(t, "before_deadline")) && deadline && strcmp(today, deadline) > 0) {
    sr_problem_set(pb, SR_CONFLICT, "Action '%s' must be taken before the deadline, which passed on %s.", s.action,
                   deadline);
    goto done;
  }
  read_step(c, body, t, &s, pb);
  if(pb->err != SR_OK)
    goto done;
  const char *to = sr_json_str(t, "to");
  const cJSON *tostate = sr_flow_state(wf, to);
  bool final = cJSON_IsTrue(cJSON_GetObjectItem(tostate, "final"));
  char newdl[11] = "", rid[24];
  if(s.has_deadline)
    sr_date_format(s.deadline, newdl);
  snprintf(rid, sizeof rid, "%ld", id);
  bool sets = cJSON_IsTrue(cJSON_GetObjectItem(t, "sets_deadline"));
  const char *p[] = { rid, to, sets ? newdl : NULL, final ? "t" : "f", today };
  /* The move itself; leaving a state makes its pending deadline moot. */
  PGresult *w = run(c,
                    "WITH dl AS (UPDATE deadline SET fired_on = $5::date, outcome = 'moot: left the state' "
                    "  WHERE rectification_id = $1 AND fired_on IS NULL) "
                    "UPDATE rectification SET state = $2, deadline = coalesce($3::date, deadline), "
                    "closed_on = CASE WHEN $4::boolean THEN $5::date END, version = version + 1, updated_at = now() "
                    "WHERE id = $1 RETURNING version::text, to_char(deadline, 'YYYY-MM-DD')",
                    5, p, pb);
  if(!w)
    goto done;
  char newversion[24], effective[11] = "";
  snprintf(newversion, sizeof newversion, "%s", PQgetvalue(w, 0, 0));
  if(!PQgetisnull(w, 0, 1))
    snprintf(effective, sizeof effective, "%s", PQgetvalue(w, 0, 1));
  PQclear(w);
  char *evidence = s.evidence ? cJSON_PrintUnformatted(s.evidence) : NULL;
  w = record_step(c, rid, s.action, state, to, s.note, s.opinion, newdl[0] ? newdl : NULL, evidence, pb);
  free(evidence);
  PQclear(w);
  if(!w || schedule_state(c, rid, to, newversion, wf, effective[0] ? effective : NULL, pb) != SR_OK)
    goto done;
  if(cJSON_IsTrue(cJSON_GetObjectItem(tostate, "closes_hazards"))) {
    char why[200];
    snprintf(why, sizeof why, "rectification #%s reached '%s' (%s)", rid, to, s.action);
    close_hazards(c, rid, why, pb);
  }
done:
  PQclear(r);
  cJSON_Delete(wf);
  cJSON_Delete(s.evidence);
  if(pb->err != SR_OK || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : SR_INTERNAL;
  }
  return sr_rectification_get(c, id, out, pb);
}

enum sr_err sr_rectification_follow(struct sr_ctx *c, long equipment_id, const char *action, const char *note,
                                    struct sr_problem *pb)
{
  char eid[24];
  snprintf(eid, sizeof eid, "%ld", equipment_id);
  const char *p[] = { eid };
  /* Every rectification of the unit, whoever may see it: the move is authorized on the unit,
   * and no record of it may stay behind. Locked first, then read as it now stands. */
  if(!sr_tx_as_system(c, true, pb))
    return pb->err;
  PGresult *r = run(c, "SELECT r.id FROM rectification r WHERE r.id IN (SELECT rh.rectification_id "
                       "FROM rectification_hazard rh JOIN hazard h ON h.id = rh.hazard_id WHERE h.equipment_id = $1) "
                       "ORDER BY r.id FOR UPDATE OF r",
                    1, p, pb);
  PQclear(r);
  r = r ? run(c, "SELECT r.id, r.state, r.closed_on IS NULL AS open, bool_and(h.equipment_id = e.id) AS alone, "
                 "  (r.jurisdiction, r.user_unit_id) IS DISTINCT FROM (e.jurisdiction, e.user_unit_id) AS moved "
                 "FROM equipment e, rectification r JOIN rectification_hazard rh ON rh.rectification_id = r.id "
                 "JOIN hazard h ON h.id = rh.hazard_id "
                 "WHERE e.id = $1 AND r.id IN (SELECT rh.rectification_id FROM rectification_hazard rh "
                 "  JOIN hazard h ON h.id = rh.hazard_id WHERE h.equipment_id = $1) "
                 "GROUP BY r.id, e.id ORDER BY r.id",
              1, p, pb)
        : NULL;
  if(!r)
    return pb->err;
  /* One that also covers other units cannot go with this one; while open, it holds the move. */
  struct sr_buf held;
  sr_buf_init(&held, 512);
  for(int i = 0; i < PQntuples(r); i++)
    if(strcmp(sr_db_get(r, i, "moved"), "t") == 0 && strcmp(sr_db_get(r, i, "alone"), "f") == 0 &&
       strcmp(sr_db_get(r, i, "open"), "t") == 0)
      sr_buf_printf(&held, "%s#%s", held.len ? ", " : "", sr_db_get(r, i, "id"));
  if(held.len)
    sr_problem_set(pb, SR_CONFLICT, "Still open and covering other units as well: rectification %s. One directive "
                                    "goes to one user unit in one jurisdiction, so it cannot follow this unit; "
                                    "settle it before the unit changes hands or district.", held.data);
  sr_buf_free(&held);
  char follow[40];
  snprintf(follow, sizeof follow, "follow_%s", strcmp(action, "transfer") == 0 ? "transfer" : "relocation");
  for(int i = 0; i < PQntuples(r) && pb->err == SR_OK; i++) {
    if(strcmp(sr_db_get(r, i, "moved"), "t") != 0 || strcmp(sr_db_get(r, i, "alone"), "t") != 0)
      continue; /* in place already, or history that stays where it was */
    const char *q[] = { sr_db_get(r, i, "id"), eid };
    PGresult *w = run(c, "UPDATE rectification r SET jurisdiction = e.jurisdiction, user_unit_id = e.user_unit_id, "
                         "version = r.version + 1, updated_at = now() FROM equipment e WHERE r.id = $1 AND e.id = $2",
                      2, q, pb);
    PQclear(w);
    const char *state = sr_db_get(r, i, "state");
    w = w ? record_step(c, q[0], follow, state, state, note, NULL, NULL, NULL, pb) : NULL;
    PQclear(w);
  }
  PQclear(r);
  if(pb->err != SR_OK)
    return pb->err;
  return sr_tx_as_system(c, false, pb) ? SR_OK : pb->err;
}

enum sr_err sr_rectification_list(struct sr_ctx *c, const struct sr_rectification_filter *f, cJSON **out,
                                  struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT r.id, sereg_rectification_json(r)::text AS j FROM rectification r WHERE true");
  sr_scope_supervision(&q, c, "r");
  if(f->hazard_id) {
    sr_sql_add(&q, " AND EXISTS (SELECT 1 FROM rectification_hazard rh WHERE rh.rectification_id = r.id "
                   "AND rh.hazard_id = ");
    sr_sql_param_long(&q, f->hazard_id);
    sr_sql_add(&q, ")");
  }
  const struct sr_sql_filter eqs[] = { { "r.workflow", f->workflow }, { "r.state", f->state },
                                       { "r.jurisdiction", f->jurisdiction } };
  sr_sql_filters(&q, eqs, sizeof eqs / sizeof *eqs);
  if(f->open >= 0)
    sr_sql_add(&q, f->open ? " AND r.closed_on IS NULL" : " AND r.closed_on IS NOT NULL");
  if(f->past_deadline >= 0) {
    char today[11];
    sr_date_format(c->today, today);
    sr_sql_add(&q, f->past_deadline ? " AND" : " AND NOT");
    sr_sql_add(&q, " coalesce(r.closed_on IS NULL AND r.deadline < ");
    sr_sql_param_copy(&q, today);
    sr_sql_add(&q, "::date, false)");
  }
  sr_sql_total_here(&q, f->count);
  sr_sql_add(&q, " AND r.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_sql_add(&q, " ORDER BY r.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb);
}
