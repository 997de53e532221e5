/* accreditation.c -- see accreditation.h. */
#include "accreditation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "record.h"
#include "tx.h"
#include "json.h"
#include "plugin.h"

#define ACC_JSON                                                                                       \
  "jsonb_build_object('id', a.id, 'agency_id', a.agency_id, 'equipment_type', a.equipment_type, "    \
  "'varieties', a.varieties, 'valid_from', to_char(a.valid_from, 'YYYY-MM-DD'), "                     \
  "'valid_to', to_char(a.valid_to, 'YYYY-MM-DD'))"

static const char *const acc_fields[] = { "equipment_type", "varieties", "valid_from", "valid_to", NULL };

/* 1 when <id> is an agency, 0 when it is not (or does not exist), -1 on database error. */
static int is_agency(struct sr_ctx *c, long id)
{
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  const char *p[] = { ids };
  PGresult *r = sr_db_exec(c->db, "SELECT 1 FROM organization WHERE id = $1 AND kind = 'agency'", 1, p);
  int rc = sr_db_ok(r, PGRES_TUPLES_OK) ? PQntuples(r) == 1 : -1;
  PQclear(r);
  return rc;
}

/* Checks the varieties list against the type; returns a Postgres text[] literal or NULL (all). */
static char *varieties_literal(const cJSON *v, const struct sr_eqtype *t, struct sr_problem *pb)
{
  if(!v || cJSON_IsNull(v))
    return NULL;
  if(!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0 || cJSON_GetArraySize(v) > 50) {
    sr_problem_field(pb, "varieties", "must be a list of 1 to 50 品种 codes, or left out for all");
    return NULL;
  }
  struct sr_buf b;
  sr_buf_init(&b, 4096);
  sr_buf_append(&b, "{", 1);
  int i = 0;
  for(const cJSON *e = v->child; e; e = e->next, i++) {
    if(!cJSON_IsString(e) || (t && !sr_eqtype_has_variety(t, e->valuestring))) {
      sr_problem_field(pb, "varieties", "entry %d is not a variety of %s", i, t ? t->code : "the type");
      sr_buf_free(&b);
      return NULL;
    }
    sr_buf_printf(&b, "%s%s", i ? "," : "", e->valuestring); /* checked: 4 digits */
  }
  sr_buf_append(&b, "}", 1);
  return b.data;
}

enum sr_err sr_accreditation_create(struct sr_ctx *c, long agency_id, const cJSON *body, cJSON **out,
                                    struct sr_problem *pb)
{
  if(c->who.role != SR_ROLE_CITY && c->who.role != SR_ROLE_SYSTEM)
    return sr_problem_set(pb, SR_FORBIDDEN, "Only the city supervisor manages accreditations.");
  sr_json_only(body, acc_fields, pb);
  const char *type = sr_json_string(body, "equipment_type", true, 32, pb);
  const struct sr_eqtype *t = type ? sr_plugins_type(c->plugins, type) : NULL;
  if(type && !t)
    sr_problem_field(pb, "equipment_type", "is not a loaded equipment type");
  struct sr_date from, to;
  bool f = sr_json_date(body, "valid_from", true, &from, pb), tt = sr_json_date(body, "valid_to", true, &to, pb);
  if(f && tt && sr_date_cmp(from, to) > 0)
    sr_problem_field(pb, "valid_to", "is before valid_from");
  char *varieties = varieties_literal(cJSON_GetObjectItemCaseSensitive(body, "varieties"), t, pb);
  if(pb->err != SR_OK) {
    free(varieties);
    return pb->err;
  }
  if(!sr_tx_begin(c, pb)) {
    free(varieties);
    return pb->err;
  }
  int agency = is_agency(c, agency_id);
  if(agency <= 0) {
    free(varieties);
    sr_tx_rollback(c);
    return sr_problem_set(pb, agency < 0 ? SR_INTERNAL : SR_NOT_FOUND, "No inspection agency %ld.", agency_id);
  }
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", agency_id);
  const char *p[] = { ids, type, varieties, cJSON_GetObjectItem(body, "valid_from")->valuestring,
                      cJSON_GetObjectItem(body, "valid_to")->valuestring };
  PGresult *r = sr_db_exec(c->db,
                           "INSERT INTO accreditation AS a (agency_id, equipment_type, varieties, valid_from, valid_to) "
                           "VALUES ($1, $2, $3::text[], $4, $5) RETURNING a.id, " ACC_JSON "::text AS j, "
                           "(SELECT o.jurisdiction FROM organization o WHERE o.id = a.agency_id) AS jurisdiction",
                           5, p);
  free(varieties);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "could not store the accreditation");
  }
  cJSON *rec = cJSON_Parse(sr_db_get(r, 0, "j"));
  cJSON *change = sr_change_new();
  sr_change_audit(change, "accreditation.create", "accreditation", PQgetvalue(r, 0, 0), cJSON_Duplicate(rec, 1));
  sr_change_event(change, "accreditation.granted", "organization", ids, sr_db_get(r, 0, "jurisdiction"),
                  cJSON_Duplicate(rec, 1));
  PQclear(r);
  if(!sr_record_commit(c, change, pb)) {
    cJSON_Delete(rec);
    return pb->err;
  }
  *out = rec;
  return SR_OK;
}

enum sr_err sr_accreditation_list(struct sr_ctx *c, long agency_id, cJSON **out, struct sr_problem *pb)
{
  enum sr_role role = c->who.role;
  bool may = role == SR_ROLE_CITY || role == SR_ROLE_DISTRICT || role == SR_ROLE_ADMIN || role == SR_ROLE_SYSTEM ||
             (role == SR_ROLE_AGENCY && c->who.org_id == agency_id);
  if(!may)
    return sr_problem_set(pb, SR_NOT_FOUND, "No inspection agency %ld that you may see.", agency_id);
  if(!sr_tx_begin(c, pb)) /* as the caller: organizations have row policies */
    return pb->err;
  int agency = is_agency(c, agency_id);
  if(agency <= 0) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, agency < 0 ? SR_INTERNAL : SR_NOT_FOUND, "No inspection agency %ld.", agency_id);
  }
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", agency_id);
  const char *p[] = { ids };
  PGresult *r = sr_db_exec(c->db,
                           "SELECT coalesce(jsonb_agg(" ACC_JSON " ORDER BY a.id), '[]')::text FROM accreditation a "
                           "WHERE a.agency_id = $1",
                           1, p);
  sr_tx_rollback(c); /* read-only */
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  *out = cJSON_CreateObject();
  cJSON_AddItemToObject(*out, "items", cJSON_Parse(PQgetvalue(r, 0, 0)));
  PQclear(r);
  return SR_OK;
}

enum sr_err sr_accreditation_check(struct sr_ctx *c, long agency_id, const char *type, const char *variety,
                                   const char *on, struct sr_problem *pb)
{
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", agency_id);
  const char *p[] = { ids, type, variety, on };
  PGresult *r = sr_db_exec(c->db,
                           "SELECT 1 FROM accreditation WHERE agency_id = $1 AND equipment_type = $2 "
                           "AND (varieties IS NULL OR $3 = ANY (varieties)) AND $4::date BETWEEN valid_from AND valid_to",
                           4, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  bool ok = PQntuples(r) > 0;
  PQclear(r);
  if(ok)
    return SR_OK;
  sr_problem_set(pb, SR_FORBIDDEN, "Your agency is not accredited for %s (variety %s) on %s.", type, variety, on);
  sr_problem_field(pb, "inspected_on", "no accreditation for %s %s covers this date", type, variety);
  pb->err = SR_FORBIDDEN;
  return SR_FORBIDDEN;
}
