/* plugin_diff.c -- see plugin_diff.h. */
#include "plugin_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "due.h"
#include "log.h"
#include "plugin.h"
#include "record.h"
#include "sql.h"
#include "sr_limits.h"
#include "tx.h"

const char *sr_plugin_diff_move_name(enum sr_plugin_diff_move m)
{
  static const char *const names[] = { "same", "earlier", "later", "kind", "gained", "lost", "failed" };
  return m >= 0 && m < SR_DIFF_NMOVES ? names[m] : "?";
}

/* A unit's standing results as hazards() is asked about them when they are recorded (the shape
 * of sr_inspection_pending), oldest first. */
#define RESULTS_SQL                                                                                        \
  ", (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, "                                      \
  "  'inspected_on', to_char(i.inspected_on, 'YYYY-MM-DD'), 'conclusion', i.conclusion, "                 \
  "  'conclusion_text', i.conclusion_text, 'passed', i.passed, 'report_number', i.report_number, "         \
  "  'defects', coalesce(i.defects, '[]'::jsonb)) || CASE WHEN i.safety_grade IS NULL THEN '{}'::jsonb "    \
  "  ELSE jsonb_build_object('safety_grade', i.safety_grade) END ORDER BY i.inspected_on, i.id), '[]') "  \
  "  FROM inspection i WHERE i.equipment_id = e.id AND i.superseded_by IS NULL)::text AS results "

/* What one unit changes, held until its chunk is done. */
struct change {
  struct sr_plugin_diff_unit u;
  struct sr_due before, after;
  cJSON *opened, *closed, *invalid;
  char failure[600];
  int row;
};

struct replay {
  struct sr_ctx *c, old_ctx, new_ctx;
  bool apply_due;  /* the stored due date against the active set, not two sets */
  bool apply;      /* store what apply-due finds */
  const struct sr_plugin_diff_options *o;
  struct sr_plugin_diff_summary *sum;
  struct change *changes;
  int nchanges;
};

static struct sr_plugin_diff_type *type_of(struct sr_plugin_diff_summary *s, const char *code)
{
  for(int i = 0; i < s->ntypes; i++)
    if(strcmp(s->types[i].code, code) == 0)
      return &s->types[i];
  if(s->ntypes == (int)(sizeof s->types / sizeof s->types[0]))
    return NULL;
  struct sr_plugin_diff_type *t = &s->types[s->ntypes++];
  memset(t, 0, sizeof *t);
  snprintf(t->code, sizeof t->code, "%s", code);
  return t;
}

/* Every type either set knows, with the rule each decides it by ("" where it has none). */
static void summary_rules(struct sr_plugin_diff_summary *s, struct sr_plugins *before, struct sr_plugins *after)
{
  for(int k = 0; k < 2; k++) {
    struct sr_plugins *p = k == 0 ? before : after;
    for(int i = 0; p && i < sr_plugins_ntypes(p); i++) {
      const struct sr_eqtype *t = sr_plugins_type_at(p, i);
      struct sr_plugin_diff_type *st = type_of(s, t->code);
      if(st)
        snprintf(k == 0 ? st->old_rule : st->new_rule, sizeof st->old_rule, "%s@%s", t->file, t->version);
    }
  }
}

static const char *rule_of(const struct sr_due *d)
{
  const cJSON *r = cJSON_GetObjectItem(d->explain, "rule");
  return cJSON_IsString(r) ? r->valuestring : "";
}

static enum sr_plugin_diff_move move_of(const char *a, const char *ak, const char *b, const char *bk, long *days)
{
  struct sr_date da, db;
  *days = 0;
  if(!a[0] && !b[0])
    return strcmp(ak, bk) == 0 ? SR_DIFF_SAME : SR_DIFF_KIND;
  if(!a[0])
    return SR_DIFF_GAINED;
  if(!b[0])
    return SR_DIFF_LOST;
  if(!sr_date_parse(a, &da) || !sr_date_parse(b, &db))
    return strcmp(a, b) == 0 && strcmp(ak, bk) == 0 ? SR_DIFF_SAME : SR_DIFF_KIND;
  *days = sr_date_to_days(db) - sr_date_to_days(da);
  return *days < 0 ? SR_DIFF_EARLIER : *days > 0 ? SR_DIFF_LATER : strcmp(ak, bk) == 0 ? SR_DIFF_SAME : SR_DIFF_KIND;
}

/* The hazards one set finds in each of the unit's results: a list of {report_number, condition,
 * grade, level}. NULL with the failure in <why> when the plugin fails. */
static cJSON *hazards_found(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *results,
                            struct sr_date today, char *why, size_t whysz)
{
  cJSON *all = cJSON_CreateArray();
  for(const cJSON *res = t ? results->child : NULL; res; res = res->next) {
    struct sr_problem pb;
    sr_problem_init(&pb);
    cJSON *found = NULL;
    if(sr_plugins_hazards(p, t, eq, res, today, &found, &pb) != SR_OK) {
      snprintf(why, whysz, "%s", pb.detail[0] ? pb.detail : "hazards() failed");
      sr_problem_free(&pb);
      cJSON_Delete(found);
      cJSON_Delete(all);
      return NULL;
    }
    sr_problem_free(&pb);
    for(const cJSON *h = found ? found->child : NULL; h; h = h->next) {
      cJSON *x = cJSON_CreateObject();
      static const char *const keep[] = { "condition", "grade", "level", "source", NULL };
      const cJSON *rn = cJSON_GetObjectItem(res, "report_number");
      cJSON_AddStringToObject(x, "report_number", cJSON_IsString(rn) ? rn->valuestring : "");
      for(const char *const *k = keep; *k; k++) {
        const cJSON *v = cJSON_GetObjectItem(h, *k);
        cJSON_AddStringToObject(x, *k, cJSON_IsString(v) ? v->valuestring : "");
      }
      cJSON_AddItemToArray(all, x);
    }
    cJSON_Delete(found);
  }
  return all;
}

static bool same_hazard(const cJSON *a, const cJSON *b)
{
  static const char *const keys[] = { "report_number", "condition", "grade", "level", "source", NULL };
  for(const char *const *k = keys; *k; k++)
    if(strcmp(cJSON_GetObjectItem(a, *k)->valuestring, cJSON_GetObjectItem(b, *k)->valuestring) != 0)
      return false;
  return true;
}

/* The hazards of <a> that <b> does not have; NULL when there are none. */
static cJSON *hazards_minus(const cJSON *a, const cJSON *b)
{
  cJSON *out = NULL;
  for(const cJSON *x = a->child; x; x = x->next) {
    const cJSON *y = b->child;
    while(y && !same_hazard(x, y))
      y = y->next;
    if(!y) {
      if(!out)
        out = cJSON_CreateArray();
      cJSON_AddItemToArray(out, cJSON_Duplicate(x, 1));
    }
  }
  return out;
}

/* The field errors the new set's validate finds in the stored unit and the old one's did not;
 * NULL when there are none. A plugin that fails says so in ch->failure. */
static cJSON *newly_invalid(struct replay *rp, const struct sr_eqtype *told, const struct sr_eqtype *tnew,
                            const cJSON *eq, struct change *ch)
{
  struct sr_problem pn, po;
  sr_problem_init(&pn);
  sr_problem_init(&po);
  cJSON *out = NULL;
  if(tnew && sr_plugins_validate(rp->new_ctx.plugins, tnew, eq, &pn) != SR_OK) {
    if(pn.err == SR_PLUGIN)
      snprintf(ch->failure, sizeof ch->failure, "%s", pn.detail);
    /* Only what is new: a unit the active set refuses as well was refused before this change. */
    else if(pn.errors && (!told || sr_plugins_validate(rp->old_ctx.plugins, told, eq, &po) == SR_OK)) {
      out = pn.errors;
      pn.errors = NULL;
    }
  }
  sr_problem_free(&pn);
  sr_problem_free(&po);
  return out;
}

static void change_free(struct change *ch)
{
  sr_due_free(&ch->before);
  sr_due_free(&ch->after);
  cJSON_Delete(ch->opened);
  cJSON_Delete(ch->closed);
  cJSON_Delete(ch->invalid);
  memset(ch, 0, sizeof *ch);
}

/* Decides row <row> of chunk <r> both ways; true when it changed (ch filled). */
static bool replay_unit(struct replay *rp, const PGresult *r, int row, struct change *ch)
{
  memset(ch, 0, sizeof *ch);
  ch->row = row;
  const char *type = sr_db_get(r, row, "type"), *status = sr_db_get(r, row, "status");
  const struct sr_eqtype *told = sr_plugins_type(rp->old_ctx.plugins, type);
  const struct sr_eqtype *tnew = rp->apply_due ? told : sr_plugins_type(rp->new_ctx.plugins, type);
  cJSON *eq = cJSON_Parse(sr_db_get(r, row, "j")), *history = cJSON_Parse(sr_db_get(r, row, "history"));
  cJSON *results = rp->apply_due ? NULL : cJSON_Parse(sr_db_get(r, row, "results"));
  if(!eq || !history || (!rp->apply_due && !results)) {
    snprintf(ch->failure, sizeof ch->failure, "the unit's stored facts are not JSON");
  }
  else if(!rp->apply_due) {
    /* What validate and hazards() see: the unit as it is stored, as at registration or upload. */
    ch->invalid = newly_invalid(rp, told, tnew, eq, ch);
    char why[600] = "";
    cJSON *hold = ch->failure[0] ? NULL : hazards_found(rp->old_ctx.plugins, told, eq, results, rp->c->today, why, sizeof why);
    cJSON *hnew = ch->failure[0] || (told && !hold) ? NULL
                : hazards_found(rp->new_ctx.plugins, tnew, eq, results, rp->c->today, why, sizeof why);
    if(hold && hnew) {
      ch->opened = hazards_minus(hnew, hold);
      ch->closed = hazards_minus(hold, hnew);
    }
    else if(!ch->failure[0])
      snprintf(ch->failure, sizeof ch->failure, "%s", why);
    cJSON_Delete(hold);
    cJSON_Delete(hnew);
  }
  if(eq && history && !ch->failure[0]) {
    char today[11];
    sr_date_format(rp->c->today, today);
    sr_due_facts_add(eq, r, row, NULL, today);
    struct sr_problem pb;
    sr_problem_init(&pb);
    const char *prev = sr_db_get(r, row, "next_due"), *prev_kind = sr_db_get(r, row, "next_due_kind");
    if(rp->apply_due) {
      snprintf(ch->before.date, sizeof ch->before.date, "%s", prev);
      snprintf(ch->before.kind, sizeof ch->before.kind, "%s", prev_kind);
    }
    else if(sr_due_from_facts(&rp->old_ctx, told, type, status, eq, history, "", "", &ch->before, &pb) != SR_OK)
      snprintf(ch->failure, sizeof ch->failure, "%s", pb.detail);
    if(!ch->failure[0] &&
       sr_due_from_facts(&rp->new_ctx, tnew, type, status, eq, history, prev, prev_kind, &ch->after, &pb) != SR_OK)
      snprintf(ch->failure, sizeof ch->failure, "%s", pb.detail);
    sr_problem_free(&pb);
  }
  cJSON_Delete(eq);
  cJSON_Delete(history);
  cJSON_Delete(results);
  struct sr_plugin_diff_unit *u = &ch->u;
  u->id = atol(sr_db_get(r, row, "id"));
  u->equipment_code = sr_db_get(r, row, "equipment_code");
  u->registration_number = sr_db_get(r, row, "registration_number");
  u->jurisdiction = sr_db_get(r, row, "jurisdiction");
  u->type = type;
  snprintf(u->old_date, sizeof u->old_date, "%s", ch->before.date);
  snprintf(u->new_date, sizeof u->new_date, "%s", ch->after.date);
  snprintf(u->old_kind, sizeof u->old_kind, "%s", ch->before.kind);
  snprintf(u->new_kind, sizeof u->new_kind, "%s", ch->after.kind);
  u->old_rule = rp->apply_due ? sr_db_get(r, row, "next_due_rule") : rule_of(&ch->before);
  u->new_rule = rule_of(&ch->after);
  u->move = ch->failure[0] ? SR_DIFF_FAILED : move_of(u->old_date, u->old_kind, u->new_date, u->new_kind, &u->days);
  u->failure = ch->failure[0] ? ch->failure : NULL;
  u->opened = ch->opened;
  u->closed = ch->closed;
  u->invalid = ch->invalid;
  u->due = &ch->after;
  struct sr_plugin_diff_type *st = type_of(rp->sum, type);
  rp->sum->units++;
  if(st)
    st->units++;
  bool changed = u->move != SR_DIFF_SAME || ch->opened || ch->closed || ch->invalid;
  if(!changed) {
    change_free(ch);
    return false;
  }
  rp->sum->changed++;
  long no = cJSON_GetArraySize(ch->opened), nc = cJSON_GetArraySize(ch->closed), ni = ch->invalid ? 1 : 0;
  rp->sum->opened += no;
  rp->sum->closed += nc;
  rp->sum->invalid += ni;
  if(st) {
    st->moves[u->move]++;
    st->opened += no;
    st->closed += nc;
    st->invalid += ni;
  }
  return true;
}

/* apply-due's records for one unit, and the row: the writer's history entry and audit record,
 * then sr_due_store for the row and its equipment.due_changed. */
static bool store_due(struct replay *rp, const PGresult *r, struct change *ch, struct sr_problem *pb)
{
  struct sr_ctx *c = rp->c; /* the transaction's own context: the store runs inside it */
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", ch->u.id);
  const char *status = sr_db_get(r, ch->row, "status");
  char reason[200];
  snprintf(reason, sizeof reason, "%s", ch->u.new_rule[0] ? ch->u.new_rule : "no rule");
  cJSON *before = cJSON_CreateObject(), *after = cJSON_CreateObject();
  const struct {
    cJSON *o;
    const char *date, *kind, *rule;
  } sides[] = { { before, ch->u.old_date, ch->u.old_kind, ch->u.old_rule }, { after, ch->u.new_date, ch->u.new_kind, ch->u.new_rule } };
  for(int i = 0; i < 2; i++) {
    if(sides[i].date[0])
      cJSON_AddStringToObject(sides[i].o, "next_due", sides[i].date);
    else
      cJSON_AddNullToObject(sides[i].o, "next_due");
    cJSON_AddStringToObject(sides[i].o, "next_due_kind", sides[i].kind);
    cJSON_AddStringToObject(sides[i].o, "next_due_rule", sides[i].rule ? sides[i].rule : "");
  }
  cJSON *change = sr_change_new();
  cJSON *h = sr_change_history(change, "equipment", ids, "recompute_due");
  cJSON_AddStringToObject(h, "from", status);
  cJSON_AddStringToObject(h, "to", status);
  cJSON_AddStringToObject(h, "reason", reason);
  cJSON_AddItemToObject(h, "before", cJSON_Duplicate(before, 1));
  cJSON_AddItemToObject(h, "after", cJSON_Duplicate(after, 1));
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "rule", reason);
  cJSON_AddItemToObject(detail, "before", before);
  cJSON_AddItemToObject(detail, "after", after);
  sr_change_audit(change, "equipment.recompute_due", "equipment", ids, detail);
  bool ok = sr_record(c, change, pb);
  cJSON_Delete(change);
  return ok && sr_due_store_because(c, ch->u.id, &ch->after, true, reason, pb) == SR_OK;
}

static enum sr_err run_chunk(struct replay *rp, long *after_id, bool *more, sr_plugin_diff_each each, void *arg,
                             struct sr_problem *pb)
{
  struct sr_ctx *c = rp->c;
  char today[11];
  sr_date_format(c->today, today);
  int chunk = rp->o && rp->o->chunk > 0 ? rp->o->chunk : SR_DIFF_CHUNK;
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id, e.equipment_code, coalesce(e.registration_number, '') AS registration_number, "
                  "e.jurisdiction, coalesce(e.next_due_rule, '') AS next_due_rule, " SR_DUE_FACTS("$1", "0"));
  sr_sql_value(&q, today);
  if(!rp->apply_due)
    sr_sql_add(&q, RESULTS_SQL);
  sr_sql_add(&q, "FROM equipment e WHERE e.id > ");
  sr_sql_param_long(&q, *after_id);
  if(rp->o && rp->o->jurisdiction) {
    sr_sql_add(&q, " AND e.jurisdiction = ");
    sr_sql_param(&q, rp->o->jurisdiction);
  }
  sr_sql_add(&q, " ORDER BY e.id LIMIT ");
  sr_sql_param_long(&q, chunk);
  if(rp->apply)
    sr_sql_add(&q, " FOR UPDATE OF e");
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(&q);
    return pb->err;
  }
  PGresult *r = sr_sql_exec(c, &q, pb);
  if(!r) {
    sr_tx_rollback(c);
    return pb->err;
  }
  int n = PQntuples(r);
  *more = n == chunk;
  if(n > 0)
    *after_id = atol(sr_db_get(r, n - 1, "id"));
  rp->nchanges = 0;
  bool ok = true;
  for(int i = 0; i < n && ok; i++) {
    struct change *ch = &rp->changes[rp->nchanges];
    if(!replay_unit(rp, r, i, ch))
      continue;
    rp->nchanges++;
    /* A unit a plugin fails on keeps its date: there is nothing to store. */
    if(rp->apply && ch->u.move != SR_DIFF_FAILED)
      ok = store_due(rp, r, ch, pb);
  }
  if(ok && rp->apply)
    ok = sr_tx_commit(c, pb);
  else
    sr_tx_rollback(c);
  /* Told only once the chunk is in for good: what is said is what was stored. */
  for(int i = 0; i < rp->nchanges; i++) {
    if(ok && each && !each(&rp->changes[i].u, arg)) {
      ok = false;
      sr_problem_set(pb, SR_INTERNAL, "could not write the changes out");
    }
    change_free(&rp->changes[i]);
  }
  PQclear(r);
  if(!ok && pb->err == SR_OK)
    sr_problem_set(pb, SR_INTERNAL, "could not store the due dates");
  return ok ? SR_OK : pb->err;
}

static enum sr_err replay(struct replay *rp, sr_plugin_diff_each each, void *arg, struct sr_problem *pb)
{
  int chunk = rp->o && rp->o->chunk > 0 ? rp->o->chunk : SR_DIFF_CHUNK;
  rp->changes = calloc((size_t)chunk, sizeof *rp->changes);
  if(!rp->changes)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  long after = 0;
  bool more = true;
  enum sr_err e = SR_OK;
  while(more && e == SR_OK)
    e = run_chunk(rp, &after, &more, each, arg, pb);
  free(rp->changes);
  return e;
}

enum sr_err sr_plugin_diff_run(struct sr_ctx *c, struct sr_plugins *after, const struct sr_plugin_diff_options *o,
                               sr_plugin_diff_each each, void *arg, struct sr_plugin_diff_summary *sum,
                               struct sr_problem *pb)
{
  memset(sum, 0, sizeof *sum);
  struct replay rp = { .c = c, .old_ctx = *c, .new_ctx = *c, .o = o, .sum = sum };
  rp.new_ctx.plugins = after;
  summary_rules(sum, c->plugins, after);
  /* The replay writes nothing, and the database holds it to that. */
  PGresult *r = PQexec(c->db, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
  bool ok = sr_db_ok(r, PGRES_COMMAND_OK);
  PQclear(r);
  if(!ok)
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  enum sr_err e = replay(&rp, each, arg, pb);
  PQclear(PQexec(c->db, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"));
  return e;
}

enum sr_err sr_plugin_diff_apply_due(struct sr_ctx *c, bool apply, const struct sr_plugin_diff_options *o,
                                     sr_plugin_diff_each each, void *arg, struct sr_plugin_diff_summary *sum,
                                     struct sr_problem *pb)
{
  memset(sum, 0, sizeof *sum);
  struct replay rp = { .c = c, .old_ctx = *c, .new_ctx = *c, .apply_due = true, .apply = apply, .o = o, .sum = sum };
  summary_rules(sum, NULL, c->plugins);
  return replay(&rp, each, arg, pb);
}
