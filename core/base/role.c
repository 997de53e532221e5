/* role.c -- see role.h. */
#include "role.h"

#include <string.h>

static const char *const role_names[] = { "", "city_supervisor", "district_supervisor", "agency",
                                          "user_unit", "coordinator", "admin", "system" };

const char *sr_role_name(enum sr_role r)
{
  return (unsigned)r < sizeof role_names / sizeof *role_names ? role_names[r] : "";
}

enum sr_role sr_role_parse(const char *s)
{
  for(unsigned i = 1; s && i < sizeof role_names / sizeof *role_names; i++)
    if(strcmp(s, role_names[i]) == 0)
      return (enum sr_role)i;
  return SR_ROLE_NONE;
}

bool sr_role_is_supervisor(enum sr_role r) { return r == SR_ROLE_CITY || r == SR_ROLE_DISTRICT; }
