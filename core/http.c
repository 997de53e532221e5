/* http.c -- see http.h. */
#include "http.h"
#include "evidence.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "db.h"
#include "idempotency.h"
#include "log.h"
#include "metrics.h"
#include "plugin.h"
#include "scheduler.h"
#include "sr_limits.h"
#include "util.h"

struct sr_request {
  struct MHD_Connection *conn;
  const struct sr_route *route; /* found from the headers, before the body */
  long path_id;
  bool path_known;
  char allow[64];
  struct sr_buf body;
  bool too_large;
  bool answered;
  int status;
  struct timespec start;
  char id[24];
  char method[8];
  char path[160];
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

struct query_check {
  const char *const *allowed;
  struct sr_problem *pb;
};

static enum MHD_Result check_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  (void)kind;
  struct query_check *qc = cls;
  const char *const *a;
  for(a = qc->allowed; *a; a++)
    if(strcmp(*a, key) == 0)
      break;
  char field[80];
  snprintf(field, sizeof field, "%.64s", sr_utf8_valid(key, strlen(key)) ? key : "?");
  if(!*a)
    sr_problem_field(qc->pb, field, "is not a known query parameter");
  else if(value && (!sr_utf8_valid(value, strlen(value)) || strlen(value) > 200))
    sr_problem_field(qc->pb, field, "must be UTF-8 of at most 200 bytes");
  return MHD_YES;
}

bool sr_call_query_only(struct sr_call *call, const char *const *allowed)
{
  struct query_check qc = { allowed, &call->pb };
  MHD_get_connection_values(call->rq->conn, MHD_GET_ARGUMENT_KIND, check_query_arg, &qc);
  if(call->pb.err == SR_INVALID) {
    call->pb.err = SR_BAD_REQUEST;
    snprintf(call->pb.detail, sizeof call->pb.detail, "Some query parameters are invalid; see errors.");
  }
  return call->pb.err == SR_OK;
}

/* ==== routing ==== */

/* Matches <path> against <pattern>; a "{id}" segment takes a positive decimal number. */
static bool match(const char *pattern, const char *path, long *id)
{
  while(*pattern && *path) {
    if(strncmp(pattern, "{id}", 4) == 0) {
      const char *end = path;
      while(*end >= '0' && *end <= '9')
        end++;
      if(end == path || end - path > 15 || (*end && *end != '/'))
        return false;
      *id = strtol(path, NULL, 10);
      if(*id <= 0)
        return false;
      pattern += 4;
      path = end;
      continue;
    }
    if(*pattern != *path)
      return false;
    pattern++;
    path++;
  }
  return *pattern == '\0' && *path == '\0';
}

/* The route for method+path; *path_known tells whether any method serves the path. */
static const struct sr_route *route_find(const char *method, const char *path, long *id, bool *path_known,
                                         char *allow, size_t allowsz)
{
  const struct sr_route *found = NULL;
  *path_known = false;
  allow[0] = '\0';
  for(const struct sr_route *r = sr_routes; r->method; r++) {
    long rid = 0;
    if(!match(r->pattern, path, &rid))
      continue;
    *path_known = true;
    if(strlen(allow) + strlen(r->method) + 3 < allowsz) {
      if(allow[0])
        strcat(allow, ", ");
      strcat(allow, r->method);
    }
    if(strcmp(r->method, method) == 0 && !found) {
      found = r;
      *id = rid;
    }
  }
  return found;
}

/* ==== answering ==== */

/* Queues <text> (malloced; the response owns it) with the headers every answer carries. */
static enum MHD_Result respond_text(struct sr_request *rq, int status, char *text, const char *content_type,
                                    const char *etag, const char *location, const char *allow, bool replayed,
                                    long retry_after)
{
  struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  if(!resp) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "X-Request-Id", rq->id);
  if(etag && etag[0])
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
  if(location && location[0])
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
  if(allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
  if(replayed)
    MHD_add_response_header(resp, "Idempotent-Replayed", "true");
  if(retry_after > 0) {
    char secs[24];
    snprintf(secs, sizeof secs, "%ld", retry_after);
    MHD_add_response_header(resp, "Retry-After", secs);
  }
  if(status == 401)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"sereg\"");
  enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned)status, resp);
  MHD_destroy_response(resp);
  rq->status = status;
  rq->answered = true;
  return ret;
}

static enum MHD_Result respond(struct sr_request *rq, int status, cJSON *json, const char *content_type,
                               struct sr_call *call, const char *allow, long retry_after)
{
  char *text = json ? cJSON_PrintUnformatted(json) : NULL;
  if(!text)
    text = strdup("");
  if(!text)
    return MHD_NO;
  return respond_text(rq, status, text, content_type, call ? call->etag : NULL, call ? call->location : NULL,
                      allow, false, retry_after);
}

static enum MHD_Result respond_problem(struct sr_request *rq, struct sr_problem *pb, const char *url,
                                       const char *allow)
{
  cJSON *j = sr_problem_json(pb, url);
  enum MHD_Result ret = respond(rq, sr_err_status(pb->err == SR_OK ? SR_INTERNAL : pb->err), j,
                                "application/problem+json", NULL, allow, pb->retry_after);
  cJSON_Delete(j);
  return ret;
}

static enum MHD_Result simple_problem(struct sr_request *rq, enum sr_err e, const char *url, const char *detail,
                                      const char *allow)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  sr_problem_set(&pb, e, "%s", detail);
  enum MHD_Result ret = respond_problem(rq, &pb, url, allow);
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

/* ==== Idempotency-Key ==== */

struct idem {
  bool active; /* this request claimed a key, so its outcome is to be kept */
  const char *key;
  long account;
};

static enum MHD_Result key_problem(struct sr_request *rq, enum sr_err e, const char *url, const char *detail)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  sr_problem_set(&pb, e, "%s", detail);
  sr_problem_field(&pb, "Idempotency-Key", "%s", detail);
  enum MHD_Result ret = respond_problem(rq, &pb, url, NULL);
  sr_problem_free(&pb);
  return ret;
}

/* Before a POST's handler runs: claims its Idempotency-Key, if it has one. Returns true when the
 * handler is to run; otherwise the answer (a replay or a problem) is already queued in <ret>. */
static bool idem_begin(struct sr_request *rq, struct sr_call *call, const char *method, const char *url,
                       struct idem *im, enum MHD_Result *ret)
{
  memset(im, 0, sizeof *im);
  const char *key = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Idempotency-Key");
  if(strcmp(method, "POST") != 0 || !key)
    return true;
  if(!sr_idem_key_ok(key)) {
    *ret = key_problem(rq, SR_BAD_REQUEST, url, "An Idempotency-Key is 1 to 255 printable ASCII characters.");
    return false;
  }
  /* The same key with another request is a client bug, not a retry: hash what makes a request. */
  size_t ml = strlen(method), ul = strlen(url);
  char *buf = malloc(ml + ul + 2 + call->body_len);
  if(!buf) {
    *ret = simple_problem(rq, SR_INTERNAL, url, "Out of memory.", NULL);
    return false;
  }
  memcpy(buf, method, ml);
  buf[ml] = ' ';
  memcpy(buf + ml + 1, url, ul);
  buf[ml + 1 + ul] = '\n';
  if(call->body_len)
    memcpy(buf + ml + ul + 2, call->body, call->body_len);
  char hash[65];
  sr_sha256_hex(buf, ml + ul + 2 + call->body_len, hash);
  free(buf);

  struct sr_idem_outcome o;
  memset(&o, 0, sizeof o);
  switch(sr_idem_claim(call->ctx.db, call->ctx.who.account_id, key, hash, &o)) {
  case SR_IDEM_CLAIMED:
    *im = (struct idem){ .active = true, .key = key, .account = call->ctx.who.account_id };
    return true;
  case SR_IDEM_REPLAY:
    *ret = respond_text(rq, o.status, o.response,
                        o.status >= 400 ? "application/problem+json" : "application/json; charset=utf-8", o.etag,
                        o.location, NULL, true, 0);
    return false;
  case SR_IDEM_MISMATCH:
    *ret = key_problem(rq, SR_INVALID, url, "This Idempotency-Key was used with another request.");
    return false;
  case SR_IDEM_RUNNING:
    *ret = key_problem(rq, SR_CONFLICT, url, "The request with this Idempotency-Key is still being served.");
    return false;
  case SR_IDEM_ERROR:
    break;
  }
  *ret = simple_problem(rq, SR_UNAVAILABLE, url, "The database is unavailable.", NULL);
  return false;
}

/* After the handler: keeps the outcome for retries and answers with it (true, <ret> set). A
 * server-side failure (5xx) or a refusal for now (429) gives the key back, so that a retry runs
 * again, and the caller answers the usual way (false). */
static bool idem_end(struct sr_request *rq, struct sr_call *call, const char *url, struct idem *im,
                     enum MHD_Result *ret)
{
  bool failed = call->pb.err != SR_OK;
  int status = failed ? sr_err_status(call->pb.err) : call->status;
  char *text = NULL;
  if(status < 500 && status != 429 && !call->text) {
    cJSON *j = failed ? sr_problem_json(&call->pb, url) : NULL;
    const cJSON *answer = failed ? j : call->json;
    text = answer ? cJSON_PrintUnformatted(answer) : strdup(""); /* a body-less answer is kept too */
    cJSON_Delete(j);
  }
  struct sr_idem_outcome o = { .status = status, .response = text };
  if(!failed) {
    snprintf(o.etag, sizeof o.etag, "%s", call->etag);
    snprintf(o.location, sizeof o.location, "%s", call->location);
  }
  if(!text || !sr_idem_finish(call->ctx.db, im->account, im->key, &o)) {
    sr_idem_release(call->ctx.db, im->account, im->key);
    free(text);
    return false;
  }
  *ret = respond_text(rq, status, text, failed ? "application/problem+json" : "application/json; charset=utf-8",
                      o.etag, o.location, NULL, false, 0);
  return true;
}

/* Runs the route's handler with the caller's identity, database and plugins. */
static enum MHD_Result dispatch(struct sr_request *rq, const struct sr_route *route, long id, const char *method,
                                const char *url)
{
  struct sr_call call;
  memset(&call, 0, sizeof call);
  call.rq = rq;
  call.id = id;
  call.status = 200;
  call.body = rq->body.data;
  call.body_len = rq->body.len;
  call.ctx.today = sr_today();
  call.ctx.request_id = rq->id;
  sr_problem_init(&call.pb);
  char err[512];

  const char *ctype = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
  call.content_type = ctype;
  if(strcmp(method, "POST") == 0 && !route->binary && !is_type(ctype, "application/json") &&
     !(route->ndjson && is_type(ctype, "application/x-ndjson")))
    return simple_problem(rq, SR_UNSUPPORTED_MEDIA, url,
                          route->ndjson ? "Send the body as application/json or application/x-ndjson."
                                        : "Send the body as application/json.", NULL);
  call.ndjson = is_type(ctype, "application/x-ndjson");
  if(route->needs_db || !route->public) {
    call.ctx.db = sr_db_thread(err, sizeof err);
    if(!call.ctx.db) {
      sr_error("%s", err);
      return simple_problem(rq, SR_UNAVAILABLE, url, "The database is unavailable.", NULL);
    }
  }
  if(!route->public) {
    const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization");
    enum sr_err e = sr_authenticate(call.ctx.db, auth, &call.ctx.who);
    if(e != SR_OK)
      return simple_problem(rq, e, url,
                            e == SR_UNAUTHORIZED ? "Send a valid token as 'Authorization: Bearer <token>'."
                                                 : "The database is unavailable.",
                            NULL);
    call.ctx.plugins = sr_plugins_thread(err, sizeof err);
    if(!call.ctx.plugins) {
      sr_error("plugins: %s", err);
      return simple_problem(rq, SR_UNAVAILABLE, url, "No rule plugins are loaded.", NULL);
    }
  }
  struct idem im = { 0 };
  enum MHD_Result ret;
  if(!route->public && !idem_begin(rq, &call, method, url, &im, &ret))
    return ret;
  route->handler(&call);
  if(im.active && idem_end(rq, &call, url, &im, &ret))
    ; /* answered with the kept outcome */
  else if(call.pb.err != SR_OK)
    ret = respond_problem(rq, &call.pb, url, NULL);
  else if(call.text) {
    size_t len = call.text_len ? call.text_len : strlen(call.text);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, call.text, MHD_RESPMEM_MUST_FREE);
    ret = MHD_NO;
    if(resp) {
      call.text = NULL; /* the response owns it now */
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, call.text_type);
      MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
      MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
      if(call.disposition[0])
        MHD_add_response_header(resp, "Content-Disposition", call.disposition);
      ret = MHD_queue_response(rq->conn, (unsigned)call.status, resp);
      MHD_destroy_response(resp);
      rq->status = call.status;
      rq->answered = true;
    }
  }
  else
    ret = respond(rq, call.status, call.json, "application/json; charset=utf-8", &call, NULL, 0);
  free(call.text);
  cJSON_Delete(call.json);
  sr_problem_free(&call.pb);
  return ret;
}

static enum MHD_Result too_large(struct sr_request *rq, const char *url)
{
  char detail[96];
  snprintf(detail, sizeof detail, "The body is larger than %zu bytes.", rq->body.max);
  return simple_problem(rq, SR_TOO_LARGE, url, detail, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
  (void)cls;
  (void)version;
  struct sr_request *rq = *con_cls;
  if(!rq) {
    /* First call: headers only. Answering now would make libmicrohttpd close the connection. */
    rq = calloc(1, sizeof *rq);
    if(!rq)
      return MHD_NO;
    rq->conn = conn;
    snprintf(rq->method, sizeof rq->method, "%s", method);
    snprintf(rq->path, sizeof rq->path, "%s", url);
    for(char *c = rq->path; *c; c++) /* the path goes into the log: no control characters */
      if((unsigned char)*c < 0x20 || *c == 0x7f)
        *c = '?';
    rq->route = route_find(method, url, &rq->path_id, &rq->path_known, rq->allow, sizeof rq->allow);
    /* Files take the configured evidence ceiling; other routes their own or the default. */
    sr_buf_init(&rq->body, rq->route && rq->route->binary ? sr_evidence_max()
                           : rq->route && rq->route->max_body ? rq->route->max_body : SR_MAX_BODY);
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    snprintf(rq->id, sizeof rq->id, "%lx-%lx", (long)time(NULL) & 0xffffff, atomic_fetch_add(&request_seq, 1) + 1);
    *con_cls = rq;
    /* A body announced over the ceiling is refused now, before it is read. libmicrohttpd 0.9.75
     * accepts a response only here or after the whole body, and closes the connection after it. */
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    long len;
    if(cl && sr_parse_long(cl, 0, 1L << 60, &len) && (size_t)len > rq->body.max)
      return too_large(rq, url);
    return MHD_YES;
  }
  if(rq->answered) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  if(*upload_data_size > 0) {
    /* Past the ceiling (a chunked body has no length up front) the rest is read and dropped:
     * memory stays bounded, and the answer comes once the body has ended. */
    if(!rq->too_large && !sr_buf_append(&rq->body, upload_data, *upload_data_size))
      rq->too_large = true;
    *upload_data_size = 0;
    return MHD_YES;
  }
  if(rq->too_large)
    return too_large(rq, url);
  if(!rq->route) {
    if(rq->path_known)
      return simple_problem(rq, SR_METHOD, url, "This resource does not take that method.", rq->allow);
    return simple_problem(rq, SR_NOT_FOUND, url, "There is no such resource.", NULL);
  }
  return dispatch(rq, rq->route, rq->path_id, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  struct sr_request *rq = *con_cls;
  if(!rq)
    return;
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ms = (double)(end.tv_sec - rq->start.tv_sec) * 1e3 + (double)(end.tv_nsec - rq->start.tv_nsec) / 1e6;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  char peer[64] = "-";
  if(ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, peer, sizeof peer);
  sr_metrics_request(rq->status, ms);
  sr_info("%s %s status=%d duration_ms=%.2f peer=%s id=%s%s", rq->method, rq->path, rq->status, ms, peer, rq->id,
          toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
  sr_buf_free(&rq->body);
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
  size_t n = strlen(line);
  while(n && line[n - 1] == '\n')
    line[--n] = '\0';
  sr_warn("http: %s", line);
}

int sr_http_serve(const struct sr_server_options *opt)
{
  char err[1024];
  if(!sr_plugins_publish_dir(opt->plugin_dir, err, sizeof err)) {
    sr_error("plugins: %s", err);
    return 1;
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)opt->port);
  if(inet_pton(AF_INET, opt->host, &addr.sin_addr) != 1) {
    sr_error("--listen: '%s' is not an IPv4 address", opt->host);
    return 2;
  }
  /* Signals go to this thread only; the server threads never see them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)opt->port, NULL, NULL,
      on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned)opt->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)30, MHD_OPTION_END);
  if(!d) {
    sr_error("cannot listen on %s:%d", opt->host, opt->port);
    return 1;
  }
  sr_info("serving on http://%s:%d with %d threads, plugins from %s", opt->host, opt->port, opt->threads,
          opt->plugin_dir);
  if(opt->sweep_every > 0 && sr_scheduler_start(opt->sweep_every))
    sr_info("sweeping for hazards now and every %ld s", opt->sweep_every);
  for(;;) {
    int sig = 0;
    if(sigwait(&set, &sig) != 0)
      continue;
    if(sig == SIGHUP) {
      bool ok = sr_plugins_publish_dir(opt->plugin_dir, err, sizeof err);
      sr_metrics_reload(ok);
      if(ok)
        sr_info("plugins reloaded from %s", opt->plugin_dir);
      else
        sr_error("plugin reload refused, keeping the loaded set: %s", err);
      continue;
    }
    sr_info("signal %d: shutting down", sig);
    break;
  }
  sr_scheduler_stop();
  MHD_stop_daemon(d);
  sr_plugins_unpublish();
  return 0;
}
