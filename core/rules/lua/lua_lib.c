/*
 * lua_lib.c -- the library functions of the sandbox whose work a plugin can make large,
 * rewritten or wrapped so that the work is charged to the call's budget as it is done.
 *
 * A C function is one VM instruction to the count hook, however long it runs. Lua's own
 * string.rep("", 1e15) loops 1e15 times, table.move({}, 1, 1e15, 2) as often, and table.insert
 * on a table whose __len lies does the same; table.sort of a large table, or of one reached
 * through a chain of __index tables, runs for seconds in C. The table functions here follow
 * Lua 5.4's semantics (arguments, metamethods, errors) but charge each element they touch;
 * table.sort is a heapsort, which never raises "invalid order function" (an inconsistent order
 * gives some permutation). Functions linear in their string arguments are charged up front.
 */
#include <lauxlib.h>
#include <lua.h>
#include <limits.h>
#include <stdbool.h>

#include "lua_budget.h"
#include "lua_lib.h"

/* Reading or writing one element through the API (a table look-up, perhaps through __index and
 * __newindex tables) costs about as much as this many VM instructions. */
#define ELEMENT_STEPS 4

/* ==== charged wrappers ==== */

static long string_cost(lua_State *L, int from, int to)
{
  long cost = 1 + (to - from + 1);
  for(int i = from; i <= to; i++)
    if(lua_type(L, i) == LUA_TSTRING)
      cost += (long)(lua_rawlen(L, i) / SR_PLUGIN_BYTES_PER_STEP);
  return cost;
}

/* Upvalue 1 is the wrapped C function, called in this frame with the same arguments. */
static int charged_call(lua_State *L)
{
  sr_lua_budget_charge(L, string_cost(L, 1, lua_gettop(L)));
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

void sr_lua_lib_wrap_charged(lua_State *L)
{
  luaL_checktype(L, -1, LUA_TFUNCTION);
  if(!lua_tocfunction(L, -1))
    luaL_error(L, "plugin host: only C functions are wrapped");
  lua_pushcclosure(L, charged_call, 1);
}

/* [-(2|3), +1, e] string.rep(s, n [, sep]): refused past the string ceiling before any work, and
 * charged by its copies; rep("", n) is "" at once (Lua would loop n times copying nothing). */
static int charged_rep(lua_State *L)
{
  size_t l, lsep;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if(n <= 0 || l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  if((lua_Unsigned)n > ((size_t)SR_PLUGIN_MAX_STRING + lsep) / (l + lsep))
    sr_lua_budget_refuse_string(L);
  /* A copy costs about half an instruction; the bytes are charged when the result is allocated. */
  sr_lua_budget_charge(L, 1 + (long)(n / 2));
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* ==== table functions ==== */

enum { TAB_R = 1, TAB_W = 2, TAB_L = 4 };

static bool has_field(lua_State *L, int mt, const char *key)
{
  lua_pushstring(L, key);
  bool r = lua_rawget(L, mt) != LUA_TNIL;
  lua_pop(L, 1);
  return r;
}

/* As Lua's table library: a table, or a value whose metatable has what the function uses. */
static void check_tab(lua_State *L, int arg, int what)
{
  if(lua_type(L, arg) == LUA_TTABLE)
    return;
  if(lua_getmetatable(L, arg)) {
    int mt = lua_gettop(L);
    bool ok = (!(what & TAB_R) || has_field(L, mt, "__index")) &&
              (!(what & TAB_W) || has_field(L, mt, "__newindex")) &&
              (!(what & TAB_L) || has_field(L, mt, "__len"));
    lua_pop(L, 1);
    if(ok)
      return;
  }
  luaL_checktype(L, arg, LUA_TTABLE);
}

static lua_Integer tab_len(lua_State *L, int arg, int what)
{
  check_tab(L, arg, what | TAB_L);
  return luaL_len(L, arg);
}

/* t[to] = t[from], one charged step. */
static void copy_item(lua_State *L, int src, lua_Integer from, int dst, lua_Integer to)
{
  sr_lua_budget_charge(L, 2 * ELEMENT_STEPS);
  lua_geti(L, src, from);
  lua_seti(L, dst, to);
}

/* [-(1..4), +1, e] table.concat(list [, sep [, i [, j]]]) */
static int tab_concat(lua_State *L)
{
  lua_Integer last = tab_len(L, 1, TAB_R);
  size_t lsep;
  const char *sep = luaL_optlstring(L, 2, "", &lsep);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  last = luaL_optinteger(L, 4, last);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for(; i <= last; i++) {
    sr_lua_budget_charge(L, ELEMENT_STEPS + (long)(lsep / SR_PLUGIN_BYTES_PER_STEP));
    lua_geti(L, 1, i);
    if(!lua_isstring(L, -1))
      return luaL_error(L, "invalid value (at index %I) in table for 'concat'", (LUAI_UACINT)i);
    luaL_addvalue(&b);
    if(i == last)
      break; /* also keeps i + 1 from overflowing at the largest integer */
    luaL_addlstring(&b, sep, lsep);
  }
  luaL_pushresult(&b);
  return 1;
}

/* [-(2|3), +0, e] table.insert(list, [pos,] value) */
static int tab_insert(lua_State *L)
{
  lua_Integer e = luaL_intop(+, tab_len(L, 1, TAB_R | TAB_W), 1); /* first empty slot */
  lua_Integer pos = e;
  switch(lua_gettop(L)) {
  case 2:
    break;
  case 3:
    pos = luaL_checkinteger(L, 2);
    luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
    for(lua_Integer i = e; i > pos; i--)
      copy_item(L, 1, i - 1, 1, i);
    break;
  default:
    return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

/* [-(1|2), +1, e] table.remove(list [, pos]) */
static int tab_remove(lua_State *L)
{
  lua_Integer size = tab_len(L, 1, TAB_R | TAB_W);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if(pos != size)
    luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
  lua_geti(L, 1, pos);
  for(; pos < size; pos++)
    copy_item(L, 1, pos + 1, 1, pos);
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

/* [-(4|5), +1, e] table.move(a1, f, e, t [, a2]) */
static int tab_move(lua_State *L)
{
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  lua_Integer t = luaL_checkinteger(L, 4);
  int dst = lua_isnoneornil(L, 5) ? 1 : 5;
  check_tab(L, 1, TAB_R);
  check_tab(L, dst, TAB_W);
  if(e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    lua_Integer n = e - f + 1;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    /* Overlapping moves to the right go backwards, so that nothing is read after it is written. */
    if(t > e || t <= f || (dst != 1 && !lua_compare(L, 1, dst, LUA_OPEQ)))
      for(lua_Integer i = 0; i < n; i++)
        copy_item(L, 1, f + i, dst, t + i);
    else
      for(lua_Integer i = n - 1; i >= 0; i--)
        copy_item(L, 1, f + i, dst, t + i);
  }
  lua_pushvalue(L, dst);
  return 1;
}

/* [-(1..3), +n, e] table.unpack(list [, i [, j]]) */
static int tab_unpack(lua_State *L)
{
  lua_Integer i = luaL_optinteger(L, 2, 1);
  lua_Integer e = lua_isnoneornil(L, 3) ? luaL_len(L, 1) : luaL_checkinteger(L, 3);
  if(i > e)
    return 0;
  lua_Unsigned n = (lua_Unsigned)e - (lua_Unsigned)i; /* one less than the count */
  if(n >= (unsigned)INT_MAX || !lua_checkstack(L, (int)(n + 1)))
    return luaL_error(L, "too many results to unpack");
  for(lua_Integer k = i;; k++) {
    sr_lua_budget_charge(L, ELEMENT_STEPS);
    lua_geti(L, 1, k);
    if(k == e)
      break;
  }
  return (int)(n + 1);
}

/* ---- table.sort: a heapsort over list[1..n] with every comparison charged ---- */

struct sorter {
  lua_State *L;
  bool comp; /* an order function is at index 2 */
};

/* list[a] < list[b] under the order in use */
static bool sort_less(struct sorter *s, lua_Integer a, lua_Integer b)
{
  lua_State *L = s->L;
  sr_lua_budget_charge(L, 3 * ELEMENT_STEPS);
  if(s->comp)
    lua_pushvalue(L, 2);
  lua_geti(L, 1, a);
  lua_geti(L, 1, b);
  bool r;
  if(s->comp) {
    lua_call(L, 2, 1);
    r = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  else {
    r = lua_compare(L, -2, -1, LUA_OPLT);
    lua_pop(L, 2);
  }
  return r;
}

static void sort_swap(lua_State *L, lua_Integer a, lua_Integer b)
{
  sr_lua_budget_charge(L, 4 * ELEMENT_STEPS);
  lua_geti(L, 1, a);
  lua_geti(L, 1, b);
  lua_seti(L, 1, a);
  lua_seti(L, 1, b);
}

/* Restores the max-heap below <root> within list[1..n]. */
static void sift_down(struct sorter *s, lua_Integer root, lua_Integer n)
{
  for(;;) {
    lua_Integer child = 2 * root;
    if(child > n)
      return;
    if(child < n && sort_less(s, child, child + 1))
      child++;
    if(!sort_less(s, root, child))
      return;
    sort_swap(s->L, root, child);
    root = child;
  }
}

/* [-(1|2), +0, e] table.sort(list [, comp]) */
static int tab_sort(lua_State *L)
{
  lua_Integer n = tab_len(L, 1, TAB_R | TAB_W);
  if(n > 1) {
    luaL_argcheck(L, n < INT_MAX, 1, "array too big");
    if(!lua_isnoneornil(L, 2))
      luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    struct sorter s = { L, !lua_isnil(L, 2) };
    for(lua_Integer i = n / 2; i >= 1; i--)
      sift_down(&s, i, n);
    for(lua_Integer end = n; end > 1; end--) {
      sort_swap(L, 1, end);
      sift_down(&s, 1, end - 1);
    }
  }
  return 0;
}

/* ==== installing them ==== */

static const luaL_Reg table_funcs[] = {
  { "concat", tab_concat }, { "insert", tab_insert }, { "move", tab_move },
  { "remove", tab_remove }, { "sort", tab_sort },     { "unpack", tab_unpack },
  { NULL, NULL },
};

/* Linear in their string arguments (or in their argument count). */
static const char *const string_linear[] = { "byte", "char", "format", "lower", "upper", "reverse",
                                             "sub", "pack", "packsize", "unpack", NULL };
static const char *const utf8_linear[] = { "char", "codepoint", "codes", "len", "offset", NULL };

static void wrap_fields(lua_State *L, int lib, const char *const *names)
{
  for(const char *const *n = names; *n; n++)
    if(lua_getfield(L, lib, *n) == LUA_TFUNCTION) {
      sr_lua_lib_wrap_charged(L);
      lua_setfield(L, lib, *n);
    }
    else
      lua_pop(L, 1);
}

void sr_lua_lib_charge(lua_State *L, int tmpl)
{
  tmpl = lua_absindex(L, tmpl);
  lua_getfield(L, tmpl, "table");
  luaL_setfuncs(L, table_funcs, 0);
  lua_pop(L, 1);

  lua_getfield(L, tmpl, "string");
  int s = lua_gettop(L);
  wrap_fields(L, s, string_linear);
  lua_getfield(L, s, "rep");
  lua_pushcclosure(L, charged_rep, 1);
  lua_setfield(L, s, "rep");
  lua_pop(L, 1);

  lua_getfield(L, tmpl, "utf8");
  wrap_fields(L, lua_gettop(L), utf8_linear);
  lua_pop(L, 1);
}
