/* test_lifecycle.c -- the lifecycle table, every action from every status for every role. */
#include "check.h"
#include "lifecycle.h"

/* Expected outcome: 'o' allowed, 'c' conflict (409), 'f' forbidden (403), per status column
 * pending, in_service, suspended, scrapped, cancelled. */
struct row {
  const char *action;
  enum sr_role role;
  const char expect[6];
};

static const struct row table[] = {
  { "approve", SR_ROLE_CITY, "occcc" },     { "approve", SR_ROLE_DISTRICT, "occcc" },
  { "approve", SR_ROLE_USER_UNIT, "fcccc" }, { "approve", SR_ROLE_ADMIN, "fcccc" },
  { "suspend", SR_ROLE_USER_UNIT, "coccc" }, { "suspend", SR_ROLE_AGENCY, "cfccc" },
  { "resume", SR_ROLE_USER_UNIT, "ccocc" },  { "resume", SR_ROLE_DISTRICT, "ccocc" },
  { "resume", SR_ROLE_COORDINATOR, "ccfcc" },
  { "modify", SR_ROLE_CITY, "coocc" },      { "modify", SR_ROLE_USER_UNIT, "cffcc" },
  { "relocate", SR_ROLE_DISTRICT, "coocc" }, { "transfer", SR_ROLE_ADMIN, "cffcc" },
  { "rename", SR_ROLE_CITY, "coocc" },
  { "scrap", SR_ROLE_USER_UNIT, "coocc" },  { "scrap", SR_ROLE_CITY, "coocc" },
  { "cancel", SR_ROLE_USER_UNIT, "offfc" }, { "cancel", SR_ROLE_CITY, "ooooc" },
  { "cancel", SR_ROLE_AGENCY, "ffffc" },
};

static void every_cell_of_the_table(void)
{
  for(size_t i = 0; i < sizeof table / sizeof *table; i++)
    for(int s = 0; s < SR_ST__COUNT; s++) {
      enum sr_status to = SR_ST__COUNT;
      enum sr_err e = sr_lifecycle_check(table[i].action, (enum sr_status)s, table[i].role, &to);
      char got = e == SR_OK ? 'o' : e == SR_CONFLICT ? 'c' : e == SR_FORBIDDEN ? 'f' : '?';
      if(got != table[i].expect[s])
        fprintf(stderr, "  %s by %s from %s: got %c\n", table[i].action, sr_role_name(table[i].role),
                sr_status_name((enum sr_status)s), got);
      CHECK_INT(got, table[i].expect[s]);
    }
}

static void destinations(void)
{
  enum sr_status to;
  CHECK_INT(sr_lifecycle_check("approve", SR_ST_PENDING, SR_ROLE_CITY, &to), SR_OK);
  CHECK_INT(to, SR_ST_IN_SERVICE);
  CHECK_INT(sr_lifecycle_check("suspend", SR_ST_IN_SERVICE, SR_ROLE_USER_UNIT, &to), SR_OK);
  CHECK_INT(to, SR_ST_SUSPENDED);
  CHECK_INT(sr_lifecycle_check("relocate", SR_ST_SUSPENDED, SR_ROLE_CITY, &to), SR_OK);
  CHECK_INT(to, SR_ST_SUSPENDED);
  CHECK_INT(sr_lifecycle_check("scrap", SR_ST_SUSPENDED, SR_ROLE_CITY, &to), SR_OK);
  CHECK_INT(to, SR_ST_SCRAPPED);
  CHECK_INT(sr_lifecycle_check("cancel", SR_ST_SCRAPPED, SR_ROLE_DISTRICT, &to), SR_OK);
  CHECK_INT(to, SR_ST_CANCELLED);
}

static void unknown_names(void)
{
  enum sr_status to;
  CHECK(sr_action_find("approve") != NULL);
  CHECK(sr_action_find("delete") == NULL);
  CHECK(sr_action_find(NULL) == NULL);
  CHECK_INT(sr_lifecycle_check("delete", SR_ST_IN_SERVICE, SR_ROLE_CITY, &to), SR_CONFLICT);
  CHECK_INT(sr_status_parse("in_service"), SR_ST_IN_SERVICE);
  CHECK_INT(sr_status_parse("retired"), -1);
}

int main(void)
{
  RUN(every_cell_of_the_table);
  RUN(destinations);
  RUN(unknown_names);
  return CHECK_DONE();
}
