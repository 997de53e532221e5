/*
 * http.c -- see http.h. The order of work on a request is the point of this file: everything
 * that can be decided from the request line and the headers (the route, framing, media type,
 * the caller's token and role, the body's size and the memory it would take) is decided before
 * a byte of the body is read; only a known caller allowed on the route gets its body buffered,
 * under a ceiling per request and a ceiling for all requests together.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "db.h"
#include "evidence.h"
#include "http_guard.h"
#include "http_session.h"
#include "http_static.h"
#include "i18n.h"
#include "idempotency.h"
#include "log.h"
#include "metrics.h"
#include "plugin.h"
#include "sr_limits.h"
#include "util.h"

struct sr_request {
  struct MHD_Connection *conn;
  const struct sr_route *route; /* found from the headers, before the body */
  const struct sr_static_file *file; /* or one of the dashboard's files (http_static.h) */
  long path_id;
  bool path_known;
  char allow[64];
  bool started;                 /* the headers have been looked at */
  bool has_body;                /* the request announces a body */
  struct sr_principal who;      /* the caller, known before the body is read */
  struct sr_problem early;      /* a refusal decided from the headers, answered once they are done */
  struct sr_buf body;
  size_t reserved;              /* bytes of the shared body memory this request holds */
  bool too_large, too_busy;
  bool answered;
  enum sr_lang lang;            /* of the answer's messages, from Accept-Language */
  int status;
  struct timespec start;
  char id[24];
  char method[8];
  char path[160];               /* for the log: no control characters */
  char instance[200];           /* for problems: printable UTF-8, or the bytes %-escaped */
};

static atomic_long request_seq;

/* ==== request helpers for handlers ==== */

const char *sr_call_query(struct sr_call *call, const char *name)
{
  return MHD_lookup_connection_value(call->rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sr_call_header(struct sr_call *call, const char *name)
{
  return MHD_lookup_connection_value(call->rq->conn, MHD_HEADER_KIND, name);
}

struct params_walk {
  void (*fn)(void *cls, const char *name, const char *value);
  void *cls;
};

static enum MHD_Result walk_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  (void)kind;
  struct params_walk *w = cls;
  w->fn(w->cls, key, value);
  return MHD_YES;
}

static const char *params_get(void *ud, const char *name) { return sr_call_query(ud, name); }

static void params_each(void *ud, void (*fn)(void *cls, const char *name, const char *value), void *cls)
{
  struct sr_call *call = ud;
  struct params_walk w = { fn, cls };
  MHD_get_connection_values(call->rq->conn, MHD_GET_ARGUMENT_KIND, walk_arg, &w);
}

struct sr_params sr_call_params(struct sr_call *call)
{
  struct sr_params q = { params_get, params_each, call };
  return q;
}

bool sr_call_query_only(struct sr_call *call, const char *const *allowed)
{
  struct sr_params q = sr_call_params(call);
  return sr_params_only(&q, allowed, &call->pb);
}

/* ==== answering ==== */

struct answer {
  const char *content_type, *etag, *location, *allow, *disposition, *retry_after, *set_cookie;
  bool replayed, close;
};

/* Queues <len> bytes of <text> (malloced; the response owns it) with the headers every answer
 * carries. */
static enum MHD_Result respond_bytes(struct sr_request *rq, int status, char *text, size_t len,
                                     const struct answer *a)
{
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if(!resp) {
    free(text);
    return MHD_NO;
  }
  if(status != 204)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "X-Request-Id", rq->id);
  if(a->etag && a->etag[0])
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
  if(a->location && a->location[0])
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, a->location);
  if(a->allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, a->allow);
  if(a->disposition && a->disposition[0])
    MHD_add_response_header(resp, "Content-Disposition", a->disposition);
  if(a->retry_after)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, a->retry_after);
  if(a->set_cookie && a->set_cookie[0])
    MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, a->set_cookie);
  if(a->replayed)
    MHD_add_response_header(resp, "Idempotent-Replayed", "true");
  else if(a->content_type && strncmp(a->content_type, "application/problem+json", 24) == 0) {
    /* A problem's words are in the language asked for (a replay's are the first answer's). */
    MHD_add_response_header(resp, "Content-Language", sr_i18n_tag(sr_i18n_lang()));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Language");
  }
  if(a->close)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  if(status == 401)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"sereg\"");
  enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned)status, resp);
  MHD_destroy_response(resp);
  rq->status = status;
  rq->answered = true;
  return ret;
}

static enum MHD_Result respond_json(struct sr_request *rq, int status, const cJSON *json, const struct answer *a)
{
  char *text = json ? cJSON_PrintUnformatted(json) : strdup("");
  if(!text)
    return MHD_NO;
  return respond_bytes(rq, status, text, strlen(text), a);
}

static enum MHD_Result respond_problem(struct sr_request *rq, const struct sr_problem *pb, const char *allow,
                                       bool close)
{
  enum sr_err e = pb->err == SR_OK ? SR_INTERNAL : pb->err;
  cJSON *j = sr_problem_json(pb, rq->instance);
  char retry[24];
  snprintf(retry, sizeof retry, "%ld", pb->retry_after > 0 ? pb->retry_after : 1);
  struct answer a = { .content_type = "application/problem+json", .allow = allow, .close = close,
                      .retry_after = pb->retry_after > 0 || e == SR_UNAVAILABLE ? retry : NULL };
  enum MHD_Result ret = respond_json(rq, sr_err_status(e), j, &a);
  cJSON_Delete(j);
  return ret;
}

static enum MHD_Result simple_problem(struct sr_request *rq, enum sr_err e, const char *detail, const char *allow,
                                      bool close)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  sr_problem_set(&pb, e, "%s", _(detail));
  enum MHD_Result ret = respond_problem(rq, &pb, allow, close);
  sr_problem_free(&pb);
  return ret;
}

/* True when the Content-Type <ct> is <type>, with or without parameters. */
static bool is_type(const char *ct, const char *type)
{
  if(!ct)
    return false;
  while(*ct == ' ')
    ct++;
  size_t n = strlen(type);
  return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* ==== the headers, before any body ==== */

struct framing {
  int content_length, transfer_encoding;
  bool chunked;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  (void)kind;
  struct framing *f = cls;
  if(strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
    f->content_length++;
  else if(strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
    f->transfer_encoding++;
    f->chunked = value && strcasecmp(value, "chunked") == 0;
  }
  return MHD_YES;
}

/* Framing that two HTTP parsers (a proxy's and ours) could read differently is refused, so a
 * request cannot be smuggled inside another: two Content-Lengths, Content-Length with
 * Transfer-Encoding, or a transfer coding other than plain chunked. */
static const char *framing_error(struct MHD_Connection *conn, bool *has_body)
{
  struct framing f = { 0, 0, false };
  MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  *has_body = f.transfer_encoding > 0 || (cl && strcmp(cl, "0") != 0);
  if(f.content_length > 1)
    return N_("The request has more than one Content-Length.");
  if(f.transfer_encoding > 1)
    return N_("The request has more than one Transfer-Encoding.");
  if(f.transfer_encoding && f.content_length)
    return N_("The request has both Content-Length and Transfer-Encoding.");
  if(f.transfer_encoding && !f.chunked)
    return N_("The only transfer coding taken is chunked.");
  return NULL;
}

/* The ceiling of the body of <route>: files take the configured evidence ceiling, other routes
 * their own or the default. */
static size_t body_ceiling(const struct sr_route *route)
{
  if(route && route->binary)
    return sr_evidence_max();
  return route && route->max_body ? route->max_body : SR_MAX_BODY;
}

/* A query argument whose name or value holds a NUL (%00): C would read it cut short there, so
 * `status=open%00x` would pass as `status=open`. The first such name goes into <cls>. */
struct nul_arg {
  char name[64];
  bool found;
};

static enum MHD_Result find_nul_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                    const char *value, size_t value_size)
{
  (void)kind;
  struct nul_arg *n = cls;
  if(strlen(key) == key_size && (!value || strlen(value) == value_size))
    return MHD_YES;
  n->found = true;
  snprintf(n->name, sizeof n->name, "%s", key);
  return MHD_NO;
}

/* Everything decided from the headers. A refusal lands in rq->early; the caller answers it
 * now when a body would follow (so that it is never read) and otherwise after the headers. */
static void check_headers(struct sr_request *rq, const char *method)
{
  struct sr_problem *pb = &rq->early;
  const struct sr_route *route = rq->route;
  if(!route) {
    if(rq->path_known)
      sr_problem_set(pb, SR_METHOD, "This resource does not take that method.");
    else
      sr_problem_set(pb, SR_NOT_FOUND, "There is no such resource.");
    return;
  }
  struct nul_arg nul = { .found = false };
  MHD_get_connection_values_n(rq->conn, MHD_GET_ARGUMENT_KIND, find_nul_arg, &nul);
  if(nul.found) {
    sr_problem_set(pb, SR_BAD_REQUEST, "A query parameter holds a NUL character.");
    sr_problem_field(pb, nul.name[0] ? nul.name : "query", "must not hold a NUL character (%%00)");
    return;
  }
  const char *ctype = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
  /* A body is JSON (or what the route takes), also when a route may go without one. */
  bool bodied = strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0;
  if(bodied && !route->binary && !(route->bodyless && !rq->has_body) && !is_type(ctype, "application/json") &&
     !(route->ndjson && is_type(ctype, "application/x-ndjson")) && !(route->csv && is_type(ctype, "text/csv"))) {
    /* The one route that takes NDJSON takes CSV as well. */
    sr_problem_set(pb, SR_UNSUPPORTED_MEDIA, route->csv ? "Send the body as application/json, application/x-ndjson or text/csv."
                                                        : "Send the body as application/json.");
    return;
  }
  /* A body announced over the ceiling is refused before it is read. */
  const char *cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  long len = 0;
  if(cl && sr_parse_long(cl, 0, 1L << 60, &len) && (size_t)len > rq->body.max) {
    sr_problem_set(pb, SR_TOO_LARGE, "The body is larger than %zu bytes.", rq->body.max);
    return;
  }
  if(route->public)
    return;
  char err[512];
  const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization"), *why = NULL;
  const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Cookie");
  const char *csrf = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-CSRF-Token");
  PGconn *db = NULL;
  enum sr_err e = SR_UNAVAILABLE;
  /* A connection that broke under the look-up is replaced once, as a request's would be. */
  for(int attempt = 0; attempt < 2 && e == SR_UNAVAILABLE; attempt++) {
    db = sr_db_thread(err, sizeof err);
    if(!db) {
      sr_error("%s", err);
      break;
    }
    e = sr_http_session_authenticate(db, method, auth, cookie, csrf, &rq->who, &why);
    if(e != SR_UNAVAILABLE || PQstatus(db) == CONNECTION_OK)
      break;
  }
  if(!db) {
    sr_problem_set(pb, SR_UNAVAILABLE, "The database is unavailable.");
    return;
  }
  if(e != SR_OK) {
    sr_problem_set(pb, e, "%s", _(why));
    return;
  }
  struct sr_ctx c = { .db = db, .who = rq->who, .today = sr_today(), .request_id = rq->id };
  if(!sr_route_permits(route, &c, rq->path_id, pb))
    return;
  /* The whole announced body is reserved now: a request the shared ceiling cannot take is
   * told to come back, not read. */
  if(len > 0) {
    size_t want = (size_t)len + 1;
    if(!sr_guard_reserve(want)) {
      sr_guard_count_refused();
      sr_problem_set(pb, SR_UNAVAILABLE, "The server is busy receiving other requests; send it again shortly.");
      return;
    }
    rq->reserved = want;
    if(!sr_buf_grow(&rq->body, want))
      sr_problem_set(pb, SR_UNAVAILABLE, "The server is out of memory; send it again shortly.");
  }
}

/* Bytes of the body as they arrive: kept while under both ceilings, read and dropped past them,
 * so that memory stays bounded and the answer comes once the body has ended. */
static void take_body(struct sr_request *rq, const char *data, size_t n)
{
  sr_guard_received(rq->conn, n);
  if(rq->too_large || rq->too_busy)
    return;
  if(n > rq->body.max || rq->body.len > rq->body.max - n) {
    rq->too_large = true;
    return;
  }
  size_t need = rq->body.len + n + 1;
  if(need > rq->body.cap) { /* a chunked body: grow by doubling, each step reserved first */
    size_t cap = rq->body.cap ? rq->body.cap * 2 : 64 * 1024;
    if(cap < need)
      cap = need;
    if(cap > rq->body.max + 1)
      cap = rq->body.max + 1;
    if(!sr_guard_reserve(cap - rq->body.cap)) {
      sr_guard_count_refused();
      rq->too_busy = true;
      return;
    }
    rq->reserved += cap - rq->body.cap;
    if(!sr_buf_grow(&rq->body, cap)) {
      rq->too_busy = true;
      return;
    }
  }
  sr_buf_append(&rq->body, data, n);
}

/* ==== the handler, with Idempotency-Key ==== */

static enum MHD_Result key_problem(struct sr_request *rq, enum sr_err e, const char *detail, const char *why)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  sr_problem_set(&pb, e, "%s", _(detail));
  sr_problem_field(&pb, "Idempotency-Key", "%s", why ? _(why) : _(detail));
  enum MHD_Result ret = respond_problem(rq, &pb, NULL, false);
  sr_problem_free(&pb);
  return ret;
}

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  (void)kind;
  struct sr_buf *b = cls;
  sr_buf_printf(b, "%zu:%s%zu:%s", strlen(key), key, value ? strlen(value) : 0, value ? value : "");
  return MHD_YES;
}

/* The hash an Idempotency-Key is bound to: method, path, query, Content-Type, If-Match, body. */
static void request_hash(struct sr_call *call, const char *method, const char *url, char hash[65])
{
  struct sr_buf q;
  sr_buf_init(&q, 64 * 1024);
  MHD_get_connection_values(call->rq->conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
  struct sr_idem_request r = { method, url, q.data ? q.data : "", call->content_type,
                               sr_call_header(call, "If-Match"), call->body, call->body_len };
  sr_idem_hash(&r, hash);
  sr_buf_free(&q);
}

/* The answer of a handler that ran, as a status and a body text (malloced). */
static char *outcome_text(const struct sr_call *call, const struct sr_request *rq, int *status)
{
  bool failed = call->pb.err != SR_OK;
  *status = failed ? sr_err_status(call->pb.err) : call->status;
  if(call->text && !failed)
    return strdup(call->text);
  cJSON *j = failed ? sr_problem_json(&call->pb, rq->instance) : NULL;
  const cJSON *answer = failed ? j : call->json;
  char *text = answer ? cJSON_PrintUnformatted(answer) : strdup(""); /* a body-less answer is kept too */
  cJSON_Delete(j);
  return text;
}

/* Runs the handler inside the key's transaction and answers. Returns false when nothing was
 * answered and the request may be run again (the database went away before anything was
 * committed); *ret is set otherwise. */
static bool run_keyed(struct sr_request *rq, struct sr_call *call, const char *key, const char *hash,
                      enum MHD_Result *ret)
{
  struct sr_idem_outcome o;
  memset(&o, 0, sizeof o);
  switch(sr_idem_begin(&call->ctx, key, hash, &o)) {
  case SR_IDEM_CLAIMED:
    break;
  case SR_IDEM_REPLAY: {
    struct answer a = { .content_type = o.status >= 400 ? "application/problem+json" : "application/json; charset=utf-8",
                        .etag = o.etag, .location = o.location, .replayed = true };
    *ret = respond_bytes(rq, o.status, o.response, strlen(o.response), &a);
    return true;
  }
  case SR_IDEM_MISMATCH:
    *ret = key_problem(rq, SR_INVALID, "This Idempotency-Key was used with another request.", NULL);
    return true;
  case SR_IDEM_RUNNING:
    *ret = key_problem(rq, SR_CONFLICT, "The request with this Idempotency-Key is still being served.", NULL);
    return true;
  case SR_IDEM_ERROR:
    return false;
  }
  call->rq->route->handler(call);
  int status;
  char *text = outcome_text(call, rq, &status);
  if(status >= 500 || status == 429 || !text) {
    /* A failure on the server's side, or a refusal for now (a quota), keeps nothing: the work
     * and the claim roll back together, and a retry with the key runs again. */
    free(text);
    sr_idem_abandon(&call->ctx);
    return false;
  }
  bool failed = call->pb.err != SR_OK;
  o.status = status;
  o.response = text;
  if(!failed) {
    snprintf(o.etag, sizeof o.etag, "%s", call->etag);
    snprintf(o.location, sizeof o.location, "%s", call->location);
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  if(!sr_idem_commit(&call->ctx, key, hash, &o, &pb)) {
    free(text);
    sr_problem_free(&call->pb);
    call->pb = pb; /* the commit's own failure is the answer */
    return false;
  }
  sr_problem_free(&pb);
  struct answer a = { .content_type = failed ? "application/problem+json" : "application/json; charset=utf-8",
                      .etag = o.etag, .location = o.location };
  *ret = respond_bytes(rq, status, text, strlen(text), &a);
  return true;
}

static enum MHD_Result answer_call(struct sr_request *rq, struct sr_call *call)
{
  if(call->pb.err != SR_OK)
    return respond_problem(rq, &call->pb, NULL, false);
  if(call->set_cookie[0]) {
    struct answer a = { .content_type = "application/json; charset=utf-8", .set_cookie = call->set_cookie };
    return respond_json(rq, call->status, call->json, &a);
  }
  if(call->text) {
    size_t len = call->text_len ? call->text_len : strlen(call->text);
    struct answer a = { .content_type = call->text_type, .disposition = call->disposition };
    char *text = call->text;
    call->text = NULL; /* the response owns it now */
    return respond_bytes(rq, call->status, text, len, &a);
  }
  struct answer a = { .content_type = "application/json; charset=utf-8", .etag = call->etag,
                      .location = call->location };
  return respond_json(rq, call->status, call->json, &a);
}

static void call_reset(struct sr_call *call, struct sr_request *rq)
{
  free(call->text);
  cJSON_Delete(call->json);
  sr_problem_free(&call->pb);
  memset(call, 0, sizeof *call);
  call->rq = rq;
  call->id = rq->path_id;
  call->status = 200;
  call->body = rq->body.data;
  call->body_len = rq->body.len;
  call->content_type = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
  call->ndjson = is_type(call->content_type, "application/x-ndjson");
  call->csv = is_type(call->content_type, "text/csv");
  call->ctx.today = sr_today();
  call->ctx.request_id = rq->id;
  call->ctx.who = rq->who;
  sr_problem_init(&call->pb);
}

/* Runs the route's handler with the caller's identity, database and plugins. A request whose
 * database connection broke before it committed anything is run once more on a new one (after
 * a PostgreSQL restart, say), so that the client does not pay for the server's reconnect. */
static enum MHD_Result dispatch(struct sr_request *rq, const char *method, const char *url)
{
  const struct sr_route *route = rq->route;
  const char *field = strcmp(method, "POST") == 0 && !route->public
                          ? MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Idempotency-Key")
                          : NULL;
  char key_buf[SR_IDEM_KEY_MAX + 1];
  const char *why = field ? sr_idem_key_parse(field, key_buf) : NULL, *key = field ? key_buf : NULL;
  if(why)
    return key_problem(rq, SR_BAD_REQUEST, "An Idempotency-Key is a quoted string of 1 to 255 printable ASCII "
                                           "characters, e.g. \"abc\".", why);
  struct sr_call call;
  memset(&call, 0, sizeof call);
  enum MHD_Result ret = MHD_NO;
  char err[512], hash[65] = "";
  for(int attempt = 0; attempt < 2; attempt++) {
    call_reset(&call, rq);
    if(route->needs_db || !route->public) {
      call.ctx.db = sr_db_thread(err, sizeof err);
      if(!call.ctx.db) {
        sr_error("%s", err);
        sr_problem_set(&call.pb, SR_UNAVAILABLE, "The database is unavailable.");
        break;
      }
    }
    if(!route->public) {
      call.ctx.plugins = sr_plugins_thread(err, sizeof err);
      if(!call.ctx.plugins) {
        sr_error("plugins: %s", err);
        sr_problem_set(&call.pb, SR_UNAVAILABLE, "No rule plugins are loaded.");
        break;
      }
    }
    if(key) {
      if(!hash[0])
        request_hash(&call, method, url, hash);
      if(run_keyed(rq, &call, key, hash, &ret))
        goto done;
      if(call.pb.err == SR_OK)
        sr_problem_set(&call.pb, SR_UNAVAILABLE, "The database is unavailable.");
    }
    else
      route->handler(&call);
    if(call.pb.err == SR_PLUGIN && sr_plugins_interrupted()) { /* not the plugin's fault: we are stopping */
      sr_problem_free(&call.pb);
      sr_problem_set(&call.pb, SR_UNAVAILABLE, "The server is stopping; send the request again.");
    }
    bool broken = call.ctx.db && PQstatus(call.ctx.db) != CONNECTION_OK;
    if(!(broken && sr_err_status(call.pb.err) >= 500 && !call.ctx.tx_committed))
      break;
    sr_warn("database connection lost during request %s; running it again on a new connection", rq->id);
  }
  ret = answer_call(rq, &call);
done:
  free(call.text);
  cJSON_Delete(call.json);
  sr_problem_free(&call.pb);
  return ret;
}

/* ==== libmicrohttpd's callbacks ==== */

/* The problem's "instance": the path when it is printable UTF-8, else its bytes %-escaped,
 * so that a problem is always valid JSON text whatever the client sent. */
static void make_instance(char *out, size_t outsz, const char *uri)
{
  size_t n = strcspn(uri, "?");
  bool plain = sr_utf8_valid(uri, n);
  for(size_t i = 0; plain && i < n; i++)
    if((unsigned char)uri[i] < 0x20 || uri[i] == 0x7f)
      plain = false;
  size_t o = 0;
  for(size_t i = 0; i < n && o + 4 < outsz; i++) {
    unsigned char ch = (unsigned char)uri[i];
    if(plain || (ch >= 0x21 && ch < 0x7f && ch != '%'))
      out[o++] = (char)ch;
    else
      o += (size_t)snprintf(out + o, outsz - o, "%%%02X", ch);
  }
  out[o] = '\0';
  if(plain)
    sr_utf8_trim(out);
}

/* The request line is in: a request begins, and its headers are on the clock. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
  (void)cls;
  struct sr_request *rq = calloc(1, sizeof *rq);
  if(!rq)
    return NULL;
  rq->conn = conn;
  sr_problem_init(&rq->early);
  clock_gettime(CLOCK_MONOTONIC, &rq->start);
  snprintf(rq->id, sizeof rq->id, "%lx-%lx", (long)time(NULL) & 0xffffff, atomic_fetch_add(&request_seq, 1) + 1);
  snprintf(rq->path, sizeof rq->path, "%s", uri);
  rq->file = sr_static_find(uri); /* from the target as sent, before libmicrohttpd unescapes it */
  for(char *c = rq->path; *c; c++) /* the path goes into the log: no control characters */
    if((unsigned char)*c < 0x20 || *c == 0x7f)
      *c = '?';
  sr_guard_phase(conn, SR_GUARD_HEADERS);
  return rq;
}

static enum MHD_Result first_call(struct sr_request *rq, const char *url, const char *method)
{
  rq->started = true;
  rq->lang = sr_i18n_from_accept(MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Accept-Language"));
  sr_i18n_use(rq->lang);
  snprintf(rq->method, sizeof rq->method, "%s", method);
  make_instance(rq->instance, sizeof rq->instance, url);
  sr_guard_phase(rq->conn, SR_GUARD_BODY);
  const char *framing = framing_error(rq->conn, &rq->has_body);
  if(framing) /* answered at once, and the connection closed: what follows cannot be trusted */
    return simple_problem(rq, SR_BAD_REQUEST, framing, NULL, true);
  if(rq->file && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
    return MHD_YES; /* a page or an asset: public, no route, answered once the headers are done */
  rq->file = NULL;
  rq->route = sr_route_find(method, url, &rq->path_id, &rq->path_known, rq->allow, sizeof rq->allow);
  sr_buf_init(&rq->body, body_ceiling(rq->route));
  check_headers(rq, method);
  /* Answering on this first call makes libmicrohttpd close the connection, so a refusal is
   * answered now only when a body would follow, which is then never read. */
  if(rq->early.err != SR_OK && rq->has_body)
    return respond_problem(rq, &rq->early, rq->early.err == SR_METHOD ? rq->allow : NULL, true);
  return MHD_YES;
}

static enum MHD_Result serve_request(struct sr_request *rq, const char *url, const char *method,
                                     const char *upload_data, size_t *upload_data_size)
{
  if(!rq->started)
    return first_call(rq, url, method);
  if(rq->answered) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  if(*upload_data_size > 0) {
    take_body(rq, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  sr_guard_phase(rq->conn, SR_GUARD_SERVING);
  if(rq->file) {
    rq->answered = true;
    return (enum MHD_Result)sr_static_answer(rq->conn, rq->file, MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_IF_NONE_MATCH), rq->id, &rq->status);
  }
  if(rq->early.err != SR_OK)
    return respond_problem(rq, &rq->early, rq->early.err == SR_METHOD ? rq->allow : NULL, false);
  if(rq->too_large)
    return simple_problem(rq, SR_TOO_LARGE, "The body is larger than the ceiling of this resource.", NULL, false);
  if(rq->too_busy) {
    sr_guard_count_refused();
    return simple_problem(rq, SR_UNAVAILABLE, "The server is busy receiving other requests; send it again shortly.",
                          NULL, false);
  }
  return dispatch(rq, method, url);
}

/* Each call of a request speaks its language; the thread is English between requests. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
  (void)cls;
  (void)version;
  (void)conn;
  struct sr_request *rq = *con_cls;
  if(!rq) /* on_uri ran out of memory */
    return MHD_NO;
  sr_i18n_use(rq->lang);
  enum MHD_Result ret = serve_request(rq, url, method, upload_data, upload_data_size);
  sr_i18n_use(SR_LANG_EN);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  struct sr_request *rq = *con_cls;
  sr_guard_phase(conn, SR_GUARD_WAIT);
  if(!rq)
    return;
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ms = (double)(end.tv_sec - rq->start.tv_sec) * 1e3 + (double)(end.tv_nsec - rq->start.tv_nsec) / 1e6;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  char peer[64] = "-";
  if(ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, peer, sizeof peer);
  if(rq->answered)
    sr_metrics_request(rq->status, ms);
  sr_info("%s %s status=%d duration_ms=%.2f peer=%s id=%s%s", rq->method[0] ? rq->method : "-", rq->path, rq->status,
          ms, peer, rq->id, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
  sr_guard_release(rq->reserved);
  sr_buf_free(&rq->body);
  sr_problem_free(&rq->early);
  free(rq);
  *con_cls = NULL;
}

/* libmicrohttpd's own messages: <fmt> is its format string. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  sr_warn("http: %s", line);
}

/* ==== the server ==== */

struct sr_http {
  struct MHD_Daemon *daemon;
};

struct sr_http *sr_http_start(const struct sr_server_options *opt, const struct sr_http_limits *limits)
{
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)opt->port);
  if(inet_pton(AF_INET, opt->host, &addr.sin_addr) != 1) {
    sr_error("--listen: '%s' is not an IPv4 address", opt->host);
    return NULL;
  }
  struct sr_http *h = calloc(1, sizeof *h);
  sr_static_load(SR_WEBDIR, SR_CHARTJS);
  if(!h || !sr_guard_start(limits)) {
    free(h);
    return NULL;
  }
  h->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)opt->port, NULL, NULL, on_request,
      NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opt->threads, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, sr_guard_notify, NULL,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)limits->idle_timeout, MHD_OPTION_CONNECTION_LIMIT,
      limits->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits->max_per_ip, MHD_OPTION_END);
  if(!h->daemon) {
    sr_error("cannot listen on %s:%d", opt->host, opt->port);
    sr_guard_stop();
    free(h);
    return NULL;
  }
  return h;
}

void sr_http_stop(struct sr_http *h)
{
  if(!h)
    return;
  MHD_stop_daemon(h->daemon);
  sr_guard_stop();
  sr_static_unload();
  free(h);
}
