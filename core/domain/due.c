/* due.c -- see due.h. */
#include "due.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "record.h"
#include "tx.h"
#include "log.h"
#include "plugin.h"

void sr_due_free(struct sr_due *d)
{
  cJSON_Delete(d->explain);
  memset(d, 0, sizeof *d);
}

/* What a due decision reads: the unit, the regime of the day, its results and its stops. */
static const char facts_sql[] = "SELECT " SR_DUE_FACTS("$2", "$3") "FROM equipment e WHERE e.id = $1";

/* Suspend/resume events into periods [{from, to?}], the open one last. */
cJSON *sr_due_suspensions(const cJSON *stops)
{
  cJSON *out = cJSON_CreateArray();
  cJSON *open = NULL;
  for(const cJSON *ev = stops ? stops->child : NULL; ev; ev = ev->next) {
    const char *action = cJSON_GetObjectItem(ev, "action")->valuestring;
    const char *on = cJSON_GetObjectItem(ev, "on")->valuestring;
    if(strcmp(action, "suspend") == 0 && !open) {
      open = cJSON_CreateObject();
      cJSON_AddStringToObject(open, "from", on);
      cJSON_AddItemToArray(out, open);
    }
    else if(strcmp(action, "resume") == 0 && open) {
      cJSON_AddStringToObject(open, "to", on);
      open = NULL;
    }
  }
  return out;
}

static const char *inspected_on(const cJSON *h)
{
  return cJSON_GetObjectItem(h, "inspected_on")->valuestring;
}

/*
 * One pass over both lists, relinking their items. Not cJSON_InsertItemInArray: the cJSON of
 * Debian 12 (1.7.15-1+deb12u4) refuses to insert between two items, and the result would be
 * silently left out of the decision.
 */
void sr_due_merge_history(cJSON *history, cJSON *extra)
{
  cJSON *a = history->child, *b = extra->child;
  history->child = extra->child = NULL;
  while(a || b) {
    cJSON *take;
    if(b && (!a || strcmp(inspected_on(b), inspected_on(a)) < 0))
      take = b, b = b->next;
    else
      take = a, a = a->next;
    take->next = take->prev = NULL;
    cJSON_AddItemToArray(history, take); /* appends after the last item, which cJSON keeps at hand */
  }
  cJSON_Delete(extra);
}

void sr_due_add_to_history(cJSON *history, const cJSON *extra)
{
  cJSON *one = cJSON_CreateArray();
  cJSON_AddItemToArray(one, cJSON_Duplicate(extra, 1));
  sr_due_merge_history(history, one);
}

static cJSON *explain(const char *reason, const cJSON *basis, const char *rule, struct sr_date today,
                      const char *date)
{
  char day[11];
  cJSON *x = cJSON_CreateObject();
  cJSON_AddStringToObject(x, "reason", reason);
  cJSON_AddItemToObject(x, "basis", basis ? cJSON_Duplicate(basis, 1) : cJSON_CreateObject());
  if(rule)
    cJSON_AddStringToObject(x, "rule", rule);
  sr_date_format(today, day);
  cJSON_AddStringToObject(x, "computed_on", day);
  struct sr_date d;
  if(date && sr_date_parse(date, &d)) {
    /* The unit must ask for its inspection a month before it falls due (REGULATIONS §1.6). */
    sr_date_format(sr_date_add_months(d, -1), day);
    cJSON_AddStringToObject(x, "request_by", day);
    cJSON_AddStringToObject(x, "statutory_latest", date);
  }
  return x;
}

enum sr_err sr_due_from_facts(struct sr_ctx *c, const struct sr_eqtype *t, const char *type, const char *status,
                              const cJSON *eq, const cJSON *history, const char *prev_date, const char *prev_kind,
                              struct sr_due *out, struct sr_problem *pb)
{
  memset(out, 0, sizeof *out);
  bool active = strcmp(status, "in_service") == 0 || strcmp(status, "suspended") == 0;
  snprintf(out->state, sizeof out->state, "decided");
  /* A unit whose due date its register recorded (or whose state it did not know) keeps that
   * until a real result arrives: its rule, asked from commissioning alone, would invent one. */
  const cJSON *state = cJSON_GetObjectItem(eq, "inspection_state");
  if(active && cJSON_IsString(state) && strcmp(state->valuestring, "decided") != 0 && cJSON_GetArraySize(history) == 0) {
    const cJSON *date = cJSON_GetObjectItem(eq, "next_due"), *kind = cJSON_GetObjectItem(eq, "next_due_kind");
    snprintf(out->state, sizeof out->state, "%s", state->valuestring);
    if(cJSON_IsString(date))
      snprintf(out->date, sizeof out->date, "%s", date->valuestring);
    if(cJSON_IsString(kind))
      snprintf(out->kind, sizeof out->kind, "%s", kind->valuestring);
    const cJSON *basis = cJSON_GetObjectItem(eq, "due_basis");
    out->explain = cJSON_IsObject(basis) ? cJSON_Duplicate(basis, 1) : cJSON_CreateObject();
    if(!cJSON_GetObjectItem(out->explain, "rule"))
      cJSON_AddStringToObject(out->explain, "rule", "register");
    out->changed = strcmp(out->date, prev_date ? prev_date : "") != 0 || strcmp(out->kind, prev_kind ? prev_kind : "") != 0;
    return SR_OK;
  }
  cJSON *answer = NULL;
  char rule[96] = "";
  enum sr_err rc = SR_OK;
  if(active && t) {
    rc = sr_plugins_next_due(c->plugins, t, eq, history, c->today, &answer, pb);
    snprintf(rule, sizeof rule, "%s@%s", t->file, t->version);
  }
  if(rc == SR_OK) {
    const cJSON *date = cJSON_GetObjectItem(answer, "date"), *kind = cJSON_GetObjectItem(answer, "kind");
    if(cJSON_IsString(date))
      snprintf(out->date, sizeof out->date, "%s", date->valuestring);
    if(cJSON_IsString(kind))
      snprintf(out->kind, sizeof out->kind, "%s", kind->valuestring);
    char why[160];
    if(!active)
      snprintf(why, sizeof why, "the equipment is %s: nothing falls due", status);
    else if(!t)
      snprintf(why, sizeof why, "no plugin for type '%s' is loaded", type);
    else if(!answer)
      snprintf(why, sizeof why, "%s schedules no inspection for this unit", rule);
    out->explain = explain(answer ? cJSON_GetObjectItem(answer, "reason")->valuestring : why,
                           cJSON_GetObjectItem(answer, "basis"), rule[0] ? rule : NULL, c->today,
                           out->date[0] ? out->date : NULL);
    out->changed = strcmp(out->date, prev_date ? prev_date : "") != 0 || strcmp(out->kind, prev_kind ? prev_kind : "") != 0;
  }
  cJSON_Delete(answer);
  return rc;
}

enum sr_err sr_due_decide(struct sr_ctx *c, long id, const struct sr_due_pending *pending, struct sr_due *out,
                          struct sr_problem *pb)
{
  static const struct sr_due_pending nothing = { NULL, 0, NULL };
  if(!pending)
    pending = &nothing;
  memset(out, 0, sizeof *out);
  char ids[32], today[11], drop[32];
  snprintf(ids, sizeof ids, "%ld", id);
  snprintf(drop, sizeof drop, "%ld", pending->superseded_id);
  sr_date_format(c->today, today);
  const char *p[] = { ids, today, drop };
  PGresult *r = sr_db_exec(c->db, facts_sql, 3, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "could not read the equipment's history");
  }
  const char *status = sr_db_get(r, 0, "status");
  const struct sr_eqtype *t = sr_plugins_type(c->plugins, sr_db_get(r, 0, "type"));
  cJSON *eq = cJSON_Parse(sr_db_get(r, 0, "j"));
  cJSON *history = cJSON_Parse(sr_db_get(r, 0, "history"));
  if(pending->inspection)
    sr_due_add_to_history(history, pending->inspection);
  sr_due_facts_add(eq, r, 0, pending->action, today);
  enum sr_err rc = sr_due_from_facts(c, t, sr_db_get(r, 0, "type"), status, eq, history,
                                     sr_db_get(r, 0, "next_due"), sr_db_get(r, 0, "next_due_kind"), out, pb);
  cJSON_Delete(eq);
  cJSON_Delete(history);
  PQclear(r);
  return rc;
}

void sr_due_facts_add(cJSON *eq, const PGresult *r, int row, const char *action, const char *today)
{
  const char *regime = sr_db_get(r, row, "regime"), *basis = sr_db_get(r, row, "due_basis");
  const cJSON *state = cJSON_GetObjectItem(eq, "inspection_state");
  if(basis && cJSON_IsString(state) && strcmp(state->valuestring, "decided") != 0) {
    cJSON *b = cJSON_Parse(basis);
    if(b)
      cJSON_AddItemToObject(eq, "due_basis", b);
  }
  cJSON *stops = cJSON_Parse(sr_db_get(r, row, "stops"));
  if(!stops)
    stops = cJSON_CreateArray();
  if(action && (strcmp(action, "suspend") == 0 || strcmp(action, "resume") == 0)) {
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "action", action);
    cJSON_AddStringToObject(ev, "on", today);
    cJSON_AddItemToArray(stops, ev);
  }
  if(regime)
    cJSON_AddStringToObject(eq, "regime", regime);
  cJSON_AddItemToObject(eq, "suspensions", sr_due_suspensions(stops));
  cJSON_Delete(stops);
}

enum sr_err sr_due_store(struct sr_ctx *c, long id, const struct sr_due *d, bool bump, struct sr_problem *pb)
{
  return sr_due_store_because(c, id, d, bump, NULL, pb);
}

enum sr_err sr_due_store_because(struct sr_ctx *c, long id, const struct sr_due *d, bool bump, const char *because,
                                 struct sr_problem *pb)
{
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  char *basis = cJSON_PrintUnformatted(d->explain);
  const cJSON *rule = cJSON_GetObjectItem(d->explain, "rule");
  const char *p[] = { ids, d->date[0] ? d->date : NULL, d->kind[0] ? d->kind : NULL,
                      cJSON_IsString(rule) ? rule->valuestring : NULL, basis, d->state[0] ? d->state : "decided" };
  /* The core writes a derived field here after it has checked the caller's right to the change
   * (an agency's result moves a due date on equipment it may not otherwise write). */
  bool ok = sr_tx_as_system(c, true, pb);
  PGresult *r = ok ? sr_db_exec(c->db,
                                bump ? "UPDATE equipment SET next_due = $2, next_due_kind = $3, next_due_rule = $4, "
                                       "next_due_basis = $5::jsonb, inspection_state = $6, version = version + 1, "
                                       "updated_at = now() WHERE id = $1 RETURNING jurisdiction"
                                     : "UPDATE equipment SET next_due = $2, next_due_kind = $3, next_due_rule = $4, "
                                       "next_due_basis = $5::jsonb, inspection_state = $6 WHERE id = $1 "
                                       "RETURNING jurisdiction",
                                6, p)
                  : NULL;
  ok = ok && sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  ok = sr_tx_as_system(c, false, pb) && ok;
  free(basis);
  if(ok && d->changed) {
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddNumberToObject(payload, "equipment_id", (double)id);
    if(d->date[0])
      cJSON_AddStringToObject(payload, "next_due", d->date);
    else
      cJSON_AddNullToObject(payload, "next_due");
    cJSON_AddStringToObject(payload, "next_due_kind", d->kind);
    if(because)
      cJSON_AddStringToObject(payload, "reason", because);
    cJSON_AddItemToObject(payload, "explain", cJSON_Duplicate(d->explain, 1));
    cJSON *change = sr_change_new();
    sr_change_event(change, "equipment.due_changed", "equipment", ids, PQgetvalue(r, 0, 0), payload);
    ok = sr_record(c, change, pb);
    cJSON_Delete(change);
  }
  PQclear(r);
  if(!ok && pb->err == SR_OK)
    sr_problem_set(pb, SR_INTERNAL, "could not store the due date");
  return ok ? SR_OK : (pb->err != SR_OK ? pb->err : SR_INTERNAL);
}

enum sr_err sr_due_record(struct sr_ctx *c, long id, const char *state, const char *date, const char *kind,
                          cJSON *basis, struct sr_problem *pb)
{
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  char *b = cJSON_PrintUnformatted(basis);
  cJSON_Delete(basis);
  const char *p[] = { ids, state, date && date[0] ? date : NULL, kind && kind[0] ? kind : NULL, b ? b : "{}" };
  bool ok = sr_tx_as_system(c, true, pb);
  PGresult *r = ok ? sr_db_exec(c->db,
                                "UPDATE equipment SET inspection_state = $2, next_due = $3::date, next_due_kind = $4, "
                                "next_due_rule = 'register', next_due_basis = $5::jsonb WHERE id = $1",
                                5, p)
                  : NULL;
  ok = ok && sr_db_ok(r, PGRES_COMMAND_OK) && strcmp(PQcmdTuples(r), "1") == 0;
  ok = sr_tx_as_system(c, false, pb) && ok;
  PQclear(r);
  free(b);
  if(!ok && pb->err == SR_OK)
    sr_problem_set(pb, SR_INTERNAL, "could not store the register's due date");
  return ok ? SR_OK : pb->err;
}

enum sr_err sr_due_refresh(struct sr_ctx *c, long id, const struct sr_due_pending *pending, bool bump,
                           struct sr_problem *pb)
{
  struct sr_due d;
  enum sr_err rc = sr_due_decide(c, id, pending, &d, pb);
  if(rc == SR_OK)
    rc = sr_due_store(c, id, &d, bump, pb);
  sr_due_free(&d);
  return rc;
}
