/*
 * lua_sandbox.c -- see lua_sandbox.h. The state is built deliberately: base functions from an
 * allow-list and the libraries the sandbox allows, never luaL_openlibs.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lua_budget.h"
#include "lua_env.h"
#include "lua_host.h"
#include "lua_json.h"
#include "lua_sandbox.h"

#define TEMPLATE_KEY "sereg.template" /* registry: the globals every _ENV starts from */

struct sr_lua_sandbox {
  struct sr_lua_budget budget; /* lua_getextraspace points here */
};

static int panic(lua_State *L)
{
  sr_error("lua panic outside a protected call: %s", lua_tostring(L, -1));
  abort();
}

/* [-0, +0, e] Builds the template of globals in the registry. */
static int setup(lua_State *L)
{
  lua_newtable(L);
  int tmpl = lua_gettop(L);
  sr_lua_env_globals(L);
  sr_lua_host_open(L);
  lua_setfield(L, tmpl, "sereg");
  lua_setfield(L, LUA_REGISTRYINDEX, TEMPLATE_KEY);
  lua_settop(L, 0);
  return 0;
}

struct sr_lua_sandbox *sr_lua_sandbox_new(size_t memory, int ms, char *why, size_t whysz)
{
  struct sr_lua_sandbox *sb = calloc(1, sizeof *sb);
  if(!sb) {
    snprintf(why, whysz, "out of memory");
    return NULL;
  }
  sb->budget.mem_cap = memory;
  sb->budget.ms = ms;
  sb->budget.L = lua_newstate(sr_lua_budget_alloc, &sb->budget);
  if(!sb->budget.L) {
    snprintf(why, whysz, "out of memory");
    free(sb);
    return NULL;
  }
  *(struct sr_lua_budget **)lua_getextraspace(sb->budget.L) = &sb->budget;
  lua_atpanic(sb->budget.L, panic);
  char err[400];
  if(sr_lua_budget_pcall(&sb->budget, setup, NULL, SR_PLUGIN_LOAD_BUDGET, err, sizeof err) != SR_OUTCOME_OK) {
    snprintf(why, whysz, "plugin host: %s", err);
    sr_lua_sandbox_free(sb);
    return NULL;
  }
  return sb;
}

void sr_lua_sandbox_free(struct sr_lua_sandbox *sb)
{
  if(!sb)
    return;
  lua_close(sb->budget.L);
  free(sb);
}

lua_State *sr_lua_sandbox_state(struct sr_lua_sandbox *sb) { return sb->budget.L; }

enum sr_outcome sr_lua_sandbox_call(struct sr_lua_sandbox *sb, lua_CFunction fn, void *ud, long budget, char *why,
                                    size_t whysz)
{
  return sr_lua_budget_pcall(&sb->budget, fn, ud, budget, why, whysz);
}

void sr_lua_sandbox_push_template(lua_State *L) { lua_getfield(L, LUA_REGISTRYINDEX, TEMPLATE_KEY); }

void sr_lua_sandbox_load(lua_State *L, const char *name, const char *src, size_t len)
{
  char chunk[300];
  snprintf(chunk, sizeof chunk, "@%s", name);
  if(luaL_loadbufferx(L, src, len, chunk, "t") != LUA_OK)
    lua_error(L);
  sr_lua_sandbox_push_template(L);
  sr_lua_env_push(L, -1);
  lua_remove(L, -2);
  if(!lua_setupvalue(L, -2, 1))
    luaL_error(L, "%s: cannot set its environment", name);
}

struct run_job {
  const char *name, *src;
  size_t len;
  const cJSON *arg;
  int max_items;
  cJSON *park;
  bool converting; /* the chunk has returned: an error from here on is its result's */
};

static int run_tramp(lua_State *L)
{
  struct run_job *job = lua_touserdata(L, 1);
  sr_lua_sandbox_load(L, job->name, job->src, job->len);
  if(job->arg)
    sr_lua_json_push(L, job->arg, 0);
  lua_call(L, job->arg ? 1 : 0, 1);
  job->converting = true;
  if(!lua_isnil(L, -1)) {
    int items = job->max_items;
    sr_lua_json_pull(L, -1, job->park, &items);
  }
  return 0;
}

enum sr_outcome sr_lua_sandbox_run(struct sr_lua_sandbox *sb, const char *name, const char *src, size_t len,
                                   const cJSON *arg, long budget, int max_items, cJSON **result, char *why,
                                   size_t whysz)
{
  *result = NULL;
  struct run_job job = { name, src, len, arg, max_items, cJSON_CreateArray(), false };
  if(!job.park) {
    snprintf(why, whysz, "out of memory");
    return SR_OUTCOME_HOST;
  }
  enum sr_outcome o = sr_lua_sandbox_call(sb, run_tramp, &job, budget, why, whysz);
  if(o == SR_OUTCOME_RAISED && job.converting)
    o = SR_OUTCOME_MALFORMED;
  if(o == SR_OUTCOME_OK && job.park->child)
    *result = cJSON_DetachItemFromArray(job.park, 0);
  cJSON_Delete(job.park);
  return o;
}

size_t sr_lua_sandbox_memory(const struct sr_lua_sandbox *sb, size_t *cap)
{
  *cap = sb->budget.mem_cap;
  return sb->budget.mem_used;
}

const char *sr_lua_sandbox_where(const struct sr_lua_sandbox *sb) { return sr_lua_budget_where(&sb->budget); }

void sr_lua_sandbox_track(struct sr_lua_sandbox *sb, bool on) { sb->budget.track_where = on; }

void sr_lua_sandbox_interrupt(void) { sr_lua_budget_interrupt(); }
