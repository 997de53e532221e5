/*
 * http.h -- the HTTP edge on libmicrohttpd: reads bodies under a ceiling, finds the route,
 * authenticates the bearer token, runs the handler on this thread's database connection and
 * plugin set, and answers JSON or problem+json. One log line per request.
 */
#ifndef sr_http_h
#define sr_http_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"
#include "params.h"
#include "problem.h"

struct sr_request;

/* One call of a handler: the request, the caller's context, and the answer being built. */
struct sr_call {
  struct sr_request *rq;
  struct sr_ctx ctx;
  long id;               /* the {id} path segment, when the route has one */
  const char *body;      /* request body (NUL-terminated), may be NULL */
  size_t body_len;
  bool ndjson;           /* the body is newline-delimited JSON */
  bool csv;              /* the body is text/csv */
  const char *content_type; /* as sent, or NULL */
  struct sr_problem pb;  /* set it to answer with a problem */
  int status;            /* success status, 200 unless set */
  cJSON *json;           /* success body; owned by the call */
  char *text;            /* or a plain-text body (malloced; owned by the call) ... */
  const char *text_type; /* ... of this content type */
  size_t text_len;       /* its length when it is not a C string (a file); 0: strlen */
  char disposition[600]; /* Content-Disposition of a file answer, or "" */
  char etag[32];
  char location[128];
  char set_cookie[160];  /* Set-Cookie of the answer (a session's), or "" */
};

typedef void (*sr_handler)(struct sr_call *call);

struct sr_route {
  const char *method;
  const char *pattern;   /* "/api/v1/equipment/{id}" */
  sr_handler handler;
  bool public;           /* no token needed */
  bool needs_db;
  const char *summary;
  size_t max_body;       /* body ceiling; 0 for SR_MAX_BODY */
  bool ndjson;           /* also takes application/x-ndjson */
  bool csv;              /* also takes text/csv */
  bool binary;           /* takes a file of any Content-Type as it is; the handler checks the type */
  bool bodyless;         /* a POST that may come without a body (and then without Content-Type) */
  unsigned roles;        /* SR_RL_* bits of the roles that may use it, checked before the body is
                          * read (the domain function checks again, and finer); 0: any role */
  /* On a record's route: whether the record {id} is there for a caller to see. A role the route
   * refuses then hears 403 for a record it may see and 404 for one it may not, as it would from
   * the domain function, without its body being read. NULL: 403 always. */
  enum sr_err (*probe)(struct sr_ctx *c, long id, struct sr_problem *pb);
};

/* Role bits for sr_route.roles. */
#define SR_RL(r) (1u << (SR_ROLE_##r))
#define SR_RL_SUPERVISORS (SR_RL(CITY) | SR_RL(DISTRICT))

extern const struct sr_route sr_routes[];

/* The route for <method> <path> (<id> from its {id} segment; HEAD takes the GET route); NULL
 * when none, *path_known telling whether any method serves the path and <allow> listing those
 * that do (http_route.c). */
const struct sr_route *sr_route_find(const char *method, const char *path, long *id, bool *path_known, char *allow,
                                     size_t allowsz);
/* The route of <method> <pattern> ("/api/v1/equipment/{id}/transitions"), or NULL. */
const struct sr_route *sr_route_lookup(const char *method, const char *pattern);
/* Whether the caller of <c> may use <route> (on record <id>): its roles, and for a role it
 * refuses, 403 for a record the caller may see and 404 for one it may not (the probe). False
 * with <pb> set. The edge asks it before reading a body; a script before each action. */
bool sr_route_permits(const struct sr_route *route, struct sr_ctx *c, long id, struct sr_problem *pb);

/* A query parameter, or NULL. */
const char *sr_call_query(struct sr_call *call, const char *name);
/* The query string as parameters (params.h), for a parser shared with scripts. */
struct sr_params sr_call_params(struct sr_call *call);
/* Refuses query parameters not in <allowed> (and malformed ones) with 400. Returns false then. */
bool sr_call_query_only(struct sr_call *call, const char *const *allowed);
/* A request header, or NULL. */
const char *sr_call_header(struct sr_call *call, const char *name);

struct sr_server_options {
  const char *host;
  int port;
  int threads;
  const char *plugin_dir;
  long sweep_every; /* seconds between hazard sweeps; 0: none in this server */
  bool deliver;     /* run the notice worker in this server */
};

struct sr_http_limits;
struct sr_http;

/* Starts serving <opt>'s address on libmicrohttpd's thread pool, with <limits>. NULL (and a
 * logged reason) when it cannot listen. */
struct sr_http *sr_http_start(const struct sr_server_options *opt, const struct sr_http_limits *limits);
/* Stops accepting, lets the requests in flight finish, and frees the server. */
void sr_http_stop(struct sr_http *h);

#endif
