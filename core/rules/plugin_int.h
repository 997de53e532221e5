/* plugin_int.h -- what plugin_lua.c and plugin_set.c share and nobody else needs. */
#ifndef sr_plugin_int_h
#define sr_plugin_int_h

#include <stdatomic.h>

#include "plugin.h"
#include "sr_limits.h"

struct sr_plugin_source {
  char *name; /* file name, e.g. "elevator.lua" */
  char *src;
  size_t len;
};

struct sr_plugin_bundle {
  atomic_int refs;
  long generation;
  int n;
  struct sr_plugin_source files[SR_MAX_PLUGINS];
};

void sr_eqtype_free_fields(struct sr_eqtype *t);

#endif
