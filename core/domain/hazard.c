/* hazard.c -- see hazard.h. */
#include "hazard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "escalation.h"
#include "flow.h"
#include "plugin.h"
#include "log.h"
#include "problem.h"
#include "sql.h"
#include "sweep_int.h"
#include "util.h"

/* Changed hazards after which the sweep refreshes the planner's statistics itself. */
#define SWEEP_ANALYZE_AFTER 1000
#define STR_(x) #x
#define STR(x) STR_(x)

/* The core's own rule for overdue inspections (REGULATIONS §3.6, §4.3: 一般, at district level);
 * the escalation ladder takes over from here. */
#define OVERDUE_RULE "core:overdue@1"

/* ==== the sweep ==== */

/* The sweep gives way to the people it works for. It waits at most this long for a lock (an
 * upload holding a unit, say), well under PostgreSQL's deadlock_timeout, so that when the two
 * wait on each other it is always the sweep that steps back: its chunk rolls back and is tried
 * again after a pause, and the upload goes through. */
#define SWEEP_LOCK_TIMEOUT "200ms"
#define SWEEP_RETRIES 50
#define SWEEP_PAUSE_US 100000

bool sr_sweep_begin(struct sr_ctx *c, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return false;
  if(sr_db_command(c->db, "SET LOCAL lock_timeout = '" SWEEP_LOCK_TIMEOUT "'", 0, NULL, pb))
    return true;
  sr_tx_rollback(c);
  return false;
}

enum sr_err sr_sweep_failed(const PGresult *r, struct sr_problem *pb, const char *what)
{
  if(sr_db_classify(r) == SR_DB_RETRY)
    return sr_problem_set(pb, SR_UNAVAILABLE, "%s: gave way to a concurrent writer", what);
  return sr_problem_set(pb, SR_INTERNAL, "%s", what);
}

bool sr_sweep_retry(enum sr_err e, int *tries, struct sr_problem *pb)
{
  if(e != SR_UNAVAILABLE || ++*tries > SWEEP_RETRIES)
    return false;
  sr_problem_free(pb);
  sr_problem_init(pb);
  usleep(SWEEP_PAUSE_US);
  return true;
}

const char *sr_actor_account(const struct sr_ctx *c, char buf[32])
{
  if(c->who.account_id <= 0)
    return NULL;
  snprintf(buf, 32, "%ld", c->who.account_id);
  return buf;
}

/* The place in due order a sweep has reached, so that each chunk starts where the last ended
 * instead of reading past every unit handled before it. */
struct sweep_pos {
  char due[11];
  char id[24];
};

/* Opens up to SWEEP_CHUNK overdue hazards after <pos> in one transaction and one statement,
 * with their history, audit records and notices; <*seen> is how many units it found. */
static enum sr_err open_overdue_chunk(struct sr_ctx *c, const char *today, const char *ids, struct sweep_pos *pos,
                                      long *opened, int *seen, struct sr_problem *pb)
{
  /* The ladder says how an overdue inspection is graded; without one, the core's own rule. */
  char account[32], ladder[300], rule[340];
  if(sr_ladder_rule(c, ladder, sizeof ladder, pb) != SR_OK)
    return pb->err;
  const char *grade = "general", *level = "district";
  if(ladder[0])
    sr_flow_ladder_opens(sr_plugins_ladder(c->plugins)->spec, "overdue", &grade, &level);
  snprintf(rule, sizeof rule, "%s", ladder[0] ? ladder : OVERDUE_RULE);
  const char *p[] = { today, sr_actor_account(c, account), sr_role_name(c->who.role), c->request_id, pos->due,
                      pos->id, ids, grade, level, rule, ladder[0] ? ladder : NULL };
  /* Only units already overdue and without a hazard for this due date: the sweep's cost follows
   * what is overdue, not the size of the register (the next_due index serves the range). A
   * hazard a concurrent sweep opened first is skipped by the unique key. */
  PGresult *r = sr_db_exec(
      c->db,
      "WITH cand AS (SELECT e.id, to_char(e.next_due, 'YYYY-MM-DD') AS due, coalesce(e.next_due_kind, '') AS kind, "
      "    coalesce(e.next_due_rule, '') AS rule, ($1::date - e.next_due) AS days FROM equipment e "
      "  WHERE e.next_due < $1::date AND (e.next_due, e.id) > ($5::date, $6::bigint) "
      "  AND ($7::bigint[] IS NULL OR e.id = ANY ($7::bigint[])) "
      "  AND e.status = 'in_service' AND NOT EXISTS (SELECT 1 FROM hazard h "
      "    WHERE h.equipment_id = e.id AND h.source = 'overdue' AND h.condition_key = 'overdue:' || "
      "    to_char(e.next_due, 'YYYY-MM-DD')) "
      "  ORDER BY e.next_due, e.id LIMIT " STR(SWEEP_CHUNK) "), "
      "h AS (INSERT INTO hazard (equipment_id, source, condition_key, grade, level, found_on, rule, facts, ladder) "
      "  SELECT id, 'overdue', 'overdue:' || due, $8, $9, $1::date, $10, "
      "    jsonb_build_object('next_due', due, 'next_due_kind', kind, 'next_due_rule', rule, "
      "      'days_overdue', days, 'found_on', $1) || jsonb_build_object('graded_by', $10::text), $11 FROM cand "
      "  ON CONFLICT (equipment_id, source, condition_key) DO NOTHING "
      "  RETURNING id, facts, sereg_hazard_json(hazard) AS j), "
      "ev AS (INSERT INTO hazard_event (hazard_id, action, actor_account, actor_role, reason, effective_on, after) "
      "  SELECT id, 'open', $2::bigint, $3, format('%s inspection due on %s is %s day%s overdue', "
      "    coalesce(nullif(facts->>'next_due_kind', ''), 'the'), facts->>'next_due', facts->>'days_overdue', "
      "    CASE WHEN facts->>'days_overdue' = '1' THEN '' ELSE 's' END), $1::date, j FROM h), "
      "au AS (INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail) "
      "  SELECT $2::bigint, $3, 'hazard.open', 'hazard', id::text, $4, j FROM h), "
      "ob AS (INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload) "
      "  SELECT 'hazard.opened', 'hazard', id::text, j->>'jurisdiction', j FROM h RETURNING 1) "
      "SELECT (SELECT count(*) FROM cand) AS seen, (SELECT count(*) FROM ob) AS opened, "
      "  (SELECT due FROM cand ORDER BY due DESC, id DESC LIMIT 1) AS last_due, "
      "  (SELECT id FROM cand ORDER BY due DESC, id DESC LIMIT 1) AS last_id, "
      "  (SELECT array_agg(id) FROM h)::text AS ids",
      11, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_err e = sr_sweep_failed(r, pb, "could not open overdue hazards");
    PQclear(r);
    return e;
  }
  *seen = atoi(sr_db_get(r, 0, "seen"));
  *opened += atol(sr_db_get(r, 0, "opened"));
  /* The ladder's rungs for what was opened, in the same transaction. */
  if(ladder[0] && sr_db_get(r, 0, "ids") && sr_ladder_schedule(c, sr_db_get(r, 0, "ids"), pb) != SR_OK) {
    PQclear(r);
    return pb->err;
  }
  if(*seen > 0) {
    snprintf(pos->due, sizeof pos->due, "%s", sr_db_get(r, 0, "last_due"));
    snprintf(pos->id, sizeof pos->id, "%s", sr_db_get(r, 0, "last_id"));
  }
  PQclear(r);
  return SR_OK;
}

/* Closes up to SWEEP_CHUNK open overdue hazards whose condition has cleared, in one statement. */
static enum sr_err close_cleared_chunk(struct sr_ctx *c, const char *today, const char *ids, struct sweep_pos *pos,
                                       long *closed, int *seen, struct sr_problem *pb)
{
  char account[32];
  const char *p[] = { today, sr_actor_account(c, account), sr_role_name(c->who.role), c->request_id, pos->id, ids };
  PGresult *r = sr_db_exec(
      c->db,
      "WITH cleared AS (SELECT h.id, CASE WHEN e.status <> 'in_service' THEN 'the unit is now ' || e.status "
      "    WHEN e.next_due IS NULL THEN 'the unit has no due date now' "
      "    ELSE 'inspected: the next inspection is due on ' || to_char(e.next_due, 'YYYY-MM-DD') END AS reason "
      "  FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
      "  WHERE h.status = 'open' AND h.id > $5::bigint AND h.source = 'overdue' "
      "  AND ($6::bigint[] IS NULL OR h.equipment_id = ANY ($6::bigint[])) AND (e.status <> 'in_service' OR e.next_due IS NULL "
      "    OR e.next_due >= $1::date OR h.condition_key <> 'overdue:' || to_char(e.next_due, 'YYYY-MM-DD')) "
      "  ORDER BY h.id LIMIT " STR(SWEEP_CHUNK) " FOR UPDATE OF h SKIP LOCKED), "
      "h AS (UPDATE hazard h SET status = 'closed', closed_on = $1::date, version = h.version + 1, "
      "    updated_at = now() FROM cleared WHERE h.id = cleared.id "
      "  RETURNING h.id, cleared.reason, sereg_hazard_json(h) AS j), "
      "dl AS (UPDATE deadline SET fired_on = $1::date, outcome = 'moot: the hazard is closed' "
      "  WHERE hazard_id IN (SELECT id FROM h) AND fired_on IS NULL), "
      "ev AS (INSERT INTO hazard_event (hazard_id, action, actor_account, actor_role, reason, effective_on, after) "
      "  SELECT id, 'close', $2::bigint, $3, reason, $1::date, j FROM h), "
      "au AS (INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail) "
      "  SELECT $2::bigint, $3, 'hazard.close', 'hazard', id::text, $4, j FROM h) "
      "INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload) "
      "  SELECT 'hazard.closed', 'hazard', id::text, j->>'jurisdiction', j FROM h RETURNING subject_id",
      6, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    enum sr_err e = sr_sweep_failed(r, pb, "could not close cleared hazards");
    PQclear(r);
    return e;
  }
  *seen = PQntuples(r);
  *closed += *seen;
  for(int i = 0; i < *seen; i++) /* the outbox rows come in no particular order */
    if(atol(PQgetvalue(r, i, 0)) > atol(pos->id))
      snprintf(pos->id, sizeof pos->id, "%s", PQgetvalue(r, i, 0));
  PQclear(r);
  return SR_OK;
}

/* Closes, then opens, the overdue hazards of the units in <ids> (a bigint[] literal; NULL for
 * every unit, due dates from <from> on), in the current transaction when <one_tx>, else in a
 * transaction per chunk. Closing first lets a unit whose due date moved into the past again get
 * its new hazard in the same sweep. */
static enum sr_err sweep_units(struct sr_ctx *c, const char *today, const char *ids, const char *from, bool close,
                               bool one_tx, struct sr_sweep_result *out, struct sr_problem *pb)
{
  for(int phase = close ? 0 : 1; phase < 2; phase++) {
    struct sweep_pos pos = { "", "0" };
    if(phase == 1)
      snprintf(pos.due, sizeof pos.due, "%s", from);
    int seen, tries = 0;
    do {
      if(!one_tx && !sr_sweep_begin(c, pb))
        return pb->err;
      struct sweep_pos was = pos;
      long opened = out->opened, closed = out->closed;
      enum sr_err e = phase == 0 ? close_cleared_chunk(c, today, ids, &pos, &out->closed, &seen, pb)
                                 : open_overdue_chunk(c, today, ids, &pos, &out->opened, &seen, pb);
      if(e != SR_OK && !one_tx) {
        sr_tx_rollback(c);
        if(!sr_sweep_retry(e, &tries, pb))
          return e;
        pos = was; /* the chunk again, from where it started */
        out->opened = opened;
        out->closed = closed;
        seen = SWEEP_CHUNK;
        continue;
      }
      if(e != SR_OK)
        return e;
      if(!one_tx && !sr_tx_commit(c, pb))
        return pb->err;
    } while(seen == SWEEP_CHUNK);
  }
  return SR_OK;
}

/* Takes up to SWEEP_CHUNK queued units and sweeps them in one transaction with their removal
 * from the queue; <*taken> is how many. A unit another sweep holds is left to it. */
static enum sr_err sweep_queued_chunk(struct sr_ctx *c, const char *today, int *taken, struct sr_sweep_result *out,
                                      struct sr_problem *pb)
{
  *taken = 0;
  if(!sr_sweep_begin(c, pb))
    return pb->err;
  PGresult *r = sr_db_exec(c->db,
                           "WITH q AS (SELECT equipment_id FROM equipment_changed ORDER BY equipment_id "
                           "  LIMIT " STR(SWEEP_CHUNK) " FOR UPDATE SKIP LOCKED), "
                           "d AS (DELETE FROM equipment_changed WHERE equipment_id IN (SELECT equipment_id FROM q) "
                           "  RETURNING equipment_id) "
                           "SELECT count(*) AS n, array_agg(equipment_id)::text AS ids FROM d",
                           0, NULL);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_err e = sr_sweep_failed(r, pb, "could not read the sweep queue");
    PQclear(r);
    sr_tx_rollback(c);
    return e;
  }
  *taken = atoi(sr_db_get(r, 0, "n"));
  enum sr_err e = SR_OK;
  if(*taken > 0)
    e = sweep_units(c, today, sr_db_get(r, 0, "ids"), "0001-01-01", true, true, out, pb);
  PQclear(r);
  if(e != SR_OK) {
    sr_tx_rollback(c);
    return e;
  }
  return sr_tx_commit(c, pb) ? SR_OK : pb->err;
}

enum sr_err sr_sweep(struct sr_ctx *c, struct sr_sweep_result *out, struct sr_problem *pb)
{
  char today[11], through[11] = "";
  sr_date_format(c->today, today);
  memset(out, 0, sizeof *out);
  PGresult *r = sr_db_exec(c->db, "SELECT to_char(through, 'YYYY-MM-DD') FROM sweep_state WHERE name = 'overdue'",
                           0, NULL);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "could not read the sweep state");
  }
  if(PQntuples(r) == 1)
    snprintf(through, sizeof through, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  /* The first sweep, or one for a day before the last (a replay), looks at everything. */
  bool full = !through[0] || strcmp(today, through) < 0;

  /* Units whose due date or status changed: they may have become overdue, or stopped being. */
  int taken, tries = 0;
  do {
    struct sr_sweep_result was = *out;
    enum sr_err e = sweep_queued_chunk(c, today, &taken, out, pb);
    if(e != SR_OK) {
      if(!sr_sweep_retry(e, &tries, pb)) /* the chunk rolled itself back */
        return e;
      *out = was;
      taken = SWEEP_CHUNK;
    }
  } while(taken == SWEEP_CHUNK);
  /* Units whose due date fell since the last day swept (or all of them). Today moving on
   * never clears an overdue hazard, so only a full sweep re-checks the open ones. */
  if(sweep_units(c, today, NULL, full ? "0001-01-01" : through, full, false, out, pb) != SR_OK)
    return pb->err;

  const char *p[] = { today, full ? "t" : "f" };
  if(!sr_db_command(c->db,
                    "INSERT INTO sweep_state (name, through) VALUES ('overdue', $1::date) ON CONFLICT (name) DO "
                    "UPDATE SET through = CASE WHEN $2::boolean THEN EXCLUDED.through "
                    "ELSE greatest(sweep_state.through, EXCLUDED.through) END",
                    2, p, pb))
    return pb->err;

  /* Rungs and workflow deadlines that have fallen due, each fired once. */
  struct sr_fire_result fired;
  if(sr_deadlines_fire(c, NULL, &fired, pb) != SR_OK)
    return pb->err;
  out->escalated = fired.fired;
  out->held = fired.held;
  out->failed = fired.failed;
  out->overdue = fired.overdue;

  /* A sweep that catches up on thousands of units changes the hazard and deadline tables
   * faster than the planner learns of it (autovacuum comes by within minutes); until then the
   * next sweep's anti-join is planned for an empty hazard table and reads every pair instead of
   * probing the key, and its reads of due rows are planned for an empty deadline table (a run
   * that fired 10,000 rungs took 9 s instead of 3). Opening a hazard schedules its rungs. */
  if(out->opened + out->closed + out->escalated >= SWEEP_ANALYZE_AFTER) {
    r = sr_db_exec(c->db, "ANALYZE hazard, deadline", 0, NULL);
    if(!sr_db_ok(r, PGRES_COMMAND_OK))
      sr_warn("sweep: could not refresh the hazard and deadline tables' statistics");
    PQclear(r);
  }
  return SR_OK;
}

/* ==== reading ==== */

enum sr_err sr_hazard_list(struct sr_ctx *c, const struct sr_hazard_filter *f, cJSON **out, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT h.id, sereg_hazard_json(h)::text AS j FROM hazard h "
                  "JOIN equipment e ON e.id = h.equipment_id WHERE h.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_scope_supervision(&q, c, "e");
  if(f->equipment_id) {
    sr_sql_add(&q, " AND h.equipment_id = ");
    sr_sql_param_long(&q, f->equipment_id);
  }
  const struct {
    const char *column, *value;
  } eqs[] = { { " AND e.jurisdiction = ", f->jurisdiction }, { " AND h.grade = ", f->grade },
              { " AND h.level = ", f->level },               { " AND h.status = ", f->status },
              { " AND h.source = ", f->source } };
  for(size_t i = 0; i < sizeof eqs / sizeof eqs[0]; i++)
    if(eqs[i].value) {
      sr_sql_add(&q, eqs[i].column);
      sr_sql_param(&q, eqs[i].value);
    }
  if(f->overdue >= 0) {
    /* Overdue: still open after the deadline of a rectification that covers it. */
    char today[11];
    sr_date_format(c->today, today);
    sr_sql_add(&q, f->overdue ? " AND h.status = 'open' AND EXISTS (" : " AND h.status = 'open' AND NOT EXISTS (");
    sr_sql_add(&q, "SELECT 1 FROM rectification_hazard rh JOIN rectification r ON r.id = rh.rectification_id "
                   "WHERE rh.hazard_id = h.id AND r.closed_on IS NULL AND r.deadline < ");
    sr_sql_param_copy(&q, today);
    sr_sql_add(&q, "::date)");
  }
  sr_sql_add(&q, " ORDER BY h.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb);
}

/* One sentence per step: how the hazard was found, each rung of its ladder (fired, waiting or
 * moot), and the rectifications that cover it. */
/* A string member, or "" (NULL, a missing member, is not for printf). */
static const char *gs(const cJSON *o, const char *k)
{
  const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
  return v ? v : "";
}

static cJSON *explain(const cJSON *h, const cJSON *history, const cJSON *deadlines, const cJSON *rects)
{
  cJSON *why = cJSON_CreateArray();
  char line[1600];
  const cJSON *first = cJSON_GetArrayItem(history, 0);
  const char *ladder = gs(h, "ladder");
  snprintf(line, sizeof line, "%s: found (%s) by %s — %s. Decided by %s; it runs under %s.",
           gs(h, "found_on"), gs(h, "source"),
           gs(first, "actor_role"),
           gs(first, "reason"),
           gs(h, "rule"), ladder[0] ? ladder : "no escalation ladder");
  cJSON_AddItemToArray(why, cJSON_CreateString(line));
  for(const cJSON *d = deadlines ? deadlines->child : NULL; d; d = d->next) {
    const char *rung = gs(d, "rung");
    const char *due = gs(d, "due_on");
    const char *fired = gs(d, "fired_on");
    const char *outcome = gs(d, "outcome");
    const char *reason = gs(d, "reason");
    if(!fired[0])
      snprintf(line, sizeof line, "%s: rung %s falls due if the hazard is still open — %s.", due, rung, reason);
    else if(strcmp(outcome, "fired") == 0)
      snprintf(line, sizeof line, "%s: rung %s fired — %s.", fired, rung, reason);
    else
      snprintf(line, sizeof line, "%s: rung %s (due %s) did not fire: %s.", fired, rung, due, outcome);
    cJSON_AddItemToArray(why, cJSON_CreateString(line));
  }
  for(const cJSON *r = rects ? rects->child : NULL; r; r = r->next) {
    snprintf(line, sizeof line, "%s: %s #%d opened; now %s%s%s.",
             gs(r, "opened_on"), gs(r, "workflow"),
             cJSON_GetObjectItem(r, "id")->valueint, gs(r, "state"),
             gs(r, "deadline")[0] ? ", deadline " : "",
             gs(r, "deadline"));
    cJSON_AddItemToArray(why, cJSON_CreateString(line));
  }
  if(strcmp(gs(h, "status"), "closed") == 0) {
    const cJSON *last = cJSON_GetArrayItem(history, cJSON_GetArraySize(history) - 1);
    snprintf(line, sizeof line, "%s: closed — %s.", gs(h, "closed_on"),
             gs(last, "reason"));
    cJSON_AddItemToArray(why, cJSON_CreateString(line));
  }
  return why;
}

enum sr_err sr_hazard_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT sereg_hazard_json(h)::text AS j, (SELECT coalesce(jsonb_agg(jsonb_build_object("
                  "'action', ev.action, 'actor_role', ev.actor_role, 'reason', ev.reason, "
                  "'effective_on', to_char(ev.effective_on, 'YYYY-MM-DD'), "
                  "'at', to_char(ev.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) ORDER BY ev.id), '[]') "
                  "FROM hazard_event ev WHERE ev.hazard_id = h.id)::text AS history, "
                  "(SELECT coalesce(jsonb_agg(jsonb_build_object('rung', substr(d.kind, 6), "
                  "  'due_on', to_char(d.due_on, 'YYYY-MM-DD'), 'fired_on', to_char(d.fired_on, 'YYYY-MM-DD'), "
                  "  'outcome', d.outcome, 'reason', d.spec->>'reason', 'set', d.spec->'set', "
                  "  'notify', d.spec->'notify', 'propose', d.spec->'propose') ORDER BY d.due_on, d.id), '[]') "
                  "FROM deadline d WHERE d.hazard_id = h.id)::text AS deadlines, "
                  "(SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'workflow', r.workflow, 'state', r.state, "
                  "  'deadline', to_char(r.deadline, 'YYYY-MM-DD'), 'opened_on', to_char(r.opened_on, 'YYYY-MM-DD'), "
                  "  'closed_on', to_char(r.closed_on, 'YYYY-MM-DD')) ORDER BY r.id), '[]') "
                  "FROM rectification_hazard rh JOIN rectification r ON r.id = rh.rectification_id "
                  "WHERE rh.hazard_id = h.id)::text AS rectifications "
                  "FROM hazard h JOIN equipment e ON e.id = h.equipment_id WHERE h.id = ");
  sr_sql_param_long(&q, id);
  sr_scope_supervision(&q, c, "e");
  PGresult *r = sr_sql_one(c, &q, "hazard", id, pb);
  if(!r)
    return pb->err;
  cJSON *j = cJSON_Parse(sr_db_get(r, 0, "j")), *h = cJSON_Parse(sr_db_get(r, 0, "history"));
  cJSON *d = cJSON_Parse(sr_db_get(r, 0, "deadlines")), *rc = cJSON_Parse(sr_db_get(r, 0, "rectifications"));
  PQclear(r);
  if(!j || !h || !d || !rc) {
    cJSON_Delete(j);
    cJSON_Delete(h);
    cJSON_Delete(d);
    cJSON_Delete(rc);
    return sr_problem_set(pb, SR_INTERNAL, "could not read the hazard");
  }
  cJSON_AddItemToObject(j, "why", explain(j, h, d, rc));
  cJSON_AddItemToObject(j, "history", h);
  cJSON_AddItemToObject(j, "deadlines", d);
  cJSON_AddItemToObject(j, "rectifications", rc);
  *out = j;
  return SR_OK;
}
