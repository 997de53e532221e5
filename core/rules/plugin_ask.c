/*
 * plugin_ask.c -- the questions the core asks a plugin (validate, next_due, check_inspection,
 * hazards, decide, render) and the checks of what it answers. An answer arrives as JSON from whichever
 * engine ran the plugin; it is hostile input like any other, so its shape, types and sizes are
 * checked here, the same for every engine, before the core acts on it. Each failure, whatever
 * its outcome, is turned into the problem and the log line in one place (plugin_failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "json.h"
#include "metrics.h"
#include "plugin_int.h"
#include "util.h"

/* Values an answer may hold once turned into JSON. */
#define ERRORS_ITEMS 1000 /* a list of up to SR_PLUGIN_MAX_ERRORS {field, message} */
#define DUE_ITEMS 500
#define ANSWER_ITEMS 1000 /* hazards(), decide() */
/* Hazards one result may show. */
#define MAX_HAZARDS 50

/* What a value is called in the plugins' own words (a JSON object or array was a table). */
static const char *kind_of(const cJSON *v)
{
  if(!v || cJSON_IsNull(v))
    return "nil";
  if(cJSON_IsString(v))
    return "string";
  if(cJSON_IsNumber(v))
    return "number";
  if(cJSON_IsBool(v))
    return "boolean";
  return "table";
}

/* A failed question's log line and count, the same for every question. */
static void note_failure(const char *file, const char *version, enum sr_plugin_fn fn, const char *why)
{
  sr_warn("plugin %s@%s %s() failed: %s", file, version, sr_engine_fn_name(fn), why);
  sr_metrics_plugin_failure();
}

/* The one mapping of a failed question to its log line, its count and its problem. */
static int plugin_failed(const char *file, const char *version, enum sr_plugin_fn fn, const char *why,
                         struct sr_problem *pb)
{
  note_failure(file, version, fn, why);
  return sr_problem_set(pb, SR_PLUGIN, "plugin %s@%s failed in %s(): %s", file, version, sr_engine_fn_name(fn),
                        why);
}

/* Asks <fn> of <unit> and, if it answered, checks the answer with <ok>; *answer is the checked
 * answer (or NULL for nothing) on SR_OUTCOME_OK, and NULL otherwise, with the reason in <why>. */
static enum sr_outcome ask(struct sr_plugins *p, int unit, enum sr_plugin_fn fn, const cJSON *const *args,
                           int nargs, int max_items, bool (*ok)(cJSON *a, const void *ctx, char *why, size_t n),
                           const void *ctx, cJSON **answer, char *why, size_t n)
{
  sr_metrics_plugin_call(fn);
  enum sr_outcome o = sr_plugins_call(p, unit, fn, args, nargs, max_items, answer, why, n);
  if(o == SR_OUTCOME_OK && ok && !ok(*answer, ctx, why, n))
    o = SR_OUTCOME_MALFORMED;
  if(o != SR_OUTCOME_OK) {
    cJSON_Delete(*answer);
    *answer = NULL;
  }
  return o;
}

/* ==== validate and check_inspection: a list of {field=, message=} ==== */

static bool error_text_ok(const char *v)
{
  size_t len = v ? strlen(v) : 0;
  return len > 0 && len <= 500 && sr_utf8_valid(v, len);
}

/* nil, or a list of at most SR_PLUGIN_MAX_ERRORS {field, message}, each 1..500 bytes. A table
 * with no list part is an empty list (as it always was). */
static bool errors_ok(cJSON *a, const void *ctx, char *why, size_t n)
{
  const char *fn = ctx;
  if(!a || cJSON_IsObject(a))
    return true;
  if(!cJSON_IsArray(a))
    return snprintf(why, n, "%s must return nil or a list of {field=, message=}, not a %s", fn, kind_of(a)), false;
  if(cJSON_GetArraySize(a) > SR_PLUGIN_MAX_ERRORS)
    return snprintf(why, n, "%s returned more than %d errors", fn, SR_PLUGIN_MAX_ERRORS), false;
  int i = 1;
  for(const cJSON *e = a->child; e; e = e->next, i++) {
    if(!cJSON_IsObject(e) && !cJSON_IsArray(e))
      return snprintf(why, n, "%s error #%d is not a table", fn, i), false;
    if(!sr_json_str(e, "field"))
      return snprintf(why, n, "%s error #%d: 'field' must be a string", fn, i), false;
    if(!error_text_ok(sr_json_str(e, "field")))
      return snprintf(why, n, "%s error #%d: 'field' must be 1..500 bytes of UTF-8", fn, i), false;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    bool ok = cJSON_IsString(m) ? error_text_ok(m->valuestring)
              : cJSON_IsObject(m) && error_text_ok(sr_json_str(m, "zh")) && error_text_ok(sr_json_str(m, "en"));
    if(!ok)
      return snprintf(why, n, "%s error #%d: 'message' must be 1..500 bytes of UTF-8, or {zh=, en=} of them", fn, i),
             false;
  }
  return true;
}

/* An error's message in the thread's language: a plugin gives one text or both. */
static const char *error_message(const cJSON *e)
{
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
  return cJSON_IsString(m) ? m->valuestring : sr_i18n_pick(sr_json_str(m, "zh"), sr_json_str(m, "en"));
}

/* Asks <fn> (validate or check_inspection) and turns its list into field errors of <pb>. */
static int errors_call(struct sr_plugins *p, const struct sr_eqtype *t, enum sr_plugin_fn fn,
                       const cJSON *const *args, int nargs, struct sr_problem *pb)
{
  char why[512], what[40];
  snprintf(what, sizeof what, "%s()", sr_engine_fn_name(fn));
  cJSON *errors = NULL;
  if(ask(p, t->unit, fn, args, nargs, ERRORS_ITEMS, errors_ok, what, &errors, why, sizeof why) != SR_OUTCOME_OK)
    return plugin_failed(t->file, t->version, fn, why, pb);
  for(const cJSON *e = cJSON_IsArray(errors) ? errors->child : NULL; e; e = e->next)
    sr_problem_field(pb, sr_json_str(e, "field"), "%s", error_message(e));
  cJSON_Delete(errors);
  return pb->err;
}

int sr_plugins_validate(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq,
                        struct sr_problem *pb)
{
  int before = sr_problem_nfields(pb);
  sr_attrs_check(t->attrs, t->nattrs, cJSON_GetObjectItemCaseSensitive(eq, "attributes"),
                 "attributes", pb);
  /* Cross-field rules only make sense on attributes of the declared shape. */
  if(sr_problem_nfields(pb) > before || !(t->functions & SR_FN_BIT(SR_FN_VALIDATE)))
    return pb->err;
  const cJSON *args[] = { eq };
  return errors_call(p, t, SR_FN_VALIDATE, args, 1, pb);
}

int sr_plugins_check_inspection(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq,
                                const cJSON *inspection, struct sr_problem *pb)
{
  if(!(t->functions & SR_FN_BIT(SR_FN_CHECK_INSPECTION)))
    return pb->err;
  const cJSON *args[] = { eq, inspection };
  return errors_call(p, t, SR_FN_CHECK_INSPECTION, args, 2, pb);
}

/* ==== next_due: nil or {date, kind, reason, basis} ==== */

static bool due_ok(cJSON *a, const void *ctx, char *why, size_t n)
{
  const struct sr_eqtype *t = ctx;
  if(!a)
    return true;
  if(!cJSON_IsObject(a) && !cJSON_IsArray(a))
    return snprintf(why, n, "next_due() must return nil or {date=, kind=, reason=, basis=}, not a %s",
                    kind_of(a)), false;
  if(cJSON_IsArray(a)) /* a list part: keys that are not strings */
    return snprintf(why, n, "next_due() answered an unknown key '(not a string)'"), false;
  static const char *const keys[] = { "date", "kind", "reason", "basis", NULL };
  for(const cJSON *c = a->child; c; c = c->next) {
    const char *const *k = keys;
    while(*k && strcmp(*k, c->string) != 0)
      k++;
    if(!*k)
      return snprintf(why, n, "next_due() answered an unknown key '%s'", c->string), false;
  }
  const cJSON *date = cJSON_GetObjectItemCaseSensitive(a, "date");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(a, "kind");
  const cJSON *reason = cJSON_GetObjectItemCaseSensitive(a, "reason");
  const cJSON *basis = cJSON_GetObjectItemCaseSensitive(a, "basis");
  struct sr_date d;
  if(date && (!cJSON_IsString(date) || !sr_date_parse(date->valuestring, &d)))
    snprintf(why, n, "next_due() 'date' must be a date YYYY-MM-DD (or absent: nothing due now)");
  else if(!cJSON_IsString(kind) || !sr_eqtype_kind(t, kind->valuestring))
    snprintf(why, n, "next_due() 'kind' must be one of the type's inspection kinds");
  else if(!cJSON_IsString(reason) || !reason->valuestring[0])
    snprintf(why, n, "next_due() 'reason' must be a non-empty string");
  else if(basis && !cJSON_IsObject(basis))
    snprintf(why, n, "next_due() 'basis' must be a table of named values");
  else
    return true;
  return false;
}

int sr_plugins_next_due(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *history,
                        struct sr_date today, cJSON **out, struct sr_problem *pb)
{
  *out = NULL;
  if(!(t->functions & SR_FN_BIT(SR_FN_NEXT_DUE)))
    return SR_OK;
  char day[11], why[512];
  sr_date_format(today, day);
  cJSON *dayj = cJSON_CreateString(day);
  const cJSON *args[] = { eq, history, dayj };
  enum sr_outcome o = dayj ? ask(p, t->unit, SR_FN_NEXT_DUE, args, 3, DUE_ITEMS, due_ok, t, out, why,
                                 sizeof why)
                           : (snprintf(why, sizeof why, "out of memory"), SR_OUTCOME_HOST);
  cJSON_Delete(dayj);
  if(o != SR_OUTCOME_OK)
    return plugin_failed(t->file, t->version, SR_FN_NEXT_DUE, why, pb);
  return SR_OK;
}

/* ==== hazards: a list of {source, condition, grade, level, reason} ==== */

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
  const char *source = sr_json_str(h, "source"), *reason = sr_json_str(h, "reason"), *level = sr_json_str(h, "level");
  if(!source || (strcmp(source, "failed_in_use") != 0 && strcmp(source, "defect") != 0))
    return snprintf(why, n, "hazard #%d: 'source' must be failed_in_use or defect", i), false;
  if(!sr_flow_condition_ok(sr_json_str(h, "condition")))
    return snprintf(why, n, "hazard #%d: 'condition' must be 1..64 bytes of printable text without ':'", i), false;
  if(!sr_flow_grade_ok(sr_json_str(h, "grade")))
    return snprintf(why, n, "hazard #%d: 'grade' must be general or major", i), false;
  if(cJSON_GetObjectItemCaseSensitive(h, "level") && !sr_flow_level_ok(level))
    return snprintf(why, n, "hazard #%d: 'level' must be district or city", i), false;
  if(!reason || !*reason)
    return snprintf(why, n, "hazard #%d: 'reason' must be a non-empty string", i), false;
  if(!level && !cJSON_AddStringToObject(h, "level", "district"))
    return snprintf(why, n, "out of memory"), false;
  return true;
}

static bool hazards_ok(cJSON *a, const void *ctx, char *why, size_t n)
{
  (void)ctx;
  /* nil is nothing found, and {} is how an empty list arrives */
  if(!a || (cJSON_IsObject(a) && !a->child))
    return true;
  if(!cJSON_IsArray(a) || cJSON_GetArraySize(a) > MAX_HAZARDS)
    return snprintf(why, n, "hazards() must return nil or a list of at most %d {source, condition, grade, level, "
                            "reason}", MAX_HAZARDS), false;
  int i = 1;
  for(cJSON *h = a->child; h; h = h->next, i++)
    if(!hazard_ok(h, i, why, n))
      return false;
  return true;
}

int sr_plugins_hazards(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *inspection,
                       struct sr_date today, cJSON **out, struct sr_problem *pb)
{
  *out = NULL;
  char day[11], why[512];
  enum sr_outcome o = SR_OUTCOME_OK;
  if(t->functions & SR_FN_BIT(SR_FN_HAZARDS)) {
    sr_date_format(today, day);
    cJSON *dayj = cJSON_CreateString(day);
    const cJSON *args[] = { eq, inspection, dayj };
    o = dayj ? ask(p, t->unit, SR_FN_HAZARDS, args, 3, ANSWER_ITEMS, hazards_ok, NULL, out, why, sizeof why)
             : (snprintf(why, sizeof why, "out of memory"), SR_OUTCOME_HOST);
    cJSON_Delete(dayj);
  }
  if(o == SR_OUTCOME_OK && (!*out || !cJSON_IsArray(*out))) {
    cJSON_Delete(*out);
    if(!(*out = cJSON_CreateArray()))
      o = (snprintf(why, sizeof why, "out of memory"), SR_OUTCOME_HOST);
  }
  if(o != SR_OUTCOME_OK)
    return plugin_failed(t->file, t->version, SR_FN_HAZARDS, why, pb);
  return SR_OK;
}

/* ==== decide: nil, {hold = reason} or {grade, level, reason} ==== */

static bool decision_ok(cJSON *a, const void *ctx, char *why, size_t n)
{
  (void)ctx;
  if(!a)
    return true;
  const cJSON *hold = cJSON_GetObjectItemCaseSensitive(a, "hold");
  const char *g = sr_json_str(a, "grade"), *l = sr_json_str(a, "level"), *reason = sr_json_str(a, "reason");
  int keys = cJSON_GetArraySize(a);
  if(!cJSON_IsObject(a))
    snprintf(why, n, "decide() must return nil, {hold = reason} or {grade, level, reason}");
  else if(hold && (!cJSON_IsString(hold) || !hold->valuestring[0] || keys != 1))
    snprintf(why, n, "decide(): 'hold' must be a non-empty reason, alone");
  else if(!hold && ((cJSON_GetObjectItem(a, "grade") && !sr_flow_grade_ok(g)) ||
                    (cJSON_GetObjectItem(a, "level") && !sr_flow_level_ok(l))))
    snprintf(why, n, "decide(): 'grade' must be general or major, 'level' district or city");
  else if(!hold && (!reason || !*reason || keys != (g != NULL) + (l != NULL) + 1))
    snprintf(why, n, "decide() answers {grade, level, reason}: a reason and nothing else");
  else
    return true;
  return false;
}

enum sr_outcome sr_plugins_decide(struct sr_plugins *p, const cJSON *hazard, const cJSON *rung,
                                  struct sr_date today, cJSON **out, char *why, size_t whysz)
{
  *out = NULL;
  const struct sr_ladder *l = sr_plugins_ladder(p);
  if(!l || !(l->functions & SR_FN_BIT(SR_FN_DECIDE)))
    return SR_OUTCOME_OK;
  char day[11];
  sr_date_format(today, day);
  cJSON *dayj = cJSON_CreateString(day);
  if(!dayj) {
    snprintf(why, whysz, "out of memory");
    return SR_OUTCOME_HOST;
  }
  const cJSON *args[] = { hazard, rung, dayj };
  enum sr_outcome o = ask(p, l->unit, SR_FN_DECIDE, args, 3, ANSWER_ITEMS, decision_ok, NULL, out, why, whysz);
  cJSON_Delete(dayj);
  if(o != SR_OUTCOME_OK)
    sr_metrics_plugin_failure();
  return o;
}

/* ==== render: a notice's body, a string or a table's JSON ==== */

/* Values a table answer may hold: each costs at least two bytes of JSON ("0," or "[]"), so a
 * table of more could not be sent. */
#define RENDER_ITEMS (SR_NOTICE_MAX_BODY / 2)

/* The body <a> stands for, as it is to be sent: a string's bytes, a table's JSON. MALFORMED,
 * with the reason, when it is no body: nil or another type, empty, too large, not UTF-8. */
static enum sr_outcome body_of(const cJSON *a, char **body, size_t *len, char *why, size_t n)
{
  char *b = NULL;
  if(cJSON_IsString(a))
    b = strdup(a->valuestring);
  else if(cJSON_IsObject(a) || cJSON_IsArray(a))
    b = cJSON_PrintUnformatted(a);
  else
    return snprintf(why, n, "render() must return a string or a table, not a %s", kind_of(a)), SR_OUTCOME_MALFORMED;
  if(!b)
    return snprintf(why, n, "out of memory"), SR_OUTCOME_HOST;
  size_t k = strlen(b);
  if(k == 0)
    snprintf(why, n, "render() answered an empty body");
  else if(k > SR_NOTICE_MAX_BODY)
    snprintf(why, n, "render() answered a body of %zu bytes, more than %d", k, SR_NOTICE_MAX_BODY);
  else if(!sr_utf8_valid(b, k))
    snprintf(why, n, "render() answered a body that is not valid UTF-8");
  else {
    *body = b;
    *len = k;
    return SR_OUTCOME_OK;
  }
  free(b);
  return SR_OUTCOME_MALFORMED;
}

enum sr_outcome sr_plugins_render(struct sr_plugins *p, const struct sr_notice_format *f, const cJSON *event,
                                  char **body, size_t *len, char *why, size_t whysz)
{
  *body = NULL;
  *len = 0;
  if(!f) {
    snprintf(why, whysz, "no such notice format");
    return SR_OUTCOME_ABSENT;
  }
  char reason[512];
  cJSON *a = NULL;
  const cJSON *args[] = { event };
  enum sr_outcome o = ask(p, f->unit, SR_FN_RENDER, args, 1, RENDER_ITEMS, NULL, NULL, &a, reason, sizeof reason);
  if(o == SR_OUTCOME_OK)
    o = body_of(a, body, len, reason, sizeof reason);
  cJSON_Delete(a);
  if(o != SR_OUTCOME_OK) {
    note_failure(f->file, f->version, SR_FN_RENDER, reason);
    snprintf(why, whysz, "plugin %s@%s failed in render(): %s", f->file, f->version, reason);
  }
  return o;
}
