/*
 * http_route.c -- the route table's look-ups: the route of a request (HEAD taking GET's), the
 * route of a method and pattern for an edge that is not HTTP (a script), and whether a caller's
 * role may use one.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "i18n.h"

bool sr_route_permits(const struct sr_route *route, struct sr_ctx *c, long id, struct sr_problem *pb)
{
  if(!route->roles || (route->roles & (1u << c->who.role)))
    return true;
  enum sr_err seen = route->probe ? route->probe(c, id, pb) : SR_OK;
  if(seen == SR_OK) {
    sr_problem_free(pb);
    sr_problem_set(pb, SR_FORBIDDEN, "A %s may not %s.", sr_role_name(c->who.role), _(route->summary));
  }
  return false;
}

const struct sr_route *sr_route_lookup(const char *method, const char *pattern)
{
  for(const struct sr_route *r = sr_routes; r->method; r++)
    if(strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
      return r;
  return NULL;
}


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

/* The route for method+path; *path_known tells whether any method serves the path. HEAD takes
 * the GET route (RFC 9110 section 9.3.2): the same checks, status and headers; libmicrohttpd
 * leaves out the body. */
const struct sr_route *sr_route_find(const char *method, const char *path, long *id, bool *path_known,
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
    const char *name = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
    if(strlen(allow) + strlen(name) + 3 < allowsz) {
      if(allow[0])
        strcat(allow, ", ");
      strcat(allow, name);
    }
    bool head = strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0;
    if((head || strcmp(r->method, method) == 0) && !found) {
      found = r;
      *id = rid;
    }
  }
  return found;
}

