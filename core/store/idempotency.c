/* idempotency.c -- see idempotency.h. */
#include "i18n.h"
#include "idempotency.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db.h"
#include "tx.h"
#include "log.h"
#include "util.h"

const char *sr_idem_key_parse(const char *field, char key[SR_IDEM_KEY_MAX + 1])
{
  const char *p = field + strspn(field, " ");
  size_t n = 0;
  if(*p != '"') {
    /* The bare key of clients written before the draft: the key as it stands. */
    for(; *p && *p != ' '; p++) {
      if(*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\')
        return N_("is a quoted string such as \"abc\" (or a bare key of visible ASCII characters)");
      if(n == SR_IDEM_KEY_MAX)
        return N_("is longer than 255 characters");
      key[n++] = *p;
    }
  }
  else {
    for(p++;; p++) {
      char ch = *p;
      if(ch == '"')
        break;
      if(ch == '\\') {
        ch = *++p;
        if(ch != '"' && ch != '\\')
          return N_("escapes nothing but \" and \\ with a backslash");
      }
      else if(ch == '\0')
        return N_("has no closing quote");
      else if(ch < 0x20 || ch > 0x7e)
        return N_("holds printable ASCII characters only");
      if(n == SR_IDEM_KEY_MAX)
        return N_("is longer than 255 characters");
      key[n++] = ch;
    }
    p++;
  }
  key[n] = '\0';
  p += strspn(p, " ");
  if(*p == ';')
    return N_("takes no parameters");
  if(*p)
    return N_("is one string, with nothing after it");
  return n == 0 ? "is empty" : NULL;
}

static void hash_part(EVP_MD_CTX *md, const char *s, size_t n, bool present)
{
  char len[32];
  int k = present ? snprintf(len, sizeof len, "%zu:", n) : snprintf(len, sizeof len, "-:");
  EVP_DigestUpdate(md, len, (size_t)k);
  if(present && n)
    EVP_DigestUpdate(md, s, n);
}

void sr_idem_hash(const struct sr_idem_request *rq, char hash[65])
{
  const char *parts[] = { rq->method, rq->path, rq->query, rq->content_type, rq->if_match };
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int dn = 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
  for(size_t i = 0; ok && i < sizeof parts / sizeof *parts; i++)
    hash_part(md, parts[i], parts[i] ? strlen(parts[i]) : 0, parts[i] != NULL);
  if(ok) {
    hash_part(md, rq->body, rq->body_len, true);
    ok = EVP_DigestFinal_ex(md, d, &dn) == 1;
  }
  EVP_MD_CTX_free(md);
  if(!ok)
    dn = 0; /* no digest: an empty hash matches no stored request */
  for(unsigned int i = 0; i < dn && i < 32; i++)
    snprintf(hash + 2 * i, 3, "%02x", d[i]);
  hash[2 * (dn < 32 ? dn : 32)] = '\0';
}

/* The advisory lock of <account>'s <key>: 64 bits of its SHA-256, so that two keys share a
 * lock only by a 2^-64 chance (and then the second waits its turn as "still being served"). */
static long long key_lock(long account, const char *key)
{
  char buf[300], hex[65];
  int n = snprintf(buf, sizeof buf, "%ld %s", account, key);
  sr_sha256_hex(buf, (size_t)(n > 0 ? n : 0), hex);
  uint64_t v = strtoull((char[17]){ hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7], hex[8], hex[9],
                                    hex[10], hex[11], hex[12], hex[13], hex[14], hex[15], 0 },
                        NULL, 16);
  return (long long)v;
}

enum sr_idem sr_idem_begin(struct sr_ctx *c, const char *key, const char *hash, struct sr_idem_outcome *out)
{
  /* BEGIN, the key's lock and the look-up in one round trip. The lock is a statement of its
   * own: the look-up after it then runs on a snapshot taken once the lock is ours, and so sees
   * the outcome of a request that held it before. */
  char *k = PQescapeLiteral(c->db, key, strlen(key));
  if(!k)
    return SR_IDEM_ERROR;
  char sql[700];
  snprintf(sql, sizeof sql,
           "SELECT pg_try_advisory_xact_lock(%lld); "
           "SELECT request_hash, status, response, coalesce(etag, '') AS etag, coalesce(location, '') AS location "
           "FROM idempotency_key WHERE account_id = %ld AND key = %s AND status IS NOT NULL "
           "AND created_at >= now() - interval '24 hours'",
           key_lock(c->who.account_id, key), c->who.account_id, k);
  PQfreemem(k);
  PGresult *r[2];
  if(!sr_tx_outer_begin(c, sql, r, 2))
    return SR_IDEM_ERROR;
  enum sr_idem rc = SR_IDEM_ERROR;
  if(PQntuples(r[0]) == 1 && strcmp(PQgetvalue(r[0], 0, 0), "t") != 0)
    rc = SR_IDEM_RUNNING;
  else if(PQntuples(r[0]) == 1 && PQntuples(r[1]) == 0)
    rc = SR_IDEM_CLAIMED;
  else if(PQntuples(r[1]) == 1 && strcmp(sr_db_get(r[1], 0, "request_hash"), hash) != 0)
    rc = SR_IDEM_MISMATCH;
  else if(PQntuples(r[1]) == 1) {
    rc = SR_IDEM_REPLAY;
    out->status = atoi(sr_db_get(r[1], 0, "status"));
    out->response = strdup(sr_db_get(r[1], 0, "response") ? sr_db_get(r[1], 0, "response") : "");
    snprintf(out->etag, sizeof out->etag, "%s", sr_db_get(r[1], 0, "etag"));
    snprintf(out->location, sizeof out->location, "%s", sr_db_get(r[1], 0, "location"));
    if(!out->response)
      rc = SR_IDEM_ERROR;
  }
  PQclear(r[0]);
  PQclear(r[1]);
  if(rc != SR_IDEM_CLAIMED)
    sr_tx_outer_rollback(c);
  return rc;
}

/* Now and then a request also drops expired keys, so the table stays about a day of POSTs long
 * without a scheduler. */
static bool prune(struct sr_ctx *c, struct sr_problem *pb)
{
  static atomic_uint stored;
  if(atomic_fetch_add(&stored, 1) % 256 != 0)
    return true;
  return sr_db_command(c->db, "DELETE FROM idempotency_key WHERE created_at < now() - interval '24 hours'", 0,
                       NULL, pb);
}

bool sr_idem_commit(struct sr_ctx *c, const char *key, const char *hash, const struct sr_idem_outcome *o,
                    struct sr_problem *pb)
{
  char acc[32], status[16];
  snprintf(acc, sizeof acc, "%ld", c->who.account_id);
  snprintf(status, sizeof status, "%d", o->status);
  const char *p[] = { acc, key, hash, status, o->response, o->etag[0] ? o->etag : NULL,
                      o->location[0] ? o->location : NULL };
  /* An expired row of the same key is taken over; a live one cannot exist (we hold its lock
   * and found none). The outcome and the work commit in the same round trip. */
  bool ok = prune(c, pb) &&
            sr_tx_outer_commit(c,
                               "INSERT INTO idempotency_key AS k (account_id, key, request_hash, status, response, etag, "
                               "location) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, key) DO UPDATE SET "
                               "request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, "
                               "response = EXCLUDED.response, etag = EXCLUDED.etag, location = EXCLUDED.location, "
                               "created_at = now()",
                               7, p, pb);
  if(!ok)
    sr_tx_outer_rollback(c);
  return ok;
}

void sr_idem_abandon(struct sr_ctx *c) { sr_tx_outer_rollback(c); }
