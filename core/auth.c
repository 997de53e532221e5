/* auth.c -- see auth.h. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "log.h"

static bool check_scope(struct sr_ctx *c, enum sr_role role, const char *jurisdiction,
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

bool sr_token_create(struct sr_ctx *c, const char *role_name, const char *jurisdiction,
                     const char *credit_code, const char *name, char token[48], struct sr_problem *pb)
{
  enum sr_role role = sr_role_parse(role_name);
  if(role == SR_ROLE_NONE || role == SR_ROLE_SYSTEM) {
    sr_problem_field(pb, "role", "must be one of city_supervisor, district_supervisor, agency, "
                                 "user_unit, coordinator, admin");
    return false;
  }
  char org_id[32] = "";
  if(!sr_token_new(token)) {
    sr_problem_set(pb, SR_INTERNAL, "the system random source failed");
    return false;
  }
  char hash[65];
  sr_sha256_hex(token, strlen(token), hash);
  if(!sr_tx_begin(c, pb))
    return false;
  /* In the transaction, as its caller: organizations have row policies. */
  if(!check_scope(c, role, jurisdiction, credit_code, org_id, pb)) {
    sr_tx_rollback(c);
    return false;
  }
  char label[128];
  snprintf(label, sizeof label, "%s", name && *name ? name : role_name);
  const char *p[] = { label, role_name, jurisdiction && *jurisdiction ? jurisdiction : NULL,
                      org_id[0] ? org_id : NULL, hash };
  PGresult *r = sr_db_exec(c->db,
                           "WITH a AS (INSERT INTO account (name, role, jurisdiction, org_id) "
                           "VALUES ($1, $2, $3, $4) RETURNING id) "
                           "INSERT INTO api_token (account_id, token_hash) SELECT id, $5 FROM a "
                           "RETURNING account_id, id",
                           5, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  char account[32] = "", tokid[32] = "";
  if(ok) {
    snprintf(account, sizeof account, "%s", PQgetvalue(r, 0, 0));
    snprintf(tokid, sizeof tokid, "%s", PQgetvalue(r, 0, 1));
  }
  PQclear(r);
  if(!ok) {
    sr_tx_rollback(c);
    sr_problem_set(pb, SR_INTERNAL, "could not store the account");
    return false;
  }
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "account_id", account);
  cJSON_AddStringToObject(d, "role", role_name);
  if(jurisdiction && *jurisdiction)
    cJSON_AddStringToObject(d, "jurisdiction", jurisdiction);
  if(credit_code && *credit_code)
    cJSON_AddStringToObject(d, "org", credit_code);
  ok = sr_audit(c, "token.create", "api_token", tokid, d, pb) && sr_tx_commit(c, pb);
  cJSON_Delete(d);
  if(!ok)
    sr_tx_rollback(c);
  return ok;
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
                           "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL",
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
