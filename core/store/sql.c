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
  int n = PQntuples(r), idcol = PQfnumber(r, "id"), jcol = PQfnumber(r, "j");
  for(int i = 0; i < n && i < limit; i++)
    cJSON_AddItemToArray(items, cJSON_Parse(PQgetvalue(r, i, jcol)));
  if(n > limit) {
    char cur[32];
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

enum sr_err sr_sql_page(struct sr_ctx *c, struct sr_sql *q, long limit, cJSON **out, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(q);
    return pb->err;
  }
  PGresult *r = q->overflow ? NULL : sr_db_exec(c->db, q->text.data, q->n, q->params);
  sr_sql_free(q);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  *out = sr_page_from_rows(r, limit);
  PQclear(r);
  sr_tx_rollback(c); /* read-only */
  return *out ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "out of memory");
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
