/*
 * figures_tally.c -- the counts of figures_sql.c's statement put in their rows and periods, the
 * total summed from them, and each row's figures written as the API answers them (docs/figures.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "figures_int.h"
#include "plugin.h"

enum counter {
  C_UNITS, C_INSVC, C_OVERDUE, C_REG, C_CHG, C_CAN, C_FELL, C_ONTIME,
  C_HF, C_S_OVERDUE, C_S_FAILED, C_S_DEFECT, C_S_PATROL, C_S_MANUAL, C_G_GENERAL, C_G_MAJOR, C_HCLOSED,
  C_HOPEN, C_HMAJOR, C_RCLOSED, C_RONTIME, C_LSCLOSED, C_ROPEN, C_RPAST, C_LSOPEN,
  C__COUNT
};

/* Which key of which part of the statement is which counter; a part without "b" counts now,
 * the same in every period. */
static const struct {
  const char *part, *key;
  enum counter c;
} keys[] = {
  { "u", "n", C_UNITS },           { "u", "s", C_INSVC },           { "u", "od", C_OVERDUE },
  { "ev", "reg", C_REG },          { "ev", "chg", C_CHG },          { "ev", "can", C_CAN },
  { "dues", "fell", C_FELL },      { "dues", "ontime", C_ONTIME },  { "hz", "n", C_HF },
  { "hz", "s_overdue", C_S_OVERDUE }, { "hz", "s_failed", C_S_FAILED }, { "hz", "s_defect", C_S_DEFECT },
  { "hz", "s_patrol", C_S_PATROL }, { "hz", "s_manual", C_S_MANUAL }, { "hz", "g_general", C_G_GENERAL },
  { "hz", "g_major", C_G_MAJOR },  { "hz", "closed", C_HCLOSED },   { "hs", "open", C_HOPEN },
  { "hs", "major", C_HMAJOR },     { "rf", "closed", C_RCLOSED },   { "rf", "ontime", C_RONTIME },
  { "rf", "ls_closed", C_LSCLOSED }, { "rs", "open", C_ROPEN },     { "rs", "past", C_RPAST },
  { "rs", "ls_open", C_LSOPEN },
};
static const char *const parts[] = { "u", "ev", "dues", "hz", "hs", "rf", "rs" };

static long *cell(const struct sr_tally *t, int b, int row)
{
  return t->v + ((size_t)b * (size_t)(t->nrows + 1) + (size_t)row) * C__COUNT;
}

static long *type_cell(const struct sr_tally *t, int row, int type)
{
  return t->tv + ((size_t)row * (size_t)t->ntypes + (size_t)type) * 2;
}

static int row_of(const struct sr_tally *t, const char *code)
{
  for(int i = 0; code && i < t->nrows; i++)
    if(strcmp(t->codes[i], code) == 0)
      return i;
  return -1;
}

static int type_of(const struct sr_tally *t, const char *code)
{
  for(int i = 0; code && i < t->ntypes; i++)
    if(strcmp(t->types[i], code) == 0)
      return i;
  return -1;
}

static long num(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* Adds <v> to counter <k> of <row> (and of the total) in period <b>, or in every period. */
static void add(struct sr_tally *t, int b, int row, enum counter k, long v)
{
  for(int i = b < 0 ? 0 : b; i < (b < 0 ? t->nbuckets : b + 1); i++) {
    if(row >= 0)
      cell(t, i, row)[k] += v;
    cell(t, i, t->nrows)[k] += v;
  }
}

static bool take_part(struct sr_tally *t, const char *name, const cJSON *items)
{
  if(!cJSON_IsArray(items))
    return false;
  const cJSON *it;
  cJSON_ArrayForEach(it, items)
  {
    const cJSON *bv = cJSON_GetObjectItemCaseSensitive(it, "b");
    int b = cJSON_IsNumber(bv) ? (int)bv->valuedouble : -1;
    if(cJSON_IsNumber(bv) && (b < 0 || b >= t->nbuckets))
      return false;
    int row = row_of(t, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "j")));
    for(size_t k = 0; k < sizeof keys / sizeof *keys; k++)
      if(strcmp(keys[k].part, name) == 0)
        add(t, b, row, keys[k].c, num(it, keys[k].key));
    if(strcmp(name, "u") == 0) {
      int ty = type_of(t, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "ty")));
      for(int k = 0; ty >= 0 && k < 2; k++) {
        int r = k == 0 ? row : t->nrows;
        if(r < 0)
          continue;
        type_cell(t, r, ty)[0] += num(it, "n");
        type_cell(t, r, ty)[1] += num(it, "s");
      }
    }
  }
  return true;
}

static cJSON *column(const PGresult *r, const char *name)
{
  int f = PQfnumber(r, name);
  return f < 0 || PQgetisnull(r, 0, f) ? NULL : cJSON_Parse(PQgetvalue(r, 0, f));
}

struct sr_tally *sr_tally_from(const PGresult *r, int nbuckets, const struct sr_plugins *plugins)
{
  struct sr_tally *t = calloc(1, sizeof *t);
  cJSON *jl = column(r, "jl");
  if(!t || !cJSON_IsArray(jl)) {
    cJSON_Delete(jl);
    free(t);
    return NULL;
  }
  t->nbuckets = nbuckets;
  t->nrows = cJSON_GetArraySize(jl);
  t->ntypes = sr_plugins_ntypes(plugins);
  t->codes = calloc((size_t)t->nrows + 1, sizeof *t->codes);
  t->names = calloc((size_t)t->nrows + 1, sizeof *t->names);
  t->types = calloc((size_t)t->ntypes + 1, sizeof *t->types);
  t->v = calloc((size_t)nbuckets * (size_t)(t->nrows + 1) * C__COUNT, sizeof *t->v);
  t->tv = calloc((size_t)(t->nrows + 1) * (size_t)(t->ntypes + 1) * 2, sizeof *t->tv);
  bool ok = t->codes && t->names && t->types && t->v && t->tv;
  for(int i = 0; ok && i < t->ntypes; i++)
    t->types[i] = sr_plugins_type_at(plugins, i)->code;
  for(int i = 0; ok && i < t->nrows; i++) {
    const cJSON *o = cJSON_GetArrayItem(jl, i);
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "code"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name"));
    t->codes[i] = code ? strdup(code) : NULL;
    t->names[i] = name ? strdup(name) : NULL;
    ok = t->codes[i] && t->names[i];
  }
  cJSON_Delete(jl);
  for(size_t p = 0; ok && p < sizeof parts / sizeof *parts; p++) {
    cJSON *items = column(r, parts[p]);
    ok = take_part(t, parts[p], items);
    cJSON_Delete(items);
  }
  t->agencies = ok ? column(r, "ag") : NULL;
  if(!cJSON_IsArray(t->agencies)) {
    sr_tally_free(t);
    return NULL;
  }
  return t;
}

/* A fraction rounded to four places, or null when nothing was counted. */
static cJSON *rate(long n, long d)
{
  return d > 0 ? cJSON_CreateNumber(round((double)n / (double)d * 10000) / 10000) : cJSON_CreateNull();
}

static cJSON *by_type(const struct sr_tally *t, int row, int which)
{
  cJSON *o = cJSON_CreateObject();
  for(int i = 0; i < t->ntypes; i++)
    cJSON_AddNumberToObject(o, t->types[i], (double)type_cell(t, row, i)[which]);
  return o;
}

static cJSON *pair(const char *a, long x, const char *b, long y, bool with_rate)
{
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, a, (double)x);
  cJSON_AddNumberToObject(o, b, (double)y);
  if(with_rate)
    cJSON_AddItemToObject(o, "rate", rate(y, x));
  return o;
}

cJSON *sr_tally_json(const struct sr_tally *t, int b, int row)
{
  const long *v = cell(t, b, row);
  cJSON *f = cJSON_CreateObject(), *u = cJSON_AddObjectToObject(f, "units");
  cJSON_AddNumberToObject(u, "total", (double)v[C_UNITS]);
  cJSON_AddItemToObject(u, "by_type", by_type(t, row, 0));
  u = cJSON_AddObjectToObject(f, "units_in_service");
  cJSON_AddNumberToObject(u, "total", (double)v[C_INSVC]);
  cJSON_AddItemToObject(u, "by_type", by_type(t, row, 1));
  cJSON_AddNumberToObject(f, "registrations", (double)v[C_REG]);
  cJSON_AddNumberToObject(f, "changes", (double)v[C_CHG]);
  cJSON_AddNumberToObject(f, "cancellations", (double)v[C_CAN]);
  cJSON_AddNumberToObject(f, "overdue", (double)v[C_OVERDUE]);
  cJSON_AddItemToObject(f, "inspection", pair("fell_due", v[C_FELL], "on_time", v[C_ONTIME], true));
  cJSON *h = cJSON_AddObjectToObject(f, "hazards_found"), *s;
  cJSON_AddNumberToObject(h, "total", (double)v[C_HF]);
  s = cJSON_AddObjectToObject(h, "by_source");
  cJSON_AddNumberToObject(s, "overdue", (double)v[C_S_OVERDUE]);
  cJSON_AddNumberToObject(s, "failed_in_use", (double)v[C_S_FAILED]);
  cJSON_AddNumberToObject(s, "defect", (double)v[C_S_DEFECT]);
  cJSON_AddNumberToObject(s, "patrol", (double)v[C_S_PATROL]);
  cJSON_AddNumberToObject(s, "manual", (double)v[C_S_MANUAL]);
  cJSON_AddItemToObject(h, "by_grade", pair("general", v[C_G_GENERAL], "major", v[C_G_MAJOR], false));
  cJSON_AddNumberToObject(f, "hazards_open", (double)v[C_HOPEN]);
  cJSON_AddNumberToObject(f, "hazards_major_open", (double)v[C_HMAJOR]);
  cJSON_AddItemToObject(f, "hazard_closure", pair("found", v[C_HF], "closed", v[C_HCLOSED], true));
  cJSON_AddItemToObject(f, "closed_on_time", pair("closed", v[C_RCLOSED], "on_time", v[C_RONTIME], true));
  cJSON_AddNumberToObject(f, "rectifications_open", (double)v[C_ROPEN]);
  cJSON_AddNumberToObject(f, "rectifications_past_deadline", (double)v[C_RPAST]);
  cJSON_AddItemToObject(f, "listed_supervision", pair("open", v[C_LSOPEN], "closed", v[C_LSCLOSED], false));
  return f;
}

cJSON *sr_tally_agencies(struct sr_tally *t)
{
  cJSON *a = t->agencies, *it;
  t->agencies = NULL;
  cJSON_ArrayForEach(it, a)
  {
    cJSON_AddItemToObject(it, "failure_rate", rate(num(it, "failed"), num(it, "results")));
  }
  return a;
}

void sr_tally_free(struct sr_tally *t)
{
  if(!t)
    return;
  for(int i = 0; i < t->nrows; i++) {
    free(t->codes ? t->codes[i] : NULL);
    free(t->names ? t->names[i] : NULL);
  }
  free(t->codes);
  free(t->names);
  free(t->types);
  free(t->v);
  free(t->tv);
  cJSON_Delete(t->agencies);
  free(t);
}
