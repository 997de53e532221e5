/*
 * due.h -- the statutory next due date of a unit of equipment, decided by its type plugin from
 * the unit, its accepted inspection results, its suspensions and the inspection regime that
 * applies in its jurisdiction on the day, and stored with the rule and the reasons.
 */
#ifndef sr_due_h
#define sr_due_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "ctx.h"

/*
 * The columns a due decision reads about equipment <e>: its JSON, the regime on the day in
 * parameter <TODAY>, its accepted results except the one with id <DROP> (history) and its
 * suspend/resume events (stops). Parameter numbers go in as SQL text, e.g. "$2".
 */
#define SR_DUE_FACTS(TODAY, DROP)                                                                       \
  "e.type, e.status, coalesce(to_char(e.next_due, 'YYYY-MM-DD'), '') AS next_due, "                      \
  "coalesce(e.next_due_kind, '') AS next_due_kind, sereg_equipment_json(e)::text AS j, "                \
  "coalesce(e.next_due_basis, '{}')::text AS due_basis, "                                                \
  "(SELECT r.regime FROM inspection_regime r WHERE r.equipment_type = e.type "                          \
  "  AND (r.jurisdiction = e.jurisdiction OR r.jurisdiction IS NULL) AND r.valid_from <= " TODAY "::date " \
  "  AND (r.valid_to IS NULL OR r.valid_to >= " TODAY "::date) "                                        \
  "  ORDER BY r.jurisdiction IS NULL, r.valid_from DESC LIMIT 1) AS regime, "                           \
  "(SELECT coalesce(jsonb_agg(jsonb_build_object('kind', i.kind, "                                      \
  "  'inspected_on', to_char(i.inspected_on, 'YYYY-MM-DD'), 'conclusion', i.conclusion, "               \
  "  'conclusion_text', i.conclusion_text, 'passed', i.passed, 'safety_grade', i.safety_grade, "         \
  "  'report_number', i.report_number) ORDER BY i.inspected_on, i.id), '[]') "                          \
  "  FROM inspection i WHERE i.equipment_id = e.id AND i.superseded_by IS NULL AND i.id <> " DROP        \
  ")::text AS history, "                                                                                \
  "(SELECT coalesce(jsonb_agg(jsonb_build_object('action', ev.action, "                                 \
  "  'on', to_char(coalesce(ev.effective_on, ev.at::date), 'YYYY-MM-DD')) ORDER BY ev.id), '[]') "      \
  "  FROM equipment_event ev WHERE ev.equipment_id = e.id AND ev.action IN ('suspend', 'resume'))::text AS stops "

struct sr_due {
  char date[11];     /* "" when nothing is due (suspended, cancelled, no rule) */
  char kind[32];
  cJSON *explain;    /* {reason, basis, rule, computed_on, request_by, statutory_latest}; owned */
  bool changed;      /* differs from what the unit had */
  /* decided (by the rule), or recorded/unknown: a unit imported with its register's state (or
   * without any) keeps it until a real result arrives (sql/0026) */
  char state[12];
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

/* The decision from facts already read: <eq> carries regime and suspensions, <history> the
 * results oldest first; <prev_date>/<prev_kind> what the unit had, to tell whether it changed. */
struct sr_eqtype;
enum sr_err sr_due_from_facts(struct sr_ctx *c, const struct sr_eqtype *t, const char *type, const char *status,
                              const cJSON *eq, const cJSON *history, const char *prev_date, const char *prev_kind,
                              struct sr_due *out, struct sr_problem *pb);
/* Adds to <eq> (the unit's JSON) the rest of what a decision reads about it from row <row> of
 * <r>, which holds SR_DUE_FACTS' columns: its regime and its suspensions, with <action> (suspend
 * or resume; may be NULL) taken as done on <today>. What sr_due_decide() does with one unit,
 * for callers that read many. */
void sr_due_facts_add(cJSON *eq, const PGresult *r, int row, const char *action, const char *today);
/* Suspend/resume events [{action, on}] into periods [{from, to?}]. Caller owns the result. */
cJSON *sr_due_suspensions(const cJSON *stops);
/* Inserts a copy of <extra> into <history> after every result dated on or before it. */
void sr_due_add_to_history(cJSON *history, const cJSON *extra);
/* Merges <extra>, results sorted by inspected_on (equal dates in the order they should keep),
 * into <history>, each after every result of <history> dated on or before it: what
 * sr_due_add_to_history() one by one would do, in O(h + k). Takes <extra> over and frees it. */
void sr_due_merge_history(cJSON *history, cJSON *extra);

/* Stores <d> on equipment <id>; bumps its version when <bump> (a change of its own, not part of
 * a transition that already did) and queues equipment.due_changed when the date moved. */
enum sr_err sr_due_store(struct sr_ctx *c, long id, const struct sr_due *d, bool bump, struct sr_problem *pb);

/* sr_due_store, the notice saying <because> (may be NULL) is why the date moved, e.g. the rule
 * change "elevator.lua@1.2.0" that decides it now. */
enum sr_err sr_due_store_because(struct sr_ctx *c, long id, const struct sr_due *d, bool bump, const char *because,
                                 struct sr_problem *pb);

/* Stores what an imported register says of unit <id>: <state> "recorded" with <date>
 * (YYYY-MM-DD) and <kind>, or "unknown" with neither; <basis> (taken) says where it comes from
 * ({reason, source: {file, row}, last_inspection}). In the current transaction, as the system
 * writes derived fields; no notice (the unit's registration has its own). */
enum sr_err sr_due_record(struct sr_ctx *c, long id, const char *state, const char *date, const char *kind,
                          cJSON *basis, struct sr_problem *pb);

/* sr_due_decide + sr_due_store. */
enum sr_err sr_due_refresh(struct sr_ctx *c, long id, const struct sr_due_pending *pending, bool bump,
                           struct sr_problem *pb);

#endif
