/*
 * lua_host.h -- the 'sereg' host library (lua_host.c): sereg.uscc_valid(code),
 * sereg.parse_date(s), sereg.add_days(date, n), sereg.add_months(date, n),
 * sereg.add_years(date, n), sereg.days_between(a, b), sereg.end_of_month(date). Plugins, and the
 * scripts to come, call the same functions.
 */
#ifndef sr_lua_host_h
#define sr_lua_host_h

#include <lua.h>

/* [-0, +1, e] Pushes a new table holding the host library. */
void sr_lua_host_open(lua_State *L);

#endif
