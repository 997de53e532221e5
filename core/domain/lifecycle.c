/* lifecycle.c -- see lifecycle.h. One row per (action, from-statuses, roles). */
#include "lifecycle.h"

#include <string.h>

#define ST(s) (1u << (SR_ST_##s))
#define RL(r) (1u << (SR_ROLE_##r))
#define SUPERVISORS (RL(CITY) | RL(DISTRICT) | RL(SYSTEM)) /* the system acts for them (demo, import) */
#define SAME (-1)

struct rule {
  const char *action;
  unsigned from;   /* statuses it may start from */
  unsigned roles;  /* roles that may take it from those */
  int to;          /* resulting status, or SAME */
};

/*
 * 使用登记 is approved by the registering authority; the user unit reports 停用 and asks for
 * 启用; 变更登记 (改造, 移装, 过户, 更名) is the authority's act; the user unit files 报废 and
 * the authority cancels (注销). A user unit may withdraw its own pending application.
 */
static const struct rule rules[] = {
  { "approve", ST(PENDING), SUPERVISORS, SR_ST_IN_SERVICE },
  { "suspend", ST(IN_SERVICE), SUPERVISORS | RL(USER_UNIT), SR_ST_SUSPENDED },
  { "resume", ST(SUSPENDED), SUPERVISORS | RL(USER_UNIT), SR_ST_IN_SERVICE },
  { "modify", ST(IN_SERVICE) | ST(SUSPENDED), SUPERVISORS, SAME },
  { "relocate", ST(IN_SERVICE) | ST(SUSPENDED), SUPERVISORS, SAME },
  { "transfer", ST(IN_SERVICE) | ST(SUSPENDED), SUPERVISORS, SAME },
  { "rename", ST(IN_SERVICE) | ST(SUSPENDED), SUPERVISORS, SAME },
  { "scrap", ST(IN_SERVICE) | ST(SUSPENDED), SUPERVISORS | RL(USER_UNIT), SR_ST_SCRAPPED },
  { "cancel", ST(PENDING), SUPERVISORS | RL(USER_UNIT), SR_ST_CANCELLED },
  { "cancel", ST(IN_SERVICE) | ST(SUSPENDED) | ST(SCRAPPED), SUPERVISORS, SR_ST_CANCELLED },
};

static const char *const none[] = { NULL };
static const char *const modify_f[] = { "attributes", NULL };
static const char *const relocate_f[] = { "address", "jurisdiction", NULL };
static const char *const relocate_r[] = { "address", NULL };
static const char *const transfer_f[] = { "user_unit", NULL };
static const char *const rename_f[] = { "user_unit_name", NULL };

static const struct sr_action actions[] = {
  { "approve", none, none },
  { "suspend", none, none },
  { "resume", none, none },
  { "modify", modify_f, modify_f },
  { "relocate", relocate_f, relocate_r },
  { "transfer", transfer_f, transfer_f },
  { "rename", rename_f, rename_f },
  { "scrap", none, none },
  { "cancel", none, none },
};

static const char *const status_names[] = { "pending", "in_service", "suspended", "scrapped", "cancelled" };

const char *sr_status_name(enum sr_status s)
{
  return (unsigned)s < SR_ST__COUNT ? status_names[s] : "?";
}

int sr_status_parse(const char *s)
{
  for(int i = 0; s && i < SR_ST__COUNT; i++)
    if(strcmp(s, status_names[i]) == 0)
      return i;
  return -1;
}

const struct sr_action *sr_action_find(const char *name)
{
  for(size_t i = 0; name && i < sizeof actions / sizeof *actions; i++)
    if(strcmp(actions[i].name, name) == 0)
      return &actions[i];
  return NULL;
}

const char *sr_action_names(void)
{
  return "approve, suspend, resume, modify, relocate, transfer, rename, scrap, cancel";
}

enum sr_err sr_lifecycle_check(const char *action, enum sr_status from, enum sr_role role,
                               enum sr_status *to)
{
  enum sr_err rc = SR_CONFLICT;
  for(size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
    const struct rule *r = &rules[i];
    if(strcmp(r->action, action) != 0 || !(r->from & (1u << from)))
      continue;
    if(!(r->roles & (1u << role))) {
      rc = SR_FORBIDDEN;
      continue;
    }
    *to = r->to == SAME ? from : (enum sr_status)r->to;
    return SR_OK;
  }
  return rc;
}
