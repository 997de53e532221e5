/* sweep_int.h -- what the parts of the sweep (hazard.c, escalation.c) share: chunked
 * transactions that give way to writers. */
#ifndef sr_sweep_int_h
#define sr_sweep_int_h

#include <libpq-fe.h>
#include <stdbool.h>

#include "ctx.h"

/* Rows the sweep handles per transaction: small enough that a failure costs little work,
 * large enough that a catch-up over thousands of units is a few dozen round trips. */
#define SWEEP_CHUNK 200

/* BEGIN with a short lock timeout, so that the sweep rather than a writer steps back. */
bool sr_sweep_begin(struct sr_ctx *c, struct sr_problem *pb);
/* A failed statement of the sweep: SR_UNAVAILABLE when it only had to wait too long (try the
 * chunk again), SR_INTERNAL otherwise. */
enum sr_err sr_sweep_failed(const PGresult *r, struct sr_problem *pb, const char *what);
/* After a chunk failed and was rolled back: whether it may be tried again (after a pause). */
bool sr_sweep_retry(enum sr_err e, int *tries, struct sr_problem *pb);
/* The acting account as a statement parameter: NULL for the system. */
const char *sr_actor_account(const struct sr_ctx *c, char buf[32]);

#endif
