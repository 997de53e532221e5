/*
 * lua_host.c -- the 'sereg' host library of the sandbox: the functions Lua code calls for what
 * the host does better or must do the same everywhere (unified social credit codes, calendar
 * dates). Each does little work, bounded by the length of a code or a date, so none charges
 * the budget.
 */
#include <lauxlib.h>
#include <lua.h>

#include "ident.h"
#include "lua_host.h"
#include "util.h"

/* [-1, +2, e] sereg.uscc_valid(code) -> true | false, reason */
static int l_uscc_valid(lua_State *L)
{
  enum sr_uscc_result r = sr_uscc_check(luaL_checkstring(L, 1));
  lua_pushboolean(L, r == SR_USCC_OK);
  if(r == SR_USCC_OK)
    return 1;
  lua_pushstring(L, sr_uscc_explain(r));
  return 2;
}

/* [-1, +3, e] sereg.parse_date("YYYY-MM-DD") -> year, month, day | nil */
static int l_parse_date(lua_State *L)
{
  struct sr_date d;
  if(lua_type(L, 1) != LUA_TSTRING || !sr_date_parse(lua_tostring(L, 1), &d)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, d.y);
  lua_pushinteger(L, d.m);
  lua_pushinteger(L, d.d);
  return 3;
}

static struct sr_date check_date(lua_State *L, int arg)
{
  struct sr_date d;
  const char *s = luaL_checkstring(L, arg);
  if(!sr_date_parse(s, &d))
    luaL_argerror(L, arg, "not a date YYYY-MM-DD");
  return d;
}

static int push_date(lua_State *L, struct sr_date d)
{
  char buf[11];
  if(d.y < 1900 || d.y > 9999)
    return luaL_error(L, "date out of range");
  sr_date_format(d, buf);
  lua_pushstring(L, buf);
  return 1;
}

static long check_count(lua_State *L, int arg)
{
  lua_Integer n = luaL_checkinteger(L, arg);
  luaL_argcheck(L, n > -1000000 && n < 1000000, arg, "out of range");
  return (long)n;
}

/* [-2, +1, e] sereg.add_days("YYYY-MM-DD", n) -> "YYYY-MM-DD" */
static int l_add_days(lua_State *L) { return push_date(L, sr_date_add_days(check_date(L, 1), check_count(L, 2))); }

/* [-2, +1, e] sereg.add_months(date, n): the same day n months on, or that month's last day */
static int l_add_months(lua_State *L)
{
  return push_date(L, sr_date_add_months(check_date(L, 1), check_count(L, 2)));
}

/* [-2, +1, e] sereg.add_years(date, n): as add_months(date, 12 * n); 02-29 becomes 02-28 */
static int l_add_years(lua_State *L)
{
  return push_date(L, sr_date_add_months(check_date(L, 1), 12 * check_count(L, 2)));
}

/* [-2, +1, e] sereg.days_between(a, b) -> b - a in days */
static int l_days_between(lua_State *L)
{
  lua_pushinteger(L, sr_date_to_days(check_date(L, 2)) - sr_date_to_days(check_date(L, 1)));
  return 1;
}

/* [-1, +1, e] sereg.end_of_month(date) -> the last day of its month */
static int l_end_of_month(lua_State *L)
{
  struct sr_date d = check_date(L, 1);
  d.d = sr_date_days_in_month(d.y, d.m);
  return push_date(L, d);
}

static const luaL_Reg sereg_funcs[] = {
  { "uscc_valid", l_uscc_valid },
  { "parse_date", l_parse_date },
  { "add_days", l_add_days },
  { "add_months", l_add_months },
  { "add_years", l_add_years },
  { "days_between", l_days_between },
  { "end_of_month", l_end_of_month },
  { NULL, NULL },
};

void sr_lua_host_open(lua_State *L) { luaL_newlib(L, sereg_funcs); }
