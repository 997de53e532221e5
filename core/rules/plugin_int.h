/* plugin_int.h -- what plugin_bundle.c, plugin_set.c and plugin_ask.c share and nobody else needs. */
#ifndef sr_plugin_int_h
#define sr_plugin_int_h

#include <stdatomic.h>

#include "engine.h"
#include "plugin.h"
#include "sr_limits.h"

struct sr_plugin_bundle {
  atomic_int refs;
  long generation;
  int n;
  struct sr_plugin_source files[SR_MAX_PLUGINS];
};

/* Calls function <fn> of the set's file <unit> through its engine (engine.h, 'call'). */
enum sr_outcome sr_plugins_call(struct sr_plugins *p, int unit, enum sr_plugin_fn fn, const cJSON *const *args,
                                int nargs, int max_items, cJSON **answer, char *why, size_t whysz);

#endif
