/*
 * lua_script.c -- an administrator's script in the Lua sandbox (script.h): the plugins' state
 * with a budget for the whole run, and the sereg.* functions that reach the registry through the
 * host. Everything a host function makes in C is parked under the run's park before anything can
 * raise, so that an error unwinding through it leaks nothing; the park is emptied as each call
 * ends and freed with the run.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "lua_budget.h"
#include "lua_json.h"
#include "lua_sandbox.h"
#include "script.h"
#include "sr_limits.h"

struct job {
  const struct sr_script_run *run;
  const struct sr_script_host *host;
  cJSON *park;
};

static struct job *job_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* Parks <j> (an answer of the host) until the call ends; raises for NULL, with <why>. */
static cJSON *keep(lua_State *L, struct job *job, cJSON *j, const char *fn, const char *why)
{
  if(!j)
    luaL_error(L, "sereg.%s: %s", fn, why[0] ? why : _("out of memory"));
  cJSON_AddItemToArray(job->park, j);
  return j;
}

static void drop(struct job *job, cJSON *j) { cJSON_Delete(cJSON_DetachItemViaPointer(job->park, j)); }

/* [-0, +0, e] The Lua value at <idx> as JSON, parked. */
static cJSON *pull(lua_State *L, struct job *job, int idx)
{
  int items = SR_SCRIPT_MAX_ITEMS;
  return sr_lua_json_pull(L, idx, job->park, &items);
}

/* Pushes the host's answer and whether it succeeded; the answer is dropped. */
static int answer(lua_State *L, struct job *job, cJSON *a, bool ok)
{
  sr_lua_json_push(L, a, 0);
  lua_pushboolean(L, ok);
  drop(job, a);
  /* The host's work took time and may have been interrupted (Ctrl-C): the script stops here,
   * between two actions, rather than at its next thousand instructions. */
  sr_lua_budget_charge(L, 1);
  return 2;
}

/* ==== sereg.each ==== */

/* [-0, +2, e] Fetches the page of <kind> by the filters at <filters> after <cursor> (NULL: the
 * first page): pushes its items and the next cursor (false at the end). */
static void fetch(lua_State *L, struct job *job, const char *kind, int filters, const char *cursor)
{
  filters = lua_absindex(L, filters);
  cJSON *params = keep(L, job, cJSON_CreateObject(), "each", "");
  for(lua_pushnil(L); lua_next(L, filters); lua_pop(L, 1))
    if(!cJSON_AddStringToObject(params, lua_tostring(L, -2), lua_tostring(L, -1)))
      luaL_error(L, _("sereg.each: out of memory"));
  char limit[16];
  snprintf(limit, sizeof limit, "%d", SR_LIST_MAX);
  if(!cJSON_AddStringToObject(params, "limit", limit) || (cursor && !cJSON_AddStringToObject(params, "cursor", cursor)))
    luaL_error(L, _("sereg.each: out of memory"));
  char why[400] = "";
  cJSON *page = job->host->page(job->host->ud, kind, params, why, sizeof why);
  drop(job, params);
  keep(L, job, page, "each", why);
  const cJSON *items = cJSON_GetObjectItem(page, "items");
  const cJSON *next = cJSON_GetObjectItem(page, "next_cursor");
  sr_lua_budget_charge(L, (long)cJSON_GetArraySize(items) * SR_SCRIPT_ITEM_COST);
  sr_lua_json_push(L, items, 0);
  if(cJSON_IsString(next))
    lua_pushstring(L, next->valuestring);
  else
    lua_pushboolean(L, 0);
  drop(job, page);
}

/* The iterator: upvalues job, kind, filters, page, index, next cursor (or false). */
static int each_next(lua_State *L)
{
  struct job *job = job_of(L);
  for(;;) {
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(5));
    if(lua_type(L, lua_upvalueindex(4)) == LUA_TTABLE && (lua_Unsigned)i <= lua_rawlen(L, lua_upvalueindex(4))) {
      lua_pushinteger(L, i + 1);
      lua_replace(L, lua_upvalueindex(5));
      lua_rawgeti(L, lua_upvalueindex(4), i);
      return 1;
    }
    if(lua_type(L, lua_upvalueindex(6)) != LUA_TSTRING) {
      lua_pushnil(L);
      return 1;
    }
    char cursor[128];
    snprintf(cursor, sizeof cursor, "%s", lua_tostring(L, lua_upvalueindex(6)));
    lua_pushnil(L); /* the page just read is garbage before the next one is made */
    lua_replace(L, lua_upvalueindex(4));
    fetch(L, job, lua_tostring(L, lua_upvalueindex(2)), lua_upvalueindex(3), cursor);
    lua_replace(L, lua_upvalueindex(6));
    lua_replace(L, lua_upvalueindex(4));
    lua_pushinteger(L, 1);
    lua_replace(L, lua_upvalueindex(5));
  }
}

/* [-0, +1, e] The filters at 2 as a new table of text values. */
static void filters_as_text(lua_State *L)
{
  lua_newtable(L);
  int out = lua_gettop(L), n = 0;
  if(!lua_istable(L, 2))
    return;
  for(lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
    if(lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, _("sereg.each: filters are named, as in {jurisdiction = \"510104\"}"));
    const char *name = lua_tostring(L, -2);
    if(strcmp(name, "limit") == 0 || strcmp(name, "cursor") == 0)
      luaL_error(L, _("sereg.each: '%s' is not a filter; the iterator pages by itself"), name);
    if(++n > SR_SCRIPT_MAX_FILTERS)
      luaL_error(L, _("sereg.each: more than %d filters"), SR_SCRIPT_MAX_FILTERS);
    lua_pushvalue(L, -2);
    switch(lua_type(L, -2)) {
    case LUA_TSTRING:
      lua_pushvalue(L, -2);
      break;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, -2) ? "true" : "false");
      break;
    case LUA_TNUMBER:
      if(!lua_isinteger(L, -2))
        luaL_error(L, _("sereg.each: filter '%s' must be a whole number"), name);
      lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, -2));
      break;
    default:
      luaL_error(L, _("sereg.each: filter '%s' must be a string, a number or a boolean"), name);
    }
    lua_rawset(L, out);
  }
}

/* [-2, +1, e] sereg.each(kind, filters) -> an iterator over every record of the list. The
 * filters are the HTTP list's query parameters (strings, whole numbers or booleans); the paging
 * is the iterator's own. The first page is read at once, so that a bad kind or filter stops the
 * script at this line. */
static int l_each(lua_State *L)
{
  struct job *job = job_of(L);
  const char *kind = luaL_checkstring(L, 1);
  if(!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lua_pushlightuserdata(L, job); /* 3 */
  lua_pushvalue(L, 1);           /* 4 */
  filters_as_text(L);            /* 5 */
  fetch(L, job, kind, 5, NULL);  /* 6: the page, 7: the next cursor */
  lua_pushinteger(L, 1);
  lua_insert(L, 7); /* 7: the index, 8: the next cursor */
  lua_pushcclosure(L, each_next, 6);
  return 1;
}

/* ==== records and actions ==== */

static long check_id(lua_State *L, int arg)
{
  lua_Integer id = luaL_checkinteger(L, arg);
  luaL_argcheck(L, id > 0 && id < (1LL << 50), arg, _("not an id"));
  return (long)id;
}

/* [-2, +2, e] sereg.get(kind, id) -> record, true | error table, false */
static int l_get(lua_State *L)
{
  struct job *job = job_of(L);
  const char *kind = luaL_checkstring(L, 1);
  long id = check_id(L, 2);
  char why[400] = "";
  bool ok = false;
  cJSON *a = keep(L, job, job->host->get(job->host->ud, kind, id, &ok, why, sizeof why), "get", why);
  return answer(L, job, a, ok);
}

/* [-4, +2, e] sereg.change(kind, id, action, fields) -> record, true | error table, false */
static int l_change(lua_State *L)
{
  struct job *job = job_of(L);
  const char *kind = luaL_checkstring(L, 1), *action = luaL_checkstring(L, 3);
  long id = check_id(L, 2);
  cJSON *fields = NULL;
  if(!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    fields = pull(L, job, 4);
  }
  char why[400] = "";
  bool ok = false;
  cJSON *a = job->host->change(job->host->ud, kind, id, action, fields, &ok, why, sizeof why);
  if(fields)
    drop(job, fields);
  return answer(L, job, keep(L, job, a, "change", why), ok);
}

/* [-2, +2, e] sereg.open(kind, fields) -> record, true | error table, false */
static int l_open(lua_State *L)
{
  struct job *job = job_of(L);
  const char *kind = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  cJSON *fields = pull(L, job, 2);
  char why[400] = "";
  bool ok = false;
  cJSON *a = job->host->open(job->host->ud, kind, fields, &ok, why, sizeof why);
  drop(job, fields);
  return answer(L, job, keep(L, job, a, "open", why), ok);
}

/* ==== output ==== */

/* [-1, +0, e] sereg.columns{"设备代码", "管辖区域", ...}: the output's columns, in order. */
static int l_columns(lua_State *L)
{
  struct job *job = job_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  cJSON *names = pull(L, job, 1);
  char why[400] = "";
  bool ok = job->host->columns(job->host->ud, names, why, sizeof why);
  drop(job, names);
  if(!ok)
    return luaL_error(L, "sereg.columns: %s", why);
  return 0;
}

/* [-1, +0, e] sereg.emit(row): one row of output, named by column or in column order. */
static int l_emit(lua_State *L)
{
  struct job *job = job_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  cJSON *row = pull(L, job, 1);
  char why[400] = "";
  bool ok = job->host->emit(job->host->ud, row, why, sizeof why);
  drop(job, row);
  if(!ok)
    return luaL_error(L, "sereg.emit: %s", why);
  sr_lua_budget_charge(L, 1);
  return 0;
}

/* [-n, +0, e] sereg.log(...): its arguments, as tostring shows them, on one line of stderr. */
static int l_log(lua_State *L)
{
  struct job *job = job_of(L);
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for(int i = 1; i <= n; i++) {
    if(i > 1)
      luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  job->host->log(job->host->ud, text, len);
  return 0;
}

/* ==== the run ==== */

static const luaL_Reg script_funcs[] = {
  { "each", l_each }, { "get", l_get },       { "change", l_change }, { "open", l_open },
  { "columns", l_columns }, { "emit", l_emit }, { "log", l_log },     { NULL, NULL },
};

/* Loads the script, gives its _ENV's sereg the script's functions and values, and runs it. */
static int run_tramp(lua_State *L)
{
  struct job *job = lua_touserdata(L, 1);
  const struct sr_script_run *run = job->run;
  sr_lua_sandbox_load(L, run->name, run->src, run->len);
  lua_getupvalue(L, -1, 1); /* its _ENV */
  lua_pushliteral(L, "sereg");
  lua_rawget(L, -2);
  int sereg = lua_gettop(L);
  lua_pushlightuserdata(L, job);
  luaL_setfuncs(L, script_funcs, 1);
  lua_newtable(L);
  int i = 1;
  for(const cJSON *a = run->args ? run->args->child : NULL; a; a = a->next)
    if(cJSON_IsString(a)) {
      lua_pushstring(L, a->valuestring);
      lua_rawseti(L, -2, i++);
    }
  lua_setfield(L, sereg, "args");
  lua_pushstring(L, run->today);
  lua_setfield(L, sereg, "today");
  lua_pushboolean(L, run->dry_run);
  lua_setfield(L, sereg, "dry_run");
  lua_pop(L, 2);
  lua_call(L, 0, 0);
  return 0;
}

enum sr_outcome sr_script_exec(const struct sr_script_run *run, const struct sr_script_host *host, char *why,
                               size_t whysz)
{
  struct sr_lua_sandbox *sb = sr_lua_sandbox_new(run->memory, run->ms > 0x7fffffff ? 0x7fffffff : (int)run->ms, why, whysz);
  if(!sb)
    return SR_OUTCOME_HOST;
  struct job job = { run, host, cJSON_CreateArray() };
  if(!job.park) {
    sr_lua_sandbox_free(sb);
    snprintf(why, whysz, _("out of memory"));
    return SR_OUTCOME_HOST;
  }
  sr_lua_sandbox_track(sb, true);
  char err[400];
  enum sr_outcome o = sr_lua_sandbox_call(sb, run_tramp, &job, run->budget, err, sizeof err);
  if(o != SR_OUTCOME_OK) {
    /* A raised error names its place already; a stop (budget, time, memory) is placed here. */
    const char *where = sr_lua_sandbox_where(sb);
    if(o != SR_OUTCOME_RAISED && where[0])
      snprintf(why, whysz, "%s: %s", where, err);
    else
      snprintf(why, whysz, "%s", err);
  }
  cJSON_Delete(job.park);
  sr_lua_sandbox_free(sb);
  return o;
}

void sr_script_interrupt(void) { sr_lua_sandbox_interrupt(); }
