/*
 * attrs.h -- the declared attributes of an equipment type: checking a JSON value against them
 * and describing them as JSON Schema. The declarations come from plugins; the checks are C so
 * that every type gets the same strict treatment of types, ranges and unknown keys, whatever
 * engine read the plugin.
 */
#ifndef sr_attrs_h
#define sr_attrs_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "problem.h"

enum sr_attr_kind { SR_ATTR_STRING, SR_ATTR_INTEGER, SR_ATTR_NUMBER, SR_ATTR_BOOLEAN, SR_ATTR_OBJECT };

/* One declared attribute; an object's properties are attributes themselves. */
struct sr_attr {
  char *name;
  char *title;
  char *description;
  enum sr_attr_kind kind;
  bool required;
  bool has_min, has_max;
  double min, max;
  long max_length;   /* strings, in bytes */
  char **enumv;      /* allowed strings, or NULL */
  int nenum;
  char **enum_titles; /* what each of enumv is called (曳引驱动乘客电梯), or NULL */
  char *format;      /* "uscc" or NULL */
  struct sr_attr *props;
  int nprops;
};

void sr_attrs_free(struct sr_attr *attrs, int n);
/* Checks <value> (the "attributes" object) against <attrs>, naming fields under <prefix>. */
void sr_attrs_check(const struct sr_attr *attrs, int n, const cJSON *value, const char *prefix,
                    struct sr_problem *pb);
/* The attributes as a JSON Schema object. Caller owns the result. */
cJSON *sr_attrs_schema(const struct sr_attr *attrs, int n);
const struct sr_attr *sr_attrs_find(const struct sr_attr *attrs, int n, const char *name);

#endif
