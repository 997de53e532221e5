/*
 * lua_budget.h -- the bounds of one Lua state (lua_budget.c): its allocator with the memory cap
 * and the string ceiling, the instruction budget and wall-clock limit of each protected call,
 * and the process-wide stop. Every other part of the engine that runs a loop whose length Lua
 * code chooses charges it here.
 */
#ifndef sr_lua_budget_h
#define sr_lua_budget_h

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "outcome.h"
#include "sr_limits.h"

/* A state's accounting. lua_getextraspace(L) holds a pointer to it (sr_lua_budget_of). */
struct sr_lua_budget {
  lua_State *L;
  size_t mem_used, mem_cap;
  int ms; /* wall-clock limit of one call */
  /* The call in progress (sr_lua_budget_pcall): instructions and host work charged against the
   * budget, its deadline, and whether (and why) it is to stop: the first reason found stays. */
  bool in_call;
  long budget, used;
  long long deadline_ms;
  unsigned ticks;
  enum sr_outcome stop; /* SR_OUTCOME_OK while it may go on */
  /* Where Lua code was when the call stopped or raised ("job.lua:12"), and, with track_where
   * (scripts), where the count hook last saw it: a memory error unwinds before anything can
   * look, so that is the nearest there is for one. */
  bool track_where;
  char where[160], seen[160];
};

struct sr_lua_budget *sr_lua_budget_of(lua_State *L);

/* The allocator of every sandboxed state (<ud> is its struct sr_lua_budget): the memory cap,
 * the longest string, and allocation charged to the budget of the call in progress. */
void *sr_lua_budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
/* Runs <fn>(<ud>) in protected mode under <budget> instructions, b->ms of wall-clock time and
 * the memory cap, unless the process is stopping. SR_OUTCOME_OK on success; otherwise the
 * outcome names the reason and <why> says it. A call that hit a limit fails even if the Lua code
 * caught the error itself. */
enum sr_outcome sr_lua_budget_pcall(struct sr_lua_budget *b, lua_CFunction fn, void *ud, long budget, char *why,
                                    size_t whysz);
/* Where the last call stopped or raised ("" when unknown). */
const char *sr_lua_budget_where(const struct sr_lua_budget *b);
/* [-0, +0, e] Charges <n> instructions' worth of host work to the call in progress; raises once
 * the call is to stop (budget spent, time up, a memory limit hit, the process stopping). Every
 * host loop whose length Lua code chooses calls it as it goes. */
void sr_lua_budget_charge(lua_State *L, long n);
/* [-0, +0, e] Refuses a string longer than SR_PLUGIN_MAX_STRING: the call stops. */
void sr_lua_budget_refuse_string(lua_State *L);
/* Stops every call in progress in any thread at its next check, and every later one before it
 * runs. Irreversible; one atomic store, so async-signal-safe. */
void sr_lua_budget_interrupt(void);
bool sr_lua_budget_interrupted(void);

#endif
