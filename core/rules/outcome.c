/* outcome.c -- see outcome.h. */
#include "outcome.h"

#include <stdio.h>

#include "sr_limits.h"

void sr_outcome_describe(enum sr_outcome o, const struct sr_outcome_limits *l, char *buf, size_t n)
{
  switch(o) {
  case SR_OUTCOME_BUDGET:
    snprintf(buf, n, "instruction budget of %ld exceeded", l->budget);
    return;
  case SR_OUTCOME_TIME:
    snprintf(buf, n, "time limit of %d ms exceeded", l->ms);
    return;
  case SR_OUTCOME_MEMORY:
    snprintf(buf, n, "memory limit of %zu bytes exceeded", l->memory);
    return;
  case SR_OUTCOME_STRING:
    snprintf(buf, n, "string length limit of %d bytes exceeded", SR_PLUGIN_MAX_STRING);
    return;
  case SR_OUTCOME_STOPPING:
    snprintf(buf, n, "the server is stopping");
    return;
  default:
    snprintf(buf, n, "stopped");
  }
}

const char *sr_outcome_name(enum sr_outcome o)
{
  static const char *const names[] = { "ok", "absent", "raised", "malformed", "budget",
                                       "time", "memory", "string", "stopping", "host" };
  return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}
