/*
 * engine.c -- the registered engines and what every engine shares. Adding an engine to sr_rules
 * is a folder of its own (an OBJECT library linked into sr_rules, as rules/lua is), its struct
 * sr_engine, its declaration in engine.h and one entry in the table below.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

static const struct sr_engine *engines[SR_MAX_ENGINES] = { &sr_lua_engine };

const struct sr_engine *sr_engine_at(int i) { return i >= 0 && i < SR_MAX_ENGINES ? engines[i] : NULL; }

const struct sr_engine *sr_engine_for(const char *file)
{
  size_t n = strlen(file);
  for(int i = 0; i < SR_MAX_ENGINES && engines[i]; i++) {
    size_t k = strlen(engines[i]->suffix);
    if(n > k && strcmp(file + n - k, engines[i]->suffix) == 0)
      return engines[i];
  }
  return NULL;
}

bool sr_engine_register(const struct sr_engine *e)
{
  int i = 0;
  while(i < SR_MAX_ENGINES && engines[i] && strcmp(engines[i]->suffix, e->suffix) != 0)
    i++;
  if(i == SR_MAX_ENGINES || engines[i])
    return false;
  engines[i] = e;
  return true;
}

const char *sr_engine_fn_name(enum sr_plugin_fn fn)
{
  static const char *const names[SR_FN_COUNT] = { "validate", "next_due", "check_inspection", "hazards",
                                                  "decide", "render" };
  return (unsigned)fn < SR_FN_COUNT ? names[fn] : "?";
}

void sr_engine_decl_free(struct sr_engine_decl *d)
{
  sr_eqtype_free_fields(&d->type);
  cJSON_Delete(d->spec);
  memset(d, 0, sizeof *d);
}
