/* inspection.c -- see inspection.h. */
#include "i18n.h"
#include "inspection.h"
#include "inspection_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accreditation.h"
#include "db.h"
#include "record.h"
#include "tx.h"
#include "due.h"
#include "json.h"
#include "log.h"
#include "plugin.h"
#include "sql.h"
#include "sr_limits.h"

#define INSPECTION_JSON "sereg_inspection_json(i)::text AS j"

static const char *const upload_fields[] = { "equipment_id", "equipment_code", "report_number", "kind",
                                             "inspected_on", "conclusion", "safety_grade", "defects",
                                             "inspector", "amends", NULL };
static const char *const defect_fields[] = { "code", "item", "description", "severity", NULL };
static const char *const severities[] = { "major", "general", "minor", NULL };


static bool printable(const char *s)
{
  for(; *s; s++)
    if((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

/* Checks the body's own shape; names every failing field. */
void sr_inspection_parse(struct sr_ctx *c, const cJSON *body, struct upload *u, struct sr_problem *pb)
{
  memset(u, 0, sizeof *u);
  sr_json_only(body, upload_fields, pb);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "equipment_id");
  u->equipment_code = sr_json_string(body, "equipment_code", false, 18, pb);
  if(id && !cJSON_IsNull(id)) {
    if(!cJSON_IsNumber(id) || id->valuedouble < 1 || id->valuedouble > 1e15 || id->valuedouble != (double)(long)id->valuedouble)
      sr_problem_field(pb, "equipment_id", "must be a positive whole number");
    else
      u->equipment_id = (long)id->valuedouble;
  }
  if(!u->equipment_id && !u->equipment_code && !sr_problem_nfields(pb))
    sr_problem_field(pb, "equipment_id", "give equipment_id or equipment_code");
  if(u->equipment_id && u->equipment_code)
    sr_problem_field(pb, "equipment_code", "give equipment_id or equipment_code, not both");
  u->report_number = sr_json_string(body, "report_number", true, 64, pb);
  if(u->report_number && !printable(u->report_number))
    sr_problem_field(pb, "report_number", "must not contain control characters");
  u->kind = sr_json_string(body, "kind", true, 32, pb);
  if(u->kind) { /* a report names the kind in Chinese as often as not; the code is stored */
    const char *code = sr_inspection_kind_code(u->kind);
    if(code)
      u->kind = code;
    else
      sr_problem_field(pb, "kind", "must be one of periodic (定期检验), supervisory (监督检验), first (首次检验), "
                                   "self_test (自行检测), annual_check (年度检查), external (外部检验), "
                                   "internal (内部检验)");
  }
  struct sr_date on;
  if(sr_json_date(body, "inspected_on", true, &on, pb)) {
    if(sr_date_cmp(on, c->today) > 0)
      sr_problem_field(pb, "inspected_on", "is in the future");
    sr_date_format(on, u->inspected_on);
  }
  u->conclusion = sr_json_string(body, "conclusion", true, 32, pb);
  const cJSON *g = cJSON_GetObjectItemCaseSensitive(body, "safety_grade");
  if(g && !cJSON_IsNull(g)) {
    if(!cJSON_IsNumber(g) || g->valuedouble != (double)(int)g->valuedouble || g->valueint < 1 || g->valueint > 5)
      sr_problem_field(pb, "safety_grade", "must be a whole number from 1 to 5");
    else
      u->safety_grade = g->valueint;
  }
  u->inspector = sr_json_string(body, "inspector", false, 100, pb);
  u->amends = sr_json_string(body, "amends", false, 64, pb);
  const cJSON *defects = cJSON_GetObjectItemCaseSensitive(body, "defects");
  if(defects && !cJSON_IsNull(defects)) {
    if(!cJSON_IsArray(defects) || cJSON_GetArraySize(defects) > 200)
      sr_problem_field(pb, "defects", "must be a list of at most 200 defects");
    else {
      int i = 0;
      char field[64];
      for(const cJSON *d = defects->child; d; d = d->next, i++) {
        snprintf(field, sizeof field, "defects[%d]", i);
        if(!cJSON_IsObject(d)) {
          sr_problem_field(pb, field, "must be an object {code, item, description, severity}");
          continue;
        }
        struct sr_problem sub;
        sr_problem_init(&sub);
        sr_json_only(d, defect_fields, &sub);
        sr_json_string(d, "code", true, 32, &sub);
        sr_json_string(d, "item", false, 200, &sub);
        sr_json_string(d, "description", false, SR_MAX_STRING, &sub);
        const char *sev = sr_json_string(d, "severity", true, 16, &sub);
        if(sev) {
          const char *const *s;
          for(s = severities; *s && strcmp(*s, sev) != 0; s++)
            ;
          if(!*s)
            sr_problem_field(&sub, "severity", "must be major, general or minor");
        }
        for(const cJSON *e = sub.errors ? sub.errors->child : NULL; e; e = e->next)
          sr_problem_field(pb, field, "%s %s", cJSON_GetObjectItem(e, "field")->valuestring,
                           cJSON_GetObjectItem(e, "message")->valuestring);
        sr_problem_free(&sub);
      }
      u->defects = defects;
    }
  }
}

void sr_inspection_normalize(struct upload *u, const struct sr_eqtype *t)
{
  const struct sr_inspection_kind *k = t ? sr_eqtype_kind(t, u->kind) : NULL;
  const struct sr_conclusion *concl = k ? sr_eqtype_conclusion_named(k, u->conclusion) : NULL;
  if(concl)
    u->conclusion = concl->code;
}

/* The normalized result whose hash makes uploads idempotent: same fields, same order. */
void sr_inspection_hash(const struct upload *u, long equipment_id, char hash[65])
{
  cJSON *n = cJSON_CreateObject();
  cJSON_AddNumberToObject(n, "equipment_id", (double)equipment_id);
  cJSON_AddStringToObject(n, "report_number", u->report_number);
  cJSON_AddStringToObject(n, "kind", u->kind);
  cJSON_AddStringToObject(n, "inspected_on", u->inspected_on);
  cJSON_AddStringToObject(n, "conclusion", u->conclusion);
  if(u->safety_grade)
    cJSON_AddNumberToObject(n, "safety_grade", u->safety_grade);
  cJSON_AddItemToObject(n, "defects", u->defects ? cJSON_Duplicate(u->defects, 1) : cJSON_CreateArray());
  if(u->inspector)
    cJSON_AddStringToObject(n, "inspector", u->inspector);
  if(u->amends)
    cJSON_AddStringToObject(n, "amends", u->amends);
  char *text = cJSON_PrintUnformatted(n);
  sr_sha256_hex(text, strlen(text), hash);
  free(text);
  cJSON_Delete(n);
}

/* The unit the result is about, if the caller may see it: id, type, variety, status, JSON. */
static enum sr_err find_equipment(struct sr_ctx *c, const struct upload *u, PGresult **res, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id, e.type, e.variety, e.status, e.jurisdiction, "
                  "to_char(e.commissioned_on, 'YYYY-MM-DD') AS commissioned_on, "
                  "sereg_equipment_json(e)::text AS j FROM equipment e WHERE ");
  if(u->equipment_id) {
    sr_sql_add(&q, "e.id = ");
    sr_sql_param_long(&q, u->equipment_id);
  }
  else {
    sr_sql_add(&q, "e.equipment_code = ");
    sr_sql_param(&q, u->equipment_code);
  }
  sr_scope_equipment(&q, c, "e");
  PGresult *r = sr_sql_exec(c, &q, pb);
  if(!r)
    return pb->err;
  if(PQntuples(r) != 1) {
    PQclear(r);
    sr_problem_set(pb, SR_NOT_FOUND, "No equipment %s that you may see.", u->equipment_code ? u->equipment_code : "with that id");
    return SR_NOT_FOUND;
  }
  *res = r;
  return SR_OK;
}

/* The type's rules for the result: kind, vocabulary, safety grade, status and dates. */
const struct sr_conclusion *sr_inspection_check_type(const struct upload *u, const char *status, const char *commissioned_on,
                                               const struct sr_eqtype *t, struct sr_problem *pb)
{
  if(strcmp(status, "cancelled") == 0 || strcmp(status, "scrapped") == 0)
    sr_problem_field(pb, u->equipment_code ? "equipment_code" : "equipment_id",
                     "the equipment is %s; results are no longer accepted", status);
  bool before_use = strcmp(u->kind, "supervisory") == 0 || strcmp(u->kind, "first") == 0;
  if(strcmp(status, "pending") == 0 && !before_use)
    sr_problem_field(pb, "kind", "the equipment is not registered yet; only supervisory or first inspections");
  if(!before_use && strcmp(u->inspected_on, commissioned_on) < 0)
    sr_problem_field(pb, "inspected_on", "is before the equipment was commissioned (%s)", commissioned_on);
  const struct sr_inspection_kind *k = sr_eqtype_kind(t, u->kind);
  if(!k) {
    char list[200] = "";
    for(int i = 0; i < t->nkinds && strlen(list) < 150; i++) {
      strcat(list, i ? ", " : "");
      strcat(list, t->kinds[i].kind);
    }
    sr_problem_field(pb, "kind", "%s takes no %s inspection (it takes: %s)", t->code, u->kind, list);
    return NULL;
  }
  const struct sr_conclusion *concl = sr_eqtype_conclusion(k, u->conclusion);
  if(!concl) {
    char list[400] = "";
    for(int i = 0; i < k->nconclusions && strlen(list) < 300; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s (%s)", i ? ", " : "",
               k->conclusions[i].code, k->conclusions[i].text);
    sr_problem_field(pb, "conclusion", "must be one of: %s", list);
  }
  if(k->safety_grade == SR_GRADE_FORBIDDEN && u->safety_grade)
    sr_problem_field(pb, "safety_grade", "does not apply to a %s %s inspection", t->code, u->kind);
  if(k->safety_grade == SR_GRADE_REQUIRED && !u->safety_grade)
    sr_problem_field(pb, "safety_grade", "is required for a %s %s inspection", t->code, u->kind);
  return concl;
}

/* The stored result with (agency, report number), if any: id, hash, equipment, superseded. */
static PGresult *stored(struct sr_ctx *c, const char *report)
{
  char agency[32];
  snprintf(agency, sizeof agency, "%ld", c->who.org_id);
  const char *p[] = { agency, report };
  return sr_db_exec(c->db,
                    "SELECT i.id, i.request_hash, i.equipment_id, i.superseded_by, i.due_after::text AS due, "
                    INSPECTION_JSON " FROM inspection i WHERE i.agency_id = $1 AND i.report_number = $2",
                    2, p);
}

cJSON *sr_inspection_pending(const struct upload *u, const struct sr_conclusion *concl)
{
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "kind", u->kind);
  cJSON_AddStringToObject(p, "inspected_on", u->inspected_on);
  cJSON_AddStringToObject(p, "conclusion", u->conclusion);
  cJSON_AddStringToObject(p, "conclusion_text", concl->text);
  cJSON_AddBoolToObject(p, "passed", concl->passed);
  if(u->safety_grade)
    cJSON_AddNumberToObject(p, "safety_grade", u->safety_grade);
  cJSON_AddStringToObject(p, "report_number", u->report_number);
  cJSON_AddItemToObject(p, "defects", u->defects ? cJSON_Duplicate(u->defects, 1) : cJSON_CreateArray());
  return p;
}

cJSON *sr_inspection_answer(const char *inspection_json, const char *due_json)
{
  cJSON *a = cJSON_CreateObject();
  cJSON_AddItemToObject(a, "inspection", cJSON_Parse(inspection_json));
  cJSON *due = due_json ? cJSON_Parse(due_json) : NULL;
  for(cJSON *d = due ? due->child : NULL; d; d = d->next)
    cJSON_AddItemToObject(a, d->string, cJSON_Duplicate(d, 1));
  cJSON_Delete(due);
  return a;
}

/* The due fields of an answer: {next_due, next_due_kind, reason, explain}. */
cJSON *sr_inspection_due_fields(const struct sr_due *d)
{
  cJSON *x = cJSON_CreateObject();
  if(d->date[0])
    cJSON_AddStringToObject(x, "next_due", d->date);
  else
    cJSON_AddNullToObject(x, "next_due");
  if(d->kind[0])
    cJSON_AddStringToObject(x, "next_due_kind", d->kind);
  else
    cJSON_AddNullToObject(x, "next_due_kind");
  const cJSON *reason = cJSON_GetObjectItem(d->explain, "reason");
  cJSON_AddStringToObject(x, "reason", cJSON_IsString(reason) ? reason->valuestring : "");
  cJSON_AddItemToObject(x, "explain", cJSON_Duplicate(d->explain, 1));
  return x;
}

/* Records one result inside the caller's transaction. */
enum sr_err sr_inspection_record_one(struct sr_ctx *c, const cJSON *body, cJSON **out, int *status, struct sr_problem *pb)
{
  if(c->who.role != SR_ROLE_AGENCY)
    return sr_problem_set(pb, SR_FORBIDDEN, "Inspection results are uploaded by inspection agencies.");
  struct upload u;
  sr_inspection_parse(c, body, &u, pb);
  if(pb->err != SR_OK)
    return pb->err;
  PGresult *eq = NULL, *prev = NULL, *amended = NULL, *ins = NULL;
  struct sr_due due = { 0 };
  cJSON *pending = NULL, *dues = NULL, *found = NULL;
  char *dues_text = NULL, *defects_text = NULL;
  if(find_equipment(c, &u, &eq, pb) != SR_OK)
    goto done;
  long eid = atol(sr_db_get(eq, 0, "id"));
  const struct sr_eqtype *t = sr_plugins_type(c->plugins, sr_db_get(eq, 0, "type"));
  sr_inspection_normalize(&u, t);
  char hash[65];
  sr_inspection_hash(&u, eid, hash);
  /* Idempotency first: a repeat of a recorded report gets its original answer. */
  prev = stored(c, u.report_number);
  if(!sr_db_ok(prev, PGRES_TUPLES_OK)) {
    sr_problem_set(pb, SR_INTERNAL, "database error");
    goto done;
  }
  if(PQntuples(prev) == 1) {
    if(strcmp(sr_db_get(prev, 0, "request_hash"), hash) == 0) {
      *out = sr_inspection_answer(sr_db_get(prev, 0, "j"), sr_db_get(prev, 0, "due"));
      *status = 200;
    }
    else {
      sr_problem_set(pb, SR_CONFLICT, "Report %s was already recorded with different content; "
                                      "send a correction as an amendment with a new report number.", u.report_number);
      sr_problem_field(pb, "report_number", "is already recorded with different content");
    }
    goto done;
  }
  if(!t) {
    sr_problem_set(pb, SR_CONFLICT, "The plugin for type '%s' is not loaded.", sr_db_get(eq, 0, "type"));
    goto done;
  }
  const struct sr_conclusion *concl = sr_inspection_check_type(&u, sr_db_get(eq, 0, "status"), sr_db_get(eq, 0, "commissioned_on"), t, pb);
  long superseded = 0;
  if(u.amends) {
    amended = stored(c, u.amends);
    if(!sr_db_ok(amended, PGRES_TUPLES_OK)) {
      sr_problem_set(pb, SR_INTERNAL, "database error");
      goto done;
    }
    if(PQntuples(amended) != 1 || atol(sr_db_get(amended, 0, "equipment_id")) != eid)
      sr_problem_field(pb, "amends", "names no report of yours about this equipment");
    else if(sr_db_get(amended, 0, "superseded_by"))
      sr_problem_field(pb, "amends", "that report is already superseded; amend its latest version");
    else
      superseded = atol(sr_db_get(amended, 0, "id"));
  }
  if(pb->err != SR_OK)
    goto done;
  /* The plugin's own cross-checks see the result as it will be stored. */
  pending = sr_inspection_pending(&u, concl);
  cJSON *eqj = cJSON_Parse(sr_db_get(eq, 0, "j"));
  sr_plugins_check_inspection(c->plugins, t, eqj, pending, pb);
  /* What the result shows is decided before anything is written, so a plugin that fails
   * leaves nothing behind. */
  if(pb->err == SR_OK)
    sr_plugins_hazards(c->plugins, t, eqj, pending, c->today, &found, pb);
  cJSON_Delete(eqj);
  if(pb->err != SR_OK)
    goto done;
  /* The accreditation must cover the inspection date, not only today. */
  if(sr_accreditation_check(c, c->who.org_id, t->code, sr_db_get(eq, 0, "variety"), u.inspected_on, pb) != SR_OK)
    goto done;
  struct sr_due_pending coming = { pending, superseded, NULL };
  if(sr_due_decide(c, eid, &coming, &due, pb) != SR_OK)
    goto done;
  dues = sr_inspection_due_fields(&due);
  dues_text = cJSON_PrintUnformatted(dues);
  defects_text = u.defects ? cJSON_PrintUnformatted(u.defects) : strdup("[]");
  char agency[32], eids[32], grade[8], amends_id[32];
  snprintf(agency, sizeof agency, "%ld", c->who.org_id);
  snprintf(eids, sizeof eids, "%ld", eid);
  snprintf(grade, sizeof grade, "%d", u.safety_grade);
  snprintf(amends_id, sizeof amends_id, "%ld", superseded);
  const char *p[] = { agency, u.report_number, eids, u.kind, u.inspected_on, u.conclusion, concl->text,
                      concl->passed ? "true" : "false", u.safety_grade ? grade : NULL, defects_text,
                      u.inspector, hash, superseded ? amends_id : NULL, dues_text };
  ins = sr_db_exec(c->db,
                   "INSERT INTO inspection AS i (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, "
                   "conclusion_text, passed, safety_grade, defects, inspector, request_hash, amends_id, due_after) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14::jsonb) "
                   "RETURNING i.id, " INSPECTION_JSON,
                   14, p);
  if(!sr_db_ok(ins, PGRES_TUPLES_OK) || PQntuples(ins) != 1) {
    if(sr_db_classify(ins) == SR_DB_UNIQUE) /* the agency's report number */
      sr_db_conflict(ins, pb, N_("A result"));
    else
      sr_problem_set(pb, SR_INTERNAL, "The result could not be stored.");
    goto done;
  }
  const char *new_id = sr_db_get(ins, 0, "id");
  if(superseded) {
    const char *sp[] = { amends_id, new_id };
    if(!sr_db_command(c->db, "UPDATE inspection SET superseded_by = $2 WHERE id = $1", 2, sp, pb))
      goto done;
  }
  if(sr_due_store(c, eid, &due, true, pb) != SR_OK)
    goto done;
  /* History, audit and notice, in the same transaction. */
  char reason[256];
  snprintf(reason, sizeof reason, "%s %s inspection %s: %s", u.amends ? "amended" : "recorded", u.kind,
           u.report_number, concl->text);
  cJSON *answer = sr_inspection_answer(sr_db_get(ins, 0, "j"), dues_text);
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "report_number", u.report_number);
  cJSON_AddNumberToObject(detail, "equipment_id", (double)eid);
  if(u.amends)
    cJSON_AddStringToObject(detail, "amends", u.amends);
  const char *st = sr_db_get(eq, 0, "status");
  cJSON *change = sr_change_new();
  cJSON *h = sr_change_history(change, "equipment", eids, "inspect");
  cJSON_AddStringToObject(h, "from", st);
  cJSON_AddStringToObject(h, "to", st);
  cJSON_AddStringToObject(h, "reason", reason);
  cJSON_AddRawToObject(h, "after", dues_text);
  sr_change_audit(change, u.amends ? "inspection.amend" : "inspection.record", "inspection", new_id, detail);
  sr_change_event(change, "inspection.recorded", "inspection", new_id, sr_db_get(eq, 0, "jurisdiction"),
                  cJSON_Duplicate(answer, 1));
  bool ok = sr_record(c, change, pb);
  cJSON_Delete(change);
  if(!ok || sr_inspection_hazards_open(c, t, eid, pending, found, pb) != SR_OK) {
    cJSON_Delete(answer);
    goto done;
  }
  *out = answer;
  *status = 201;
done:
  sr_due_free(&due);
  cJSON_Delete(pending);
  cJSON_Delete(found);
  cJSON_Delete(dues);
  free(dues_text);
  free(defects_text);
  PQclear(eq);
  PQclear(prev);
  PQclear(amended);
  PQclear(ins);
  return pb->err;
}

enum sr_err sr_inspection_record(struct sr_ctx *c, const cJSON *body, cJSON **out, int *status,
                                 struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return pb->err;
  if(sr_inspection_record_one(c, body, out, status, pb) != SR_OK || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    cJSON_Delete(*out);
    *out = NULL;
    return pb->err != SR_OK ? pb->err : SR_INTERNAL;
  }
  return SR_OK;
}

enum sr_err sr_inspection_list(struct sr_ctx *c, const struct sr_inspection_filter *f, cJSON **out,
                               struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT i.id, " INSPECTION_JSON " FROM inspection i JOIN equipment e ON e.id = i.equipment_id "
                  "WHERE true");
  if(c->who.role == SR_ROLE_AGENCY) { /* an agency reads its own results */
    sr_sql_add(&q, " AND i.agency_id = ");
    sr_sql_param_long(&q, c->who.org_id);
  }
  else
    sr_scope_equipment(&q, c, "e");
  if(f->equipment_id) {
    sr_sql_add(&q, " AND i.equipment_id = ");
    sr_sql_param_long(&q, f->equipment_id);
  }
  if(f->agency) {
    sr_sql_add(&q, " AND i.agency_id = (SELECT id FROM organization WHERE credit_code = ");
    sr_sql_param(&q, f->agency);
    sr_sql_add(&q, ")");
  }
  if(f->since) {
    sr_sql_add(&q, " AND i.inspected_on >= ");
    sr_sql_param(&q, f->since);
    sr_sql_add(&q, "::date");
  }
  sr_sql_total_here(&q, f->count);
  sr_sql_add(&q, " AND i.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_sql_add(&q, " ORDER BY i.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(&q);
    return pb->err;
  }
  /* An agency's own results stay readable whatever its accreditations now say. */
  if(c->who.role == SR_ROLE_AGENCY && !sr_tx_as_system(c, true, pb)) {
    sr_sql_free(&q);
    sr_tx_rollback(c);
    return pb->err;
  }
  enum sr_err e = sr_sql_page_in_tx(c, &q, f->limit, out, pb);
  sr_tx_rollback(c);
  return e;
}
