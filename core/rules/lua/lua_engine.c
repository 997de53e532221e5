/*
 * lua_engine.c -- the Lua 5.4 engine of the plugin contract (engine.h): a plugin set's files
 * all run in one sandbox (lua_sandbox.h), each in its own strict _ENV, and must return a
 * manifest made by one of the builders this engine adds to the host library
 * (sereg.equipment_type, sereg.escalation, sereg.workflow, sereg.notice_format). The functions a manifest gives are
 * held here by registry reference, per file and function; the set knows only that they exist.
 * Every entry into Lua, loading a file's top level included, goes through the sandbox's budget.
 * C objects built while Lua may raise are owned by the caller's declaration or parked under a
 * JSON root freed after the call, so an error never leaks them.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "lua_json.h"
#include "lua_manifest.h"
#include "lua_sandbox.h"
#include "sr_limits.h"

#define KINDS_KEY "sereg.kinds" /* registry: weak set of tables made by the sereg.* builders */

struct sr_engine_state {
  struct sr_lua_sandbox *sb;
  int refs[SR_MAX_PLUGINS][SR_FN_COUNT]; /* registry references, LUA_NOREF where absent */
};

/* [-1, +1, e] sereg.equipment_type{...}, sereg.escalation{...}, sereg.workflow{...},
 * sereg.notice_format{...}: copies the
 * manifest and marks the copy with its kind (the upvalue), so that a plugin cannot pass off a
 * plain table as one. */
static int l_manifest(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_newtable(L);
  lua_pushnil(L);
  while(lua_next(L, 1)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, 2);
  }
  lua_getfield(L, LUA_REGISTRYINDEX, KINDS_KEY);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_rawset(L, -3);
  lua_pop(L, 1);
  return 1;
}

/* [-0, +0, e] Adds the builders to the template's host library, and their registry of kinds. */
static int add_builders(lua_State *L)
{
  sr_lua_sandbox_push_template(L);
  lua_getfield(L, -1, "sereg");
  for(const char *const *k = (const char *const[]){ "equipment_type", "escalation", "workflow", "notice_format", NULL }; *k; k++) {
    lua_pushstring(L, *k);
    lua_pushcclosure(L, l_manifest, 1);
    lua_setfield(L, -2, *k);
  }
  lua_newtable(L); /* weak-keyed set of manifests made by the builders */
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, KINDS_KEY);
  lua_settop(L, 0);
  return 0;
}

static void engine_close(struct sr_engine_state *s)
{
  if(!s)
    return;
  sr_lua_sandbox_free(s->sb);
  free(s);
}

static struct sr_engine_state *engine_open(int ms, char *why, size_t whysz)
{
  struct sr_engine_state *s = calloc(1, sizeof *s);
  if(!s) {
    snprintf(why, whysz, "out of memory");
    return NULL;
  }
  for(int u = 0; u < SR_MAX_PLUGINS; u++)
    for(int f = 0; f < SR_FN_COUNT; f++)
      s->refs[u][f] = LUA_NOREF;
  s->sb = sr_lua_sandbox_new(SR_PLUGIN_MEMORY, ms, why, whysz);
  if(!s->sb) {
    free(s);
    return NULL;
  }
  char err[400];
  if(sr_lua_sandbox_call(s->sb, add_builders, NULL, SR_PLUGIN_LOAD_BUDGET, err, sizeof err) != SR_OUTCOME_OK) {
    snprintf(why, whysz, "plugin host: %s", err);
    engine_close(s);
    return NULL;
  }
  return s;
}

/* ==== loading a file ==== */

struct load_job {
  struct sr_engine_state *s;
  int unit;
  const struct sr_plugin_source *src;
  struct sr_engine_decl *decl;
  cJSON *park;
};

static int load_tramp(lua_State *L)
{
  struct load_job *job = lua_touserdata(L, 1);
  const char *file = job->src->name;
  sr_lua_sandbox_load(L, file, job->src->src, job->src->len);
  lua_call(L, 0, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, KINDS_KEY);
  lua_pushvalue(L, -2);
  lua_rawget(L, -2);
  const char *kind = lua_tostring(L, -1);
  if(!lua_istable(L, -3) || !kind)
    return luaL_error(L, "%s: must return sereg.equipment_type{...}, sereg.escalation{...}, "
                         "sereg.workflow{...} or sereg.notice_format{...}", file);
  struct sr_engine_decl *d = job->decl;
  d->kind = strcmp(kind, "equipment_type") == 0 ? SR_DECL_TYPE
            : strcmp(kind, "escalation") == 0   ? SR_DECL_LADDER
            : strcmp(kind, "workflow") == 0     ? SR_DECL_WORKFLOW
            : strcmp(kind, "notice_format") == 0 ? SR_DECL_FORMAT
                                                : SR_DECL_NONE;
  if(d->kind == SR_DECL_NONE)
    return luaL_error(L, "%s: unknown plugin kind '%s'", file, kind);
  lua_pop(L, 2);
  int *refs = job->s->refs[job->unit];
  if(d->kind == SR_DECL_TYPE)
    sr_lua_manifest_type(L, lua_gettop(L), file, &d->type, refs);
  else if(d->kind == SR_DECL_FORMAT)
    sr_lua_manifest_format(L, lua_gettop(L), file, d, job->park, &refs[SR_FN_RENDER]);
  else
    sr_lua_manifest_flow(L, lua_gettop(L), file, d, job->park, &refs[SR_FN_DECIDE]);
  return 0;
}

static enum sr_outcome engine_load(struct sr_engine_state *s, int unit, const struct sr_plugin_source *src,
                                struct sr_engine_decl *decl, char *why, size_t whysz)
{
  if(unit < 0 || unit >= SR_MAX_PLUGINS) {
    snprintf(why, whysz, "more than %d plugins", SR_MAX_PLUGINS);
    return SR_OUTCOME_HOST;
  }
  struct load_job job = { s, unit, src, decl, cJSON_CreateArray() };
  if(!job.park) {
    snprintf(why, whysz, "out of memory");
    return SR_OUTCOME_HOST;
  }
  enum sr_outcome o = sr_lua_sandbox_call(s->sb, load_tramp, &job, SR_PLUGIN_LOAD_BUDGET, why, whysz);
  cJSON_Delete(job.park);
  return o;
}

/* ==== calling a function ==== */

struct call_job {
  int ref;
  enum sr_plugin_fn fn;
  const cJSON *const *args;
  int nargs, max_items;
  cJSON *park;
  bool converting; /* the function has returned: an error from here on is its answer's */
};

/* Calls the function and leaves its answer, as JSON, as the park's only item (nil: none). An
 * error list is read as a list of {field, message} records, a body as a body (lua_json.h), every
 * other answer as whatever JSON value it is. */
static int call_tramp(lua_State *L)
{
  struct call_job *job = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->ref);
  for(int i = 0; i < job->nargs; i++)
    sr_lua_json_push(L, job->args[i], 0);
  lua_call(L, job->nargs, 1);
  job->converting = true;
  if(job->fn == SR_FN_VALIDATE || job->fn == SR_FN_CHECK_INSPECTION) {
    char name[40];
    snprintf(name, sizeof name, "%s()", sr_engine_fn_name(job->fn));
    sr_lua_json_pull_errors(L, -1, job->park, name);
  }
  else if(!lua_isnil(L, -1)) {
    int items = job->max_items;
    if(job->fn == SR_FN_RENDER)
      sr_lua_json_pull_body(L, -1, job->park, &items);
    else
      sr_lua_json_pull(L, -1, job->park, &items);
  }
  return 0;
}

static enum sr_outcome engine_call(struct sr_engine_state *s, int unit, enum sr_plugin_fn fn,
                                   const cJSON *const *args, int nargs, int max_items, cJSON **answer, char *why,
                                   size_t whysz)
{
  *answer = NULL;
  if(unit < 0 || unit >= SR_MAX_PLUGINS || (unsigned)fn >= SR_FN_COUNT || s->refs[unit][fn] == LUA_NOREF) {
    snprintf(why, whysz, "the plugin has no %s()", sr_engine_fn_name(fn));
    return SR_OUTCOME_ABSENT;
  }
  struct call_job job = { s->refs[unit][fn], fn, args, nargs, max_items, cJSON_CreateArray(), false };
  if(!job.park) {
    snprintf(why, whysz, "out of memory");
    return SR_OUTCOME_HOST;
  }
  enum sr_outcome o = sr_lua_sandbox_call(s->sb, call_tramp, &job, SR_PLUGIN_CALL_BUDGET, why, whysz);
  if(o == SR_OUTCOME_RAISED && job.converting)
    o = SR_OUTCOME_MALFORMED;
  if(o == SR_OUTCOME_OK && job.park->child)
    *answer = cJSON_DetachItemFromArray(job.park, 0);
  cJSON_Delete(job.park);
  return o;
}

static size_t engine_memory(const struct sr_engine_state *s, size_t *cap) { return sr_lua_sandbox_memory(s->sb, cap); }

const struct sr_engine sr_lua_engine = {
  .name = "lua",
  .suffix = ".lua",
  .open = engine_open,
  .load = engine_load,
  .call = engine_call,
  .memory = engine_memory,
  .close = engine_close,
  .interrupt = sr_lua_sandbox_interrupt,
};
