/* type_name.c -- see type_name.h. */
#include "type_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* <s> folded and without the spaces around it, into <out>. */
static void clean(const char *s, char *out, size_t n)
{
  while(*s == ' ')
    s++;
  snprintf(out, n, "%s", s);
  sr_utf8_trim(out);
  sr_utf8_fold(out);
  size_t len = strlen(out);
  while(len > 0 && out[len - 1] == ' ')
    out[--len] = '\0';
  size_t lead = strspn(out, " ");
  memmove(out, out + lead, strlen(out + lead) + 1);
}

static const struct sr_attr *variety_attr(const struct sr_eqtype *t)
{
  return sr_attrs_find(t->attrs, t->nattrs, "variety");
}

static const char *variety_of(const struct sr_eqtype *t, const char *clean_s)
{
  const struct sr_attr *a = variety_attr(t);
  for(int i = 0; a && i < a->nenum; i++)
    if(strcmp(a->enumv[i], clean_s) == 0 || (a->enum_titles && strcmp(a->enum_titles[i], clean_s) == 0))
      return a->enumv[i];
  return NULL;
}

const char *sr_type_name_variety(const struct sr_eqtype *t, const char *s)
{
  char c[256];
  if(!t || !s)
    return NULL;
  clean(s, c, sizeof c);
  return variety_of(t, c);
}

const struct sr_eqtype *sr_type_name_resolve(const struct sr_plugins *p, const char *s, const char **variety)
{
  if(variety)
    *variety = NULL;
  if(!s)
    return NULL;
  char c[256];
  clean(s, c, sizeof c);
  int n = sr_plugins_ntypes(p);
  for(int i = 0; i < n; i++) { /* the type itself first: a variety never shadows a type */
    const struct sr_eqtype *t = sr_plugins_type_at(p, i);
    if(strcmp(t->code, c) == 0 || strcmp(t->name, c) == 0)
      return t;
    for(int k = 0; k < t->naliases; k++)
      if(strcmp(t->aliases[k], c) == 0)
        return t;
  }
  for(int i = 0; i < n; i++) {
    const struct sr_eqtype *t = sr_plugins_type_at(p, i);
    const char *v = variety_of(t, c);
    if(v) {
      if(variety)
        *variety = v;
      return t;
    }
  }
  return NULL;
}

void sr_type_name_list(const struct sr_plugins *p, char *out, size_t n)
{
  out[0] = '\0';
  for(int i = 0; i < sr_plugins_ntypes(p); i++) {
    const struct sr_eqtype *t = sr_plugins_type_at(p, i);
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s%s (%s)", i ? ", " : "", t->code, t->name);
  }
  sr_utf8_trim(out);
}
