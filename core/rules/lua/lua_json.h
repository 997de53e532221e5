/*
 * lua_json.h -- values between JSON and Lua (lua_json.c).
 */
#ifndef sr_lua_json_h
#define sr_lua_json_h

#include <cjson/cJSON.h>
#include <lua.h>

/* [-0, +1, e] Pushes <j> as a Lua value (objects and arrays as tables); <depth> is 0 at the top. */
void sr_lua_json_push(lua_State *L, const cJSON *j, int depth);

/* [-0, +0, e] Converts the Lua value at <idx> to JSON: tables with keys 1..n become arrays,
 * tables with string keys objects. Bounded in depth and in items (*budget counts down); raises
 * on anything else. The values it makes are parked under <park> (an array the caller made and
 * frees), so that an error raised halfway leaks nothing: the result is park's last item, which
 * the caller takes with cJSON_DetachItemViaPointer(park, result) once nothing can raise. */
cJSON *sr_lua_json_pull(lua_State *L, int idx, cJSON *park, int *budget);
/* [-0, +0, e] Converts what render() answers at <idx>: a string to a JSON string of its bytes as
 * they are, unchecked (the caller checks a body; a NUL byte, which the JSON string could not
 * hold, raises), anything else as sr_lua_json_pull does but with strings of up to
 * SR_NOTICE_MAX_BODY bytes. Parked as sr_lua_json_pull parks. */
cJSON *sr_lua_json_pull_body(lua_State *L, int idx, cJSON *park, int *budget);
/* [-0, +0, e] Converts the list of errors at <idx> (what validate() and check_inspection()
 * answer: nil, or a list of at most SR_PLUGIN_MAX_ERRORS tables of which only 'field' and
 * 'message' are read, each 1..500 bytes of UTF-8) to a JSON list of {field, message}, parked as
 * sr_lua_json_pull parks; NULL for nil. Raises, naming <fn> ("validate()"), on anything else. */
cJSON *sr_lua_json_pull_errors(lua_State *L, int idx, cJSON *park, const char *fn);

#endif
