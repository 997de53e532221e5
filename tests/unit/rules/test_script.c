/*
 * test_script.c -- an administrator's script in the Lua engine (core/rules/script.h) against a
 * host of this test's own: a list of records served in pages of three, actions that answer or
 * refuse, output collected. The iterator must walk every page and stop at the end, a script that
 * breaks out or raises midway must leave nothing allocated (the sanitizer build checks), and
 * what the host refuses as the script's mistake must stop the script at its line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "script.h"

#define RECORDS 8
#define PAGE 3

struct host {
  int pages, changes, rows, logs;
  cJSON *out;       /* the rows emitted */
  cJSON *columns;
  char last_filters[200];
  char log[400];
};

/* Pages of PAGE records with ids 1..RECORDS; the cursor is the last id handed out. */
static cJSON *page(void *ud, const char *kind, const cJSON *params, char *why, size_t whysz)
{
  struct host *h = ud;
  if(strcmp(kind, "equipment") != 0) {
    snprintf(why, whysz, "no list of '%s'", kind);
    return NULL;
  }
  const cJSON *bad = cJSON_GetObjectItem(params, "colour");
  if(bad) {
    snprintf(why, whysz, "colour is not a known query parameter");
    return NULL;
  }
  char *f = cJSON_PrintUnformatted(params);
  snprintf(h->last_filters, sizeof h->last_filters, "%s", f);
  free(f);
  h->pages++;
  const cJSON *cur = cJSON_GetObjectItem(params, "cursor");
  int after = cur ? atoi(cur->valuestring) : 0;
  cJSON *p = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(p, "items");
  int id = after + 1;
  for(; id <= RECORDS && id <= after + PAGE; id++) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "id", id);
    cJSON_AddStringToObject(r, "status", id % 2 ? "in_service" : "suspended");
    cJSON_AddItemToArray(items, r);
  }
  if(id <= RECORDS) {
    char next[16];
    snprintf(next, sizeof next, "%d", id - 1);
    cJSON_AddStringToObject(p, "next_cursor", next);
  }
  else
    cJSON_AddNullToObject(p, "next_cursor");
  return p;
}

static cJSON *problem(int status, const char *field, const char *message)
{
  cJSON *p = cJSON_CreateObject(), *errs = cJSON_AddArrayToObject(p, "errors"), *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "status", status);
  cJSON_AddStringToObject(e, "field", field);
  cJSON_AddStringToObject(e, "message", message);
  cJSON_AddItemToArray(errs, e);
  return p;
}

static cJSON *get(void *ud, const char *kind, long id, bool *ok, char *why, size_t whysz)
{
  (void)ud;
  (void)why;
  (void)whysz;
  *ok = id <= RECORDS && strcmp(kind, "equipment") == 0;
  if(!*ok)
    return problem(404, "id", "no such record");
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "id", (double)id);
  return r;
}

/* suspend is allowed once per odd id; anything else is refused as the API would. */
static cJSON *change(void *ud, const char *kind, long id, const char *action, const cJSON *fields, bool *ok,
                     char *why, size_t whysz)
{
  struct host *h = ud;
  if(strcmp(kind, "equipment") != 0) {
    snprintf(why, whysz, "'%s' has no transitions", kind);
    return NULL;
  }
  h->changes++;
  const cJSON *reason = cJSON_GetObjectItem(fields, "reason");
  *ok = strcmp(action, "suspend") == 0 && id % 2 == 1 && cJSON_IsString(reason);
  if(!*ok)
    return problem(cJSON_IsString(reason) ? 409 : 422, "reason", "is required");
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "id", (double)id);
  cJSON_AddStringToObject(r, "status", "suspended");
  return r;
}

static cJSON *open_(void *ud, const char *kind, const cJSON *fields, bool *ok, char *why, size_t whysz)
{
  (void)ud;
  (void)fields;
  snprintf(why, whysz, "'%s' cannot be opened", kind);
  *ok = false;
  return NULL;
}

static bool columns(void *ud, const cJSON *names, char *why, size_t whysz)
{
  struct host *h = ud;
  (void)why;
  (void)whysz;
  h->columns = cJSON_Duplicate(names, true);
  return true;
}

static bool emit(void *ud, const cJSON *row, char *why, size_t whysz)
{
  struct host *h = ud;
  if(cJSON_GetObjectItem(row, "refuse")) {
    snprintf(why, whysz, "'refuse' is not one of the columns");
    return false;
  }
  h->rows++;
  cJSON_AddItemToArray(h->out, cJSON_Duplicate(row, true));
  return true;
}

static void log_(void *ud, const char *text, size_t len)
{
  struct host *h = ud;
  h->logs++;
  snprintf(h->log, sizeof h->log, "%.*s", (int)len, text);
}

static enum sr_outcome run(const char *src, struct host *h, long budget, char *why, size_t whysz)
{
  memset(h, 0, sizeof *h);
  h->out = cJSON_CreateArray();
  struct sr_script_host host = { h, page, get, change, open_, columns, emit, log_ };
  cJSON *args = cJSON_CreateArray();
  cJSON_AddItemToArray(args, cJSON_CreateString("甲"));
  cJSON_AddItemToArray(args, cJSON_CreateString("42"));
  struct sr_script_run r = { "t.lua", src, strlen(src), args, "2026-12-02", true, 8u << 20, budget, 5000 };
  enum sr_outcome o = sr_script_exec(&r, &host, why, whysz);
  cJSON_Delete(args);
  return o;
}

static void done(struct host *h)
{
  cJSON_Delete(h->out);
  cJSON_Delete(h->columns);
}

static void test_each_walks_every_page_and_stops(void)
{
  struct host h;
  char why[400] = "";
  enum sr_outcome o = run("local n, last = 0, 0\n"
                          "for u in sereg.each('equipment', {status = 'in_service', overdue = true, n = 5}) do\n"
                          "  n = n + 1; assert(u.id == last + 1); last = u.id\n"
                          "end\n"
                          "sereg.emit{n = n}\n"
                          "for u in sereg.each('equipment') do if u.id == 2 then break end end\n"
                          "for u in sereg.each('equipment') do end\n",
                          &h, 10000000, why, sizeof why);
  CHECK_INT(o, SR_OUTCOME_OK);
  CHECK_STR(why, "");
  CHECK_INT(cJSON_GetObjectItem(cJSON_GetArrayItem(h.out, 0), "n")->valueint, RECORDS);
  /* three pages for the first walk, one for the one that broke off, three for the last */
  CHECK_INT(h.pages, 7);
  /* filters go to the host as text, with the page size; the last page had a cursor */
  CHECK(strstr(h.last_filters, "\"limit\":\"500\"") && strstr(h.last_filters, "\"cursor\":\"6\""));
  done(&h);
  run("for u in sereg.each('equipment', {status = 'in_service', overdue = true, n = 5}) do break end", &h,
      10000000, why, sizeof why);
  CHECK(strstr(h.last_filters, "\"status\":\"in_service\"") && strstr(h.last_filters, "\"overdue\":\"true\"") &&
        strstr(h.last_filters, "\"n\":\"5\"") && !strstr(h.last_filters, "cursor"));
  done(&h);
}

static void test_actions_answer_records_or_the_apis_problem(void)
{
  struct host h;
  char why[400] = "";
  enum sr_outcome o = run("local r1, ok1 = sereg.change('equipment', 1, 'suspend', {reason = '停用'})\n"
                          "local r2, ok2 = sereg.change('equipment', 2, 'suspend', {reason = '停用'})\n"
                          "local r3, ok3 = sereg.change('equipment', 3, 'suspend')\n"
                          "local g, okg = sereg.get('equipment', 99)\n"
                          "sereg.columns{'a', 'b'}\n"
                          "sereg.emit{a = ok1, b = r1.status}\n"
                          "sereg.emit{a = ok2, b = r2.status}\n"
                          "sereg.emit{a = ok3, b = r3.errors[1].field}\n"
                          "sereg.emit{a = okg, b = g.status}\n"
                          "sereg.log('args', sereg.args[1], sereg.args[2], sereg.today, sereg.dry_run)\n",
                          &h, 10000000, why, sizeof why);
  CHECK_INT(o, SR_OUTCOME_OK);
  CHECK_INT(h.changes, 3);
  char *out = cJSON_PrintUnformatted(h.out);
  CHECK_STR(out, "[{\"a\":true,\"b\":\"suspended\"},{\"a\":false,\"b\":409},{\"a\":false,\"b\":\"reason\"},"
                 "{\"a\":false,\"b\":404}]");
  free(out);
  char *cols = cJSON_PrintUnformatted(h.columns);
  CHECK_STR(cols, "[\"a\",\"b\"]");
  free(cols);
  CHECK_STR(h.log, "args 甲 42 2026-12-02 true");
  done(&h);
}

/* Each mistake stops the script at its line, however deep in a host call it was found. */
static void test_mistakes_stop_the_script_at_their_line(void)
{
  static const struct {
    const char *src, *says;
    enum sr_outcome o;
  } cases[] = {
    { "local x = 1\nfor u in sereg.each('widgets') do end\n", "t.lua:2: sereg.each: no list of 'widgets'",
      SR_OUTCOME_RAISED },
    { "\nfor u in sereg.each('equipment', {colour = 'red'}) do end\n", "t.lua:2: sereg.each: colour is not",
      SR_OUTCOME_RAISED },
    { "for u in sereg.each('equipment', {cursor = 'x'}) do end\n", "'cursor' is not a filter", SR_OUTCOME_RAISED },
    { "for u in sereg.each('equipment', {n = 1.5}) do end\n", "must be a whole number", SR_OUTCOME_RAISED },
    { "for u in sereg.each('equipment', {[1] = 'x'}) do end\n", "filters are named", SR_OUTCOME_RAISED },
    { "sereg.change('hazards', 1, 'close')\n", "t.lua:1: sereg.change: 'hazards' has no transitions",
      SR_OUTCOME_RAISED },
    { "sereg.open('equipment', {})\n", "sereg.open: 'equipment' cannot be opened", SR_OUTCOME_RAISED },
    { "sereg.emit{refuse = 1}\n", "sereg.emit: 'refuse' is not one of the columns", SR_OUTCOME_RAISED },
    { "sereg.emit{f = function() end}\n", "no JSON form", SR_OUTCOME_RAISED },
    { "sereg.get('equipment', -1)\n", "not an id", SR_OUTCOME_RAISED },
    { "for u in sereg.each('equipment') do\n  local x = u.id\nend\nwhile true do end\n", "t.lua:4: instruction budget",
      SR_OUTCOME_BUDGET },
    /* a memory error is placed where the budget last saw the code: the loop, line 2 or 3 */
    { "local t = {}\nfor i = 1, 1e8 do\n  t[i] = {i}\nend\n", "memory limit", SR_OUTCOME_MEMORY },
    { "local x = = 1\n", "t.lua:1:", SR_OUTCOME_RAISED },
  };
  for(size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct host h;
    char why[400] = "";
    enum sr_outcome o = run(cases[i].src, &h, 2000000, why, sizeof why);
    CHECK_INT(o, cases[i].o);
    if(!strstr(why, cases[i].says) || strncmp(why, "t.lua:", 6) != 0) {
      CHECK(!"the reason names the mistake and its line");
      fprintf(stderr, "  case %zu: %s\n", i, why);
    }
    done(&h);
  }
}

int main(void)
{
  test_each_walks_every_page_and_stops();
  test_actions_answer_records_or_the_apis_problem();
  test_mistakes_stop_the_script_at_their_line();
  return CHECK_DONE();
}
