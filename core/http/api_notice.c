/* api_notice.c -- the routes of subscriptions, their deliveries and the notice formats. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "delivery.h"
#include "plugin.h"
#include "subscription.h"

void sr_h_subscription_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_subscription_create(&call->ctx, body, &call->json, &call->pb) == SR_OK)
    sr_api_created(call, "/api/v1/subscriptions");
  cJSON_Delete(body);
}

void sr_h_subscription_list(struct sr_call *call)
{
  static const char *const q[] = { "limit", "cursor", "count", NULL };
  struct sr_subscription_filter f = { 0, 0, false };
  if(sr_call_query_only(call, q) && sr_api_page(call, &f.limit, &f.after_id) && sr_api_total(call, &f.count))
    sr_subscription_list(&call->ctx, &f, &call->json, &call->pb);
}

void sr_h_subscription_get(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_subscription_get(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    sr_api_etag(call, call->json);
}

void sr_h_subscription_update(struct sr_call *call) { sr_api_change(call, sr_subscription_update); }

void sr_h_subscription_delete(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_subscription_delete(&call->ctx, call->id, &call->pb) == SR_OK)
    call->status = 204;
}

void sr_h_subscription_rotate(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_api_no_fields(call) && sr_subscription_rotate(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    sr_api_etag(call, call->json);
}

void sr_h_subscription_test(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_api_no_fields(call) && sr_subscription_ping(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    call->status = 202;
}

void sr_h_subscription_replay(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_subscription_replay(&call->ctx, call->id, body, &call->json, &call->pb) == SR_OK)
    call->status = 202;
  cJSON_Delete(body);
}

void sr_h_subscription_deliveries(struct sr_call *call)
{
  static const char *const q[] = { "status", "limit", "cursor", "count", NULL };
  static const char *const statuses[] = { "pending", "delivered", "failed", NULL };
  struct sr_delivery_filter f = { call->id, NULL, 0, 0, false };
  if(!sr_call_query_only(call, q) || !sr_api_page(call, &f.limit, &f.after_id) || !sr_api_total(call, &f.count))
    return;
  f.status = sr_api_enum(call, "status", statuses, "pending, delivered, failed");
  if(call->pb.err != SR_OK) {
    call->pb.err = SR_BAD_REQUEST;
    return;
  }
  sr_delivery_list(&call->ctx, &f, &call->json, &call->pb);
}

void sr_h_delivery_get(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q))
    sr_delivery_get(&call->ctx, call->id, &call->json, &call->pb);
}

void sr_h_delivery_replay(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_api_no_fields(call) && sr_delivery_replay(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    call->status = 202;
}

/* The formats a subscription may name: the core's own and the loaded plugins'. */
void sr_h_notice_formats(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(!sr_call_query_only(call, q))
    return;
  cJSON *items = cJSON_CreateArray();
  cJSON *std = cJSON_CreateObject();
  cJSON_AddStringToObject(std, "name", "standard");
  cJSON_AddStringToObject(std, "title", "Standard Webhooks JSON");
  cJSON_AddStringToObject(std, "content_type", "application/json");
  cJSON_AddNullToObject(std, "plugin");
  cJSON_AddItemToArray(items, std);
  for(int i = 0; i < sr_plugins_nformats(call->ctx.plugins); i++) {
    const struct sr_notice_format *f = sr_plugins_format_at(call->ctx.plugins, i);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "title", f->title);
    cJSON_AddStringToObject(o, "content_type", f->content_type);
    char plugin[160];
    snprintf(plugin, sizeof plugin, "%s@%s", f->file, f->version);
    cJSON_AddStringToObject(o, "plugin", plugin);
    cJSON_AddItemToArray(items, o);
  }
  call->json = cJSON_CreateObject();
  cJSON_AddItemToObject(call->json, "items", items);
}
