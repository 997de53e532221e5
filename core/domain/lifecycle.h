/*
 * lifecycle.h -- the equipment lifecycle as a table: which action is allowed from which status,
 * by which roles, and where it leads (REGULATIONS §1). Pure data and lookups; no database.
 */
#ifndef sr_lifecycle_h
#define sr_lifecycle_h

#include "ctx.h"
#include "err.h"

enum sr_status { SR_ST_PENDING, SR_ST_IN_SERVICE, SR_ST_SUSPENDED, SR_ST_SCRAPPED, SR_ST_CANCELLED,
                 SR_ST__COUNT };

const char *sr_status_name(enum sr_status s);
/* -1 when <s> names no status. */
int sr_status_parse(const char *s);

struct sr_action {
  const char *name;
  const char *const *fields;  /* body fields the action takes besides action and reason */
  const char *const *required;/* those of them it needs */
};

/* The action called <name>, or NULL. */
const struct sr_action *sr_action_find(const char *name);
/* The names of all actions, comma-separated, for messages. */
const char *sr_action_names(void);

/*
 * Decides whether <role> may take <action> on equipment in status <from>. Returns SR_OK with the
 * resulting status in *to, SR_CONFLICT when the action is not allowed from <from> for anyone,
 * or SR_FORBIDDEN when it is allowed from <from> but not for <role>.
 */
enum sr_err sr_lifecycle_check(const char *action, enum sr_status from, enum sr_role role,
                               enum sr_status *to);

#endif
