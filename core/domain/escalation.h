/*
 * escalation.h -- opening hazards one at a time and driving them up the escalation ladder.
 *
 * A hazard opened here (from an inspection result, a patrol report or a supervisor) and a hazard
 * the sweep opens take the same road afterwards: the ladder loaded when it opened is stored
 * (rule_definition) and stays its ladder; each of its day rungs becomes a deadline row; rungs due
 * at once fire in the opening transaction, the rest when the sweep reaches their day. Firing a
 * rung raises grade and level (never lowers them), records why, queues hazard.escalated with the
 * audiences to notify, and may propose the hazard for a workflow (挂牌督办).
 */
#ifndef sr_escalation_h
#define sr_escalation_h

#include <cjson/cJSON.h>

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

/* Opens a hazard in the current transaction, unless the same condition is already open on the
 * unit or this occasion already opened it (*id is 0 then). Writes its history, audit record and
 * hazard.opened, then schedules and fires the ladder (see above). Run as the system: the caller
 * has already decided that the hazard is to be opened. */
enum sr_err sr_hazard_open(struct sr_ctx *c, const struct sr_hazard_new *h, long *id, struct sr_problem *pb);

/* Stores <spec> under "file@version" in rule_definition (once) and writes the name to <rule>. */
enum sr_err sr_rule_store(struct sr_ctx *c, const char *kind, const char *file, const char *version,
                          const cJSON *spec, char *rule, size_t n, struct sr_problem *pb);

/* The stored name of the loaded ladder ("escalation.lua@1.0.0"), storing its definition the
 * first time; "" when no escalation plugin is loaded. */
enum sr_err sr_ladder_rule(struct sr_ctx *c, char *rule, size_t n, struct sr_problem *pb);

/* Turns the day rungs of their ladder into deadline rows for the hazards in <ids> (a bigint[]
 * literal), and fires those already due; in the current transaction. */
enum sr_err sr_ladder_schedule(struct sr_ctx *c, const char *ids, struct sr_problem *pb);

struct sr_fire_result {
  long fired, held, failed, moot, overdue;
};

/* Fires the deadline rows due on c->today: ladder rungs, and workflow state deadlines (which
 * report rectification.overdue and fire the hazards' rectification_overdue rungs). With <ids>,
 * only those hazards' rows, in the current transaction; without, every due row, in chunks of
 * their own transactions (the sweep). A rung the ladder's decide() holds, or whose plugin fails,
 * stays pending and the rest go on. */
enum sr_err sr_deadlines_fire(struct sr_ctx *c, const char *ids, struct sr_fire_result *out, struct sr_problem *pb);

/* Closes an open hazard in the current transaction, with history, audit and hazard.closed. */
enum sr_err sr_hazard_close(struct sr_ctx *c, long id, const char *reason, struct sr_problem *pb);

#endif
