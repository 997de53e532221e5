/* subscription.c -- see subscription.h. */
#include "subscription.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "delivery.h"
#include "ident.h"
#include "json.h"
#include "net.h"
#include "notice.h"
#include "plugin.h"
#include "record.h"
#include "seal.h"
#include "sign.h"
#include "sql.h"
#include "sr_limits.h"
#include "tx.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* A subscription as its keepers see it: never its secrets. */
#define SUBSCRIPTION_JSON                                                                                         \
  "jsonb_build_object('id', s.id, 'url', s.url, 'event_types', to_jsonb(s.event_types), "                       \
  "'jurisdiction', s.jurisdiction, 'user_unit', (SELECT g.credit_code FROM organization g WHERE g.id = "        \
  "s.user_unit_id), 'audience', sereg_audience(s), 'format', s.format, 'description', s.description, "          \
  "'enabled', s.enabled, 'disabled_reason', s.disabled_reason, 'disabled_at', " TS("s.disabled_at") ", "         \
  "'failing_since', " TS("s.failing_since") ", 'previous_secret_valid_until', "                                   \
  "CASE WHEN s.previous_until > now() THEN " TS("s.previous_until") " END, 'version', s.version, "                 \
  "'created_at', " TS("s.created_at") ", 'updated_at', " TS("s.updated_at") ")::text AS j"

static bool may_subscribe(enum sr_role r)
{
  return r == SR_ROLE_ADMIN || r == SR_ROLE_CITY || r == SR_ROLE_DISTRICT || r == SR_ROLE_USER_UNIT ||
         r == SR_ROLE_SYSTEM;
}

/* The one scope filter of subscriptions (row-level security applies the same rule again). */
static void scope(struct sr_sql *q, const struct sr_ctx *c)
{
  char org[32];
  switch(c->who.role) {
  case SR_ROLE_DISTRICT:
    sr_sql_add(q, " AND s.jurisdiction = ");
    sr_sql_param_copy(q, c->who.jurisdiction);
    break;
  case SR_ROLE_USER_UNIT:
    snprintf(org, sizeof org, "%ld", c->who.org_id);
    sr_sql_add(q, " AND s.user_unit_id = ");
    sr_sql_param_copy(q, org);
    break;
  case SR_ROLE_ADMIN:
  case SR_ROLE_CITY:
  case SR_ROLE_SYSTEM:
    break;
  default:
    sr_sql_add(q, " AND false");
  }
}

/* Checks <types> (a JSON array of event types, prefixes "x.*" or "*") against the event_type
 * table; returns them as a PostgreSQL array literal (malloc'd) or NULL with a field error. */
static char *event_types(struct sr_ctx *c, const cJSON *types, struct sr_problem *pb)
{
  if(!cJSON_IsArray(types) || cJSON_GetArraySize(types) < 1 || cJSON_GetArraySize(types) > 64) {
    sr_problem_field(pb, "event_types", "must be a list of 1 to 64 event types, such as \"hazard.escalated\" or "
                                        "\"hazard.*\"");
    return NULL;
  }
  PGresult *known = sr_db_exec(c->db, "SELECT string_agg(name, ',' ORDER BY name) FROM event_type", 0, NULL);
  if(!sr_db_ok(known, PGRES_TUPLES_OK) || PQntuples(known) != 1) {
    PQclear(known);
    sr_problem_set(pb, SR_INTERNAL, "database error");
    return NULL;
  }
  const char *names = PQgetvalue(known, 0, 0);
  struct sr_buf lit;
  sr_buf_init(&lit, 64 * 80);
  sr_buf_append(&lit, "{", 1);
  int i = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, types)
  {
    const char *s = cJSON_IsString(t) ? t->valuestring : NULL;
    size_t n = s ? strlen(s) : 0;
    bool shape = s && n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz_.*") == n;
    bool found = false;
    if(shape) {
      bool prefix = n >= 2 && strcmp(s + n - 2, ".*") == 0;
      /* Compare against each known name: exact, or by the prefix before ".*". */
      for(const char *p = names; *p && !found;) {
        size_t len = strcspn(p, ",");
        found = strcmp(s, "*") == 0 || (prefix ? len > n - 1 && strncmp(p, s, n - 1) == 0
                                               : len == n && strncmp(p, s, n) == 0);
        p += len + (p[len] == ',');
      }
    }
    if(!found) {
      char field[32];
      snprintf(field, sizeof field, "event_types[%d]", i);
      sr_problem_field(pb, field, "is not an event type sereg writes, a prefix of some (\"hazard.*\") or \"*\"; "
                                  "the types are %s", names);
    }
    else {
      if(i)
        sr_buf_append(&lit, ",", 1);
      sr_buf_append(&lit, s, n); /* checked to hold no quote, comma or brace */
    }
    i++;
  }
  PQclear(known);
  sr_buf_append(&lit, "}", 2);
  if(pb->err != SR_OK) {
    sr_buf_free(&lit);
    return NULL;
  }
  return lit.data;
}

static bool check_url(const char *url, struct sr_problem *pb)
{
  char why[512];
  if(url && !sr_net_url_check(sr_net_policy(), url, why, sizeof why)) {
    sr_problem_field(pb, "url", "%s", why);
    return false;
  }
  return true;
}

/* The record of <id> as its keeper may see it, locked when <lock>; NULL with the problem set. */
static PGresult *fetch(struct sr_ctx *c, long id, bool lock, struct sr_problem *pb)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT s.id, s.version, s.enabled, s.secret, s.url, s.jurisdiction, " SUBSCRIPTION_JSON
                  " FROM subscription s WHERE s.id = ");
  sr_sql_param_long(&q, id);
  scope(&q, c);
  if(lock)
    sr_sql_add(&q, " FOR UPDATE OF s");
  PGresult *r = sr_sql_exec(c, &q, pb);
  if(r && PQntuples(r) != 1) {
    PQclear(r);
    r = NULL;
    sr_problem_set(pb, SR_NOT_FOUND, "There is no subscription %ld that you may see.", id);
  }
  return r;
}

/* Audits <action> on subscription <id>, with <detail> (taken), and commits. */
static bool audit_commit(struct sr_ctx *c, const char *action, const char *id, cJSON *detail, struct sr_problem *pb)
{
  cJSON *change = sr_change_new();
  sr_change_audit(change, action, "subscription", id, detail);
  return sr_record_commit(c, change, pb);
}

static void add_public_url(cJSON *detail, const char *url)
{
  char shown[SR_WEBHOOK_MAX_URL + 1];
  sr_notice_url_public(url, shown, sizeof shown);
  cJSON_AddStringToObject(detail, "url", shown);
}

static const char *const create_fields[] = { "url", "event_types", "jurisdiction", "user_unit", "format",
                                             "description", NULL };

enum sr_err sr_subscription_create(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  enum sr_role role = c->who.role;
  if(!may_subscribe(role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
  sr_json_only(body, create_fields, pb);
  const char *url = sr_json_string(body, "url", true, SR_WEBHOOK_MAX_URL, pb);
  const char *jur = sr_json_string(body, "jurisdiction", false, 16, pb);
  const char *unit = sr_json_string(body, "user_unit", false, 18, pb);
  const char *format = sr_json_string(body, "format", false, 32, pb);
  const char *desc = sr_json_string(body, "description", false, SR_MAX_STRING, pb);
  if(!format)
    format = "standard";
  if(strcmp(format, "standard") != 0 && !sr_plugins_format(c->plugins, format)) {
    char known[512] = "standard";
    for(int i = 0; i < sr_plugins_nformats(c->plugins); i++) {
      size_t l = strlen(known);
      snprintf(known + l, sizeof known - l, ", %s", sr_plugins_format_at(c->plugins, i)->name);
    }
    sr_problem_field(pb, "format", "is not a notice format of the loaded plugins: %s", known);
  }
  if(unit && sr_uscc_check(unit) == SR_USCC_FORMAT)
    sr_problem_field(pb, "user_unit", "must be a unified social credit code of 18 characters");
  /* Who may use which scope. */
  char own[32] = "";
  if(role == SR_ROLE_DISTRICT) {
    if(jur && strcmp(jur, c->who.jurisdiction) != 0)
      sr_problem_field(pb, "jurisdiction", "must be your own district, %s", c->who.jurisdiction);
    jur = c->who.jurisdiction;
  }
  if(role == SR_ROLE_USER_UNIT) {
    if(unit)
      sr_problem_field(pb, "user_unit", "is your own organization's, and is not to be given");
    snprintf(own, sizeof own, "%ld", c->who.org_id);
  }
  if(pb->err != SR_OK)
    return pb->err;
  if(!check_url(url, pb))
    return pb->err;
  if(!sr_seal_ready())
    return sr_problem_set(pb, SR_UNAVAILABLE, "Notices are not set up on this server: it has no key to keep "
                                              "secrets with (SEREG_SECRET_KEY_FILE).");
  if(!sr_tx_begin(c, pb))
    return pb->err;
  char *types = event_types(c, cJSON_GetObjectItemCaseSensitive(body, "event_types"), pb);
  PGresult *r = NULL;
  char id[32] = "", secret[SR_SIGN_SECRET_TEXT], context[64];
  char *sealed = NULL;
  if(types) {
    /* The id first: the secret is sealed for its row. */
    r = sr_db_exec(c->db, "SELECT nextval(pg_get_serial_sequence('subscription', 'id'))", 0, NULL);
    if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1)
      snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    snprintf(context, sizeof context, "subscription %s", id);
    if(!id[0] || !sr_sign_secret_new(secret) || !(sealed = sr_seal(secret, context)))
      sr_problem_set(pb, SR_INTERNAL, "could not make the subscription's secret");
  }
  if(pb->err == SR_OK) {
    char account[32];
    const char *p[] = { id,     url,  types, jur, unit, own[0] ? own : NULL, format, desc, sealed,
                        sr_tx_actor_account(c, account), sr_role_name(role) };
    r = sr_db_exec(c->db,
                   "INSERT INTO subscription AS s (id, url, event_types, jurisdiction, user_unit_id, format, "
                   "description, secret, owner_account, owner_role) "
                   "SELECT $1, $2, $3::text[], j.code, coalesce($6::bigint, g.id), $7, $8, $9, $10, $11 "
                   "FROM (SELECT 1) one "
                   "LEFT JOIN jurisdiction j ON j.code = $4 AND j.valid_to IS NULL "
                   "LEFT JOIN organization g ON g.credit_code = $5 AND g.kind = 'user_unit' "
                   "WHERE ($4::text IS NULL OR j.code IS NOT NULL) AND ($5::text IS NULL OR g.id IS NOT NULL) "
                   "RETURNING s.id, " SUBSCRIPTION_JSON,
                   11, p);
    if(!sr_db_ok(r, PGRES_TUPLES_OK))
      sr_db_failure(r, pb, "could not store the subscription");
    else if(PQntuples(r) != 1) {
      if(jur)
        sr_problem_field(pb, "jurisdiction", "is not a current jurisdiction of the city");
      if(unit)
        sr_problem_field(pb, "user_unit", "is not a user unit of the register that you may see");
    }
  }
  free(types);
  free(sealed);
  if(pb->err != SR_OK) {
    PQclear(r);
    sr_tx_rollback(c);
    return pb->err;
  }
  cJSON *rec = cJSON_Parse(sr_db_get(r, 0, "j"));
  PQclear(r);
  cJSON *detail = cJSON_CreateObject();
  add_public_url(detail, url);
  cJSON_AddItemToObject(detail, "event_types", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "event_types"), 1));
  cJSON_AddItemToObject(detail, "jurisdiction", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "jurisdiction"), 1));
  cJSON_AddItemToObject(detail, "user_unit", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "user_unit"), 1));
  cJSON_AddStringToObject(detail, "format", format);
  if(!audit_commit(c, "subscription.create", id, detail, pb)) {
    cJSON_Delete(rec);
    return pb->err;
  }
  cJSON_AddStringToObject(rec, "secret", secret);
  memset(secret, 0, sizeof secret);
  *out = rec;
  return SR_OK;
}

enum sr_err sr_subscription_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  if(!may_subscribe(c->who.role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
  struct sr_sql q;
  sr_sql_init(&q, "SELECT s.id, " SUBSCRIPTION_JSON " FROM subscription s WHERE s.id = ");
  sr_sql_param_long(&q, id);
  scope(&q, c);
  PGresult *r = sr_sql_one(c, &q, "subscription", id, pb);
  if(!r)
    return pb->err;
  *out = cJSON_Parse(sr_db_get(r, 0, "j"));
  PQclear(r);
  return *out ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "database error");
}

enum sr_err sr_subscription_list(struct sr_ctx *c, const struct sr_subscription_filter *f, cJSON **out,
                                 struct sr_problem *pb)
{
  if(!may_subscribe(c->who.role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
  struct sr_sql q;
  sr_sql_init(&q, "SELECT s.id, " SUBSCRIPTION_JSON " FROM subscription s WHERE true");
  scope(&q, c);
  sr_sql_total_here(&q, f->count);
  sr_sql_add(&q, " AND s.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_sql_add(&q, " ORDER BY s.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb);
}

/* Locks <id> for a change at one of the If-Match <versions> (NULL: at any); NULL with the
 * problem set (and the transaction rolled back). */
static PGresult *lock_at(struct sr_ctx *c, long id, const struct sr_versions *versions, struct sr_problem *pb)
{
  if(!may_subscribe(c->who.role)) {
    sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
    return NULL;
  }
  if(!sr_tx_begin(c, pb))
    return NULL;
  PGresult *r = fetch(c, id, true, pb);
  if(r && versions && !sr_versions_has(versions, atol(sr_db_get(r, 0, "version")))) {
    sr_problem_set(pb, SR_PRECONDITION, "The subscription is at version %s, which If-Match does not name; read it "
                   "again.", sr_db_get(r, 0, "version"));
    PQclear(r);
    r = NULL;
  }
  if(!r)
    sr_tx_rollback(c);
  return r;
}

/* Runs <sql>, an UPDATE of one subscription RETURNING its JSON as "j"; the record, or NULL
 * with the problem and the transaction rolled back. */
static cJSON *update_one(struct sr_ctx *c, const char *sql, int n, const char *const *p, struct sr_problem *pb)
{
  PGresult *r = sr_db_exec(c->db, sql, n, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    sr_db_failure(r, pb, "could not store the subscription");
    PQclear(r);
    sr_tx_rollback(c);
    return NULL;
  }
  cJSON *rec = cJSON_Parse(sr_db_get(r, 0, "j"));
  PQclear(r);
  return rec;
}

static const char *const update_fields[] = { "url", "event_types", "enabled", "description", NULL };

enum sr_err sr_subscription_update(struct sr_ctx *c, long id, const struct sr_versions *version,
                                   const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  sr_json_only(body, update_fields, pb);
  const char *url = sr_json_string(body, "url", false, SR_WEBHOOK_MAX_URL, pb);
  const char *desc = sr_json_string(body, "description", false, SR_MAX_STRING, pb);
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(body, "enabled");
  const cJSON *types_in = cJSON_GetObjectItemCaseSensitive(body, "event_types");
  if(en && !cJSON_IsBool(en))
    sr_problem_field(pb, "enabled", "must be true or false");
  if(pb->err == SR_OK && !url && !desc && !en && !types_in)
    sr_problem_set(pb, SR_INVALID, "Give at least one of url, event_types, enabled and description.");
  if(pb->err != SR_OK || !check_url(url, pb))
    return pb->err;
  PGresult *cur = lock_at(c, id, version, pb);
  if(!cur)
    return pb->err;
  char *types = types_in ? event_types(c, types_in, pb) : NULL;
  PQclear(cur);
  if(pb->err != SR_OK) {
    free(types);
    sr_tx_rollback(c);
    return pb->err;
  }
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  const char *enabled = en ? (cJSON_IsTrue(en) ? "true" : "false") : NULL;
  const char *p[] = { ids, url, types, enabled, desc, body && cJSON_HasObjectItem(body, "description") ? "1" : NULL };
  cJSON *rec = update_one(c,
                           "UPDATE subscription s SET url = coalesce($2, s.url), "
                           "event_types = coalesce($3::text[], s.event_types), "
                           "enabled = coalesce($4::boolean, s.enabled), "
                           "description = CASE WHEN $6::text IS NULL THEN s.description ELSE $5 END, "
                           /* enabled again: why it was disabled no longer holds */
                           "disabled_reason = CASE WHEN $4::boolean THEN NULL "
                           "  WHEN NOT $4::boolean AND s.enabled THEN '由订阅管理者停用' ELSE s.disabled_reason END, "
                           "disabled_at = CASE WHEN $4::boolean THEN NULL "
                           "  WHEN NOT $4::boolean AND s.enabled THEN now() ELSE s.disabled_at END, "
                           "failing_since = CASE WHEN $4::boolean THEN NULL ELSE s.failing_since END, "
                           "version = s.version + 1, updated_at = now() WHERE s.id = $1 RETURNING s.id, " SUBSCRIPTION_JSON,
                           6, p, pb);
  free(types);
  if(!rec)
    return pb->err;
  cJSON *detail = cJSON_CreateObject();
  if(url)
    add_public_url(detail, url);
  if(types_in)
    cJSON_AddItemToObject(detail, "event_types", cJSON_Duplicate(types_in, 1));
  if(en)
    cJSON_AddBoolToObject(detail, "enabled", cJSON_IsTrue(en));
  if(desc)
    cJSON_AddStringToObject(detail, "description", desc);
  if(!audit_commit(c, "subscription.update", ids, detail, pb)) {
    cJSON_Delete(rec);
    return pb->err;
  }
  *out = rec;
  return SR_OK;
}

enum sr_err sr_subscription_delete(struct sr_ctx *c, long id, struct sr_problem *pb)
{
  PGresult *cur = lock_at(c, id, NULL, pb);
  if(!cur)
    return pb->err;
  cJSON *detail = cJSON_CreateObject();
  add_public_url(detail, sr_db_get(cur, 0, "url"));
  PQclear(cur);
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  const char *p[] = { ids };
  if(!sr_db_command(c->db, "DELETE FROM subscription WHERE id = $1", 1, p, pb)) {
    cJSON_Delete(detail);
    sr_tx_rollback(c);
    return pb->err;
  }
  return audit_commit(c, "subscription.delete", ids, detail, pb) ? SR_OK : pb->err;
}

enum sr_err sr_subscription_rotate(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  if(!sr_seal_ready())
    return sr_problem_set(pb, SR_UNAVAILABLE, "Notices are not set up on this server: it has no key to keep "
                                              "secrets with (SEREG_SECRET_KEY_FILE).");
  PGresult *cur = lock_at(c, id, NULL, pb);
  if(!cur)
    return pb->err;
  PQclear(cur);
  char ids[32], context[64], secret[SR_SIGN_SECRET_TEXT], overlap[32];
  snprintf(ids, sizeof ids, "%ld", id);
  snprintf(context, sizeof context, "subscription %ld", id);
  snprintf(overlap, sizeof overlap, "%d", SR_WEBHOOK_ROTATION_OVERLAP);
  char *sealed = sr_sign_secret_new(secret) ? sr_seal(secret, context) : NULL;
  if(!sealed) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "could not make the subscription's secret");
  }
  /* The secret in use becomes the previous one, valid for the overlap, sealed as it was. */
  const char *p[] = { ids, sealed, overlap };
  cJSON *rec = update_one(c,
                           "UPDATE subscription s SET previous_secret = s.secret, secret = $2, "
                           "previous_until = now() + make_interval(secs => $3::int), version = s.version + 1, "
                           "updated_at = now() WHERE s.id = $1 RETURNING s.id, " SUBSCRIPTION_JSON,
                           3, p, pb);
  free(sealed);
  if(!rec) {
    memset(secret, 0, sizeof secret);
    return pb->err;
  }
  if(!audit_commit(c, "subscription.rotate_secret", ids, NULL, pb)) {
    cJSON_Delete(rec);
    return pb->err;
  }
  cJSON_AddStringToObject(rec, "secret", secret);
  memset(secret, 0, sizeof secret);
  *out = rec;
  return SR_OK;
}

enum sr_err sr_subscription_ping(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  PGresult *cur = lock_at(c, id, NULL, pb);
  if(!cur)
    return pb->err;
  bool enabled = strcmp(sr_db_get(cur, 0, "enabled"), "t") == 0;
  char jur[24] = "";
  const char *j = sr_db_get(cur, 0, "jurisdiction");
  snprintf(jur, sizeof jur, "%s", j ? j : "");
  PQclear(cur);
  if(!enabled) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_CONFLICT, "Subscription %ld is disabled: enable it first.", id);
  }
  if(!jur[0]) {
    PGresult *r = sr_db_exec(c->db, "SELECT code FROM jurisdiction WHERE kind = 'city' LIMIT 1", 0, NULL);
    if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1)
      snprintf(jur, sizeof jur, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  cJSON *payload = cJSON_CreateObject();
  cJSON_AddStringToObject(payload, "message", "这是一条测试消息：订阅已设置，能收到 sereg 的通知。");
  cJSON_AddNumberToObject(payload, "subscription_id", (double)id);
  cJSON_AddStringToObject(payload, "sent_by", sr_role_name(c->who.role));
  cJSON *change = sr_change_new();
  sr_change_event(change, "subscription.ping", "subscription", ids, jur, payload);
  sr_change_audit(change, "subscription.ping", "subscription", ids, NULL);
  bool ok = sr_record(c, change, pb);
  cJSON_Delete(change);
  /* The ping is for this subscription alone: its event is fanned out here, not by the worker. */
  const char *p[] = { ids };
  PGresult *r = ok ? sr_db_exec(c->db,
                                "WITH o AS (UPDATE outbox SET fanned_out_at = now() "
                                "  WHERE id = currval(pg_get_serial_sequence('outbox', 'id')) RETURNING id, created_at) "
                                "INSERT INTO delivery (subscription_id, outbox_id, message_id, event_at) "
                                "SELECT $1, o.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), o.created_at "
                                "FROM o RETURNING id",
                                1, p)
                   : NULL;
  long did = 0;
  if(ok && (!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1))
    ok = sr_db_failure(r, pb, "could not store the test notice") == SR_OK;
  if(ok)
    did = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  if(!ok || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return pb->err;
  }
  return sr_delivery_get(c, did, out, pb);
}

/* Whether <s> is an instant as RFC 3339 writes it, with its offset: 2026-06-15T08:00:00Z,
 * 2026-06-15T16:00:00.5+08:00. */
static bool instant(const char *s)
{
  struct sr_date d;
  char day[11];
  if(strlen(s) < 20 || strlen(s) > 35)
    return false;
  memcpy(day, s, 10);
  day[10] = '\0';
  if(!sr_date_parse(day, &d) || s[10] != 'T')
    return false;
  int h, m, sec, n = 0;
  if(sscanf(s + 11, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8 || h > 23 || m > 59 || sec > 60)
    return false;
  const char *p = s + 19;
  if(*p == '.') {
    size_t f = strspn(p + 1, "0123456789");
    if(f < 1 || f > 6)
      return false;
    p += 1 + f;
  }
  if(strcmp(p, "Z") == 0)
    return true;
  int oh, om;
  n = 0;
  return (*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 && p[6] == '\0' &&
         oh <= 23 && om <= 59;
}

static const char *const replay_fields[] = { "since", "until", "status", NULL };

enum sr_err sr_subscription_replay(struct sr_ctx *c, long id, const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  sr_json_only(body, replay_fields, pb);
  const char *since = sr_json_string(body, "since", true, 40, pb);
  const char *until = sr_json_string(body, "until", false, 40, pb);
  const char *status = sr_json_string(body, "status", false, 16, pb);
  if(since && !instant(since))
    sr_problem_field(pb, "since", "must be an instant such as 2026-06-15T08:00:00+08:00");
  if(until && !instant(until))
    sr_problem_field(pb, "until", "must be an instant such as 2026-06-16T08:00:00+08:00");
  const char *statuses = "{failed}";
  if(status && strcmp(status, "failed") == 0)
    statuses = "{failed}";
  else if(status && strcmp(status, "delivered") == 0)
    statuses = "{delivered}";
  else if(status && strcmp(status, "all") == 0)
    statuses = "{failed,delivered}";
  else if(status)
    sr_problem_field(pb, "status", "must be one of: failed, delivered, all");
  if(pb->err != SR_OK)
    return pb->err;
  PGresult *cur = lock_at(c, id, NULL, pb);
  if(!cur)
    return pb->err;
  bool enabled = strcmp(sr_db_get(cur, 0, "enabled"), "t") == 0;
  PQclear(cur);
  if(!enabled) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_CONFLICT, "Subscription %ld is disabled: enable it first.", id);
  }
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  const char *p[] = { ids, since, until, statuses };
  PGresult *r = sr_db_exec(c->db,
                           "WITH u AS (UPDATE delivery d SET status = 'pending', attempts = 0, next_attempt_at = now(), "
                           "  lease_until = NULL, leased_by = NULL, delivered_at = NULL "
                           "  WHERE d.subscription_id = $1 AND d.event_at >= $2::timestamptz "
                           "  AND d.event_at < coalesce($3::timestamptz, now()) AND d.status = ANY ($4::text[]) "
                           "  RETURNING 1) SELECT count(*) FROM u",
                           4, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    sr_db_failure(r, pb, "could not replay the deliveries");
    PQclear(r);
    sr_tx_rollback(c);
    return pb->err;
  }
  long n = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "since", since);
  if(until)
    cJSON_AddStringToObject(detail, "until", until);
  cJSON_AddStringToObject(detail, "status", status ? status : "failed");
  cJSON_AddNumberToObject(detail, "replayed", (double)n);
  if(!audit_commit(c, "subscription.replay", ids, detail, pb))
    return pb->err;
  *out = cJSON_CreateObject();
  cJSON_AddNumberToObject(*out, "replayed", (double)n);
  return SR_OK;
}
