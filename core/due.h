/*
 * due.h -- the statutory next due date of a unit of equipment, decided by its type plugin from
 * the unit, its accepted inspection results, its suspensions and the inspection regime that
 * applies in its jurisdiction on the day, and stored with the rule and the reasons.
 */
#ifndef sr_due_h
#define sr_due_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"

struct sr_due {
  char date[11];     /* "" when nothing is due (suspended, cancelled, no rule) */
  char kind[32];
  cJSON *explain;    /* {reason, basis, rule, computed_on, request_by, statutory_latest}; owned */
  bool changed;      /* differs from what the unit had */
};

void sr_due_free(struct sr_due *d);

/* What is about to change, and so is not in the database yet when the decision is made. */
struct sr_due_pending {
  const cJSON *inspection; /* a result about to be stored: it joins the history */
  long superseded_id;      /* a stored result an amendment replaces: it leaves the history */
  const char *action;      /* a lifecycle action about to be recorded today (suspend, resume) */
};

/* Decides the next due date of equipment <id> inside the current transaction, with <pending>
 * (may be NULL) taken into account. Nothing is written. */
enum sr_err sr_due_decide(struct sr_ctx *c, long id, const struct sr_due_pending *pending, struct sr_due *out,
                          struct sr_problem *pb);

/* Stores <d> on equipment <id>; bumps its version when <bump> (a change of its own, not part of
 * a transition that already did) and queues equipment.due_changed when the date moved. */
enum sr_err sr_due_store(struct sr_ctx *c, long id, const struct sr_due *d, bool bump, struct sr_problem *pb);

/* sr_due_decide + sr_due_store. */
enum sr_err sr_due_refresh(struct sr_ctx *c, long id, const struct sr_due_pending *pending, bool bump,
                           struct sr_problem *pb);

#endif
