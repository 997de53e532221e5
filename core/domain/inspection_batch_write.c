/*
 * inspection_batch_write.c -- writing a batch's accepted results with one statement per table:
 * the results, their history, audit records and notices by COPY (ids drawn beforehand, so that
 * nothing needs to be read back), the units' due dates by one UPDATE, the stored results that
 * amendments supersede by another, then the hazards the results show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "tx.h"
#include "inspection_batch_int.h"
#include "sr_limits.h"

static const char update_units[] =
    "UPDATE equipment e SET next_due = x.next_due, next_due_kind = x.next_due_kind, next_due_rule = x.rule, "
    " next_due_basis = x.basis, inspection_state = 'decided', version = e.version + x.n, updated_at = now() "
    "FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, next_due date, next_due_kind text, rule text, basis jsonb, n int) "
    "WHERE e.id = x.id";

static const char supersede[] =
    "UPDATE inspection i SET superseded_by = x.successor "
    "FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, successor bigint) WHERE i.id = x.id";

/* The agency, the transaction's timestamp (every recorded_at of the batch), and <n> result ids. */
static PGresult *batch_context(struct batch *b, int n, struct sr_problem *pb)
{
  char agency[32], count[16];
  snprintf(agency, sizeof agency, "%ld", b->c->who.org_id);
  snprintf(count, sizeof count, "%d", n);
  const char *p[] = { agency, count };
  PGresult *r = sr_db_exec(b->c->db,
                           "SELECT o.credit_code, o.name, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
                           "nextval(pg_get_serial_sequence('inspection', 'id')) FROM organization o, "
                           "generate_series(1, $2::int) WHERE o.id = $1",
                           2, p);
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == n)
    return r;
  PQclear(r);
  sr_problem_set(pb, SR_INTERNAL, "database error");
  return NULL;
}

static void add_string_or_null(cJSON *o, const char *k, const char *v)
{
  if(v)
    cJSON_AddStringToObject(o, k, v);
  else
    cJSON_AddNullToObject(o, k);
}

/* The result as sereg_inspection_json() shows a stored one: the answer needs no read-back. */
static cJSON *result_json(const struct batch *b, const struct item *it, const PGresult *ctx)
{
  const struct upload *u = &it->u;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "id", (double)it->id);
  cJSON_AddStringToObject(j, "agency", PQgetvalue(ctx, 0, 0));
  cJSON_AddStringToObject(j, "agency_name", PQgetvalue(ctx, 0, 1));
  cJSON_AddStringToObject(j, "report_number", u->report_number);
  cJSON_AddNumberToObject(j, "equipment_id", (double)it->unit->id);
  cJSON_AddStringToObject(j, "kind", u->kind);
  cJSON_AddStringToObject(j, "inspected_on", u->inspected_on);
  cJSON_AddStringToObject(j, "conclusion", u->conclusion);
  cJSON_AddStringToObject(j, "conclusion_text", it->concl->text);
  cJSON_AddBoolToObject(j, "passed", it->concl->passed);
  if(u->safety_grade)
    cJSON_AddNumberToObject(j, "safety_grade", u->safety_grade);
  else
    cJSON_AddNullToObject(j, "safety_grade");
  cJSON_AddItemToObject(j, "defects", u->defects ? cJSON_Duplicate(u->defects, 1) : cJSON_CreateArray());
  add_string_or_null(j, "inspector", u->inspector);
  add_string_or_null(j, "amends", u->amends);
  add_string_or_null(j, "superseded_by", it->superseded_by >= 0 ? b->items[it->superseded_by].u.report_number : NULL);
  cJSON_AddStringToObject(j, "recorded_at", PQgetvalue(ctx, 0, 2));
  return j;
}

static void put_json(struct sr_buf *b, const cJSON *j, bool last)
{
  char *t = cJSON_PrintUnformatted(j);
  sr_db_copy_field(b, t, last);
  free(t);
}

/* The results to COPY, and their records (history, audit, notices) as one JSON array for the
 * one writer. */
struct rows {
  struct sr_buf results, changes;
};

/* Appends <change> (taken) to the array of changes. */
static void add_change(struct rows *w, cJSON *change)
{
  char *t = cJSON_PrintUnformatted(change);
  cJSON_Delete(change);
  sr_buf_append(&w->changes, w->changes.len > 1 ? "," : "", w->changes.len > 1);
  if(t)
    sr_buf_append(&w->changes, t, strlen(t));
  free(t);
}

/* The rows of accepted item <it>, and its answer. */
static void add_rows(struct batch *b, struct item *it, const PGresult *ctx, struct rows *w)
{
  struct sr_ctx *c = b->c;
  const struct upload *u = &it->u;
  char agency[32], id[32], eid[32], grade[8], amends[32] = "", successor[32] = "", reason[256];
  snprintf(agency, sizeof agency, "%ld", c->who.org_id);
  snprintf(id, sizeof id, "%ld", it->id);
  snprintf(eid, sizeof eid, "%ld", it->unit->id);
  snprintf(grade, sizeof grade, "%d", u->safety_grade);
  if(it->amends_item >= 0)
    snprintf(amends, sizeof amends, "%ld", b->items[it->amends_item].id);
  else if(it->amends_row >= 0)
    snprintf(amends, sizeof amends, "%s", sr_db_get(b->stored, it->amends_row, "id"));
  if(it->superseded_by >= 0)
    snprintf(successor, sizeof successor, "%ld", b->items[it->superseded_by].id);
  snprintf(reason, sizeof reason, "%s %s inspection %s: %s", u->amends ? "amended" : "recorded", u->kind,
           u->report_number, it->concl->text);
  cJSON *due = sr_inspection_due_fields(&it->unit->due); /* the date the batch leaves the unit with */
  char *due_text = cJSON_PrintUnformatted(due);
  /* inspection (id, agency_id, report_number, equipment_id, kind, inspected_on, conclusion,
   *   conclusion_text, passed, safety_grade, defects, inspector, request_hash, amends_id,
   *   superseded_by, due_after) */
  const char *f1[] = { id, agency, u->report_number, eid, u->kind, u->inspected_on, u->conclusion, it->concl->text,
                       it->concl->passed ? "t" : "f", u->safety_grade ? grade : NULL };
  for(size_t k = 0; k < sizeof f1 / sizeof *f1; k++)
    sr_db_copy_field(&w->results, f1[k], false);
  if(u->defects)
    put_json(&w->results, u->defects, false);
  else
    sr_db_copy_field(&w->results, "[]", false);
  const char *f1b[] = { u->inspector, it->hash, u->amends ? amends : NULL, it->superseded_by >= 0 ? successor : NULL };
  for(size_t k = 0; k < sizeof f1b / sizeof *f1b; k++)
    sr_db_copy_field(&w->results, f1b[k], false);
  sr_db_copy_field(&w->results, due_text, true);
  /* Its history entry (on the unit), audit record and notice. */
  cJSON *change = sr_change_new();
  cJSON *h = sr_change_history(change, "equipment", eid, "inspect");
  cJSON_AddStringToObject(h, "from", it->unit->status);
  cJSON_AddStringToObject(h, "to", it->unit->status);
  cJSON_AddStringToObject(h, "reason", reason);
  cJSON_AddRawToObject(h, "after", due_text);
  free(due_text);
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "report_number", u->report_number);
  cJSON_AddNumberToObject(detail, "equipment_id", (double)it->unit->id);
  if(u->amends)
    cJSON_AddStringToObject(detail, "amends", u->amends);
  sr_change_audit(change, u->amends ? "inspection.amend" : "inspection.record", "inspection", id, detail);
  /* The answer, which is also the notice's payload; it takes the due fields over. */
  cJSON *answer = cJSON_CreateObject();
  cJSON_AddItemToObject(answer, "inspection", result_json(b, it, ctx));
  while(due->child) {
    cJSON *f = cJSON_DetachItemViaPointer(due, due->child);
    cJSON_AddItemToObject(answer, f->string, f);
  }
  cJSON_Delete(due);
  it->answer = answer;
  sr_change_event(change, "inspection.recorded", "inspection", id, it->unit->jurisdiction, cJSON_Duplicate(answer, 1));
  add_change(w, change);
}

/* The units' new due dates as rows for update_units, and a notice for each that moved. */
static cJSON *unit_rows(struct batch *b, struct rows *w)
{
  cJSON *units = cJSON_CreateArray();
  for(int k = 0; k < b->nunits; k++) {
    struct unit *un = &b->units[k];
    if(!un->accepted)
      continue;
    const cJSON *rule = cJSON_GetObjectItem(un->due.explain, "rule");
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "id", (double)un->id);
    if(un->due.date[0])
      cJSON_AddStringToObject(row, "next_due", un->due.date);
    if(un->due.kind[0])
      cJSON_AddStringToObject(row, "next_due_kind", un->due.kind);
    if(cJSON_IsString(rule))
      cJSON_AddStringToObject(row, "rule", rule->valuestring);
    cJSON_AddItemToObject(row, "basis", cJSON_Duplicate(un->due.explain, 1));
    cJSON_AddNumberToObject(row, "n", un->accepted);
    cJSON_AddItemToArray(units, row);
    if(strcmp(un->due.date, un->prev_date) != 0 || strcmp(un->due.kind, un->prev_kind) != 0) {
      char eid[32];
      snprintf(eid, sizeof eid, "%ld", un->id);
      cJSON *payload = cJSON_CreateObject();
      cJSON_AddNumberToObject(payload, "equipment_id", (double)un->id);
      add_string_or_null(payload, "next_due", un->due.date[0] ? un->due.date : NULL);
      cJSON_AddStringToObject(payload, "next_due_kind", un->due.kind);
      cJSON_AddItemToObject(payload, "explain", cJSON_Duplicate(un->due.explain, 1));
      cJSON *change = sr_change_new();
      sr_change_event(change, "equipment.due_changed", "equipment", eid, un->jurisdiction, payload);
      add_change(w, change);
    }
  }
  return units;
}

/* Opens what the accepted results show, now that they are written. Few results show hazards, so
 * one statement each costs little next to the set-based writes. */
static enum sr_err open_hazards(struct batch *b, struct sr_problem *pb)
{
  for(int i = 0; i < b->n; i++) {
    struct item *it = &b->items[i];
    if(it->state != ITEM_NEW || !it->pending)
      continue;
    const struct sr_eqtype *t = sr_plugins_type(b->c->plugins, it->unit->type);
    if(sr_inspection_hazards_open(b->c, t, it->unit->id, it->pending, it->hazards, pb) != SR_OK)
      return pb->err;
  }
  return SR_OK;
}

enum sr_err sr_inspection_batch_write(struct batch *b, struct sr_problem *pb)
{
  struct sr_ctx *c = b->c;
  int accepted = 0;
  for(int i = 0; i < b->n; i++)
    accepted += b->items[i].state == ITEM_NEW;
  if(accepted == 0)
    return SR_OK;
  PGresult *ctx = batch_context(b, accepted, pb);
  if(!ctx)
    return pb->err;
  /* Ids first: an amendment names the id of the result it supersedes, which may be drawn later. */
  for(int i = 0, row = 0; i < b->n; i++)
    if(b->items[i].state == ITEM_NEW)
      b->items[i].id = atol(PQgetvalue(ctx, row++, 3));
  struct rows w;
  sr_buf_init(&w.results, SR_MAX_BATCH_BODY * 4);
  sr_buf_init(&w.changes, SR_MAX_BATCH_BODY * 16);
  sr_buf_append(&w.changes, "[", 1);
  cJSON *superseded = cJSON_CreateArray();
  for(int i = 0; i < b->n; i++) {
    struct item *it = &b->items[i];
    if(it->state != ITEM_NEW)
      continue;
    add_rows(b, it, ctx, &w);
    if(it->amends_row >= 0) {
      cJSON *s = cJSON_CreateObject();
      cJSON_AddNumberToObject(s, "id", (double)atol(sr_db_get(b->stored, it->amends_row, "id")));
      cJSON_AddNumberToObject(s, "successor", (double)it->id);
      cJSON_AddItemToArray(superseded, s);
    }
  }
  cJSON *units = unit_rows(b, &w);
  sr_buf_append(&w.changes, "]", 1);
  char *units_text = cJSON_PrintUnformatted(units), *superseded_text = cJSON_PrintUnformatted(superseded);
  cJSON_Delete(units);
  const char *up[] = { units_text }, *sp[] = { superseded_text }, *rp[] = { w.changes.data };
  PGconn *db = c->db;
  bool ok = w.results.data && w.changes.data && units_text && superseded_text &&
            sr_db_copy_in(db, "COPY inspection (id, agency_id, report_number, equipment_id, kind, inspected_on, "
                              "conclusion, conclusion_text, passed, safety_grade, defects, inspector, request_hash, "
                              "amends_id, superseded_by, due_after) FROM STDIN", w.results.data, w.results.len, pb) &&
            (!superseded->child || sr_db_command(db, supersede, 1, sp, pb)) &&
            sr_tx_as_system(c, true, pb) && sr_db_command(db, update_units, 1, up, pb) &&
            sr_tx_as_system(c, false, pb) && sr_db_command(db, "SELECT sereg_record($1::jsonb)", 1, rp, pb);
  if(!ok && pb->err == SR_OK)
    sr_problem_set(pb, SR_INTERNAL, "out of memory");
  cJSON_Delete(superseded);
  free(units_text);
  free(superseded_text);
  sr_buf_free(&w.results);
  sr_buf_free(&w.changes);
  PQclear(ctx);
  return ok ? open_hazards(b, pb) : pb->err;
}
