/*
 * ctx.h -- who is asking and with what: the caller (principal), its database connection, the
 * plugin set and "today". Domain functions take a ctx and are called the same way from HTTP,
 * the CLI and tests.
 */
#ifndef sr_ctx_h
#define sr_ctx_h

#include <libpq-fe.h>
#include <stdbool.h>

#include "problem.h"
#include "role.h"
#include "util.h"

struct sr_plugins;

struct sr_ctx {
  PGconn *db;
  struct sr_plugins *plugins;
  struct sr_principal who;
  struct sr_date today;
  const char *request_id;
  /* Transaction state, kept by tx.c. With tx_outer set the caller (the HTTP edge, for a
   * request with an Idempotency-Key) holds a transaction of its own around the domain
   * function, and the domain's transactions become savepoints inside it: their work commits
   * with the request's stored answer, or not at all. */
  bool tx_outer;
  int tx_depth;       /* transactions (or savepoints) open now */
  bool tx_committed;  /* some work of this context has been committed for good */
};

/* BEGIN (or, inside an outer transaction, a savepoint) and state the caller for row-level
 * security. On failure <pb> is filled. */
bool sr_tx_begin(struct sr_ctx *c, struct sr_problem *pb);
/* COMMIT, or RELEASE of the savepoint. A failed commit rolls back and fills <pb>. */
bool sr_tx_commit(struct sr_ctx *c, struct sr_problem *pb);
/* ROLLBACK (or back to the savepoint); does nothing when no transaction of <c> is open, so a
 * failure path may call it whether or not the commit it follows already rolled back. */
void sr_tx_rollback(struct sr_ctx *c);
/* Opens the outer transaction of tx_outer mode (the edge's) and runs <then> (statements with
 * no parameters, their values quoted by the caller) in the same round trip; the results of its
 * <n> statements land in <out> (caller clears them). False, with no transaction open, when any
 * of it failed. */
bool sr_tx_outer_begin(struct sr_ctx *c, const char *then, PGresult **out, int n);
/* Runs <sql> with <params> and commits the outer transaction in one round trip (a pipeline):
 * the statement's effect and the work inside commit together or not at all. */
bool sr_tx_outer_commit(struct sr_ctx *c, const char *sql, int nparams, const char *const *params,
                        struct sr_problem *pb);
void sr_tx_outer_rollback(struct sr_ctx *c);

/* Within the current transaction, lets the core write as the system (on) or as the caller again
 * (off). Only for writes the core has already authorized, e.g. the due date an agency's result
 * moves on equipment the agency may not otherwise change. */
bool sr_tx_as_system(struct sr_ctx *c, bool on, struct sr_problem *pb);

/* One entry of an equipment's history. */
struct sr_history {
  const char *equipment_id, *action, *from, *to, *reason, *before, *after; /* before may be NULL */
};

/*
 * Writes the records of one change in a single statement (one round trip): the history entry
 * (when <h> is not NULL), the audit record and the outbox event.
 */
bool sr_record(struct sr_ctx *c, const struct sr_history *h, const char *audit_action, const char *target_type,
               const char *target_id, const cJSON *detail, const char *event_type, const char *jurisdiction,
               const cJSON *payload, struct sr_problem *pb);

/* Appends to the audit log inside the current transaction. */
bool sr_audit(struct sr_ctx *c, const char *action, const char *target_type, const char *target_id,
              const cJSON *detail, struct sr_problem *pb);
/* Queues an event in the outbox inside the current transaction. */
bool sr_outbox(struct sr_ctx *c, const char *event_type, const char *subject_type,
               const char *subject_id, const char *jurisdiction, const cJSON *payload,
               struct sr_problem *pb);

#endif
