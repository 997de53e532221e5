/*
 * lua_sandbox.h -- a sandboxed Lua state on its own, outside any plugin set: the state the
 * plugin engine runs plugins in, and the one `sereg script` is to run scripts in.
 *
 * A sandbox is a Lua 5.4 state whose every allocation goes through the memory cap and the string
 * ceiling, whose every protected call runs under an instruction budget and a wall-clock limit
 * (lua_budget.h), and whose chunks each run in a strict _ENV of their own, copied from a
 * template of allowed globals (lua_env.h) plus the 'sereg' host library (lua_host.h). A sandbox
 * belongs to one thread at a time.
 *
 *   char why[400];
 *   struct sr_lua_sandbox *sb = sr_lua_sandbox_new(SR_PLUGIN_MEMORY, SR_PLUGIN_CALL_MS, why, sizeof why);
 *   cJSON *result;
 *   enum sr_outcome o = sr_lua_sandbox_run(sb, "job.lua", src, len, arg, SR_PLUGIN_CALL_BUDGET, 1000,
 *                                          &result, why, sizeof why);
 *   ... o is SR_OUTCOME_OK and result the chunk's first result as JSON, or o names what stopped it
 *   sr_lua_sandbox_free(sb);
 *
 * For more than one chunk and one answer, sr_lua_sandbox_call runs any C function under the
 * budget, inside which sr_lua_sandbox_load, sr_lua_json_push and sr_lua_json_pull (lua_json.h)
 * do the rest; sr_lua_sandbox_interrupt stops every sandbox of the process.
 */
#ifndef sr_lua_sandbox_h
#define sr_lua_sandbox_h

#include <cjson/cJSON.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "outcome.h"

struct sr_lua_sandbox;

/* A new sandbox that may hold <memory> bytes, each call of which may run <ms> milliseconds;
 * NULL with the reason in <why>. */
struct sr_lua_sandbox *sr_lua_sandbox_new(size_t memory, int ms, char *why, size_t whysz);
void sr_lua_sandbox_free(struct sr_lua_sandbox *sb);
lua_State *sr_lua_sandbox_state(struct sr_lua_sandbox *sb);

/* Runs <fn>(<ud>) protected, under <budget> instructions, the time limit and the memory cap
 * (sr_lua_budget_pcall): every entry into Lua code goes through here. */
enum sr_outcome sr_lua_sandbox_call(struct sr_lua_sandbox *sb, lua_CFunction fn, void *ud, long budget, char *why,
                                    size_t whysz);
/* [-0, +1, e] Inside a call: compiles text chunk <src> (no bytecode) named <name> (as in
 * "name:12: message") and pushes it as a function whose _ENV is a fresh strict copy of the
 * template. Raises on a syntax error. */
void sr_lua_sandbox_load(lua_State *L, const char *name, const char *src, size_t len);
/* [-0, +1, e] Inside a call: pushes the template of globals, to add to it what every later
 * chunk is to see (the plugin engine adds its manifest builders to template.sereg). */
void sr_lua_sandbox_push_template(lua_State *L);

/* Loads and runs chunk <src> named <name> with <arg> (as Lua values; none when NULL) as its one
 * argument, all under <budget>. On SR_OUTCOME_OK *result is its first result as JSON (caller
 * owns it; NULL for nil); a result of more than <max_items> values or with no JSON form is
 * SR_OUTCOME_MALFORMED. Otherwise *result is NULL and <why> says what happened. */
enum sr_outcome sr_lua_sandbox_run(struct sr_lua_sandbox *sb, const char *name, const char *src, size_t len,
                                   const cJSON *arg, long budget, int max_items, cJSON **result, char *why,
                                   size_t whysz);

/* Where the last call stopped or raised ("job.lua:12"; "" when not known). With tracking on (a
 * script's sandbox) a memory error, which unwinds before anything can look, is placed where the
 * budget last saw the code, at most a thousand instructions earlier. */
const char *sr_lua_sandbox_where(const struct sr_lua_sandbox *sb);
void sr_lua_sandbox_track(struct sr_lua_sandbox *sb, bool on);

/* The bytes the sandbox holds now, and (in *cap) the most it may hold. */
size_t sr_lua_sandbox_memory(const struct sr_lua_sandbox *sb, size_t *cap);
/* Stops every call of every sandbox of the process, now and later (sr_lua_budget_interrupt). */
void sr_lua_sandbox_interrupt(void);

#endif
