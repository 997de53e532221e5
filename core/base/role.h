/* role.h -- the roles a caller may have, and the principal: who is asking. */
#ifndef sr_role_h
#define sr_role_h

#include <stdbool.h>

enum sr_role {
  SR_ROLE_NONE = 0,
  SR_ROLE_CITY,        /* city_supervisor */
  SR_ROLE_DISTRICT,    /* district_supervisor */
  SR_ROLE_AGENCY,      /* agency */
  SR_ROLE_USER_UNIT,   /* user_unit */
  SR_ROLE_COORDINATOR, /* coordinator */
  SR_ROLE_ADMIN,       /* admin */
  SR_ROLE_SYSTEM       /* the CLI and the scheduler acting on their own */
};

const char *sr_role_name(enum sr_role r);
enum sr_role sr_role_parse(const char *s);
bool sr_role_is_supervisor(enum sr_role r);

struct sr_principal {
  long account_id;        /* 0 for the system */
  enum sr_role role;
  char jurisdiction[16];  /* district_supervisor, coordinator */
  long org_id;            /* user_unit, agency */
};

#endif
