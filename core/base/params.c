/* params.c -- see params.h. */
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "util.h"

struct only {
  const char *const *allowed;
  struct sr_problem *pb;
};

static void check_one(void *cls, const char *key, const char *value)
{
  struct only *o = cls;
  const char *const *a;
  for(a = o->allowed; *a; a++)
    if(strcmp(*a, key) == 0)
      break;
  char field[80];
  snprintf(field, sizeof field, "%.64s", sr_utf8_valid(key, strlen(key)) ? key : "?");
  sr_utf8_trim(field);
  if(!*a)
    sr_problem_field(o->pb, field, "is not a known query parameter");
  else if(value && (!sr_utf8_valid(value, strlen(value)) || strlen(value) > 200))
    sr_problem_field(o->pb, field, "must be UTF-8 of at most 200 bytes");
}

bool sr_params_only(const struct sr_params *q, const char *const *allowed, struct sr_problem *pb)
{
  struct only o = { allowed, pb };
  q->each(q->ud, check_one, &o);
  if(pb->err == SR_INVALID) {
    pb->err = SR_BAD_REQUEST;
    snprintf(pb->detail, sizeof pb->detail, "Some query parameters are invalid; see errors.");
  }
  return pb->err == SR_OK;
}

const char *sr_params_enum(const struct sr_params *q, const char *name, const char *const *allowed, const char *say,
                           struct sr_problem *pb)
{
  const char *v = sr_params_get(q, name);
  if(!v)
    return NULL;
  for(const char *const *a = allowed; *a; a++)
    if(strcmp(v, *a) == 0)
      return v;
  sr_problem_field(pb, name, "must be one of %s", say);
  return NULL;
}
