/*
 * test_notice_format.c -- the notice-format contract (plugin.h, notice_format.h): what a
 * sereg.notice_format manifest may declare, alone and beside other files, and what a render()
 * may answer. Every answer is checked in plugin_ask.c: a string or a table's JSON, non-empty,
 * valid UTF-8, at most SR_NOTICE_MAX_BODY bytes as sent; anything else fails that one render,
 * with its outcome and reason, and the next render runs. (Hostile formats that fit one file are
 * in tests/plugins/hostile/, run by test_plugin.)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "metrics.h"
#include "plugin.h"
#include "sr_limits.h"

/* ==== a temporary plugin folder ==== */

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

/* A format of one file: "return sereg.notice_format { <fields> }". */
static struct sr_plugins *open_format(const char *fields, char *err, size_t n)
{
  char src[4096];
  snprintf(src, sizeof src, "return sereg.notice_format { %s }\n", fields);
  clear_dir();
  put("f.lua", src);
  return open_dir(err, n);
}

#define GOOD "name = 'wecom', title = '企业微信群机器人', version = '1.0.0', render = function(e) return 'x' end"

/* ==== the manifest ==== */

static void a_format_loads_with_what_it_declares(void)
{
  clear_dir();
  put("a_type.lua", "return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', "
                    "attributes = { variety = { type = 'string', required = true, enum = {'3110'} } } }\n");
  put("b.lua", "return sereg.notice_format { " GOOD " }\n");
  put("c.lua", "return sereg.notice_format { name = 'plain_text', title = '纯文本', version = '2.1.0', "
               "content_type = 'text/plain; charset=utf-8', render = function(e) return e.type end }\n");
  char err[1024] = "";
  struct sr_plugins *p = open_dir(err, sizeof err);
  CHECK(p != NULL);
  if(!p) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK_INT(sr_plugins_ntypes(p), 1);
  CHECK_INT(sr_plugins_nformats(p), 2);
  const struct sr_notice_format *a = sr_plugins_format_at(p, 0), *b = sr_plugins_format_at(p, 1);
  CHECK_STR(a->name, "wecom");
  CHECK_STR(a->title, "企业微信群机器人");
  CHECK_STR(a->version, "1.0.0");
  CHECK_STR(a->file, "b.lua");
  CHECK_STR(a->content_type, "application/json; charset=utf-8");
  CHECK_STR(b->name, "plain_text");
  CHECK_STR(b->content_type, "text/plain; charset=utf-8");
  CHECK(sr_plugins_format(p, "plain_text") == b);
  CHECK(sr_plugins_format(p, "standard") == NULL);
  CHECK(sr_plugins_format(p, "dingtalk") == NULL);
  CHECK(sr_plugins_format(p, NULL) == NULL);
  CHECK(sr_plugins_format_at(p, 2) == NULL && sr_plugins_format_at(p, -1) == NULL);
  sr_plugins_close(p);
}

static void manifests_are_checked_at_load(void)
{
  static const struct {
    const char *fields, *needle;
  } bad[] = {
    { GOOD ", colour = 'red'", "f.lua: unknown key 'colour'" },
    { GOOD ", rendr = function() end", "unknown key 'rendr'" },
    { "name = 'WeCom', title = 't', version = '1.0.0', render = function() end", "'name' must match" },
    { "name = '1x', title = 't', version = '1.0.0', render = function() end", "'name' must match" },
    { "name = 'a2345678901234567890123456789012x', title = 't', version = '1.0.0', render = function() end",
      "'name' must match" },
    { "name = 'we-com', title = 't', version = '1.0.0', render = function() end", "'name' must match" },
    { "title = 't', version = '1.0.0', render = function() end", "'name' must match" },
    { "name = 'standard', title = 't', version = '1.0.0', render = function() end", "may not be \"standard\"" },
    { "name = 'x', title = 't', version = '1.0.0'", "'render' is required" },
    { "name = 'x', title = 't', version = '1.0.0', render = 'markdown'", "'render' must be a function" },
    { "name = 'x', version = '1.0.0', render = function() end", "'title' must be 1..100 bytes" },
    { "name = 'x', title = '', version = '1.0.0', render = function() end", "'title' must be" },
    { "name = 'x', title = ('长'):rep(34), version = '1.0.0', render = function() end", "'title' must be" },
    { "name = 'x', title = 'a\\nb', version = '1.0.0', render = function() end", "'title' must be" },
    { "name = 'x', title = 't', version = '1', render = function() end", "'version' must look like 1.2.3" },
    { "name = 'x', title = 't', render = function() end", "'version' must look like" },
    { GOOD ", content_type = 'json'", "'content_type' must be a media type" },
    { GOOD ", content_type = 'text/plain\\r\\nX-Injected: 1'", "'content_type' must be a media type" },
    { GOOD ", content_type = 'text/plain\\n'", "'content_type' must be" },
    { GOOD ", content_type = 'text/plain; charset'", "'content_type' must be" },
    { GOOD ", content_type = 'text /plain'", "'content_type' must be" },
    { GOOD ", content_type = 'text/'", "'content_type' must be" },
    { GOOD ", content_type = '/plain'", "'content_type' must be" },
    { GOOD ", content_type = 'text/plain; a=\"open'", "'content_type' must be" },
    { GOOD ", content_type = 'text/plain; a=\"\\r\"'", "'content_type' must be" },
    { GOOD ", content_type = 'text/plain; a=b c'", "'content_type' must be" },
    { GOOD ", content_type = 'text/纯文本'", "'content_type' must be" },
    { GOOD ", content_type = 'text/plain; x=' .. ('a'):rep(200)", "'content_type' must be" },
    { GOOD ", content_type = 12", "'content_type' must be" },
  };
  for(size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char err[1024] = "";
    struct sr_plugins *p = open_format(bad[i].fields, err, sizeof err);
    if(p || !strstr(err, bad[i].needle))
      fprintf(stderr, "  { %s }: %s, expected a refusal naming \"%s\"\n", bad[i].fields, p ? "loaded" : err,
              bad[i].needle);
    CHECK(p == NULL && strstr(err, bad[i].needle));
    sr_plugins_close(p);
  }
  /* Media types as they are written: parameters, quoted values, structured suffixes. */
  static const char *const good[] = {
    "text/plain", "application/json;charset=utf-8", "text/markdown; charset=utf-8; variant=\"GFM x\"",
    "application/vnd.sereg+json", "text/plain;",
  };
  for(size_t i = 0; i < sizeof good / sizeof *good; i++) {
    char fields[512], err[1024] = "";
    snprintf(fields, sizeof fields, GOOD ", content_type = '%s'", good[i]);
    struct sr_plugins *p = open_format(fields, err, sizeof err);
    if(!p)
      fprintf(stderr, "  content type %s refused: %s\n", good[i], err);
    CHECK(p && strcmp(sr_plugins_format_at(p, 0)->content_type, good[i]) == 0);
    sr_plugins_close(p);
  }
  CHECK(sr_notice_format_media_type_ok("application/json; charset=utf-8"));
  CHECK(!sr_notice_format_media_type_ok("application/json\r\n"));
  CHECK(sr_notice_format_media_type_ok("text/plain; a=\"q\\\"uote\""));
  CHECK(!sr_notice_format_media_type_ok("text/plain; a=\"q\\\n\""));
  CHECK(!sr_notice_format_media_type_ok(""));
  CHECK(!sr_notice_format_media_type_ok(NULL));
}

static void names_are_unique_and_formats_few(void)
{
  clear_dir();
  put("a.lua", "return sereg.notice_format { " GOOD " }\n");
  put("b.lua", "return sereg.notice_format { " GOOD " }\n");
  char err[1024] = "";
  CHECK(open_dir(err, sizeof err) == NULL);
  CHECK_STR(err, "a.lua and b.lua both declare notice format 'wecom'");

  clear_dir();
  for(int i = 0; i < SR_NOTICE_MAX_FORMATS; i++) {
    char name[32], src[256];
    snprintf(name, sizeof name, "f%02d.lua", i);
    snprintf(src, sizeof src, "return sereg.notice_format { name = 'f%02d', title = 't', version = '1.0.0', "
                              "render = function() return 'x' end }\n", i);
    put(name, src);
  }
  struct sr_plugins *p = open_dir(err, sizeof err);
  CHECK(p && sr_plugins_nformats(p) == SR_NOTICE_MAX_FORMATS);
  sr_plugins_close(p);
  put("f99.lua", "return sereg.notice_format { name = 'f99', title = 't', version = '1.0.0', "
                 "render = function() return 'x' end }\n");
  CHECK(open_dir(err, sizeof err) == NULL);
  CHECK_STR(err, "f99.lua: more than 16 notice formats in one plugin set");
}

/* ==== render ==== */

/* A format whose render() answers what the event's type asks for. */
static const char asking_format[] =
    "local big, mid = ('字'):rep(6666), ('字'):rep(2000)\n" /* 19998 and 6000 bytes */
    "return sereg.notice_format { name = 'ask', title = '问', version = '1.2.3', render = function(e)\n"
    "  local a = e.type\n"
    "  if a == 'string' then return '隐患 ' .. e.data.subject.equipment.registration_number end\n"
    "  if a == 'table' then return { msgtype = 'markdown', markdown = { content = e.id }, n = { 1, 2 } } end\n"
    "  if a == 'list' then return { 'a', 1, true } end\n"
    "  if a == 'at_limit' then return big .. 'ab' end\n"
    "  if a == 'past_limit' then return big .. 'abc' end\n"
    "  if a == 'long_member' then return { text = mid } end\n"
    "  if a == 'table_past_limit' then return { a = big, b = big } end\n"
    "  if a == 'not_utf8' then return 'abc\\xff' end\n"
    "  if a == 'cut_character' then return ('字'):sub(1, 2) end\n"
    "  if a == 'nul' then return 'a\\0b' end\n"
    "  if a == 'empty' then return '' end\n"
    "  if a == 'nil' then return nil end\n"
    "  if a == 'number' then return 42 end\n"
    "  if a == 'boolean' then return true end\n"
    "  if a == 'function' then return function() end end\n"
    "  if a == 'function_in_table' then return { f = function() end } end\n"
    "  if a == 'mixed_table' then return { 1, x = 2 } end\n"
    "  if a == 'table_not_utf8' then return { text = 'abc\\xff' } end\n"
    "  if a == 'raise' then error('no template for this event') end\n"
    "  if a == 'loop' then while true do end end\n"
    "  if a == 'memory' then local t = {} for i = 1, 1e9 do t[i] = { i } end end\n"
    "  if a == 'string_bomb' then local s = 'x' while true do s = s .. s end end\n"
    "  error('no such case: ' .. tostring(a))\n"
    "end }\n";

static enum sr_outcome render(struct sr_plugins *p, const char *ask, char **body, size_t *len, char *why, size_t n)
{
  char text[512];
  snprintf(text, sizeof text,
           "{\"id\": \"msg_1\", \"type\": \"%s\", \"timestamp\": \"2026-06-15T08:00:00Z\", \"data\": {\"subject\": "
           "{\"type\": \"hazard\", \"id\": \"12\", \"equipment\": {\"registration_number\": \"梯11川A00001(26)\"}}}}",
           ask);
  cJSON *ev = cJSON_Parse(text);
  enum sr_outcome o = sr_plugins_render(p, sr_plugins_format(p, "ask"), ev, body, len, why, n);
  cJSON_Delete(ev);
  return o;
}

/* The count of <fn>'s calls, or of all failures (fn NULL), in the /metrics text. */
static long metric(const char *fn)
{
  struct sr_buf b;
  sr_buf_init(&b, 1 << 20);
  sr_metrics_render(&b, false);
  char key[96];
  if(fn)
    snprintf(key, sizeof key, "\nsereg_plugin_calls_total{function=\"%s\"} ", fn);
  else
    snprintf(key, sizeof key, "\nsereg_plugin_failures_total ");
  const char *at = b.data ? strstr(b.data, key) : NULL;
  long n = at ? strtol(at + strlen(key), NULL, 10) : -1;
  sr_buf_free(&b);
  return n;
}

static void render_answers_are_checked(void)
{
  clear_dir();
  put("ask.lua", asking_format);
  char err[1024] = "", why[700];
  struct sr_plugins *p = open_dir(err, sizeof err);
  CHECK(p != NULL);
  if(!p) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  char *body = NULL;
  size_t len = 0;
  /* A string goes as it is; a table as its JSON, members in name order. */
  CHECK_INT(render(p, "string", &body, &len, why, sizeof why), SR_OUTCOME_OK);
  CHECK_STR(body, "隐患 梯11川A00001(26)");
  CHECK_INT(len, strlen("隐患 梯11川A00001(26)"));
  free(body);
  CHECK_INT(render(p, "table", &body, &len, why, sizeof why), SR_OUTCOME_OK);
  CHECK_STR(body, "{\"markdown\":{\"content\":\"msg_1\"},\"msgtype\":\"markdown\",\"n\":[1,2]}");
  free(body);
  CHECK_INT(render(p, "list", &body, &len, why, sizeof why), SR_OUTCOME_OK);
  CHECK_STR(body, "[\"a\",1,true]");
  free(body);
  /* The ceiling is of the body as sent, to the byte; a member may be longer than other answers'. */
  CHECK_INT(render(p, "at_limit", &body, &len, why, sizeof why), SR_OUTCOME_OK);
  CHECK_INT(len, SR_NOTICE_MAX_BODY);
  free(body);
  CHECK_INT(render(p, "long_member", &body, &len, why, sizeof why), SR_OUTCOME_OK);
  CHECK_INT(len, 6000 + strlen("{\"text\":\"\"}"));
  free(body);

  static const struct {
    const char *ask, *needle;
    enum sr_outcome outcome;
  } bad[] = {
    { "past_limit", "render() answered a body of 20001 bytes, more than 20000", SR_OUTCOME_MALFORMED },
    { "table_past_limit", "render() answered a body of 40011 bytes, more than 20000", SR_OUTCOME_MALFORMED },
    { "not_utf8", "render() answered a body that is not valid UTF-8", SR_OUTCOME_MALFORMED },
    { "cut_character", "not valid UTF-8", SR_OUTCOME_MALFORMED },
    { "nul", "NUL byte", SR_OUTCOME_MALFORMED },
    { "empty", "render() answered an empty body", SR_OUTCOME_MALFORMED },
    { "nil", "render() must return a string or a table, not a nil", SR_OUTCOME_MALFORMED },
    { "number", "render() must return a string or a table, not a number", SR_OUTCOME_MALFORMED },
    { "boolean", "not a boolean", SR_OUTCOME_MALFORMED },
    { "function", "has no JSON form", SR_OUTCOME_MALFORMED },
    { "function_in_table", "has no JSON form", SR_OUTCOME_MALFORMED },
    { "mixed_table", "mixes list and named entries", SR_OUTCOME_MALFORMED },
    { "table_not_utf8", "not UTF-8", SR_OUTCOME_MALFORMED },
    { "raise", "no template for this event", SR_OUTCOME_RAISED },
    { "loop", "instruction budget", SR_OUTCOME_BUDGET },
    { "memory", "memory limit", SR_OUTCOME_MEMORY },
    { "string_bomb", "string length limit", SR_OUTCOME_STRING },
  };
  for(size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    long calls = metric("render"), failures = metric(NULL);
    why[0] = '\0';
    body = (char *)"untouched";
    len = 7;
    enum sr_outcome o = render(p, bad[i].ask, &body, &len, why, sizeof why);
    if(o != bad[i].outcome || !strstr(why, bad[i].needle))
      fprintf(stderr, "  render '%s': %s \"%s\", expected %s naming \"%s\"\n", bad[i].ask, sr_outcome_name(o), why,
              sr_outcome_name(bad[i].outcome), bad[i].needle);
    CHECK_INT(o, bad[i].outcome);
    CHECK(strstr(why, bad[i].needle) != NULL);
    CHECK(strncmp(why, "plugin ask.lua@1.2.3 failed in render(): ", 41) == 0);
    CHECK(body == NULL && len == 0);
    /* One call and one failure counted. */
    CHECK_INT(metric("render"), calls + 1);
    CHECK_INT(metric(NULL), failures + 1);
    /* The state is good for the next render. */
    CHECK_INT(render(p, "string", &body, &len, why, sizeof why), SR_OUTCOME_OK);
    free(body);
  }
  CHECK_INT(sr_plugins_render(p, NULL, NULL, &body, &len, why, sizeof why), SR_OUTCOME_ABSENT);
  CHECK(body == NULL);
  sr_plugins_close(p);
}

/* ==== reload ==== */

static void reload_keeps_the_formats(void)
{
  char err[1024];
  clear_dir();
  put("f.lua", "return sereg.notice_format { " GOOD " }\n");
  CHECK(sr_plugins_publish_dir(dir, err, sizeof err));
  struct sr_plugins *p = sr_plugins_thread(err, sizeof err);
  CHECK(p && sr_plugins_format(p, "wecom") && sr_plugins_format(p, "standard") == NULL);

  /* A folder that fails to load keeps the set with its formats. */
  put("g.lua", "return sereg.notice_format { name = 'standard', title = 't', version = '1.0.0', "
               "render = function() return 'x' end }\n");
  CHECK(!sr_plugins_publish_dir(dir, err, sizeof err));
  CHECK(strstr(err, "g.lua: 'name' may not be \"standard\"") != NULL);
  p = sr_plugins_thread(err, sizeof err);
  const struct sr_notice_format *f = p ? sr_plugins_format(p, "wecom") : NULL;
  CHECK(f && strcmp(f->version, "1.0.0") == 0);
  char *body = NULL, why[300];
  size_t len;
  CHECK(f && sr_plugins_render(p, f, NULL, &body, &len, why, sizeof why) == SR_OUTCOME_OK);
  CHECK_STR(body, "x");
  free(body);

  /* A good one replaces it on the thread's next set. */
  clear_dir();
  put("f.lua", "return sereg.notice_format { name = 'wecom', title = '企业微信群机器人', version = '1.1.0', "
               "render = function() return 'y' end }\n");
  CHECK(sr_plugins_publish_dir(dir, err, sizeof err));
  p = sr_plugins_thread(err, sizeof err);
  f = p ? sr_plugins_format(p, "wecom") : NULL;
  CHECK(f && strcmp(f->version, "1.1.0") == 0);
  body = NULL;
  CHECK(f && sr_plugins_render(p, f, NULL, &body, &len, why, sizeof why) == SR_OUTCOME_OK);
  CHECK_STR(body, "y");
  free(body);
  sr_plugins_thread_release();
  sr_plugins_unpublish();
}

int main(void)
{
  snprintf(dir, sizeof dir, "/tmp/sereg-format-test-XXXXXX");
  if(!mkdtemp(dir))
    return 1;
  RUN(a_format_loads_with_what_it_declares);
  RUN(manifests_are_checked_at_load);
  RUN(names_are_unique_and_formats_few);
  RUN(render_answers_are_checked);
  RUN(reload_keeps_the_formats);
  clear_dir();
  rmdir(dir);
  return CHECK_DONE();
}
