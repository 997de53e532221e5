/*
 * flow.h -- the two kinds of rule plugin that drive hazards to closure, as data the core checks
 * and reads: the escalation ladder (sereg.escalation) and rectification workflows
 * (sereg.workflow). A plugin's manifest is turned into JSON when it loads; these functions check
 * that JSON against the contract once, so that nothing later has to doubt it, and answer the
 * questions the core asks of it. The core knows no state, action or rung names of its own.
 *
 * Ladder:   { version, opens = { overdue = {grade, level} },
 *             rungs = { {id, reason, when = {source = {..}, grade = {..}}, after_days | on,
 *                        set = {grade, level}, propose = workflow, notify = {audience..}} } }
 * Workflow: { code, name, version, initial, opened_by = {role..},
 *             states = { name = {deadline_days | deadline = "directive", final, closes_hazards} },
 *             transitions = { {action, from = {state..}, to, roles = {role..},
 *                              requires = {field..}, sets_deadline, before_deadline} } }
 */
#ifndef sr_flow_h
#define sr_flow_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* What a hazard may be graded and where it may be handled. */
bool sr_flow_grade_ok(const char *s);
bool sr_flow_level_ok(const char *s);
/* 1 when <a> is more serious than <b> (major > general, city > district), else 0. */
int sr_flow_grade_rank(const char *grade);
int sr_flow_level_rank(const char *level);

/* What a hazard's condition may look like (it becomes part of the hazard's key, joined to the
 * occasion by ':'): 1..64 bytes of printable text without ':'. */
bool sr_flow_condition_ok(const char *s);

/* Checks a definition; on failure the reason is in <why>. */
bool sr_flow_ladder_check(const cJSON *spec, char *why, size_t n);
bool sr_flow_workflow_check(const cJSON *spec, char *why, size_t n);

/* The trigger of a rung that fires on an event rather than a number of days. */
#define SR_RUNG_ON_RECTIFICATION_OVERDUE "rectification_overdue"

/* Whether <rung> applies to a hazard of <source> and <grade>. */
bool sr_flow_rung_applies(const cJSON *rung, const char *source, const char *grade);
/* The grade and level the ladder gives what the sweep finds of <source> ("overdue"), or the
 * given defaults when it says nothing. */
void sr_flow_ladder_opens(const cJSON *ladder, const char *source, const char **grade, const char **level);

const cJSON *sr_flow_state(const cJSON *wf, const char *state);
const cJSON *sr_flow_transition(const cJSON *wf, const char *action);
/* Whether a transition may be taken from <state>, and by <role>. */
bool sr_flow_transition_from(const cJSON *t, const char *state);
bool sr_flow_list_has(const cJSON *list, const char *s);

#endif
