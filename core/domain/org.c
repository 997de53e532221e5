/* org.c -- see org.h. */
#include "i18n.h"
#include "org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "record.h"
#include "tx.h"
#include "ident.h"
#include "json.h"
#include "sql.h"
#include "sr_limits.h"

#define ORG_JSON                                                                                  \
  "jsonb_build_object('id', o.id, 'credit_code', o.credit_code, 'name', o.name, 'kind', o.kind, " \
  "'jurisdiction', o.jurisdiction, 'check_override', o.check_override, 'version', o.version, "    \
  "'created_at', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))::text AS j"

static const char *const org_fields[] = { "credit_code", "name", "kind", "jurisdiction",
                                          "check_override_reason", NULL };

enum sr_err sr_org_create(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  enum sr_role role = c->who.role;
  if(!sr_role_is_supervisor(role) && role != SR_ROLE_SYSTEM)
    return sr_problem_set(pb, SR_FORBIDDEN, "Only supervisors register organizations.");
  sr_json_only(body, org_fields, pb);
  const char *code = sr_json_string(body, "credit_code", true, 18, pb);
  const char *name = sr_json_string(body, "name", true, 200, pb);
  const char *kind = sr_json_string(body, "kind", true, 32, pb);
  const char *jur = sr_json_string(body, "jurisdiction", true, 16, pb);
  const char *override = sr_json_string(body, "check_override_reason", false, SR_MAX_STRING, pb);
  if(kind && strcmp(kind, "user_unit") && strcmp(kind, "agency") && strcmp(kind, "maintenance_unit"))
    sr_problem_field(pb, "kind", "must be one of: user_unit, agency, maintenance_unit");
  if(code) {
    enum sr_uscc_result r = sr_uscc_check(code);
    if(r == SR_USCC_FORMAT || (r != SR_USCC_OK && !override))
      sr_problem_field(pb, "credit_code", "%s%s", sr_uscc_explain(r),
                       r == SR_USCC_FORMAT ? "" : "; a supervisor may accept it with check_override_reason");
    else if(r == SR_USCC_OK && override)
      sr_problem_field(pb, "check_override_reason", "applies only to a code that fails its check");
  }
  if(pb->err != SR_OK)
    return pb->err;
  if(role == SR_ROLE_DISTRICT && strcmp(jur, c->who.jurisdiction) != 0)
    return sr_problem_set(pb, SR_FORBIDDEN, "A district supervisor registers organizations only in its own jurisdiction.");
  if(!sr_tx_begin(c, pb))
    return pb->err;
  const char *p[] = { code, name, kind, jur, override };
  PGresult *r = sr_db_exec(c->db,
                           "INSERT INTO organization AS o (credit_code, name, kind, jurisdiction, check_override) "
                           "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM jurisdiction "
                           "WHERE code = $4 AND valid_to IS NULL) RETURNING o.id, " ORG_JSON,
                           5, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    enum sr_db_class cls = sr_db_classify(r);
    bool none = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    if(cls == SR_DB_UNIQUE)
      sr_db_conflict(r, pb, N_("An organization"));
    PQclear(r);
    sr_tx_rollback(c);
    if(none) {
      sr_problem_field(pb, "jurisdiction", "is not a current jurisdiction of the city");
      return pb->err;
    }
    if(cls == SR_DB_UNIQUE)
      return SR_CONFLICT;
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  char id[32];
  snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
  cJSON *rec = cJSON_Parse(sr_db_get(r, 0, "j"));
  PQclear(r);
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "credit_code", code);
  cJSON_AddStringToObject(detail, "kind", kind);
  if(override)
    cJSON_AddStringToObject(detail, "check_override_reason", override);
  cJSON *change = sr_change_new();
  sr_change_audit(change, override ? "organization.create_with_override" : "organization.create", "organization", id,
                  detail);
  sr_change_event(change, "organization.registered", "organization", id, jur, cJSON_Duplicate(rec, 1));
  if(!sr_record_commit(c, change, pb)) {
    cJSON_Delete(rec);
    return pb->err;
  }
  *out = rec;
  return SR_OK;
}

enum sr_err sr_org_rename(struct sr_ctx *c, long org, long named, const char *name, const char *reason,
                          struct sr_problem *pb)
{
  char oid[24], nid[24];
  snprintf(oid, sizeof oid, "%ld", org);
  snprintf(nid, sizeof nid, "%ld", named);
  const char *po[] = { oid };
  PGresult *r = sr_db_exec(c->db, "SELECT o.name, o.jurisdiction, o.credit_code FROM organization o WHERE o.id = $1", 1, po);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  char was[256], jur[16], code[24];
  snprintf(was, sizeof was, "%s", PQgetvalue(r, 0, 0));
  snprintf(jur, sizeof jur, "%s", PQgetvalue(r, 0, 1));
  snprintf(code, sizeof code, "%s", PQgetvalue(r, 0, 2));
  PQclear(r);
  /* The organization's own jurisdiction decides, not that of the unit the rename came through. */
  enum sr_role role = c->who.role;
  if(!(role == SR_ROLE_CITY || role == SR_ROLE_SYSTEM ||
       (role == SR_ROLE_DISTRICT && strcmp(jur, c->who.jurisdiction) == 0)))
    return sr_problem_set(pb, SR_FORBIDDEN, "Organization %s is registered in %s: it is renamed by the city or by "
                                            "that district's supervisor.", code, jur);
  if(strcmp(was, name) == 0) {
    sr_problem_field(pb, "user_unit_name", "is already the name of the user unit");
    return pb->err;
  }
  const char *pn[] = { oid, name };
  r = sr_db_exec(c->db, "UPDATE organization SET name = $2, version = version + 1 WHERE id = $1 RETURNING id", 2, pn);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1; /* row-level security agrees, or refuses */
  PQclear(r);
  if(!ok)
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role may not rename organization %s.", code);
  /* Every other unit, wherever it is: the rename is authorized on the organization, so the core
   * writes them as the system. Their after image is read as it now is; the before image is that
   * record as it stood, which differs in the name, the version and the time of change only. */
  const char *p[] = { oid, nid, was, reason };
  ok = sr_tx_as_system(c, true, pb) &&
       sr_db_command(c->db,
                     "WITH u AS (UPDATE equipment e SET version = e.version + 1, updated_at = now() "
                     "  FROM (SELECT id, version, updated_at FROM equipment WHERE user_unit_id = $1 AND id <> $2) w "
                     "  WHERE e.id = w.id "
                     "  RETURNING e.id, e.status, e.jurisdiction, sereg_equipment_json(e) AS after, w.version AS was_version, "
                     "    to_char(w.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS was_at), "
                     "b AS (SELECT id, status, jurisdiction, after, after || jsonb_build_object('user_unit_name', $3::text, "
                     "  'version', was_version, 'updated_at', was_at) AS before FROM u) "
                     "SELECT sereg_record(jsonb_agg(jsonb_build_object("
                     "  'history', jsonb_build_object('of', 'equipment', 'id', id, 'action', 'rename', 'from', status, "
                     "    'to', status, 'reason', $4::text, 'before', before, 'after', after), "
                     "  'audit', jsonb_build_object('action', 'equipment.transition', 'target_type', 'equipment', "
                     "    'target_id', id::text, 'detail', jsonb_build_object('action', 'rename', 'from', status, "
                     "    'to', status, 'reason', $4::text)), "
                     "  'event', jsonb_build_object('type', 'equipment.transitioned', 'subject_type', 'equipment', "
                     "    'subject_id', id::text, 'jurisdiction', jurisdiction, 'payload', jsonb_build_object('action', "
                     "    'rename', 'reason', $4::text, 'from_status', status, 'to_status', status, 'equipment', after))))) "
                     "FROM b",
                     4, p, pb) &&
       sr_tx_as_system(c, false, pb);
  if(!ok)
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "database error");
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "credit_code", code);
  cJSON_AddStringToObject(detail, "from", was);
  cJSON_AddStringToObject(detail, "to", name);
  cJSON_AddStringToObject(detail, "reason", reason);
  cJSON_AddNumberToObject(detail, "through_equipment", (double)named);
  cJSON *change = sr_change_new();
  sr_change_event(change, "organization.renamed", "organization", oid, jur, cJSON_Duplicate(detail, 1));
  sr_change_audit(change, "organization.rename", "organization", oid, detail);
  ok = sr_record(c, change, pb);
  cJSON_Delete(change);
  return ok ? SR_OK : pb->err;
}

enum sr_err sr_org_list(struct sr_ctx *c, const struct sr_org_filter *f, cJSON **out,
                        struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT o.id, " ORG_JSON " FROM organization o WHERE true");
  switch(c->who.role) {
  case SR_ROLE_CITY:
  case SR_ROLE_ADMIN:
  case SR_ROLE_SYSTEM:
    break;
  case SR_ROLE_DISTRICT:
  case SR_ROLE_COORDINATOR:
    sr_sql_add(&q, " AND o.jurisdiction = ");
    sr_sql_param(&q, c->who.jurisdiction);
    break;
  default: /* user units and agencies see themselves */
    sr_sql_add(&q, " AND o.id = ");
    sr_sql_param_long(&q, c->who.org_id);
  }
  if(f->kind) {
    sr_sql_add(&q, " AND o.kind = ");
    sr_sql_param(&q, f->kind);
  }
  if(f->jurisdiction) {
    sr_sql_add(&q, " AND o.jurisdiction = ");
    sr_sql_param(&q, f->jurisdiction);
  }
  sr_sql_total_here(&q, f->count);
  sr_sql_add(&q, " AND o.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_sql_add(&q, " ORDER BY o.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb); /* as the caller: organizations have row policies */
}

enum sr_err sr_jurisdiction_list(struct sr_ctx *c, cJSON **out, struct sr_problem *pb)
{
  PGresult *r = sr_db_exec(c->db,
                           "SELECT coalesce(jsonb_agg(jsonb_build_object('code', code, 'name', name, 'kind', kind, "
                           "'parent', parent, 'division_code', division_code, 'current', valid_to IS NULL, "
                           "'successor', successor) ORDER BY valid_to IS NOT NULL, code), '[]')::text "
                           "FROM jurisdiction",
                           0, NULL);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  cJSON *page = cJSON_CreateObject();
  cJSON_AddItemToObject(page, "items", cJSON_Parse(PQgetvalue(r, 0, 0)));
  PQclear(r);
  *out = page;
  return SR_OK;
}
