/*
 * record.h -- the one writer of what a change leaves besides the row it changes: its history
 * entry, its audit record and its outbox notice, all written by the database function
 * sereg_record() (sql/0016) in the caller's transaction, with who acts taken from the
 * transaction (tx.h) and never from the call. A change is a JSON object with any of
 *   history: {of: "equipment"|"hazard"|"rectification", id, action, ...the entry's fields}
 *   audit:   {action, target_type, target_id, detail}
 *   event:   {type, subject_type, subject_id, jurisdiction, payload}
 * Set-based statements build the same objects in SQL and call sereg_record() once.
 */
#ifndef sr_record_h
#define sr_record_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"

/* A new change. */
cJSON *sr_change_new(void);
/* Gives <change> a history entry of <action> on <of> <id>, and returns it for its own fields
 * (from, to, reason, before, after, effective_on; note, opinion, deadline, evidence). */
cJSON *sr_change_history(cJSON *change, const char *of, const char *id, const char *action);
/* Gives <change> its audit record; takes <detail> (may be NULL). */
void sr_change_audit(cJSON *change, const char *action, const char *target_type, const char *target_id,
                     cJSON *detail);
/* Gives <change> its notice: an event type of the event_type table about <subject_type>
 * <subject_id> of <jurisdiction>; takes <payload> (may be NULL). */
void sr_change_event(cJSON *change, const char *type, const char *subject_type, const char *subject_id,
                     const char *jurisdiction, cJSON *payload);

/* Writes <changes> (one change, or an array of them) in the current transaction, in one round
 * trip. On failure <pb> is filled (SR_INTERNAL). */
bool sr_record(struct sr_ctx *c, const cJSON *changes, struct sr_problem *pb);
/* Writes <changes> and commits the transaction; takes <changes>. On failure the transaction is
 * rolled back and <pb> says why. For a mutation whose last step is its records. */
bool sr_record_commit(struct sr_ctx *c, cJSON *changes, struct sr_problem *pb);

#endif
