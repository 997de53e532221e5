/* fuzz_pattern.c -- the sandbox's pattern matcher (core/rules/lua/lua_pattern.c) against Lua's own
 * string.find, match, gmatch and gsub: on every input where both finish, they must answer the
 * same values or fail with the same message. The matcher runs first under a step budget; where
 * it runs out, Lua's own (the same backtracking) would take as long, and the input is skipped.
 *
 * Input: one control byte, then subject '\n' pattern '\n' replacement. The control byte picks
 * the function, whether 'init' is given (from the second byte) and what gsub replaces with. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_budget.h"
#include "lua_pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sr_lua_budget host;
static lua_State *L;

/* guard(f, ...) -> ran_out, ok, result: f(...) under a fresh budget. Running out arms the hook
 * on every instruction (as in a plugin call); it is cleared before any Lua code runs again. */
static int l_guard(lua_State *S)
{
  host.used = 0;
  host.ticks = 0;
  host.stop = SR_OUTCOME_OK;
  int rc = lua_pcall(S, lua_gettop(S) - 1, 1, 0);
  lua_sethook(S, NULL, 0, 0);
  lua_pushboolean(S, host.stop != SR_OUTCOME_OK);
  lua_pushboolean(S, rc == LUA_OK);
  lua_rotate(S, -3, 2);
  return 3;
}

static const char harness[] =
    "local real, mine, guard = ...\n"
    "local function pack(ok, ...) return { ok = ok, n = select('#', ...), ... } end\n"
    "local function run(lib, kind, s, p, r, init, flag, maxn)\n"
    "  if kind == 0 then return pack(pcall(lib.find, s, p, init, flag)) end\n"
    "  if kind == 1 then return pack(pcall(lib.match, s, p, init)) end\n"
    "  if kind == 2 then return pack(pcall(lib.gsub, s, p, r, maxn)) end\n"
    "  return pack(pcall(function()\n"
    "    local out, it = {}, lib.gmatch(s, p, init)\n"
    "    for _ = 1, 40 do\n"
    "      local v = table.pack(it())\n"
    "      if v.n == 0 then break end\n"
    "      for j = 1, v.n do out[#out + 1] = v[j] end\n"
    "      out[#out + 1] = '|'\n"
    "    end\n"
    "    return table.unpack(out)\n"
    "  end))\n"
    "end\n"
    "local function same(a, b)\n"
    "  return type(a) == type(b) and math.type(a) == math.type(b) and rawequal(a, b)\n"
    "end\n"
    "return function(kind, s, p, r, init, flag, maxn)\n"
    "  local ran_out, ok, b = guard(run, mine, kind, s, p, r, init, flag, maxn)\n"
    "  if ran_out then return end\n"
    "  if not ok then error(b) end\n"
    "  local a = run(real, kind, s, p, r, init, flag, maxn)\n"
    "  local what = string.format('kind %d subject %q pattern %q repl %s init %s max %s', kind, s, p,\n"
    "                             tostring(r), tostring(init), tostring(maxn))\n"
    "  if a.ok ~= b.ok then\n"
    "    error(what .. ': Lua ' .. (a.ok and 'succeeded' or 'failed: ' .. tostring(a[1])) ..\n"
    "          ', the sandbox ' .. (b.ok and 'succeeded' or 'failed: ' .. tostring(b[1])))\n"
    "  end\n"
    "  if not a.ok then\n"
    "    local ma, mb = tostring(a[1]), tostring(b[1])\n"
    "    if ma ~= mb and not ma:find('^bad argument') then\n"
    "      error(what .. ': Lua says ' .. ma .. ', the sandbox ' .. mb)\n"
    "    end\n"
    "    return\n"
    "  end\n"
    "  if a.n ~= b.n then error(what .. ': ' .. a.n .. ' results against ' .. b.n) end\n"
    "  for i = 1, a.n do\n"
    "    if not same(a[i], b[i]) then\n"
    "      error(what .. ': result ' .. i .. ' is ' .. tostring(a[i]) .. ' in Lua, ' .. tostring(b[i]))\n"
    "    end\n"
    "  end\n"
    "end\n";

/* gsub's table and function replacements: nil, false, strings, numbers and values that are no
 * replacement at all, keyed by what captures are likely to be. */
static const char replacements[] =
    "return { a = '<A>', b = false, ab = 7, aa = 2.5, [1] = 'one', [2] = {}, c = true, ['%'] = '%1' },\n"
    "  function(...)\n"
    "    local n, a = select('#', ...), ...\n"
    "    if a == 'x' then return false end\n"
    "    if a == 'y' then return {} end\n"
    "    if a == 'z' then error('z') end\n"
    "    local t = table.pack(...)\n"
    "    for i = 1, t.n do t[i] = tostring(t[i]) end\n"
    "    return table.concat(t, ',') .. '#' .. n\n"
    "  end\n";

static int check_ref, table_ref, function_ref;

static void setup(void)
{
  L = luaL_newstate();
  *(struct sr_lua_budget **)lua_getextraspace(L) = &host;
  host.L = L;
  host.budget = 2000000;
  host.deadline_ms = 1LL << 62;
  luaL_openlibs(L);
  if(luaL_loadstring(L, harness) != LUA_OK)
    abort();
  lua_getglobal(L, "string");
  lua_newtable(L);
  sr_lua_pattern_open(L, lua_gettop(L));
  lua_pushcfunction(L, l_guard);
  if(lua_pcall(L, 3, 1, 0) != LUA_OK)
    abort();
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if(luaL_loadstring(L, replacements) != LUA_OK || lua_pcall(L, 0, 2, 0) != LUA_OK)
    abort();
  function_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* The next field up to '\n' (or the end), at most <max> bytes of it. */
static const uint8_t *field(const uint8_t *p, const uint8_t *end, size_t max, size_t *len)
{
  const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
  const uint8_t *stop = nl ? nl : end;
  *len = (size_t)(stop - p) < max ? (size_t)(stop - p) : max;
  return nl ? nl + 1 : end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(!L)
    setup();
  if(size < 2)
    return 0;
  unsigned ctl = data[0];
  int init = (int8_t)data[1];
  const uint8_t *p = data + 2, *end = data + size;
  size_t ls, lp, lr;
  const uint8_t *s = p;
  p = field(p, end, 80, &ls);
  const uint8_t *pat = p;
  p = field(p, end, 40, &lp);
  const uint8_t *rep = p;
  field(p, end, 40, &lr);
  int kind = (int)(ctl & 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushinteger(L, kind);
  lua_pushlstring(L, (const char *)s, ls);
  lua_pushlstring(L, (const char *)pat, lp);
  switch((ctl >> 2) & 3) { /* gsub's replacement */
  case 0:
    lua_rawgeti(L, LUA_REGISTRYINDEX, table_ref);
    break;
  case 1:
    lua_rawgeti(L, LUA_REGISTRYINDEX, function_ref);
    break;
  case 2:
    lua_pushinteger(L, init);
    break;
  default:
    lua_pushlstring(L, (const char *)rep, lr);
  }
  if(ctl & 16)
    lua_pushinteger(L, init);
  else
    lua_pushnil(L);
  lua_pushboolean(L, ctl & 32); /* find's 'plain' */
  if(ctl & 64)
    lua_pushinteger(L, init & 7);
  else
    lua_pushnil(L);
  if(lua_pcall(L, 7, 0, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_pattern: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, 0);
  lua_gc(L, LUA_GCSTEP, 0);
  return 0;
}
