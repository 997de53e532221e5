/*
 * idempotency.h -- the Idempotency-Key header of POST requests. The first request with a key
 * claims it; its outcome is kept, and a retry with the same key and the same request gets the
 * same answer without the work being done again. A retry while the first is still running gets
 * 409; the key with another request 422. Keys expire after a day. A claim abandoned for a minute
 * (the server died before recording the outcome) may be taken over; the work it did may then be
 * done twice, because the outcome is kept after, not inside, the handler's transaction.
 */
#ifndef sr_idempotency_h
#define sr_idempotency_h

#include <libpq-fe.h>
#include <stdbool.h>

enum sr_idem { SR_IDEM_CLAIMED, SR_IDEM_REPLAY, SR_IDEM_MISMATCH, SR_IDEM_RUNNING, SR_IDEM_ERROR };

struct sr_idem_outcome {
  int status;
  char *response; /* malloced */
  char etag[32];
  char location[128];
};

/* True when <key> is 1..255 printable ASCII characters. */
bool sr_idem_key_ok(const char *key);
/* Claims <key> for <account>'s request with SHA-256 <hash>, or finds what happened to it. On
 * SR_IDEM_REPLAY <out> holds the kept outcome (free out->response). */
enum sr_idem sr_idem_claim(PGconn *db, long account, const char *key, const char *hash, struct sr_idem_outcome *out);
/* Keeps the outcome of the request that claimed <key>. */
bool sr_idem_finish(PGconn *db, long account, const char *key, const struct sr_idem_outcome *o);
/* Gives the key back (the request failed on the server's side: a retry should run again). */
void sr_idem_release(PGconn *db, long account, const char *key);

#endif
