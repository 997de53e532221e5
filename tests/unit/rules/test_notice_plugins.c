/*
 * test_notice_plugins.c -- the shipped notice formats (plugins/notice_*.lua) against realistic events:
 * one or more of every event type sereg emits, with Chinese data as the registry holds it
 * (tests/plugins/notice_events.json). Each renders to valid JSON of its robot's shape, within the
 * robot's limit, naming the unit where the event names one; and what each says is kept in a
 * golden file per format (tests/plugins/notice_golden/<format>.md, reviewed by a person when it
 * changes: SEREG_UPDATE_GOLDEN=1 writes it anew).
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "plugin.h"
#include "sr_limits.h"
#include "util.h"

#define EVENTS SR_SOURCE_DIR "/tests/plugins/notice_events.json"
#define GOLDEN SR_SOURCE_DIR "/tests/plugins/notice_golden/"
#define ROBOT_MAX 4096 /* bytes of a WeCom markdown.content; held to for DingTalk's text too */

static char *read_file(const char *path, size_t *len)
{
  char *out = NULL;
  return sr_read_file(path, 4 * 1024 * 1024, &out, len) ? out : NULL;
}

static struct sr_plugins *shipped(void)
{
  char err[1024];
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(SR_PLUGIN_DIR, &b, err, sizeof err)) {
    fprintf(stderr, "  %s\n", err);
    return NULL;
  }
  struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
  sr_plugin_bundle_release(b);
  return p;
}

static const char *str_at(const cJSON *j, const char *a, const char *b)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
  if(b)
    v = cJSON_GetObjectItemCaseSensitive(v, b);
  return cJSON_GetStringValue(v);
}

/* The text a person reads in the message of <format>, or NULL if the body is not the robot's
 * shape ({"msgtype":"markdown","markdown":{...}} and nothing else). */
static const char *robot_text(const char *format, const cJSON *body, const char **title)
{
  *title = NULL;
  if(!cJSON_IsObject(body) || cJSON_GetArraySize(body) != 2 || !str_at(body, "msgtype", NULL) ||
     strcmp(str_at(body, "msgtype", NULL), "markdown") != 0)
    return NULL;
  const cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "markdown");
  if(strcmp(format, "wecom") == 0)
    return cJSON_GetArraySize(md) == 1 ? str_at(md, "content", NULL) : NULL;
  *title = str_at(md, "title", NULL);
  return cJSON_GetArraySize(md) == 2 && *title ? str_at(md, "text", NULL) : NULL;
}

/* Renders every sample event in <format>: the checks that hold for each, and the golden text. */
static void format_renders_every_event(const char *format)
{
  struct sr_plugins *p = shipped();
  size_t len;
  char *events_text = read_file(EVENTS, &len);
  cJSON *events = events_text ? cJSON_Parse(events_text) : NULL;
  free(events_text);
  CHECK(p && cJSON_GetArraySize(events) >= 25);
  const struct sr_notice_format *f = p ? sr_plugins_format(p, format) : NULL;
  CHECK(f != NULL);
  if(!f || !events) {
    cJSON_Delete(events);
    sr_plugins_close(p);
    return;
  }
  CHECK_STR(f->content_type, "application/json; charset=utf-8");
  struct sr_buf golden;
  sr_buf_init(&golden, 4 * 1024 * 1024);
  for(const cJSON *c = events->child; c; c = c->next) {
    const char *name = str_at(c, "case", NULL);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(c, "event");
    char *body = NULL, why[600] = "";
    size_t n = 0;
    enum sr_outcome o = sr_plugins_render(p, f, ev, &body, &n, why, sizeof why);
    if(o != SR_OUTCOME_OK)
      fprintf(stderr, "  %s %s: %s\n", format, name, why);
    CHECK_INT(o, SR_OUTCOME_OK);
    cJSON *j = body ? cJSON_ParseWithLength(body, n) : NULL;
    const char *title = NULL, *text = j ? robot_text(format, j, &title) : NULL;
    if(!text)
      fprintf(stderr, "  %s %s: not the robot's shape: %s\n", format, name, body ? body : "(none)");
    CHECK(text != NULL);
    if(!text) {
      cJSON_Delete(j);
      free(body);
      continue;
    }
    CHECK(strlen(text) <= ROBOT_MAX);
    CHECK(sr_utf8_valid(text, strlen(text)));
    if(title)
      CHECK(strlen(title) > 0 && strlen(title) <= 100 && !strchr(title, '\n'));
    /* The unit the event is about, where it names one. */
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
    const cJSON *eq = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data, "subject"), "equipment");
    const char *reg = str_at(eq, "registration_number", NULL), *addr = str_at(eq, "address", NULL);
    if(reg && !strstr(text, reg))
      fprintf(stderr, "  %s %s: does not name %s\n", format, name, reg);
    CHECK(!reg || strstr(text, reg));
    /* An address may be cut short to keep the message within the robot's limit: its start. */
    char head[40] = "";
    if(addr)
      snprintf(head, sizeof head, "%.30s", addr);
    sr_utf8_trim(head);
    CHECK(!addr || strstr(text, head));
    /* Nothing the registry holds becomes markup of its own. */
    CHECK(!strstr(text, "http://evil.example") || !strstr(text, "](http://evil.example)"));
    CHECK(!strstr(text, "<font color=\"info\">"));
    CHECK(!strstr(text, "\n### 假标题"));
    /* A hazard raised to 重大 and proposed for listing says both. */
    const char *type = str_at(ev, "type", NULL);
    if(strcmp(type, "hazard.escalated") == 0) {
      bool major = str_at(data, "grade_to", NULL) && strcmp(str_at(data, "grade_to", NULL), "major") == 0;
      bool listing = str_at(data, "propose", NULL) && strcmp(str_at(data, "propose", NULL), "listed_supervision") == 0;
      CHECK(!major || strstr(text, "重大"));
      CHECK(!listing || strstr(text, "挂牌督办"));
      CHECK(major || !strstr(text, "重大"));
      CHECK(listing || !strstr(text, "挂牌督办"));
    }
    if(strcmp(type, "subscription.ping") == 0)
      CHECK(strstr(text, "这是一条测试消息") != NULL);
    sr_buf_printf(&golden, "## %s\n\n", name);
    if(title)
      sr_buf_printf(&golden, "title: %s\n\n", title);
    sr_buf_printf(&golden, "%s\n\n", text);
    cJSON_Delete(j);
    free(body);
  }
  char path[512];
  snprintf(path, sizeof path, GOLDEN "%s.md", format);
  if(getenv("SEREG_UPDATE_GOLDEN")) {
    FILE *out = fopen(path, "wb");
    CHECK(out && fwrite(golden.data, 1, golden.len, out) == golden.len);
    if(out)
      fclose(out);
  }
  char *want = read_file(path, &len);
  bool same = want && len == golden.len && memcmp(want, golden.data, len) == 0;
  if(!same)
    fprintf(stderr, "  %s renders otherwise than %s (SEREG_UPDATE_GOLDEN=1 writes it; review the difference)\n",
            format, path);
  CHECK(same);
  free(want);
  sr_buf_free(&golden);
  cJSON_Delete(events);
  sr_plugins_close(p);
}

static void wecom_renders_every_event(void) { format_renders_every_event("wecom"); }
static void dingtalk_renders_every_event(void) { format_renders_every_event("dingtalk"); }

int main(void)
{
  RUN(wecom_renders_every_event);
  RUN(dingtalk_renders_every_event);
  return CHECK_DONE();
}
