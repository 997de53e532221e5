/*
 * inspection_batch.c -- a batch of results in a few set-based statements. Everything the results
 * need from the database (their equipment with its history, earlier reports under the same
 * numbers and the reports amended, the agency's accreditations) is read once for the whole batch.
 * Each result is then checked on its own, in order, against what does not depend on the history
 * (kind and vocabulary, check_inspection(), hazards(), accreditation); amendments are checked
 * after the batch's other results, as if sent after them. Then each unit's due date is decided
 * once, from its history with all of its accepted results merged in date order, and every
 * accepted result of the unit carries that date. If the plugin fails on that decision, every
 * result of that unit is refused with the plugin's problem and the rest of the batch goes on. So
 * the work grows with the results and with the units' histories, never with their product.
 * inspection_batch_write.c writes what was accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tx.h"
#include "inspection_batch_int.h"
#include "json.h"
#include "log.h"
#include "sql.h"
#include "sr_limits.h"

static int key_cmp(const void *a, const void *b)
{
  const struct batch_key *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

/* The first of the sorted keys <k> with string <s>, or -1. */
static int key_find(const struct batch_key *k, int n, const char *s)
{
  int lo = 0, hi = n;
  while(lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if(strcmp(k[mid].s, s) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && strcmp(k[lo].s, s) == 0 ? lo : -1;
}

static int long_cmp(const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static int unit_id_cmp(const void *a, const void *b)
{
  return long_cmp(&((const struct unit *)a)->id, &((const struct unit *)b)->id);
}

static int unit_code_cmp(const void *a, const void *b)
{
  return strcmp((*(struct unit *const *)a)->code, (*(struct unit *const *)b)->code);
}

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The order of checking (the other results, then the amendments, each in the order sent) and,
 * for each item, the first item in that order with its report number: by sorting, not n squared. */
static bool index_items(struct batch *b)
{
  b->order = malloc(sizeof *b->order * (size_t)b->n);
  b->reports = malloc(sizeof *b->reports * (size_t)b->n);
  if(!b->order || !b->reports)
    return false;
  for(int pass = 0; pass < 2; pass++)
    for(int i = 0; i < b->n; i++)
      if(b->items[i].state == (pass ? ITEM_AMENDMENT : ITEM_NEW)) {
        b->items[i].rank = b->norder;
        b->order[b->norder++] = i;
      }
  for(int k = 0; k < b->norder; k++) {
    const struct item *it = &b->items[b->order[k]];
    b->reports[k] = (struct batch_key){ it->u.report_number, it->rank, b->order[k] };
  }
  qsort(b->reports, (size_t)b->norder, sizeof *b->reports, key_cmp);
  for(int k = 0; k < b->norder; k++) {
    bool same = k > 0 && strcmp(b->reports[k].s, b->reports[k - 1].s) == 0;
    b->items[b->reports[k].index].run = same ? b->items[b->reports[k - 1].index].run : b->reports[k].index;
  }
  return true;
}

/* ==== reading what the batch needs, once ==== */

/* The distinct equipment ids and codes the items name, and the report numbers they carry or
 * amend, as JSON lists for the statements. Caller frees the texts. */
static bool wanted(const struct batch *b, char **ids, char **codes, char **reports)
{
  long *idv = malloc(sizeof *idv * (size_t)(b->norder + 1));
  const char **codev = malloc(sizeof *codev * (size_t)(b->norder + 1));
  cJSON *ia = cJSON_CreateArray(), *ca = cJSON_CreateArray(), *ra = cJSON_CreateArray();
  int ni = 0, nc = 0;
  bool ok = idv && codev && ia && ca && ra;
  for(int k = 0; ok && k < b->norder; k++) {
    const struct upload *u = &b->items[b->order[k]].u;
    if(u->equipment_id)
      idv[ni++] = u->equipment_id;
    else
      codev[nc++] = u->equipment_code;
    if(u->amends)
      cJSON_AddItemToArray(ra, cJSON_CreateString(u->amends));
  }
  if(ok) {
    qsort(idv, (size_t)ni, sizeof *idv, long_cmp);
    qsort(codev, (size_t)nc, sizeof *codev, str_cmp);
  }
  for(int k = 0; ok && k < ni; k++)
    if(k == 0 || idv[k] != idv[k - 1])
      cJSON_AddItemToArray(ia, cJSON_CreateNumber((double)idv[k]));
  for(int k = 0; ok && k < nc; k++)
    if(k == 0 || strcmp(codev[k], codev[k - 1]) != 0)
      cJSON_AddItemToArray(ca, cJSON_CreateString(codev[k]));
  for(int k = 0; ok && k < b->norder; k++) /* sorted already */
    if(k == 0 || strcmp(b->reports[k].s, b->reports[k - 1].s) != 0)
      cJSON_AddItemToArray(ra, cJSON_CreateString(b->reports[k].s));
  *ids = ok ? cJSON_PrintUnformatted(ia) : NULL;
  *codes = ok ? cJSON_PrintUnformatted(ca) : NULL;
  *reports = ok ? cJSON_PrintUnformatted(ra) : NULL;
  free(idv);
  free(codev);
  cJSON_Delete(ia);
  cJSON_Delete(ca);
  cJSON_Delete(ra);
  return *ids && *codes && *reports;
}

static enum sr_err read_units(struct batch *b, struct sr_problem *pb)
{
  int nf = PQntuples(b->facts);
  b->units = calloc((size_t)(nf ? nf : 1), sizeof *b->units);
  b->by_code = malloc(sizeof *b->by_code * (size_t)(nf ? nf : 1));
  if(!b->units || !b->by_code)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  for(int r = 0; r < nf; r++) {
    struct unit *u = &b->units[b->nunits++];
    u->id = atol(sr_db_get(b->facts, r, "id"));
    u->code = sr_db_get(b->facts, r, "equipment_code");
    u->type = sr_db_get(b->facts, r, "type");
    u->variety = sr_db_get(b->facts, r, "variety");
    u->status = sr_db_get(b->facts, r, "status");
    u->commissioned_on = sr_db_get(b->facts, r, "commissioned_on");
    u->jurisdiction = sr_db_get(b->facts, r, "jurisdiction");
    u->prev_date = sr_db_get(b->facts, r, "next_due");
    u->prev_kind = sr_db_get(b->facts, r, "next_due_kind");
    u->history_ids = b->amendments ? sr_db_get(b->facts, r, "history_ids") : NULL;
    u->eq = cJSON_Parse(sr_db_get(b->facts, r, "j"));
    u->history = cJSON_Parse(sr_db_get(b->facts, r, "history"));
    cJSON *stops = cJSON_Parse(sr_db_get(b->facts, r, "stops"));
    if(!u->eq || !u->history || !stops) {
      cJSON_Delete(stops);
      return sr_problem_set(pb, SR_INTERNAL, "out of memory");
    }
    const char *regime = sr_db_get(b->facts, r, "regime");
    if(regime)
      cJSON_AddStringToObject(u->eq, "regime", regime);
    cJSON_AddItemToObject(u->eq, "suspensions", sr_due_suspensions(stops));
    cJSON_Delete(stops);
  }
  qsort(b->units, (size_t)b->nunits, sizeof *b->units, unit_id_cmp);
  for(int k = 0; k < b->nunits; k++)
    b->by_code[k] = &b->units[k];
  qsort(b->by_code, (size_t)b->nunits, sizeof *b->by_code, unit_code_cmp);
  return SR_OK;
}

/* The stored results under the batch's report numbers, sorted for look-up. */
static enum sr_err index_stored(struct batch *b, struct sr_problem *pb)
{
  b->nstored = PQntuples(b->stored);
  b->stored_by_report = malloc(sizeof *b->stored_by_report * (size_t)(b->nstored + 1));
  b->stored_superseded = malloc(sizeof *b->stored_superseded * (size_t)(b->nstored + 1));
  if(!b->stored_by_report || !b->stored_superseded)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  for(int r = 0; r < b->nstored; r++) {
    b->stored_by_report[r] = (struct batch_key){ sr_db_get(b->stored, r, "report_number"), r, r };
    b->stored_superseded[r] = strcmp(sr_db_get(b->stored, r, "superseded"), "t") == 0;
  }
  qsort(b->stored_by_report, (size_t)b->nstored, sizeof *b->stored_by_report, key_cmp);
  return SR_OK;
}

static enum sr_err read_facts(struct batch *b, struct sr_problem *pb)
{
  char *idt, *codet, *rept;
  if(!wanted(b, &idt, &codet, &rept)) {
    free(idt);
    free(codet);
    free(rept);
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  }
  char today[11], agency[32];
  sr_date_format(b->c->today, today);
  snprintf(agency, sizeof agency, "%ld", b->c->who.org_id);
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id, e.equipment_code, e.variety, e.jurisdiction, "
                  "to_char(e.commissioned_on, 'YYYY-MM-DD') AS commissioned_on, "
                  SR_DUE_FACTS("$1", "0"));
  sr_sql_value(&q, today); /* $1, which SR_DUE_FACTS names */
  if(b->amendments) /* which history entry is which stored result, to take out the ones amended */
    sr_sql_add(&q, ", (SELECT coalesce(jsonb_agg(i.id ORDER BY i.inspected_on, i.id), '[]') FROM inspection i "
                   "WHERE i.equipment_id = e.id AND i.superseded_by IS NULL)::text AS history_ids ");
  /* Two index look-ups OR-ed together, not a scan of the register with the lists hashed. */
  sr_sql_add(&q, "FROM equipment e WHERE (e.id = ANY (ARRAY(SELECT jsonb_array_elements_text(");
  sr_sql_param(&q, idt);
  sr_sql_add(&q, "::jsonb)::bigint)) OR e.equipment_code = ANY (ARRAY(SELECT jsonb_array_elements_text(");
  sr_sql_param(&q, codet);
  sr_sql_add(&q, "::jsonb))))");
  sr_scope_equipment(&q, b->c, "e");
  b->facts = q.overflow ? NULL : sr_db_exec(b->c->db, q.text.data, q.n, q.params);
  sr_sql_free(&q);
  const char *sp[] = { agency, rept };
  if(sr_db_ok(b->facts, PGRES_TUPLES_OK))
    b->stored = sr_db_exec(b->c->db,
                           "SELECT i.report_number, i.request_hash, sereg_inspection_json(i)::text AS j, "
                           "i.due_after::text AS due, i.id, i.equipment_id, i.superseded_by IS NOT NULL AS superseded "
                           "FROM inspection i WHERE i.agency_id = $1 AND i.report_number = ANY "
                           "(ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))",
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
  if(read_units(b, pb) != SR_OK)
    return pb->err;
  return index_stored(b, pb);
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

/* The row of the agency's stored result <report>, or -1. */
static int stored_row(const struct batch *b, const char *report)
{
  int k = key_find(b->stored_by_report, b->nstored, report);
  return k < 0 ? -1 : b->stored_by_report[k].index;
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

/* The result amendment <it> supersedes: an accepted result of this batch or a stored one of the
 * agency, about the same unit and not superseded yet. */
static void find_amended(struct batch *b, struct item *it, struct sr_problem *pb)
{
  int k = key_find(b->reports, b->norder, it->u.amends);
  int holder = k >= 0 ? b->items[b->reports[k].index].holder : -1;
  if(holder >= 0) {
    const struct item *t = &b->items[holder];
    if(t->unit != it->unit)
      sr_problem_field(pb, "amends", "names no report of yours about this equipment");
    else if(t->superseded_by >= 0)
      sr_problem_field(pb, "amends", "that report is already superseded; amend its latest version");
    else
      it->amends_item = holder;
    return;
  }
  int r = stored_row(b, it->u.amends);
  if(r < 0 || atol(sr_db_get(b->stored, r, "equipment_id")) != it->unit->id)
    sr_problem_field(pb, "amends", "names no report of yours about this equipment");
  else if(b->stored_superseded[r])
    sr_problem_field(pb, "amends", "that report is already superseded; amend its latest version");
  else
    it->amends_row = r;
}

static void check_item(struct batch *b, int index)
{
  struct item *it = &b->items[index];
  struct sr_problem *pb = &it->pb;
  struct upload *u = &it->u;
  bool amendment = it->state == ITEM_AMENDMENT;
  it->state = ITEM_REFUSED; /* until it passes */
  struct unit *un = it->unit = unit_of(b, u);
  if(!un) {
    sr_problem_set(pb, SR_NOT_FOUND, "No equipment %s that you may see.", u->equipment_code ? u->equipment_code : "with that id");
    return;
  }
  const struct sr_eqtype *t = sr_plugins_type(b->c->plugins, un->type);
  sr_inspection_normalize(u, t);
  sr_inspection_hash(u, un->id, it->hash);
  /* The same report twice in one batch (it counts once accepted), or one stored. */
  struct item *run = &b->items[it->run];
  if(run->holder >= 0) {
    struct item *first = &b->items[run->holder];
    if(strcmp(first->hash, it->hash) == 0) {
      it->state = ITEM_SAME_AS;
      it->same_as = run->holder;
      first->referenced = true;
    }
    else {
      sr_problem_set(pb, SR_CONFLICT, "Report %s appears earlier in this batch with different content.", u->report_number);
      sr_problem_field(pb, "report_number", "is already used in this batch for a different result");
    }
    return;
  }
  int r = stored_row(b, u->report_number);
  if(r >= 0) {
    if(strcmp(sr_db_get(b->stored, r, "request_hash"), it->hash) == 0) {
      it->answer = sr_inspection_answer(sr_db_get(b->stored, r, "j"), sr_db_get(b->stored, r, "due"));
      it->state = ITEM_REPLAY;
    }
    else {
      sr_problem_set(pb, SR_CONFLICT, "Report %s was already recorded with different content.", u->report_number);
      sr_problem_field(pb, "report_number", "is already recorded with different content");
    }
    return;
  }
  if(!t) {
    sr_problem_set(pb, SR_CONFLICT, "The plugin for type '%s' is not loaded.", un->type);
    return;
  }
  const struct sr_conclusion *concl = sr_inspection_check_type(u, un->status, un->commissioned_on, t, pb);
  cJSON *pending = NULL;
  if(pb->err == SR_OK) {
    pending = sr_inspection_pending(u, concl);
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
  if(pb->err == SR_OK && amendment)
    find_amended(b, it, pb);
  if(pb->err != SR_OK) {
    cJSON_Delete(pending);
    return;
  }
  /* Accepted unless its unit's due decision fails. */
  it->state = ITEM_NEW;
  it->concl = concl;
  run->holder = index;
  if(it->amends_item >= 0)
    b->items[it->amends_item].superseded_by = index;
  else if(it->amends_row >= 0) {
    b->stored_superseded[it->amends_row] = true;
    un->drops = true;
  }
  if(cJSON_GetArraySize(it->hazards) > 0)
    it->pending = pending; /* kept for opening the hazards once the results are written */
  else
    cJSON_Delete(pending);
}

/* ==== each unit's due date, decided once ==== */

/* An accepted result by its unit, then date, then order of checking. */
struct due_key {
  long unit;
  const char *on;
  int rank, index;
};

static int due_key_cmp(const void *a, const void *b)
{
  const struct due_key *x = a, *y = b;
  if(x->unit != y->unit)
    return (x->unit > y->unit) - (x->unit < y->unit);
  int c = strcmp(x->on, y->on);
  return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

/* The result as next_due() sees it in the history: the fields a stored one carries there. */
static cJSON *history_entry(const struct item *it)
{
  cJSON *h = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "kind", it->u.kind);
  cJSON_AddStringToObject(h, "inspected_on", it->u.inspected_on);
  cJSON_AddStringToObject(h, "conclusion", it->u.conclusion);
  cJSON_AddStringToObject(h, "conclusion_text", it->concl->text);
  cJSON_AddBoolToObject(h, "passed", it->concl->passed);
  if(it->u.safety_grade)
    cJSON_AddNumberToObject(h, "safety_grade", it->u.safety_grade);
  else
    cJSON_AddNullToObject(h, "safety_grade");
  cJSON_AddStringToObject(h, "report_number", it->u.report_number);
  return h;
}

/* Takes the stored results that amendments of this batch supersede, ids in sorted <gone>, out of
 * the unit's history. */
static void drop_superseded(struct unit *un, const long *gone, int ngone)
{
  cJSON *ids = cJSON_Parse(un->history_ids);
  const cJSON *id = ids ? ids->child : NULL;
  for(cJSON *h = un->history->child, *next; h && id; h = next, id = id->next) {
    next = h->next;
    long v = (long)id->valuedouble;
    if(bsearch(&v, gone, (size_t)ngone, sizeof *gone, long_cmp))
      cJSON_Delete(cJSON_DetachItemViaPointer(un->history, h));
  }
  cJSON_Delete(ids);
}

static void refuse_as(struct item *it, const struct sr_problem *why)
{
  sr_problem_free(&it->pb);
  sr_problem_init(&it->pb);
  it->pb.err = why->err;
  memcpy(it->pb.detail, why->detail, sizeof it->pb.detail);
  it->pb.errors = why->errors ? cJSON_Duplicate(why->errors, 1) : NULL;
  it->state = ITEM_REFUSED;
}

/* Decides unit <un> from its history with its <k> accepted results (<keys>, in date order). */
static void decide_unit(struct batch *b, struct unit *un, const struct due_key *keys, int k, const long *gone,
                        int ngone)
{
  cJSON *extra = cJSON_CreateArray();
  for(int j = 0; j < k; j++) {
    const struct item *it = &b->items[keys[j].index];
    if(it->superseded_by < 0)
      cJSON_AddItemToArray(extra, history_entry(it));
  }
  if(un->drops)
    drop_superseded(un, gone, ngone);
  sr_due_merge_history(un->history, extra);
  struct sr_problem why;
  sr_problem_init(&why);
  const struct sr_eqtype *t = sr_plugins_type(b->c->plugins, un->type);
  if(sr_due_from_facts(b->c, t, un->type, un->status, un->eq, un->history, un->prev_date, un->prev_kind, &un->due,
                       &why) == SR_OK)
    un->accepted = k;
  else
    for(int j = 0; j < k; j++)
      refuse_as(&b->items[keys[j].index], &why);
  sr_problem_free(&why);
}

static enum sr_err decide_units(struct batch *b, struct sr_problem *pb)
{
  struct due_key *keys = malloc(sizeof *keys * (size_t)(b->n + 1));
  long *gone = malloc(sizeof *gone * (size_t)(b->n + 1));
  if(!keys || !gone) {
    free(keys);
    free(gone);
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  }
  int m = 0, ngone = 0;
  for(int i = 0; i < b->n; i++) {
    const struct item *it = &b->items[i];
    if(it->state != ITEM_NEW)
      continue;
    keys[m++] = (struct due_key){ it->unit->id, it->u.inspected_on, it->rank, i };
    if(it->amends_row >= 0)
      gone[ngone++] = atol(sr_db_get(b->stored, it->amends_row, "id"));
  }
  qsort(keys, (size_t)m, sizeof *keys, due_key_cmp);
  qsort(gone, (size_t)ngone, sizeof *gone, long_cmp);
  for(int lo = 0, hi; lo < m; lo = hi) {
    for(hi = lo + 1; hi < m && keys[hi].unit == keys[lo].unit; hi++)
      ;
    decide_unit(b, b->items[keys[lo].index].unit, keys + lo, hi - lo, gone, ngone);
  }
  /* A repeat goes the way of the result it repeats. */
  for(int i = 0; i < b->n; i++)
    if(b->items[i].state == ITEM_SAME_AS && b->items[b->items[i].same_as].state == ITEM_REFUSED)
      refuse_as(&b->items[i], &b->items[b->items[i].same_as].pb);
  free(keys);
  free(gone);
  return SR_OK;
}

/* ==== the batch ==== */

static void free_batch(struct batch *b)
{
  for(int i = 0; b->items && i < b->n; i++) {
    sr_problem_free(&b->items[i].pb);
    cJSON_Delete(b->items[i].answer);
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
  free(b->order);
  free(b->reports);
  free(b->stored_by_report);
  free(b->stored_superseded);
  PQclear(b->facts);
  PQclear(b->stored);
  PQclear(b->accreditations);
}

/* Each item's outcome, in the order sent. Moves the answers out of <b>. */
static cJSON *answer_of(struct batch *b)
{
  cJSON *result = cJSON_CreateObject(), *list = cJSON_CreateArray();
  int accepted = 0, refused = 0;
  for(int i = 0; i < b->n; i++) {
    struct item *it = &b->items[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", i);
    if(it->state == ITEM_REFUSED) {
      cJSON_AddNumberToObject(o, "status", sr_err_status(it->pb.err));
      cJSON_AddItemToObject(o, "problem", sr_problem_json(&it->pb, NULL));
      refused++;
    }
    else {
      cJSON_AddNumberToObject(o, "status", it->state == ITEM_NEW ? 201 : 200);
      if(it->state == ITEM_SAME_AS) /* its first item's answer may still be needed by others */
        cJSON_AddItemToObject(o, "result", cJSON_Duplicate(b->items[it->same_as].answer, 1));
      else if(it->referenced)
        cJSON_AddItemToObject(o, "result", cJSON_Duplicate(it->answer, 1));
      else {
        cJSON_AddItemToObject(o, "result", it->answer); /* moved: the item gives it up */
        it->answer = NULL;
      }
      accepted++;
    }
    cJSON_AddItemToArray(list, o);
  }
  cJSON_AddNumberToObject(result, "accepted", accepted);
  cJSON_AddNumberToObject(result, "refused", refused);
  cJSON_AddItemToObject(result, "items", list);
  return result;
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
  int index = 0;
  for(const cJSON *item = items->child; item; item = item->next, index++) {
    struct item *it = &b.items[index];
    sr_problem_init(&it->pb);
    it->state = ITEM_REFUSED;
    it->holder = it->same_as = it->amends_item = it->amends_row = it->superseded_by = -1;
    if(cJSON_IsString(item)) /* an NDJSON line that did not parse, with its reason */
      sr_problem_set(&it->pb, SR_BAD_REQUEST, "%s", item->valuestring);
    else if(!cJSON_IsObject(item))
      sr_problem_set(&it->pb, SR_BAD_REQUEST, "Item %d is not a JSON object.", index);
    else {
      sr_inspection_parse(c, item, &it->u, &it->pb);
      if(it->pb.err == SR_OK)
        it->state = it->u.amends ? ITEM_AMENDMENT : ITEM_NEW;
      b.amendments = b.amendments || (it->pb.err == SR_OK && it->u.amends);
    }
  }
  enum sr_err rc = SR_OK;
  if(!index_items(&b)) {
    rc = sr_problem_set(pb, SR_INTERNAL, "out of memory");
    goto out;
  }
  if(!sr_tx_begin(c, pb)) {
    rc = pb->err;
    goto out;
  }
  if(read_facts(&b, pb) != SR_OK)
    goto fail;
  for(int k = 0; k < b.norder; k++)
    check_item(&b, b.order[k]);
  if(decide_units(&b, pb) != SR_OK || sr_inspection_batch_write(&b, pb) != SR_OK || !sr_tx_commit(c, pb))
    goto fail;
  *out = answer_of(&b);
  goto out;
fail:
  sr_tx_rollback(c);
  rc = pb->err != SR_OK ? pb->err : SR_INTERNAL;
out:
  free_batch(&b);
  return rc == SR_OK ? pb->err : rc;
}
