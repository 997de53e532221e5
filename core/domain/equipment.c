/* equipment.c -- see equipment.h. */
#include "i18n.h"
#include "equipment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "record.h"
#include "tx.h"
#include "due.h"
#include "ident.h"
#include "json.h"
#include "lifecycle.h"
#include "log.h"
#include "org.h"
#include "plugin.h"
#include "type_name.h"
#include "rectification.h"
#include "sql.h"
#include "sr_limits.h"

#define EQ_JSON "sereg_equipment_json(e)::text AS j"
/* ==== small helpers ==== */

static enum sr_err db_fail(struct sr_ctx *c, struct sr_problem *pb)
{
  sr_tx_rollback(c);
  if(pb->err == SR_OK)
    sr_problem_set(pb, SR_INTERNAL, "database error");
  return pb->err;
}

/* Reads one equipment JSON (column "j") from a one-row result. Caller owns the result. */
static cJSON *row_json(const PGresult *r, int row)
{
  const char *j = sr_db_get(r, row, "j");
  return j ? cJSON_Parse(j) : NULL;
}

/* The organization id of user unit <credit_code>, or 0 when none. Returns -1 on database error. */
static long user_unit_id(struct sr_ctx *c, const char *credit_code)
{
  const char *p[] = { credit_code };
  PGresult *r = sr_db_exec(c->db, "SELECT id FROM organization WHERE credit_code = $1 AND kind = 'user_unit'", 1, p);
  long id = -1;
  if(sr_db_ok(r, PGRES_TUPLES_OK))
    id = PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  return id;
}

/* 1 when <code> is a current district-level jurisdiction, 0 when not, -1 on database error. */
static int jurisdiction_current(struct sr_ctx *c, const char *code)
{
  const char *p[] = { code };
  PGresult *r = sr_db_exec(c->db,
                           "SELECT 1 FROM jurisdiction WHERE code = $1 AND kind <> 'city' AND valid_to IS NULL",
                           1, p);
  int rc = -1;
  if(sr_db_ok(r, PGRES_TUPLES_OK))
    rc = PQntuples(r) == 1;
  PQclear(r);
  return rc;
}

/* Assigns the next registration number for <t>/<variety> in the year of today. */
static bool assign_regno(struct sr_ctx *c, const struct sr_eqtype *t, const char *variety,
                         char out[64], struct sr_problem *pb)
{
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s%.2s/%04d", t->registration_class, variety + 1, c->today.y);
  const char *p[] = { prefix };
  PGresult *r = sr_db_exec(c->db,
                           "SELECT sereg_next_registration_serial($1), "
                           "(SELECT plate_prefix FROM jurisdiction WHERE kind = 'city' LIMIT 1) AS plate",
                           1, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1 &&
            sr_regno_format(out, 64, t->registration_class, variety,
                            sr_db_get(r, 0, "plate") ? sr_db_get(r, 0, "plate") : "",
                            atol(PQgetvalue(r, 0, 0)), c->today.y);
  PQclear(r);
  if(!ok)
    sr_problem_set(pb, SR_INTERNAL, "could not assign a registration number");
  return ok;
}

/* Writes the history event, the audit record and the outbox event of one change. */
static bool record_change(struct sr_ctx *c, const char *id, const char *action, const char *from,
                          const char *to, const char *reason, const char *before, const char *after,
                          const char *jurisdiction, struct sr_problem *pb)
{
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "action", action);
  if(from)
    cJSON_AddStringToObject(detail, "from", from);
  cJSON_AddStringToObject(detail, "to", to);
  cJSON_AddStringToObject(detail, "reason", reason);
  cJSON *payload = cJSON_CreateObject();
  cJSON_AddStringToObject(payload, "action", action);
  cJSON_AddStringToObject(payload, "reason", reason);
  if(from)
    cJSON_AddStringToObject(payload, "from_status", from);
  cJSON_AddStringToObject(payload, "to_status", to);
  cJSON_AddItemToObject(payload, "equipment", cJSON_Parse(after));
  bool reg = strcmp(action, "register") == 0;
  cJSON *change = sr_change_new();
  cJSON *h = sr_change_history(change, "equipment", id, action);
  if(from)
    cJSON_AddStringToObject(h, "from", from);
  cJSON_AddStringToObject(h, "to", to);
  cJSON_AddStringToObject(h, "reason", reason);
  if(before)
    cJSON_AddRawToObject(h, "before", before);
  cJSON_AddRawToObject(h, "after", after);
  sr_change_audit(change, reg ? "equipment.register" : "equipment.transition", "equipment", id, detail);
  sr_change_event(change, reg ? "equipment.registered" : "equipment.transitioned", "equipment", id, jurisdiction,
                  payload);
  bool ok = sr_record(c, change, pb);
  cJSON_Delete(change);
  return ok;
}

/* Decides the unit's next due date after a change and reads the record as it now stands.
 * Caller owns *out. */
static enum sr_err refresh_and_read(struct sr_ctx *c, const char *id, const char *action, cJSON **out,
                                    char **text, struct sr_problem *pb)
{
  struct sr_due_pending pending = { NULL, 0, action };
  if(sr_due_refresh(c, atol(id), &pending, false, pb) != SR_OK)
    return pb->err;
  const char *p[] = { id };
  PGresult *r = sr_db_exec(c->db, "SELECT " EQ_JSON " FROM equipment e WHERE e.id = $1", 1, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "could not read the record back");
  }
  *text = strdup(PQgetvalue(r, 0, 0));
  *out = cJSON_Parse(*text);
  PQclear(r);
  return *out && *text ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "out of memory");
}

/* ==== registration ==== */

static const char *const register_fields[] = { "type", "equipment_code", "jurisdiction", "user_unit",
                                               "address", "commissioned_on", "attributes", "reason", NULL };

/* Checks the body's own fields; returns the equipment type or NULL. */
static const struct sr_eqtype *check_register_body(struct sr_ctx *c, const cJSON *body,
                                                   struct sr_problem *pb)
{
  sr_json_only(body, register_fields, pb);
  const char *type = sr_json_string(body, "type", true, 32, pb);
  const char *code = sr_json_string(body, "equipment_code", true, 18, pb);
  sr_json_string(body, "jurisdiction", true, 16, pb);
  sr_json_string(body, "user_unit", true, 18, pb);
  sr_json_string(body, "address", true, 500, pb);
  sr_json_string(body, "reason", false, SR_MAX_STRING, pb);
  struct sr_date on = { 0, 0, 0 };
  bool on_ok = sr_json_date(body, "commissioned_on", true, &on, pb);
  if(on_ok && sr_date_cmp(on, c->today) > 0)
    sr_problem_field(pb, "commissioned_on", "is in the future");
  const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
  if(!cJSON_IsObject(attrs))
    sr_problem_field(pb, "attributes", attrs ? "must be an object" : "is required");
  /* By code, name or alias, as the import reads it: 电梯 and elevator register alike. */
  const struct sr_eqtype *t = type ? sr_type_name_resolve(c->plugins, type, NULL) : NULL;
  if(type && !t) {
    char list[512];
    sr_type_name_list(c->plugins, list, sizeof list);
    sr_problem_field(pb, "type", "is not a loaded equipment type (loaded: %s)", list);
  }
  if(code) {
    if(!sr_eqcode_shape(code))
      sr_problem_field(pb, "equipment_code", "must be 18 characters: 4-digit variety, 5-digit "
                                             "manufacturer, 4-digit year, 5-character serial");
    else {
      const cJSON *v = cJSON_IsObject(attrs) ? cJSON_GetObjectItemCaseSensitive(attrs, "variety") : NULL;
      int year = atoi((char[5]){ code[9], code[10], code[11], code[12], 0 });
      if(cJSON_IsString(v) && strncmp(code, v->valuestring, 4) != 0)
        sr_problem_field(pb, "equipment_code", "must start with the variety %s", v->valuestring);
      if(year > c->today.y)
        sr_problem_field(pb, "equipment_code", "has a manufacturing year after this year");
      else if(on_ok && year > on.y)
        sr_problem_field(pb, "commissioned_on", "is before the manufacturing year in the equipment code");
    }
  }
  return t;
}

const struct sr_eqtype *sr_equipment_check(struct sr_ctx *c, const cJSON *body, struct sr_problem *pb)
{
  const struct sr_eqtype *t = check_register_body(c, body, pb);
  if(t && sr_plugins_validate(c->plugins, t, body, pb) == SR_PLUGIN)
    return NULL;
  return pb->err == SR_OK ? t : NULL;
}

enum sr_err sr_equipment_register(struct sr_ctx *c, const cJSON *body, cJSON **out,
                                  struct sr_problem *pb)
{
  enum sr_role role = c->who.role;
  if(!sr_role_is_supervisor(role) && role != SR_ROLE_USER_UNIT && role != SR_ROLE_SYSTEM)
    return sr_problem_set(pb, SR_FORBIDDEN, "Only supervisors and user units register equipment.");
  const struct sr_eqtype *t = sr_equipment_check(c, body, pb);
  if(!t)
    return pb->err;

  const char *code = cJSON_GetObjectItem(body, "equipment_code")->valuestring;
  const char *jur = cJSON_GetObjectItem(body, "jurisdiction")->valuestring;
  const char *unit = cJSON_GetObjectItem(body, "user_unit")->valuestring;
  const cJSON *reason_j = cJSON_GetObjectItem(body, "reason");
  const char *reason = cJSON_IsString(reason_j) ? reason_j->valuestring : "使用登记";
  const char *variety = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "attributes"), "variety")->valuestring;
  if(role == SR_ROLE_DISTRICT && strcmp(jur, c->who.jurisdiction) != 0)
    return sr_problem_set(pb, SR_FORBIDDEN, "A district supervisor registers equipment only in its own jurisdiction.");

  if(!sr_tx_begin(c, pb))
    return pb->err;
  /* One look-up for the jurisdiction, the user unit and the inspection regime of the day. */
  char today[11];
  sr_date_format(c->today, today);
  const char *fp[] = { jur, unit, t->code, today };
  PGresult *facts = sr_db_exec(c->db,
                               "SELECT (SELECT 1 FROM jurisdiction WHERE code = $1 AND kind <> 'city' AND valid_to IS NULL) "
                               "AS jok, (SELECT id FROM organization WHERE credit_code = $2 AND kind = 'user_unit') AS unit_id, "
                               "(SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = $3 AND (r.jurisdiction = $1 "
                               " OR r.jurisdiction IS NULL) AND r.valid_from <= $4::date AND (r.valid_to IS NULL OR "
                               " r.valid_to >= $4::date) ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1) AS regime",
                               4, fp);
  if(!sr_db_ok(facts, PGRES_TUPLES_OK) || PQntuples(facts) != 1) {
    PQclear(facts);
    return db_fail(c, pb);
  }
  bool jok = sr_db_get(facts, 0, "jok") != NULL;
  long unit_id = sr_db_get(facts, 0, "unit_id") ? atol(sr_db_get(facts, 0, "unit_id")) : 0;
  if(!jok)
    sr_problem_field(pb, "jurisdiction", "is not a current district-level jurisdiction of the city");
  if(!unit_id)
    sr_problem_field(pb, "user_unit", "no user unit is registered with this credit code");
  if(pb->err == SR_OK && role == SR_ROLE_USER_UNIT && unit_id != c->who.org_id)
    sr_problem_set(pb, SR_FORBIDDEN, "A user unit registers only its own equipment.");
  if(pb->err != SR_OK) {
    PQclear(facts);
    sr_tx_rollback(c);
    return pb->err;
  }
  enum sr_status status = role == SR_ROLE_USER_UNIT ? SR_ST_PENDING : SR_ST_IN_SERVICE;
  char regno[64] = "";
  if(status == SR_ST_IN_SERVICE && !assign_regno(c, t, variety, regno, pb)) {
    PQclear(facts);
    return db_fail(c, pb);
  }
  /* The first due date, decided before the row exists: a new unit has no history or stops. */
  cJSON *eq = cJSON_Duplicate(body, 1);
  cJSON_AddStringToObject(eq, "status", sr_status_name(status));
  cJSON_AddStringToObject(eq, "variety", variety);
  if(regno[0])
    cJSON_AddStringToObject(eq, "registration_number", regno);
  if(sr_db_get(facts, 0, "regime"))
    cJSON_AddStringToObject(eq, "regime", sr_db_get(facts, 0, "regime"));
  cJSON_AddArrayToObject(eq, "suspensions");
  cJSON *history = cJSON_CreateArray();
  struct sr_due due;
  enum sr_err drc = sr_due_from_facts(c, t, t->code, sr_status_name(status), eq, history, "", "", &due, pb);
  cJSON_Delete(eq);
  cJSON_Delete(history);
  PQclear(facts);
  if(drc != SR_OK) {
    sr_tx_rollback(c);
    return pb->err;
  }
  char *attrs = sr_json_text(cJSON_GetObjectItem(body, "attributes"));
  char *basis = cJSON_PrintUnformatted(due.explain);
  const cJSON *due_rule = cJSON_GetObjectItem(due.explain, "rule");
  char unit_s[32], rule[96], on[11];
  snprintf(unit_s, sizeof unit_s, "%ld", unit_id);
  snprintf(rule, sizeof rule, "%s@%s", t->file, t->version);
  snprintf(on, sizeof on, "%s", cJSON_GetObjectItem(body, "commissioned_on")->valuestring);
  const char *p[] = { code, t->code, variety, regno[0] ? regno : NULL, jur, unit_s,
                      cJSON_GetObjectItem(body, "address")->valuestring, on, attrs,
                      sr_status_name(status), rule, due.date[0] ? due.date : NULL, due.kind[0] ? due.kind : NULL,
                      cJSON_IsString(due_rule) ? due_rule->valuestring : NULL, basis };
  PGresult *r = sr_db_exec(c->db,
                           "INSERT INTO equipment AS e (equipment_code, type, variety, registration_number, "
                           "jurisdiction, user_unit_id, address, commissioned_on, attributes, status, rule, next_due, "
                           "next_due_kind, next_due_rule, next_due_basis) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15::jsonb) "
                           "RETURNING e.id, " EQ_JSON,
                           15, p);
  free(attrs);
  free(basis);
  sr_due_free(&due);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    if(sr_db_classify(r) == SR_DB_UNIQUE) { /* the code, or a number an import brought in */
      sr_db_conflict(r, pb, N_("Equipment"));
      PQclear(r);
      sr_tx_rollback(c);
      return SR_CONFLICT;
    }
    PQclear(r);
    return db_fail(c, pb);
  }
  char id[32];
  snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
  /* The registration's own event carries the first due date; no separate due_changed. */
  cJSON *rec = row_json(r, 0);
  bool ok = rec && record_change(c, id, "register", NULL, sr_status_name(status), reason, NULL,
                                 sr_db_get(r, 0, "j"), jur, pb);
  PQclear(r);
  if(!ok || !sr_tx_commit(c, pb)) {
    cJSON_Delete(rec);
    return db_fail(c, pb);
  }
  *out = rec;
  return SR_OK;
}

/* ==== reading ==== */

/* Fetches the visible record <id>, optionally locking it. Caller owns *res. */
static enum sr_err fetch(struct sr_ctx *c, long id, bool lock, PGresult **res, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id, e.status, e.version, e.type, e.jurisdiction, e.registration_number, "
                  "e.variety, e.user_unit_id, " EQ_JSON " FROM equipment e WHERE e.id = ");
  sr_sql_param_long(&q, id);
  sr_scope_equipment(&q, c, "e");
  if(lock)
    sr_sql_add(&q, " FOR UPDATE OF e");
  PGresult *r = sr_sql_exec(c, &q, pb);
  if(!r)
    return pb->err;
  if(PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_NOT_FOUND, "No equipment %ld that you may see.", id);
  }
  *res = r;
  return SR_OK;
}

/* Opens a read transaction and fetches <id> if visible; on failure the transaction is closed. */
static enum sr_err begin_visible(struct sr_ctx *c, long id, PGresult **r, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return pb->err;
  if(fetch(c, id, false, r, pb) != SR_OK)
    sr_tx_rollback(c);
  return pb->err;
}

enum sr_err sr_equipment_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  PGresult *r = NULL;
  if(begin_visible(c, id, &r, pb) != SR_OK)
    return pb->err;
  *out = row_json(r, 0);
  PQclear(r);
  sr_tx_rollback(c); /* read-only */
  return *out ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "could not read the record");
}

enum sr_err sr_equipment_due(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  PGresult *r = NULL;
  if(begin_visible(c, id, &r, pb) != SR_OK)
    return pb->err;
  PQclear(r);
  char ids[32], today[11];
  snprintf(ids, sizeof ids, "%ld", id);
  sr_date_format(c->today, today);
  const char *p[] = { ids, today };
  r = sr_db_exec(c->db,
                 "SELECT jsonb_build_object('equipment_id', e.id, 'status', e.status, "
                 "'next_due', to_char(e.next_due, 'YYYY-MM-DD'), 'next_due_kind', e.next_due_kind, "
                 "'overdue', coalesce(e.next_due < $2::date, false), 'days_left', e.next_due - $2::date, "
                 "'rule', e.next_due_rule) || coalesce(e.next_due_basis, '{}')::jsonb AS j "
                 "FROM equipment e WHERE e.id = $1",
                 2, p);
  sr_tx_rollback(c);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  *out = row_json(r, 0);
  PQclear(r);
  return SR_OK;
}

enum sr_err sr_equipment_history(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  PGresult *r = NULL;
  if(begin_visible(c, id, &r, pb) != SR_OK)
    return pb->err;
  PQclear(r);
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  const char *p[] = { ids };
  r = sr_db_exec(c->db,
                 "SELECT coalesce(jsonb_agg(jsonb_build_object('id', ev.id, 'action', ev.action, "
                 "'from_status', ev.from_status, 'to_status', ev.to_status, 'actor_account', ev.actor_account, "
                 "'actor_role', ev.actor_role, 'reason', ev.reason, "
                 "'at', to_char(ev.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
                 "'before', ev.before, 'after', ev.after) ORDER BY ev.id), '[]')::text AS j "
                 "FROM equipment_event ev WHERE ev.equipment_id = $1",
                 1, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return db_fail(c, pb);
  }
  cJSON *page = cJSON_CreateObject();
  cJSON_AddItemToObject(page, "items", row_json(r, 0));
  PQclear(r);
  sr_tx_rollback(c);
  *out = page;
  return SR_OK;
}

/* ==== transitions ==== */

/* Locks the user unit of visible unit <id>, whatever the caller may change (a rename is
 * authorized on the organization later, under the lock); *org is its id, 0 when the unit is not
 * visible (fetch() says so). */
static enum sr_err lock_user_unit(struct sr_ctx *c, long id, long *org, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.user_unit_id FROM equipment e WHERE e.id = ");
  sr_sql_param_long(&q, id);
  sr_scope_equipment(&q, c, "e");
  PGresult *r = q.overflow ? NULL : sr_db_exec(c->db, q.text.data, q.n, q.params);
  sr_sql_free(&q);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK);
  *org = ok && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  if(ok && *org) {
    char oid[24];
    snprintf(oid, sizeof oid, "%ld", *org);
    const char *p[] = { oid };
    ok = sr_tx_as_system(c, true, pb) &&
         sr_db_command(c->db, "SELECT 1 FROM organization WHERE id = $1 FOR UPDATE", 1, p, pb) &&
         sr_tx_as_system(c, false, pb);
  }
  return ok ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "database error");
}

/* Checks the action's own fields and what they refer to; fills the UPDATE. */
static enum sr_err apply_action(struct sr_ctx *c, const char *action, const cJSON *body,
                                const PGresult *cur, enum sr_status to, struct sr_sql *upd,
                                struct sr_problem *pb)
{
  const char *type = sr_db_get(cur, 0, "type");
  const struct sr_eqtype *t = sr_plugins_type(c->plugins, type);
  if(to == SR_ST_IN_SERVICE && !sr_db_get(cur, 0, "registration_number")) {
    char regno[64];
    if(!t)
      return sr_problem_set(pb, SR_CONFLICT, "The plugin for type '%s' is not loaded.", type);
    if(!assign_regno(c, t, sr_db_get(cur, 0, "variety"), regno, pb))
      return pb->err;
    sr_sql_add(upd, ", registration_number = ");
    sr_sql_param_copy(upd, regno);
  }
  if(strcmp(action, "modify") == 0) {
    if(!t)
      return sr_problem_set(pb, SR_CONFLICT, "The plugin for type '%s' is not loaded.", type);
    cJSON *cur_json = row_json(cur, 0);
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "attributes");
    cJSON_ReplaceItemInObject(cur_json, "attributes", cJSON_Duplicate(attrs, 1));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, "variety");
    if(cJSON_IsString(v) && strcmp(v->valuestring, sr_db_get(cur, 0, "variety")) != 0)
      sr_problem_field(pb, "attributes.variety", "cannot change: it is part of the equipment code");
    if(sr_plugins_validate(c->plugins, t, cur_json, pb) == SR_OK) {
      char rule[96];
      snprintf(rule, sizeof rule, "%s@%s", t->file, t->version);
      char *text = sr_json_text(attrs);
      sr_sql_add(upd, ", attributes = ");
      sr_sql_param_copy(upd, text);
      free(text);
      sr_sql_add(upd, "::jsonb, rule = ");
      sr_sql_param_copy(upd, rule);
    }
    cJSON_Delete(cur_json);
    return pb->err;
  }
  if(strcmp(action, "relocate") == 0) {
    const char *jur = sr_json_string(body, "jurisdiction", false, 16, pb);
    const char *addr = cJSON_GetObjectItem(body, "address")->valuestring;
    if(jur && strcmp(jur, sr_db_get(cur, 0, "jurisdiction")) != 0) {
      int ok = jurisdiction_current(c, jur);
      if(ok < 0)
        return sr_problem_set(pb, SR_INTERNAL, "database error");
      if(!ok) {
        sr_problem_field(pb, "jurisdiction", "is not a current district-level jurisdiction of the city");
        return pb->err;
      }
      if(c->who.role == SR_ROLE_DISTRICT)
        return sr_problem_set(pb, SR_FORBIDDEN, "Moving equipment to another jurisdiction needs the city supervisor.");
      sr_sql_add(upd, ", jurisdiction = ");
      sr_sql_param(upd, jur);
    }
    sr_sql_add(upd, ", address = ");
    sr_sql_param(upd, addr);
    return pb->err;
  }
  if(strcmp(action, "transfer") == 0) {
    const char *unit = cJSON_GetObjectItem(body, "user_unit")->valuestring;
    long id = user_unit_id(c, unit);
    if(id < 0)
      return sr_problem_set(pb, SR_INTERNAL, "database error");
    if(id == 0) {
      sr_problem_field(pb, "user_unit", "no user unit is registered with this credit code");
      return pb->err;
    }
    if(id == atol(sr_db_get(cur, 0, "user_unit_id"))) {
      sr_problem_field(pb, "user_unit", "is already the user unit of this equipment");
      return pb->err;
    }
    sr_sql_add(upd, ", user_unit_id = ");
    sr_sql_param_long(upd, id);
    return pb->err;
  }
  if(strcmp(action, "rename") == 0) /* 使用单位更名: asked through this unit, authorized on its user unit */
    return sr_org_rename(c, atol(sr_db_get(cur, 0, "user_unit_id")), atol(sr_db_get(cur, 0, "id")),
                         cJSON_GetObjectItem(body, "user_unit_name")->valuestring,
                         cJSON_GetObjectItem(body, "reason")->valuestring, pb);
  return pb->err;
}

/* What a transfer or relocation of <cur> to <after> changed, in words, for the records that
 * follow the unit. */
static void describe_move(const char *action, const PGresult *cur, const char *after, const char *reason,
                          char *out, size_t n)
{
  cJSON *was = row_json(cur, 0), *now = cJSON_Parse(after);
  bool transfer = strcmp(action, "transfer") == 0;
  const char *key = transfer ? "user_unit" : "jurisdiction";
  const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(was, key)), *b = cJSON_GetStringValue(cJSON_GetObjectItem(now, key));
  snprintf(out, n, "equipment %s %s from %s to %s: %s", sr_db_get(cur, 0, "id"), transfer ? "transferred" : "relocated",
           a ? a : "?", b ? b : "?", reason);
  sr_utf8_trim(out);
  cJSON_Delete(was);
  cJSON_Delete(now);
}

static const char *const transition_common[] = { "action", "reason" };

static enum sr_err check_transition_body(const cJSON *body, const struct sr_action **act,
                                         struct sr_problem *pb)
{
  const char *name = sr_json_string(body, "action", true, 32, pb);
  sr_json_string(body, "reason", true, SR_MAX_STRING, pb);
  *act = name ? sr_action_find(name) : NULL;
  if(name && !*act)
    sr_problem_field(pb, "action", "must be one of: %s", sr_action_names());
  if(!*act)
    return pb->err;
  const char *allowed[8];
  int n = 0;
  allowed[n++] = transition_common[0];
  allowed[n++] = transition_common[1];
  for(const char *const *f = (*act)->fields; *f && n < 7; f++)
    allowed[n++] = *f;
  allowed[n] = NULL;
  sr_json_only(body, allowed, pb);
  for(const char *const *f = (*act)->required; *f; f++) {
    if(strcmp(*f, "attributes") == 0) {
      const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "attributes");
      if(!cJSON_IsObject(a))
        sr_problem_field(pb, "attributes", a ? "must be an object" : "is required");
    }
    else
      sr_json_string(body, *f, true, *f[0] == 'a' ? 500 : 200, pb);
  }
  if(strcmp((*act)->name, "relocate") == 0)
    sr_json_string(body, "jurisdiction", false, 16, pb);
  return pb->err;
}

enum sr_err sr_equipment_transition(struct sr_ctx *c, long id, const struct sr_versions *if_match,
                                    const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  const struct sr_action *act;
  if(check_transition_body(body, &act, pb) != SR_OK)
    return pb->err;
  const char *reason = cJSON_GetObjectItem(body, "reason")->valuestring;
  if(!sr_tx_begin(c, pb))
    return pb->err;
  /* A rename locks the user unit before any of its units, as every rename of it does: two
   * through different units of one organization queue instead of deadlocking. */
  long org = 0;
  if(strcmp(act->name, "rename") == 0 && lock_user_unit(c, id, &org, pb) != SR_OK) {
    sr_tx_rollback(c);
    return pb->err;
  }
  PGresult *cur = NULL;
  if(fetch(c, id, true, &cur, pb) != SR_OK) {
    /* Locking needs the right to write (row-level security): a caller who may read the row
     * but not change it is told so, not that the row is missing. */
    if(pb->err == SR_NOT_FOUND && fetch(c, id, false, &cur, pb) == SR_OK) {
      PQclear(cur);
      sr_problem_set(pb, SR_FORBIDDEN, "Your role may not change equipment %ld.", id);
    }
    sr_tx_rollback(c);
    return pb->err;
  }
  long version = atol(sr_db_get(cur, 0, "version"));
  enum sr_status from = (enum sr_status)sr_status_parse(sr_db_get(cur, 0, "status")), to = from;
  enum sr_err rc = SR_OK;
  if(org && org != atol(sr_db_get(cur, 0, "user_unit_id")))
    rc = sr_problem_set(pb, SR_CONFLICT, "Equipment %ld changed hands while it was being renamed; read it again.", id);
  else if(!sr_versions_has(if_match, version))
    rc = sr_problem_set(pb, SR_PRECONDITION, "The equipment is at version %ld, which If-Match does not name; read "
                        "it again.", version);
  else if((rc = sr_lifecycle_check(act->name, from, c->who.role, &to)) != SR_OK)
    sr_problem_set(pb, rc,
                   rc == SR_CONFLICT ? "'%s' is not possible while the equipment is %s."
                                     : "Your role may not '%s' equipment that is %s.",
                   act->name, sr_status_name(from));
  struct sr_sql upd;
  sr_sql_init(&upd, "UPDATE equipment e SET status = ");
  sr_sql_param(&upd, sr_status_name(to));
  if(rc == SR_OK)
    rc = apply_action(c, act->name, body, cur, to, &upd, pb);
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  sr_sql_add(&upd, ", version = e.version + 1, updated_at = now() WHERE e.id = ");
  sr_sql_param(&upd, ids);
  sr_sql_add(&upd, " RETURNING e.jurisdiction, " EQ_JSON);
  PGresult *r = NULL;
  if(rc == SR_OK && !upd.overflow) {
    r = sr_db_exec(c->db, upd.text.data, upd.n, upd.params);
    if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1)
      rc = sr_problem_set(pb, sr_db_classify(r) == SR_DB_RLS ? SR_FORBIDDEN : SR_INTERNAL,
                          "The change could not be stored.");
  }
  sr_sql_free(&upd);
  cJSON *rec = NULL;
  char *after = NULL;
  if(rc == SR_OK && (refresh_and_read(c, ids, act->name, &rec, &after, pb) != SR_OK ||
                     !record_change(c, ids, act->name, sr_status_name(from), sr_status_name(to), reason,
                                    sr_db_get(cur, 0, "j"), after, sr_db_get(r, 0, "jurisdiction"), pb)))
    rc = pb->err != SR_OK ? pb->err : SR_INTERNAL;
  /* The unit's rectifications go where it goes, in this transaction (a relocation within the
   * district changes no scope, and they stay). */
  if(rc == SR_OK && (strcmp(act->name, "transfer") == 0 || strcmp(act->name, "relocate") == 0)) {
    char note[SR_MAX_STRING + 200];
    describe_move(act->name, cur, after, reason, note, sizeof note);
    rc = sr_rectification_follow(c, id, act->name, note, pb);
  }
  free(after);
  PQclear(cur);
  PQclear(r);
  if(rc != SR_OK || !rec || !sr_tx_commit(c, pb)) {
    cJSON_Delete(rec);
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "internal error");
  }
  *out = rec;
  return SR_OK;
}
