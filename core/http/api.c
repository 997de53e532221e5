/*
 * api.c -- the route table and the handlers behind it. Handlers only parse, call one domain
 * function and shape the answer; the domain functions do the work and check permissions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accreditation.h"
#include "db.h"
#include "equipment.h"
#include "auth.h"
#include "hazard.h"
#include "http.h"
#include "http_guard.h"
#include "i18n.h"
#include "inspection.h"
#include "inspection_csv.h"
#include "json.h"
#include "lifecycle.h"
#include "export.h"
#include "listing.h"
#include "metrics.h"
#include "org.h"
#include "plugin.h"
#include "plugin_activation.h"
#include "rectification.h"
#include "session.h"
#include "sql.h"
#include "sr_limits.h"
#include "api_int.h"

cJSON *sr_api_body(struct sr_call *call)
{
  return sr_json_parse_object(call->body, call->body_len, &call->pb);
}

bool sr_api_no_fields(struct sr_call *call)
{
  if(call->body_len == 0)
    return true;
  /* A body sent anyway is held to the rules of every body: JSON, and nothing in it that would
   * be silently ignored. */
  cJSON *body = sr_api_body(call);
  if(!body)
    return false;
  const cJSON *m;
  cJSON_ArrayForEach(m, body)
    sr_problem_field(&call->pb, m->string, "this request takes no fields");
  cJSON_Delete(body);
  return sr_problem_nfields(&call->pb) == 0;
}

void sr_api_etag(struct sr_call *call, const cJSON *rec)
{
  const cJSON *v = cJSON_GetObjectItem(rec, "version");
  if(cJSON_IsNumber(v))
    snprintf(call->etag, sizeof call->etag, "\"%d\"", v->valueint);
}

void sr_api_created(struct sr_call *call, const char *collection)
{
  const cJSON *id = cJSON_GetObjectItem(call->json, "id");
  call->status = 201;
  sr_api_etag(call, call->json);
  if(cJSON_IsNumber(id))
    snprintf(call->location, sizeof call->location, "%s/%.0f", collection, id->valuedouble);
}

/* limit and cursor of a list in id order. */
bool sr_api_page(struct sr_call *call, long *limit, long *after)
{
  struct sr_params q = sr_call_params(call);
  return sr_listing_id_page(&q, limit, after, &call->pb);
}

bool sr_api_total(struct sr_call *call, bool *count)
{
  struct sr_params q = sr_call_params(call);
  if(sr_listing_total(&q, count, &call->pb))
    return true;
  call->pb.err = SR_BAD_REQUEST;
  return false;
}

const char *sr_api_enum(struct sr_call *call, const char *name, const char *const *allowed, const char *say)
{
  struct sr_params q = sr_call_params(call);
  return sr_params_enum(&q, name, allowed, say, &call->pb);
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

/* Operational figures for anyone (a scraper needs no account to see the server is up); the
 * registry's own figures only with the token of an administrator or the city supervisor. */
static void h_metrics(struct sr_call *call)
{
  const char *auth = sr_call_header(call, "Authorization");
  bool business = false;
  if(auth) {
    char err[256];
    struct sr_principal who;
    PGconn *db = sr_db_thread(err, sizeof err);
    enum sr_err e = db ? sr_authenticate(db, auth, &who) : SR_UNAVAILABLE;
    if(e == SR_UNAUTHORIZED) {
      sr_problem_set(&call->pb, e, "Send a valid token, or none for the operational figures only.");
      return;
    }
    business = e == SR_OK && (who.role == SR_ROLE_ADMIN || who.role == SR_ROLE_CITY);
  }
  char dberr[256];
  PGconn *gauges = sr_db_thread(dberr, sizeof dberr);
  if(gauges)
    sr_session_gauge(gauges);
  struct sr_buf b;
  sr_buf_init(&b, 1 << 20);
  struct sr_guard_stats g;
  sr_guard_stats(&g);
  bool ok = sr_metrics_render(&b, business) &&
            sr_buf_printf(&b, "# HELP sereg_http_connections Connections open now.\n# TYPE sereg_http_connections gauge\n"
                              "sereg_http_connections %ld\n"
                              "# HELP sereg_http_body_bytes Request body bytes held in memory now.\n"
                              "# TYPE sereg_http_body_bytes gauge\nsereg_http_body_bytes %lld\n"
                              "# HELP sereg_http_connections_cut_total Connections cut for missing a deadline, by "
                              "what they were waiting for.\n# TYPE sereg_http_connections_cut_total counter\n"
                              "sereg_http_connections_cut_total{phase=\"request_line\"} %ld\n"
                              "sereg_http_connections_cut_total{phase=\"headers\"} %ld\n"
                              "sereg_http_connections_cut_total{phase=\"body\"} %ld\n"
                              "# HELP sereg_http_bodies_refused_total Requests refused because all bodies in flight "
                              "held the memory ceiling.\n# TYPE sereg_http_bodies_refused_total counter\n"
                              "sereg_http_bodies_refused_total %ld\n",
                          g.connections, g.body_bytes, g.cut_wait, g.cut_headers, g.cut_body, g.refused_memory);
  if(!ok) {
    sr_buf_free(&b);
    sr_problem_set(&call->pb, SR_INTERNAL, "out of memory");
    return;
  }
  call->text = b.data;
  call->text_type = "text/plain; version=0.0.4; charset=utf-8";
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

/* ==== the plugin set in force and its record ==== */

static void h_plugins(struct sr_call *call)
{
  static const char *const q[] = { "limit", "cursor", "count", NULL };
  long limit, after;
  bool count;
  if(sr_call_query_only(call, q) && sr_api_page(call, &limit, &after) && sr_api_total(call, &count))
    sr_plugin_activation_list(&call->ctx, limit, after, count, &call->json, &call->pb);
}

/* ==== organizations ==== */

static void h_org_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_org_create(&call->ctx, body, &call->json, &call->pb) == SR_OK)
    call->status = 201;
  cJSON_Delete(body);
}

/* GET /api/v1/{kind}: the list, read by the parser scripts share (listing.h); with format=csv
 * or xlsx (or Accept asking for one) every matching row as a file (export.h). */
void sr_api_list(struct sr_call *call, const char *kind)
{
  struct sr_params q = sr_call_params(call);
  enum sr_export_as as;
  enum sr_sheet_format f;
  if(!sr_export_wanted(kind, &q, sr_call_header(call, "Accept"), &as, &f, &call->pb))
    return;
  struct sr_export_params x;
  struct sr_params without = sr_export_params(&q, &x);
  if(as == SR_EXPORT_JSON) {
    sr_listing_page(&call->ctx, kind, &without, &call->json, &call->pb);
    return;
  }
  struct sr_export file;
  if(sr_export_list(&call->ctx, kind, &q, f, &file, &call->pb) != SR_OK)
    return;
  call->text = file.data;
  call->text_len = file.len;
  call->text_type = file.content_type;
  snprintf(call->disposition, sizeof call->disposition, "%s", file.disposition);
}

static void list_of(struct sr_call *call, const char *kind) { sr_api_list(call, kind); }

static void h_org_list(struct sr_call *call) { list_of(call, "organizations"); }

/* ==== equipment ==== */

static void h_eq_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_equipment_register(&call->ctx, body, &call->json, &call->pb) == SR_OK)
    sr_api_created(call, "/api/v1/equipment");
  cJSON_Delete(body);
}

static void h_eq_list(struct sr_call *call) { list_of(call, "equipment"); }

static void h_eq_get(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q) && sr_equipment_get(&call->ctx, call->id, &call->json, &call->pb) == SR_OK)
    sr_api_etag(call, call->json);
}

static void h_eq_history(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q))
    sr_equipment_history(&call->ctx, call->id, &call->json, &call->pb);
}

/* If-Match (RFC 9110 section 13.1.1): "*", any current version, or a list of entity tags, each
 * "N" for version N. The comparison is strong: a weak tag (W/"3") is well-formed but names no
 * version, so a list of weak tags alone is 412, never a match. False when the field is not
 * that grammar (a bare 3 included: an ETag is always sent in quotes). */
static bool parse_if_match(const char *h, struct sr_versions *m, bool *too_many)
{
  memset(m, 0, sizeof *m);
  *too_many = false;
  const char *p = h + strspn(h, " \t");
  if(*p == '*') {
    m->any = true;
    return p[1 + strspn(p + 1, " \t")] == '\0';
  }
  int tags = 0;
  for(;;) {
    p += strspn(p, " \t,"); /* empty list elements are allowed (RFC 9110 section 5.6.1) */
    if(!*p)
      return tags > 0;
    bool weak = strncmp(p, "W/", 2) == 0;
    if(weak)
      p += 2;
    if(*p != '"')
      return false;
    const char *open = ++p;
    while(*p && *p != '"') {
      unsigned char ch = (unsigned char)*p;
      if(ch < 0x21 || ch == 0x7f) /* etagc: visible characters and obs-text */
        return false;
      p++;
    }
    if(*p != '"')
      return false;
    char num[16];
    size_t len = (size_t)(p - open);
    long v;
    p++;
    tags++;
    if(!weak && len < sizeof num) {
      memcpy(num, open, len);
      num[len] = '\0';
      if(sr_parse_long(num, 1, 1L << 40, &v)) {
        if(m->n == SR_IF_MATCH_MAX) {
          *too_many = true;
          return false;
        }
        m->v[m->n++] = v;
      }
    }
    p += strspn(p, " \t");
    if(*p && *p != ',')
      return false;
  }
}

bool sr_api_if_match(struct sr_call *call, struct sr_versions *versions)
{
  const char *h = sr_call_header(call, "If-Match");
  if(!h) {
    sr_problem_set(&call->pb, SR_PRECONDITION_REQUIRED,
                   "Send If-Match with the version (ETag) you last read, so changes are not lost.");
    return false;
  }
  bool too_many;
  if(!parse_if_match(h, versions, &too_many)) {
    sr_problem_set(&call->pb, SR_BAD_REQUEST, "If-Match must be the ETag of the record, e.g. \"3\", a list of "
                                              "ETags, or *.");
    if(too_many)
      sr_problem_field(&call->pb, "If-Match", "names more than %d versions", SR_IF_MATCH_MAX);
    else
      sr_problem_field(&call->pb, "If-Match", "must be *, or entity tags such as \"3\" separated by commas");
    call->pb.err = SR_BAD_REQUEST;
    return false;
  }
  return true;
}

void sr_api_change(struct sr_call *call, sr_versioned_change change)
{
  struct sr_versions versions;
  if(!sr_api_if_match(call, &versions))
    return;
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(change(&call->ctx, call->id, &versions, body, &call->json, &call->pb) == SR_OK)
    sr_api_etag(call, call->json);
  cJSON_Delete(body);
}

static void h_eq_transition(struct sr_call *call) { sr_api_change(call, sr_equipment_transition); }

static void h_eq_due(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q))
    sr_equipment_due(&call->ctx, call->id, &call->json, &call->pb);
}

/* ==== accreditations ==== */

static void h_acc_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  if(sr_accreditation_create(&call->ctx, call->id, body, &call->json, &call->pb) == SR_OK)
    call->status = 201;
  cJSON_Delete(body);
}

static void h_acc_list(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(sr_call_query_only(call, q))
    sr_accreditation_list(&call->ctx, call->id, &call->json, &call->pb);
}

/* ==== inspections ==== */

static void h_insp_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  sr_inspection_record(&call->ctx, body, &call->json, &call->status, &call->pb);
  cJSON_Delete(body);
}

/*
 * A batch body as a list of items: a JSON array, or NDJSON with one object per line. An NDJSON
 * line that does not parse becomes a string item holding the reason, which the batch refuses on
 * its own line; a JSON body that does not parse is refused whole.
 */
static cJSON *batch_items(struct sr_call *call)
{
  if(!call->ndjson)
    return sr_json_parse_array(call->body, call->body_len, &call->pb);
  cJSON *items = cJSON_CreateArray();
  const char *p = call->body ? call->body : "", *end = p + call->body_len;
  int line = 0, n = 0; /* n counted here: cJSON_GetArraySize walks the list, n squared in all */
  while(p < end && n <= SR_BATCH_MAX) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = (size_t)((nl ? nl : end) - p);
    line++;
    if(len > 0 && p[len - 1] == '\r')
      len--;
    bool blank = true;
    for(size_t i = 0; i < len && blank; i++)
      blank = p[i] == ' ' || p[i] == '\t';
    if(!blank) {
      struct sr_problem lpb;
      sr_problem_init(&lpb);
      cJSON *o = sr_json_parse_object(p, len, &lpb);
      if(!o) {
        char why[600];
        snprintf(why, sizeof why, "line %d: %s", line, lpb.detail);
        o = cJSON_CreateString(why);
      }
      cJSON_AddItemToArray(items, o);
      n++;
      sr_problem_free(&lpb);
    }
    p = nl ? nl + 1 : end;
  }
  return items;
}

/* The encoding a text/csv Content-Type declares ("; charset=GBK"), or NULL to detect it. False
 * when it declares one the reader does not know. */
static bool csv_charset(const char *ct, const char **enc)
{
  static const char *const names[][2] = { { "utf-8", "UTF-8" },     { "utf8", "UTF-8" },
                                          { "gb18030", "GB18030" }, { "gbk", "GB18030" },
                                          { "gb2312", "GB18030" },  { "utf-16le", "UTF-16LE" },
                                          { "utf-16be", "UTF-16BE" } };
  *enc = NULL;
  const char *p = ct;
  while(p && *p && strncasecmp(p, "charset=", 8) != 0)
    p++;
  if(!p || !*p)
    return true;
  p += strlen("charset=");
  char v[32];
  size_t n = 0;
  if(*p == '"')
    p++;
  while(*p && *p != ';' && *p != '"' && *p != ' ' && n + 1 < sizeof v)
    v[n++] = *p++;
  v[n] = '\0';
  for(size_t i = 0; i < sizeof names / sizeof *names; i++)
    if(strcasecmp(v, names[i][0]) == 0) {
      *enc = names[i][1];
      return true;
    }
  return false;
}

/*
 * A text/csv body as batch items, one per row (inspection_csv.h); <lines> gets the line of the
 * file each item began on, for the answer to say.
 */
static cJSON *csv_items(struct sr_call *call, cJSON *lines)
{
  const char *enc;
  if(!csv_charset(call->content_type, &enc)) {
    sr_problem_set(&call->pb, SR_UNSUPPORTED_MEDIA, "Send text/csv in UTF-8, GB18030 (GBK) or UTF-16.");
    return NULL;
  }
  char err[512];
  struct sr_csv *csv = sr_csv_open_mem_as(call->body ? call->body : "", call->body_len, "the body", enc, err, sizeof err);
  if(!csv) {
    sr_problem_set(&call->pb, SR_BAD_REQUEST, "The file cannot be read: %s.", err);
    return NULL;
  }
  struct sr_insp_csv *r = sr_insp_csv_open(csv, &call->pb);
  cJSON *items = r ? cJSON_CreateArray() : NULL;
  int n = 0;
  for(;;) {
    if(!items)
      break;
    cJSON *item = NULL;
    char **f;
    int nf;
    long line;
    enum sr_csv_status st = sr_insp_csv_next(r, &item, &f, &nf, &line, &call->pb);
    if(st == SR_CSV_EOF)
      break;
    if(st != SR_CSV_ROW || ++n > SR_BATCH_MAX) {
      cJSON_Delete(item);
      if(st == SR_CSV_ROW)
        sr_problem_set(&call->pb, SR_INVALID, "A batch holds 1 to %d results.", SR_BATCH_MAX);
      cJSON_Delete(items);
      items = NULL;
      break;
    }
    cJSON_AddItemToArray(items, item);
    cJSON_AddItemToArray(lines, cJSON_CreateNumber((double)line));
  }
  if(items && n == 0) {
    sr_problem_set(&call->pb, SR_INVALID, "The file holds a header but no results.");
    sr_problem_field(&call->pb, "body", "has no rows under its header");
    cJSON_Delete(items);
    items = NULL;
  }
  sr_insp_csv_free(r);
  sr_csv_close(csv);
  return items;
}

static void h_insp_batch(struct sr_call *call)
{
  static const char *const q[] = { NULL };
  if(!sr_call_query_only(call, q))
    return;
  if(call->csv) {
    cJSON *lines = cJSON_CreateArray();
    cJSON *items = lines ? csv_items(call, lines) : NULL;
    if(items && sr_inspection_batch(&call->ctx, items, &call->json, &call->pb) == SR_OK && call->json) {
      /* Each answer's index is its row's place among the results; its line is where it is in the file. */
      const cJSON *l = lines->child;
      for(cJSON *a = cJSON_GetObjectItem(call->json, "items")->child; a && l; a = a->next, l = l->next)
        cJSON_AddNumberToObject(a, "line", l->valuedouble);
    }
    cJSON_Delete(items);
    cJSON_Delete(lines);
    return;
  }
  cJSON *items = batch_items(call);
  if(!items)
    return;
  sr_inspection_batch(&call->ctx, items, &call->json, &call->pb);
  cJSON_Delete(items);
}

static void h_insp_list(struct sr_call *call) { list_of(call, "inspections"); }

/* Probes for routes that refuse a role before its body: is the record there to see? */
static enum sr_err probe_equipment(struct sr_ctx *c, long id, struct sr_problem *pb)
{
  cJSON *rec = NULL;
  enum sr_err e = sr_equipment_get(c, id, &rec, pb);
  cJSON_Delete(rec);
  return e;
}

static enum sr_err probe_rectification(struct sr_ctx *c, long id, struct sr_problem *pb)
{
  cJSON *rec = NULL;
  enum sr_err e = sr_rectification_get(c, id, &rec, pb);
  cJSON_Delete(rec);
  return e;
}

/* Who may act in a workflow, or upload the evidence its steps cite: whoever the plugins name,
 * but never an agency (it sees no supervision records) or the administrator (no business
 * writes); the workflow itself decides each step. */
#define SR_RL_WORKFLOW (SR_RL_SUPERVISORS | SR_RL(USER_UNIT) | SR_RL(COORDINATOR))
/* Who keeps subscriptions: the administrator and the city any, a district its own, a user unit
 * its own equipment's (subscription.h). */
#define SR_RL_NOTICES (SR_RL_SUPERVISORS | SR_RL(ADMIN) | SR_RL(USER_UNIT))

const struct sr_route sr_routes[] = {
  { .method = "GET", .pattern = "/healthz", .handler = h_healthz, .public = true, .needs_db = false, .summary = N_("liveness") },
  { .method = "GET", .pattern = "/metrics", .handler = h_metrics, .public = true, .needs_db = false, .summary = N_("Prometheus metrics") },
  { .method = "GET", .pattern = "/readyz", .handler = h_readyz, .public = true, .needs_db = true, .summary = N_("readiness: database, schema and plugins") },
  { .method = "POST", .pattern = "/api/v1/session", .handler = sr_h_session_create, .public = true, .needs_db = true, .summary = N_("log in with an account's name and password"), .max_body = SR_SESSION_BODY_MAX },
  { .method = "GET", .pattern = "/api/v1/session", .handler = sr_h_session_get, .public = false, .needs_db = true, .summary = N_("who the session is, and its CSRF token") },
  { .method = "DELETE", .pattern = "/api/v1/session", .handler = sr_h_session_delete, .public = false, .needs_db = true, .summary = N_("log out: the session revoked") },
  { .method = "GET", .pattern = "/api/v1/jurisdictions", .handler = h_jurisdictions, .public = false, .needs_db = true, .summary = N_("list jurisdictions") },
  { .method = "GET", .pattern = "/api/v1/equipment-types", .handler = h_types, .public = false, .needs_db = true, .summary = N_("list loaded equipment types") },
  { .method = "GET", .pattern = "/api/v1/plugins", .handler = h_plugins, .public = false, .needs_db = true, .summary = N_("the plugin set in force and which was active when") },
  { .method = "GET", .pattern = "/api/v1/organizations", .handler = h_org_list, .public = false, .needs_db = true, .summary = N_("list organizations") },
  { .method = "POST", .pattern = "/api/v1/organizations", .handler = h_org_create, .public = false, .needs_db = true, .summary = N_("register an organization"), .roles = SR_RL_SUPERVISORS },
  { .method = "GET", .pattern = "/api/v1/equipment", .handler = h_eq_list, .public = false, .needs_db = true, .summary = N_("list equipment") },
  { .method = "POST", .pattern = "/api/v1/equipment", .handler = h_eq_create, .public = false, .needs_db = true, .summary = N_("register equipment"), .roles = SR_RL_SUPERVISORS | SR_RL(USER_UNIT) },
  { .method = "GET", .pattern = "/api/v1/equipment/{id}", .handler = h_eq_get, .public = false, .needs_db = true, .summary = N_("read equipment") },
  { .method = "GET", .pattern = "/api/v1/equipment/{id}/history", .handler = h_eq_history, .public = false, .needs_db = true, .summary = N_("equipment history") },
  { .method = "POST", .pattern = "/api/v1/equipment/{id}/transitions", .handler = h_eq_transition, .public = false, .needs_db = true, .summary = N_("apply a lifecycle action"), .roles = SR_RL_SUPERVISORS | SR_RL(USER_UNIT),
    .probe = probe_equipment },
  { .method = "GET", .pattern = "/api/v1/equipment/{id}/due", .handler = h_eq_due, .public = false, .needs_db = true, .summary = N_("why and when the unit falls due") },
  { .method = "GET", .pattern = "/api/v1/organizations/{id}/accreditations", .handler = h_acc_list, .public = false, .needs_db = true, .summary = N_("an agency's accreditations") },
  { .method = "POST", .pattern = "/api/v1/organizations/{id}/accreditations", .handler = h_acc_create, .public = false, .needs_db = true, .summary = N_("accredit an agency"), .roles = SR_RL(CITY) },
  { .method = "GET", .pattern = "/api/v1/inspections", .handler = h_insp_list, .public = false, .needs_db = true, .summary = N_("list inspection results") },
  { .method = "POST", .pattern = "/api/v1/inspections", .handler = h_insp_create, .public = false, .needs_db = true, .summary = N_("upload an inspection result"), .roles = SR_RL(AGENCY) },
  { .method = "POST", .pattern = "/api/v1/inspections:batch", .handler = h_insp_batch, .public = false, .needs_db = true, .summary = N_("upload up to 10,000 results"),
    .max_body = SR_MAX_BATCH_BODY, .ndjson = true, .csv = true, .roles = SR_RL(AGENCY) },
  { .method = "GET", .pattern = "/api/v1/figures", .handler = sr_h_figures, .public = false, .needs_db = true, .summary = N_("the oversight figures of a period, per jurisdiction in scope"), .roles = SR_RL_SUPERVISORS | SR_RL(ADMIN) | SR_RL(COORDINATOR) },
  { .method = "GET", .pattern = "/api/v1/hazards", .handler = sr_h_hazard_list, .public = false, .needs_db = true, .summary = N_("list hazards") },
  { .method = "POST", .pattern = "/api/v1/hazards", .handler = sr_h_hazard_create, .public = false, .needs_db = true, .summary = N_("report a hazard (patrol or supervisor)"), .roles = SR_RL_SUPERVISORS | SR_RL(COORDINATOR) },
  { .method = "GET", .pattern = "/api/v1/hazards/{id}", .handler = sr_h_hazard_get, .public = false, .needs_db = true, .summary = N_("a hazard, its history and why") },
  { .method = "GET", .pattern = "/api/v1/workflows", .handler = sr_h_workflows, .public = false, .needs_db = true, .summary = N_("the rectification workflows in force") },
  { .method = "GET", .pattern = "/api/v1/escalation", .handler = sr_h_escalation, .public = false, .needs_db = true, .summary = N_("the escalation ladder in force") },
  { .method = "GET", .pattern = "/api/v1/rectifications", .handler = sr_h_rect_list, .public = false, .needs_db = true, .summary = N_("list rectifications") },
  { .method = "POST", .pattern = "/api/v1/rectifications", .handler = sr_h_rect_create, .public = false, .needs_db = true, .summary = N_("open a rectification for hazards"), .roles = SR_RL_WORKFLOW },
  { .method = "GET", .pattern = "/api/v1/rectifications/{id}", .handler = sr_h_rect_get, .public = false, .needs_db = true, .summary = N_("a rectification, its history and allowed actions") },
  { .method = "POST", .pattern = "/api/v1/rectifications/{id}/transitions", .handler = sr_h_rect_transition, .public = false, .needs_db = true, .summary = N_("take a workflow action"), .roles = SR_RL_WORKFLOW,
    .probe = probe_rectification },
  { .method = "GET", .pattern = "/api/v1/evidence", .handler = sr_h_evidence_get, .public = false, .needs_db = true, .summary = N_("download an evidence file by its SHA-256") },
  { .method = "POST", .pattern = "/api/v1/evidence", .handler = sr_h_evidence_create, .public = false, .needs_db = true, .summary = N_("upload an evidence file"),
    .binary = true, .roles = SR_RL_WORKFLOW },
  { .method = "GET", .pattern = "/api/v1/notice-formats", .handler = sr_h_notice_formats, .public = false, .needs_db = true, .summary = N_("the formats a subscription may name"), .roles = SR_RL_NOTICES },
  { .method = "GET", .pattern = "/api/v1/subscriptions", .handler = sr_h_subscription_list, .public = false, .needs_db = true, .summary = N_("list subscriptions"), .roles = SR_RL_NOTICES },
  { .method = "POST", .pattern = "/api/v1/subscriptions", .handler = sr_h_subscription_create, .public = false, .needs_db = true, .summary = N_("subscribe a receiver to notices"), .roles = SR_RL_NOTICES },
  { .method = "GET", .pattern = "/api/v1/subscriptions/{id}", .handler = sr_h_subscription_get, .public = false, .needs_db = true, .summary = N_("a subscription"), .roles = SR_RL_NOTICES },
  { .method = "PATCH", .pattern = "/api/v1/subscriptions/{id}", .handler = sr_h_subscription_update, .public = false, .needs_db = true, .summary = N_("change a subscription"), .roles = SR_RL_NOTICES },
  { .method = "DELETE", .pattern = "/api/v1/subscriptions/{id}", .handler = sr_h_subscription_delete, .public = false, .needs_db = true, .summary = N_("remove a subscription"), .roles = SR_RL_NOTICES },
  { .method = "POST", .pattern = "/api/v1/subscriptions/{id}/secret", .handler = sr_h_subscription_rotate, .public = false, .needs_db = true, .summary = N_("rotate a subscription's signing secret"), .roles = SR_RL_NOTICES, .bodyless = true },
  { .method = "POST", .pattern = "/api/v1/subscriptions/{id}/test", .handler = sr_h_subscription_test, .public = false, .needs_db = true, .summary = N_("send a test notice now"), .roles = SR_RL_NOTICES, .bodyless = true },
  { .method = "POST", .pattern = "/api/v1/subscriptions/{id}/replay", .handler = sr_h_subscription_replay, .public = false, .needs_db = true, .summary = N_("send a window of deliveries again"), .roles = SR_RL_NOTICES },
  { .method = "GET", .pattern = "/api/v1/subscriptions/{id}/deliveries", .handler = sr_h_subscription_deliveries, .public = false, .needs_db = true, .summary = N_("a subscription's deliveries and their attempts"), .roles = SR_RL_NOTICES },
  { .method = "GET", .pattern = "/api/v1/deliveries/{id}", .handler = sr_h_delivery_get, .public = false, .needs_db = true, .summary = N_("a delivery and its attempts"), .roles = SR_RL_NOTICES },
  { .method = "POST", .pattern = "/api/v1/deliveries/{id}/replay", .handler = sr_h_delivery_replay, .public = false, .needs_db = true, .summary = N_("send a delivery again"), .roles = SR_RL_NOTICES, .bodyless = true },
  { .method = NULL },
};
