/*
 * lua_manifest.c -- reading what a plugin file returns: a sereg.equipment_type manifest into the
 * type the core knows (eqtype.h), a sereg.escalation or sereg.workflow manifest into the JSON
 * definition that flow.c checks, a sereg.notice_format manifest into the one notice_format.c
 * checks. Everything here runs inside a protected call and raises on
 * anything malformed, naming the file and the key; the checks that need no Lua (names, versions,
 * varieties) are eqtype.c's.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_json.h"
#include "lua_manifest.h"
#include "sr_limits.h"
#include "util.h"

/* Items a ladder or workflow definition may hold once turned into JSON. */
#define MANIFEST_ITEMS 5000

static char *dup_or_raise(lua_State *L, const char *s)
{
  char *d = strdup(s);
  if(!d)
    luaL_error(L, "out of memory");
  return d;
}

/* Reads optional string field <key> of the table at <idx>; raises if present and not a string. */
static const char *opt_string(lua_State *L, int idx, const char *key, const char *what)
{
  lua_getfield(L, idx, key);
  const char *s = NULL;
  if(!lua_isnil(L, -1)) {
    if(lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: '%s' must be a string", what, key);
    s = lua_tostring(L, -1);
    if(!sr_utf8_valid(s, lua_rawlen(L, -1)) || lua_rawlen(L, -1) > SR_MAX_STRING)
      luaL_error(L, "%s: '%s' must be UTF-8 of at most %d bytes", what, key, SR_MAX_STRING);
  }
  lua_pop(L, 1); /* the string stays alive: it is also a field of the table */
  return s;
}

static void check_keys(lua_State *L, int idx, const char *const *allowed, const char *what)
{
  lua_pushnil(L);
  while(lua_next(L, idx)) {
    lua_pop(L, 1);
    if(lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: keys must be strings", what);
    const char *k = lua_tostring(L, -1);
    const char *const *a;
    for(a = allowed; *a; a++)
      if(strcmp(*a, k) == 0)
        break;
    if(!*a)
      luaL_error(L, "%s: unknown key '%s'", what, k);
  }
}

static int attr_cmp(const void *a, const void *b)
{
  return strcmp(((const struct sr_attr *)a)->name, ((const struct sr_attr *)b)->name);
}

static void read_attrs(lua_State *L, int idx, struct sr_attr **out, int *nout, const char *what,
                       int depth);

static void read_attr(lua_State *L, int idx, struct sr_attr *a, const char *what, int depth)
{
  static const char *const keys[] = { "type", "title", "description", "required", "min", "max",
                                      "max_length", "enum", "enum_titles", "format", "properties", NULL };
  if(!lua_istable(L, idx))
    luaL_error(L, "%s: must be a table", what);
  check_keys(L, idx, keys, what);
  const char *type = opt_string(L, idx, "type", what);
  static const char *const kinds[] = { "string", "integer", "number", "boolean", "object" };
  int k;
  for(k = 0; type && k < 5; k++)
    if(strcmp(type, kinds[k]) == 0)
      break;
  if(!type || k == 5)
    luaL_error(L, "%s: 'type' must be one of string, integer, number, boolean, object", what);
  a->kind = (enum sr_attr_kind)k;
  const char *s;
  if((s = opt_string(L, idx, "title", what)))
    a->title = dup_or_raise(L, s);
  if((s = opt_string(L, idx, "description", what)))
    a->description = dup_or_raise(L, s);
  if((s = opt_string(L, idx, "format", what))) {
    if(strcmp(s, "uscc") != 0 || a->kind != SR_ATTR_STRING)
      luaL_error(L, "%s: the only 'format' is \"uscc\", on strings", what);
    a->format = dup_or_raise(L, s);
  }
  lua_getfield(L, idx, "required");
  if(!lua_isnil(L, -1) && !lua_isboolean(L, -1))
    luaL_error(L, "%s: 'required' must be true or false", what);
  a->required = lua_toboolean(L, -1);
  lua_pop(L, 1);
  const char *bounds[] = { "min", "max" };
  for(int i = 0; i < 2; i++) {
    lua_getfield(L, idx, bounds[i]);
    if(!lua_isnil(L, -1)) {
      if(lua_type(L, -1) != LUA_TNUMBER || !isfinite(lua_tonumber(L, -1)) ||
         (a->kind != SR_ATTR_INTEGER && a->kind != SR_ATTR_NUMBER))
        luaL_error(L, "%s: '%s' must be a finite number, on integer or number", what, bounds[i]);
      if(i == 0) {
        a->has_min = true;
        a->min = lua_tonumber(L, -1);
      }
      else {
        a->has_max = true;
        a->max = lua_tonumber(L, -1);
      }
    }
    lua_pop(L, 1);
  }
  if(a->has_min && a->has_max && a->min > a->max)
    luaL_error(L, "%s: 'min' is greater than 'max'", what);
  lua_getfield(L, idx, "max_length");
  if(!lua_isnil(L, -1)) {
    if(!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > SR_MAX_STRING ||
       a->kind != SR_ATTR_STRING)
      luaL_error(L, "%s: 'max_length' must be an integer 1..%d, on strings", what, SR_MAX_STRING);
    a->max_length = (long)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "enum");
  if(!lua_isnil(L, -1)) {
    int e = lua_gettop(L);
    lua_Unsigned n = lua_rawlen(L, e);
    if(!lua_istable(L, e) || n == 0 || n > 100 || a->kind != SR_ATTR_STRING)
      luaL_error(L, "%s: 'enum' must be a list of 1..100 strings, on strings", what);
    a->enumv = calloc(n, sizeof *a->enumv);
    if(!a->enumv)
      luaL_error(L, "out of memory");
    for(lua_Unsigned i = 1; i <= n; i++) {
      if(lua_rawgeti(L, e, (lua_Integer)i) != LUA_TSTRING)
        luaL_error(L, "%s: 'enum' entries must be strings", what);
      a->enumv[a->nenum] = dup_or_raise(L, lua_tostring(L, -1));
      a->nenum++;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  /* What each value is called, in its order: how an office's file names a 品种. */
  lua_getfield(L, idx, "enum_titles");
  if(!lua_isnil(L, -1)) {
    int e = lua_gettop(L);
    if(!lua_istable(L, e) || a->nenum == 0 || lua_rawlen(L, e) != (lua_Unsigned)a->nenum)
      luaL_error(L, "%s: 'enum_titles' must be a list of strings, one for each entry of 'enum'", what);
    a->enum_titles = calloc((size_t)a->nenum, sizeof *a->enum_titles);
    if(!a->enum_titles)
      luaL_error(L, "out of memory");
    for(int i = 0; i < a->nenum; i++) {
      if(lua_rawgeti(L, e, (lua_Integer)i + 1) != LUA_TSTRING || !lua_tostring(L, -1)[0])
        luaL_error(L, "%s: 'enum_titles' entries must be non-empty strings", what);
      a->enum_titles[i] = dup_or_raise(L, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "properties");
  if(a->kind == SR_ATTR_OBJECT) {
    if(!lua_istable(L, -1))
      luaL_error(L, "%s: an object needs 'properties'", what);
    read_attrs(L, lua_gettop(L), &a->props, &a->nprops, what, depth + 1);
  }
  else if(!lua_isnil(L, -1))
    luaL_error(L, "%s: 'properties' belongs on objects only", what);
  lua_pop(L, 1);
}

static void read_attrs(lua_State *L, int idx, struct sr_attr **out, int *nout, const char *what,
                       int depth)
{
  if(depth > 3)
    luaL_error(L, "%s: attributes nest too deeply", what);
  int n = 0;
  lua_pushnil(L);
  while(lua_next(L, idx)) {
    lua_pop(L, 1);
    if(lua_type(L, -1) != LUA_TSTRING || !sr_eqtype_name_ok(lua_tostring(L, -1), 63))
      luaL_error(L, "%s: attribute names must match [a-z][a-z0-9_]*", what);
    if(++n > 64)
      luaL_error(L, "%s: more than 64 attributes", what);
  }
  *out = calloc((size_t)(n ? n : 1), sizeof **out);
  if(!*out)
    luaL_error(L, "out of memory");
  *nout = 0;
  lua_pushnil(L);
  while(lua_next(L, idx)) {
    struct sr_attr *a = &(*out)[*nout];
    a->name = dup_or_raise(L, lua_tostring(L, -2));
    (*nout)++;
    char sub[200];
    snprintf(sub, sizeof sub, "%s: attribute '%s'", what, a->name);
    read_attr(L, lua_gettop(L), a, sub, depth);
    lua_pop(L, 1);
  }
  /* Table traversal order is not stable across runs; the schema must be. */
  qsort(*out, (size_t)*nout, sizeof **out, attr_cmp);
}

/* A registry reference to optional function field <key>, or LUA_NOREF. */
static int opt_function_ref(lua_State *L, int idx, const char *key, const char *file)
{
  lua_getfield(L, idx, key);
  if(lua_isfunction(L, -1))
    return luaL_ref(L, LUA_REGISTRYINDEX);
  if(!lua_isnil(L, -1))
    luaL_error(L, "%s: '%s' must be a function", file, key);
  lua_pop(L, 1);
  return LUA_NOREF;
}

static int kind_cmp(const void *a, const void *b)
{
  return strcmp(((const struct sr_inspection_kind *)a)->kind, ((const struct sr_inspection_kind *)b)->kind);
}

/* inspections = { periodic = { conclusions = { {code=, text=, passed=}, ... }, safety_grade = ... } } */
static void read_kinds(lua_State *L, int idx, struct sr_eqtype *t, const char *file)
{
  if(!lua_istable(L, idx))
    luaL_error(L, "%s: 'inspections' must be a table", file);
  t->kinds = calloc(8, sizeof *t->kinds);
  if(!t->kinds)
    luaL_error(L, "out of memory");
  lua_pushnil(L);
  while(lua_next(L, idx)) {
    const char *kind = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    const char *const *known;
    for(known = sr_inspection_kinds; *known && strcmp(*known, kind) != 0; known++)
      ;
    if(!*known)
      luaL_error(L, "%s: inspection kind '%s' is not one of periodic, supervisory, first, self_test, "
                    "annual_check, external, internal", file, kind);
    if(!lua_istable(L, -1))
      luaL_error(L, "%s: inspections.%s must be a table", file, kind);
    struct sr_inspection_kind *k = &t->kinds[t->nkinds];
    k->kind = dup_or_raise(L, kind);
    t->nkinds++;
    int kt = lua_gettop(L);
    char what[96];
    snprintf(what, sizeof what, "%s: inspections.%s", file, kind);
    static const char *const kkeys[] = { "conclusions", "safety_grade", NULL };
    check_keys(L, kt, kkeys, what);
    const char *grade = opt_string(L, kt, "safety_grade", what);
    k->safety_grade = !grade || strcmp(grade, "forbidden") == 0 ? SR_GRADE_FORBIDDEN
                      : strcmp(grade, "required") == 0      ? SR_GRADE_REQUIRED
                      : strcmp(grade, "optional") == 0      ? SR_GRADE_OPTIONAL
                                                            : (luaL_error(L, "%s: safety_grade must be "
                                                                             "forbidden, required or optional", what),
                                                               SR_GRADE_FORBIDDEN);
    lua_getfield(L, kt, "conclusions");
    int ct = lua_gettop(L);
    lua_Unsigned n = lua_istable(L, ct) ? lua_rawlen(L, ct) : 0;
    if(n == 0 || n > 20)
      luaL_error(L, "%s: 'conclusions' must list 1..20 {code=, text=, passed=}", what);
    k->conclusions = calloc(n, sizeof *k->conclusions);
    if(!k->conclusions)
      luaL_error(L, "out of memory");
    for(lua_Unsigned i = 1; i <= n; i++) {
      if(lua_rawgeti(L, ct, (lua_Integer)i) != LUA_TTABLE)
        luaL_error(L, "%s: conclusion #%d must be a table", what, (int)i);
      int e = lua_gettop(L);
      static const char *const ckeys[] = { "code", "text", "passed", NULL };
      check_keys(L, e, ckeys, what);
      const char *code = opt_string(L, e, "code", what);
      const char *text = opt_string(L, e, "text", what);
      lua_getfield(L, e, "passed");
      if(!code || !sr_eqtype_name_ok(code, 32) || !text || !*text || !lua_isboolean(L, -1))
        luaL_error(L, "%s: conclusion #%d needs code ([a-z_]), text and passed (boolean)", what, (int)i);
      struct sr_conclusion *c = &k->conclusions[k->nconclusions];
      c->passed = lua_toboolean(L, -1);
      c->code = dup_or_raise(L, code);
      c->text = dup_or_raise(L, text);
      k->nconclusions++;
      lua_pop(L, 2);
    }
    lua_pop(L, 2); /* conclusions, the kind's table */
  }
  qsort(t->kinds, (size_t)t->nkinds, sizeof *t->kinds, kind_cmp);
}

void sr_lua_manifest_type(lua_State *L, int idx, const char *file, struct sr_eqtype *t, int refs[SR_FN_COUNT])
{
  static const char *const keys[] = { "code", "name", "aliases", "version", "registration_class", "attributes",
                                      "validate", "inspections", "next_due", "check_inspection", "hazards", NULL };
  check_keys(L, idx, keys, file);
  const char *code = opt_string(L, idx, "code", file);
  const char *name = opt_string(L, idx, "name", file);
  const char *version = opt_string(L, idx, "version", file);
  const char *cls = opt_string(L, idx, "registration_class", file);
  if(!code || !sr_eqtype_name_ok(code, 32))
    luaL_error(L, "%s: 'code' must match [a-z][a-z0-9_]* (at most 32)", file);
  if(!name || !*name)
    luaL_error(L, "%s: 'name' is required", file);
  if(!version || !sr_eqtype_version_ok(version))
    luaL_error(L, "%s: 'version' must look like 1.2.3", file);
  if(!cls || !*cls || strlen(cls) > 8)
    luaL_error(L, "%s: 'registration_class' (类别汉字, e.g. \"梯\") is required", file);
  t->code = dup_or_raise(L, code);
  t->name = dup_or_raise(L, name);
  t->version = dup_or_raise(L, version);
  t->registration_class = dup_or_raise(L, cls);
  t->file = dup_or_raise(L, file);
  /* Other names and codes an office's register gives the type by (a broader category's name). */
  lua_getfield(L, idx, "aliases");
  if(!lua_isnil(L, -1)) {
    int e = lua_gettop(L);
    lua_Unsigned n = lua_istable(L, e) ? lua_rawlen(L, e) : 0;
    if(n == 0 || n > 16)
      luaL_error(L, "%s: 'aliases' must be a list of 1..16 strings", file);
    t->aliases = calloc(n, sizeof *t->aliases);
    if(!t->aliases)
      luaL_error(L, "out of memory");
    for(lua_Unsigned i = 1; i <= n; i++) {
      if(lua_rawgeti(L, e, (lua_Integer)i) != LUA_TSTRING || !lua_tostring(L, -1)[0] || lua_rawlen(L, -1) > 64)
        luaL_error(L, "%s: 'aliases' entries must be strings of 1..64 bytes", file);
      t->aliases[t->naliases++] = dup_or_raise(L, lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "attributes");
  if(!lua_istable(L, -1))
    luaL_error(L, "%s: 'attributes' must be a table", file);
  read_attrs(L, lua_gettop(L), &t->attrs, &t->nattrs, file, 0);
  lua_pop(L, 1);
  char why[300];
  if(!sr_eqtype_varieties_ok(t, file, why, sizeof why))
    luaL_error(L, "%s", why);
  static const enum sr_plugin_fn fns[] = { SR_FN_VALIDATE, SR_FN_NEXT_DUE, SR_FN_CHECK_INSPECTION, SR_FN_HAZARDS };
  for(size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
    refs[fns[i]] = opt_function_ref(L, idx, sr_engine_fn_name(fns[i]), file);
    if(refs[fns[i]] != LUA_NOREF)
      t->functions |= SR_FN_BIT(fns[i]);
  }
  lua_getfield(L, idx, "inspections");
  if(!lua_isnil(L, -1))
    read_kinds(L, lua_gettop(L), t, file);
  lua_pop(L, 1);
  if((t->functions & SR_FN_BIT(SR_FN_NEXT_DUE)) && t->nkinds == 0)
    luaL_error(L, "%s: 'next_due' needs 'inspections' to name the kinds it schedules", file);
}

void sr_lua_manifest_flow(lua_State *L, int idx, const char *file, struct sr_engine_decl *d, cJSON *park,
                          int *decide_ref)
{
  bool ladder = d->kind == SR_DECL_LADDER;
  if(ladder) {
    lua_getfield(L, idx, "decide");
    if(!lua_isnil(L, -1) && !lua_isfunction(L, -1))
      luaL_error(L, "%s: 'decide' must be a function", file);
    lua_pop(L, 1);
    lua_getfield(L, idx, "decide");
    lua_pushnil(L);
    lua_setfield(L, idx, "decide"); /* the rest of the manifest is data */
  }
  int items = MANIFEST_ITEMS;
  cJSON *spec = sr_lua_json_pull(L, idx, park, &items);
  d->spec = cJSON_DetachItemViaPointer(park, spec); /* the caller's from here, even if this raises */
  if(ladder && lua_isfunction(L, -1)) {
    *decide_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    d->functions |= SR_FN_BIT(SR_FN_DECIDE);
  }
}

void sr_lua_manifest_format(lua_State *L, int idx, const char *file, struct sr_engine_decl *d, cJSON *park,
                            int *render_ref)
{
  static const char *const keys[] = { "name", "title", "version", "content_type", "render", NULL };
  check_keys(L, idx, keys, file);
  lua_getfield(L, idx, "render");
  if(!lua_isnil(L, -1) && !lua_isfunction(L, -1))
    luaL_error(L, "%s: 'render' must be a function", file);
  lua_pushnil(L);
  lua_setfield(L, idx, "render"); /* the rest of the manifest is data */
  int items = MANIFEST_ITEMS;
  cJSON *spec = sr_lua_json_pull(L, idx, park, &items);
  d->spec = cJSON_DetachItemViaPointer(park, spec);
  if(lua_isfunction(L, -1)) {
    *render_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    d->functions |= SR_FN_BIT(SR_FN_RENDER);
  }
  else
    lua_pop(L, 1);
}
