/*
 * plugin_flow.c -- the Lua side of the hazard rules: loading escalation ladders and workflows
 * (their definitions become JSON checked by flow.c), and calling the two functions plugins may
 * give about hazards: a type's hazards() and the ladder's decide(). What they answer is checked
 * here before the core acts on it.
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "log.h"
#include "metrics.h"
#include "plugin_lua_int.h"

/* Items a definition or an answer may hold once turned into JSON. */
#define MANIFEST_BUDGET 5000
#define ANSWER_BUDGET 1000
/* Hazards one result may show. */
#define MAX_HAZARDS 50

static char *dup_or_raise(lua_State *L, const char *s)
{
  char *d = strdup(s ? s : "");
  if(!d)
    luaL_error(L, "out of memory");
  return d;
}

/* [-0, +0, e] Converts the table at <idx> to checked JSON; the result is the caller's. */
static cJSON *manifest_json(lua_State *L, int idx)
{
  struct sr_plugins *p = sr_lua_host(L);
  int budget = MANIFEST_BUDGET;
  cJSON_Delete(p->pending_json);
  p->pending_json = cJSON_CreateArray();
  if(!p->pending_json)
    luaL_error(L, "out of memory");
  cJSON *j = sr_lua_to_json(L, idx, 0, &budget);
  return cJSON_DetachItemViaPointer(p->pending_json, j);
}

/* Parks <j> under the pending root so that a later error in this call still frees it. */
static void keep(lua_State *L, cJSON *j)
{
  cJSON_AddItemToArray(sr_lua_host(L)->pending_json, j);
}

void sr_lua_read_flow(lua_State *L, int idx, const char *file, const char *kind)
{
  struct sr_plugins *p = sr_lua_host(L);
  bool ladder = strcmp(kind, "escalation") == 0;
  if(!ladder && strcmp(kind, "workflow") != 0)
    luaL_error(L, "%s: unknown plugin kind '%s'", file, kind);
  if(ladder && p->ladder)
    luaL_error(L, "%s: only one escalation ladder may be loaded, and %s already declares one", file, p->ladder->file);
  if(ladder) {
    lua_getfield(L, idx, "decide");
    if(!lua_isnil(L, -1) && !lua_isfunction(L, -1))
      luaL_error(L, "%s: 'decide' must be a function", file);
    lua_pop(L, 1);
    lua_getfield(L, idx, "decide");
    lua_pushnil(L);
    lua_setfield(L, idx, "decide"); /* the rest of the manifest is data */
  }
  cJSON *spec = manifest_json(L, idx);
  keep(L, spec);
  char why[300];
  if(!(ladder ? sr_ladder_check(spec, why, sizeof why) : sr_workflow_check(spec, why, sizeof why)))
    luaL_error(L, "%s: %s", file, why);
  if(ladder) {
    struct sr_ladder *l = calloc(1, sizeof *l);
    if(!l)
      luaL_error(L, "out of memory");
    l->decide_ref = LUA_NOREF;
    p->ladder = l; /* owned by the set from here, so freed if anything below raises */
    l->file = dup_or_raise(L, file);
    l->version = dup_or_raise(L, cJSON_GetObjectItem(spec, "version")->valuestring);
    l->spec = cJSON_DetachItemViaPointer(p->pending_json, spec);
    l->decide_ref = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : LUA_NOREF;
    return;
  }
  struct sr_workflow *w = &p->workflows[p->nworkflows++];
  w->file = dup_or_raise(L, file);
  w->code = dup_or_raise(L, cJSON_GetObjectItem(spec, "code")->valuestring);
  w->name = dup_or_raise(L, cJSON_GetObjectItem(spec, "name")->valuestring);
  w->version = dup_or_raise(L, cJSON_GetObjectItem(spec, "version")->valuestring);
  w->spec = cJSON_DetachItemViaPointer(p->pending_json, spec);
}

void sr_flow_free(struct sr_plugins *p)
{
  if(p->ladder) {
    free(p->ladder->file);
    free(p->ladder->version);
    cJSON_Delete(p->ladder->spec);
    free(p->ladder);
    p->ladder = NULL;
  }
  for(int i = 0; p->workflows && i < p->nworkflows; i++) {
    struct sr_workflow *w = &p->workflows[i];
    free(w->file);
    free(w->code);
    free(w->name);
    free(w->version);
    cJSON_Delete(w->spec);
  }
  free(p->workflows);
  p->workflows = NULL;
  p->nworkflows = 0;
}

bool sr_flow_check_set(const struct sr_plugins *p, char *err, size_t errsz)
{
  for(int i = 0; i < p->nworkflows; i++)
    for(int k = 0; k < i; k++)
      if(strcmp(p->workflows[i].code, p->workflows[k].code) == 0) {
        snprintf(err, errsz, "%s and %s both declare workflow '%s'", p->workflows[k].file, p->workflows[i].file,
                 p->workflows[i].code);
        return false;
      }
  const cJSON *rungs = p->ladder ? cJSON_GetObjectItem(p->ladder->spec, "rungs") : NULL;
  for(const cJSON *r = rungs ? rungs->child : NULL; r; r = r->next) {
    const cJSON *wf = cJSON_GetObjectItem(r, "propose");
    if(cJSON_IsString(wf) && !sr_plugins_workflow(p, wf->valuestring)) {
      snprintf(err, errsz, "%s: rung '%s' proposes workflow '%s', which no plugin declares", p->ladder->file,
               cJSON_GetObjectItem(r, "id")->valuestring, wf->valuestring);
      return false;
    }
  }
  return true;
}

const struct sr_ladder *sr_plugins_ladder(const struct sr_plugins *p) { return p->ladder; }
int sr_plugins_nworkflows(const struct sr_plugins *p) { return p->nworkflows; }

const struct sr_workflow *sr_plugins_workflow_at(const struct sr_plugins *p, int i)
{
  return i >= 0 && i < p->nworkflows ? &p->workflows[i] : NULL;
}

const struct sr_workflow *sr_plugins_workflow(const struct sr_plugins *p, const char *code)
{
  for(int i = 0; code && i < p->nworkflows; i++)
    if(strcmp(p->workflows[i].code, code) == 0)
      return &p->workflows[i];
  return NULL;
}

/* ==== calling a function with JSON arguments ==== */

struct json_call {
  int ref;
  const cJSON *args[3];
  int nargs;
};

/* Calls the function and leaves its answer, as JSON, as the pending root's only item (nil:
 * nothing). */
static int json_tramp(lua_State *L)
{
  struct json_call *job = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, job->ref);
  for(int i = 0; i < job->nargs; i++)
    sr_lua_push_json(L, job->args[i], 0);
  lua_call(L, job->nargs, 1);
  if(!lua_isnil(L, -1)) {
    int budget = ANSWER_BUDGET;
    sr_lua_to_json(L, -1, 0, &budget);
  }
  return 0;
}

/* Runs the call; on success *out is its answer or NULL for nil. */
static bool call_json(struct sr_plugins *p, struct json_call *job, cJSON **out, char *err, size_t errsz)
{
  *out = NULL;
  p->pending_json = cJSON_CreateArray();
  bool ok = p->pending_json && sr_lua_pcall(p, json_tramp, job, SR_PLUGIN_CALL_BUDGET, err, errsz);
  if(!p->pending_json)
    snprintf(err, errsz, "out of memory");
  if(ok && cJSON_GetArraySize(p->pending_json) > 0)
    *out = cJSON_DetachItemFromArray(p->pending_json, 0);
  cJSON_Delete(p->pending_json);
  p->pending_json = NULL;
  return ok;
}

static const char *str(const cJSON *o, const char *k)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Checks one entry of a hazards() answer and fills in the level when the plugin left it out. */
static bool hazard_ok(cJSON *h, int i, char *why, size_t n)
{
  static const char *const keys[] = { "source", "condition", "grade", "level", "reason", NULL };
  if(!cJSON_IsObject(h))
    return snprintf(why, n, "hazard #%d is not a table", i), false;
  for(const cJSON *c = h->child; c; c = c->next) {
    const char *const *k = keys;
    while(*k && strcmp(*k, c->string) != 0)
      k++;
    if(!*k)
      return snprintf(why, n, "hazard #%d: unknown key '%s'", i, c->string), false;
  }
  const char *source = str(h, "source"), *reason = str(h, "reason"), *level = str(h, "level");
  if(!source || (strcmp(source, "failed_in_use") != 0 && strcmp(source, "defect") != 0))
    return snprintf(why, n, "hazard #%d: 'source' must be failed_in_use or defect", i), false;
  if(!sr_condition_ok(str(h, "condition")))
    return snprintf(why, n, "hazard #%d: 'condition' must be 1..64 bytes of printable text without ':'", i), false;
  if(!sr_hazard_grade_ok(str(h, "grade")))
    return snprintf(why, n, "hazard #%d: 'grade' must be general or major", i), false;
  if(cJSON_GetObjectItemCaseSensitive(h, "level") && !sr_hazard_level_ok(level))
    return snprintf(why, n, "hazard #%d: 'level' must be district or city", i), false;
  if(!reason || !*reason)
    return snprintf(why, n, "hazard #%d: 'reason' must be a non-empty string", i), false;
  if(!level)
    cJSON_AddStringToObject(h, "level", "district");
  return true;
}

int sr_plugins_hazards(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *inspection,
                       struct sr_date today, cJSON **out, struct sr_problem *pb)
{
  *out = NULL;
  if(t->hazards_ref == LUA_NOREF) {
    *out = cJSON_CreateArray();
    return SR_OK;
  }
  char day[11], err[512];
  sr_date_format(today, day);
  cJSON *dayj = cJSON_CreateString(day);
  struct json_call job = { t->hazards_ref, { eq, inspection, dayj }, 3 };
  sr_metrics_plugin_call(SR_FN_HAZARDS);
  cJSON *answer = NULL;
  bool ok = call_json(p, &job, &answer, err, sizeof err);
  cJSON_Delete(dayj);
  if(ok && !answer)
    answer = cJSON_CreateArray(); /* nil: nothing found */
  if(ok && cJSON_IsObject(answer) && !answer->child) {
    cJSON_Delete(answer); /* {} is how Lua's empty list arrives */
    answer = cJSON_CreateArray();
  }
  if(ok && (!cJSON_IsArray(answer) || cJSON_GetArraySize(answer) > MAX_HAZARDS)) {
    snprintf(err, sizeof err, "hazards() must return nil or a list of at most %d {source, condition, grade, "
                              "level, reason}", MAX_HAZARDS);
    ok = false;
  }
  int i = 1;
  for(cJSON *h = ok ? answer->child : NULL; h && ok; h = h->next, i++)
    ok = hazard_ok(h, i, err, sizeof err);
  if(!ok) {
    cJSON_Delete(answer);
    sr_warn("plugin %s@%s hazards() failed: %s", t->file, t->version, err);
    sr_metrics_plugin_failure();
    return sr_problem_set(pb, SR_PLUGIN, "plugin %s@%s failed in hazards(): %s", t->file, t->version, err);
  }
  *out = answer;
  return SR_OK;
}

bool sr_plugins_decide(struct sr_plugins *p, const cJSON *hazard, const cJSON *rung, struct sr_date today,
                       cJSON **out, char *err, size_t errsz)
{
  *out = NULL;
  if(!p->ladder || p->ladder->decide_ref == LUA_NOREF)
    return true;
  char day[11];
  sr_date_format(today, day);
  cJSON *dayj = cJSON_CreateString(day);
  struct json_call job = { p->ladder->decide_ref, { hazard, rung, dayj }, 3 };
  sr_metrics_plugin_call(SR_FN_DECIDE);
  cJSON *a = NULL;
  bool ok = call_json(p, &job, &a, err, errsz);
  cJSON_Delete(dayj);
  if(ok && a) {
    const cJSON *hold = cJSON_GetObjectItemCaseSensitive(a, "hold");
    const char *g = str(a, "grade"), *l = str(a, "level"), *reason = str(a, "reason");
    int keys = cJSON_GetArraySize(a);
    if(!cJSON_IsObject(a))
      ok = false, snprintf(err, errsz, "decide() must return nil, {hold = reason} or {grade, level, reason}");
    else if(hold && (!cJSON_IsString(hold) || !hold->valuestring[0] || keys != 1))
      ok = false, snprintf(err, errsz, "decide(): 'hold' must be a non-empty reason, alone");
    else if(!hold && ((cJSON_GetObjectItem(a, "grade") && !sr_hazard_grade_ok(g)) ||
                      (cJSON_GetObjectItem(a, "level") && !sr_hazard_level_ok(l))))
      ok = false, snprintf(err, errsz, "decide(): 'grade' must be general or major, 'level' district or city");
    else if(!hold && (!reason || !*reason || keys != (g != NULL) + (l != NULL) + 1))
      ok = false, snprintf(err, errsz, "decide() answers {grade, level, reason}: a reason and nothing else");
  }
  if(!ok) {
    cJSON_Delete(a);
    sr_metrics_plugin_failure();
    return false;
  }
  *out = a;
  return true;
}
