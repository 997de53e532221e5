/*
 * plugin_lua_int.h -- what the two halves of the Lua host share: plugin_lua.c (states, sandbox,
 * loading) and plugin_lua_call.c (calling a plugin's functions and checking what they return).
 */
#ifndef sr_plugin_lua_int_h
#define sr_plugin_lua_int_h

#include <lua.h>

#include "plugin_int.h"

struct sr_plugins {
  lua_State *L;
  size_t mem_used, mem_cap;
  bool mem_exceeded;
  long budget, used;
  bool killed;
  struct sr_eqtype *types;
  int ntypes;
  /* Owned by the protected call in progress; the caller frees them if it raises. */
  struct sr_eqtype *pending_type;
  cJSON *pending_json;
};

struct sr_plugins *sr_lua_host(lua_State *L);
/* Runs <fn>(<ud>) in protected mode under <budget> instructions and the memory cap. Returns true
 * on success; otherwise the reason is in <err>. A call that spent its budget or hit the cap
 * fails even if the plugin caught the error itself. */
bool sr_lua_pcall(struct sr_plugins *p, lua_CFunction fn, void *ud, long budget, char *err, size_t errsz);
/* [-0, +1, e] Pushes <j> as a Lua value (objects and arrays as tables). */
void sr_lua_push_json(lua_State *L, const cJSON *j, int depth);

#endif
