/*
 * rectification.h -- supervised rectification (监察指令书, 挂牌督办) as workflows the plugins
 * define. A rectification covers one or more open hazards of one user unit in one jurisdiction,
 * goes with its unit when the unit is transferred or relocated, and runs under the
 * workflow version it was opened with (stored in rule_definition). The core knows no state or
 * action names: what a caller may do next is read from the workflow. Every step writes the row,
 * its history, the audit record and rectification.transitioned in one transaction; a state's
 * deadline becomes a deadline row the sweep fires; entering a state marked closes_hazards closes
 * each hazard no other open rectification still covers.
 */
#ifndef sr_rectification_h
#define sr_rectification_h

#include <cjson/cJSON.h>

#include "ctx.h"

/* POST /rectifications: {workflow, hazard_ids, directive_number, deadline, note}. */
enum sr_err sr_rectification_open(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb);
/* The escalation ladder proposes <hazard_id> for <workflow>: opens one in its initial state,
 * unless one of that workflow is already open for the hazard. In the caller's transaction. */
enum sr_err sr_rectification_propose(struct sr_ctx *c, long hazard_id, const char *workflow, const char *reason,
                                     struct sr_problem *pb);
/* After unit <equipment_id> was transferred or relocated (<action>; its row already changed in
 * the caller's transaction): each rectification whose hazards are all on the unit takes the
 * unit's user unit and jurisdiction, with a history entry 'follow_transfer' or
 * 'follow_relocation' (same state, <note> naming the change), its audit record and
 * rectification.transitioned, as any step. One that covers other units as well stays where it
 * was; while it is open it refuses the move (SR_CONFLICT naming it). */
enum sr_err sr_rectification_follow(struct sr_ctx *c, long equipment_id, const char *action, const char *note,
                                    struct sr_problem *pb);
/* The rectification with its hazards, history, deadlines and the actions the caller may take. */
enum sr_err sr_rectification_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* POST /rectifications/{id}/transitions: {action, note, opinion, deadline, evidence}. */
enum sr_err sr_rectification_transition(struct sr_ctx *c, long id, const struct sr_versions *if_match,
                                        const cJSON *body, cJSON **out, struct sr_problem *pb);

struct sr_rectification_filter {
  long hazard_id;                          /* 0: any */
  const char *workflow, *state, *jurisdiction; /* NULL: any */
  int open;                                /* -1 any, 1 open, 0 closed */
  int past_deadline;                       /* -1 any, 1 open past its deadline, 0 not */
  long after_id, limit;
  bool count; /* answer the total as well */
};
enum sr_err sr_rectification_list(struct sr_ctx *c, const struct sr_rectification_filter *f, cJSON **out,
                                  struct sr_problem *pb);

#endif
