/* idempotency.c -- see idempotency.h. */
#include "idempotency.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

bool sr_idem_key_ok(const char *key)
{
  size_t n = key ? strlen(key) : 0;
  if(n == 0 || n > 255)
    return false;
  for(size_t i = 0; i < n; i++)
    if(key[i] < 0x21 || key[i] > 0x7e)
      return false;
  return true;
}

/* Now and then a claim also drops expired keys, so the table stays about a day of POSTs long
 * without a scheduler. */
static void prune(PGconn *db)
{
  static atomic_uint claims;
  if(atomic_fetch_add(&claims, 1) % 256 != 0)
    return;
  PGresult *r = sr_db_exec(db, "DELETE FROM idempotency_key WHERE created_at < now() - interval '24 hours'", 0, NULL);
  PQclear(r);
}

enum sr_idem sr_idem_claim(PGconn *db, long account, const char *key, const char *hash, struct sr_idem_outcome *out)
{
  char acc[32];
  snprintf(acc, sizeof acc, "%ld", account);
  const char *p[] = { acc, key, hash };
  /* New, expired (a day old), or abandoned for a minute by a server that died before recording
   * the outcome. */
  PGresult *r = sr_db_exec(db,
                           "INSERT INTO idempotency_key AS k (account_id, key, request_hash) VALUES ($1, $2, $3) "
                           "ON CONFLICT (account_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, "
                           "status = NULL, response = NULL, etag = NULL, location = NULL, created_at = now() "
                           "WHERE (k.status IS NULL AND k.created_at < now() - interval '60 seconds') "
                           "OR k.created_at < now() - interval '24 hours' "
                           "RETURNING 1",
                           3, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return SR_IDEM_ERROR;
  }
  bool claimed = PQntuples(r) == 1;
  PQclear(r);
  if(claimed) {
    prune(db);
    return SR_IDEM_CLAIMED;
  }
  r = sr_db_exec(db, "SELECT request_hash, status, response, coalesce(etag, '') AS etag, "
                     "coalesce(location, '') AS location FROM idempotency_key WHERE account_id = $1 AND key = $2",
                 2, p);
  enum sr_idem rc = SR_IDEM_ERROR;
  if(sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1) {
    if(strcmp(sr_db_get(r, 0, "request_hash"), hash) != 0)
      rc = SR_IDEM_MISMATCH;
    else if(!sr_db_get(r, 0, "status"))
      rc = SR_IDEM_RUNNING;
    else {
      rc = SR_IDEM_REPLAY;
      out->status = atoi(sr_db_get(r, 0, "status"));
      out->response = strdup(sr_db_get(r, 0, "response") ? sr_db_get(r, 0, "response") : "");
      snprintf(out->etag, sizeof out->etag, "%s", sr_db_get(r, 0, "etag"));
      snprintf(out->location, sizeof out->location, "%s", sr_db_get(r, 0, "location"));
      if(!out->response)
        rc = SR_IDEM_ERROR;
    }
  }
  PQclear(r);
  return rc;
}

bool sr_idem_finish(PGconn *db, long account, const char *key, const struct sr_idem_outcome *o)
{
  char acc[32], status[16];
  snprintf(acc, sizeof acc, "%ld", account);
  snprintf(status, sizeof status, "%d", o->status);
  const char *p[] = { acc, key, status, o->response, o->etag[0] ? o->etag : NULL,
                      o->location[0] ? o->location : NULL };
  PGresult *r = sr_db_exec(db,
                           "UPDATE idempotency_key SET status = $3, response = $4, etag = $5, location = $6 "
                           "WHERE account_id = $1 AND key = $2",
                           6, p);
  bool ok = sr_db_ok(r, PGRES_COMMAND_OK);
  PQclear(r);
  return ok;
}

void sr_idem_release(PGconn *db, long account, const char *key)
{
  char acc[32];
  snprintf(acc, sizeof acc, "%ld", account);
  const char *p[] = { acc, key };
  PGresult *r = sr_db_exec(db, "DELETE FROM idempotency_key WHERE account_id = $1 AND key = $2 AND status IS NULL", 2, p);
  PQclear(r);
}
