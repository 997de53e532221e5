/*
 * lua_env.c -- the globals a sandboxed chunk starts from: base functions from an allow-list,
 * string/table/math/utf8 without string.dump and math.random, with every function whose work
 * Lua code can make large charged to the budget (lua_lib.c, lua_pattern.c); no io, os, package,
 * debug or load. Each chunk runs in its own strict _ENV (reading or writing an undeclared global
 * is an error) holding private copies of the library tables, so one chunk cannot change
 * another's.
 *
 * Lua runs an xpcall message handler inside the frame that raised, which for an error raised by
 * the budget hook means with hooks off: the sandbox's xpcall therefore runs the handler itself,
 * after the error has unwound, as ordinary budgeted code.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdbool.h>
#include <string.h>

#include "lua_budget.h"
#include "lua_env.h"
#include "lua_lib.h"
#include "lua_pattern.h"

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
  sr_lua_budget_charge(L, 0); /* raises again if the call is being stopped, whatever f caught */
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
    sr_lua_budget_charge(L, 0);
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

void sr_lua_env_globals(lua_State *L)
{
  int tmpl = lua_gettop(L);
  luaL_requiref(L, "_G", luaopen_base, 1);
  int g = lua_gettop(L);
  for(const char *const *n = base_allowed; *n; n++) {
    lua_getfield(L, g, *n);
    lua_setfield(L, tmpl, *n);
  }
  lua_getfield(L, g, "tonumber");
  sr_lua_lib_wrap_charged(L);
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
  sr_lua_lib_charge(L, tmpl);
  lua_getfield(L, tmpl, "string");
  sr_lua_pattern_open(L, lua_gettop(L));
  lua_pop(L, 1);

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
      sr_lua_lib_wrap_charged(L);
      lua_setfield(L, mt, *n);
    }
    else
      lua_pop(L, 1);
  lua_pushboolean(L, 0);
  lua_setfield(L, mt, "__metatable");
  lua_pop(L, 2);
}

void sr_lua_env_push(lua_State *L, int tmpl)
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
