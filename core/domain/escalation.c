/* escalation.c -- see escalation.h. */
#include "escalation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "json.h"
#include "tx.h"
#include "flow.h"
#include "log.h"
#include "plugin.h"
#include "rectification.h"
#include "rule.h"
#include "sr_limits.h"
#include "util.h"


enum sr_err sr_escalation_open(struct sr_ctx *c, const struct sr_hazard_new *h, long *id, struct sr_problem *pb)
{
  char ladder[300];
  if(sr_rule_ladder(c, ladder, sizeof ladder, pb) != SR_OK || sr_hazard_open(c, h, ladder, id, pb) != SR_OK)
    return pb->err;
  if(*id && ladder[0]) {
    char ids[40];
    snprintf(ids, sizeof ids, "{%ld}", *id);
    return sr_escalation_schedule(c, ids, pb);
  }
  return SR_OK;
}

enum sr_err sr_escalation_schedule(struct sr_ctx *c, const char *ids, struct sr_problem *pb)
{
  const char *p[] = { ids };
  /* The rungs come from the definition the hazard was opened under, not the loaded plugin. */
  PGresult *r = sr_db_query(c->db,
      "INSERT INTO deadline (hazard_id, kind, due_on, spec) "
      "SELECT h.id, 'rung:' || (r->>'id'), h.found_on + (r->>'after_days')::int, r "
      "FROM hazard h JOIN rule_definition d ON d.rule = h.ladder "
      "CROSS JOIN LATERAL jsonb_array_elements(d.spec->'rungs') r "
      "WHERE h.id = ANY ($1::bigint[]) AND h.status = 'open' AND r ? 'after_days' "
      "AND (NOT coalesce(r->'when' ? 'source', false) OR r->'when'->'source' ? h.source) "
      "AND (NOT coalesce(r->'when' ? 'grade', false) OR r->'when'->'grade' ? h.grade) "
      "ON CONFLICT DO NOTHING",
      1, p, "could not schedule the ladder", pb);
  if(!r)
    return pb->err;
  PQclear(r);
  struct sr_fire_result fired;
  return sr_escalation_fire(c, ids, &fired, pb);
}

/* Marks deadline <did> as done today with <outcome>. */
static enum sr_err mark(struct sr_ctx *c, const char *did, const char *outcome, struct sr_problem *pb)
{
  char today[11];
  sr_date_format(c->today, today);
  const char *p[] = { did, today, outcome };
  PGresult *r = sr_db_query(c->db, "UPDATE deadline SET fired_on = $2::date, outcome = $3 WHERE id = $1", 3, p,
                      "could not mark the deadline", pb);
  PQclear(r);
  return r ? SR_OK : pb->err;
}

/* The more serious of two grades or levels. */
static const char *raise_to(const char *now, const char *to, int (*rank)(const char *))
{
  return to && rank(to) > rank(now) ? to : now;
}

/* Applies <rung> to hazard <hid> (locked by the caller, JSON <h>), with what decide() said. */
static enum sr_err apply_rung(struct sr_ctx *c, const char *hid, const cJSON *h, const cJSON *rung,
                              const cJSON *decision, struct sr_problem *pb)
{
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(rung, "set");
  const char *g0 = sr_json_str(h, "grade"), *l0 = sr_json_str(h, "level");
  const char *g1 = raise_to(g0, sr_json_str(set, "grade"), sr_flow_grade_rank), *l1 = raise_to(l0, sr_json_str(set, "level"), sr_flow_level_rank);
  g1 = raise_to(g1, sr_json_str(decision, "grade"), sr_flow_grade_rank);
  l1 = raise_to(l1, sr_json_str(decision, "level"), sr_flow_level_rank);
  char reason[1200];
  snprintf(reason, sizeof reason, "rung %s: %s%s%s", sr_json_str(rung, "id"), sr_json_str(rung, "reason"),
           decision ? "; the ladder decided: " : "", decision ? sr_json_str(decision, "reason") : "");
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "rung", sr_json_str(rung, "id"));
  cJSON_AddStringToObject(detail, "reason", reason);
  cJSON_AddStringToObject(detail, "grade_from", g0);
  cJSON_AddStringToObject(detail, "grade_to", g1);
  cJSON_AddStringToObject(detail, "level_from", l0);
  cJSON_AddStringToObject(detail, "level_to", l1);
  const cJSON *notify = cJSON_GetObjectItemCaseSensitive(rung, "notify");
  cJSON_AddItemToObject(detail, "notify", notify ? cJSON_Duplicate(notify, 1) : cJSON_CreateArray());
  if(sr_json_str(rung, "propose"))
    cJSON_AddStringToObject(detail, "propose", sr_json_str(rung, "propose"));
  char *dtext = cJSON_PrintUnformatted(detail);
  cJSON_Delete(detail);
  const char *p[] = { hid, g1, l1, reason, dtext };
  PGresult *r = dtext ? sr_db_query(c->db,
      "WITH h AS (UPDATE hazard SET grade = $2, level = $3, version = version + 1, updated_at = now() "
      "  WHERE id = $1 RETURNING id, sereg_hazard_json(hazard) AS j) "
      "SELECT sereg_record(jsonb_agg(jsonb_build_object("
      "  'history', jsonb_build_object('of', 'hazard', 'id', id, 'action', 'escalate', 'reason', $4::text, 'after', j), "
      "  'audit', jsonb_build_object('action', 'hazard.escalate', 'target_type', 'hazard', 'target_id', id::text, "
      "    'detail', $5::jsonb), "
      "  'event', jsonb_build_object('type', 'hazard.escalated', 'subject_type', 'hazard', 'subject_id', id::text, "
      "    'jurisdiction', j->>'jurisdiction', 'payload', $5::jsonb || jsonb_build_object('hazard', j))))) FROM h",
      5, p, "could not escalate the hazard", pb) : NULL;
  free(dtext);
  if(!r)
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "out of memory");
  PQclear(r);
  if(sr_json_str(rung, "propose"))
    return sr_rectification_propose(c, atol(hid), sr_json_str(rung, "propose"), reason, pb);
  return SR_OK;
}

/* Fires rung <rung> of deadline row <did> for hazard <hid>. */
static enum sr_err fire_rung(struct sr_ctx *c, const char *did, const char *hid, const cJSON *rung,
                             struct sr_fire_result *out, struct sr_problem *pb)
{
  const char *p[] = { hid };
  PGresult *r = sr_db_query(c->db, "SELECT h.status, coalesce(h.ladder, '') AS ladder, sereg_hazard_json(h)::text AS j "
                         "FROM hazard h WHERE h.id = $1 FOR UPDATE",
                      1, p, "could not read the hazard", pb);
  if(!r)
    return pb->err;
  if(PQntuples(r) != 1 || strcmp(sr_db_get(r, 0, "status"), "open") != 0) {
    PQclear(r);
    out->moot++;
    return mark(c, did, "moot: the hazard is closed", pb);
  }
  cJSON *h = cJSON_Parse(sr_db_get(r, 0, "j"));
  /* decide() speaks for the ladder it belongs to: a hazard under an older ladder gets its rungs
   * as they were declared. */
  const struct sr_ladder *l = sr_plugins_ladder(c->plugins);
  char loaded[300] = "";
  if(l)
    snprintf(loaded, sizeof loaded, "%s@%s", l->file, l->version);
  bool ask = l && strcmp(loaded, sr_db_get(r, 0, "ladder")) == 0;
  PQclear(r);
  cJSON *decision = NULL;
  char err[512];
  enum sr_err e = SR_OK;
  if(!h)
    e = sr_problem_set(pb, SR_INTERNAL, "could not read the hazard");
  else if(ask && sr_plugins_decide(c->plugins, h, rung, c->today, &decision, err, sizeof err) != SR_OUTCOME_OK) {
    sr_warn("escalation: hazard %s rung %s left pending: %s@%s decide() failed: %s", hid, sr_json_str(rung, "id"),
            l->file, l->version, err);
    out->failed++;
  }
  else if(decision && cJSON_GetObjectItemCaseSensitive(decision, "hold"))
    out->held++;
  else if((e = apply_rung(c, hid, h, rung, decision, pb)) == SR_OK && (e = mark(c, did, "fired", pb)) == SR_OK)
    out->fired++;
  cJSON_Delete(decision);
  cJSON_Delete(h);
  return e;
}

/* The hazard's rungs that fire on <trigger>: each once per hazard, through a deadline row
 * written and fired now. */
static enum sr_err fire_event_rungs(struct sr_ctx *c, const char *hid, const char *trigger,
                                    struct sr_fire_result *out, struct sr_problem *pb)
{
  char today[11];
  sr_date_format(c->today, today);
  const char *p[] = { hid, trigger, today };
  PGresult *r = sr_db_query(c->db,
      "INSERT INTO deadline (hazard_id, kind, due_on, spec) "
      "SELECT h.id, 'rung:' || (r->>'id'), $3::date, r "
      "FROM hazard h JOIN rule_definition d ON d.rule = h.ladder "
      "CROSS JOIN LATERAL jsonb_array_elements(d.spec->'rungs') r "
      "WHERE h.id = $1 AND h.status = 'open' AND r->>'on' = $2 "
      "AND (NOT coalesce(r->'when' ? 'source', false) OR r->'when'->'source' ? h.source) "
      "AND (NOT coalesce(r->'when' ? 'grade', false) OR r->'when'->'grade' ? h.grade) "
      "ON CONFLICT DO NOTHING RETURNING id, spec::text",
      3, p, "could not schedule the hazard's rungs", pb);
  if(!r)
    return pb->err;
  enum sr_err e = SR_OK;
  for(int i = 0; i < PQntuples(r) && e == SR_OK; i++) {
    cJSON *rung = cJSON_Parse(PQgetvalue(r, i, 1));
    e = rung ? fire_rung(c, PQgetvalue(r, i, 0), hid, rung, out, pb) : sr_problem_set(pb, SR_INTERNAL, "bad rung");
    cJSON_Delete(rung);
  }
  PQclear(r);
  return e;
}

/* A workflow state's deadline: if the rectification is still in the state it was set for, it
 * is overdue; otherwise the row is moot. A pending row always belongs to the state's current
 * stay (every step makes the rows of the state it leaves moot), so the state's name decides: the
 * version in <kind> is the one the state was entered at, and a change that takes no step (the
 * rectification following its unit) moves the version on, not the state. */
static enum sr_err fire_state(struct sr_ctx *c, const char *did, const char *rid, const char *kind,
                              const cJSON *spec, struct sr_fire_result *out, struct sr_problem *pb)
{
  const char *p[] = { rid, kind };
  PGresult *r = sr_db_query(c->db, "SELECT 'state:' || r.state AS at, split_part($2, '@', 1) AS set_for, r.state, "
                         "  sereg_rectification_json(r)::text AS j, "
                         "  (SELECT array_agg(rh.hazard_id ORDER BY rh.hazard_id) FROM rectification_hazard rh "
                         "   JOIN hazard h ON h.id = rh.hazard_id WHERE rh.rectification_id = r.id "
                         "   AND h.status = 'open')::text AS hazards "
                         "FROM rectification r WHERE r.id = $1 FOR UPDATE",
                      2, p, "could not read the rectification", pb);
  if(!r)
    return pb->err;
  if(PQntuples(r) != 1 || strcmp(sr_db_get(r, 0, "at"), sr_db_get(r, 0, "set_for")) != 0) {
    PQclear(r);
    out->moot++;
    return mark(c, did, "moot: the rectification has moved on", pb);
  }
  char note[300];
  snprintf(note, sizeof note, "the deadline of state %s (%s) has passed", sr_db_get(r, 0, "state"), sr_json_str(spec, "due_on"));
  const char *q[] = { rid, sr_db_get(r, 0, "state"), note, sr_db_get(r, 0, "j"), sr_json_str(spec, "due_on") };
  PGresult *w = sr_db_query(c->db,
      "SELECT sereg_record(jsonb_build_array(jsonb_build_object("
      "  'history', jsonb_build_object('of', 'rectification', 'id', $1::text, 'action', 'overdue', 'from', $2::text, "
      "    'to', $2::text, 'note', $3::text), "
      "  'audit', jsonb_build_object('action', 'rectification.overdue', 'target_type', 'rectification', "
      "    'target_id', $1::text, 'detail', $4::jsonb), "
      "  'event', jsonb_build_object('type', 'rectification.overdue', 'subject_type', 'rectification', "
      "    'subject_id', $1::text, 'jurisdiction', $4::jsonb->>'jurisdiction', 'payload', jsonb_build_object("
      "    'rectification', $4::jsonb, 'state', $2::text, 'due_on', $5::text, 'reason', $3::text)))))",
      5, q, "could not report the overdue rectification", pb);
  PQclear(w);
  enum sr_err e = w ? mark(c, did, "overdue", pb) : pb->err;
  if(e == SR_OK)
    out->overdue++;
  /* "{1,2}": the open hazards, each up its own ladder */
  const char *list = sr_db_get(r, 0, "hazards");
  for(const char *s = list ? list + 1 : NULL; s && *s && *s != '}' && e == SR_OK;) {
    char hid[24];
    size_t n = strcspn(s, ",}");
    snprintf(hid, sizeof hid, "%.*s", (int)(n < sizeof hid ? n : sizeof hid - 1), s);
    e = fire_event_rungs(c, hid, SR_RUNG_ON_RECTIFICATION_OVERDUE, out, pb);
    s += n + (s[n] == ',');
  }
  PQclear(r);
  return e;
}

/* Where a run over the due rows has got to, in (due_on, id) order: the pending-row index. */
struct fire_pos {
  char due[11];
  char id[24];
};

/* Fires, in one statement, one plain rung (no decide(), nothing to propose) per hazard among the
 * locked rows <dids> (a bigint[] literal), with the same records the row-by-row path writes;
 * rows of closed hazards become moot. *done is how many rows it settled; rows left (a second
 * rung of a hazard) are for the next call. */
static enum sr_err fire_plain(struct sr_ctx *c, const char *dids, int *done, struct sr_fire_result *out,
                              struct sr_problem *pb)
{
  char today[11];
  sr_date_format(c->today, today);
  const char *p[] = { dids, today };
  PGresult *r = sr_db_query(c->db,
      "WITH due AS (SELECT d.id AS did, d.hazard_id, d.spec, d.due_on, h.status, h.grade, h.level FROM deadline d "
      "  JOIN hazard h ON h.id = d.hazard_id WHERE d.id = ANY ($1::bigint[]) AND d.fired_on IS NULL), "
      "one AS (SELECT DISTINCT ON (hazard_id) * FROM due WHERE status = 'open' ORDER BY hazard_id, due_on, did), "
      "h AS (UPDATE hazard h SET "
      "    grade = CASE WHEN one.grade = 'major' OR one.spec->'set'->>'grade' = 'major' THEN 'major' ELSE 'general' END, "
      "    level = CASE WHEN one.level = 'city' OR one.spec->'set'->>'level' = 'city' THEN 'city' ELSE 'district' END, "
      "    version = h.version + 1, updated_at = now() FROM one WHERE h.id = one.hazard_id "
      "  RETURNING h.id, one.did, format('rung %s: %s', one.spec->>'id', one.spec->>'reason') AS reason, "
      "    jsonb_build_object('rung', one.spec->>'id', 'reason', format('rung %s: %s', one.spec->>'id', "
      "      one.spec->>'reason'), 'grade_from', one.grade, 'grade_to', h.grade, 'level_from', one.level, "
      "      'level_to', h.level, 'notify', coalesce(one.spec->'notify', '[]')) AS detail, "
      "    sereg_hazard_json(h) AS j), "
      "rec AS (SELECT sereg_record(jsonb_agg(jsonb_build_object("
      "  'history', jsonb_build_object('of', 'hazard', 'id', id, 'action', 'escalate', 'reason', reason, 'after', j), "
      "  'audit', jsonb_build_object('action', 'hazard.escalate', 'target_type', 'hazard', 'target_id', id::text, "
      "    'detail', detail), "
      "  'event', jsonb_build_object('type', 'hazard.escalated', 'subject_type', 'hazard', 'subject_id', id::text, "
      "    'jurisdiction', j->>'jurisdiction', 'payload', detail || jsonb_build_object('hazard', j))))) FROM h), "
      "fired AS (UPDATE deadline SET fired_on = $2::date, outcome = 'fired' WHERE id IN (SELECT did FROM h) RETURNING 1), "
      "moot AS (UPDATE deadline SET fired_on = $2::date, outcome = 'moot: the hazard is closed' "
      "  WHERE id IN (SELECT did FROM due WHERE status <> 'open') RETURNING 1) "
      "SELECT (SELECT count(*) FROM fired) AS fired, (SELECT count(*) FROM moot) AS moot, "
      "  (SELECT count(*) FROM rec) AS recorded",
      2, p, "could not fire the ladder's rungs", pb);
  if(!r)
    return pb->err;
  long fired = atol(sr_db_get(r, 0, "fired")), moot = atol(sr_db_get(r, 0, "moot"));
  PQclear(r);
  out->fired += fired;
  out->moot += moot;
  *done = (int)(fired + moot);
  return SR_OK;
}

/* Fires up to SR_SWEEP_CHUNK due rows after <pos>, in the current transaction: plain rungs set by
 * set, the rest (rungs decide() is asked about or that propose a workflow, state deadlines) one
 * by one. */
static enum sr_err fire_chunk(struct sr_ctx *c, const char *ids, struct fire_pos *pos, int *seen,
                              struct sr_fire_result *out, struct sr_problem *pb)
{
  char today[11], loaded[300] = "";
  sr_date_format(c->today, today);
  const struct sr_ladder *l = sr_plugins_ladder(c->plugins);
  if(l && (l->functions & SR_FN_BIT(SR_FN_DECIDE)))
    snprintf(loaded, sizeof loaded, "%s@%s", l->file, l->version);
  const char *p[] = { today, pos->due, pos->id, ids, loaded };
  PGresult *r = sr_db_query(c->db,
      "SELECT d.id, d.hazard_id, d.rectification_id, d.kind, d.spec::text AS spec, "
      "  to_char(d.due_on, 'YYYY-MM-DD') AS due_on, "
      "  (d.hazard_id IS NOT NULL AND NOT d.spec ? 'propose' AND coalesce(h.ladder, '') <> $5) AS plain "
      "FROM deadline d LEFT JOIN hazard h ON h.id = d.hazard_id "
      "WHERE d.fired_on IS NULL AND d.due_on <= $1::date AND (d.due_on, d.id) > ($2::date, $3::bigint) "
      "AND ($4::bigint[] IS NULL OR d.hazard_id = ANY ($4::bigint[])) "
      "ORDER BY d.due_on, d.id LIMIT " SR_STR(SR_SWEEP_CHUNK) " FOR UPDATE OF d SKIP LOCKED",
      5, p, "could not read due deadlines", pb);
  if(!r)
    return pb->err;
  *seen = PQntuples(r);
  enum sr_err e = SR_OK;
  struct sr_buf plain;
  sr_buf_init(&plain, 16 * SR_SWEEP_CHUNK + 8);
  int nplain = 0;
  for(int i = 0; i < *seen; i++)
    if(strcmp(sr_db_get(r, i, "plain"), "t") == 0)
      sr_buf_printf(&plain, "%s%s", nplain++ ? "," : "{", sr_db_get(r, i, "id"));
  if(nplain) {
    sr_buf_append(&plain, "}", 2);
    for(int done = 1, left = nplain; left > 0 && done > 0 && e == SR_OK; left -= done)
      e = fire_plain(c, plain.data, &done, out, pb);
  }
  sr_buf_free(&plain);
  for(int i = 0; i < *seen && e == SR_OK; i++) {
    if(strcmp(sr_db_get(r, i, "plain"), "t") == 0)
      continue;
    const char *did = sr_db_get(r, i, "id"), *hid = sr_db_get(r, i, "hazard_id");
    cJSON *spec = cJSON_Parse(sr_db_get(r, i, "spec"));
    if(spec && !hid)
      cJSON_AddStringToObject(spec, "due_on", sr_db_get(r, i, "due_on"));
    if(!spec)
      e = sr_problem_set(pb, SR_INTERNAL, "deadline %s has an unreadable definition", did);
    else if(hid)
      e = fire_rung(c, did, hid, spec, out, pb);
    else
      e = fire_state(c, did, sr_db_get(r, i, "rectification_id"), sr_db_get(r, i, "kind"), spec, out, pb);
    cJSON_Delete(spec);
  }
  if(*seen > 0) {
    snprintf(pos->due, sizeof pos->due, "%s", sr_db_get(r, *seen - 1, "due_on"));
    snprintf(pos->id, sizeof pos->id, "%s", sr_db_get(r, *seen - 1, "id"));
  }
  PQclear(r);
  return e;
}

enum sr_err sr_escalation_fire(struct sr_ctx *c, const char *ids, struct sr_fire_result *out, struct sr_problem *pb)
{
  memset(out, 0, sizeof *out);
  struct fire_pos pos = { "0001-01-01", "0" };
  int seen, tries = 0;
  if(ids) {
    /* In the caller's transaction, during the caller's request: the rungs are the ladder's
     * doing, so what they record is the system's, not the caller's. */
    if(!sr_tx_system_acts(c, true, pb))
      return pb->err;
    do {
      if(fire_chunk(c, ids, &pos, &seen, out, pb) != SR_OK)
        return pb->err;
    } while(seen == SR_SWEEP_CHUNK);
    return sr_tx_system_acts(c, false, pb) ? SR_OK : pb->err;
  }
  do {
    if(!sr_tx_begin_yielding(c, pb))
      return pb->err;
    struct fire_pos was = pos;
    struct sr_fire_result before = *out;
    enum sr_err e = fire_chunk(c, NULL, &pos, &seen, out, pb);
    if(e == SR_OK && sr_tx_commit(c, pb))
      continue;
    sr_tx_rollback(c);
    if(!sr_tx_retry(pb->err, &tries, pb))
      return pb->err != SR_OK ? pb->err : SR_INTERNAL;
    pos = was;
    *out = before;
    seen = SR_SWEEP_CHUNK;
  } while(seen == SR_SWEEP_CHUNK);
  return SR_OK;
}
