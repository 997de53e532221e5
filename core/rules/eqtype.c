/* eqtype.c -- see eqtype.h. */
#include "eqtype.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sr_inspection_kinds[] = { "periodic", "supervisory", "first", "self_test",
                                            "annual_check", "external", "internal", NULL };

/* Their names on a report, in the order of sr_inspection_kinds (TSG's terms). */
static const char *const kind_texts[] = { "定期检验", "监督检验", "首次检验", "自行检测",
                                          "年度检查", "外部检验", "内部检验", NULL };

const char *sr_inspection_kind_code(const char *code_or_text)
{
  for(int i = 0; code_or_text && sr_inspection_kinds[i]; i++)
    if(strcmp(sr_inspection_kinds[i], code_or_text) == 0 || strcmp(kind_texts[i], code_or_text) == 0)
      return sr_inspection_kinds[i];
  return NULL;
}

const char *sr_inspection_kind_text(const char *code)
{
  for(int i = 0; code && sr_inspection_kinds[i]; i++)
    if(strcmp(sr_inspection_kinds[i], code) == 0)
      return kind_texts[i];
  return NULL;
}

const struct sr_inspection_kind *sr_eqtype_kind(const struct sr_eqtype *t, const char *kind)
{
  for(int i = 0; kind && i < t->nkinds; i++)
    if(strcmp(t->kinds[i].kind, kind) == 0)
      return &t->kinds[i];
  return NULL;
}

const struct sr_conclusion *sr_eqtype_conclusion(const struct sr_inspection_kind *k, const char *code)
{
  for(int i = 0; code && i < k->nconclusions; i++)
    if(strcmp(k->conclusions[i].code, code) == 0)
      return &k->conclusions[i];
  return NULL;
}

const struct sr_conclusion *sr_eqtype_conclusion_named(const struct sr_inspection_kind *k, const char *code_or_text)
{
  const struct sr_conclusion *c = sr_eqtype_conclusion(k, code_or_text);
  for(int i = 0; !c && code_or_text && i < k->nconclusions; i++)
    if(k->conclusions[i].text && strcmp(k->conclusions[i].text, code_or_text) == 0)
      c = &k->conclusions[i];
  return c;
}

bool sr_eqtype_has_variety(const struct sr_eqtype *t, const char *variety)
{
  const struct sr_attr *v = sr_attrs_find(t->attrs, t->nattrs, "variety");
  for(int i = 0; v && variety && i < v->nenum; i++)
    if(strcmp(v->enumv[i], variety) == 0)
      return true;
  return false;
}

cJSON *sr_eqtype_schema_json(const struct sr_eqtype *t)
{
  cJSON *s = sr_attrs_schema(t->attrs, t->nattrs);
  cJSON_AddStringToObject(s, "$schema", "https://json-schema.org/draft/2020-12/schema");
  return s;
}

void sr_eqtype_free_fields(struct sr_eqtype *t)
{
  free(t->code);
  free(t->name);
  free(t->version);
  free(t->file);
  free(t->registration_class);
  for(int i = 0; i < t->naliases; i++)
    free(t->aliases[i]);
  free(t->aliases);
  sr_attrs_free(t->attrs, t->nattrs);
  for(int i = 0; t->kinds && i < t->nkinds; i++) {
    struct sr_inspection_kind *k = &t->kinds[i];
    free(k->kind);
    for(int c = 0; k->conclusions && c < k->nconclusions; c++) {
      free(k->conclusions[c].code);
      free(k->conclusions[c].text);
    }
    free(k->conclusions);
  }
  free(t->kinds);
  memset(t, 0, sizeof *t);
}

bool sr_eqtype_name_ok(const char *s, size_t maxlen)
{
  size_t n = strlen(s);
  if(n == 0 || n > maxlen || !(s[0] >= 'a' && s[0] <= 'z'))
    return false;
  for(size_t i = 1; i < n; i++)
    if(!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return false;
  return true;
}

bool sr_eqtype_version_ok(const char *v)
{
  int dots = 0;
  size_t n = strlen(v);
  if(n == 0 || n > 32 || v[0] == '.' || v[n - 1] == '.')
    return false;
  for(size_t i = 0; i < n; i++) {
    if(v[i] == '.') {
      if(v[i + 1] == '.')
        return false;
      dots++;
    }
    else if(v[i] < '0' || v[i] > '9')
      return false;
  }
  return dots == 2;
}

bool sr_eqtype_varieties_ok(const struct sr_eqtype *t, const char *file, char *why, size_t n)
{
  const struct sr_attr *v = sr_attrs_find(t->attrs, t->nattrs, "variety");
  if(!v || v->kind != SR_ATTR_STRING || !v->required || v->nenum == 0) {
    snprintf(why, n, "%s: attribute 'variety' must be a required string with an enum of 品种 codes", file);
    return false;
  }
  for(int i = 0; i < v->nenum; i++) {
    const char *e = v->enumv[i];
    if(strlen(e) != 4 || strspn(e, "0123456789") != 4) {
      snprintf(why, n, "%s: variety '%s' is not a 4-digit 品种 code", file, e);
      return false;
    }
  }
  return true;
}
