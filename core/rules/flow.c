/* flow.c -- see flow.h. */
#include "flow.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define MAX_RUNGS 50
#define MAX_STATES 30
#define MAX_TRANSITIONS 100

static const char *const grades[] = { "general", "major", NULL };
static const char *const levels[] = { "district", "city", NULL };
static const char *const sources[] = { "overdue", "failed_in_use", "defect", "patrol", "manual", NULL };
static const char *const audiences[] = { "user_unit", "district", "city", NULL };
static const char *const roles[] = { "city_supervisor", "district_supervisor", "user_unit", "coordinator",
                                     "agency", "admin", NULL };
static const char *const fields[] = { "note", "opinion", "evidence", "deadline", NULL };

static int index_of(const char *const *set, const char *s)
{
  for(int i = 0; s && set[i]; i++)
    if(strcmp(set[i], s) == 0)
      return i;
  return -1;
}

bool sr_flow_grade_ok(const char *s) { return index_of(grades, s) >= 0; }
bool sr_flow_level_ok(const char *s) { return index_of(levels, s) >= 0; }
int sr_flow_grade_rank(const char *grade) { return index_of(grades, grade); }
int sr_flow_level_rank(const char *level) { return index_of(levels, level); }

bool sr_flow_condition_ok(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > 64 || strchr(s, ':'))
    return false;
  for(size_t i = 0; i < n; i++)
    if((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

/* Formats the reason into <why> and answers false, so checks read as `return fail(...)`. */
static bool fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t n, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
  return false;
}

static bool name_ok(const char *s, size_t maxlen)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > maxlen || !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static bool version_ok(const char *s)
{
  int a, b, c, used = 0;
  return s && sscanf(s, "%d.%d.%d%n", &a, &b, &c, &used) == 3 && s[used] == '\0' && a >= 0 && b >= 0 && c >= 0;
}

static bool only_keys(const cJSON *obj, const char *const *allowed, const char *what, char *why, size_t n)
{
  if(!cJSON_IsObject(obj))
    return fail(why, n, "%s must be a table of named values", what);
  for(const cJSON *c = obj->child; c; c = c->next)
    if(index_of(allowed, c->string) < 0)
      return fail(why, n, "%s: unknown key '%s'", what, c->string);
  return true;
}

/* A non-empty list of strings, each from <set> (or a name when <set> is NULL). */
static bool list_of(const cJSON *list, const char *const *set, const char *what, char *why, size_t n)
{
  if(!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
    return fail(why, n, "%s must be a non-empty list", what);
  for(const cJSON *c = list->child; c; c = c->next) {
    if(!cJSON_IsString(c) || (set ? index_of(set, c->valuestring) < 0 : !name_ok(c->valuestring, 32)))
      return fail(why, n, "%s: '%s' is not one of the allowed values", what,
                  cJSON_IsString(c) ? c->valuestring : "(not a string)");
  }
  return true;
}

static bool whole_number(const cJSON *v, double lo, double hi)
{
  return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= lo && v->valuedouble <= hi;
}

bool sr_flow_list_has(const cJSON *list, const char *s)
{
  for(const cJSON *c = cJSON_IsArray(list) ? list->child : NULL; c; c = c->next)
    if(cJSON_IsString(c) && s && strcmp(c->valuestring, s) == 0)
      return true;
  return false;
}

/* ==== the escalation ladder ==== */

static bool grade_level(const cJSON *gl, bool both, const char *what, char *why, size_t n)
{
  static const char *const keys[] = { "grade", "level", NULL };
  if(!only_keys(gl, keys, what, why, n))
    return false;
  const cJSON *g = cJSON_GetObjectItemCaseSensitive(gl, "grade"), *l = cJSON_GetObjectItemCaseSensitive(gl, "level");
  if((g || both) && !sr_flow_grade_ok(cJSON_IsString(g) ? g->valuestring : NULL))
    return fail(why, n, "%s.grade must be general or major", what);
  if((l || both) && !sr_flow_level_ok(cJSON_IsString(l) ? l->valuestring : NULL))
    return fail(why, n, "%s.level must be district or city", what);
  if(!g && !l)
    return fail(why, n, "%s must set a grade, a level or both", what);
  return true;
}

static bool rung_check(const cJSON *r, int i, const cJSON *rungs, char *why, size_t n)
{
  static const char *const keys[] = { "id", "reason", "when", "after_days", "on", "set", "propose", "notify", NULL };
  char what[64];
  snprintf(what, sizeof what, "rungs[%d]", i + 1);
  if(!only_keys(r, keys, what, why, n))
    return false;
  const char *id = sr_json_str(r, "id");
  if(!name_ok(id, 48))
    return fail(why, n, "%s.id must match [a-z][a-z0-9_]* (at most 48)", what);
  snprintf(what, sizeof what, "rung '%s'", id);
  for(const cJSON *o = rungs->child; o != r; o = o->next)
    if(sr_json_str(o, "id") && strcmp(sr_json_str(o, "id"), id) == 0)
      return fail(why, n, "%s is declared twice", what);
  const char *reason = sr_json_str(r, "reason");
  if(!reason || !*reason)
    return fail(why, n, "%s needs a 'reason' (said to people when it fires)", what);
  const cJSON *when = cJSON_GetObjectItemCaseSensitive(r, "when");
  if(when) {
    static const char *const wkeys[] = { "source", "grade", NULL };
    if(!only_keys(when, wkeys, what, why, n))
      return false;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(when, "source"), *g = cJSON_GetObjectItemCaseSensitive(when, "grade");
    if(s && !list_of(s, sources, "when.source", why, n))
      return false;
    if(g && !list_of(g, grades, "when.grade", why, n))
      return false;
  }
  const cJSON *after = cJSON_GetObjectItemCaseSensitive(r, "after_days"), *on = cJSON_GetObjectItemCaseSensitive(r, "on");
  if(!after == !on)
    return fail(why, n, "%s needs exactly one of 'after_days' (days after the hazard opened) and "
                        "'on' (\"" SR_RUNG_ON_RECTIFICATION_OVERDUE "\")", what);
  if(after && !whole_number(after, 0, 3650))
    return fail(why, n, "%s.after_days must be a whole number of days from 0 to 3650", what);
  if(on && (!cJSON_IsString(on) || strcmp(on->valuestring, SR_RUNG_ON_RECTIFICATION_OVERDUE) != 0))
    return fail(why, n, "%s.on must be \"" SR_RUNG_ON_RECTIFICATION_OVERDUE "\"", what);
  const cJSON *set = cJSON_GetObjectItemCaseSensitive(r, "set"), *propose = cJSON_GetObjectItemCaseSensitive(r, "propose"),
              *notify = cJSON_GetObjectItemCaseSensitive(r, "notify");
  if(set && !grade_level(set, false, "set", why, n))
    return false;
  if(propose && (!cJSON_IsString(propose) || !name_ok(propose->valuestring, 32)))
    return fail(why, n, "%s.propose must name a workflow", what);
  if(notify && !list_of(notify, audiences, "notify", why, n))
    return false;
  if(!set && !propose && !notify)
    return fail(why, n, "%s does nothing: give it 'set', 'propose' or 'notify'", what);
  return true;
}

bool sr_flow_ladder_check(const cJSON *spec, char *why, size_t n)
{
  static const char *const keys[] = { "version", "opens", "rungs", NULL };
  if(!only_keys(spec, keys, "the ladder", why, n))
    return false;
  if(!version_ok(sr_json_str(spec, "version")))
    return fail(why, n, "'version' must look like 1.2.3");
  const cJSON *opens = cJSON_GetObjectItemCaseSensitive(spec, "opens");
  if(opens) {
    static const char *const okeys[] = { "overdue", NULL };
    if(!only_keys(opens, okeys, "opens", why, n))
      return false;
    for(const cJSON *o = opens->child; o; o = o->next)
      if(!grade_level(o, true, "opens.overdue", why, n))
        return false;
  }
  const cJSON *rungs = cJSON_GetObjectItemCaseSensitive(spec, "rungs");
  if(!cJSON_IsArray(rungs) || cJSON_GetArraySize(rungs) == 0 || cJSON_GetArraySize(rungs) > MAX_RUNGS)
    return fail(why, n, "'rungs' must be a list of 1 to %d rungs", MAX_RUNGS);
  int i = 0;
  for(const cJSON *r = rungs->child; r; r = r->next, i++)
    if(!rung_check(r, i, rungs, why, n))
      return false;
  return true;
}

bool sr_flow_rung_applies(const cJSON *rung, const char *source, const char *grade)
{
  const cJSON *when = cJSON_GetObjectItemCaseSensitive(rung, "when");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(when, "source"), *g = cJSON_GetObjectItemCaseSensitive(when, "grade");
  return (!s || sr_flow_list_has(s, source)) && (!g || sr_flow_list_has(g, grade));
}

void sr_flow_ladder_opens(const cJSON *ladder, const char *source, const char **grade, const char **level)
{
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ladder, "opens"), source);
  if(sr_json_str(o, "grade"))
    *grade = sr_json_str(o, "grade");
  if(sr_json_str(o, "level"))
    *level = sr_json_str(o, "level");
}

/* ==== workflows ==== */

const cJSON *sr_flow_state(const cJSON *wf, const char *state)
{
  return state ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(wf, "states"), state) : NULL;
}

const cJSON *sr_flow_transition(const cJSON *wf, const char *action)
{
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(wf, "transitions");
  for(const cJSON *t = cJSON_IsArray(ts) ? ts->child : NULL; t; t = t->next)
    if(action && sr_json_str(t, "action") && strcmp(sr_json_str(t, "action"), action) == 0)
      return t;
  return NULL;
}

bool sr_flow_transition_from(const cJSON *t, const char *state)
{
  return sr_flow_list_has(cJSON_GetObjectItemCaseSensitive(t, "from"), state);
}

static bool state_final(const cJSON *wf, const char *state)
{
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sr_flow_state(wf, state), "final"));
}

static bool state_check(const cJSON *s, char *why, size_t n)
{
  static const char *const keys[] = { "deadline_days", "deadline", "final", "closes_hazards", NULL };
  char what[80];
  snprintf(what, sizeof what, "state '%s'", s->string);
  if(!name_ok(s->string, 32))
    return fail(why, n, "state names must match [a-z][a-z0-9_]* (at most 32): '%s'", s->string);
  if(cJSON_IsObject(s) && !s->child)
    return true; /* {} converts from Lua as an empty table: a state with nothing attached */
  if(!only_keys(s, keys, what, why, n))
    return false;
  const cJSON *days = cJSON_GetObjectItemCaseSensitive(s, "deadline_days"), *dl = cJSON_GetObjectItemCaseSensitive(s, "deadline");
  if(days && !whole_number(days, 1, 3650))
    return fail(why, n, "%s: deadline_days must be a whole number from 1 to 3650", what);
  if(dl && (!cJSON_IsString(dl) || strcmp(dl->valuestring, "directive") != 0))
    return fail(why, n, "%s: deadline must be \"directive\" (the deadline set on the rectification)", what);
  if(days && dl)
    return fail(why, n, "%s: give deadline_days or deadline, not both", what);
  for(const char *const *k = (const char *const[]){ "final", "closes_hazards", NULL }; *k; k++) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, *k);
    if(b && !cJSON_IsBool(b))
      return fail(why, n, "%s: %s must be true or false", what, *k);
  }
  if(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "final")) && (days || dl))
    return fail(why, n, "%s: a final state has no deadline", what);
  return true;
}

static bool transition_check(const cJSON *wf, const cJSON *t, int i, char *why, size_t n)
{
  static const char *const keys[] = { "action", "from", "to", "roles", "requires", "sets_deadline",
                                      "before_deadline", NULL };
  char what[80];
  snprintf(what, sizeof what, "transitions[%d]", i + 1);
  if(!only_keys(t, keys, what, why, n))
    return false;
  const char *action = sr_json_str(t, "action");
  if(!name_ok(action, 32))
    return fail(why, n, "%s.action must match [a-z][a-z0-9_]* (at most 32)", what);
  snprintf(what, sizeof what, "action '%s'", action);
  if(sr_flow_transition(wf, action) != t)
    return fail(why, n, "%s is declared twice", what);
  const cJSON *from = cJSON_GetObjectItemCaseSensitive(t, "from");
  if(!list_of(from, NULL, "from", why, n))
    return fail(why, n, "%s.from must be a non-empty list of states", what);
  for(const cJSON *f = from->child; f; f = f->next) {
    if(!sr_flow_state(wf, f->valuestring))
      return fail(why, n, "%s: from-state '%s' is not declared", what, f->valuestring);
    if(state_final(wf, f->valuestring))
      return fail(why, n, "%s leaves the final state '%s'", what, f->valuestring);
  }
  if(!sr_flow_state(wf, sr_json_str(t, "to")))
    return fail(why, n, "%s: 'to' must name a declared state", what);
  if(!list_of(cJSON_GetObjectItemCaseSensitive(t, "roles"), roles, "roles", why, n))
    return fail(why, n, "%s.roles must list roles among city_supervisor, district_supervisor, user_unit, "
                        "coordinator, agency, admin", what);
  const cJSON *req = cJSON_GetObjectItemCaseSensitive(t, "requires");
  if(req && !list_of(req, fields, "requires", why, n))
    return fail(why, n, "%s.requires may list note, opinion, evidence, deadline", what);
  for(const char *const *k = (const char *const[]){ "sets_deadline", "before_deadline", NULL }; *k; k++) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(t, *k);
    if(b && !cJSON_IsBool(b))
      return fail(why, n, "%s: %s must be true or false", what, *k);
  }
  if(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "sets_deadline")) && !sr_flow_list_has(req, "deadline"))
    return fail(why, n, "%s sets the deadline, so it must require 'deadline'", what);
  return true;
}

/* Whether some final state can be reached from <initial>. */
static bool reaches_final(const cJSON *wf, const char *initial)
{
  const char *seen[MAX_STATES + 1] = { initial };
  int nseen = 1;
  for(int k = 0; k < nseen; k++) {
    if(state_final(wf, seen[k]))
      return true;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(wf, "transitions");
    for(const cJSON *t = ts->child; t; t = t->next) {
      const char *to = sr_json_str(t, "to");
      bool known = false;
      for(int s = 0; s < nseen; s++)
        known = known || strcmp(seen[s], to) == 0;
      if(sr_flow_transition_from(t, seen[k]) && !known && nseen < MAX_STATES)
        seen[nseen++] = to;
    }
  }
  return false;
}

bool sr_flow_workflow_check(const cJSON *spec, char *why, size_t n)
{
  static const char *const keys[] = { "code", "name", "version", "initial", "opened_by", "states", "transitions", NULL };
  if(!only_keys(spec, keys, "the workflow", why, n))
    return false;
  if(!name_ok(sr_json_str(spec, "code"), 32))
    return fail(why, n, "'code' must match [a-z][a-z0-9_]* (at most 32)");
  const char *name = sr_json_str(spec, "name");
  if(!name || !*name)
    return fail(why, n, "'name' is required");
  if(!version_ok(sr_json_str(spec, "version")))
    return fail(why, n, "'version' must look like 1.2.3");
  const cJSON *states = cJSON_GetObjectItemCaseSensitive(spec, "states");
  if(!cJSON_IsObject(states) || !states->child || cJSON_GetArraySize(states) > MAX_STATES)
    return fail(why, n, "'states' must name 1 to %d states", MAX_STATES);
  for(const cJSON *s = states->child; s; s = s->next)
    if(!state_check(s, why, n))
      return false;
  const char *initial = sr_json_str(spec, "initial");
  if(!sr_flow_state(spec, initial) || state_final(spec, initial))
    return fail(why, n, "'initial' must name a declared state that is not final");
  if(!list_of(cJSON_GetObjectItemCaseSensitive(spec, "opened_by"), roles, "opened_by", why, n))
    return false;
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(spec, "transitions");
  if(!cJSON_IsArray(ts) || cJSON_GetArraySize(ts) == 0 || cJSON_GetArraySize(ts) > MAX_TRANSITIONS)
    return fail(why, n, "'transitions' must be a list of 1 to %d transitions", MAX_TRANSITIONS);
  int i = 0;
  for(const cJSON *t = ts->child; t; t = t->next, i++)
    if(!transition_check(spec, t, i, why, n))
      return false;
  if(!reaches_final(spec, initial))
    return fail(why, n, "no final state can be reached from '%s'", initial);
  return true;
}
