/*
 * plugin_lua.c -- the Lua 5.4 plugin host; the only file that includes lua.h.
 *
 * Every state is built deliberately (plugin_lua_sandbox.c): base functions from an allow-list,
 * string/table/math/utf8 without string.dump and math.random, no io, os, package, debug or load.
 * Each plugin file runs in its own strict _ENV (reading or writing an undeclared global is an
 * error) holding private copies of the library tables, so one plugin cannot change another's.
 * Every entry into Lua, loading a file's top level included, goes through sr_lua_pcall() and its
 * budget. C objects built while Lua may raise are parked in 'pending' fields and freed by the
 * caller if the protected call fails, so an error never leaks them.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "log.h"
#include "plugin_lua_int.h"
#include "util.h"

#define KINDS_KEY "sereg.kinds"       /* registry: weak set of tables made by sereg.* builders */
#define TEMPLATE_KEY "sereg.template" /* registry: the globals every plugin _ENV starts from */

struct sr_plugins *sr_lua_host(lua_State *L) { return *(struct sr_plugins **)lua_getextraspace(L); }

static int panic(lua_State *L)
{
  sr_error("lua panic outside a protected call: %s", lua_tostring(L, -1));
  abort();
}

/* ==== the sereg module ==== */

/* [-1, +1, e] sereg.equipment_type{...}, sereg.escalation{...}, sereg.workflow{...}: copies the
 * manifest and marks the copy with its kind (the upvalue), so that a plugin cannot pass off a
 * plain table as one. */
static int l_manifest(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_newtable(L);
  lua_pushnil(L);
  while(lua_next(L, 1)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, 2);
  }
  lua_getfield(L, LUA_REGISTRYINDEX, KINDS_KEY);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_rawset(L, -3);
  lua_pop(L, 1);
  return 1;
}

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

/* [-0, +0, e] Builds the template of plugin globals in the registry. */
static int setup_sandbox(lua_State *L)
{
  lua_newtable(L);
  int tmpl = lua_gettop(L);
  sr_lua_sandbox_globals(L);
  luaL_newlib(L, sereg_funcs);
  for(const char *const *k = (const char *const[]){ "equipment_type", "escalation", "workflow", NULL }; *k; k++) {
    lua_pushstring(L, *k);
    lua_pushcclosure(L, l_manifest, 1);
    lua_setfield(L, -2, *k);
  }
  lua_setfield(L, tmpl, "sereg");
  lua_pushvalue(L, tmpl);
  lua_setfield(L, LUA_REGISTRYINDEX, TEMPLATE_KEY);
  lua_newtable(L); /* weak-keyed set of manifests made by the builders */
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, KINDS_KEY);
  lua_settop(L, 0);
  return 0;
}

/* ==== reading a manifest (inside a protected call; raises on anything malformed) ==== */

static bool name_ok(const char *s, size_t maxlen)
{
  size_t n = strlen(s);
  if(n == 0 || n > maxlen || !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  for(size_t i = 1; i < n; i++)
    if(!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return false;
  return true;
}

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
                                      "max_length", "enum", "format", "properties", NULL };
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
    if(lua_type(L, -1) != LUA_TSTRING || !name_ok(lua_tostring(L, -1), 63))
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

static bool version_ok(const char *v)
{
  int dots = 0;
  size_t n = strlen(v);
  if(n == 0 || n > 32 || v[0] == '.' || v[n - 1] == '.')
    return false;
  for(size_t i = 0; i < n; i++) {
    if(v[i] == '.') {
      if(v[i + 1] == '.')
        return false;
      dots++;
    }
    else if(v[i] < '0' || v[i] > '9')
      return false;
  }
  return dots == 2;
}

static const struct sr_attr *find_attr(const struct sr_eqtype *t, const char *name)
{
  for(int i = 0; i < t->nattrs; i++)
    if(strcmp(t->attrs[i].name, name) == 0)
      return &t->attrs[i];
  return NULL;
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

const char *const sr_inspection_kinds[] = { "periodic", "supervisory", "first", "self_test",
                                            "annual_check", "external", "internal", NULL };

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
      if(!code || !name_ok(code, 32) || !text || !*text || !lua_isboolean(L, -1))
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

/* Fills p->pending_type from the manifest at <idx>. */
static void read_type(lua_State *L, int idx, const char *file)
{
  static const char *const keys[] = { "code", "name", "version", "registration_class", "attributes",
                                      "validate", "inspections", "next_due", "check_inspection", "hazards", NULL };
  struct sr_plugins *p = sr_lua_host(L);
  struct sr_eqtype *t = p->pending_type;
  check_keys(L, idx, keys, file);
  const char *code = opt_string(L, idx, "code", file);
  const char *name = opt_string(L, idx, "name", file);
  const char *version = opt_string(L, idx, "version", file);
  const char *cls = opt_string(L, idx, "registration_class", file);
  if(!code || !name_ok(code, 32))
    luaL_error(L, "%s: 'code' must match [a-z][a-z0-9_]* (at most 32)", file);
  if(!name || !*name)
    luaL_error(L, "%s: 'name' is required", file);
  if(!version || !version_ok(version))
    luaL_error(L, "%s: 'version' must look like 1.2.3", file);
  if(!cls || !*cls || strlen(cls) > 8)
    luaL_error(L, "%s: 'registration_class' (类别汉字, e.g. \"梯\") is required", file);
  t->code = dup_or_raise(L, code);
  t->name = dup_or_raise(L, name);
  t->version = dup_or_raise(L, version);
  t->registration_class = dup_or_raise(L, cls);
  t->file = dup_or_raise(L, file);
  lua_getfield(L, idx, "attributes");
  if(!lua_istable(L, -1))
    luaL_error(L, "%s: 'attributes' must be a table", file);
  read_attrs(L, lua_gettop(L), &t->attrs, &t->nattrs, file, 0);
  lua_pop(L, 1);
  const struct sr_attr *v = find_attr(t, "variety");
  if(!v || v->kind != SR_ATTR_STRING || !v->required || v->nenum == 0)
    luaL_error(L, "%s: attribute 'variety' must be a required string with an enum of 品种 codes", file);
  for(int i = 0; i < v->nenum; i++) {
    const char *e = v->enumv[i];
    if(strlen(e) != 4 || strspn(e, "0123456789") != 4)
      luaL_error(L, "%s: variety '%s' is not a 4-digit 品种 code", file, e);
  }
  t->validate_ref = opt_function_ref(L, idx, "validate", file);
  t->next_due_ref = opt_function_ref(L, idx, "next_due", file);
  t->check_inspection_ref = opt_function_ref(L, idx, "check_inspection", file);
  t->hazards_ref = opt_function_ref(L, idx, "hazards", file);
  lua_getfield(L, idx, "inspections");
  if(!lua_isnil(L, -1))
    read_kinds(L, lua_gettop(L), t, file);
  lua_pop(L, 1);
  if(t->next_due_ref != LUA_NOREF && t->nkinds == 0)
    luaL_error(L, "%s: 'next_due' needs 'inspections' to name the kinds it schedules", file);
}

struct load_job {
  const struct sr_plugin_source *src;
};

static int load_tramp(lua_State *L)
{
  struct load_job *job = lua_touserdata(L, 1);
  char chunk[300];
  snprintf(chunk, sizeof chunk, "@%s", job->src->name);
  if(luaL_loadbufferx(L, job->src->src, job->src->len, chunk, "t") != LUA_OK)
    return lua_error(L);
  lua_getfield(L, LUA_REGISTRYINDEX, TEMPLATE_KEY);
  sr_lua_push_env(L, -1);
  lua_remove(L, -2);
  if(!lua_setupvalue(L, -2, 1))
    return luaL_error(L, "%s: cannot set its environment", job->src->name);
  lua_call(L, 0, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, KINDS_KEY);
  lua_pushvalue(L, -2);
  lua_rawget(L, -2);
  const char *kind = lua_tostring(L, -1);
  if(!lua_istable(L, -3) || !kind)
    return luaL_error(L, "%s: must return sereg.equipment_type{...}, sereg.escalation{...} or "
                         "sereg.workflow{...}", job->src->name);
  bool type = strcmp(kind, "equipment_type") == 0;
  lua_pop(L, 2);
  if(type)
    read_type(L, lua_gettop(L), job->src->name);
  else
    sr_lua_read_flow(L, lua_gettop(L), job->src->name, kind);
  return 0;
}

/* ==== opening and closing a plugin set ==== */

void sr_eqtype_free_fields(struct sr_eqtype *t)
{
  free(t->code);
  free(t->name);
  free(t->version);
  free(t->file);
  free(t->registration_class);
  sr_attrs_free(t->attrs, t->nattrs);
  for(int i = 0; t->kinds && i < t->nkinds; i++) {
    struct sr_inspection_kind *k = &t->kinds[i];
    free(k->kind);
    for(int c = 0; k->conclusions && c < k->nconclusions; c++) {
      free(k->conclusions[c].code);
      free(k->conclusions[c].text);
    }
    free(k->conclusions);
  }
  free(t->kinds);
  memset(t, 0, sizeof *t);
}

void sr_plugins_close(struct sr_plugins *p)
{
  if(!p)
    return;
  if(p->L)
    lua_close(p->L);
  for(int i = 0; i < p->ntypes; i++)
    sr_eqtype_free_fields(&p->types[i]);
  free(p->types);
  sr_flow_free(p);
  free(p);
}

static bool check_unique(struct sr_plugins *p, char *err, size_t errsz)
{
  for(int i = 0; i < p->ntypes; i++)
    for(int k = 0; k < i; k++) {
      const struct sr_eqtype *a = &p->types[k], *b = &p->types[i];
      if(strcmp(a->code, b->code) == 0 || strcmp(a->name, b->name) == 0) {
        snprintf(err, errsz, "%s and %s both claim type '%s' (%s)", a->file, b->file,
                 strcmp(a->code, b->code) == 0 ? a->code : a->name, "code and name must be unique");
        return false;
      }
      const struct sr_attr *va = find_attr(a, "variety"), *vb = find_attr(b, "variety");
      for(int x = 0; x < va->nenum; x++)
        if(sr_eqtype_has_variety(b, va->enumv[x]) && vb) {
          snprintf(err, errsz, "%s and %s both claim variety %s", a->file, b->file, va->enumv[x]);
          return false;
        }
    }
  return true;
}

struct sr_plugins *sr_plugins_open(const struct sr_plugin_bundle *b, char *err, size_t errsz)
{
  struct sr_plugins *p = calloc(1, sizeof *p);
  if(!p) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  p->mem_cap = SR_PLUGIN_MEMORY;
  p->types = calloc((size_t)(b->n ? b->n : 1), sizeof *p->types);
  p->workflows = calloc((size_t)(b->n ? b->n : 1), sizeof *p->workflows);
  p->L = lua_newstate(sr_lua_alloc, p);
  if(!p->types || !p->workflows || !p->L) {
    snprintf(err, errsz, "out of memory");
    sr_plugins_close(p);
    return NULL;
  }
  *(struct sr_plugins **)lua_getextraspace(p->L) = p;
  lua_atpanic(p->L, panic);
  char why[400];
  if(!sr_lua_pcall(p, setup_sandbox, NULL, SR_PLUGIN_LOAD_BUDGET, why, sizeof why)) {
    snprintf(err, errsz, "plugin host: %s", why);
    sr_plugins_close(p);
    return NULL;
  }
  for(int i = 0; i < b->n; i++) {
    struct load_job job = { &b->files[i] };
    p->pending_type = &p->types[p->ntypes];
    p->pending_type->validate_ref = LUA_NOREF;
    p->pending_type->next_due_ref = LUA_NOREF;
    p->pending_type->check_inspection_ref = LUA_NOREF;
    p->pending_type->hazards_ref = LUA_NOREF;
    bool ok = sr_lua_pcall(p, load_tramp, &job, SR_PLUGIN_LOAD_BUDGET, why, sizeof why);
    p->pending_type = NULL;
    cJSON_Delete(p->pending_json);
    p->pending_json = NULL;
    if(!ok) {
      sr_eqtype_free_fields(&p->types[p->ntypes]);
      /* Prefix the file name unless Lua already did ("elevator.lua:12: ..."). */
      if(strncmp(why, b->files[i].name, strlen(b->files[i].name)) == 0)
        snprintf(err, errsz, "%s", why);
      else
        snprintf(err, errsz, "%s: %s", b->files[i].name, why);
      sr_plugins_close(p);
      return NULL;
    }
    if(p->types[p->ntypes].code) /* this file declared a type, not a ladder or a workflow */
      p->ntypes++;
  }
  if(!check_unique(p, err, errsz) || !sr_flow_check_set(p, err, errsz)) {
    sr_plugins_close(p);
    return NULL;
  }
  return p;
}

size_t sr_plugins_memory(const struct sr_plugins *p, size_t *cap)
{
  *cap = p->mem_cap;
  return p->mem_used;
}

int sr_plugins_ntypes(const struct sr_plugins *p) { return p->ntypes; }

const struct sr_eqtype *sr_plugins_type_at(const struct sr_plugins *p, int i)
{
  return i >= 0 && i < p->ntypes ? &p->types[i] : NULL;
}

const struct sr_eqtype *sr_plugins_type(const struct sr_plugins *p, const char *code)
{
  for(int i = 0; code && i < p->ntypes; i++)
    if(strcmp(p->types[i].code, code) == 0)
      return &p->types[i];
  return NULL;
}

bool sr_eqtype_has_variety(const struct sr_eqtype *t, const char *variety)
{
  const struct sr_attr *v = find_attr(t, "variety");
  for(int i = 0; v && variety && i < v->nenum; i++)
    if(strcmp(v->enumv[i], variety) == 0)
      return true;
  return false;
}

const struct sr_eqtype *sr_plugins_type_for_variety(const struct sr_plugins *p, const char *variety)
{
  for(int i = 0; i < p->ntypes; i++)
    if(sr_eqtype_has_variety(&p->types[i], variety))
      return &p->types[i];
  return NULL;
}

const struct sr_inspection_kind *sr_eqtype_kind(const struct sr_eqtype *t, const char *kind)
{
  for(int i = 0; kind && i < t->nkinds; i++)
    if(strcmp(t->kinds[i].kind, kind) == 0)
      return &t->kinds[i];
  return NULL;
}

const struct sr_conclusion *sr_kind_conclusion(const struct sr_inspection_kind *k, const char *code)
{
  for(int i = 0; code && i < k->nconclusions; i++)
    if(strcmp(k->conclusions[i].code, code) == 0)
      return &k->conclusions[i];
  return NULL;
}
