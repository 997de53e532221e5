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
#include "hazard.h"

/* Opens hazard <h> (hazard.h) and puts it on the loaded ladder: its day rungs become deadline
 * rows and those due already fire, in the current transaction (*id is 0 when the hazard was
 * open or opened already). Run as the system: the caller has already decided that the hazard is
 * to be opened. */
enum sr_err sr_escalation_open(struct sr_ctx *c, const struct sr_hazard_new *h, long *id, struct sr_problem *pb);

/* Turns the day rungs of their ladder into deadline rows for the hazards in <ids> (a bigint[]
 * literal), and fires those already due; in the current transaction. */
enum sr_err sr_escalation_schedule(struct sr_ctx *c, const char *ids, struct sr_problem *pb);

struct sr_fire_result {
  long fired, held, failed, moot, overdue;
};

/* Fires the deadline rows due on c->today: ladder rungs, and workflow state deadlines (which
 * report rectification.overdue and fire the hazards' rectification_overdue rungs). With <ids>,
 * only those hazards' rows, in the current transaction; without, every due row, in chunks of
 * their own transactions (the sweep). A rung the ladder's decide() holds, or whose plugin fails,
 * stays pending and the rest go on. */
enum sr_err sr_escalation_fire(struct sr_ctx *c, const char *ids, struct sr_fire_result *out, struct sr_problem *pb);

#endif
