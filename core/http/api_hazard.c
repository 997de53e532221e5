/* api_hazard.c -- HTTP handlers for hazards, rectifications and evidence. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "evidence.h"
#include "hazard.h"
#include "listing.h"
#include "plugin.h"
#include "rectification.h"
#include "sql.h"
#include "util.h"

void sr_h_hazard_list(struct sr_call *call) { sr_api_list(call, "hazards"); }

void sr_h_hazard_get(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_hazard_get(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    sr_api_etag(call, call->json);
}


void sr_h_hazard_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_hazard_report(&call->ctx, body, &call->json, &call->pb) == SR_OK)
    sr_api_created(call, "/api/v1/hazards");
  cJSON_Delete(body);
}

/* ==== rectifications ==== */

void sr_h_rect_list(struct sr_call *call) { sr_api_list(call, "rectifications"); }

void sr_h_rect_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_rectification_open(&call->ctx, body, &call->json, &call->pb) == SR_OK)
    sr_api_created(call, "/api/v1/rectifications");
  cJSON_Delete(body);
}

void sr_h_rect_get(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_rectification_get(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    sr_api_etag(call, call->json);
}

void sr_h_rect_transition(struct sr_call *call) { sr_api_change(call, sr_rectification_transition); }

/* ==== evidence ==== */

/* The file is the body, sent with its own Content-Type; its name comes in the query. */
void sr_h_evidence_create(struct sr_call *call)
{
  static const char *const q[] = { "name", NULL };
  if(!sr_call_query_only(call, q))
    return;
  int status = 201;
  if(sr_evidence_store(&call->ctx, sr_call_query(call, "name"), call->content_type, call->body, call->body_len,
                       &call->json, &status, &call->pb) == SR_OK)
    call->status = status;
}

/* GET /evidence?sha256=: the file itself, as an attachment under its own name. */
void sr_h_evidence_get(struct sr_call *call)
{
  static const char *const q[] = { "sha256", NULL };
  if(!sr_call_query_only(call, q))
    return;
  char *data, type[64], name[201];
  size_t len;
  if(sr_evidence_fetch(&call->ctx, sr_call_query(call, "sha256"), &data, &len, type, name, &call->pb) != SR_OK)
    return;
  static char types[][64] = { "image/jpeg", "image/png", "image/webp", "application/pdf" };
  call->text_type = "application/octet-stream";
  for(size_t i = 0; i < sizeof types / sizeof *types; i++)
    if(strcmp(types[i], type) == 0)
      call->text_type = types[i];
  /* RFC 6266 / 8187: the name percent-encoded as UTF-8, so no byte of it can break the header. */
  char *d = call->disposition;
  size_t left = sizeof call->disposition;
  int n = snprintf(d, left, "attachment; filename*=UTF-8''");
  for(const unsigned char *s = (const unsigned char *)name; *s && (size_t)n + 4 < left; s++)
    n += (*s < 0x80 && (isalnum(*s) || strchr("-._~", *s))) ? snprintf(d + n, left - (size_t)n, "%c", *s)
                                                            : snprintf(d + n, left - (size_t)n, "%%%02X", *s);
  call->text = data; /* NUL-terminated too, so an empty file is "" */
  call->text_len = len;
}

/* ==== the rules in force ==== */

void sr_h_workflows(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(!sr_call_query_only(call, q))
    return;
  cJSON *items = cJSON_CreateArray();
  for(int i = 0; i < sr_plugins_nworkflows(call->ctx.plugins); i++) {
    const struct sr_workflow *w = sr_plugins_workflow_at(call->ctx.plugins, i);
    cJSON *o = cJSON_Duplicate(w->spec, 1);
    cJSON_AddStringToObject(o, "plugin", w->file);
    cJSON_AddItemToArray(items, o);
  }
  call->json = cJSON_CreateObject();
  cJSON_AddItemToObject(call->json, "items", items);
}

void sr_h_escalation(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(!sr_call_query_only(call, q))
    return;
  const struct sr_ladder *l = sr_plugins_ladder(call->ctx.plugins);
  if(!l) {
    sr_problem_set(&call->pb, SR_NOT_FOUND, "No escalation ladder is loaded.");
    return;
  }
  call->json = cJSON_Duplicate(l->spec, 1);
  cJSON_AddStringToObject(call->json, "plugin", l->file);
}
