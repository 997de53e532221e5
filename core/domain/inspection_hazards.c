/*
 * inspection_hazards.c -- the hazards an inspection result shows, as the type plugin's hazards()
 * decides them (a failed unit still in use, GB 45067 major-hazard defects), opened in the
 * upload's transaction so that a result and the hazards it reveals are recorded together.
 */
#include <stdio.h>
#include <string.h>

#include "escalation.h"
#include "json.h"
#include "tx.h"
#include "inspection_int.h"

/* The defect a hazard names, when it came from one. */
static const cJSON *defect_of(const cJSON *inspection, const char *condition)
{
  const cJSON *ds = cJSON_GetObjectItemCaseSensitive(inspection, "defects");
  for(const cJSON *d = cJSON_IsArray(ds) ? ds->child : NULL; d; d = d->next) {
    const char *code = sr_json_str(d, "code");
    char clean[64];
    snprintf(clean, sizeof clean, "%s", code ? code : "");
    for(char *s = clean; *s; s++) /* as the plugins make a condition of a code */
      if(*s == ':')
        *s = '_';
    if(code && strcmp(clean, condition) == 0)
      return d;
  }
  return NULL;
}

enum sr_err sr_inspection_hazards_open(struct sr_ctx *c, const struct sr_eqtype *t, long eid, const cJSON *inspection,
                                 const cJSON *found, struct sr_problem *pb)
{
  if(cJSON_GetArraySize(found) == 0)
    return SR_OK;
  char rule[200];
  snprintf(rule, sizeof rule, "%s@%s", t->file, t->version);
  /* The agency may not write hazards on units it does not own; the core has decided to. */
  if(!sr_tx_as_system(c, true, pb))
    return pb->err;
  for(const cJSON *h = found->child; h && pb->err == SR_OK; h = h->next) {
    cJSON *facts = cJSON_CreateObject();
    static const char *const copied[] = { "report_number", "kind", "inspected_on", "conclusion", "conclusion_text", NULL };
    for(const char *const *k = copied; *k; k++)
      if(sr_json_str(inspection, *k))
        cJSON_AddStringToObject(facts, *k, sr_json_str(inspection, *k));
    const cJSON *grade = cJSON_GetObjectItemCaseSensitive(inspection, "safety_grade");
    if(cJSON_IsNumber(grade))
      cJSON_AddNumberToObject(facts, "safety_grade", grade->valuedouble);
    const cJSON *defect = strcmp(sr_json_str(h, "source"), "defect") == 0 ? defect_of(inspection, sr_json_str(h, "condition")) : NULL;
    if(defect)
      cJSON_AddItemToObject(facts, "defect", cJSON_Duplicate(defect, 1));
    cJSON_AddStringToObject(facts, "decided_by", rule);
    cJSON_AddStringToObject(facts, "reason", sr_json_str(h, "reason"));
    struct sr_hazard_new n = { eid, sr_json_str(h, "source"), sr_json_str(h, "condition"), sr_json_str(inspection, "report_number"),
                               sr_json_str(h, "grade"), sr_json_str(h, "level"), rule, sr_json_str(h, "reason"), facts, NULL };
    long id;
    sr_escalation_open(c, &n, &id, pb);
    cJSON_Delete(facts);
  }
  if(pb->err != SR_OK)
    return pb->err;
  return sr_tx_as_system(c, false, pb) ? SR_OK : pb->err;
}
