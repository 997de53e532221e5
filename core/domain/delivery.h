/*
 * delivery.h -- notices on their way: one delivery per event and subscription, its attempts,
 * and the work of the notice worker (core/serve/deliver.c) on them.
 *
 * The worker's round, each step its own transaction as the system, so that any number of
 * processes share the work (FOR UPDATE SKIP LOCKED) and a crash loses nothing:
 *   sr_delivery_fan_out  outbox events not yet fanned out become deliveries, one per enabled
 *                        subscription that wants the type, serves the scope (jurisdiction, user
 *                        unit) and, where the event names audiences (an escalation rung's
 *                        notify), the audience; events about a subscription never go to itself;
 *                        those due at once are leased to the worker that made them
 *   sr_delivery_claim    other due deliveries are leased to this worker for a while
 *   sr_delivery_record   the attempts' results: each delivery delivered, due again on the
 *                        schedule (notice.h), or dead (delivery.failed); a 410 or days of
 *                        failures disable the subscription (subscription.disabled)
 * and, from the sweep, sr_delivery_prune. A worker whose lease ran out (killed, or stuck) finds
 * its results refused: someone else has the delivery by then.
 */
#ifndef sr_delivery_h
#define sr_delivery_h

#include <cjson/cJSON.h>

#include "ctx.h"

struct sr_delivery_filter {
  long subscription_id;
  const char *status; /* pending, delivered, failed, or NULL for all */
  long after_id;
  long limit;
  bool count; /* answer the total as well */
};

/* The deliveries of a subscription its caller may see (404 otherwise), each with its attempts. */
enum sr_err sr_delivery_list(struct sr_ctx *c, const struct sr_delivery_filter *f, cJSON **out,
                             struct sr_problem *pb);
enum sr_err sr_delivery_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* Sends delivery <id> again from the first attempt of a new round (409 while an attempt is
 * under way, or the subscription is disabled). */
enum sr_err sr_delivery_replay(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);

/* ---- the worker's (delivery_worker.c) ---- */


/* A delivery leased to the worker, with what its attempt needs. */
struct sr_delivery_job {
  long id, subscription_id;
  int attempts;                 /* made before, in this round */
  char message_id[48];
  char *url, *format;
  char *secret, *previous_secret; /* sealed (seal.h); previous only while it still signs */
  char *body;                   /* the Standard Webhooks body */
  long long event_at_ms;        /* when the event was written, Unix ms */
};
/* Fans out up to <max> events; *events fanned out and *made deliveries made. When <worker> is
 * given and the schedule's first attempt is immediate, up to <lease_max> of the deliveries made
 * are leased to it for <lease_ms> and come back in *jobs and *n as sr_delivery_claim's do. */
enum sr_err sr_delivery_fan_out(struct sr_ctx *c, int max, const char *worker, int lease_max, long long lease_ms,
                                long *events, long *made, struct sr_delivery_job **jobs, int *n,
                                struct sr_problem *pb);
/* Leases up to <max> due deliveries to <worker> for <lease_ms>; *jobs (caller frees with
 * sr_delivery_jobs_free) and *n. */
enum sr_err sr_delivery_claim(struct sr_ctx *c, const char *worker, int max, long long lease_ms,
                              struct sr_delivery_job **jobs, int *n, struct sr_problem *pb);
void sr_delivery_jobs_free(struct sr_delivery_job *jobs, int n);
/* Frees the strings of one job. */
void sr_delivery_job_clear(struct sr_delivery_job *j);

/* What one attempt came to. */
struct sr_delivery_result {
  long id;
  int made;              /* this attempt's number in its round, from 1 */
  int status;            /* HTTP status, 0 for none */
  long duration_ms;
  long retry_after_s;    /* -1 for none */
  const char *error;     /* "" or what went wrong */
  const char *answer;    /* the first bytes of the answer (valid UTF-8), or "" */
  long long at_ms;       /* when the attempt began, Unix ms */
};
struct sr_delivery_tally {
  long delivered, retried, failed, gone, disabled, refused; /* refused: the lease had run out */
};
/* Records <n> results of <worker>'s attempts in one transaction. */
enum sr_err sr_delivery_record(struct sr_ctx *c, const char *worker, const struct sr_delivery_result *r, int n,
                               struct sr_delivery_tally *t, struct sr_problem *pb);
/* Gives back the leases <worker> still holds (it is stopping): others may attempt them now. */
enum sr_err sr_delivery_release(struct sr_ctx *c, const char *worker, struct sr_problem *pb);
/* Deletes deliveries done (delivered or failed) longer than the retention ago, with their
 * attempts, and events as old that no delivery needs; *deliveries and *events deleted. */
enum sr_err sr_delivery_prune(struct sr_ctx *c, long *deliveries, long *events, struct sr_problem *pb);
/* Deliveries pending on enabled subscriptions, the age in seconds of the oldest, and the
 * subscriptions disabled. */
enum sr_err sr_delivery_gauges(struct sr_ctx *c, long *pending, double *oldest_s, long *disabled,
                               struct sr_problem *pb);

#endif
