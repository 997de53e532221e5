/* fuzz_flow.c -- escalation ladders and workflows as JSON: the checks must refuse anything
 * malformed without crashing, and whatever they accept must be safe to ask questions of. */
#include <stdint.h>
#include <stdlib.h>

#include "flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ask_ladder(const cJSON *l)
{
  static const char *const sources[] = { "overdue", "failed_in_use", "defect", "patrol", "manual" };
  const cJSON *rungs = cJSON_GetObjectItem(l, "rungs");
  for(const cJSON *r = rungs ? rungs->child : NULL; r; r = r->next)
    for(int i = 0; i < 5; i++)
      (void)sr_flow_rung_applies(r, sources[i], i % 2 ? "major" : "general");
  const char *g = "general", *lv = "district";
  sr_flow_ladder_opens(l, "overdue", &g, &lv);
  (void)sr_flow_grade_rank(g);
  (void)sr_flow_level_rank(lv);
}

static void ask_workflow(const cJSON *w)
{
  const cJSON *ts = cJSON_GetObjectItem(w, "transitions");
  const cJSON *states = cJSON_GetObjectItem(w, "states");
  for(const cJSON *t = ts ? ts->child : NULL; t; t = t->next) {
    const cJSON *a = cJSON_GetObjectItem(t, "action");
    const cJSON *found = sr_flow_transition(w, cJSON_GetStringValue(a));
    for(const cJSON *s = states ? states->child : NULL; s; s = s->next)
      (void)sr_flow_transition_from(found, s->string);
    (void)sr_flow_list_has(cJSON_GetObjectItem(t, "roles"), "user_unit");
    (void)sr_flow_state(w, cJSON_GetStringValue(cJSON_GetObjectItem(t, "to")));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cJSON *j = cJSON_ParseWithLength((const char *)data, size);
  if(!j)
    return 0;
  char why[300];
  if(sr_flow_ladder_check(j, why, sizeof why))
    ask_ladder(j);
  if(sr_flow_workflow_check(j, why, sizeof why))
    ask_workflow(j);
  cJSON *h = cJSON_GetObjectItem(j, "condition");
  (void)sr_flow_condition_ok(cJSON_GetStringValue(h));
  cJSON_Delete(j);
  return 0;
}
