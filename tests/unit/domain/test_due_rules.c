/*
 * test_due_rules.c -- golden table for the shipped plugins' next_due rules: each case in
 * tests/plugins/due_golden.json gives a unit, its history and today, and the date and kind the
 * rules must answer (elevator regimes, boiler and pressure-vessel intervals, 15-year elevators,
 * leap days, month ends, early windows, suspensions around the due date, histories with missed
 * years), and optionally the service year and words the reason must hold; and the history a
 * decision reads, with results added in date order wherever they fall.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "due.h"
#include "plugin.h"
#include "util.h"

#ifndef SR_SOURCE_DIR
#error "SR_SOURCE_DIR must name the source tree"
#endif

static void every_golden_case(void)
{
  char err[1024], *text = NULL;
  struct sr_plugin_bundle *b;
  CHECK(sr_plugin_bundle_load(SR_SOURCE_DIR "/plugins", &b, err, sizeof err));
  struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
  CHECK(p != NULL);
  CHECK(sr_read_file(SR_SOURCE_DIR "/tests/plugins/due_golden.json", 1 << 20, &text, NULL));
  cJSON *cases = cJSON_Parse(text);
  CHECK(cJSON_GetArraySize(cases) >= 30);
  for(const cJSON *c = cases ? cases->child : NULL; p && c; c = c->next) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    const cJSON *eq = cJSON_GetObjectItem(c, "eq"), *expect = cJSON_GetObjectItem(c, "expect");
    const struct sr_eqtype *t = sr_plugins_type(p, cJSON_GetObjectItem(eq, "type")->valuestring);
    struct sr_date today;
    CHECK(sr_date_parse(cJSON_GetObjectItem(c, "today")->valuestring, &today));
    struct sr_problem pb;
    sr_problem_init(&pb);
    cJSON *answer = NULL;
    CHECK_INT(sr_plugins_next_due(p, t, eq, cJSON_GetObjectItem(c, "history"), today, &answer, &pb), SR_OK);
    const cJSON *want_date = cJSON_GetObjectItem(expect, "date");
    const cJSON *got_date = cJSON_GetObjectItem(answer, "date");
    const char *want = cJSON_IsString(want_date) ? want_date->valuestring : "(none)";
    const char *got = cJSON_IsString(got_date) ? got_date->valuestring : "(none)";
    const char *want_kind = cJSON_GetObjectItem(expect, "kind")->valuestring;
    const cJSON *got_kind = cJSON_GetObjectItem(answer, "kind");
    bool same = strcmp(want, got) == 0 && cJSON_IsString(got_kind) && strcmp(want_kind, got_kind->valuestring) == 0;
    if(!same)
      fprintf(stderr, "  %s: got %s %s, want %s %s (%s)\n", name, got,
              cJSON_IsString(got_kind) ? got_kind->valuestring : "?", want, want_kind,
              pb.detail[0] ? pb.detail : cJSON_GetObjectItem(answer, "reason") ?
              cJSON_GetObjectItem(answer, "reason")->valuestring : "");
    CHECK(same);
    const cJSON *want_interval = cJSON_GetObjectItem(expect, "interval_years");
    if(want_interval) { /* the explanation says how far apart the inspections are */
      const cJSON *got_interval = cJSON_GetObjectItem(cJSON_GetObjectItem(answer, "basis"), "interval_years");
      if(!cJSON_IsNumber(got_interval) || got_interval->valueint != want_interval->valueint)
        fprintf(stderr, "  %s: interval_years %d, want %d\n", name,
                cJSON_IsNumber(got_interval) ? got_interval->valueint : -1, want_interval->valueint);
      CHECK(cJSON_IsNumber(got_interval) && got_interval->valueint == want_interval->valueint);
    }
    const cJSON *want_year = cJSON_GetObjectItem(expect, "service_year");
    if(want_year) { /* which obligation it is, counted from the base date */
      const cJSON *got_year = cJSON_GetObjectItem(cJSON_GetObjectItem(answer, "basis"), "service_year");
      if(!cJSON_IsNumber(got_year) || got_year->valueint != want_year->valueint)
        fprintf(stderr, "  %s: service_year %d, want %d\n", name, cJSON_IsNumber(got_year) ? got_year->valueint : -1,
                want_year->valueint);
      CHECK(cJSON_IsNumber(got_year) && got_year->valueint == want_year->valueint);
    }
    const cJSON *reason = cJSON_GetObjectItem(answer, "reason");
    CHECK(cJSON_IsString(reason) && reason->valuestring[0]); /* every decision says why */
    const cJSON *want_words = cJSON_GetObjectItem(expect, "reason_contains");
    if(want_words && cJSON_IsString(reason) && !strstr(reason->valuestring, want_words->valuestring))
      fprintf(stderr, "  %s: reason \"%s\" does not name \"%s\"\n", name, reason->valuestring,
              want_words->valuestring);
    CHECK(!want_words || (cJSON_IsString(reason) && strstr(reason->valuestring, want_words->valuestring)));
    cJSON_Delete(answer);
    sr_problem_free(&pb);
  }
  cJSON_Delete(cases);
  free(text);
  sr_plugins_close(p);
  sr_plugin_bundle_release(b);
}

/*
 * A batch may bring 10,000 results for one unit, and the host asks next_due with the whole
 * history: placing them must stay within one call's instruction budget. Worked by hand: base
 * 2000-01-15, a passed periodic every day from 2001-01-01 to 2028-05-18; year 28 is due
 * 2028-01-31 and year 29's window opens 2028-11-30, so the last result meets year 28 and year
 * 29 is due 2029-01-31.
 */
static void a_long_history_stays_within_budget(void)
{
  char err[1024];
  struct sr_plugin_bundle *b;
  CHECK(sr_plugin_bundle_load(SR_SOURCE_DIR "/plugins", &b, err, sizeof err));
  struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
  CHECK(p != NULL);
  cJSON *eq = cJSON_Parse("{\"type\":\"elevator\",\"commissioned_on\":\"2000-01-15\",\"status\":\"in_service\","
                          "\"regime\":\"tsg_t7001_2023\",\"suspensions\":[]}");
  cJSON *history = cJSON_CreateArray();
  struct sr_date day = { 2001, 1, 1 };
  for(int i = 0; i < 10000; i++, day = sr_date_add_days(day, 1)) {
    char on[11], report[32];
    sr_date_format(day, on);
    snprintf(report, sizeof report, "R-%d", i);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "kind", "periodic");
    cJSON_AddStringToObject(h, "inspected_on", on);
    cJSON_AddBoolToObject(h, "passed", true);
    cJSON_AddStringToObject(h, "conclusion", "pass");
    cJSON_AddStringToObject(h, "conclusion_text", "合格");
    cJSON_AddStringToObject(h, "report_number", report);
    cJSON_AddItemToArray(history, h);
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *answer = NULL;
  CHECK_INT(p ? sr_plugins_next_due(p, sr_plugins_type(p, "elevator"), eq, history, (struct sr_date){ 2028, 5, 19 },
                                    &answer, &pb) : SR_INTERNAL, SR_OK);
  const cJSON *date = cJSON_GetObjectItem(answer, "date");
  const cJSON *year = cJSON_GetObjectItem(cJSON_GetObjectItem(answer, "basis"), "service_year");
  CHECK(cJSON_IsString(date) && strcmp(date->valuestring, "2029-01-31") == 0);
  CHECK(cJSON_IsNumber(year) && year->valueint == 29);
  cJSON_Delete(answer);
  sr_problem_free(&pb);
  cJSON_Delete(eq);
  cJSON_Delete(history);
  if(p)
    sr_plugins_close(p);
  sr_plugin_bundle_release(b);
}

static void date_arithmetic(void)
{
  struct sr_date d = { 2024, 1, 31 };
  struct sr_date m = sr_date_add_months(d, 1);
  CHECK(m.y == 2024 && m.m == 2 && m.d == 29);
  m = sr_date_add_months((struct sr_date){ 2024, 2, 29 }, 12);
  CHECK(m.y == 2025 && m.m == 2 && m.d == 28);
  m = sr_date_add_months((struct sr_date){ 2024, 3, 31 }, -2);
  CHECK(m.y == 2024 && m.m == 1 && m.d == 31);
  m = sr_date_add_months((struct sr_date){ 2024, 1, 15 }, -13);
  CHECK(m.y == 2022 && m.m == 12 && m.d == 15);
  CHECK_INT(sr_date_to_days((struct sr_date){ 1970, 1, 1 }), 0);
  CHECK_INT(sr_date_to_days((struct sr_date){ 2000, 3, 1 }) - sr_date_to_days((struct sr_date){ 2000, 2, 28 }), 2);
  struct sr_date back = sr_date_from_days(sr_date_to_days((struct sr_date){ 2096, 12, 31 }));
  CHECK(back.y == 2096 && back.m == 12 && back.d == 31);
  struct sr_date a = sr_date_add_days((struct sr_date){ 2023, 12, 31 }, 1);
  CHECK(a.y == 2024 && a.m == 1 && a.d == 1);
}

static void malformed_answers_are_refused(void)
{
  const char *srcs[] = {
    "return { date = '2024-02-30', kind = 'periodic', reason = 'x' }",
    "return { date = '2024-02-01', kind = 'internal', reason = 'x' }",
    "return { date = '2024-02-01', kind = 'periodic' }",
    "return { date = '2024-02-01', kind = 'periodic', reason = 'x', extra = 1 }",
    "return { date = '2024-02-01', kind = 'periodic', reason = 'x', basis = { f = function() end } }",
    "return { date = '2024-02-01', kind = 'periodic', reason = 'x', basis = { n = 0/0 } }",
    "return 7",
  };
  for(size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
    char src[1024], path[] = "/tmp/sereg-due-test-XXXXXX", file[64], err[512];
    snprintf(src, sizeof src,
             "return sereg.equipment_type { code = 't', name = 'T', version = '1.0.0', registration_class = '梯', "
             "attributes = { variety = { type = 'string', required = true, enum = { '3110' } } }, "
             "inspections = { periodic = { conclusions = { { code = 'pass', text = '合格', passed = true } } } }, "
             "next_due = function(eq, history, today) %s end }", srcs[i]);
    CHECK(mkdtemp(path) != NULL);
    snprintf(file, sizeof file, "%s/t.lua", path);
    FILE *f = fopen(file, "w");
    fputs(src, f);
    fclose(f);
    struct sr_plugin_bundle *b;
    CHECK(sr_plugin_bundle_load(path, &b, err, sizeof err));
    struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
    struct sr_problem pb;
    sr_problem_init(&pb);
    cJSON *eq = cJSON_Parse("{\"type\":\"t\"}"), *hist = cJSON_CreateArray(), *answer = NULL;
    CHECK_INT(sr_plugins_next_due(p, sr_plugins_type_at(p, 0), eq, hist, (struct sr_date){ 2024, 1, 1 }, &answer, &pb),
              SR_PLUGIN);
    CHECK(answer == NULL);
    cJSON_Delete(eq);
    cJSON_Delete(hist);
    sr_problem_free(&pb);
    sr_plugins_close(p);
    sr_plugin_bundle_release(b);
    unlink(file);
    rmdir(path);
  }
}

/* The reports of <history> in order, as "a b c". */
static const char *reports(const cJSON *history, char *buf, size_t n)
{
  buf[0] = 0;
  for(const cJSON *h = history->child; h; h = h->next)
    snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? " " : "",
             cJSON_GetObjectItem(h, "report_number")->valuestring);
  return buf;
}

static cJSON *result(const char *report, const char *on)
{
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "report_number", report);
  cJSON_AddStringToObject(r, "inspected_on", on);
  return r;
}

static void results_join_the_history_in_date_order(void)
{
  char buf[256];
  cJSON *h = cJSON_CreateArray();
  cJSON_AddItemToArray(h, result("a", "2021-05-20"));
  cJSON_AddItemToArray(h, result("b", "2023-05-10"));
  /* between two stored results: the case Debian's cJSON_InsertItemInArray drops */
  cJSON *late = result("late", "2022-05-10");
  sr_due_add_to_history(h, late);
  cJSON_Delete(late);
  CHECK_STR(reports(h, buf, sizeof buf), "a late b");
  cJSON *first = result("first", "2020-01-01"), *same = result("same", "2023-05-10");
  sr_due_add_to_history(h, first);
  sr_due_add_to_history(h, same); /* after every result dated on or before it */
  cJSON_Delete(first);
  cJSON_Delete(same);
  CHECK_STR(reports(h, buf, sizeof buf), "first a late b same");
  cJSON *extra = cJSON_CreateArray(); /* sorted by date, equal dates in the order to keep */
  cJSON_AddItemToArray(extra, result("x1", "2019-01-01"));
  cJSON_AddItemToArray(extra, result("x2", "2021-05-20"));
  cJSON_AddItemToArray(extra, result("x3", "2021-05-20"));
  cJSON_AddItemToArray(extra, result("x4", "2022-01-01"));
  cJSON_AddItemToArray(extra, result("x5", "2030-01-01"));
  sr_due_merge_history(h, extra);
  CHECK_STR(reports(h, buf, sizeof buf), "x1 first a x2 x3 x4 late b same x5");
  CHECK_INT(cJSON_GetArraySize(h), 10);
  cJSON_AddItemToArray(h, result("end", "2031-01-01")); /* the list's tail is still right */
  CHECK_STR(reports(h, buf, sizeof buf), "x1 first a x2 x3 x4 late b same x5 end");
  sr_due_merge_history(h, cJSON_CreateArray());
  CHECK_INT(cJSON_GetArraySize(h), 11);
  cJSON *empty = cJSON_CreateArray(), *two = cJSON_CreateArray();
  cJSON_AddItemToArray(two, result("p", "2020-01-01"));
  cJSON_AddItemToArray(two, result("q", "2020-01-02"));
  sr_due_merge_history(empty, two);
  CHECK_STR(reports(empty, buf, sizeof buf), "p q");
  cJSON_Delete(empty);
  cJSON_Delete(h);
}

int main(void)
{
  RUN(results_join_the_history_in_date_order);
  RUN(date_arithmetic);
  RUN(every_golden_case);
  RUN(a_long_history_stays_within_budget);
  RUN(malformed_answers_are_refused);
  return CHECK_DONE();
}
