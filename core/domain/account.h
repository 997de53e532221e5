/*
 * account.h -- accounts of people who log in: a login name as its owner writes it ('王监察',
 * 'wangjc'), unique by its bytes with ASCII letters in lower case (no Unicode normalisation: a
 * Chinese input method writes one form, and two forms of one name are two names), a password
 * held to the complexity rule and kept as its Argon2id hash (password.h), disabled and enabled,
 * reset (a new password, unlocked, its sessions revoked). Each change is one transaction with
 * its audit record. `sereg account ...` is the edge that calls them.
 */
#ifndef sr_account_h
#define sr_account_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"
#include "sr_limits.h"

/* <in> as a login name: trimmed of spaces (the ideographic space U+3000 too) at both ends, 1 to
 * SR_LOGIN_NAME_MAX_CHARS characters of UTF-8 without control characters, into <name>; its key
 * (ASCII letters in lower case) into <key>. False with a field error on <field> otherwise. */
bool sr_account_name(const char *in, char name[SR_LOGIN_NAME_MAX_BYTES + 1], char key[SR_LOGIN_NAME_MAX_BYTES + 1],
                     const char *field, struct sr_problem *pb);

struct sr_account_spec {
  const char *role, *jurisdiction, *credit_code, *name, *password;
};

/* Creates the account of <spec> with its password; its id into *id. A name taken is SR_CONFLICT
 * on "name"; a weak password a field error on "password". */
bool sr_account_create(struct sr_ctx *c, const struct sr_account_spec *spec, long *id, struct sr_problem *pb);

enum sr_account_change {
  SR_ACCOUNT_PASSWORD, /* a new password, every session revoked */
  SR_ACCOUNT_RESET,    /* a new password, unlocked, every session revoked */
  SR_ACCOUNT_DISABLE,  /* no login, every session revoked (its tokens are refused too) */
  SR_ACCOUNT_ENABLE
};

/* Changes the account named <name> (<password> for a new password, else NULL); *sessions is
 * how many of its sessions were revoked. No such account is SR_NOT_FOUND. */
bool sr_account_change(struct sr_ctx *c, const char *name, enum sr_account_change what, const char *password,
                       int *sessions, struct sr_problem *pb);

/* The accounts that log in: id, name, role, jurisdiction, org, state (live, locked, disabled),
 * live sessions, last login. Never a hash. Caller owns *out. */
bool sr_account_list(struct sr_ctx *c, cJSON **out, struct sr_problem *pb);

#endif
