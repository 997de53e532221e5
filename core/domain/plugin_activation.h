/*
 * plugin_activation.h -- which plugin set was active when, on the record: a row per activation
 * (sql/0023), written when a process publishes a set that differs from the latest recorded one,
 * with its audit record through the one writer; and the list of them beside the set in force.
 */
#ifndef sr_plugin_activation_h
#define sr_plugin_activation_h

#include <cjson/cJSON.h>

#include "ctx.h"

/* Records <c>'s plugin set as the active one, on <event> ("serve.start", "serve.reload",
 * "cli.sweep": ^[a-z][a-z0-9_.-]{0,63}$), acted by <c>'s caller, in a transaction of its own;
 * nothing when it is the latest recorded already. *id is the new row's id, or 0. */
enum sr_err sr_plugin_activation_note(struct sr_ctx *c, const char *event, long *id, struct sr_problem *pb);

/* {active: the set in force for <c> (sr_plugins_describe, and the id of its record or null),
 *  history: {items: [{id, at, digest, event, actor_role, actor_account, files}], next_cursor}},
 * the history oldest first after <after_id>, <limit> a page, with its "total" when <count>. Caller
 * owns *out. */
enum sr_err sr_plugin_activation_list(struct sr_ctx *c, long limit, long after_id, bool count, cJSON **out,
                                      struct sr_problem *pb);

#endif
