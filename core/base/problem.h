/*
 * problem.h -- an error on its way to the caller: a code from err.h, a sentence, and per-field
 * errors. Domain functions fill one; the HTTP layer turns it into RFC 9457 problem+json and the
 * CLI prints it.
 */
#ifndef sr_problem_h
#define sr_problem_h

#include <cjson/cJSON.h>

#include "err.h"

struct sr_problem {
  enum sr_err err;
  char detail[512];
  cJSON *errors; /* array of {field, message}; owned here, NULL until the first field error */
  long retry_after; /* seconds after which the same request may succeed (Retry-After); 0: none */
};

void sr_problem_init(struct sr_problem *pb);
void sr_problem_free(struct sr_problem *pb);
/* Sets the code and the sentence; returns <err> so callers can 'return sr_problem_set(...)'. */
enum sr_err sr_problem_set(struct sr_problem *pb, enum sr_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds one field error; the problem becomes SR_INVALID unless it already carries another code. */
void sr_problem_field(struct sr_problem *pb, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sr_problem_nfields(const struct sr_problem *pb);
/* Builds the problem+json body. Caller owns the result; free with cJSON_Delete(). */
cJSON *sr_problem_json(const struct sr_problem *pb, const char *instance);

#endif
