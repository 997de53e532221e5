/*
 * sweep.c -- see sweep.h. Each chunk of work is one transaction that gives way to writers
 * (sr_tx_begin_yielding): a chunk that waited too long for a lock rolls back and is tried again.
 */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "delivery.h"
#include "escalation.h"
#include "flow.h"
#include "log.h"
#include "plugin.h"
#include "rule.h"
#include "sr_limits.h"
#include "tx.h"
#include "util.h"

/* Changed hazards after which the sweep refreshes the planner's statistics itself. */
#define SWEEP_ANALYZE_AFTER 1000

/* The core's own rule for overdue inspections (REGULATIONS §3.6, §4.3: 一般, at district level);
 * the escalation ladder takes over from here. */
#define OVERDUE_RULE "core:overdue@1"

/* The place in due order a sweep has reached, so that each chunk starts where the last ended
 * instead of reading past every unit handled before it. */
struct sweep_pos {
  char due[11];
  char id[24];
};

/* Opens up to SR_SWEEP_CHUNK overdue hazards after <pos> in one transaction and one statement,
 * with their history, audit records and notices; <*seen> is how many units it found. */
static enum sr_err open_overdue_chunk(struct sr_ctx *c, const char *today, const char *ids, struct sweep_pos *pos,
                                      long *opened, int *seen, struct sr_problem *pb)
{
  /* The ladder says how an overdue inspection is graded; without one, the core's own rule. */
  char ladder[300], rule[340];
  if(sr_rule_ladder(c, ladder, sizeof ladder, pb) != SR_OK)
    return pb->err;
  const char *grade = "general", *level = "district";
  if(ladder[0])
    sr_flow_ladder_opens(sr_plugins_ladder(c->plugins)->spec, "overdue", &grade, &level);
  snprintf(rule, sizeof rule, "%s", ladder[0] ? ladder : OVERDUE_RULE);
  const char *p[] = { today, pos->due, pos->id, ids, grade, level, rule, ladder[0] ? ladder : NULL };
  /* Only units already overdue and without a hazard for this due date: the sweep's cost follows
   * what is overdue, not the size of the register (the next_due index serves the range). A
   * hazard a concurrent sweep opened first is skipped by the unique key. */
  PGresult *r = sr_db_exec(
      c->db,
      "WITH cand AS (SELECT e.id, to_char(e.next_due, 'YYYY-MM-DD') AS due, coalesce(e.next_due_kind, '') AS kind, "
      "    coalesce(e.next_due_rule, '') AS rule, ($1::date - e.next_due) AS days FROM equipment e "
      "  WHERE e.next_due < $1::date AND (e.next_due, e.id) > ($2::date, $3::bigint) "
      "  AND ($4::bigint[] IS NULL OR e.id = ANY ($4::bigint[])) "
      "  AND e.status = 'in_service' AND NOT EXISTS (SELECT 1 FROM hazard h "
      "    WHERE h.equipment_id = e.id AND h.source = 'overdue' AND h.condition_key = 'overdue:' || "
      "    to_char(e.next_due, 'YYYY-MM-DD')) "
      "  ORDER BY e.next_due, e.id LIMIT " SR_STR(SR_SWEEP_CHUNK) "), "
      "h AS (INSERT INTO hazard (equipment_id, source, condition_key, grade, level, found_on, rule, facts, ladder) "
      "  SELECT id, 'overdue', 'overdue:' || due, $5, $6, $1::date, $7, "
      "    jsonb_build_object('next_due', due, 'next_due_kind', kind, 'next_due_rule', rule, "
      "      'days_overdue', days, 'found_on', $1) || jsonb_build_object('graded_by', $7::text), $8 FROM cand "
      "  ON CONFLICT (equipment_id, source, condition_key) DO NOTHING "
      "  RETURNING id, facts, sereg_hazard_json(hazard) AS j), "
      "rec AS (SELECT sereg_record(jsonb_agg(jsonb_build_object("
      "  'history', jsonb_build_object('of', 'hazard', 'id', id, 'action', 'open', 'after', j, "
      "    'reason', format('%s inspection due on %s is %s day%s overdue', "
      "    coalesce(nullif(facts->>'next_due_kind', ''), 'the'), facts->>'next_due', facts->>'days_overdue', "
      "    CASE WHEN facts->>'days_overdue' = '1' THEN '' ELSE 's' END)), "
      "  'audit', jsonb_build_object('action', 'hazard.open', 'target_type', 'hazard', 'target_id', id::text, 'detail', j), "
      "  'event', jsonb_build_object('type', 'hazard.opened', 'subject_type', 'hazard', 'subject_id', id::text, "
      "    'jurisdiction', j->>'jurisdiction', 'payload', j)))) FROM h) "
      "SELECT (SELECT count(*) FROM cand) AS seen, (SELECT count(*) FROM h) AS opened, (SELECT count(*) FROM rec) AS recorded, "
      "  (SELECT due FROM cand ORDER BY due DESC, id DESC LIMIT 1) AS last_due, "
      "  (SELECT id FROM cand ORDER BY due DESC, id DESC LIMIT 1) AS last_id, "
      "  (SELECT array_agg(id) FROM h)::text AS ids",
      8, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_err e = sr_db_failure(r, pb, "could not open overdue hazards");
    PQclear(r);
    return e;
  }
  *seen = atoi(sr_db_get(r, 0, "seen"));
  *opened += atol(sr_db_get(r, 0, "opened"));
  /* The ladder's rungs for what was opened, in the same transaction. */
  if(ladder[0] && sr_db_get(r, 0, "ids") && sr_escalation_schedule(c, sr_db_get(r, 0, "ids"), pb) != SR_OK) {
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

/* Closes up to SR_SWEEP_CHUNK open overdue hazards whose condition has cleared, in one statement. */
static enum sr_err close_cleared_chunk(struct sr_ctx *c, const char *today, const char *ids, struct sweep_pos *pos,
                                       long *closed, int *seen, struct sr_problem *pb)
{
  const char *p[] = { today, pos->id, ids };
  PGresult *r = sr_db_exec(
      c->db,
      "WITH cleared AS (SELECT h.id, CASE WHEN e.status <> 'in_service' THEN 'the unit is now ' || e.status "
      "    WHEN e.next_due IS NULL THEN 'the unit has no due date now' "
      "    ELSE 'inspected: the next inspection is due on ' || to_char(e.next_due, 'YYYY-MM-DD') END AS reason "
      "  FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
      "  WHERE h.status = 'open' AND h.id > $2::bigint AND h.source = 'overdue' "
      "  AND ($3::bigint[] IS NULL OR h.equipment_id = ANY ($3::bigint[])) AND (e.status <> 'in_service' OR e.next_due IS NULL "
      "    OR e.next_due >= $1::date OR h.condition_key <> 'overdue:' || to_char(e.next_due, 'YYYY-MM-DD')) "
      "  ORDER BY h.id LIMIT " SR_STR(SR_SWEEP_CHUNK) " FOR UPDATE OF h SKIP LOCKED), "
      "h AS (UPDATE hazard h SET status = 'closed', closed_on = $1::date, version = h.version + 1, "
      "    updated_at = now() FROM cleared WHERE h.id = cleared.id "
      "  RETURNING h.id, cleared.reason, sereg_hazard_json(h) AS j), "
      "dl AS (UPDATE deadline SET fired_on = $1::date, outcome = 'moot: the hazard is closed' "
      "  WHERE hazard_id IN (SELECT id FROM h) AND fired_on IS NULL), "
      "rec AS (SELECT sereg_record(jsonb_agg(jsonb_build_object("
      "  'history', jsonb_build_object('of', 'hazard', 'id', id, 'action', 'close', 'reason', reason, 'after', j), "
      "  'audit', jsonb_build_object('action', 'hazard.close', 'target_type', 'hazard', 'target_id', id::text, 'detail', j), "
      "  'event', jsonb_build_object('type', 'hazard.closed', 'subject_type', 'hazard', 'subject_id', id::text, "
      "    'jurisdiction', j->>'jurisdiction', 'payload', j)))) FROM h) "
      "SELECT id FROM h WHERE (SELECT count(*) FROM rec) = 1",
      3, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    enum sr_err e = sr_db_failure(r, pb, "could not close cleared hazards");
    PQclear(r);
    return e;
  }
  *seen = PQntuples(r);
  *closed += *seen;
  for(int i = 0; i < *seen; i++) /* the rows come in no particular order */
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
      if(!one_tx && !sr_tx_begin_yielding(c, pb))
        return pb->err;
      struct sweep_pos was = pos;
      long opened = out->opened, closed = out->closed;
      enum sr_err e = phase == 0 ? close_cleared_chunk(c, today, ids, &pos, &out->closed, &seen, pb)
                                 : open_overdue_chunk(c, today, ids, &pos, &out->opened, &seen, pb);
      if(e != SR_OK && !one_tx) {
        sr_tx_rollback(c);
        if(!sr_tx_retry(e, &tries, pb))
          return e;
        pos = was; /* the chunk again, from where it started */
        out->opened = opened;
        out->closed = closed;
        seen = SR_SWEEP_CHUNK;
        continue;
      }
      if(e != SR_OK)
        return e;
      if(!one_tx && !sr_tx_commit(c, pb))
        return pb->err;
    } while(seen == SR_SWEEP_CHUNK);
  }
  return SR_OK;
}

/* Takes up to SR_SWEEP_CHUNK queued units and sweeps them in one transaction with their removal
 * from the queue; <*taken> is how many. A unit another sweep holds is left to it. */
static enum sr_err sweep_queued_chunk(struct sr_ctx *c, const char *today, int *taken, struct sr_sweep_result *out,
                                      struct sr_problem *pb)
{
  *taken = 0;
  if(!sr_tx_begin_yielding(c, pb))
    return pb->err;
  PGresult *r = sr_db_exec(c->db,
                           "WITH q AS (SELECT equipment_id FROM equipment_changed ORDER BY equipment_id "
                           "  LIMIT " SR_STR(SR_SWEEP_CHUNK) " FOR UPDATE SKIP LOCKED), "
                           "d AS (DELETE FROM equipment_changed WHERE equipment_id IN (SELECT equipment_id FROM q) "
                           "  RETURNING equipment_id) "
                           "SELECT count(*) AS n, array_agg(equipment_id)::text AS ids FROM d",
                           0, NULL);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_err e = sr_db_failure(r, pb, "could not read the sweep queue");
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
      if(!sr_tx_retry(e, &tries, pb)) /* the chunk rolled itself back */
        return e;
      *out = was;
      taken = SR_SWEEP_CHUNK;
    }
  } while(taken == SR_SWEEP_CHUNK);
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
  if(sr_escalation_fire(c, NULL, &fired, pb) != SR_OK)
    return pb->err;
  out->escalated = fired.fired;
  out->held = fired.held;
  out->failed = fired.failed;
  out->overdue = fired.overdue;

  /* Notices delivered or given up on longer ago than the retention, and events none needs. */
  if(sr_delivery_prune(c, &out->pruned_deliveries, &out->pruned_events, pb) != SR_OK)
    return pb->err;

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

