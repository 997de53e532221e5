/* hazard.c -- see hazard.h. */
#include "hazard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "problem.h"
#include "sql.h"
#include "util.h"

/* Hazards the sweep handles per transaction: small enough that a failure costs little work,
 * large enough that a catch-up over thousands of units is a few dozen round trips. */
#define SWEEP_CHUNK 200
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

static bool sweep_begin(struct sr_ctx *c, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return false;
  if(sr_db_command(c->db, "SET LOCAL lock_timeout = '" SWEEP_LOCK_TIMEOUT "'", 0, NULL, pb))
    return true;
  sr_tx_rollback(c);
  return false;
}

/* A failed statement of the sweep: SR_UNAVAILABLE when it only had to wait too long (try the
 * chunk again), SR_INTERNAL otherwise. */
static enum sr_err sweep_failed(const PGresult *r, struct sr_problem *pb, const char *what)
{
  if(sr_db_classify(r) == SR_DB_RETRY)
    return sr_problem_set(pb, SR_UNAVAILABLE, "%s: gave way to a concurrent writer", what);
  return sr_problem_set(pb, SR_INTERNAL, "%s", what);
}

/* After a chunk failed and was rolled back: whether it only gave way and may be tried again
 * (after a pause). */
static bool sweep_retry(enum sr_err e, int *tries, struct sr_problem *pb)
{
  if(e != SR_UNAVAILABLE || ++*tries > SWEEP_RETRIES)
    return false;
  sr_problem_free(pb);
  sr_problem_init(pb);
  usleep(SWEEP_PAUSE_US);
  return true;
}

/* The acting account as a statement parameter: NULL for the system. */
static const char *actor_account(const struct sr_ctx *c, char buf[32])
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
  char account[32];
  const char *p[] = { today, actor_account(c, account), sr_role_name(c->who.role), c->request_id, pos->due,
                      pos->id, ids };
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
      "h AS (INSERT INTO hazard (equipment_id, source, condition_key, grade, level, found_on, rule, facts) "
      "  SELECT id, 'overdue', 'overdue:' || due, 'general', 'district', $1::date, '" OVERDUE_RULE "', "
      "    jsonb_build_object('next_due', due, 'next_due_kind', kind, 'next_due_rule', rule, "
      "      'days_overdue', days, 'found_on', $1) FROM cand "
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
      "  (SELECT id FROM cand ORDER BY due DESC, id DESC LIMIT 1) AS last_id",
      7, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_err e = sweep_failed(r, pb, "could not open overdue hazards");
    PQclear(r);
    return e;
  }
  *seen = atoi(sr_db_get(r, 0, "seen"));
  *opened += atol(sr_db_get(r, 0, "opened"));
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
  const char *p[] = { today, actor_account(c, account), sr_role_name(c->who.role), c->request_id, pos->id, ids };
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
      "ev AS (INSERT INTO hazard_event (hazard_id, action, actor_account, actor_role, reason, effective_on, after) "
      "  SELECT id, 'close', $2::bigint, $3, reason, $1::date, j FROM h), "
      "au AS (INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, detail) "
      "  SELECT $2::bigint, $3, 'hazard.close', 'hazard', id::text, $4, j FROM h) "
      "INSERT INTO outbox (event_type, subject_type, subject_id, jurisdiction, payload) "
      "  SELECT 'hazard.closed', 'hazard', id::text, j->>'jurisdiction', j FROM h RETURNING subject_id",
      6, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    enum sr_err e = sweep_failed(r, pb, "could not close cleared hazards");
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
      if(!one_tx && !sweep_begin(c, pb))
        return pb->err;
      struct sweep_pos was = pos;
      long opened = out->opened, closed = out->closed;
      enum sr_err e = phase == 0 ? close_cleared_chunk(c, today, ids, &pos, &out->closed, &seen, pb)
                                 : open_overdue_chunk(c, today, ids, &pos, &out->opened, &seen, pb);
      if(e != SR_OK && !one_tx) {
        sr_tx_rollback(c);
        if(!sweep_retry(e, &tries, pb))
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
  if(!sweep_begin(c, pb))
    return pb->err;
  PGresult *r = sr_db_exec(c->db,
                           "WITH q AS (SELECT equipment_id FROM equipment_changed ORDER BY equipment_id "
                           "  LIMIT " STR(SWEEP_CHUNK) " FOR UPDATE SKIP LOCKED), "
                           "d AS (DELETE FROM equipment_changed WHERE equipment_id IN (SELECT equipment_id FROM q) "
                           "  RETURNING equipment_id) "
                           "SELECT count(*) AS n, array_agg(equipment_id)::text AS ids FROM d",
                           0, NULL);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_err e = sweep_failed(r, pb, "could not read the sweep queue");
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
      if(!sweep_retry(e, &tries, pb)) /* the chunk rolled itself back */
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

  /* A sweep that catches up on thousands of units changes the hazard table faster than the
   * planner learns of it (autovacuum comes by within minutes); until then the next sweep's
   * anti-join is planned for an empty table and reads every pair instead of probing the key. */
  if(out->opened + out->closed >= SWEEP_ANALYZE_AFTER) {
    r = sr_db_exec(c->db, "ANALYZE hazard", 0, NULL);
    if(!sr_db_ok(r, PGRES_COMMAND_OK))
      sr_warn("sweep: could not refresh the hazard table's statistics");
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
  sr_scope_equipment(&q, c, "e");
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
  sr_sql_add(&q, " ORDER BY h.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb);
}

enum sr_err sr_hazard_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT sereg_hazard_json(h)::text AS j, (SELECT coalesce(jsonb_agg(jsonb_build_object("
                  "'action', ev.action, 'actor_role', ev.actor_role, 'reason', ev.reason, "
                  "'effective_on', to_char(ev.effective_on, 'YYYY-MM-DD'), "
                  "'at', to_char(ev.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) ORDER BY ev.id), '[]') "
                  "FROM hazard_event ev WHERE ev.hazard_id = h.id)::text AS history "
                  "FROM hazard h JOIN equipment e ON e.id = h.equipment_id WHERE h.id = ");
  sr_sql_param_long(&q, id);
  sr_scope_equipment(&q, c, "e");
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(&q);
    return pb->err;
  }
  PGresult *r = q.overflow ? NULL : sr_db_exec(c->db, q.text.data, q.n, q.params);
  sr_sql_free(&q);
  sr_tx_rollback(c); /* read-only */
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  if(PQntuples(r) == 0) {
    PQclear(r);
    return sr_problem_set(pb, SR_NOT_FOUND, "No hazard %ld that you may see.", id);
  }
  cJSON *j = cJSON_Parse(sr_db_get(r, 0, "j")), *h = cJSON_Parse(sr_db_get(r, 0, "history"));
  PQclear(r);
  if(!j || !h) {
    cJSON_Delete(j);
    cJSON_Delete(h);
    return sr_problem_set(pb, SR_INTERNAL, "could not read the hazard");
  }
  cJSON_AddItemToObject(j, "history", h);
  *out = j;
  return SR_OK;
}
