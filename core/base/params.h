/*
 * params.h -- named text parameters however they came (a query string, a script's table), so
 * that one parser reads a list's filters for the HTTP API and for scripts alike.
 */
#ifndef sr_params_h
#define sr_params_h

#include <stdbool.h>

#include "problem.h"

struct sr_params {
  /* The value of <name>, or NULL when it was not given. */
  const char *(*get)(void *ud, const char *name);
  /* Calls <fn>(cls, name, value) for every parameter given. */
  void (*each)(void *ud, void (*fn)(void *cls, const char *name, const char *value), void *cls);
  void *ud;
};

static inline const char *sr_params_get(const struct sr_params *q, const char *name) { return q->get(q->ud, name); }

/* True when every parameter given is one of <allowed> (NULL-ended) and is UTF-8 of at most 200
 * bytes; otherwise false, with a field error in <pb> for each that is not (400). */
bool sr_params_only(const struct sr_params *q, const char *const *allowed, struct sr_problem *pb);
/* Parameter <name> when it is one of <allowed>; NULL when absent, or NULL with a field error
 * ("must be one of <say>") when it is something else. */
const char *sr_params_enum(const struct sr_params *q, const char *name, const char *const *allowed, const char *say,
                           struct sr_problem *pb);

#endif
