/* sql.c -- see sql.h. */
#include "sql.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tx.h"
#include "problem.h"

void sr_sql_init(struct sr_sql *q, const char *start)
{
  sr_buf_init(&q->text, 64 * 1024);
  q->n = 0;
  q->overflow = false;
  q->ncopies = 0;
  q->total = false;
  q->total_at = 0;
  sr_sql_add(q, start);
}

void sr_sql_free(struct sr_sql *q)
{
  sr_buf_free(&q->text);
  for(int i = 0; i < q->ncopies; i++)
    free(q->copies[i]);
  q->ncopies = 0;
}

void sr_sql_param_copy(struct sr_sql *q, const char *value)
{
  char *copy = value ? strdup(value) : NULL;
  if(value && (!copy || q->ncopies == SR_SQL_MAXPARAMS)) {
    free(copy);
    q->overflow = true;
    return;
  }
  if(copy)
    q->copies[q->ncopies++] = copy;
  sr_sql_param(q, copy);
}

void sr_sql_add(struct sr_sql *q, const char *text)
{
  if(!sr_buf_append(&q->text, text, strlen(text)))
    q->overflow = true;
}

void sr_sql_value(struct sr_sql *q, const char *value)
{
  if(q->n == SR_SQL_MAXPARAMS) {
    q->overflow = true;
    return;
  }
  q->params[q->n++] = value;
}

void sr_sql_param(struct sr_sql *q, const char *value)
{
  if(q->n == SR_SQL_MAXPARAMS) {
    q->overflow = true;
    return;
  }
  q->params[q->n++] = value;
  char ph[16];
  snprintf(ph, sizeof ph, "$%d", q->n);
  sr_sql_add(q, ph);
}

void sr_sql_param_long(struct sr_sql *q, long v)
{
  if(q->n == SR_SQL_MAXPARAMS) {
    q->overflow = true;
    return;
  }
  snprintf(q->own[q->n], sizeof q->own[q->n], "%ld", v);
  sr_sql_param(q, q->own[q->n]);
}

void sr_sql_filters(struct sr_sql *q, const struct sr_sql_filter *filters, size_t n)
{
  for(size_t i = 0; i < n; i++) {
    if(!filters[i].value)
      continue;
    sr_sql_add(q, " AND ");
    sr_sql_add(q, filters[i].column);
    sr_sql_add(q, " = ");
    sr_sql_param(q, filters[i].value);
  }
}

void sr_sql_total_here(struct sr_sql *q, bool count)
{
  q->total = count;
  q->total_at = q->text.len;
}

/* Filters <alias> by the caller's role for what everyone but agencies sees alike; false when
 * the role is left to the caller (agencies). */
static bool scope_common(struct sr_sql *q, const struct sr_ctx *c, const char *alias)
{
  char text[320];
  switch(c->who.role) {
  case SR_ROLE_SYSTEM:
  case SR_ROLE_CITY:
  case SR_ROLE_ADMIN:
    return true;
  case SR_ROLE_DISTRICT:
  case SR_ROLE_COORDINATOR:
    snprintf(text, sizeof text, " AND %s.jurisdiction = ", alias);
    sr_sql_add(q, text);
    sr_sql_param(q, c->who.jurisdiction);
    return true;
  case SR_ROLE_USER_UNIT:
    snprintf(text, sizeof text, " AND %s.user_unit_id = ", alias);
    sr_sql_add(q, text);
    sr_sql_param_long(q, c->who.org_id);
    return true;
  case SR_ROLE_AGENCY:
    return false;
  case SR_ROLE_NONE:
    break;
  }
  sr_sql_add(q, " AND false");
  return true;
}

void sr_scope_supervision(struct sr_sql *q, const struct sr_ctx *c, const char *alias)
{
  if(!scope_common(q, c, alias))
    sr_sql_add(q, " AND false");
}

void sr_scope_equipment(struct sr_sql *q, const struct sr_ctx *c, const char *alias)
{
  if(scope_common(q, c, alias))
    return;
  /* An agency: the types (and varieties) it is accredited for today. */
  char text[320], today[11];
  sr_date_format(c->today, today);
  snprintf(text, sizeof text,
           " AND EXISTS (SELECT 1 FROM accreditation acc WHERE acc.equipment_type = %s.type "
           "AND (acc.varieties IS NULL OR %s.variety = ANY (acc.varieties)) AND acc.agency_id = ",
           alias, alias);
  sr_sql_add(q, text);
  sr_sql_param_long(q, c->who.org_id);
  sr_sql_add(q, " AND ");
  sr_sql_param_copy(q, today);
  sr_sql_add(q, "::date BETWEEN acc.valid_from AND acc.valid_to)");
}

void sr_cursor_encode(long id, char out[32]) { snprintf(out, 32, "e%lx", (unsigned long)id); }

bool sr_cursor_decode_due(const char *s, char due[11], long *id)
{
  struct sr_date d;
  char date[11];
  size_t n = s ? strlen(s) : 0;
  if(n < 13 || n > 27 || s[0] != 'd' || s[11] != '.')
    return false;
  memcpy(date, s + 1, 10);
  date[10] = '\0';
  if(!sr_date_parse(date, &d) || strspn(s + 12, "0123456789abcdef") != n - 12)
    return false;
  memcpy(due, date, 11);
  *id = (long)strtoul(s + 12, NULL, 16);
  return true;
}

bool sr_cursor_decode_keyed(const char *s, char tag, char *key, size_t keysz, long *id)
{
  const char *dot = s ? strrchr(s, '.') : NULL;
  if(!dot || s[0] != tag || keysz < 2)
    return false;
  size_t klen = (size_t)(dot - s - 1), hlen = strlen(dot + 1);
  if(klen < 1 || klen >= keysz || strspn(s + 1, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz:.-") <
                                      klen || hlen < 1 || hlen > 15 ||
     strspn(dot + 1, "0123456789abcdef") != hlen)
    return false;
  memcpy(key, s + 1, klen);
  key[klen] = '\0';
  *id = (long)strtoul(dot + 1, NULL, 16);
  return true;
}

bool sr_cursor_decode(const char *s, long *id)
{
  size_t n = s ? strlen(s) : 0;
  if(n < 2 || n > 16 || s[0] != 'e' || strspn(s + 1, "0123456789abcdef") != n - 1)
    return false;
  *id = (long)strtoul(s + 1, NULL, 16);
  return *id >= 0;
}

cJSON *sr_page_from_rows(const PGresult *r, long limit)
{
  cJSON *page = cJSON_CreateObject();
  cJSON *items = cJSON_AddArrayToObject(page, "items");
  int n = PQntuples(r), idcol = PQfnumber(r, "id"), jcol = PQfnumber(r, "j"), tcol = PQfnumber(r, "total");
  if(tcol >= 0) {
    cJSON_AddNumberToObject(page, "total", n > 0 ? atof(PQgetvalue(r, 0, tcol)) : 0);
    if(n == 1 && PQgetisnull(r, 0, idcol))
      n = 0; /* the count's row of an empty page */
  }
  for(int i = 0; i < n && i < limit; i++)
    cJSON_AddItemToArray(items, cJSON_Parse(PQgetvalue(r, i, jcol)));
  if(n > limit) {
    char cur[64];
    int ccol = PQfnumber(r, "cursor"); /* a list in another order names its own cursor */
    if(ccol >= 0)
      snprintf(cur, sizeof cur, "%s", PQgetvalue(r, (int)limit - 1, ccol));
    else
      sr_cursor_encode(atol(PQgetvalue(r, (int)limit - 1, idcol)), cur);
    cJSON_AddStringToObject(page, "next_cursor", cur);
  }
  else
    cJSON_AddNullToObject(page, "next_cursor");
  return page;
}

PGresult *sr_sql_exec(struct sr_ctx *c, struct sr_sql *q, struct sr_problem *pb)
{
  PGresult *r = q->overflow ? NULL : sr_db_exec(c->db, q->text.data, q->n, q->params);
  sr_sql_free(q);
  if(sr_db_ok(r, PGRES_TUPLES_OK))
    return r;
  PQclear(r);
  sr_problem_set(pb, SR_INTERNAL, "database error");
  return NULL;
}

/* The page and, when asked, the total beside it in one statement: the count's one row, joined to
 * the page's rows in their order (a row without id when the page is empty). The conditions'
 * text uses only the first of the page's parameters, so both share them. */
static bool counted(struct sr_sql *q, struct sr_buf *out)
{
  static const char head[] = "SELECT t.total, p.* FROM (SELECT count(*) AS total FROM (",
                    mid[] = ") x) t LEFT JOIN LATERAL (", tail[] = ") p ON true";
  sr_buf_init(out, 2 * q->text.len + 128);
  return sr_buf_append(out, head, sizeof head - 1) && sr_buf_append(out, q->text.data, q->total_at) &&
         sr_buf_append(out, mid, sizeof mid - 1) && sr_buf_append(out, q->text.data, q->text.len) &&
         sr_buf_append(out, tail, sizeof tail - 1);
}

enum sr_err sr_sql_page_in_tx(struct sr_ctx *c, struct sr_sql *q, long limit, cJSON **out, struct sr_problem *pb)
{
  struct sr_buf both = { 0 };
  bool ok = !q->overflow && (!q->total || counted(q, &both));
  PGresult *r = ok ? sr_db_exec(c->db, q->total ? both.data : q->text.data, q->n, q->params) : NULL;
  if(q->total)
    sr_buf_free(&both);
  sr_sql_free(q);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  *out = sr_page_from_rows(r, limit);
  PQclear(r);
  return *out ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "out of memory");
}

enum sr_err sr_sql_page(struct sr_ctx *c, struct sr_sql *q, long limit, cJSON **out, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(q);
    return pb->err;
  }
  enum sr_err e = sr_sql_page_in_tx(c, q, limit, out, pb);
  sr_tx_rollback(c); /* read-only */
  return e;
}

PGresult *sr_sql_one(struct sr_ctx *c, struct sr_sql *q, const char *what, long id, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(q);
    return NULL;
  }
  PGresult *r = q->overflow ? NULL : sr_db_exec(c->db, q->text.data, q->n, q->params);
  sr_sql_free(q);
  sr_tx_rollback(c); /* read-only */
  if(!sr_db_ok(r, PGRES_TUPLES_OK))
    sr_problem_set(pb, SR_INTERNAL, "database error");
  else if(PQntuples(r) != 1)
    sr_problem_set(pb, SR_NOT_FOUND, "No %s %ld that you may see.", _(what), id);
  else
    return r;
  PQclear(r);
  return NULL;
}

cJSON *sr_sql_record(const PGresult *r, const char *const *members)
{
  const char *text = sr_db_get(r, 0, "j");
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  for(const char *const *m = members; j && *m; m++) {
    const char *v = sr_db_get(r, 0, *m);
    cJSON *part = v ? cJSON_Parse(v) : NULL;
    if(!part) {
      cJSON_Delete(j);
      return NULL;
    }
    cJSON_AddItemToObject(j, *m, part);
  }
  return j;
}
