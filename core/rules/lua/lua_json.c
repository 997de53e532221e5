/*
 * lua_json.c -- values between JSON and Lua, both ways: what the host hands Lua code goes in as
 * plain tables, what Lua code answers comes out as JSON, bounded in depth and in items, with
 * strings checked as UTF-8 and numbers as finite. Whether an answer has the right shape is the
 * caller's to check (plugin_ask.c for plugins); here only whether it has a JSON form. The one
 * exception is a list of errors, read entry by entry for 'field' and 'message' alone, as it
 * always was: a generic conversion would refuse an entry for a key nobody reads.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "lua_json.h"
#include "sr_limits.h"
#include "util.h"

/* Deepest nesting of an answer. */
#define PULL_DEPTH 8

void sr_lua_json_push(lua_State *L, const cJSON *j, int depth)
{
  if(depth > SR_MAX_JSON_DEPTH)
    luaL_error(L, "input nests too deeply");
  luaL_checkstack(L, 4, "input nests too deeply");
  if(cJSON_IsString(j))
    lua_pushstring(L, j->valuestring);
  else if(cJSON_IsNumber(j)) {
    double d = j->valuedouble;
    if(d == floor(d) && fabs(d) < 9007199254740992.0)
      lua_pushinteger(L, (lua_Integer)d);
    else
      lua_pushnumber(L, d);
  }
  else if(cJSON_IsBool(j))
    lua_pushboolean(L, cJSON_IsTrue(j));
  else if(cJSON_IsArray(j)) {
    lua_createtable(L, cJSON_GetArraySize(j), 0);
    lua_Integer i = 1;
    for(const cJSON *c = j->child; c; c = c->next) {
      sr_lua_json_push(L, c, depth + 1);
      lua_rawseti(L, -2, i++);
    }
  }
  else if(cJSON_IsObject(j)) {
    lua_newtable(L);
    for(const cJSON *c = j->child; c; c = c->next) {
      sr_lua_json_push(L, c, depth + 1);
      lua_setfield(L, -2, c->string);
    }
  }
  else
    lua_pushnil(L);
}

/* Parks a new JSON value under <park>, so that an error raised before it reaches its parent
 * still frees it. Its parent takes it over with cJSON_DetachItemViaPointer. */
static cJSON *park_item(lua_State *L, cJSON *park, cJSON *item)
{
  if(!item)
    luaL_error(L, "out of memory");
  cJSON_AddItemToArray(park, item);
  return item;
}

static cJSON *pull(lua_State *L, int idx, cJSON *park, int depth, int *budget, size_t max_string)
{
  idx = lua_absindex(L, idx);
  if(depth > PULL_DEPTH || --(*budget) < 0)
    luaL_error(L, "the answer nests too deeply or is too large");
  switch(lua_type(L, idx)) {
  case LUA_TBOOLEAN:
    return park_item(L, park, cJSON_CreateBool(lua_toboolean(L, idx)));
  case LUA_TNUMBER: {
    double d = lua_tonumber(L, idx);
    if(!isfinite(d))
      luaL_error(L, "the answer holds a number that is not finite");
    return park_item(L, park, cJSON_CreateNumber(d));
  }
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if(len > max_string || !sr_utf8_valid(s, len))
      luaL_error(L, "the answer holds a string that is not UTF-8 of at most %d bytes", (int)max_string);
    return park_item(L, park, cJSON_CreateString(s));
  }
  case LUA_TTABLE:
    break;
  default:
    luaL_error(L, "the answer holds a %s, which has no JSON form", luaL_typename(L, idx));
  }
  luaL_checkstack(L, 3, "the answer nests too deeply");
  lua_Unsigned n = lua_rawlen(L, idx);
  bool array = n > 0;
  cJSON *out = park_item(L, park, array ? cJSON_CreateArray() : cJSON_CreateObject());
  if(array) {
    for(lua_Unsigned i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, (lua_Integer)i);
      cJSON *item = pull(L, -1, park, depth + 1, budget, max_string);
      cJSON_AddItemToArray(out, cJSON_DetachItemViaPointer(park, item));
      lua_pop(L, 1);
    }
    /* A list has the keys 1..n and no other: named entries beside them would be lost. Looking at
     * n + 1 keys at most bounds the walk by the items already counted. */
    lua_Unsigned keys = 0;
    lua_pushnil(L);
    while(lua_next(L, idx)) {
      lua_pop(L, 1);
      if(++keys > n)
        luaL_error(L, "the answer mixes list and named entries in one table");
    }
  }
  else {
    lua_pushnil(L);
    while(lua_next(L, idx)) {
      if(lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "the answer mixes list and named entries in one table");
      cJSON *item = pull(L, -1, park, depth + 1, budget, max_string);
      cJSON_AddItemToObject(out, lua_tostring(L, -2), cJSON_DetachItemViaPointer(park, item));
      lua_pop(L, 1);
    }
    /* A table's order is its hash's, and each state seeds its hash anew: sorted, the same answer
     * is the same bytes on every thread and after every restart. */
    sr_json_sort_members(out);
  }
  return out;
}

cJSON *sr_lua_json_pull(lua_State *L, int idx, cJSON *park, int *budget)
{
  return pull(L, idx, park, 0, budget, SR_MAX_STRING);
}

cJSON *sr_lua_json_pull_body(lua_State *L, int idx, cJSON *park, int *budget)
{
  if(lua_type(L, idx) != LUA_TSTRING)
    return pull(L, idx, park, 0, budget, SR_NOTICE_MAX_BODY);
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  if(strlen(s) != len)
    luaL_error(L, "the answer holds a NUL byte");
  return park_item(L, park, cJSON_CreateString(s));
}

/* The string at <idx>, checked as an error's <what>. */
static const char *error_text(lua_State *L, int idx, const char *fn, int i, const char *what)
{
  size_t len;
  const char *v = lua_tolstring(L, idx, &len);
  if(len == 0 || len > 500 || !sr_utf8_valid(v, len))
    luaL_error(L, "%s error #%d: '%s' must be 1..500 bytes of UTF-8", fn, i, what);
  return v;
}

cJSON *sr_lua_json_pull_errors(lua_State *L, int idx, cJSON *park, const char *fn)
{
  idx = lua_absindex(L, idx);
  if(lua_isnil(L, idx))
    return NULL;
  if(!lua_istable(L, idx))
    luaL_error(L, "%s must return nil or a list of {field=, message=}, not a %s", fn, luaL_typename(L, idx));
  lua_Unsigned n = lua_rawlen(L, idx);
  if(n > SR_PLUGIN_MAX_ERRORS)
    luaL_error(L, "%s returned more than %d errors", fn, SR_PLUGIN_MAX_ERRORS);
  cJSON *list = park_item(L, park, cJSON_CreateArray());
  for(lua_Unsigned i = 1; i <= n; i++) {
    if(lua_rawgeti(L, idx, (lua_Integer)i) != LUA_TTABLE)
      luaL_error(L, "%s error #%d is not a table", fn, (int)i);
    lua_pushstring(L, "field");
    if(lua_rawget(L, -2) != LUA_TSTRING)
      luaL_error(L, "%s error #%d: 'field' must be a string", fn, (int)i);
    const char *field = error_text(L, -1, fn, (int)i, "field");
    lua_pop(L, 1); /* still referenced by the error table, which the list holds */
    cJSON *e = cJSON_CreateObject();
    if(!e)
      luaL_error(L, "out of memory");
    cJSON_AddItemToArray(list, e);
    if(!cJSON_AddStringToObject(e, "field", field))
      luaL_error(L, "out of memory");
    /* A message is one text, or the same in both languages: {zh = "...", en = "..."}. */
    lua_pushstring(L, "message");
    int mt = lua_rawget(L, -2);
    if(mt == LUA_TSTRING) {
      if(!cJSON_AddStringToObject(e, "message", error_text(L, -1, fn, (int)i, "message")))
        luaL_error(L, "out of memory");
    } else if(mt == LUA_TTABLE) {
      cJSON *m = cJSON_AddObjectToObject(e, "message");
      if(!m)
        luaL_error(L, "out of memory");
      static const char *const langs[2] = { "zh", "en" };
      for(int k = 0; k < 2; k++) {
        lua_pushstring(L, langs[k]);
        if(lua_rawget(L, -2) != LUA_TSTRING)
          luaL_error(L, "%s error #%d: 'message' must be a string or {zh = string, en = string}", fn, (int)i);
        if(!cJSON_AddStringToObject(m, langs[k], error_text(L, -1, fn, (int)i, "message")))
          luaL_error(L, "out of memory");
        lua_pop(L, 1);
      }
    } else {
      luaL_error(L, "%s error #%d: 'message' must be a string or {zh = string, en = string}", fn, (int)i);
    }
    lua_pop(L, 1);
    lua_pop(L, 1);
  }
  return list;
}
