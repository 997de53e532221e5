/*
 * plugin_diff.h -- a rule change replayed before it is live. Every unit of the register (or of
 * one jurisdiction) is read by keyset in chunks and its stored facts are put through two plugin
 * sets with the same domain functions that decide a unit's due date, its hazards and its
 * attributes today (sr_due_from_facts, sr_plugins_hazards, sr_plugins_validate): what the
 * active set decides beside what a new one would. Nothing is written.
 *
 * The same replay with the stored due date in place of the active set's answer finds the units
 * whose stored due date the active rule now decides differently (after a rule change went
 * live); sr_plugin_diff_apply_due moves them through the one path that moves a due date.
 */
#ifndef sr_plugin_diff_h
#define sr_plugin_diff_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"

struct sr_plugins;

/* How a unit's due date moves from the first decision to the second. */
enum sr_plugin_diff_move {
  SR_DIFF_SAME,    /* same date and kind */
  SR_DIFF_EARLIER, /* due sooner */
  SR_DIFF_LATER,   /* due later */
  SR_DIFF_KIND,    /* the same date, another kind */
  SR_DIFF_GAINED,  /* nothing was due; now a date is */
  SR_DIFF_LOST,    /* a date was due; now nothing is */
  SR_DIFF_FAILED,  /* a plugin failed on the unit (in either set) */
  SR_DIFF_NMOVES
};
const char *sr_plugin_diff_move_name(enum sr_plugin_diff_move m);

/* What changes for one unit. Borrowed for the callback's duration. */
struct sr_plugin_diff_unit {
  long id;
  const char *equipment_code, *registration_number, *jurisdiction, *type;
  enum sr_plugin_diff_move move;
  long days;                        /* new date - old date, when both are dates */
  char old_date[11], new_date[11];  /* "" for none */
  char old_kind[32], new_kind[32];
  const char *old_rule, *new_rule;  /* "elevator.lua@1.1.0", or "" */
  const char *failure;              /* the plugin's failure, for SR_DIFF_FAILED */
  const cJSON *opened, *closed;     /* hazards [{report_number, condition, grade, level}] only one set finds */
  const cJSON *invalid;             /* [{field, message}] the new validate refuses (the old took them) */
  const struct sr_due *due;         /* the second decision, in full (apply-due stores it) */
};

/* Counts for one equipment type. */
struct sr_plugin_diff_type {
  char code[40];
  char old_rule[96], new_rule[96];
  long units, moves[SR_DIFF_NMOVES], opened, closed, invalid;
};

struct sr_plugin_diff_summary {
  long units;                  /* replayed */
  long changed;                /* units with any change */
  long opened, closed, invalid;
  struct sr_plugin_diff_type types[64];
  int ntypes;
};

struct sr_plugin_diff_options {
  const char *jurisdiction; /* NULL: the whole register */
  int chunk;                /* units a chunk reads; 0 for SR_DIFF_CHUNK */
};

/* Called for every unit with a change, in id order; false stops the replay (SR_INTERNAL). */
typedef bool (*sr_plugin_diff_each)(const struct sr_plugin_diff_unit *u, void *arg);

/* Replays every unit through <c>'s plugin set and through <after>, as of c->today, and calls
 * <each> for each unit the two decide differently. <c> is the system's; its connection is made
 * read-only for the replay. <sum> gets the counts. */
enum sr_err sr_plugin_diff_run(struct sr_ctx *c, struct sr_plugins *after, const struct sr_plugin_diff_options *o,
                               sr_plugin_diff_each each, void *arg, struct sr_plugin_diff_summary *sum,
                               struct sr_problem *pb);

/* The units whose stored due date (date or kind) <c>'s plugin set decides differently as of
 * c->today, each given to <each>. With <apply>, each is stored as it is found, chunk by chunk,
 * each chunk a transaction: the row, a history entry (recompute_due, the new rule@version as
 * its reason), an audit record and equipment.due_changed, through the one writer. */
enum sr_err sr_plugin_diff_apply_due(struct sr_ctx *c, bool apply, const struct sr_plugin_diff_options *o,
                                     sr_plugin_diff_each each, void *arg, struct sr_plugin_diff_summary *sum,
                                     struct sr_problem *pb);

#endif
