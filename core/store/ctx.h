/*
 * ctx.h -- who is asking and with what: the caller (principal), its database connection, the
 * plugin set and "today". Domain functions take a ctx and are called the same way from HTTP,
 * the CLI and tests. Its transactions are tx.h's; the records a change writes, record.h's.
 */
#ifndef sr_ctx_h
#define sr_ctx_h

#include <libpq-fe.h>
#include <stdbool.h>

#include "problem.h"
#include "role.h"
#include "sr_limits.h"
#include "util.h"

struct sr_plugins;

struct sr_ctx {
  PGconn *db;
  struct sr_plugins *plugins;
  struct sr_principal who;
  struct sr_date today;
  const char *request_id;
  /* What the caller acts through when it is not a request of its own: a JSON object, e.g. the
   * administrator's script {script, sha256} (sereg script --apply). Every audit record written
   * in the context's transactions carries it as detail.via (sql/0021). NULL: nothing. */
  const char *via;
  /* Transaction state, kept by tx.c. With tx_outer set the caller (the HTTP edge, for a
   * request with an Idempotency-Key) holds a transaction of its own around the domain
   * function, and the domain's transactions become savepoints inside it: their work commits
   * with the request's stored answer, or not at all. */
  bool tx_outer;
  int tx_depth;       /* transactions (or savepoints) open now */
  bool tx_committed;  /* some work of this context has been committed for good */
};

/* The versions a change of a versioned record accepts: those its If-Match names (a strong
 * comparison, RFC 9110 section 13.1.1: a weak tag names none), or whichever is current, for
 * "If-Match: *" and for a caller that reads and acts in one transaction (a script's
 * sereg.change) instead of acting on a version it read before. */
struct sr_versions {
  bool any;
  int n;
  long v[SR_IF_MATCH_MAX];
};

static inline bool sr_versions_has(const struct sr_versions *m, long version)
{
  if(m->any)
    return true;
  for(int i = 0; i < m->n; i++)
    if(m->v[i] == version)
      return true;
  return false;
}

#define SR_VERSION_CURRENT (&(const struct sr_versions){ .any = true })

#endif
