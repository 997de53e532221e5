/*
 * test_engine.c -- the plugin contract (core/rules/engine.h) without Lua: a canned engine,
 * registered by this test, whose plugin files (*.canned) are JSON saying what they declare and
 * what each function answers. A set holds its files beside Lua ones, and its answers meet the
 * same checks, words and outcomes as a Lua plugin's, because those live in rules/ and not in an
 * engine.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "plugin.h"
#include "sr_limits.h"
#include "util.h"

/* ==== the canned engine ==== */

struct sr_engine_state {
  cJSON *units[SR_MAX_PLUGINS];
};

static int canned_interrupts;

static struct sr_engine_state *canned_open(int ms, char *why, size_t whysz)
{
  (void)ms; /* canned answers take no time */
  struct sr_engine_state *s = calloc(1, sizeof *s);
  if(!s)
    snprintf(why, whysz, "out of memory");
  return s;
}

static void canned_close(struct sr_engine_state *s)
{
  for(int i = 0; s && i < SR_MAX_PLUGINS; i++)
    cJSON_Delete(s->units[i]);
  free(s);
}

static char *text_dup(const char *s) { return strdup(s ? s : ""); }

static unsigned functions_of(const cJSON *j)
{
  unsigned f = 0;
  for(int fn = 0; fn < SR_FN_COUNT; fn++)
    if(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "answers"), sr_engine_fn_name(fn)) ||
       cJSON_GetObjectItem(cJSON_GetObjectItem(j, "outcomes"), sr_engine_fn_name(fn)))
      f |= SR_FN_BIT(fn);
  return f;
}

/* {"declares": "equipment_type", "code", "name", "version", "varieties": [..], "answers": {fn: ..},
 *  "outcomes": {fn: "budget" | "raised"}}, or {"declares": "escalation" | "notice_format",
 *  "spec": {..}, ...} */
static enum sr_outcome canned_load(struct sr_engine_state *s, int unit, const struct sr_plugin_source *src,
                                   struct sr_engine_decl *d, char *why, size_t whysz)
{
  cJSON *j = cJSON_ParseWithLength(src->src, src->len);
  const char *declares = cJSON_GetStringValue(cJSON_GetObjectItem(j, "declares"));
  if(!declares) {
    cJSON_Delete(j);
    snprintf(why, whysz, "%s: not a canned plugin", src->name);
    return SR_OUTCOME_RAISED;
  }
  s->units[unit] = j;
  if(strcmp(declares, "escalation") == 0 || strcmp(declares, "notice_format") == 0) {
    bool ladder = declares[0] == 'e';
    d->kind = ladder ? SR_DECL_LADDER : SR_DECL_FORMAT;
    d->spec = cJSON_Duplicate(cJSON_GetObjectItem(j, "spec"), 1);
    d->functions = functions_of(j) & SR_FN_BIT(ladder ? SR_FN_DECIDE : SR_FN_RENDER);
    return SR_OUTCOME_OK;
  }
  d->kind = SR_DECL_TYPE;
  struct sr_eqtype *t = &d->type;
  t->code = text_dup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "code")));
  t->name = text_dup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")));
  t->version = text_dup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "version")));
  t->file = text_dup(src->name);
  t->registration_class = text_dup("梯");
  t->attrs = calloc(1, sizeof *t->attrs);
  t->nattrs = 1;
  t->attrs->name = text_dup("variety");
  t->attrs->kind = SR_ATTR_STRING;
  t->attrs->required = true;
  const cJSON *v = cJSON_GetObjectItem(j, "varieties");
  t->attrs->enumv = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *t->attrs->enumv);
  for(const cJSON *c = v ? v->child : NULL; c; c = c->next)
    t->attrs->enumv[t->attrs->nenum++] = text_dup(c->valuestring);
  t->kinds = calloc(1, sizeof *t->kinds);
  t->nkinds = 1;
  t->kinds->kind = text_dup("periodic");
  t->kinds->conclusions = calloc(1, sizeof *t->kinds->conclusions);
  t->kinds->nconclusions = 1;
  t->kinds->conclusions->code = text_dup("pass");
  t->kinds->conclusions->text = text_dup("合格");
  t->kinds->conclusions->passed = true;
  t->functions = functions_of(j);
  if(!sr_eqtype_varieties_ok(t, src->name, why, whysz))
    return SR_OUTCOME_MALFORMED;
  return SR_OUTCOME_OK;
}

static enum sr_outcome canned_call(struct sr_engine_state *s, int unit, enum sr_plugin_fn fn,
                                   const cJSON *const *args, int nargs, int max_items, cJSON **answer, char *why,
                                   size_t whysz)
{
  (void)args;
  (void)nargs;
  (void)max_items;
  *answer = NULL;
  const char *name = sr_engine_fn_name(fn);
  const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(s->units[unit], "outcomes"), name));
  if(outcome && strcmp(outcome, "budget") == 0) {
    struct sr_outcome_limits l = { 5, 10, 100 };
    sr_outcome_describe(SR_OUTCOME_BUDGET, &l, why, whysz);
    return SR_OUTCOME_BUDGET;
  }
  if(outcome) {
    snprintf(why, whysz, "canned %s() says no", name);
    return SR_OUTCOME_RAISED;
  }
  const cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(s->units[unit], "answers"), name);
  if(!cJSON_IsNull(a))
    *answer = cJSON_Duplicate(a, 1);
  return SR_OUTCOME_OK;
}

static size_t canned_memory(const struct sr_engine_state *s, size_t *cap)
{
  (void)s;
  *cap = 5000;
  return 1000;
}

static void canned_interrupt(void) { canned_interrupts++; }

static const struct sr_engine canned = {
  .name = "canned", .suffix = ".canned", .open = canned_open, .load = canned_load, .call = canned_call,
  .memory = canned_memory, .close = canned_close, .interrupt = canned_interrupt,
};

/* ==== a plugin folder ==== */

static char dir[256];

static void clear_dir(void)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];
  while(d && (e = readdir(d)))
    if(e->d_name[0] != '.') {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  if(d)
    closedir(d);
}

static void put(const char *name, const char *text)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static struct sr_plugins *open_dir(char *err, size_t n)
{
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(dir, &b, err, n))
    return NULL;
  struct sr_plugins *p = sr_plugins_open(b, err, n);
  sr_plugin_bundle_release(b);
  return p;
}

/* A Lua type and a canned one whose next_due() answers the same malformed date. */
static const char lua_type[] =
    "return sereg.equipment_type { code = 'l', name = 'L', version = '1.0.0', registration_class = '梯',\n"
    "  attributes = { variety = { type = 'string', required = true, enum = { '3110' } } },\n"
    "  inspections = { periodic = { conclusions = { { code = 'pass', text = '合格', passed = true } } } },\n"
    "  next_due = function() return { date = 'soon', kind = 'periodic', reason = 'r' } end }\n";
static const char canned_type[] =
    "{\"declares\": \"equipment_type\", \"code\": \"c\", \"name\": \"C\", \"version\": \"2.0.0\",\n"
    " \"varieties\": [\"3120\"],\n"
    " \"answers\": {\"validate\": [{\"field\": \"attributes.variety\", \"message\": \"not this one\"}],\n"
    "             \"next_due\": {\"date\": \"soon\", \"kind\": \"periodic\", \"reason\": \"r\"},\n"
    "             \"hazards\": [{\"source\": \"defect\", \"condition\": \"rust\", \"grade\": \"major\",\n"
    "                          \"reason\": \"r\"}]},\n"
    " \"outcomes\": {\"check_inspection\": \"budget\"}}\n";
static const char canned_ladder[] =
    "{\"declares\": \"escalation\", \"spec\": {\"version\": \"1.0.0\", \"rungs\": [{\"id\": \"r\", \"reason\": \"x\",\n"
    " \"after_days\": 1, \"notify\": [\"city\"]}]}, \"answers\": {\"decide\": {\"hold\": \"x\", \"grade\": \"major\"}}}\n";

static void one_set_holds_both_engines(void)
{
  clear_dir();
  put("a.lua", lua_type);
  put("b.canned", canned_type);
  put("c.canned", canned_ladder);
  char err[1024] = "";
  struct sr_plugins *p = open_dir(err, sizeof err);
  CHECK(p != NULL);
  if(!p) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK_INT(sr_plugins_ntypes(p), 2);
  CHECK_STR(sr_plugins_type_for_variety(p, "3120")->code, "c");
  CHECK_STR(sr_plugins_type_for_variety(p, "3110")->code, "l");
  CHECK(sr_plugins_ladder(p) && (sr_plugins_ladder(p)->functions & SR_FN_BIT(SR_FN_DECIDE)));
  size_t cap, lua_cap = SR_PLUGIN_MEMORY;
  size_t used = sr_plugins_memory(p, &cap);
  CHECK_INT(cap, lua_cap + 5000);
  CHECK(used > 1000);

  /* The same malformed answer, from either engine, in the same words. */
  cJSON *eq = cJSON_Parse("{\"attributes\": {\"variety\": \"3120\"}}"), *hist = cJSON_CreateArray(), *out = NULL;
  struct sr_date today = { 2026, 6, 15 };
  struct sr_problem pb;
  sr_problem_init(&pb);
  CHECK_INT(sr_plugins_next_due(p, sr_plugins_type(p, "l"), eq, hist, today, &out, &pb), SR_PLUGIN);
  CHECK_STR(pb.detail, "plugin a.lua@1.0.0 failed in next_due(): next_due() 'date' must be a date YYYY-MM-DD "
                       "(or absent: nothing due now)");
  sr_problem_free(&pb);
  sr_problem_init(&pb);
  CHECK_INT(sr_plugins_next_due(p, sr_plugins_type(p, "c"), eq, hist, today, &out, &pb), SR_PLUGIN);
  CHECK_STR(pb.detail, "plugin b.canned@2.0.0 failed in next_due(): next_due() 'date' must be a date YYYY-MM-DD "
                       "(or absent: nothing due now)");
  CHECK(out == NULL);
  sr_problem_free(&pb);

  /* validate's list becomes field errors; an outcome becomes the problem with its words. */
  sr_problem_init(&pb);
  CHECK_INT(sr_plugins_validate(p, sr_plugins_type(p, "c"), eq, &pb), SR_INVALID);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(pb.errors, 0), "message")), "not this one");
  sr_problem_free(&pb);
  sr_problem_init(&pb);
  CHECK_INT(sr_plugins_check_inspection(p, sr_plugins_type(p, "c"), eq, eq, &pb), SR_PLUGIN);
  CHECK_STR(pb.detail, "plugin b.canned@2.0.0 failed in check_inspection(): instruction budget of 5 exceeded");
  sr_problem_free(&pb);

  /* hazards() is checked and completed in rules/: the level it left out is the district's. */
  sr_problem_init(&pb);
  CHECK_INT(sr_plugins_hazards(p, sr_plugins_type(p, "c"), eq, eq, today, &out, &pb), SR_OK);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "level")), "district");
  cJSON_Delete(out);
  sr_problem_free(&pb);
  /* A type without hazards() finds none. */
  sr_problem_init(&pb);
  CHECK_INT(sr_plugins_hazards(p, sr_plugins_type(p, "l"), eq, eq, today, &out, &pb), SR_OK);
  CHECK(cJSON_IsArray(out) && cJSON_GetArraySize(out) == 0);
  cJSON_Delete(out);
  sr_problem_free(&pb);

  char why[300] = "";
  CHECK_INT(sr_plugins_decide(p, eq, eq, today, &out, why, sizeof why), SR_OUTCOME_MALFORMED);
  CHECK_STR(why, "decide(): 'hold' must be a non-empty reason, alone");
  CHECK(out == NULL);
  cJSON_Delete(eq);
  cJSON_Delete(hist);
  sr_plugins_close(p);
}

static void what_the_files_declare_together_is_checked_once(void)
{
  clear_dir();
  put("a.canned", canned_ladder);
  put("b.canned", canned_ladder);
  char err[1024] = "";
  CHECK(open_dir(err, sizeof err) == NULL);
  CHECK_STR(err, "b.canned: only one escalation ladder may be loaded, and a.canned already declares one");
  clear_dir();
  put("a.canned", canned_type);
  put("b.canned", canned_type);
  CHECK(open_dir(err, sizeof err) == NULL);
  CHECK_STR(err, "a.canned and b.canned both claim type 'c' (code and name must be unique)");
  clear_dir();
  put("a.canned", "{}");
  CHECK(open_dir(err, sizeof err) == NULL);
  CHECK_STR(err, "a.canned: not a canned plugin");
  clear_dir();
  put("notes.txt", "not a plugin");
  CHECK(open_dir(err, sizeof err) == NULL);
  CHECK(strstr(err, "no *.lua or *.canned plugins in") != NULL);
}

/* A canned format whose render() answers <answer> (JSON text), or runs into its budget. */
static enum sr_outcome canned_render(const char *answer, char *why, size_t n)
{
  clear_dir();
  struct sr_buf b;
  sr_buf_init(&b, 1 << 20);
  sr_buf_printf(&b, "{\"declares\": \"notice_format\", \"spec\": {\"name\": \"c\", \"title\": \"C\", "
                    "\"version\": \"1.0.0\"}, %s%s}", answer ? "\"answers\": {\"render\": " : "\"outcomes\": "
                    "{\"render\": \"budget\"", answer ? answer : "");
  sr_buf_printf(&b, "}");
  put("c.canned", b.data);
  sr_buf_free(&b);
  char err[1024] = "";
  struct sr_plugins *p = open_dir(err, sizeof err);
  if(!p) {
    snprintf(why, n, "%s", err);
    return SR_OUTCOME_HOST;
  }
  cJSON *ev = cJSON_Parse("{\"id\": \"msg_1\", \"type\": \"hazard.opened\", \"data\": {}}");
  char *body = NULL;
  size_t len = 0;
  enum sr_outcome o = sr_plugins_render(p, sr_plugins_format(p, "c"), ev, &body, &len, why, n);
  if(o == SR_OUTCOME_OK)
    snprintf(why, n, "%s", body);
  free(body);
  cJSON_Delete(ev);
  sr_plugins_close(p);
  return o;
}

/* What a render answers is checked in rules/, whatever engine ran it: a canned engine's bytes,
 * which no Lua conversion has looked at, meet the same refusals in the same words. */
static void canned_bodies_meet_the_same_checks(void)
{
  char why[600] = "", big[SR_NOTICE_MAX_BODY + 8];
  CHECK_INT(canned_render("\"隐患\"", why, sizeof why), SR_OUTCOME_OK);
  CHECK_STR(why, "隐患");
  CHECK_INT(canned_render("{\"msgtype\": \"markdown\"}", why, sizeof why), SR_OUTCOME_OK);
  CHECK_STR(why, "{\"msgtype\":\"markdown\"}");
  CHECK_INT(canned_render("\"abc\xff\"", why, sizeof why), SR_OUTCOME_MALFORMED);
  CHECK_STR(why, "plugin c.canned@1.0.0 failed in render(): render() answered a body that is not valid UTF-8");
  CHECK_INT(canned_render("{\"t\": \"\xc3\"}", why, sizeof why), SR_OUTCOME_MALFORMED);
  CHECK(strstr(why, "not valid UTF-8") != NULL);
  big[0] = '"';
  memset(big + 1, 'a', SR_NOTICE_MAX_BODY + 1);
  snprintf(big + SR_NOTICE_MAX_BODY + 2, 2, "\"");
  CHECK_INT(canned_render(big, why, sizeof why), SR_OUTCOME_MALFORMED);
  CHECK(strstr(why, "render() answered a body of 20001 bytes, more than 20000") != NULL);
  CHECK_INT(canned_render("7", why, sizeof why), SR_OUTCOME_MALFORMED);
  CHECK(strstr(why, "not a number") != NULL);
  CHECK_INT(canned_render("null", why, sizeof why), SR_OUTCOME_MALFORMED);
  CHECK(strstr(why, "not a nil") != NULL);
  CHECK_INT(canned_render(NULL, why, sizeof why), SR_OUTCOME_BUDGET);
  CHECK_STR(why, "plugin c.canned@1.0.0 failed in render(): instruction budget of 5 exceeded");
  /* The manifest's checks are rules/' too: an engine that passes on any key or no render. */
  clear_dir();
  put("c.canned", "{\"declares\": \"notice_format\", \"spec\": {\"name\": \"c\", \"title\": \"C\", "
                  "\"version\": \"1.0.0\", \"colour\": \"red\"}, \"answers\": {\"render\": \"x\"}}");
  CHECK(open_dir(why, sizeof why) == NULL);
  CHECK_STR(why, "c.canned: unknown key 'colour' (a notice format has name, title, version, content_type, render)");
  put("c.canned", "{\"declares\": \"notice_format\", \"spec\": {\"name\": \"c\", \"title\": \"C\", "
                  "\"version\": \"1.0.0\"}}");
  CHECK(open_dir(why, sizeof why) == NULL);
  CHECK_STR(why, "c.canned: 'render' is required: a function render(event) that answers the body");
}

static void the_interrupt_reaches_every_engine(void)
{
  int before = canned_interrupts;
  sr_plugins_interrupt();
  CHECK_INT(canned_interrupts, before + 1);
  CHECK(sr_plugins_interrupted());
}

int main(void)
{
  snprintf(dir, sizeof dir, "/tmp/sereg-engine-test-XXXXXX");
  if(!mkdtemp(dir))
    return 1;
  CHECK(sr_engine_register(&canned));
  CHECK(!sr_engine_register(&canned)); /* one engine per suffix */
  CHECK(sr_engine_for("x.canned") == &canned);
  CHECK(sr_engine_for("x.lua") == &sr_lua_engine);
  CHECK(sr_engine_for(".lua") == NULL);
  RUN(one_set_holds_both_engines);
  RUN(what_the_files_declare_together_is_checked_once);
  RUN(canned_bodies_meet_the_same_checks);
  RUN(the_interrupt_reaches_every_engine);
  clear_dir();
  rmdir(dir);
  return CHECK_DONE();
}
