/* auth.c -- see auth.h. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "record.h"
#include "tx.h"
#include "log.h"
#include "sr_limits.h"

#define STR_(x) #x
#define STR(x) STR_(x)

bool sr_auth_check_scope(struct sr_ctx *c, enum sr_role role, const char *jurisdiction,
                         const char *credit_code, char org_id[32], struct sr_problem *pb)
{
  bool needs_j = role == SR_ROLE_DISTRICT || role == SR_ROLE_COORDINATOR;
  bool needs_org = role == SR_ROLE_USER_UNIT || role == SR_ROLE_AGENCY;
  if(needs_j != (jurisdiction && *jurisdiction)) {
    sr_problem_field(pb, "jurisdiction", needs_j ? "is required for this role" : "applies only to "
                                                   "district_supervisor and coordinator");
    return false;
  }
  if(needs_org != (credit_code && *credit_code)) {
    sr_problem_field(pb, "org", needs_org ? "is required for this role" : "applies only to "
                                            "user_unit and agency");
    return false;
  }
  if(needs_j) {
    const char *p[] = { jurisdiction };
    PGresult *r = sr_db_exec(c->db,
                             "SELECT 1 FROM jurisdiction WHERE code = $1 AND kind <> 'city' AND valid_to IS NULL",
                             1, p);
    bool found = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
    PQclear(r);
    if(!found) {
      sr_problem_field(pb, "jurisdiction", "is not a current district-level jurisdiction");
      return false;
    }
  }
  if(needs_org) {
    const char *p[] = { credit_code, role == SR_ROLE_AGENCY ? "agency" : "user_unit" };
    PGresult *r = sr_db_exec(c->db, "SELECT id FROM organization WHERE credit_code = $1 AND kind = $2", 2, p);
    bool found = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
    if(found)
      snprintf(org_id, 32, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if(!found) {
      sr_problem_field(pb, "org", "no organization of kind %s has this credit code", p[1]);
      return false;
    }
  }
  return true;
}

/* The expiry of a new token from <spec> ("90d", "YYYY-MM-DD", "never", NULL: the default): a
 * date into <date>, or a number of days into <days>, or neither for never. Tokens live in real
 * time, not in the SEREG_NOW of a replay, so the database's clock turns either into an instant.
 * False with a field error when <spec> is malformed. */
static bool expiry(const char *spec, char date[11], char days[16], struct sr_problem *pb)
{
  date[0] = days[0] = '\0';
  if(spec && strcmp(spec, "never") == 0)
    return true;
  long n = SR_TOKEN_DEFAULT_DAYS;
  size_t len = spec ? strlen(spec) : 0;
  struct sr_date d;
  if(spec && len >= 2 && len < 16 && spec[len - 1] == 'd') {
    char num[16];
    snprintf(num, sizeof num, "%.*s", (int)(len - 1), spec);
    if(!sr_parse_long(num, 1, SR_TOKEN_MAX_DAYS, &n)) {
      sr_problem_field(pb, "expires", "takes 1d to %dd, a date YYYY-MM-DD or never", SR_TOKEN_MAX_DAYS);
      return false;
    }
  }
  else if(spec) {
    if(!sr_date_parse(spec, &d)) {
      sr_problem_field(pb, "expires", "takes Nd (days), a date YYYY-MM-DD or never");
      return false;
    }
    sr_date_format(d, date);
    return true;
  }
  snprintf(days, 16, "%ld", n);
  return true;
}

enum sr_role sr_auth_role(const char *name, struct sr_problem *pb)
{
  enum sr_role role = sr_role_parse(name ? name : "");
  if(role != SR_ROLE_NONE && role != SR_ROLE_SYSTEM)
    return role;
  sr_problem_field(pb, "role", "must be one of city_supervisor, district_supervisor, agency, "
                               "user_unit, coordinator, admin");
  return SR_ROLE_NONE;
}

bool sr_token_create(struct sr_ctx *c, const struct sr_token_spec *spec, char token[48], struct sr_token_info *info,
                     struct sr_problem *pb)
{
  const char *role_name = spec->role ? spec->role : "";
  enum sr_role role = sr_auth_role(role_name, pb);
  if(role == SR_ROLE_NONE)
    return false;
  char org_id[32] = "", until[11], days[16];
  if(!expiry(spec->expires, until, days, pb))
    return false;
  if(!sr_random_token(token)) {
    sr_problem_set(pb, SR_INTERNAL, "the system random source failed");
    return false;
  }
  char hash[65];
  sr_sha256_hex(token, strlen(token), hash);
  if(!sr_tx_begin(c, pb))
    return false;
  /* In the transaction, as its caller: organizations have row policies. */
  if(!sr_auth_check_scope(c, role, spec->jurisdiction, spec->credit_code, org_id, pb)) {
    sr_tx_rollback(c);
    return false;
  }
  char label[128];
  snprintf(label, sizeof label, "%s", spec->name && *spec->name ? spec->name : role_name);
  sr_utf8_trim(label);
  /* A date expires at the end of that day in Asia/Shanghai, where its users are; it must be
   * a day to come, and at most SR_TOKEN_MAX_DAYS away. */
  const char *p[] = { label, role_name, spec->jurisdiction && *spec->jurisdiction ? spec->jurisdiction : NULL,
                      org_id[0] ? org_id : NULL, hash, until[0] ? until : NULL, days[0] ? days : NULL };
  PGresult *r = sr_db_exec(c->db,
                           "WITH x AS (SELECT CASE WHEN $6::date IS NOT NULL THEN ($6::date + 1)::timestamp AT TIME ZONE "
                           "  'Asia/Shanghai' WHEN $7::int IS NOT NULL THEN now() + make_interval(days => $7::int) END AS at "
                           "  WHERE $6::date IS NULL OR $6::date BETWEEN (now() AT TIME ZONE 'Asia/Shanghai')::date + 1 "
                           "  AND (now() AT TIME ZONE 'Asia/Shanghai')::date + " STR(SR_TOKEN_MAX_DAYS) "), "
                           "a AS (INSERT INTO account (name, role, jurisdiction, org_id) SELECT $1, $2, $3, $4 FROM x "
                           "  RETURNING id) "
                           "INSERT INTO api_token (account_id, token_hash, expires_at) SELECT a.id, $5, x.at FROM a, x "
                           "RETURNING account_id, id, coalesce(to_char(expires_at AT TIME ZONE 'UTC', "
                           "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') AS expires",
                           7, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK);
  bool stored = ok && PQntuples(r) == 1;
  if(stored) {
    info->account_id = atol(PQgetvalue(r, 0, 0));
    info->id = atol(PQgetvalue(r, 0, 1));
    snprintf(info->expires, sizeof info->expires, "%s", PQgetvalue(r, 0, 2));
  }
  PQclear(r);
  if(!stored) {
    sr_tx_rollback(c);
    if(ok)
      sr_problem_field(pb, "expires", "must be a day after today and at most %d days ahead", SR_TOKEN_MAX_DAYS);
    else
      sr_problem_set(pb, SR_INTERNAL, "could not store the account");
    return false;
  }
  char tokid[32];
  snprintf(tokid, sizeof tokid, "%ld", info->id);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddNumberToObject(d, "account_id", (double)info->account_id);
  cJSON_AddStringToObject(d, "role", role_name);
  if(spec->jurisdiction && *spec->jurisdiction)
    cJSON_AddStringToObject(d, "jurisdiction", spec->jurisdiction);
  if(spec->credit_code && *spec->credit_code)
    cJSON_AddStringToObject(d, "org", spec->credit_code);
  if(info->expires[0])
    cJSON_AddStringToObject(d, "expires_at", info->expires);
  else
    cJSON_AddNullToObject(d, "expires_at");
  cJSON *change = sr_change_new();
  sr_change_audit(change, "token.create", "api_token", tokid, d);
  return sr_record_commit(c, change, pb);
}

bool sr_token_revoke(struct sr_ctx *c, long id, const char *token, long account, const char *reason, int *count,
                     struct sr_problem *pb)
{
  *count = 0;
  char ids[32] = "", accs[32] = "", hash[65] = "";
  if(id > 0)
    snprintf(ids, sizeof ids, "%ld", id);
  else if(token)
    sr_sha256_hex(token, strlen(token), hash);
  else
    snprintf(accs, sizeof accs, "%ld", account);
  if(reason && strlen(reason) > 500) {
    sr_problem_field(pb, "reason", "must be at most 500 bytes");
    return false;
  }
  if(!sr_tx_begin(c, pb))
    return false;
  /* One statement: the tokens revoked and an audit record for each. */
  const char *p[] = { ids[0] ? ids : NULL, hash[0] ? hash : NULL, accs[0] ? accs : NULL, reason };
  PGresult *r = sr_db_exec(c->db,
                           "WITH t AS (UPDATE api_token SET revoked_at = now(), revoked_reason = $4 "
                           "  WHERE revoked_at IS NULL AND (id = $1::bigint OR token_hash = $2 OR account_id = $3::bigint) "
                           "  RETURNING id, account_id), "
                           "rec AS (SELECT sereg_record(jsonb_agg(jsonb_build_object('audit', jsonb_build_object("
                           "  'action', 'token.revoke', 'target_type', 'api_token', 'target_id', id::text, "
                           "  'detail', jsonb_build_object('account_id', account_id, 'reason', $4::text))))) FROM t) "
                           "SELECT count(*) AS n, (SELECT count(*) FROM api_token WHERE id = $1::bigint OR token_hash = $2 "
                           "  OR account_id = $3::bigint) AS known, (SELECT count(*) FROM rec) AS recorded FROM t",
                           4, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  if(ok) {
    *count = atoi(sr_db_get(r, 0, "n"));
    if(atoi(sr_db_get(r, 0, "known")) == 0) {
      sr_problem_set(pb, SR_NOT_FOUND, id > 0 ? "No token %ld." : token ? "No such token." : "Account %ld has no tokens.",
                     id > 0 ? id : account);
      ok = false;
    }
  }
  else
    sr_problem_set(pb, SR_INTERNAL, "database error");
  PQclear(r);
  ok = ok && sr_tx_commit(c, pb);
  if(!ok)
    sr_tx_rollback(c);
  return ok;
}

bool sr_token_list(struct sr_ctx *c, long account, cJSON **out, struct sr_problem *pb)
{
  char accs[32] = "";
  if(account > 0)
    snprintf(accs, sizeof accs, "%ld", account);
  const char *p[] = { accs[0] ? accs : NULL };
  PGresult *r = sr_db_exec(c->db,
                           "SELECT coalesce(jsonb_agg(jsonb_build_object('id', t.id, 'account_id', a.id, 'name', a.name, "
                           "'role', a.role, 'jurisdiction', a.jurisdiction, 'org', o.credit_code, "
                           "'created_at', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                           "'expires_at', to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                           "'revoked_at', to_char(t.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                           "'state', CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= now() "
                           "  THEN 'expired' WHEN a.disabled_at IS NOT NULL THEN 'disabled' ELSE 'live' END) "
                           "ORDER BY t.id), '[]')::text FROM api_token t JOIN account a ON a.id = t.account_id "
                           "LEFT JOIN organization o ON o.id = a.org_id WHERE $1::bigint IS NULL OR a.id = $1::bigint",
                           1, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  *out = ok ? cJSON_Parse(PQgetvalue(r, 0, 0)) : NULL;
  PQclear(r);
  if(!*out)
    sr_problem_set(pb, SR_INTERNAL, "database error");
  return *out != NULL;
}

enum sr_err sr_authenticate(PGconn *db, const char *authorization, struct sr_principal *out)
{
  if(!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
    return SR_UNAUTHORIZED;
  const char *tok = authorization + 7;
  while(*tok == ' ')
    tok++;
  size_t n = strlen(tok);
  if(n < 10 || n > 100)
    return SR_UNAUTHORIZED;
  char hash[65];
  sr_sha256_hex(tok, n, hash);
  const char *p[] = { hash };
  PGresult *r = sr_db_exec(db,
                           "SELECT a.id, a.role, coalesce(a.jurisdiction, '') AS jurisdiction, "
                           "coalesce(a.org_id, 0) AS org_id FROM api_token t JOIN account a ON a.id = t.account_id "
                           "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL "
                           "AND (t.expires_at IS NULL OR t.expires_at > now())",
                           1, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return SR_UNAVAILABLE;
  }
  enum sr_err rc = SR_UNAUTHORIZED;
  if(PQntuples(r) == 1) {
    memset(out, 0, sizeof *out);
    out->account_id = atol(PQgetvalue(r, 0, 0));
    out->role = sr_role_parse(PQgetvalue(r, 0, 1));
    snprintf(out->jurisdiction, sizeof out->jurisdiction, "%s", PQgetvalue(r, 0, 2));
    out->org_id = atol(PQgetvalue(r, 0, 3));
    rc = out->role == SR_ROLE_NONE ? SR_UNAUTHORIZED : SR_OK;
  }
  PQclear(r);
  return rc;
}
