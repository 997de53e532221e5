/*
 * hazard.h -- hidden hazards (事故隐患) on equipment: the sweep that opens one for each overdue
 * inspection (once per condition) and closes those whose condition has cleared, and reading them
 * back within the caller's scope. See docs/hazards.md for where this is going.
 */
#ifndef sr_hazard_h
#define sr_hazard_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"

struct sr_sweep_result {
  long opened, closed;          /* overdue hazards */
  long escalated, held, failed; /* ladder rungs fired, held by decide(), left by a failing plugin */
  long overdue;                 /* rectifications found past a state's deadline */
};

/* Opens a hazard for each unit in service whose inspection is overdue on c->today, closes open
 * overdue hazards whose unit has been inspected (or left service) since, and fires the deadline
 * rows due by today (ladder rungs, workflow state deadlines). Works in chunks, each one
 * transaction; safe to run twice at once. */
enum sr_err sr_sweep(struct sr_ctx *c, struct sr_sweep_result *out, struct sr_problem *pb);

struct sr_hazard_filter {
  long equipment_id;                                  /* 0: any */
  const char *jurisdiction, *grade, *level, *status, *source; /* NULL: any */
  int overdue;                                        /* -1 any; 1: open and past a rectification
                                                         deadline; 0: open and not */
  long after_id, limit;
};

enum sr_err sr_hazard_list(struct sr_ctx *c, const struct sr_hazard_filter *f, cJSON **out, struct sr_problem *pb);
/* POST /hazards: a coordinator's patrol report {equipment_id, condition, description, evidence}
 * or a supervisor's entry {equipment_id, condition, description, grade, level}. */
enum sr_err sr_hazard_report(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb);
/* The hazard with its history, deadlines, rectifications and an explanation of how it was
 * found, graded and escalated, rung by rung; when the caller may see its equipment, else 404. */
enum sr_err sr_hazard_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);

#endif
