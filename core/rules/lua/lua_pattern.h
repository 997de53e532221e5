/*
 * lua_pattern.h -- Lua 5.4 patterns on a matcher that charges every step to the budget
 * (lua_pattern.c): string.find, match, gmatch and gsub.
 */
#ifndef sr_lua_pattern_h
#define sr_lua_pattern_h

#include <lua.h>

/* [-0, +0, e] Sets the four functions into the table at <idx>. */
void sr_lua_pattern_open(lua_State *L, int idx);

#endif
