/*
 * sweep.h -- the sweep: it opens a hazard for each unit in service whose inspection is overdue
 * (once per condition), closes those whose condition has cleared, and fires the deadline rows
 * that have fallen due (ladder rungs, workflow state deadlines), and prunes notices past their
 * retention. Run by `sereg sweep` and by the server's scheduler; two at once are safe.
 */
#ifndef sr_sweep_h
#define sr_sweep_h

#include "ctx.h"

struct sr_sweep_result {
  long opened, closed;          /* overdue hazards */
  long escalated, held, failed; /* ladder rungs fired, held by decide(), left by a failing plugin */
  long overdue;                 /* rectifications found past a state's deadline */
  long pruned_deliveries, pruned_events; /* notices past their retention (notice.h) */
};

/* Opens a hazard for each unit in service whose inspection is overdue on c->today, closes open
 * overdue hazards whose unit has been inspected (or left service) since, and fires the deadline
 * rows due by today (ladder rungs, workflow state deadlines). Works in chunks, each one
 * transaction; safe to run twice at once. */
enum sr_err sr_sweep(struct sr_ctx *c, struct sr_sweep_result *out, struct sr_problem *pb);

#endif
