/*
 * lua_lib.h -- the library functions of the sandbox whose work Lua code can make large,
 * rewritten or wrapped so that their work is charged to the budget as it is done (lua_lib.c).
 */
#ifndef sr_lua_lib_h
#define sr_lua_lib_h

#include <lua.h>

/* [-0, +0, e] Replaces, in the library tables of the template at <tmpl>, every function whose
 * work Lua code can make large (table functions, string.rep, functions linear in their string
 * arguments) by one that charges it. The pattern functions are lua_pattern.c's. */
void sr_lua_lib_charge(lua_State *L, int tmpl);
/* [-1, +1, e] Wraps the C function on the stack top in a closure that charges for its arguments
 * (one per argument and one per SR_PLUGIN_BYTES_PER_STEP bytes of string) before calling it. */
void sr_lua_lib_wrap_charged(lua_State *L);

#endif
