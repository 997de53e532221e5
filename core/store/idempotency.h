/*
 * idempotency.h -- the Idempotency-Key header of POST requests. The first request with a key
 * claims it, and its outcome is kept in the same transaction as the work it did: a committed
 * change and its stored answer are one fact. A retry with the same key and the same request
 * gets that answer without the work being done again; a request that failed before committing
 * (a 5xx, a server killed mid-request, a database gone away) leaves the key free at once. A
 * retry while the first is still running gets 409; the key with another request 422. Keys
 * last a day.
 */
#ifndef sr_idempotency_h
#define sr_idempotency_h

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "sr_limits.h"

enum sr_idem { SR_IDEM_CLAIMED, SR_IDEM_REPLAY, SR_IDEM_MISMATCH, SR_IDEM_RUNNING, SR_IDEM_ERROR };

struct sr_idem_outcome {
  int status;
  char *response; /* malloced */
  char etag[32];
  char location[128];
};

/* What gives a request its meaning, for the hash a key is bound to. NULL parts are absent. */
struct sr_idem_request {
  const char *method, *path, *query, *content_type, *if_match;
  const char *body;
  size_t body_len;
};

/* Reads the Idempotency-Key field <field> into <key>: a structured-field String
 * (draft-ietf-httpapi-idempotency-key-header, RFC 8941 section 3.3.3), "abc" with \" and \\ its
 * only escapes, whose characters are the key, so "abc" and abc are one key; or the bare key of
 * clients written before the draft, visible ASCII characters other than the quote and the
 * backslash, read as itself. The key is 1..SR_IDEM_KEY_MAX characters. NULL when the field is
 * one of those, else what is wrong with it. */
const char *sr_idem_key_parse(const char *field, char key[SR_IDEM_KEY_MAX + 1]);
/* SHA-256 (hex) of every part of <rq>, each length-prefixed so that no two requests that
 * differ in any part hash alike. */
void sr_idem_hash(const struct sr_idem_request *rq, char hash[65]);

/*
 * Opens <c>'s outer transaction (tx_outer: the domain's own transactions become savepoints in
 * it), takes <key> for <c>'s account and finds what happened to it. On SR_IDEM_CLAIMED the
 * transaction stays open for the handler, to be ended by sr_idem_commit or sr_idem_abandon;
 * on every other outcome it is closed again, and on SR_IDEM_REPLAY <out> holds the kept
 * outcome (free out->response).
 */
enum sr_idem sr_idem_begin(struct sr_ctx *c, const char *key, const char *hash, struct sr_idem_outcome *out);
/* Stores outcome <o> of the claimed <key> and commits it with the handler's work. */
bool sr_idem_commit(struct sr_ctx *c, const char *key, const char *hash, const struct sr_idem_outcome *o,
                    struct sr_problem *pb);
/* Rolls back the claimed request's transaction: its work and its claim are gone, the key free. */
void sr_idem_abandon(struct sr_ctx *c);

#endif
