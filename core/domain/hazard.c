/* hazard.c -- see hazard.h. */
#include "hazard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "tx.h"
#include "flow.h"
#include "plugin.h"
#include "log.h"
#include "problem.h"
#include "sql.h"
#include "util.h"



/* ==== opening and closing ==== */

/* The records of a hazard change: its history entry, audit record and notice, in SQL over the
 * rows (id, j: its JSON) of a statement's <rows>, with <reason> an SQL expression over them. */
#define HAZARD_RECORDS(ACTION, AUDIT, EVENT, REASON, ROWS)                                                  \
  "SELECT sereg_record(jsonb_agg(jsonb_build_object("                                                     \
  "  'history', jsonb_build_object('of', 'hazard', 'id', id, 'action', '" ACTION "', 'reason', " REASON ", " \
  "    'after', j), "                                                                                       \
  "  'audit', jsonb_build_object('action', '" AUDIT "', 'target_type', 'hazard', 'target_id', id::text, "     \
  "    'detail', j), "                                                                                      \
  "  'event', jsonb_build_object('type', '" EVENT "', 'subject_type', 'hazard', 'subject_id', id::text, "     \
  "    'jurisdiction', j->>'jurisdiction', 'payload', j)))) FROM " ROWS

enum sr_err sr_hazard_open(struct sr_ctx *c, const struct sr_hazard_new *h, const char *ladder, long *id,
                           struct sr_problem *pb)
{
  *id = 0;
  char key[400], eid[32], today[11], account[32];
  snprintf(key, sizeof key, "%s:%s", h->condition, h->occasion);
  snprintf(eid, sizeof eid, "%ld", h->equipment_id);
  sr_date_format(c->today, today);
  char *facts = cJSON_PrintUnformatted(h->facts);
  char *evidence = h->evidence ? cJSON_PrintUnformatted(h->evidence) : strdup("[]");
  const char *p[] = { eid, h->source, key, h->grade, h->level, today, h->rule, facts, ladder[0] ? ladder : NULL,
                      sr_tx_actor_account(c, account), evidence, h->reason, h->condition };
  /* One condition, one open hazard: a second failed result while the first is open adds
   * nothing, and the unique key keeps a repeated occasion from opening it twice. */
  PGresult *r = facts && evidence ? sr_db_query(c->db,
      "WITH h AS (INSERT INTO hazard (equipment_id, source, condition_key, grade, level, found_on, rule, facts, "
      "    ladder, reported_by, evidence) "
      "  SELECT $1, $2, $3, $4, $5, $6::date, $7, $8::jsonb, $9, $10::bigint, $11::jsonb "
      "  WHERE NOT EXISTS (SELECT 1 FROM hazard o WHERE o.equipment_id = $1 AND o.source = $2 AND o.status = 'open' "
      "    AND split_part(o.condition_key, ':', 1) = $13) "
      "  ON CONFLICT (equipment_id, source, condition_key) DO NOTHING "
      "  RETURNING id, sereg_hazard_json(hazard) AS j), "
      "rec AS (" HAZARD_RECORDS("open", "hazard.open", "hazard.opened", "$12::text", "h") ") "
      "SELECT id FROM h WHERE (SELECT count(*) FROM rec) = 1",
      13, p, "could not open the hazard", pb) : NULL;
  free(facts);
  free(evidence);
  if(!r)
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "out of memory");
  if(PQntuples(r) == 1)
    *id = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  return SR_OK;
}

enum sr_err sr_hazard_close(struct sr_ctx *c, long id, const char *reason, struct sr_problem *pb)
{
  char hid[24], today[11];
  snprintf(hid, sizeof hid, "%ld", id);
  sr_date_format(c->today, today);
  const char *p[] = { hid, today, reason };
  PGresult *r = sr_db_query(c->db,
      "WITH h AS (UPDATE hazard SET status = 'closed', closed_on = $2::date, version = version + 1, "
      "    updated_at = now() WHERE id = $1 AND status = 'open' RETURNING id, sereg_hazard_json(hazard) AS j), "
      "dl AS (UPDATE deadline SET fired_on = $2::date, outcome = 'moot: the hazard is closed' "
      "  WHERE hazard_id IN (SELECT id FROM h) AND fired_on IS NULL) "
      HAZARD_RECORDS("close", "hazard.close", "hazard.closed", "$3::text", "h"),
      3, p, "could not close the hazard", pb);
  PQclear(r);
  return r ? SR_OK : pb->err;
}

/* ==== reading ==== */

enum sr_err sr_hazard_list(struct sr_ctx *c, const struct sr_hazard_filter *f, cJSON **out, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT h.id, sereg_hazard_json(h)::text AS j FROM hazard h "
                  "JOIN equipment e ON e.id = h.equipment_id WHERE true");
  sr_scope_supervision(&q, c, "e");
  if(f->equipment_id) {
    sr_sql_add(&q, " AND h.equipment_id = ");
    sr_sql_param_long(&q, f->equipment_id);
  }
  const struct sr_sql_filter eqs[] = { { "e.jurisdiction", f->jurisdiction }, { "h.grade", f->grade },
                                       { "h.level", f->level }, { "h.status", f->status }, { "h.source", f->source } };
  sr_sql_filters(&q, eqs, sizeof eqs / sizeof *eqs);
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
  if(f->without_open) {
    /* Awaiting its workflow: open, and in no open rectification of that workflow (a district's
     * hazards awaiting a 监察指令书). */
    sr_sql_add(&q, " AND h.status = 'open' AND NOT EXISTS (SELECT 1 FROM rectification_hazard rh JOIN "
                   "rectification r ON r.id = rh.rectification_id WHERE rh.hazard_id = h.id AND r.closed_on IS NULL "
                   "AND r.workflow = ");
    sr_sql_param(&q, f->without_open);
    sr_sql_add(&q, ")");
  }
  sr_sql_total_here(&q, f->count);
  sr_sql_add(&q, " AND h.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_sql_add(&q, " ORDER BY h.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb);
}

/* One sentence per step: how the hazard was found, each rung of its ladder (fired, waiting or
 * moot), and the rectifications that cover it. */
/* A string member, or "" (NULL, a missing member, is not for printf). */
static cJSON *explain(const cJSON *h, const cJSON *history, const cJSON *deadlines, const cJSON *rects)
{
  cJSON *why = cJSON_CreateArray();
  char line[1600];
  const cJSON *first = cJSON_GetArrayItem(history, 0);
  const char *ladder = sr_json_str_or(h, "ladder", "");
  snprintf(line, sizeof line, "%s: found (%s) by %s — %s. Decided by %s; it runs under %s.",
           sr_json_str_or(h, "found_on", ""), sr_json_str_or(h, "source", ""),
           sr_json_str_or(first, "actor_role", ""),
           sr_json_str_or(first, "reason", ""),
           sr_json_str_or(h, "rule", ""), ladder[0] ? ladder : "no escalation ladder");
  cJSON_AddItemToArray(why, cJSON_CreateString(line));
  for(const cJSON *d = deadlines ? deadlines->child : NULL; d; d = d->next) {
    const char *rung = sr_json_str_or(d, "rung", "");
    const char *due = sr_json_str_or(d, "due_on", "");
    const char *fired = sr_json_str_or(d, "fired_on", "");
    const char *outcome = sr_json_str_or(d, "outcome", "");
    const char *reason = sr_json_str_or(d, "reason", "");
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
             sr_json_str_or(r, "opened_on", ""), sr_json_str_or(r, "workflow", ""),
             cJSON_GetObjectItem(r, "id")->valueint, sr_json_str_or(r, "state", ""),
             sr_json_str_or(r, "deadline", "")[0] ? ", deadline " : "",
             sr_json_str_or(r, "deadline", ""));
    cJSON_AddItemToArray(why, cJSON_CreateString(line));
  }
  if(strcmp(sr_json_str_or(h, "status", ""), "closed") == 0) {
    const cJSON *last = cJSON_GetArrayItem(history, cJSON_GetArraySize(history) - 1);
    snprintf(line, sizeof line, "%s: closed — %s.", sr_json_str_or(h, "closed_on", ""),
             sr_json_str_or(last, "reason", ""));
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
  static const char *const members[] = { "history", "deadlines", "rectifications", NULL };
  cJSON *j = sr_sql_record(r, members);
  PQclear(r);
  if(!j)
    return sr_problem_set(pb, SR_INTERNAL, "could not read the hazard");
  cJSON_AddItemToObject(j, "why", explain(j, cJSON_GetObjectItem(j, "history"), cJSON_GetObjectItem(j, "deadlines"),
                                          cJSON_GetObjectItem(j, "rectifications")));
  sr_json_move_last(j, members); /* after "why", as the answer has always had them */
  *out = j;
  return SR_OK;
}
