/* account.c -- see account.h. */
#include "account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "db.h"
#include "password.h"
#include "record.h"
#include "tx.h"

/* The instant of parameter $n: the server's clock (clock.h), in milliseconds. */
#define AT(n) "to_timestamp($" #n "::bigint / 1000.0)"
#define UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Length of the space (ASCII, or U+3000) at <s>, or 0. */
static size_t space_at(const char *s)
{
  if(*s == ' ' || *s == '\t')
    return 1;
  return strncmp(s, "\xe3\x80\x80", 3) == 0 ? 3 : 0;
}

bool sr_account_name(const char *in, char name[SR_LOGIN_NAME_MAX_BYTES + 1], char key[SR_LOGIN_NAME_MAX_BYTES + 1],
                     const char *field, struct sr_problem *pb)
{
  name[0] = key[0] = '\0';
  if(!in) {
    sr_problem_field(pb, field, "is required");
    return false;
  }
  size_t n;
  while((n = space_at(in)) > 0)
    in += n;
  size_t len = strlen(in);
  /* Trailing spaces: walk back over whole ones. */
  for(bool cut = true; cut && len > 0;) {
    cut = false;
    if(in[len - 1] == ' ' || in[len - 1] == '\t') {
      len--;
      cut = true;
    }
    else if(len >= 3 && strncmp(in + len - 3, "\xe3\x80\x80", 3) == 0) {
      len -= 3;
      cut = true;
    }
  }
  if(len == 0 || len > SR_LOGIN_NAME_MAX_BYTES || !sr_utf8_valid(in, len)) {
    sr_problem_field(pb, field, "must be 1 to %d characters of UTF-8", SR_LOGIN_NAME_MAX_CHARS);
    return false;
  }
  int chars = 0;
  for(size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)in[i];
    if(c < 0x20 || c == 0x7f || (c == 0xc2 && (unsigned char)in[i + 1] >= 0x80 && (unsigned char)in[i + 1] <= 0x9f)) {
      sr_problem_field(pb, field, "must not contain control characters");
      return false;
    }
    if((c & 0xc0) != 0x80)
      chars++;
  }
  if(chars > SR_LOGIN_NAME_MAX_CHARS) {
    sr_problem_field(pb, field, "must be 1 to %d characters of UTF-8", SR_LOGIN_NAME_MAX_CHARS);
    return false;
  }
  memcpy(name, in, len);
  name[len] = '\0';
  for(size_t i = 0; i <= len; i++)
    key[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
  return true;
}

bool sr_account_create(struct sr_ctx *c, const struct sr_account_spec *spec, long *id, struct sr_problem *pb)
{
  *id = 0;
  const char *role_name = spec->role ? spec->role : "";
  enum sr_role role = sr_auth_role(role_name, pb);
  if(role == SR_ROLE_NONE)
    return false;
  char name[SR_LOGIN_NAME_MAX_BYTES + 1], key[SR_LOGIN_NAME_MAX_BYTES + 1], hash[SR_PASSWORD_HASH_MAX];
  if(!sr_account_name(spec->name, name, key, "name", pb) || !sr_password_rule(name, spec->password, pb))
    return false;
  if(!sr_password_hash(spec->password, hash)) {
    sr_problem_set(pb, SR_INTERNAL, "the password could not be hashed");
    return false;
  }
  if(!sr_tx_begin(c, pb))
    return false;
  char org_id[32] = "", now[24];
  if(!sr_auth_check_scope(c, role, spec->jurisdiction, spec->credit_code, org_id, pb)) {
    sr_tx_rollback(c);
    return false;
  }
  snprintf(now, sizeof now, "%lld", (long long)sr_clock_now_ms());
  const char *p[] = { name, role_name, spec->jurisdiction && *spec->jurisdiction ? spec->jurisdiction : NULL,
                      org_id[0] ? org_id : NULL, key, hash, now };
  PGresult *r = sr_db_exec(c->db,
                           "INSERT INTO account (name, role, jurisdiction, org_id, login_key, password_hash, "
                           "password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, " AT(7) ") "
                           "ON CONFLICT (login_key) DO NOTHING RETURNING id",
                           7, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK);
  if(ok && PQntuples(r) == 1)
    *id = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  if(!*id) {
    sr_tx_rollback(c);
    if(ok) {
      sr_problem_set(pb, SR_CONFLICT, "An account named %s exists already.", name);
      sr_problem_field(pb, "name", "is taken (names are compared with ASCII letters in either case)");
    }
    else
      sr_problem_set(pb, SR_INTERNAL, "could not store the account");
    return false;
  }
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", *id);
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", name);
  cJSON_AddStringToObject(d, "role", role_name);
  if(spec->jurisdiction && *spec->jurisdiction)
    cJSON_AddStringToObject(d, "jurisdiction", spec->jurisdiction);
  if(spec->credit_code && *spec->credit_code)
    cJSON_AddStringToObject(d, "org", spec->credit_code);
  cJSON_AddStringToObject(d, "password_hash", sr_password_params());
  cJSON *change = sr_change_new();
  sr_change_audit(change, "account.create", "account", ids, d);
  return sr_record_commit(c, change, pb);
}

static const char *const change_actions[] = { "account.password", "account.reset", "account.disable",
                                              "account.enable" };

bool sr_account_change(struct sr_ctx *c, const char *name_in, enum sr_account_change what, const char *password,
                       int *sessions, struct sr_problem *pb)
{
  *sessions = 0;
  char name[SR_LOGIN_NAME_MAX_BYTES + 1], key[SR_LOGIN_NAME_MAX_BYTES + 1], hash[SR_PASSWORD_HASH_MAX] = "";
  if(!sr_account_name(name_in, name, key, "name", pb))
    return false;
  bool new_password = what == SR_ACCOUNT_PASSWORD || what == SR_ACCOUNT_RESET;
  if(new_password) {
    if(!sr_password_rule(name, password ? password : "", pb))
      return false;
    if(!sr_password_hash(password, hash)) {
      sr_problem_set(pb, SR_INTERNAL, "the password could not be hashed");
      return false;
    }
  }
  char now[24];
  snprintf(now, sizeof now, "%lld", (long long)sr_clock_now_ms());
  /* A new password ends the sessions logged in with the old one: whoever knew it is out. */
  const char *revoke = what == SR_ACCOUNT_RESET      ? "reset"
                       : what == SR_ACCOUNT_DISABLE  ? "disabled"
                       : what == SR_ACCOUNT_PASSWORD ? "password"
                                                     : NULL;
  const char *p[] = { key, hash[0] ? hash : NULL, now, what == SR_ACCOUNT_RESET ? "true" : "false",
                      what == SR_ACCOUNT_DISABLE ? "disable" : what == SR_ACCOUNT_ENABLE ? "enable" : NULL, revoke };
  if(!sr_tx_begin(c, pb))
    return false;
  PGresult *r = sr_db_exec(c->db,
                           "WITH a AS (UPDATE account SET password_hash = coalesce($2, password_hash), "
                           "  password_changed_at = CASE WHEN $2 IS NOT NULL THEN " AT(3) " "
                           "    ELSE password_changed_at END, "
                           "  failed_logins = CASE WHEN $4::bool THEN 0 ELSE failed_logins END, "
                           "  last_failed_at = CASE WHEN $4::bool THEN NULL ELSE last_failed_at END, "
                           "  locked_until = CASE WHEN $4::bool THEN NULL ELSE locked_until END, "
                           "  disabled_at = CASE $5::text WHEN 'disable' THEN coalesce(disabled_at, " AT(3) ") "
                           "    WHEN 'enable' THEN NULL ELSE disabled_at END "
                           "  WHERE login_key = $1 RETURNING id), "
                           "s AS (UPDATE login_session SET revoked_at = " AT(3) ", revoked_reason = $6 "
                           "  FROM a WHERE $6::text IS NOT NULL AND login_session.account_id = a.id "
                           "  AND login_session.revoked_at IS NULL RETURNING 1) "
                           "SELECT a.id, (SELECT count(*) FROM s) FROM a",
                           6, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK), found = ok && PQntuples(r) == 1;
  char ids[32] = "";
  if(found) {
    snprintf(ids, sizeof ids, "%s", PQgetvalue(r, 0, 0));
    *sessions = atoi(PQgetvalue(r, 0, 1));
  }
  PQclear(r);
  if(!found) {
    sr_tx_rollback(c);
    if(ok)
      sr_problem_set(pb, SR_NOT_FOUND, "No account is named %s.", name);
    else
      sr_problem_set(pb, SR_INTERNAL, "database error");
    return false;
  }
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "name", name);
  if(new_password)
    cJSON_AddStringToObject(d, "password_hash", sr_password_params());
  if(revoke)
    cJSON_AddNumberToObject(d, "sessions_revoked", *sessions);
  cJSON *change = sr_change_new();
  sr_change_audit(change, change_actions[what], "account", ids, d);
  return sr_record_commit(c, change, pb);
}

bool sr_account_list(struct sr_ctx *c, cJSON **out, struct sr_problem *pb)
{
  *out = NULL;
  char now[24];
  snprintf(now, sizeof now, "%lld", (long long)sr_clock_now_ms());
  const char *p[] = { now };
  if(!sr_tx_begin(c, pb)) /* organizations are read under their row policies */
    return false;
  PGresult *r = sr_db_exec(c->db,
                           "SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name, 'role', a.role, "
                           "'jurisdiction', a.jurisdiction, 'org', o.credit_code, "
                           "'state', CASE WHEN a.disabled_at IS NOT NULL THEN 'disabled' "
                           "  WHEN a.locked_until > " AT(1) " THEN 'locked' ELSE 'live' END, "
                           "'sessions', (SELECT count(*) FROM login_session s WHERE s.account_id = a.id "
                           "  AND s.revoked_at IS NULL AND s.expires_at > " AT(1) "), "
                           "'last_login', (SELECT " UTC("max(s.created_at)") " FROM login_session s "
                           "  WHERE s.account_id = a.id)) ORDER BY a.id), '[]')::text "
                           "FROM account a LEFT JOIN organization o ON o.id = a.org_id WHERE a.login_key IS NOT NULL",
                           1, p);
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1)
    *out = cJSON_Parse(PQgetvalue(r, 0, 0));
  PQclear(r);
  sr_tx_rollback(c);
  if(!*out)
    sr_problem_set(pb, SR_INTERNAL, "database error");
  return *out != NULL;
}
