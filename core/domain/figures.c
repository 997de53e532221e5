/*
 * figures.c -- see figures.h: reading what is asked, the scope it may reach, and the answer of
 * GET /api/v1/figures put together from the one statement of figures_sql.c. The definitions are in
 * docs/figures.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "figures_int.h"
#include "plugin.h"
#include "sr_limits.h"
#include "tx.h"

/* ==== periods ==== */

static bool digits(const char *s, size_t n)
{
  for(size_t i = 0; i < n; i++)
    if(s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static struct sr_period span(int y, int m0, int months, const char *label)
{
  struct sr_period p;
  snprintf(p.label, sizeof p.label, "%s", label);
  p.from = (struct sr_date){ y, m0, 1 };
  int m1 = m0 + months - 1;
  p.to = (struct sr_date){ y, m1, sr_date_days_in_month(y, m1) };
  return p;
}

bool sr_period_parse(const char *s, struct sr_period *out)
{
  size_t n = s ? strlen(s) : 0;
  if(n < 4 || !digits(s, 4))
    return false;
  int y = atoi(s); /* four digits */
  if(y < 1900)
    return false;
  char label[8];
  snprintf(label, sizeof label, "%.7s", s);
  if(n == 4) {
    *out = span(y, 1, 12, label);
    return true;
  }
  if(n == 7 && s[4] == '-' && digits(s + 5, 2)) {
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    if(m < 1 || m > 12)
      return false;
    *out = span(y, m, 1, label);
    return true;
  }
  if(n == 7 && s[4] == '-' && s[5] == 'Q' && s[6] >= '1' && s[6] <= '4') {
    *out = span(y, (s[6] - '1') * 3 + 1, 3, label);
    return true;
  }
  return false;
}

struct sr_period sr_period_month(struct sr_date d)
{
  char label[8];
  snprintf(label, sizeof label, "%04u-%02u", (unsigned)d.y % 10000u, (unsigned)d.m % 100u);
  return span(d.y, d.m, 1, label);
}

bool sr_figures_read(struct sr_ctx *c, const struct sr_params *q, struct sr_figures_ask *ask, struct sr_problem *pb)
{
  static const char *const allowed[] = { "period", "jurisdiction", "series", "format", NULL };
  memset(ask, 0, sizeof *ask);
  if(!sr_params_only(q, allowed, pb))
    return false;
  const char *period = sr_params_get(q, "period"), *j = sr_params_get(q, "jurisdiction");
  const char *series = sr_params_get(q, "series"), *format = sr_params_get(q, "format");
  ask->period = sr_period_month(c->today);
  if(period && !sr_period_parse(period, &ask->period))
    sr_problem_field(pb, "period", "must be a month YYYY-MM, a quarter YYYY-Qn (n from 1 to 4) or a year YYYY");
  else if(sr_date_cmp(ask->period.from, c->today) > 0) {
    char today[11];
    sr_date_format(c->today, today);
    sr_problem_field(pb, "period", "must not begin after today (%s)", today);
  }
  /* A code as the jurisdiction table writes them (sql/0001): six digits, and a zone's suffix. */
  size_t jn = j ? strlen(j) : 0;
  if(j && !((jn == 6 && digits(j, 6)) || (jn == 9 && digits(j, 6) && j[6] == '-' && j[7] >= 'A' && j[7] <= 'Z' &&
                                           j[8] >= 'A' && j[8] <= 'Z')))
    sr_problem_field(pb, "jurisdiction", "must be a jurisdiction's code, six digits (and -XX for a zone)");
  ask->jurisdiction = j;
  long n = 0;
  if(series && !sr_parse_long(series, 1, SR_FIGURES_SERIES_MAX, &n))
    sr_problem_field(pb, "series", "must be a whole number from 1 to %d", SR_FIGURES_SERIES_MAX);
  ask->series = (int)n;
  if(format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)
    sr_problem_field(pb, "format", "must be json, csv or xlsx");
  if(pb->err == SR_INVALID)
    pb->err = SR_BAD_REQUEST;
  return pb->err == SR_OK;
}

/* ==== the scope ==== */

struct scope {
  char code[16], name[128];
  bool city; /* the city: every district and the total */
};

/* The jurisdiction the caller's figures are of: the city for the city and the administrator
 * (or the one they ask), their own for a district and a coordinator, who are told of no other. */
static enum sr_err scope_of(struct sr_ctx *c, const char *asked, struct scope *s, struct sr_problem *pb)
{
  const char *own = NULL;
  switch(c->who.role) {
  case SR_ROLE_CITY:
  case SR_ROLE_ADMIN:
  case SR_ROLE_SYSTEM:
    break;
  case SR_ROLE_DISTRICT:
  case SR_ROLE_COORDINATOR:
    own = c->who.jurisdiction;
    break;
  default:
    return sr_problem_set(pb, SR_FORBIDDEN, "Figures are for supervisors.");
  }
  if(own && asked && strcmp(asked, own) != 0) {
    sr_problem_set(pb, SR_NOT_FOUND, "No jurisdiction '%s' that you may see.", asked);
    sr_problem_field(pb, "jurisdiction", "is not a jurisdiction you may see");
    pb->err = SR_NOT_FOUND;
    return pb->err;
  }
  const char *code = own ? own : asked;
  const char *p[] = { code };
  PGresult *r = sr_db_exec(c->db,
                           code ? "SELECT code, name, parent IS NULL AS city FROM jurisdiction WHERE code = $1"
                                : "SELECT code, name, true AS city FROM jurisdiction WHERE kind = 'city' "
                                  "AND parent IS NULL ORDER BY code LIMIT 1",
                           code ? 1 : 0, code ? p : NULL);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  if(PQntuples(r) != 1) {
    PQclear(r);
    sr_problem_set(pb, SR_NOT_FOUND, "No jurisdiction '%s' that you may see.", code ? code : "");
    sr_problem_field(pb, "jurisdiction", "is not a jurisdiction you may see");
    pb->err = SR_NOT_FOUND;
    return pb->err;
  }
  snprintf(s->code, sizeof s->code, "%s", PQgetvalue(r, 0, 0));
  snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, 0, 1));
  s->city = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
  PQclear(r);
  return SR_OK;
}

/* ==== the answer ==== */

static cJSON *period_json(const struct sr_period *p)
{
  char from[11], to[11];
  sr_date_format(p->from, from);
  sr_date_format(p->to, to);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "label", p->label);
  cJSON_AddStringToObject(o, "from", from);
  cJSON_AddStringToObject(o, "to", to);
  return o;
}

/* The months of the series: <n> ending with the period's last month, or with this month when
 * the period ends later (a month that has not begun has no figures yet). */
static int series_of(const struct sr_ctx *c, const struct sr_figures_ask *ask, struct sr_period *out)
{
  struct sr_date last = ask->period.to;
  if(sr_date_cmp(last, c->today) > 0)
    last = c->today;
  struct sr_date first = sr_date_add_months((struct sr_date){ last.y, last.m, 1 }, -(ask->series - 1));
  for(int i = 0; i < ask->series; i++)
    out[i] = sr_period_month(sr_date_add_months(first, i));
  return ask->series;
}

enum sr_err sr_figures_compute(struct sr_ctx *c, const struct sr_figures_ask *ask, cJSON **out, struct sr_problem *pb)
{
  struct sr_period buckets[SR_FIGURES_SERIES_MAX + 1];
  buckets[0] = ask->period;
  int nb = 1 + (ask->series ? series_of(c, ask, buckets + 1) : 0);
  struct scope s;
  if(!sr_tx_begin(c, pb))
    return pb->err;
  PGresult *r = NULL;
  if(scope_of(c, ask->jurisdiction, &s, pb) == SR_OK)
    r = sr_figures_query(c, buckets, nb, s.city ? NULL : s.code, pb);
  sr_tx_rollback(c); /* read-only */
  if(!r)
    return pb->err;
  struct sr_tally *t = sr_tally_from(r, nb, c->plugins);
  PQclear(r);
  if(!t)
    return sr_problem_set(pb, SR_INTERNAL, "the figures could not be read");
  char as_of[11];
  sr_date_format(c->today, as_of);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "period", period_json(&ask->period));
  cJSON_AddStringToObject(o, "as_of", as_of);
  cJSON *sc = cJSON_AddObjectToObject(o, "scope");
  cJSON_AddStringToObject(sc, "code", s.code);
  cJSON_AddStringToObject(sc, "name", s.name);
  cJSON *rows = cJSON_AddArrayToObject(o, "rows");
  for(int i = 0; i < t->nrows; i++) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "jurisdiction", t->codes[i]);
    cJSON_AddStringToObject(row, "name", t->names[i]);
    cJSON_AddItemToObject(row, "figures", sr_tally_json(t, 0, i));
    cJSON_AddItemToArray(rows, row);
  }
  if(s.city) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNullToObject(row, "jurisdiction");
    cJSON_AddStringToObject(row, "name", "合计");
    cJSON_AddItemToObject(row, "figures", sr_tally_json(t, 0, t->nrows));
    cJSON_AddItemToArray(rows, row);
  }
  cJSON_AddItemToObject(o, "agencies", sr_tally_agencies(t));
  if(ask->series) {
    cJSON *series = cJSON_AddArrayToObject(o, "series");
    for(int b = 1; b < nb; b++) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddItemToObject(e, "period", period_json(&buckets[b]));
      cJSON_AddItemToObject(e, "figures", sr_tally_json(t, b, t->nrows));
      cJSON_AddItemToArray(series, e);
    }
  }
  sr_tally_free(t);
  *out = o;
  return SR_OK;
}
