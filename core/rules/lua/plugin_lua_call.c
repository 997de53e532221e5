/*
 * plugin_lua_call.c -- calling plugin functions (validate, next_due, check_inspection) and
 * checking what they answer. A plugin's answer is hostile input like any other: its shape,
 * types, sizes and encodings are checked here before the core acts on it.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "plugin_lua_int.h"
#include "util.h"

/* ==== values between JSON and Lua ==== */

void sr_lua_push_json(lua_State *L, const cJSON *j, int depth)
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
      sr_lua_push_json(L, c, depth + 1);
      lua_rawseti(L, -2, i++);
    }
  }
  else if(cJSON_IsObject(j)) {
    lua_newtable(L);
    for(const cJSON *c = j->child; c; c = c->next) {
      sr_lua_push_json(L, c, depth + 1);
      lua_setfield(L, -2, c->string);
    }
  }
  else
    lua_pushnil(L);
}

struct validate_job {
  const struct sr_eqtype *t;
  const cJSON *eq;
};

/* Reads a list of {field=, message=} at <r> into p->pending_json; raises if malformed. */
static int errors_from(lua_State *L, int r, const char *fn)
{
  struct sr_plugins *p = sr_lua_host(L);
  if(lua_isnil(L, r))
    return 0;
  if(!lua_istable(L, r))
    return luaL_error(L, "%s must return nil or a list of {field=, message=}, not a %s", fn,
                      luaL_typename(L, r));
  lua_Unsigned n = lua_rawlen(L, r);
  if(n > SR_PLUGIN_MAX_ERRORS)
    return luaL_error(L, "%s returned more than %d errors", fn, SR_PLUGIN_MAX_ERRORS);
  p->pending_json = cJSON_CreateArray();
  if(!p->pending_json)
    return luaL_error(L, "out of memory");
  for(lua_Unsigned i = 1; i <= n; i++) {
    if(lua_rawgeti(L, r, (lua_Integer)i) != LUA_TTABLE)
      return luaL_error(L, "%s error #%d is not a table", fn, (int)i);
    const char *fm[2] = { "field", "message" };
    const char *val[2];
    for(int k = 0; k < 2; k++) {
      lua_pushstring(L, fm[k]);
      if(lua_rawget(L, -2) != LUA_TSTRING)
        return luaL_error(L, "%s error #%d: '%s' must be a string", fn, (int)i, fm[k]);
      size_t len;
      val[k] = lua_tolstring(L, -1, &len);
      if(len == 0 || len > 500 || !sr_utf8_valid(val[k], len))
        return luaL_error(L, "%s error #%d: '%s' must be 1..500 bytes of UTF-8", fn, (int)i, fm[k]);
      lua_pop(L, 1); /* still referenced by the error table, which the result list holds */
    }
    cJSON *e = cJSON_CreateObject();
    if(!e)
      return luaL_error(L, "out of memory");
    cJSON_AddItemToArray(p->pending_json, e);
    if(!cJSON_AddStringToObject(e, "field", val[0]) || !cJSON_AddStringToObject(e, "message", val[1]))
      return luaL_error(L, "out of memory");
    lua_pop(L, 1);
  }
  return 0;
}


static int validate_tramp(lua_State *L)
{
  struct validate_job *job = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->t->validate_ref);
  sr_lua_push_json(L, job->eq, 0);
  lua_call(L, 1, 1);
  return errors_from(L, lua_gettop(L), "validate()");
}

/* Runs <tramp> (which leaves a list of {field, message} in p->pending_json) and turns the list
 * into field errors of <pb>, or a failure of the plugin into SR_PLUGIN. */
static int errors_call(struct sr_plugins *p, const struct sr_eqtype *t, lua_CFunction tramp, void *job,
                       const char *fn, struct sr_problem *pb)
{
  char err[512];
  p->pending_json = NULL;
  bool ok = sr_lua_pcall(p, tramp, job, SR_PLUGIN_CALL_BUDGET, err, sizeof err);
  cJSON *errors = p->pending_json;
  p->pending_json = NULL;
  if(!ok) {
    cJSON_Delete(errors);
    sr_warn("plugin %s@%s %s failed: %s", t->file, t->version, fn, err);
    sr_metrics_plugin_failure();
    return sr_problem_set(pb, SR_PLUGIN, "plugin %s@%s failed in %s: %s", t->file, t->version, fn, err);
  }
  for(const cJSON *e = errors ? errors->child : NULL; e; e = e->next)
    sr_problem_field(pb, cJSON_GetObjectItem(e, "field")->valuestring, "%s",
                     cJSON_GetObjectItem(e, "message")->valuestring);
  cJSON_Delete(errors);
  return pb->err;
}

int sr_plugins_validate(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq,
                        struct sr_problem *pb)
{
  int before = sr_problem_nfields(pb);
  sr_attrs_check(t->attrs, t->nattrs, cJSON_GetObjectItemCaseSensitive(eq, "attributes"),
                 "attributes", pb);
  /* Cross-field rules only make sense on attributes of the declared shape. */
  if(sr_problem_nfields(pb) > before || t->validate_ref == LUA_NOREF)
    return pb->err;
  struct validate_job job = { t, eq };
  sr_metrics_plugin_call(SR_FN_VALIDATE);
  return errors_call(p, t, validate_tramp, &job, "validate()", pb);
}


/* Parks a new JSON value under the pending root, so that an error raised before it reaches its
 * parent still frees it. Its parent takes it over with cJSON_DetachItemViaPointer. */
static cJSON *park(lua_State *L, cJSON *item)
{
  if(!item)
    luaL_error(L, "out of memory");
  cJSON_AddItemToArray(sr_lua_host(L)->pending_json, item);
  return item;
}

cJSON *sr_lua_to_json(lua_State *L, int idx, int depth, int *budget)
{
  idx = lua_absindex(L, idx);
  if(depth > 8 || --(*budget) < 0)
    luaL_error(L, "the answer nests too deeply or is too large");
  switch(lua_type(L, idx)) {
  case LUA_TBOOLEAN:
    return park(L, cJSON_CreateBool(lua_toboolean(L, idx)));
  case LUA_TNUMBER: {
    double d = lua_tonumber(L, idx);
    if(!isfinite(d))
      luaL_error(L, "the answer holds a number that is not finite");
    return park(L, cJSON_CreateNumber(d));
  }
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if(len > SR_MAX_STRING || !sr_utf8_valid(s, len))
      luaL_error(L, "the answer holds a string that is not UTF-8 of at most %d bytes", SR_MAX_STRING);
    return park(L, cJSON_CreateString(s));
  }
  case LUA_TTABLE:
    break;
  default:
    luaL_error(L, "the answer holds a %s, which has no JSON form", luaL_typename(L, idx));
  }
  lua_Unsigned n = lua_rawlen(L, idx);
  bool array = n > 0;
  cJSON *out = park(L, array ? cJSON_CreateArray() : cJSON_CreateObject());
  if(array) {
    for(lua_Unsigned i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, (lua_Integer)i);
      cJSON *item = sr_lua_to_json(L, -1, depth + 1, budget);
      cJSON_AddItemToArray(out, cJSON_DetachItemViaPointer(sr_lua_host(L)->pending_json, item));
      lua_pop(L, 1);
    }
  }
  else {
    lua_pushnil(L);
    while(lua_next(L, idx)) {
      if(lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "the answer mixes list and named entries in one table");
      cJSON *item = sr_lua_to_json(L, -1, depth + 1, budget);
      cJSON_AddItemToObject(out, lua_tostring(L, -2), cJSON_DetachItemViaPointer(sr_lua_host(L)->pending_json, item));
      lua_pop(L, 1);
    }
  }
  return out;
}

/* ==== next_due ==== */

struct due_job {
  const struct sr_eqtype *t;
  const cJSON *eq, *history;
  const char *today;
};

static int due_tramp(lua_State *L)
{
  struct due_job *job = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->t->next_due_ref);
  sr_lua_push_json(L, job->eq, 0);
  sr_lua_push_json(L, job->history, 0);
  lua_pushstring(L, job->today);
  lua_call(L, 3, 1);
  int r = lua_gettop(L);
  if(lua_isnil(L, r))
    return 0;
  if(!lua_istable(L, r))
    return luaL_error(L, "next_due() must return nil or {date=, kind=, reason=, basis=}, not a %s",
                      luaL_typename(L, r));
  static const char *const keys[] = { "date", "kind", "reason", "basis" };
  lua_pushnil(L);
  while(lua_next(L, r)) {
    lua_pop(L, 1);
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    size_t i;
    for(i = 0; k && i < 4 && strcmp(k, keys[i]) != 0; i++)
      ;
    if(!k || i == 4)
      return luaL_error(L, "next_due() answered an unknown key '%s'", k ? k : "(not a string)");
  }
  int budget = 500;
  sr_lua_to_json(L, r, 0, &budget); /* parked under the pending root, which the caller takes */
  return 0;
}

/* Checks the plugin's answer against the contract; the message says what is wrong. */
static bool due_answer_ok(const struct sr_eqtype *t, const cJSON *a, char *why, size_t n)
{
  const cJSON *date = cJSON_GetObjectItemCaseSensitive(a, "date");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(a, "kind");
  const cJSON *reason = cJSON_GetObjectItemCaseSensitive(a, "reason");
  const cJSON *basis = cJSON_GetObjectItemCaseSensitive(a, "basis");
  struct sr_date d;
  if(date && (!cJSON_IsString(date) || !sr_date_parse(date->valuestring, &d)))
    snprintf(why, n, "next_due() 'date' must be a date YYYY-MM-DD (or absent: nothing due now)");
  else if(!cJSON_IsString(kind) || !sr_eqtype_kind(t, kind->valuestring))
    snprintf(why, n, "next_due() 'kind' must be one of the type's inspection kinds");
  else if(!cJSON_IsString(reason) || !reason->valuestring[0])
    snprintf(why, n, "next_due() 'reason' must be a non-empty string");
  else if(basis && !cJSON_IsObject(basis))
    snprintf(why, n, "next_due() 'basis' must be a table of named values");
  else
    return true;
  return false;
}

int sr_plugins_next_due(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *history,
                        struct sr_date today, cJSON **out, struct sr_problem *pb)
{
  *out = NULL;
  if(t->next_due_ref == LUA_NOREF)
    return SR_OK;
  char day[11], err[512];
  sr_date_format(today, day);
  struct due_job job = { t, eq, history, day };
  sr_metrics_plugin_call(SR_FN_NEXT_DUE);
  p->pending_json = cJSON_CreateArray();
  bool ok = p->pending_json && sr_lua_pcall(p, due_tramp, &job, SR_PLUGIN_CALL_BUDGET, err, sizeof err);
  cJSON *answer = ok && cJSON_GetArraySize(p->pending_json) > 0
                      ? cJSON_DetachItemFromArray(p->pending_json, 0) : NULL;
  cJSON_Delete(p->pending_json);
  p->pending_json = NULL;
  if(ok && answer && !due_answer_ok(t, answer, err, sizeof err))
    ok = false;
  if(!ok) {
    cJSON_Delete(answer);
    sr_warn("plugin %s@%s next_due() failed: %s", t->file, t->version, err);
    sr_metrics_plugin_failure();
    return sr_problem_set(pb, SR_PLUGIN, "plugin %s@%s failed in next_due(): %s", t->file, t->version, err);
  }
  *out = answer;
  return SR_OK;
}

/* ==== check_inspection ==== */

struct check_job {
  const struct sr_eqtype *t;
  const cJSON *eq, *inspection;
};

static int errors_from(lua_State *L, int r, const char *fn);

static int check_tramp(lua_State *L)
{
  struct check_job *job = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->t->check_inspection_ref);
  sr_lua_push_json(L, job->eq, 0);
  sr_lua_push_json(L, job->inspection, 0);
  lua_call(L, 2, 1);
  return errors_from(L, lua_gettop(L), "check_inspection()");
}

int sr_plugins_check_inspection(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq,
                                const cJSON *inspection, struct sr_problem *pb)
{
  if(t->check_inspection_ref == LUA_NOREF)
    return pb->err;
  struct check_job job = { t, eq, inspection };
  sr_metrics_plugin_call(SR_FN_CHECK_INSPECTION);
  return errors_call(p, t, check_tramp, &job, "check_inspection()", pb);
}
