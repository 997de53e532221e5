/*
 * api.c -- the route table and the handlers behind it. Handlers only parse, call one domain
 * function and shape the answer; the domain functions do the work and check permissions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "equipment.h"
#include "http.h"
#include "json.h"
#include "lifecycle.h"
#include "org.h"
#include "plugin.h"
#include "sql.h"
#include "sr_limits.h"

static cJSON *parse_body(struct sr_call *call)
{
  return sr_json_parse_object(call->body, call->body_len, &call->pb);
}

static void set_etag(struct sr_call *call, const cJSON *rec)
{
  const cJSON *v = cJSON_GetObjectItem(rec, "version");
  if(cJSON_IsNumber(v))
    snprintf(call->etag, sizeof call->etag, "\"%d\"", v->valueint);
}

/* limit and cursor, shared by every list. */
static bool page_params(struct sr_call *call, long *limit, long *after)
{
  const char *l = sr_call_query(call, "limit");
  const char *cur = sr_call_query(call, "cursor");
  *limit = SR_LIST_DEFAULT;
  *after = 0;
  if(l && !sr_parse_long(l, 1, SR_LIST_MAX, limit))
    sr_problem_field(&call->pb, "limit", "must be a whole number from 1 to %d", SR_LIST_MAX);
  if(cur && !sr_cursor_decode(cur, after))
    sr_problem_field(&call->pb, "cursor", "is not a cursor this server handed out");
  if(call->pb.err == SR_INVALID)
    call->pb.err = SR_BAD_REQUEST;
  return call->pb.err == SR_OK;
}

/* ==== health ==== */

static void h_healthz(struct sr_call *call)
{
  call->json = cJSON_CreateObject();
  cJSON_AddStringToObject(call->json, "status", "ok");
}

static void h_readyz(struct sr_call *call)
{
  char err[256];
  PGresult *r = sr_db_exec(call->ctx.db, "SELECT coalesce(max(version), 0) FROM schema_migration", 0, NULL);
  bool db_ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  long schema = db_ok ? atol(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  struct sr_plugins *p = sr_plugins_thread(err, sizeof err);
  if(!db_ok || schema == 0 || !p) {
    sr_problem_set(&call->pb, SR_UNAVAILABLE, "Not ready: %s", !db_ok ? "the database does not answer"
                                                              : schema == 0 ? "the schema is not migrated"
                                                                            : "no plugins are loaded");
    return;
  }
  call->json = cJSON_CreateObject();
  cJSON_AddStringToObject(call->json, "status", "ready");
  cJSON_AddNumberToObject(call->json, "schema_version", (double)schema);
  cJSON_AddNumberToObject(call->json, "equipment_types", sr_plugins_ntypes(p));
}

/* ==== reference data ==== */

static void h_jurisdictions(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q))
    sr_jurisdiction_list(&call->ctx, &call->json, &call->pb);
}

static void h_types(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(!sr_call_query_only(call, q))
    return;
  call->json = cJSON_CreateObject();
  cJSON *items = cJSON_AddArrayToObject(call->json, "items");
  for(int i = 0; i < sr_plugins_ntypes(call->ctx.plugins); i++) {
    const struct sr_eqtype *t = sr_plugins_type_at(call->ctx.plugins, i);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", t->code);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "plugin", t->file);
    cJSON_AddStringToObject(o, "version", t->version);
    cJSON_AddStringToObject(o, "registration_class", t->registration_class);
    cJSON_AddItemToObject(o, "attributes_schema", sr_eqtype_schema_json(t));
    cJSON_AddItemToArray(items, o);
  }
}

/* ==== organizations ==== */

static void h_org_create(struct sr_call *call)
{
  cJSON *body = parse_body(call);
  if(!body)
    return;
  if(sr_org_create(&call->ctx, body, &call->json, &call->pb) == SR_OK)
    call->status = 201;
  cJSON_Delete(body);
}

static void h_org_list(struct sr_call *call)
{
  static const char *const q[] = { "kind", "jurisdiction", "limit", "cursor", NULL };
  struct sr_org_filter f = { sr_call_query(call, "kind"), sr_call_query(call, "jurisdiction"), 0, 0 };
  if(sr_call_query_only(call, q) && page_params(call, &f.limit, &f.after_id))
    sr_org_list(&call->ctx, &f, &call->json, &call->pb);
}

/* ==== equipment ==== */

static void h_eq_create(struct sr_call *call)
{
  cJSON *body = parse_body(call);
  if(!body)
    return;
  if(sr_equipment_register(&call->ctx, body, &call->json, &call->pb) == SR_OK) {
    call->status = 201;
    set_etag(call, call->json);
    snprintf(call->location, sizeof call->location, "/api/v1/equipment/%d",
             cJSON_GetObjectItem(call->json, "id")->valueint);
  }
  cJSON_Delete(body);
}

static void h_eq_list(struct sr_call *call)
{
  static const char *const q[] = { "jurisdiction", "type", "status", "limit", "cursor", NULL };
  struct sr_equipment_filter f = { sr_call_query(call, "jurisdiction"), sr_call_query(call, "type"),
                                   sr_call_query(call, "status"), 0, 0 };
  if(!sr_call_query_only(call, q) || !page_params(call, &f.limit, &f.after_id))
    return;
  if(f.status && sr_status_parse(f.status) < 0) {
    sr_problem_set(&call->pb, SR_BAD_REQUEST, "Unknown status.");
    sr_problem_field(&call->pb, "status", "must be one of pending, in_service, suspended, scrapped, cancelled");
    return;
  }
  sr_equipment_list(&call->ctx, &f, &call->json, &call->pb);
}

static void h_eq_get(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_equipment_get(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    set_etag(call, call->json);
}

static void h_eq_history(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q))
    sr_equipment_history(&call->ctx, call->id, &call->json, &call->pb);
}

/* If-Match: "3", W/"3" or 3. */
static bool parse_if_match(const char *h, long *version)
{
  char buf[32];
  if(!h || strlen(h) >= sizeof buf)
    return false;
  if(strncmp(h, "W/", 2) == 0)
    h += 2;
  snprintf(buf, sizeof buf, "%s", h);
  char *s = buf;
  size_t n = strlen(s);
  if(n >= 2 && s[0] == '"' && s[n - 1] == '"') {
    s[n - 1] = '\0';
    s++;
  }
  return sr_parse_long(s, 1, 1L << 40, version);
}

static void h_eq_transition(struct sr_call *call)
{
  const char *h = sr_call_header(call, "If-Match");
  long version;
  if(!h) {
    sr_problem_set(&call->pb, SR_PRECONDITION_REQUIRED,
                   "Send If-Match with the version (ETag) you last read, so changes are not lost.");
    return;
  }
  if(!parse_if_match(h, &version)) {
    sr_problem_set(&call->pb, SR_BAD_REQUEST, "If-Match must be the ETag of the record, e.g. \"3\".");
    sr_problem_field(&call->pb, "If-Match", "must be a version number in quotes");
    call->pb.err = SR_BAD_REQUEST;
    return;
  }
  cJSON *body = parse_body(call);
  if(!body)
    return;
  if(sr_equipment_transition(&call->ctx, call->id, version, body, &call->json, &call->pb) == SR_OK)
    set_etag(call, call->json);
  cJSON_Delete(body);
}

const struct sr_route sr_routes[] = {
  { "GET", "/healthz", h_healthz, true, false, "liveness" },
  { "GET", "/readyz", h_readyz, true, true, "readiness: database, schema and plugins" },
  { "GET", "/api/v1/jurisdictions", h_jurisdictions, false, true, "list jurisdictions" },
  { "GET", "/api/v1/equipment-types", h_types, false, true, "list loaded equipment types" },
  { "GET", "/api/v1/organizations", h_org_list, false, true, "list organizations" },
  { "POST", "/api/v1/organizations", h_org_create, false, true, "register an organization" },
  { "GET", "/api/v1/equipment", h_eq_list, false, true, "list equipment" },
  { "POST", "/api/v1/equipment", h_eq_create, false, true, "register equipment" },
  { "GET", "/api/v1/equipment/{id}", h_eq_get, false, true, "read equipment" },
  { "GET", "/api/v1/equipment/{id}/history", h_eq_history, false, true, "equipment history" },
  { "POST", "/api/v1/equipment/{id}/transitions", h_eq_transition, false, true, "apply a lifecycle action" },
  { NULL, NULL, NULL, false, false, NULL },
};
