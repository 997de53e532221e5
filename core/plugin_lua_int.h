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
  struct sr_ladder *ladder;       /* at most one escalation ladder */
  struct sr_workflow *workflows;
  int nworkflows;
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

/* [-0, +0, e] Converts the Lua value at <idx> to JSON: tables with keys 1..n become arrays,
 * tables with string keys objects. Bounded in depth and in items (*budget); raises on anything
 * else. New values are parked under p->pending_json (an array the caller set up and frees), so
 * that an error raised halfway leaks nothing; take the result with cJSON_DetachItemViaPointer. */
cJSON *sr_lua_to_json(lua_State *L, int idx, int depth, int *budget);

/* ---- plugin_flow.c ---- */
/* [-0, +0, e] Reads the sereg.escalation or sereg.workflow manifest at <idx> into the plugin set. */
void sr_lua_read_flow(lua_State *L, int idx, const char *file, const char *kind);
void sr_flow_free(struct sr_plugins *p);
/* After every file loaded: the ladder proposes only workflows that exist, codes are unique. */
bool sr_flow_check_set(const struct sr_plugins *p, char *err, size_t errsz);

#endif
