/* auth.h -- accounts and bearer tokens: create one (stored as a SHA-256 hash), resolve one. */
#ifndef sr_auth_h
#define sr_auth_h

#include <stdbool.h>

#include "ctx.h"

/* What a new token is for: its account's role, scope and name, and when it ends. */
struct sr_token_spec {
  const char *role, *jurisdiction, *credit_code, *name;
  const char *expires; /* "90d" (days from today), "YYYY-MM-DD", "never", or NULL for the default */
};

/* A token as created: its id (for `sereg token revoke`), its account and its expiry. */
struct sr_token_info {
  long id, account_id;
  char expires[24]; /* the instant it ends, RFC 3339 UTC, or "" when it never does */
};

/* The role an account is created with, by its name: any but the system's; SR_ROLE_NONE with the
 * field 'role' in <pb> otherwise. */
enum sr_role sr_auth_role(const char *name, struct sr_problem *pb);

/* Creates an account per <spec> and a token for it, in one transaction with its audit record.
 * The token is written to <token> and exists nowhere else. */
bool sr_token_create(struct sr_ctx *c, const struct sr_token_spec *spec, char token[48], struct sr_token_info *info,
                     struct sr_problem *pb);

/* Revokes tokens with their audit records, in one transaction: the token <id> when it is not 0,
 * else the token whose value is <token> when not NULL, else every live token of <account>.
 * *count is how many were revoked; naming a token that does not exist is SR_NOT_FOUND. */
bool sr_token_revoke(struct sr_ctx *c, long id, const char *token, long account, const char *reason, int *count,
                     struct sr_problem *pb);

/* Lists tokens (every one, or <account>'s when it is not 0): id, account, role, name, created,
 * expires, revoked. Never a token's value or hash. Caller owns *out. */
bool sr_token_list(struct sr_ctx *c, long account, cJSON **out, struct sr_problem *pb);

/* Checks that <role> comes with the scope it needs (a jurisdiction for a district supervisor or
 * a coordinator, the credit code of an organization of its kind for a user unit or an agency)
 * and nothing else, in the caller's transaction; the organization's id into <org_id>. False
 * with a field error ("jurisdiction", "org") otherwise. */
bool sr_auth_check_scope(struct sr_ctx *c, enum sr_role role, const char *jurisdiction, const char *credit_code,
                         char org_id[32], struct sr_problem *pb);

/* Resolves "Bearer <token>" (the whole header value) into <out>. SR_UNAUTHORIZED when it is
 * missing, malformed, unknown, expired or revoked, or its account is disabled; SR_UNAVAILABLE
 * when the database fails. */
enum sr_err sr_authenticate(PGconn *db, const char *authorization, struct sr_principal *out);

#endif
