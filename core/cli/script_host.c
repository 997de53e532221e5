/*
 * script_host.c -- the registry as a script reaches it (script.h's host): lists through the
 * API's own parser (listing.h), records and actions through the API's route checks and domain
 * functions, with the account of the session. A dry run holds one transaction open for the
 * whole script, in which each action is a savepoint of its own (tx.h's outer mode), so that a
 * later action sees what an earlier one did, exactly as with --apply, and all of it is rolled
 * back at the end (script_cmd.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "equipment.h"
#include "hazard.h"
#include "http.h"
#include "i18n.h"
#include "listing.h"
#include "rectification.h"
#include "script_int.h"

double sr_script_clock(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(struct sr_script_session *s)
{
  double now = sr_script_clock();
  if(!s->progress || now - s->shown < 0.5)
    return;
  s->shown = now;
  fputc('\r', stderr);
  fprintf(stderr, _("read %ld  actions %ld (done %ld, refused %ld)  %.0f s "), s->read, s->tried, s->done, s->refused,
          now - s->started);
  fflush(stderr);
}

/* ==== lists ==== */

/* The parameters a page is read by: a JSON object of strings. */
struct jparams {
  const cJSON *j;
};

static const char *param_get(void *ud, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(((struct jparams *)ud)->j, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void param_each(void *ud, void (*fn)(void *cls, const char *name, const char *value), void *cls)
{
  for(const cJSON *v = ((struct jparams *)ud)->j->child; v; v = v->next)
    fn(cls, v->string, cJSON_IsString(v) ? v->valuestring : NULL);
}

static void join(char *out, size_t n, const char *const *names)
{
  out[0] = '\0';
  for(const char *const *k = names; *k; k++)
    snprintf(out + strlen(out), n - strlen(out), "%s%s", k == names ? "" : ", ", *k);
}

/* The problem of a list as a sentence for the script's author: each field and what is wrong. */
static void list_refusal(const char *kind, const struct sr_problem *pb, char *why, size_t whysz)
{
  char known[300];
  if(pb->err == SR_NOT_FOUND) {
    join(known, sizeof known, sr_listing_kinds);
    snprintf(why, whysz, _("no list of '%s' (the kinds: %s)"), kind, known);
    return;
  }
  if(pb->errors)
    snprintf(why, whysz, "%s:", kind);
  else
    snprintf(why, whysz, "%s: %s", kind, pb->detail);
  bool stray = false;
  for(const cJSON *e = pb->errors ? pb->errors->child : NULL; e; e = e->next) {
    const char *f = cJSON_GetObjectItem(e, "field")->valuestring, *m = cJSON_GetObjectItem(e, "message")->valuestring;
    snprintf(why + strlen(why), whysz - strlen(why), "%s %s %s", e == pb->errors->child ? "" : ";", f, m);
    /* a parameter the list does not take (the messages are in the caller's language) */
    bool known_field = strcmp(f, "limit") == 0 || strcmp(f, "cursor") == 0;
    for(const char *const *k = sr_listing_filters(kind); k && *k && !known_field; k++)
      known_field = strcmp(*k, f) == 0;
    stray = stray || !known_field;
  }
  if(stray) {
    join(known, sizeof known, sr_listing_filters(kind));
    snprintf(why + strlen(why), whysz - strlen(why), _(" (the filters of %s: %s)"), kind, known);
  }
}

static cJSON *host_page(void *ud, const char *kind, const cJSON *params, char *why, size_t whysz)
{
  struct sr_script_session *s = ud;
  struct jparams jp = { params };
  struct sr_params q = { param_get, param_each, &jp };
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *out = NULL;
  if(sr_listing_page(s->ctx, kind, &q, &out, &pb) != SR_OK) {
    list_refusal(kind, &pb, why, whysz);
    cJSON_Delete(out);
    out = NULL;
  }
  else {
    s->read += cJSON_GetArraySize(cJSON_GetObjectItem(out, "items"));
    progress(s);
  }
  sr_problem_free(&pb);
  return out;
}

/* ==== records and actions ==== */

/* What a refusal answers: the API's problem, as its body would be. */
static cJSON *refusal(const struct sr_problem *pb, const char *instance)
{
  return sr_problem_json(pb, instance);
}

typedef enum sr_err (*getter)(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);

static cJSON *host_get(void *ud, const char *kind, long id, bool *ok, char *why, size_t whysz)
{
  static const struct {
    const char *kind, *route;
    getter get;
  } gets[] = {
    { "equipment", "/api/v1/equipment/{id}", sr_equipment_get },
    { "hazards", "/api/v1/hazards/{id}", sr_hazard_get },
    { "rectifications", "/api/v1/rectifications/{id}", sr_rectification_get },
  };
  struct sr_script_session *s = ud;
  for(size_t i = 0; i < sizeof gets / sizeof *gets; i++) {
    if(strcmp(gets[i].kind, kind) != 0)
      continue;
    struct sr_problem pb;
    sr_problem_init(&pb);
    cJSON *out = NULL;
    const struct sr_route *r = sr_route_lookup("GET", gets[i].route);
    *ok = r && sr_route_permits(r, s->ctx, id, &pb) && gets[i].get(s->ctx, id, &out, &pb) == SR_OK;
    if(!*ok) {
      cJSON_Delete(out);
      char at[80];
      snprintf(at, sizeof at, "/api/v1/%s/%ld", kind, id);
      out = refusal(&pb, at);
    }
    sr_problem_free(&pb);
    return out;
  }
  snprintf(why, whysz, _("no record of '%s' to get (equipment, hazards, rectifications; the others are lists: "
                       "sereg.each)"), kind);
  return NULL;
}

/* Counts an action's outcome; a refusal by its reason, so the summary can say why. */
static void count(struct sr_script_session *s, bool ok, const struct sr_problem *pb)
{
  if(ok) {
    s->done++;
    progress(s);
    return;
  }
  s->refused++;
  char reason[400];
  const cJSON *e = pb->errors ? pb->errors->child : NULL;
  if(e)
    snprintf(reason, sizeof reason, "%d %.80s: %.300s", sr_err_status(pb->err), cJSON_GetObjectItem(e, "field")->valuestring,
             cJSON_GetObjectItem(e, "message")->valuestring);
  else
    snprintf(reason, sizeof reason, "%d %.380s", sr_err_status(pb->err), pb->detail[0] ? pb->detail : sr_err_title(pb->err));
  /* Ids make every reason its own; the summary groups them by what remains. */
  char shape[400];
  size_t k = 0;
  for(const char *p = reason; *p && k + 1 < sizeof shape; p++)
    if(!(*p >= '0' && *p <= '9') || p < reason + 3)
      shape[k++] = *p;
    else if(k == 0 || shape[k - 1] != 'N')
      shape[k++] = 'N';
  shape[k] = '\0';
  cJSON *n = cJSON_GetObjectItemCaseSensitive(s->reasons, shape);
  if(n)
    cJSON_SetNumberValue(n, n->valuedouble + 1);
  else if(cJSON_GetArraySize(s->reasons) < 100)
    cJSON_AddNumberToObject(s->reasons, shape, 1);
  progress(s);
}

/* Before an action: none starts once the run is interrupted. */
static bool may_act(struct sr_script_session *s, char *why, size_t whysz)
{
  if(*s->interrupted) {
    snprintf(why, whysz, _("stopped (interrupted)"));
    return false;
  }
  s->tried++;
  return true;
}

typedef enum sr_err (*transition)(struct sr_ctx *c, long id, const struct sr_versions *if_match,
                                  const cJSON *body, cJSON **out, struct sr_problem *pb);

static cJSON *host_change(void *ud, const char *kind, long id, const char *action, const cJSON *fields, bool *ok,
                          char *why, size_t whysz)
{
  struct sr_script_session *s = ud;
  const char *route;
  transition fn;
  if(strcmp(kind, "equipment") == 0) {
    route = "/api/v1/equipment/{id}/transitions";
    fn = sr_equipment_transition;
  }
  else if(strcmp(kind, "rectifications") == 0) {
    route = "/api/v1/rectifications/{id}/transitions";
    fn = sr_rectification_transition;
  }
  else {
    snprintf(why, whysz, _("'%s' has no transitions (equipment, rectifications do)"), kind);
    return NULL;
  }
  if(fields && !cJSON_IsObject(fields)) {
    snprintf(why, whysz, _("the fields are named, as in {reason = \"...\"}"));
    return NULL;
  }
  if(!may_act(s, why, whysz))
    return NULL;
  cJSON *body = fields ? cJSON_Duplicate(fields, true) : cJSON_CreateObject();
  if(!body) {
    snprintf(why, whysz, _("out of memory"));
    return NULL;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(body, "action");
  cJSON_AddStringToObject(body, "action", action);
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *out = NULL;
  const struct sr_route *r = sr_route_lookup("POST", route);
  /* Read and act in one transaction: the version is the one the transaction finds. */
  *ok = r && sr_route_permits(r, s->ctx, id, &pb) && fn(s->ctx, id, SR_VERSION_CURRENT, body, &out, &pb) == SR_OK;
  cJSON_Delete(body);
  count(s, *ok, &pb);
  if(!*ok) {
    cJSON_Delete(out);
    char at[80];
    snprintf(at, sizeof at, "/api/v1/%s/%ld/transitions", kind, id);
    out = refusal(&pb, at);
  }
  sr_problem_free(&pb);
  return out;
}

typedef enum sr_err (*opener)(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb);

static cJSON *host_open(void *ud, const char *kind, const cJSON *fields, bool *ok, char *why, size_t whysz)
{
  struct sr_script_session *s = ud;
  const char *route;
  opener fn;
  if(strcmp(kind, "hazards") == 0) {
    route = "/api/v1/hazards";
    fn = sr_hazard_report;
  }
  else if(strcmp(kind, "rectifications") == 0) {
    route = "/api/v1/rectifications";
    fn = sr_rectification_open;
  }
  else {
    snprintf(why, whysz, _("'%s' cannot be opened (hazards, rectifications can)"), kind);
    return NULL;
  }
  if(!cJSON_IsObject(fields)) {
    snprintf(why, whysz, _("the fields are named, as in {hazard_ids = {12}, workflow = \"directive\"}"));
    return NULL;
  }
  if(!may_act(s, why, whysz))
    return NULL;
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *out = NULL;
  const struct sr_route *r = sr_route_lookup("POST", route);
  *ok = r && sr_route_permits(r, s->ctx, 0, &pb) && fn(s->ctx, fields, &out, &pb) == SR_OK;
  count(s, *ok, &pb);
  if(!*ok) {
    cJSON_Delete(out);
    out = refusal(&pb, route);
  }
  sr_problem_free(&pb);
  return out;
}

/* ==== output ==== */

static bool host_columns(void *ud, const cJSON *names, char *why, size_t whysz)
{
  struct sr_script_session *s = ud;
  return sr_script_out_columns(s->out, names, why, whysz);
}

static bool host_emit(void *ud, const cJSON *row, char *why, size_t whysz)
{
  struct sr_script_session *s = ud;
  return sr_script_out_row(s->out, row, why, whysz);
}

static void host_log(void *ud, const char *text, size_t len)
{
  struct sr_script_session *s = ud;
  if(s->progress && s->shown > 0)
    fputs("\r\033[K", stderr); /* the progress line gives way */
  fwrite(text, 1, len, stderr);
  fputc('\n', stderr);
}

void sr_script_host_init(struct sr_script_host *h, struct sr_script_session *s)
{
  h->ud = s;
  h->page = host_page;
  h->get = host_get;
  h->change = host_change;
  h->open = host_open;
  h->columns = host_columns;
  h->emit = host_emit;
  h->log = host_log;
}
