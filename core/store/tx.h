/*
 * tx.h -- transactions that carry the caller: row-level security sees who asks (sereg.role,
 * sereg.jurisdiction, sereg.org, sereg.account), the one writer of records sees who acts
 * (sereg.actor_role, sereg.actor_account), and both see the day and the request.
 */
#ifndef sr_tx_h
#define sr_tx_h

#include <libpq-fe.h>
#include <stdbool.h>

#include "ctx.h"

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

/* Within the current transaction, lets the core write past row-level security as the system (on)
 * or as the caller again (off). Only for writes the core has already authorized, e.g. the due
 * date an agency's result moves on equipment the agency may not otherwise change. Who acts, in
 * the records, stays the caller. */
bool sr_tx_as_system(struct sr_ctx *c, bool on, struct sr_problem *pb);
/* Within the current transaction, makes the system (on) or the caller again (off) the one who
 * acts in the records written meanwhile: for what the core does on its own during someone's
 * request, as a ladder rung firing while an agency's result is recorded. */
bool sr_tx_system_acts(struct sr_ctx *c, bool on, struct sr_problem *pb);
/* BEGIN for work that gives way to writers: a short lock timeout (SR_YIELD_LOCK_TIMEOUT), so
 * that it rather than a writer steps back. */
bool sr_tx_begin_yielding(struct sr_ctx *c, struct sr_problem *pb);
/* After such work failed and was rolled back: whether it may be tried again (it only had to
 * wait too long, SR_UNAVAILABLE, and has not been tried SR_YIELD_RETRIES times); pauses first. */
bool sr_tx_retry(enum sr_err e, int *tries, struct sr_problem *pb);
/* The acting account as a statement parameter: NULL for the system. */
const char *sr_tx_actor_account(const struct sr_ctx *c, char buf[32]);

#endif
