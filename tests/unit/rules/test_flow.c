/* test_flow.c -- the checks on escalation ladders and workflows, case by case, and the
 * questions the core asks of them. */
#include <cjson/cJSON.h>
#include <stdbool.h>

#include "check.h"
#include "flow.h"

static bool ladder_ok(const char *json, const char *want_why)
{
  cJSON *j = cJSON_Parse(json);
  char why[300] = "";
  bool ok = j && sr_flow_ladder_check(j, why, sizeof why);
  if(want_why && !strstr(why, want_why))
    fprintf(stderr, "ladder %s: reason '%s' lacks '%s'\n", json, why, want_why);
  CHECK(!want_why || strstr(why, want_why));
  cJSON_Delete(j);
  return ok;
}

static bool workflow_ok(const char *json, const char *want_why)
{
  cJSON *j = cJSON_Parse(json);
  char why[300] = "";
  bool ok = j && sr_flow_workflow_check(j, why, sizeof why);
  if(want_why && !strstr(why, want_why))
    fprintf(stderr, "workflow: reason '%s' lacks '%s'\n", why, want_why);
  CHECK(!want_why || strstr(why, want_why));
  cJSON_Delete(j);
  return ok;
}

#define RUNG(x) "{\"version\":\"1.0.0\",\"rungs\":[" x "]}"

static void ladders(void)
{
  CHECK(ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":30,\"notify\":[\"district\"]}"), NULL));
  CHECK(ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"on\":\"rectification_overdue\",\"set\":{\"grade\":\"major\"}}"),
                  NULL));
  CHECK(!ladder_ok("{\"version\":\"1.0\",\"rungs\":[]}", "version"));
  CHECK(!ladder_ok("{\"version\":\"1.0.0\",\"rungs\":[]}", "'rungs'"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"A\",\"reason\":\"r\",\"after_days\":1,\"notify\":[\"city\"]}"), "id"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"after_days\":1,\"notify\":[\"city\"]}"), "reason"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"notify\":[\"city\"]}"), "exactly one"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1.5,\"notify\":[\"city\"]}"), "after_days"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":4000,\"notify\":[\"city\"]}"), "after_days"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1}"), "does nothing"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1,\"set\":{}}"), "must set"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1,\"set\":{\"level\":\"province\"}}"), "level"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1,\"notify\":{}}"), "notify"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1,\"notify\":[\"city\"],"
                        "\"when\":{\"source\":[\"rumour\"]}}"), "when.source"));
  CHECK(!ladder_ok(RUNG("{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1,\"notify\":[\"city\"]},"
                        "{\"id\":\"a\",\"reason\":\"r\",\"after_days\":2,\"notify\":[\"city\"]}"), "twice"));
  CHECK(!ladder_ok("{\"version\":\"1.0.0\",\"opens\":{\"overdue\":{\"grade\":\"major\"}},\"rungs\":["
                   "{\"id\":\"a\",\"reason\":\"r\",\"after_days\":1,\"notify\":[\"city\"]}]}", "opens.overdue.level"));
}

static void rungs_and_opening_grades(void)
{
  cJSON *l = cJSON_Parse("{\"opens\":{\"overdue\":{\"grade\":\"major\",\"level\":\"city\"}},\"rungs\":["
                         "{\"id\":\"a\",\"when\":{\"source\":[\"defect\"],\"grade\":[\"major\"]}},{\"id\":\"b\"}]}");
  const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "rungs"), 0), *b = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "rungs"), 1);
  CHECK(sr_flow_rung_applies(a, "defect", "major"));
  CHECK(!sr_flow_rung_applies(a, "defect", "general"));
  CHECK(!sr_flow_rung_applies(a, "overdue", "major"));
  CHECK(sr_flow_rung_applies(b, "patrol", "general"));
  const char *g = "general", *lv = "district";
  sr_flow_ladder_opens(l, "overdue", &g, &lv);
  CHECK_STR(g, "major");
  CHECK_STR(lv, "city");
  g = "general";
  sr_flow_ladder_opens(l, "patrol", &g, &lv);
  CHECK_STR(g, "general");
  CHECK(sr_flow_grade_rank("major") > sr_flow_grade_rank("general"));
  CHECK(sr_flow_level_rank("city") > sr_flow_level_rank("district"));
  CHECK_INT(sr_flow_grade_rank("huge"), -1);
  cJSON_Delete(l);
}

#define WF(states, transitions)                                                                  \
  "{\"code\":\"w\",\"name\":\"W\",\"version\":\"1.0.0\",\"initial\":\"a\",\"opened_by\":[\"city_supervisor\"]," \
  "\"states\":{" states "},\"transitions\":[" transitions "]}"
#define T_AB "{\"action\":\"go\",\"from\":[\"a\"],\"to\":\"b\",\"roles\":[\"user_unit\"]}"

static void workflows(void)
{
  CHECK(workflow_ok(WF("\"a\":{\"deadline_days\":3},\"b\":{\"final\":true}", T_AB), NULL));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{}", T_AB), "no final state"));
  CHECK(!workflow_ok(WF("\"a\":{},\"c\":{\"final\":true}", T_AB), "'to' must name"));
  CHECK(!workflow_ok(WF("\"a\":{\"final\":true},\"b\":{}", T_AB), "'initial'"));
  CHECK(!workflow_ok(WF("\"a\":{\"deadline_days\":0},\"b\":{\"final\":true}", T_AB), "deadline_days"));
  CHECK(!workflow_ok(WF("\"a\":{\"deadline\":\"soon\"},\"b\":{\"final\":true}", T_AB), "deadline must be"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":true,\"deadline_days\":2}", T_AB), "final state has no deadline"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":\"yes\"}", T_AB), "final must be"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":true}", T_AB "," T_AB), "twice"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":true}",
                        "{\"action\":\"go\",\"from\":[\"a\"],\"to\":\"b\",\"roles\":[\"mayor\"]}"), "roles"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":true}",
                        "{\"action\":\"go\",\"from\":[\"a\"],\"to\":\"b\",\"roles\":[\"user_unit\"],"
                        "\"requires\":[\"signature\"]}"), "requires"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":true}",
                        "{\"action\":\"go\",\"from\":[\"a\"],\"to\":\"b\",\"roles\":[\"user_unit\"],"
                        "\"sets_deadline\":true}"), "must require 'deadline'"));
  CHECK(!workflow_ok(WF("\"a\":{},\"b\":{\"final\":true}", T_AB
                        ",{\"action\":\"back\",\"from\":[\"b\"],\"to\":\"a\",\"roles\":[\"user_unit\"]}"),
                     "final state"));
  CHECK(!workflow_ok(WF("\"a\":{},\"B\":{\"final\":true}", T_AB), "state names"));
}

static void what_a_workflow_answers(void)
{
  cJSON *w = cJSON_Parse(WF("\"a\":{},\"b\":{\"final\":true}", T_AB));
  const cJSON *t = sr_flow_transition(w, "go");
  CHECK(t != NULL);
  CHECK(sr_flow_transition(w, "stop") == NULL);
  CHECK(sr_flow_transition_from(t, "a"));
  CHECK(!sr_flow_transition_from(t, "b"));
  CHECK(sr_flow_list_has(cJSON_GetObjectItem(t, "roles"), "user_unit"));
  CHECK(!sr_flow_list_has(cJSON_GetObjectItem(t, "roles"), "agency"));
  CHECK(sr_flow_state(w, "b") != NULL);
  CHECK(sr_flow_state(w, "z") == NULL);
  cJSON_Delete(w);
}

int main(void)
{
  RUN(ladders);
  RUN(rungs_and_opening_grades);
  RUN(workflows);
  RUN(what_a_workflow_answers);
  return CHECK_DONE();
}
