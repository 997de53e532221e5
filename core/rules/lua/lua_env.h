/*
 * lua_env.h -- the globals of the sandbox (lua_env.c): the template every chunk's _ENV is
 * copied from, and the strict _ENV itself.
 */
#ifndef sr_lua_env_h
#define sr_lua_env_h

#include <lua.h>

/* [-0, +0, e] Builds the sandbox's globals (without the 'sereg' host library) into the table on
 * the stack top, and points the shared string metatable at that table's string library. */
void sr_lua_env_globals(lua_State *L);
/* [-0, +1, e] A fresh strict _ENV with private copies of <tmpl>'s library tables. */
void sr_lua_env_push(lua_State *L, int tmpl);

#endif
