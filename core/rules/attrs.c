/* attrs.c -- see attrs.h. */
#include "attrs.h"
#include "i18n.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "util.h"

void sr_attrs_free(struct sr_attr *attrs, int n)
{
  if(!attrs)
    return;
  for(int i = 0; i < n; i++) {
    struct sr_attr *a = &attrs[i];
    free(a->name);
    free(a->title);
    free(a->description);
    free(a->format);
    for(int k = 0; k < a->nenum; k++) {
      free(a->enumv[k]);
      if(a->enum_titles)
        free(a->enum_titles[k]);
    }
    free(a->enumv);
    free(a->enum_titles);
    sr_attrs_free(a->props, a->nprops);
  }
  free(attrs);
}

static const char *kind_name(enum sr_attr_kind k)
{
  switch(k) {
  case SR_ATTR_STRING:
    return "string";
  case SR_ATTR_INTEGER:
    return "integer";
  case SR_ATTR_NUMBER:
    return "number";
  case SR_ATTR_BOOLEAN:
    return "boolean";
  case SR_ATTR_OBJECT:
    return "object";
  }
  return "?";
}

static void check_one(const struct sr_attr *a, const cJSON *v, const char *field,
                      struct sr_problem *pb);

static void check_number(const struct sr_attr *a, const cJSON *v, const char *field,
                         struct sr_problem *pb)
{
  double d = v->valuedouble;
  if(!isfinite(d)) {
    sr_problem_field(pb, field, "must be a finite number");
    return;
  }
  if(a->kind == SR_ATTR_INTEGER && (d != floor(d) || fabs(d) > 9007199254740991.0)) {
    sr_problem_field(pb, field, "must be a whole number");
    return;
  }
  if(a->has_min && d < a->min)
    sr_problem_field(pb, field, "must be at least %g", a->min);
  else if(a->has_max && d > a->max)
    sr_problem_field(pb, field, "must be at most %g", a->max);
}

static void check_string(const struct sr_attr *a, const cJSON *v, const char *field,
                         struct sr_problem *pb)
{
  const char *s = v->valuestring;
  size_t len = strlen(s);
  long max = a->max_length > 0 ? a->max_length : 200;
  if(len == 0 && a->required) {
    sr_problem_field(pb, field, "must not be empty");
    return;
  }
  if((long)len > max) {
    sr_problem_field(pb, field, "must be at most %ld bytes", max);
    return;
  }
  if(a->nenum > 0) {
    for(int i = 0; i < a->nenum; i++)
      if(strcmp(a->enumv[i], s) == 0)
        return;
    char list[400] = "";
    for(int i = 0; i < a->nenum && strlen(list) < 300; i++) {
      strcat(list, i ? ", " : "");
      strncat(list, a->enumv[i], 60);
    }
    sr_problem_field(pb, field, "must be one of: %s", list);
    return;
  }
  if(a->format && strcmp(a->format, "uscc") == 0) {
    enum sr_uscc_result r = sr_uscc_check(s);
    if(r != SR_USCC_OK)
      sr_problem_field(pb, field, "is not a valid unified social credit code: %s",
                       sr_uscc_explain(r));
  }
}

static void check_one(const struct sr_attr *a, const cJSON *v, const char *field,
                      struct sr_problem *pb)
{
  switch(a->kind) {
  case SR_ATTR_STRING:
    if(!cJSON_IsString(v))
      sr_problem_field(pb, field, "must be a string");
    else
      check_string(a, v, field, pb);
    return;
  case SR_ATTR_INTEGER:
  case SR_ATTR_NUMBER:
    if(!cJSON_IsNumber(v))
      sr_problem_field(pb, field, "must be %s", a->kind == SR_ATTR_INTEGER ? _("an integer") : _("a number"));
    else
      check_number(a, v, field, pb);
    return;
  case SR_ATTR_BOOLEAN:
    if(!cJSON_IsBool(v))
      sr_problem_field(pb, field, "must be true or false");
    return;
  case SR_ATTR_OBJECT:
    if(!cJSON_IsObject(v))
      sr_problem_field(pb, field, "must be an object");
    else
      sr_attrs_check(a->props, a->nprops, v, field, pb);
    return;
  }
}

void sr_attrs_check(const struct sr_attr *attrs, int n, const cJSON *value, const char *prefix,
                    struct sr_problem *pb)
{
  char field[256];
  if(!cJSON_IsObject(value)) {
    sr_problem_field(pb, prefix, "must be an object");
    return;
  }
  /* Unknown keys first: a misspelt attribute must not pass silently as 'missing + extra'. */
  for(const cJSON *c = value->child; c; c = c->next) {
    int i;
    for(i = 0; i < n; i++)
      if(strcmp(attrs[i].name, c->string) == 0)
        break;
    if(i == n) {
      snprintf(field, sizeof field, "%s.%.150s", prefix, c->string);
      sr_problem_field(pb, field, "is not an attribute of this type");
    }
  }
  for(int i = 0; i < n; i++) {
    const struct sr_attr *a = &attrs[i];
    snprintf(field, sizeof field, "%s.%s", prefix, a->name);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(value, a->name);
    if(!v || cJSON_IsNull(v)) {
      if(a->required)
        sr_problem_field(pb, field, "is required");
      continue;
    }
    check_one(a, v, field, pb);
  }
}

static cJSON *attr_schema(const struct sr_attr *a)
{
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "type", kind_name(a->kind));
  if(a->title)
    cJSON_AddStringToObject(s, "title", a->title);
  if(a->description)
    cJSON_AddStringToObject(s, "description", a->description);
  if(a->has_min)
    cJSON_AddNumberToObject(s, "minimum", a->min);
  if(a->has_max)
    cJSON_AddNumberToObject(s, "maximum", a->max);
  if(a->kind == SR_ATTR_STRING)
    cJSON_AddNumberToObject(s, "maxLength", (double)(a->max_length > 0 ? a->max_length : 200));
  if(a->nenum > 0)
    cJSON_AddItemToObject(s, "enum",
                          cJSON_CreateStringArray((const char *const *)a->enumv, a->nenum));
  if(a->format)
    cJSON_AddStringToObject(s, "format", a->format);
  if(a->kind == SR_ATTR_OBJECT) {
    cJSON *sub = sr_attrs_schema(a->props, a->nprops);
    for(cJSON *c = sub->child; c;) {
      cJSON *next = c->next;
      if(strcmp(c->string, "type") != 0)
        cJSON_AddItemToObject(s, c->string, cJSON_DetachItemViaPointer(sub, c));
      c = next;
    }
    cJSON_Delete(sub);
  }
  return s;
}

cJSON *sr_attrs_schema(const struct sr_attr *attrs, int n)
{
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "type", "object");
  cJSON_AddFalseToObject(s, "additionalProperties");
  cJSON *props = cJSON_AddObjectToObject(s, "properties");
  cJSON *req = cJSON_AddArrayToObject(s, "required");
  for(int i = 0; i < n; i++) {
    cJSON_AddItemToObject(props, attrs[i].name, attr_schema(&attrs[i]));
    if(attrs[i].required)
      cJSON_AddItemToArray(req, cJSON_CreateString(attrs[i].name));
  }
  return s;
}

const struct sr_attr *sr_attrs_find(const struct sr_attr *attrs, int n, const char *name)
{
  for(int i = 0; i < n; i++)
    if(strcmp(attrs[i].name, name) == 0)
      return &attrs[i];
  return NULL;
}
