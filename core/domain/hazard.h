/*
 * hazard.h -- hidden hazards (事故隐患) on equipment: opening one (with its records), closing one,
 * and reading them back within the caller's scope. The sweep (sweep.h) finds overdue ones; the
 * escalation ladder (escalation.h) drives open ones up. See docs/hazards.md.
 */
#ifndef sr_hazard_h
#define sr_hazard_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"

struct sr_hazard_new {
  long equipment_id;
  const char *source;        /* failed_in_use, defect, patrol, manual */
  const char *condition;     /* what was found; with <occasion> it makes the hazard's key */
  const char *occasion;      /* the report number, patrol reference, ... */
  const char *grade, *level; /* as decided by whoever found it */
  const char *rule;          /* what decided it, e.g. "elevator.lua@1.3.0" */
  const char *reason;        /* in words, for the history */
  const cJSON *facts;        /* what it was decided from */
  const cJSON *evidence;     /* [{name, sha256, size, content_type}] or NULL */
};

/* Opens hazard <h> under ladder <ladder> ("" for none) in the current transaction, with its
 * history, audit record and hazard.opened, unless the same condition is already open on the
 * unit or this occasion already opened it (*id is 0 then). Its ladder's rungs are the
 * escalation module's (sr_escalation_open does both). */
enum sr_err sr_hazard_open(struct sr_ctx *c, const struct sr_hazard_new *h, const char *ladder, long *id,
                           struct sr_problem *pb);
/* Closes an open hazard in the current transaction, with history, audit and hazard.closed; its
 * pending deadlines become moot. */
enum sr_err sr_hazard_close(struct sr_ctx *c, long id, const char *reason, struct sr_problem *pb);

struct sr_hazard_filter {
  long equipment_id;                                  /* 0: any */
  const char *jurisdiction, *grade, *level, *status, *source; /* NULL: any */
  int overdue;                                        /* -1 any; 1: open and past a rectification
                                                         deadline; 0: open and not */
  const char *without_open;                           /* a workflow's code: open hazards no open
                                                         rectification of it covers; NULL: any */
  long after_id, limit;
  bool count; /* answer the total as well */
};

enum sr_err sr_hazard_list(struct sr_ctx *c, const struct sr_hazard_filter *f, cJSON **out, struct sr_problem *pb);
/* POST /hazards: a coordinator's patrol report {equipment_id, condition, description, evidence}
 * or a supervisor's entry {equipment_id, condition, description, grade, level}. */
enum sr_err sr_hazard_report(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb);
/* The hazard with its history, deadlines, rectifications and an explanation of how it was
 * found, graded and escalated, rung by rung; when the caller may see its equipment, else 404. */
enum sr_err sr_hazard_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);

#endif
