/*
 * lua_budget.c -- what bounds Lua code: the allocator and its caps, the budget of every call,
 * and the process-wide stop.
 *
 * No plugin code may run outside the budget of a call. The count hook raises once the budget is
 * spent and then re-arms itself on every instruction, so a plugin's pcall only delays the next
 * raise (and the sandbox's xpcall, lua_env.c, runs its handler outside the failing frame). Host
 * functions whose loops a plugin can make long (patterns, table functions, string builders)
 * charge their work through sr_lua_budget_charge(), strings are capped in length, and a
 * wall-clock deadline catches what is left (an instruction that compares two long strings costs
 * more than one that adds two numbers).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua_budget.h"

#define HOOK_STRIDE 1000
#define CLOCK_EVERY 64 /* sr_lua_budget_charge calls between two looks at the clock */

/* Set once by sr_lua_budget_interrupt and never cleared: the process is on its way out. */
static atomic_bool stopping;

void sr_lua_budget_interrupt(void) { atomic_store(&stopping, true); }

bool sr_lua_budget_interrupted(void) { return atomic_load(&stopping); }

struct sr_lua_budget *sr_lua_budget_of(lua_State *L) { return *(struct sr_lua_budget **)lua_getextraspace(L); }

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count_hook(lua_State *L, lua_Debug *ar);

/* The next VM instruction runs the hook, which raises: the call is to stop. Safe from inside the
 * allocator, as lua_sethook only sets fields (Lua allows it even from a signal handler). */
static void stop_soon(struct sr_lua_budget *p, enum sr_outcome why)
{
  if(p->stop == SR_OUTCOME_OK)
    p->stop = why;
  lua_sethook(p->L, count_hook, LUA_MASKCOUNT, 1);
}

static void stop_reason(const struct sr_lua_budget *p, char *buf, size_t n)
{
  struct sr_outcome_limits l = { p->budget, p->ms, p->mem_cap };
  sr_outcome_describe(p->stop, &l, buf, n);
}

/* ==== the allocator ==== */

/* Refuses an allocation; inside a call the call stops at its next instruction, so a plugin that
 * catches the memory error cannot go on retrying (each retry costs Lua a full collection). */
static void *refuse(struct sr_lua_budget *p, enum sr_outcome why)
{
  if(p->in_call)
    stop_soon(p, why);
  return NULL;
}

void *sr_lua_budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct sr_lua_budget *p = ud;
  size_t old = ptr ? osize : 0;
  if(nsize == 0) {
    free(ptr);
    p->mem_used -= old;
    return NULL;
  }
  /* A new object says its type in osize; a string's block is its length and a small header. */
  if(!ptr && osize == LUA_TSTRING && nsize > (size_t)SR_PLUGIN_MAX_STRING + 64)
    return refuse(p, SR_OUTCOME_STRING);
  if(nsize > old && p->mem_used - old + nsize > p->mem_cap)
    return refuse(p, SR_OUTCOME_MEMORY);
  void *n = realloc(ptr, nsize);
  if(!n)
    return NULL;
  p->mem_used = p->mem_used - old + nsize;
  if(p->in_call && nsize > old)
    p->used += (long)((nsize - old) / SR_PLUGIN_ALLOC_BYTES_PER_STEP);
  return n;
}

/* ==== the budget of a call ==== */

/* The first frame from <level> up that is Lua code with a line, as "name:line", into <out>. */
static void locate(lua_State *L, int level, char *out, size_t n)
{
  lua_Debug ar;
  for(; lua_getstack(L, level, &ar); level++)
    if(lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      snprintf(out, n, "%s:%d", ar.short_src, ar.currentline);
      return;
    }
}

const char *sr_lua_budget_where(const struct sr_lua_budget *b) { return b->where[0] ? b->where : b->seen; }

/* Raises if the call is to stop. The clock is read only when <clock> says, as it costs more
 * than the rest. */
static void check(lua_State *L, struct sr_lua_budget *p, bool clock)
{
  if(p->stop == SR_OUTCOME_OK) {
    if(atomic_load_explicit(&stopping, memory_order_relaxed))
      p->stop = SR_OUTCOME_STOPPING;
    else if(p->used > p->budget)
      p->stop = SR_OUTCOME_BUDGET;
    else if(clock && now_ms() > p->deadline_ms)
      p->stop = SR_OUTCOME_TIME;
    else
      return;
  }
  /* From now on fire on every instruction: a pcall in the plugin only delays the next raise. */
  lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  if(!p->where[0])
    locate(L, 0, p->where, sizeof p->where);
  char why[96];
  stop_reason(p, why, sizeof why);
  luaL_error(L, "%s", why);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  struct sr_lua_budget *p = sr_lua_budget_of(L);
  p->used += HOOK_STRIDE;
  if(p->track_where)
    locate(L, 0, p->seen, sizeof p->seen);
  check(L, p, true);
}

void sr_lua_budget_charge(lua_State *L, long n)
{
  struct sr_lua_budget *p = sr_lua_budget_of(L);
  p->used += n;
  check(L, p, ++p->ticks % CLOCK_EVERY == 0);
}

void sr_lua_budget_refuse_string(lua_State *L)
{
  struct sr_lua_budget *p = sr_lua_budget_of(L);
  if(p->stop == SR_OUTCOME_OK)
    p->stop = SR_OUTCOME_STRING;
  check(L, p, false);
}

/* [-1, +1, m] Turns any error value into a string without running plugin metamethods. */
static int msgh(lua_State *L)
{
  struct sr_lua_budget *p = sr_lua_budget_of(L);
  if(!p->where[0])
    locate(L, 1, p->where, sizeof p->where);
  if(lua_type(L, 1) != LUA_TSTRING)
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

enum sr_outcome sr_lua_budget_pcall(struct sr_lua_budget *p, lua_CFunction fn, void *ud, long budget, char *why,
                                    size_t whysz)
{
  lua_State *L = p->L;
  if(atomic_load(&stopping)) {
    p->stop = SR_OUTCOME_STOPPING;
    stop_reason(p, why, whysz);
    return SR_OUTCOME_STOPPING;
  }
  if(!lua_checkstack(L, 8)) {
    snprintf(why, whysz, "plugin host: out of stack");
    return SR_OUTCOME_HOST;
  }
  p->used = 0;
  p->budget = budget;
  p->ticks = 0;
  p->stop = SR_OUTCOME_OK;
  p->where[0] = p->seen[0] = '\0';
  p->deadline_ms = now_ms() + p->ms;
  int base = lua_gettop(L);
  lua_pushcfunction(L, msgh);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  p->in_call = true;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STRIDE);
  int rc = lua_pcall(L, 1, 0, base + 1);
  lua_sethook(L, NULL, 0, 0);
  p->in_call = false;
  enum sr_outcome o = p->stop != SR_OUTCOME_OK ? p->stop : rc != LUA_OK ? SR_OUTCOME_RAISED : SR_OUTCOME_OK;
  if(p->stop != SR_OUTCOME_OK)
    stop_reason(p, why, whysz);
  else if(rc != LUA_OK)
    snprintf(why, whysz, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "unknown error");
  lua_settop(L, base);
  if(o != SR_OUTCOME_OK)
    lua_gc(L, LUA_GCCOLLECT); /* give back what a runaway plugin took */
  return o;
}
