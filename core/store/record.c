/* record.c -- see record.h. */
#include "record.h"

#include <stdlib.h>

#include "db.h"
#include "tx.h"

cJSON *sr_change_new(void) { return cJSON_CreateObject(); }

cJSON *sr_change_history(cJSON *change, const char *of, const char *id, const char *action)
{
  cJSON *h = cJSON_AddObjectToObject(change, "history");
  cJSON_AddStringToObject(h, "of", of);
  cJSON_AddStringToObject(h, "id", id);
  cJSON_AddStringToObject(h, "action", action);
  return h;
}

void sr_change_audit(cJSON *change, const char *action, const char *target_type, const char *target_id,
                     cJSON *detail)
{
  cJSON *a = cJSON_AddObjectToObject(change, "audit");
  cJSON_AddStringToObject(a, "action", action);
  cJSON_AddStringToObject(a, "target_type", target_type);
  cJSON_AddStringToObject(a, "target_id", target_id);
  cJSON_AddItemToObject(a, "detail", detail ? detail : cJSON_CreateObject());
}

void sr_change_event(cJSON *change, const char *type, const char *subject_type, const char *subject_id,
                     const char *jurisdiction, cJSON *payload)
{
  cJSON *e = cJSON_AddObjectToObject(change, "event");
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddStringToObject(e, "subject_type", subject_type);
  cJSON_AddStringToObject(e, "subject_id", subject_id);
  if(jurisdiction)
    cJSON_AddStringToObject(e, "jurisdiction", jurisdiction);
  else
    cJSON_AddNullToObject(e, "jurisdiction"); /* refused by the outbox: every notice has one */
  cJSON_AddItemToObject(e, "payload", payload ? payload : cJSON_CreateObject());
}

bool sr_record(struct sr_ctx *c, const cJSON *changes, struct sr_problem *pb)
{
  char *text = cJSON_PrintUnformatted(changes);
  if(!text) {
    sr_problem_set(pb, SR_INTERNAL, "out of memory");
    return false;
  }
  /* One change or many: the function takes an array. */
  const char *p[] = { text };
  bool ok = sr_db_command(c->db,
                          cJSON_IsArray(changes) ? "SELECT sereg_record($1::jsonb)"
                                                 : "SELECT sereg_record(jsonb_build_array($1::jsonb))",
                          1, p, pb);
  free(text);
  return ok;
}

bool sr_record_commit(struct sr_ctx *c, cJSON *changes, struct sr_problem *pb)
{
  bool ok = sr_record(c, changes, pb) && sr_tx_commit(c, pb);
  cJSON_Delete(changes);
  if(!ok)
    sr_tx_rollback(c);
  return ok;
}
