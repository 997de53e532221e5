/*
 * plugin_lua_int.h -- what the parts of the Lua host share: plugin_lua_sandbox.c (the allocator,
 * the budget of a call, the globals a plugin starts from), plugin_lua.c (states and loading),
 * plugin_lua_call.c (calling a plugin's functions and checking what they return), and the
 * library functions that charge their work to the budget (plugin_lua_pattern.c, plugin_lua_lib.c).
 */
#ifndef sr_plugin_lua_int_h
#define sr_plugin_lua_int_h

#include <lua.h>

#include "plugin_int.h"

/* Why the call in progress is being stopped; the first reason found stays. */
enum sr_lua_stop { SR_LUA_RUNNING, SR_LUA_BUDGET, SR_LUA_TIME, SR_LUA_MEMORY, SR_LUA_STRING, SR_LUA_STOPPING };

struct sr_plugins {
  lua_State *L;
  size_t mem_used, mem_cap;
  /* The call in progress (sr_lua_pcall): instructions and host work charged against the budget,
   * its wall-clock deadline, and whether (and why) it is to stop. */
  bool in_call;
  long budget, used;
  long long deadline_ms;
  unsigned ticks;
  enum sr_lua_stop stop;
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

/* ---- plugin_lua_sandbox.c ---- */
/* The allocator of every plugin state (<ud> is its struct sr_plugins): the memory cap, the
 * longest string, and allocation charged to the budget of the call in progress. */
void *sr_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* Runs <fn>(<ud>) in protected mode under <budget> instructions, SR_PLUGIN_CALL_MS of wall-clock
 * time and the memory cap, unless the server is stopping. Returns true on success; otherwise the
 * reason is in <err>. A call that hit a limit fails even if the plugin caught the error itself. */
bool sr_lua_pcall(struct sr_plugins *p, lua_CFunction fn, void *ud, long budget, char *err, size_t errsz);
/* [-0, +0, e] Charges <n> instructions' worth of host work to the call in progress; raises once
 * the call is to stop (budget spent, time up, a memory limit hit, the server stopping). Every
 * host loop whose length a plugin chooses calls it as it goes. */
void sr_lua_charge(lua_State *L, long n);
/* [-0, +0, e] Refuses a string longer than SR_PLUGIN_MAX_STRING: the call stops. */
void sr_lua_refuse_string(lua_State *L);
/* [-0, +0, e] Builds the sandbox's globals (no 'sereg' module) into the table on the stack top,
 * and points the shared string metatable at the sandbox's own string table. */
void sr_lua_sandbox_globals(lua_State *L);
/* [-0, +1, e] A fresh strict _ENV with private copies of <tmpl>'s library tables. */
void sr_lua_push_env(lua_State *L, int tmpl);

/* ---- plugin_lua_pattern.c: string.find, match, gmatch, gsub with a charged matcher ---- */
/* [-0, +0, e] Sets the four functions into the table at <idx>. */
void sr_lua_pattern_funcs(lua_State *L, int idx);

/* ---- plugin_lua_lib.c: library functions whose work is charged ---- */
/* [-0, +0, e] Replaces, in the library tables of the template at <tmpl>, every function whose
 * work a plugin can make large (table functions, string.rep, functions linear in their string
 * arguments) by one that charges it. */
void sr_lua_charged_funcs(lua_State *L, int tmpl);
/* [-1, +1, e] Wraps the function on the stack top in a closure that charges for its arguments
 * (one per argument and one per SR_PLUGIN_BYTES_PER_STEP bytes of string) before calling it. */
void sr_lua_wrap_charged(lua_State *L);
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
