/*
 * plugin_lua_sandbox.c -- what bounds a plugin: the allocator and its caps, the budget of every
 * call, the process-wide stop, and the globals a plugin starts from.
 *
 * No plugin code may run outside the budget of a call. The count hook raises once the budget is
 * spent and then re-arms itself on every instruction, so a plugin's pcall only delays the next
 * raise. Lua runs an xpcall message handler inside the frame that raised, which for an error
 * raised by the hook means with hooks off: the sandbox's xpcall therefore runs the handler itself,
 * after the error has unwound, as ordinary budgeted code. Host functions whose loops a plugin can
 * make long (patterns, table functions, string builders) charge their work through
 * sr_lua_charge(), strings are capped in length, and a wall-clock deadline catches what is left
 * (an instruction that compares two long strings costs more than one that adds two numbers).
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin_lua_int.h"

#define HOOK_STRIDE 1000
#define CLOCK_EVERY 64 /* sr_lua_charge calls between two looks at the clock */

/* Set once by sr_plugins_interrupt and never cleared: the process is on its way out. */
static atomic_bool stopping;

void sr_plugins_interrupt(void) { atomic_store(&stopping, true); }

bool sr_plugins_interrupted(void) { return atomic_load(&stopping); }

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* The next VM instruction runs the hook, which raises: the call is to stop. Safe from inside the
 * allocator, as lua_sethook only sets fields (Lua allows it even from a signal handler). */
static void stop_soon(struct sr_plugins *p, enum sr_lua_stop why)
{
  if(p->stop == SR_LUA_RUNNING)
    p->stop = why;
  lua_sethook(p->L, count_hook, LUA_MASKCOUNT, 1);
}

static void stop_reason(const struct sr_plugins *p, char *buf, size_t n)
{
  switch(p->stop) {
  case SR_LUA_BUDGET:
    snprintf(buf, n, "instruction budget of %ld exceeded", p->budget);
    break;
  case SR_LUA_TIME:
    snprintf(buf, n, "time limit of %d ms exceeded", SR_PLUGIN_CALL_MS);
    break;
  case SR_LUA_MEMORY:
    snprintf(buf, n, "memory limit of %zu bytes exceeded", p->mem_cap);
    break;
  case SR_LUA_STRING:
    snprintf(buf, n, "string length limit of %d bytes exceeded", SR_PLUGIN_MAX_STRING);
    break;
  case SR_LUA_STOPPING:
    snprintf(buf, n, "the server is stopping");
    break;
  default:
    snprintf(buf, n, "stopped");
  }
}

/* ==== the allocator ==== */

/* Refuses an allocation; inside a call the call stops at its next instruction, so a plugin that
 * catches the memory error cannot go on retrying (each retry costs Lua a full collection). */
static void *refuse(struct sr_plugins *p, enum sr_lua_stop why)
{
  if(p->in_call)
    stop_soon(p, why);
  return NULL;
}

void *sr_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct sr_plugins *p = ud;
  size_t old = ptr ? osize : 0;
  if(nsize == 0) {
    free(ptr);
    p->mem_used -= old;
    return NULL;
  }
  /* A new object says its type in osize; a string's block is its length and a small header. */
  if(!ptr && osize == LUA_TSTRING && nsize > (size_t)SR_PLUGIN_MAX_STRING + 64)
    return refuse(p, SR_LUA_STRING);
  if(nsize > old && p->mem_used - old + nsize > p->mem_cap)
    return refuse(p, SR_LUA_MEMORY);
  void *n = realloc(ptr, nsize);
  if(!n)
    return NULL;
  p->mem_used = p->mem_used - old + nsize;
  if(p->in_call && nsize > old)
    p->used += (long)((nsize - old) / SR_PLUGIN_ALLOC_BYTES_PER_STEP);
  return n;
}

/* ==== the budget of a call ==== */

/* Raises if the call is to stop. The clock is read only when <clock> says, as it costs more
 * than the rest. */
static void check(lua_State *L, struct sr_plugins *p, bool clock)
{
  if(p->stop == SR_LUA_RUNNING) {
    if(atomic_load_explicit(&stopping, memory_order_relaxed))
      p->stop = SR_LUA_STOPPING;
    else if(p->used > p->budget)
      p->stop = SR_LUA_BUDGET;
    else if(clock && now_ms() > p->deadline_ms)
      p->stop = SR_LUA_TIME;
    else
      return;
  }
  /* From now on fire on every instruction: a pcall in the plugin only delays the next raise. */
  lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  char why[96];
  stop_reason(p, why, sizeof why);
  luaL_error(L, "%s", why);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  struct sr_plugins *p = sr_lua_host(L);
  p->used += HOOK_STRIDE;
  check(L, p, true);
}

void sr_lua_charge(lua_State *L, long n)
{
  struct sr_plugins *p = sr_lua_host(L);
  p->used += n;
  check(L, p, ++p->ticks % CLOCK_EVERY == 0);
}

void sr_lua_refuse_string(lua_State *L)
{
  struct sr_plugins *p = sr_lua_host(L);
  if(p->stop == SR_LUA_RUNNING)
    p->stop = SR_LUA_STRING;
  check(L, p, false);
}

/* [-1, +1, m] Turns any error value into a string without running plugin metamethods. */
static int msgh(lua_State *L)
{
  if(lua_type(L, 1) != LUA_TSTRING)
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

bool sr_lua_pcall(struct sr_plugins *p, lua_CFunction fn, void *ud, long budget, char *err, size_t errsz)
{
  lua_State *L = p->L;
  if(atomic_load(&stopping)) {
    snprintf(err, errsz, "the server is stopping");
    return false;
  }
  if(!lua_checkstack(L, 8)) {
    snprintf(err, errsz, "plugin host: out of stack");
    return false;
  }
  p->used = 0;
  p->budget = budget;
  p->ticks = 0;
  p->stop = SR_LUA_RUNNING;
  p->deadline_ms = now_ms() + SR_PLUGIN_CALL_MS;
  int base = lua_gettop(L);
  lua_pushcfunction(L, msgh);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  p->in_call = true;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STRIDE);
  int rc = lua_pcall(L, 1, 0, base + 1);
  lua_sethook(L, NULL, 0, 0);
  p->in_call = false;
  bool ok = rc == LUA_OK && p->stop == SR_LUA_RUNNING;
  if(!ok) {
    if(p->stop != SR_LUA_RUNNING)
      stop_reason(p, err, errsz);
    else
      snprintf(err, errsz, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "unknown error");
  }
  lua_settop(L, base);
  if(!ok)
    lua_gc(L, LUA_GCCOLLECT); /* give back what a runaway plugin took */
  return ok;
}

/* ==== base functions of the sandbox ==== */

/* [-(2+n), +(1+m), e] xpcall(f, handler, ...): f runs protected; if it fails, the handler runs
 * after the error has unwound, as ordinary code under the budget (Lua would run it inside the
 * failing frame, where an error raised by the budget hook leaves hooks off). A handler that
 * fails is given its own error, as in Lua, up to SR_PLUGIN_HANDLER_TRIES times. A call that is
 * being stopped does not run the handler at all. */
static int safe_xpcall(lua_State *L)
{
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checkstack(L, 2, NULL);
  lua_pushvalue(L, 1); /* handler f ... */
  lua_pushvalue(L, 2);
  lua_replace(L, 1);
  lua_replace(L, 2);
  int rc = lua_pcall(L, n - 2, LUA_MULTRET, 0);
  sr_lua_charge(L, 0); /* raises again if the call is being stopped, whatever f caught */
  if(rc == LUA_OK) {
    lua_pushboolean(L, 1);
    lua_replace(L, 1);
    return lua_gettop(L);
  }
  /* Lua does not call the handler for memory errors either. */
  for(int tries = 0; rc != LUA_ERRMEM; tries++) {
    if(tries == SR_PLUGIN_HANDLER_TRIES) {
      lua_pushboolean(L, 0);
      lua_pushliteral(L, "error in error handling");
      return 2;
    }
    lua_pushvalue(L, 1);
    lua_insert(L, -2);
    rc = lua_pcall(L, 1, 1, 0);
    sr_lua_charge(L, 0);
    if(rc == LUA_OK)
      break;
  }
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  return 2;
}

/* [-2, +1, e] setmetatable without finalizers: a __gc would run plugin code at GC time, outside
 * any call and its budget. */
static int safe_setmetatable(lua_State *L)
{
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if(t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if(lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not allowed in plugins");
    lua_pop(L, 1);
  }
  if(luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

static int strict_index(lua_State *L)
{
  return luaL_error(L, "undeclared global '%s'", lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

static int strict_newindex(lua_State *L)
{
  return luaL_error(L, "assignment to undeclared global '%s' (declare it local)",
                    lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

/* ==== the template of plugin globals ==== */

static const char *const base_allowed[] = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "rawset", "select", "getmetatable", "tostring", "type", "_VERSION", NULL,
};

/* Copies library table <lib> (on the stack top, popped) into template field <name>, minus <deny>. */
static void template_lib(lua_State *L, int tmpl, const char *name, const char *const *deny)
{
  lua_newtable(L);
  lua_pushnil(L);
  while(lua_next(L, -3)) {
    bool denied = false;
    for(const char *const *d = deny; d && *d; d++)
      if(lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), *d) == 0)
        denied = true;
    if(denied) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_setfield(L, tmpl, name);
  lua_pop(L, 1);
}

/* The string metatable's arithmetic (Lua 5.4 coerces "10" + 1 there) reads whole strings. */
static const char *const string_arith[] = { "__add", "__sub", "__mul", "__mod", "__pow",
                                            "__div", "__idiv", "__unm", NULL };

void sr_lua_sandbox_globals(lua_State *L)
{
  int tmpl = lua_gettop(L);
  luaL_requiref(L, "_G", luaopen_base, 1);
  int g = lua_gettop(L);
  for(const char *const *n = base_allowed; *n; n++) {
    lua_getfield(L, g, *n);
    lua_setfield(L, tmpl, *n);
  }
  lua_getfield(L, g, "tonumber");
  sr_lua_wrap_charged(L);
  lua_setfield(L, tmpl, "tonumber");
  lua_pop(L, 1);
  lua_pushcfunction(L, safe_setmetatable);
  lua_setfield(L, tmpl, "setmetatable");
  lua_pushcfunction(L, safe_xpcall);
  lua_setfield(L, tmpl, "xpcall");

  static const char *const string_deny[] = { "dump", NULL };
  static const char *const math_deny[] = { "random", "randomseed", NULL };
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
  template_lib(L, tmpl, "string", string_deny);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
  template_lib(L, tmpl, "table", NULL);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
  template_lib(L, tmpl, "math", math_deny);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
  template_lib(L, tmpl, "utf8", NULL);
  sr_lua_charged_funcs(L, tmpl);

  /* ("").x reads the shared string metatable's __index, which Lua points at the whole string
   * library (dump, the unbounded matcher): point it at the sandbox's string table instead, which
   * no plugin holds (each gets a copy). getmetatable("") must not hand out the metatable. */
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  int mt = lua_gettop(L);
  lua_getfield(L, tmpl, "string");
  lua_setfield(L, mt, "__index");
  for(const char *const *n = string_arith; *n; n++)
    if(lua_getfield(L, mt, *n) == LUA_TFUNCTION) {
      sr_lua_wrap_charged(L);
      lua_setfield(L, mt, *n);
    }
    else
      lua_pop(L, 1);
  lua_pushboolean(L, 0);
  lua_setfield(L, mt, "__metatable");
  lua_pop(L, 2);
}

void sr_lua_push_env(lua_State *L, int tmpl)
{
  tmpl = lua_absindex(L, tmpl);
  lua_newtable(L);
  int env = lua_gettop(L);
  lua_pushnil(L);
  while(lua_next(L, tmpl)) {
    if(lua_type(L, -1) == LUA_TTABLE) {
      lua_newtable(L);
      lua_pushnil(L);
      while(lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
      }
      lua_remove(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, env);
  }
  lua_newtable(L);
  lua_pushcfunction(L, strict_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, strict_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, env);
}
