/* auth.h -- accounts and bearer tokens: create one (stored as a SHA-256 hash), resolve one. */
#ifndef sr_auth_h
#define sr_auth_h

#include <stdbool.h>

#include "ctx.h"

/* Creates an account with <role> (scoped by <jurisdiction> or the organization <credit_code> as
 * the role needs) and a token for it, in one transaction with its audit record. The token is
 * written to <token> and exists nowhere else. */
bool sr_token_create(struct sr_ctx *c, const char *role, const char *jurisdiction,
                     const char *credit_code, const char *name, char token[48], struct sr_problem *pb);

/* Resolves "Bearer <token>" (the whole header value) into <out>. SR_UNAUTHORIZED when it is
 * missing, malformed, unknown or revoked; SR_UNAVAILABLE when the database fails. */
enum sr_err sr_authenticate(PGconn *db, const char *authorization, struct sr_principal *out);

#endif
