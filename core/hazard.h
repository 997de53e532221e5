/*
 * hazard.h -- hidden hazards (事故隐患) on equipment: opening one (once per condition), the sweep
 * that finds overdue inspections and closes the hazards whose condition has cleared, and reading
 * them back within the caller's scope. See docs/hazards.md for where this is going.
 */
#ifndef sr_hazard_h
#define sr_hazard_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"

/* What a finding says; the hazard is opened unless its condition has opened one before. */
struct sr_finding {
  long equipment_id;
  const char *source;        /* overdue, failed_in_use, defect, patrol, manual */
  const char *condition_key; /* what makes two findings the same hazard */
  const char *grade;         /* general, major */
  const char *level;         /* district, city */
  const char *rule;          /* what decided it */
  const char *reason;        /* in words, for the history */
  const cJSON *facts;        /* what it was decided from */
};

/* Inside the current transaction: opens the hazard with its history, audit record and
 * hazard.opened notice. <*id> is its id, or 0 when the condition had opened one already. */
enum sr_err sr_hazard_open(struct sr_ctx *c, const struct sr_finding *f, long *id, struct sr_problem *pb);

struct sr_sweep_result {
  long opened, closed;
};

/* Opens a hazard for each unit in service whose inspection is overdue on c->today, and closes
 * open overdue hazards whose unit has been inspected (or left service) since. Works in chunks,
 * each one transaction; safe to run twice at once. */
enum sr_err sr_sweep(struct sr_ctx *c, struct sr_sweep_result *out, struct sr_problem *pb);

struct sr_hazard_filter {
  long equipment_id;                                  /* 0: any */
  const char *jurisdiction, *grade, *level, *status, *source; /* NULL: any */
  long after_id, limit;
};

enum sr_err sr_hazard_list(struct sr_ctx *c, const struct sr_hazard_filter *f, cJSON **out, struct sr_problem *pb);
/* The hazard with its history, when the caller may see its equipment; else 404. */
enum sr_err sr_hazard_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);

#endif
