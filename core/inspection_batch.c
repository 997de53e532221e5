/*
 * inspection_batch.c -- a batch of results in a few set-based statements. Everything a result
 * needs from the database (its equipment with history, earlier reports under the same numbers,
 * the agency's accreditations) is read once for the whole batch; each result is then checked and
 * its due date decided here in order, results for the same unit seeing the ones before them;
 * and the accepted ones are written with one statement per table. A result that amends another
 * takes the one-at-a-time path after the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "inspection_int.h"
#include "json.h"
#include "log.h"
#include "sql.h"
#include "sr_limits.h"

/* One unit of equipment the batch names, with the facts its results need. */
struct unit {
  long id;
  const char *code, *type, *variety, *status, *commissioned_on, *prev_date, *prev_kind;
  cJSON *eq;       /* the unit as plugins see it, with regime and suspensions */
  cJSON *history;  /* accepted results, oldest first; grows as the batch is checked */
  struct sr_due due;
  int accepted;    /* results of this batch accepted for it */
};

enum item_state { ITEM_REFUSED, ITEM_NEW, ITEM_REPLAY, ITEM_SAME_AS, ITEM_LATER };

struct item {
  enum item_state state;
  struct sr_problem pb;
  struct upload u;
  struct unit *unit;
  char hash[65];
  int same_as;        /* ITEM_SAME_AS: the earlier item of this batch with the same report */
  bool referenced;    /* a later ITEM_SAME_AS answers with this item's answer */
  cJSON *answer;      /* ITEM_REPLAY: the stored answer */
  cJSON *due_fields;  /* ITEM_NEW: the due date this result leaves */
  cJSON *pending;     /* ITEM_NEW: the result as the plugins saw it */
  cJSON *hazards;     /* ITEM_NEW: what the type's hazards() found in it */
};

struct batch {
  struct sr_ctx *c;
  int n;
  struct item *items;
  struct unit *units;
  int nunits;
  struct unit **by_code; /* units sorted by equipment code; units[] itself is sorted by id */
  int *first;            /* per item: the first item of the batch with the same report number */
  PGresult *facts, *stored, *accreditations;
};

static int unit_id_cmp(const void *a, const void *b)
{
  long x = ((const struct unit *)a)->id, y = ((const struct unit *)b)->id;
  return x < y ? -1 : x > y;
}

static int unit_code_cmp(const void *a, const void *b)
{
  return strcmp((*(struct unit *const *)a)->code, (*(struct unit *const *)b)->code);
}

static const struct item *sort_items; /* qsort has no context argument in C11 */

static int report_cmp(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  int c = strcmp(sort_items[x].u.report_number, sort_items[y].u.report_number);
  return c ? c : x - y;
}

/* For each parsed item, the first item with its report number: sorting, not n squared. */
static bool index_reports(struct batch *b)
{
  int *order = malloc(sizeof *order * (size_t)b->n);
  b->first = malloc(sizeof *b->first * (size_t)b->n);
  if(!order || !b->first) {
    free(order);
    return false;
  }
  int m = 0;
  for(int i = 0; i < b->n; i++) {
    b->first[i] = i;
    if(b->items[i].state == ITEM_NEW)
      order[m++] = i;
  }
  sort_items = b->items;
  qsort(order, (size_t)m, sizeof *order, report_cmp);
  for(int k = 1; k < m; k++)
    if(strcmp(b->items[order[k]].u.report_number, b->items[order[k - 1]].u.report_number) == 0)
      b->first[order[k]] = b->first[order[k - 1]];
  free(order);
  return true;
}

/* ==== reading what the batch needs, once ==== */

static enum sr_err read_facts(struct batch *b, struct sr_problem *pb)
{
  cJSON *ids = cJSON_CreateArray(), *codes = cJSON_CreateArray(), *reports = cJSON_CreateArray();
  for(int i = 0; i < b->n; i++) {
    struct item *it = &b->items[i];
    if(it->state != ITEM_NEW)
      continue;
    if(it->u.equipment_id)
      cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)it->u.equipment_id));
    else
      cJSON_AddItemToArray(codes, cJSON_CreateString(it->u.equipment_code));
    cJSON_AddItemToArray(reports, cJSON_CreateString(it->u.report_number));
  }
  char *idt = cJSON_PrintUnformatted(ids), *codet = cJSON_PrintUnformatted(codes), *rept = cJSON_PrintUnformatted(reports);
  cJSON_Delete(ids);
  cJSON_Delete(codes);
  cJSON_Delete(reports);
  char today[11], agency[32];
  sr_date_format(b->c->today, today);
  snprintf(agency, sizeof agency, "%ld", b->c->who.org_id);
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id, e.equipment_code, e.variety, to_char(e.commissioned_on, 'YYYY-MM-DD') AS commissioned_on, "
                  SR_DUE_FACTS("$1", "0"));
  sr_sql_value(&q, today); /* $1, which SR_DUE_FACTS names */
  sr_sql_add(&q, "FROM equipment e WHERE (e.id IN (SELECT jsonb_array_elements_text(");
  sr_sql_param(&q, idt);
  sr_sql_add(&q, "::jsonb)::bigint) OR e.equipment_code IN (SELECT jsonb_array_elements_text(");
  sr_sql_param(&q, codet);
  sr_sql_add(&q, "::jsonb)))");
  sr_scope_equipment(&q, b->c, "e");
  b->facts = q.overflow ? NULL : sr_db_exec(b->c->db, q.text.data, q.n, q.params);
  sr_sql_free(&q);
  const char *sp[] = { agency, rept };
  if(sr_db_ok(b->facts, PGRES_TUPLES_OK))
    b->stored = sr_db_exec(b->c->db,
                           "SELECT i.report_number, i.request_hash, sereg_inspection_json(i)::text AS j, "
                           "i.due_after::text AS due FROM inspection i WHERE i.agency_id = $1 AND i.report_number IN "
                           "(SELECT jsonb_array_elements_text($2::jsonb))",
                           2, sp);
  if(sr_db_ok(b->stored, PGRES_TUPLES_OK))
    b->accreditations = sr_db_exec(b->c->db,
                                   "SELECT equipment_type, coalesce(array_to_string(varieties, ','), '') AS varieties, "
                                   "to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to "
                                   "FROM accreditation WHERE agency_id = $1",
                                   1, sp);
  free(idt);
  free(codet);
  free(rept);
  if(!sr_db_ok(b->accreditations, PGRES_TUPLES_OK))
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  /* The units, with the plugins' view of each. */
  int nf = PQntuples(b->facts);
  b->units = calloc((size_t)(nf ? nf : 1), sizeof *b->units);
  if(!b->units)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  for(int r = 0; r < nf; r++) {
    struct unit *u = &b->units[b->nunits++];
    u->id = atol(sr_db_get(b->facts, r, "id"));
    u->code = sr_db_get(b->facts, r, "equipment_code");
    u->type = sr_db_get(b->facts, r, "type");
    u->variety = sr_db_get(b->facts, r, "variety");
    u->status = sr_db_get(b->facts, r, "status");
    u->commissioned_on = sr_db_get(b->facts, r, "commissioned_on");
    u->prev_date = sr_db_get(b->facts, r, "next_due");
    u->prev_kind = sr_db_get(b->facts, r, "next_due_kind");
    u->eq = cJSON_Parse(sr_db_get(b->facts, r, "j"));
    u->history = cJSON_Parse(sr_db_get(b->facts, r, "history"));
    cJSON *stops = cJSON_Parse(sr_db_get(b->facts, r, "stops"));
    const char *regime = sr_db_get(b->facts, r, "regime");
    if(regime)
      cJSON_AddStringToObject(u->eq, "regime", regime);
    cJSON_AddItemToObject(u->eq, "suspensions", sr_due_suspensions(stops));
    cJSON_Delete(stops);
  }
  qsort(b->units, (size_t)b->nunits, sizeof *b->units, unit_id_cmp);
  b->by_code = malloc(sizeof *b->by_code * (size_t)(b->nunits ? b->nunits : 1));
  if(!b->by_code)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  for(int k = 0; k < b->nunits; k++)
    b->by_code[k] = &b->units[k];
  qsort(b->by_code, (size_t)b->nunits, sizeof *b->by_code, unit_code_cmp);
  return SR_OK;
}

static struct unit *unit_of(struct batch *b, const struct upload *u)
{
  if(u->equipment_id) {
    struct unit key = { .id = u->equipment_id };
    return bsearch(&key, b->units, (size_t)b->nunits, sizeof *b->units, unit_id_cmp);
  }
  struct unit key = { .code = u->equipment_code }, *kp = &key;
  struct unit **found = bsearch(&kp, b->by_code, (size_t)b->nunits, sizeof *b->by_code, unit_code_cmp);
  return found ? *found : NULL;
}

static int stored_row(const struct batch *b, const char *report)
{
  for(int r = 0; r < PQntuples(b->stored); r++)
    if(strcmp(PQgetvalue(b->stored, r, 0), report) == 0)
      return r;
  return -1;
}

static bool accredited(const struct batch *b, const struct unit *u, const char *on)
{
  for(int r = 0; r < PQntuples(b->accreditations); r++) {
    const char *vars = PQgetvalue(b->accreditations, r, 1);
    if(strcmp(PQgetvalue(b->accreditations, r, 0), u->type) == 0 && (!vars[0] || strstr(vars, u->variety)) &&
       strcmp(on, PQgetvalue(b->accreditations, r, 2)) >= 0 && strcmp(on, PQgetvalue(b->accreditations, r, 3)) <= 0)
      return true;
  }
  return false;
}

/* ==== checking each result in order ==== */

static void check_item(struct batch *b, int index)
{
  struct item *it = &b->items[index];
  struct sr_problem *pb = &it->pb;
  struct upload *u = &it->u;
  it->unit = unit_of(b, u);
  if(!it->unit) {
    sr_problem_set(pb, SR_NOT_FOUND, "No equipment %s that you may see.", u->equipment_code ? u->equipment_code : "with that id");
    it->state = ITEM_REFUSED;
    return;
  }
  struct unit *un = it->unit;
  sr_insp_hash(u, un->id, it->hash);
  /* The same report twice in one batch (it counts if the first was accepted), or one stored. */
  int first = b->first[index];
  if(first != index && b->items[first].state == ITEM_NEW) {
    if(strcmp(b->items[first].hash, it->hash) == 0) {
      it->state = ITEM_SAME_AS;
      it->same_as = first;
      b->items[first].referenced = true;
    }
    else {
      sr_problem_set(pb, SR_CONFLICT, "Report %s appears earlier in this batch with different content.", u->report_number);
      sr_problem_field(pb, "report_number", "is already used in this batch for a different result");
      it->state = ITEM_REFUSED;
    }
    return;
  }
  int r = stored_row(b, u->report_number);
  if(r >= 0) {
    if(strcmp(PQgetvalue(b->stored, r, 1), it->hash) == 0) {
      it->answer = sr_insp_answer(PQgetvalue(b->stored, r, 2), PQgetisnull(b->stored, r, 3) ? NULL : PQgetvalue(b->stored, r, 3));
      it->state = ITEM_REPLAY;
    }
    else {
      sr_problem_set(pb, SR_CONFLICT, "Report %s was already recorded with different content.", u->report_number);
      sr_problem_field(pb, "report_number", "is already recorded with different content");
      it->state = ITEM_REFUSED;
    }
    return;
  }
  const struct sr_eqtype *t = sr_plugins_type(b->c->plugins, un->type);
  if(!t) {
    sr_problem_set(pb, SR_CONFLICT, "The plugin for type '%s' is not loaded.", un->type);
    it->state = ITEM_REFUSED;
    return;
  }
  const struct sr_conclusion *concl = sr_insp_check_type(u, un->status, un->commissioned_on, t, pb);
  cJSON *pending = NULL;
  if(pb->err == SR_OK) {
    pending = cJSON_CreateObject();
    cJSON_AddStringToObject(pending, "kind", u->kind);
    cJSON_AddStringToObject(pending, "inspected_on", u->inspected_on);
    cJSON_AddStringToObject(pending, "conclusion", u->conclusion);
    cJSON_AddStringToObject(pending, "conclusion_text", concl->text);
    cJSON_AddBoolToObject(pending, "passed", concl->passed);
    if(u->safety_grade)
      cJSON_AddNumberToObject(pending, "safety_grade", u->safety_grade);
    cJSON_AddStringToObject(pending, "report_number", u->report_number);
    cJSON_AddItemToObject(pending, "defects", u->defects ? cJSON_Duplicate(u->defects, 1) : cJSON_CreateArray());
    sr_plugins_check_inspection(b->c->plugins, t, un->eq, pending, pb);
    if(pb->err == SR_OK)
      sr_plugins_hazards(b->c->plugins, t, un->eq, pending, b->c->today, &it->hazards, pb);
  }
  if(pb->err == SR_OK && !accredited(b, un, u->inspected_on)) {
    sr_problem_set(pb, SR_FORBIDDEN, "Your agency is not accredited for %s (variety %s) on %s.", un->type, un->variety,
                   u->inspected_on);
    sr_problem_field(pb, "inspected_on", "no accreditation for %s %s covers this date", un->type, un->variety);
    pb->err = SR_FORBIDDEN;
  }
  struct sr_due due;
  memset(&due, 0, sizeof due);
  if(pb->err == SR_OK) {
    /* Decide with this result added; keep it only if the decision succeeds. */
    cJSON *history = cJSON_Duplicate(un->history, 1);
    sr_due_add_to_history(history, pending);
    if(sr_due_from_facts(b->c, t, un->type, un->status, un->eq, history, un->prev_date, un->prev_kind, &due, pb) == SR_OK) {
      cJSON_Delete(un->history);
      un->history = history;
      sr_due_free(&un->due);
      un->due = due;
      un->accepted++;
      it->due_fields = sr_insp_due_fields(&due);
      it->state = ITEM_NEW;
      it->unit = un;
      /* conclusion text and pass for the write */
      cJSON_AddStringToObject(it->due_fields, "_conclusion_text", concl->text);
      cJSON_AddBoolToObject(it->due_fields, "_passed", concl->passed);
    }
    else
      cJSON_Delete(history);
  }
  if(pb->err != SR_OK)
    it->state = ITEM_REFUSED;
  if(it->state == ITEM_NEW && cJSON_GetArraySize(it->hazards) > 0)
    it->pending = pending; /* kept for opening the hazards once the results are written */
  else
    cJSON_Delete(pending);
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
    if(sr_insp_open_hazards(b->c, t, it->unit->id, it->pending, it->hazards, pb) != SR_OK)
      return pb->err;
  }
  return SR_OK;
}

/* ==== writing the accepted results with one statement per table ==== */

static const char update_units[] =
    "UPDATE equipment e SET next_due = x.next_due, next_due_kind = x.next_due_kind, next_due_rule = x.rule, "
    " next_due_basis = x.basis, version = e.version + x.n, updated_at = now() "
    "FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, next_due date, next_due_kind text, rule text, basis jsonb, n int) "
    "WHERE e.id = x.id";

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

/* The result as sereg_inspection_json() shows a stored one: the answer needs no read-back. */
static cJSON *result_json(const struct item *it, const PGresult *ctx, int row, const char *text, bool passed)
{
  const struct upload *u = &it->u;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "id", (double)atol(PQgetvalue(ctx, row, 3)));
  cJSON_AddStringToObject(j, "agency", PQgetvalue(ctx, row, 0));
  cJSON_AddStringToObject(j, "agency_name", PQgetvalue(ctx, row, 1));
  cJSON_AddStringToObject(j, "report_number", u->report_number);
  cJSON_AddNumberToObject(j, "equipment_id", (double)it->unit->id);
  cJSON_AddStringToObject(j, "kind", u->kind);
  cJSON_AddStringToObject(j, "inspected_on", u->inspected_on);
  cJSON_AddStringToObject(j, "conclusion", u->conclusion);
  cJSON_AddStringToObject(j, "conclusion_text", text);
  cJSON_AddBoolToObject(j, "passed", passed);
  if(u->safety_grade)
    cJSON_AddNumberToObject(j, "safety_grade", u->safety_grade);
  else
    cJSON_AddNullToObject(j, "safety_grade");
  cJSON_AddItemToObject(j, "defects", u->defects ? cJSON_Duplicate(u->defects, 1) : cJSON_CreateArray());
  if(u->inspector)
    cJSON_AddStringToObject(j, "inspector", u->inspector);
  else
    cJSON_AddNullToObject(j, "inspector");
  cJSON_AddNullToObject(j, "amends");
  cJSON_AddNullToObject(j, "superseded_by");
  cJSON_AddStringToObject(j, "recorded_at", PQgetvalue(ctx, row, 2));
  return j;
}

static void put_json(struct sr_buf *b, const cJSON *j, bool last)
{
  char *t = cJSON_PrintUnformatted(j);
  sr_db_copy_field(b, t, last);
  free(t);
}

/*
 * Writes the accepted results: the results, their history, audit records and notices by COPY
 * (ids drawn beforehand, so nothing needs to be read back), the units' due dates by one UPDATE.
 */
static enum sr_err write_accepted(struct batch *b, struct sr_problem *pb)
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
  struct sr_buf results, events, audits, notices;
  sr_buf_init(&results, SR_MAX_BATCH_BODY * 4);
  sr_buf_init(&events, SR_MAX_BATCH_BODY * 4);
  sr_buf_init(&audits, SR_MAX_BATCH_BODY * 4);
  sr_buf_init(&notices, SR_MAX_BATCH_BODY * 8);
  char agency[32], account[32], today[11];
  snprintf(agency, sizeof agency, "%ld", c->who.org_id);
  snprintf(account, sizeof account, "%ld", c->who.account_id);
  sr_date_format(c->today, today);
  const char *actor = c->who.account_id > 0 ? account : NULL;
  for(int i = 0, row = 0; i < b->n; i++) {
    struct item *it = &b->items[i];
    if(it->state != ITEM_NEW)
      continue;
    const struct upload *u = &it->u;
    char *text = strdup(cJSON_GetObjectItem(it->due_fields, "_conclusion_text")->valuestring);
    bool passed = cJSON_IsTrue(cJSON_GetObjectItem(it->due_fields, "_passed"));
    cJSON_DeleteItemFromObject(it->due_fields, "_conclusion_text");
    cJSON_DeleteItemFromObject(it->due_fields, "_passed");
    const char *id = PQgetvalue(ctx, row, 3);
    char eid[32], grade[8], reason[256];
    snprintf(eid, sizeof eid, "%ld", it->unit->id);
    snprintf(grade, sizeof grade, "%d", u->safety_grade);
    snprintf(reason, sizeof reason, "recorded %s inspection %s: %s", u->kind, u->report_number, text);
    /* inspection (id, agency_id, report_number, equipment_id, kind, inspected_on, conclusion,
     *   conclusion_text, passed, safety_grade, defects, inspector, request_hash, due_after) */
    const char *f1[] = { id, agency, u->report_number, eid, u->kind, u->inspected_on, u->conclusion, text,
                         passed ? "t" : "f", u->safety_grade ? grade : NULL };
    for(size_t k = 0; k < sizeof f1 / sizeof *f1; k++)
      sr_db_copy_field(&results, f1[k], false);
    if(u->defects)
      put_json(&results, u->defects, false);
    else
      sr_db_copy_field(&results, "[]", false);
    sr_db_copy_field(&results, u->inspector, false);
    sr_db_copy_field(&results, it->hash, false);
    put_json(&results, it->due_fields, true);
    /* equipment_event (equipment_id, action, from_status, to_status, actor_account, actor_role,
     *   reason, after, effective_on) */
    const char *f2[] = { eid, "inspect", it->unit->status, it->unit->status, actor, "agency", reason };
    for(size_t k = 0; k < sizeof f2 / sizeof *f2; k++)
      sr_db_copy_field(&events, f2[k], false);
    put_json(&events, it->due_fields, false);
    sr_db_copy_field(&events, today, true); /* recorded today, as a single upload records it */
    /* audit_log (account_id, role, action, target_type, target_id, request_id, detail) */
    cJSON *detail = cJSON_CreateObject();
    cJSON_AddStringToObject(detail, "report_number", u->report_number);
    cJSON_AddNumberToObject(detail, "equipment_id", (double)it->unit->id);
    const char *f3[] = { actor, "agency", "inspection.record", "inspection", id, c->request_id };
    for(size_t k = 0; k < sizeof f3 / sizeof *f3; k++)
      sr_db_copy_field(&audits, f3[k], false);
    put_json(&audits, detail, true);
    cJSON_Delete(detail);
    /* The answer, which is also the notice's payload; it takes the due fields over. */
    cJSON *answer = cJSON_CreateObject();
    cJSON_AddItemToObject(answer, "inspection", result_json(it, ctx, row++, text, passed));
    while(it->due_fields->child) {
      cJSON *f = cJSON_DetachItemViaPointer(it->due_fields, it->due_fields->child);
      cJSON_AddItemToObject(answer, f->string, f);
    }
    it->answer = answer;
    /* outbox (event_type, subject_type, subject_id, jurisdiction, payload) */
    const char *f4[] = { "inspection.recorded", "inspection", id, NULL };
    for(size_t k = 0; k < sizeof f4 / sizeof *f4; k++)
      sr_db_copy_field(&notices, f4[k], false);
    put_json(&notices, answer, true);
    free(text);
  }
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
      if(un->due.date[0])
        cJSON_AddStringToObject(payload, "next_due", un->due.date);
      else
        cJSON_AddNullToObject(payload, "next_due");
      cJSON_AddStringToObject(payload, "next_due_kind", un->due.kind);
      cJSON_AddItemToObject(payload, "explain", cJSON_Duplicate(un->due.explain, 1));
      const char *f4[] = { "equipment.due_changed", "equipment", eid, NULL };
      for(size_t k2 = 0; k2 < sizeof f4 / sizeof *f4; k2++)
        sr_db_copy_field(&notices, f4[k2], false);
      put_json(&notices, payload, true);
      cJSON_Delete(payload);
    }
  }
  char *units_text = cJSON_PrintUnformatted(units);
  cJSON_Delete(units);
  const char *up[] = { units_text };
  PGconn *db = c->db;
  bool ok = results.data && events.data && audits.data && notices.data && units_text &&
            sr_db_copy_in(db, "COPY inspection (id, agency_id, report_number, equipment_id, kind, inspected_on, "
                              "conclusion, conclusion_text, passed, safety_grade, defects, inspector, request_hash, "
                              "due_after) FROM STDIN", results.data, results.len, pb) &&
            sr_tx_as_system(c, true, pb) && sr_db_command(db, update_units, 1, up, pb) &&
            sr_tx_as_system(c, false, pb) &&
            sr_db_copy_in(db, "COPY equipment_event (equipment_id, action, from_status, to_status, actor_account, "
                              "actor_role, reason, after, effective_on) FROM STDIN", events.data, events.len, pb) &&
            sr_db_copy_in(db, "COPY audit_log (account_id, role, action, target_type, target_id, request_id, detail) "
                              "FROM STDIN", audits.data, audits.len, pb) &&
            sr_db_copy_in(db, "COPY outbox (event_type, subject_type, subject_id, jurisdiction, payload) FROM STDIN",
                          notices.data, notices.len, pb);
  if(!ok && pb->err == SR_OK)
    sr_problem_set(pb, SR_INTERNAL, "out of memory");
  free(units_text);
  sr_buf_free(&results);
  sr_buf_free(&events);
  sr_buf_free(&audits);
  sr_buf_free(&notices);
  PQclear(ctx);
  return ok ? SR_OK : pb->err;
}

/* ==== the batch ==== */

static void free_batch(struct batch *b)
{
  for(int i = 0; b->items && i < b->n; i++) {
    sr_problem_free(&b->items[i].pb);
    cJSON_Delete(b->items[i].answer);
    cJSON_Delete(b->items[i].due_fields);
    cJSON_Delete(b->items[i].pending);
    cJSON_Delete(b->items[i].hazards);
  }
  for(int k = 0; k < b->nunits; k++) {
    cJSON_Delete(b->units[k].eq);
    cJSON_Delete(b->units[k].history);
    sr_due_free(&b->units[k].due);
  }
  free(b->items);
  free(b->units);
  free(b->by_code);
  free(b->first);
  PQclear(b->facts);
  PQclear(b->stored);
  PQclear(b->accreditations);
}

enum sr_err sr_inspection_batch(struct sr_ctx *c, const cJSON *items, cJSON **out, struct sr_problem *pb)
{
  if(c->who.role != SR_ROLE_AGENCY)
    return sr_problem_set(pb, SR_FORBIDDEN, "Inspection results are uploaded by inspection agencies.");
  int n = cJSON_GetArraySize(items);
  if(n == 0 || n > SR_BATCH_MAX) {
    sr_problem_set(pb, SR_INVALID, "A batch holds 1 to %d results.", SR_BATCH_MAX);
    sr_problem_field(pb, "items", "must hold 1 to %d results", SR_BATCH_MAX);
    return pb->err;
  }
  struct batch b;
  memset(&b, 0, sizeof b);
  b.c = c;
  b.n = n;
  b.items = calloc((size_t)n, sizeof *b.items);
  if(!b.items)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  cJSON *later = cJSON_CreateArray(); /* amendments, for the one-at-a-time path */
  int index = 0;
  for(const cJSON *item = items->child; item; item = item->next, index++) {
    struct item *it = &b.items[index];
    sr_problem_init(&it->pb);
    it->state = ITEM_REFUSED;
    if(cJSON_IsString(item)) /* an NDJSON line that did not parse, with its reason */
      sr_problem_set(&it->pb, SR_BAD_REQUEST, "%s", item->valuestring);
    else if(!cJSON_IsObject(item))
      sr_problem_set(&it->pb, SR_BAD_REQUEST, "Item %d is not a JSON object.", index);
    else {
      sr_insp_parse(c, item, &it->u, &it->pb);
      if(it->pb.err == SR_OK && it->u.amends) {
        it->state = ITEM_LATER;
        cJSON_AddItemReferenceToArray(later, (cJSON *)(uintptr_t)item);
      }
      else if(it->pb.err == SR_OK)
        it->state = ITEM_NEW;
    }
  }
  cJSON *later_out = NULL;
  enum sr_err rc = SR_OK;
  if(!sr_tx_begin(c, pb)) {
    rc = pb->err;
    goto out;
  }
  if(read_facts(&b, pb) != SR_OK)
    goto fail;
  if(!index_reports(&b)) {
    sr_problem_set(pb, SR_INTERNAL, "out of memory");
    goto fail;
  }
  for(int i = 0; i < n; i++)
    if(b.items[i].state == ITEM_NEW)
      check_item(&b, i);
  if(write_accepted(&b, pb) != SR_OK || open_hazards(&b, pb) != SR_OK)
    goto fail;
  if(cJSON_GetArraySize(later) > 0 && sr_insp_batch_one_by_one(c, later, &later_out, pb) != SR_OK)
    goto fail;
  if(!sr_tx_commit(c, pb))
    goto fail;
  /* The answer, item by item in the order sent. */
  cJSON *result = cJSON_CreateObject(), *list = cJSON_CreateArray();
  int accepted = 0, refused = 0;
  const cJSON *later_item = later_out ? cJSON_GetObjectItem(later_out, "items")->child : NULL;
  for(int i = 0; i < n; i++) {
    struct item *it = &b.items[i];
    cJSON *o;
    if(it->state == ITEM_LATER) {
      o = cJSON_Duplicate(later_item, 1);
      later_item = later_item->next;
      cJSON_ReplaceItemInObject(o, "index", cJSON_CreateNumber(i));
      if(cJSON_GetObjectItem(o, "result"))
        accepted++;
      else
        refused++;
    }
    else {
      o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "index", i);
      if(it->state == ITEM_REFUSED) {
        cJSON_AddNumberToObject(o, "status", sr_err_status(it->pb.err));
        cJSON_AddItemToObject(o, "problem", sr_problem_json(&it->pb, NULL));
        refused++;
      }
      else {
        cJSON_AddNumberToObject(o, "status", it->state == ITEM_NEW ? 201 : 200);
        if(it->state == ITEM_SAME_AS) /* its first item's answer may still be needed by others */
          cJSON_AddItemToObject(o, "result", cJSON_Duplicate(b.items[it->same_as].answer, 1));
        else if(it->referenced)
          cJSON_AddItemToObject(o, "result", cJSON_Duplicate(it->answer, 1));
        else {
          cJSON_AddItemToObject(o, "result", it->answer); /* moved: the item gives it up */
          it->answer = NULL;
        }
        accepted++;
      }
    }
    cJSON_AddItemToArray(list, o);
  }
  cJSON_AddNumberToObject(result, "accepted", accepted);
  cJSON_AddNumberToObject(result, "refused", refused);
  cJSON_AddItemToObject(result, "items", list);
  *out = result;
  goto out;
fail:
  sr_tx_rollback(c);
  rc = pb->err != SR_OK ? pb->err : SR_INTERNAL;
out:
  cJSON_Delete(later);
  cJSON_Delete(later_out);
  free_batch(&b);
  return rc == SR_OK ? pb->err : rc;
}
