/*
 * equipment_list.c -- the list of units (sr_equipment_list in equipment.h): its filters, the
 * search, its orders and the keyset cursor of each order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "equipment.h"
#include "sql.h"

/* The same record as a single unit's, built in the list's plan from the joins EQ_JOINS brings
 * (sql/0022): a list of many units runs no query per row. */
#define EQ_LIST_JSON                                                                                              \
  "sereg_equipment_shape(e.id, e.equipment_code, e.type, e.variety, e.registration_number, e.jurisdiction, "   \
  "ej.name, eo.credit_code, eo.name, e.address, e.commissioned_on, e.attributes, e.status, e.rule, e.next_due, " \
  "e.next_due_kind, e.version, e.created_at, e.updated_at, e.inspection_state)::text AS j"
#define EQ_JOINS " JOIN organization eo ON eo.id = e.user_unit_id JOIN jurisdiction ej ON ej.code = e.jurisdiction"

/* Each order: its key (with the due filters, where no unit lacks a due date, the bare column the
 * partial next_due index holds), the key of a cursor as text and the parameter's cast back. The
 * equipment code is unique: it orders alone, through its unique index. A key is the expression
 * of its index (sql/0025) and holds nothing the planner takes for leaky (COALESCE is), or the
 * row policies would keep the cursor's condition out of the index. */
struct order {
  const char *key, *key_due_filtered, *cursor_key, *cast;
  char tag, tag_desc;
};
static const struct order orders[] = {
  [SR_EQ_BY_ID] = { "e.id", NULL, NULL, NULL, 'e', 'e' },
  [SR_EQ_BY_DUE] = { "CASE WHEN e.next_due IS NULL THEN 'infinity'::date ELSE e.next_due END", "e.next_due",
                     "coalesce(to_char(e.next_due, 'YYYY-MM-DD'), 'infinity')", "::date", 'd', 'D' },
  [SR_EQ_BY_REGISTERED] = { "e.created_at", NULL,
                            "to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')",
                            "::timestamp AT TIME ZONE 'UTC'", 'r', 'R' },
  [SR_EQ_BY_CODE] = { "e.equipment_code", NULL, "e.equipment_code", "", 'k', 'K' },
};

static char tag_of(enum sr_equipment_sort sort, bool desc)
{
  return desc ? orders[sort].tag_desc : orders[sort].tag;
}

static bool digits(const char *s, size_t n)
{
  return strspn(s, "0123456789") >= n;
}

/* A registration time as a cursor holds it: YYYY-MM-DDTHH:MI:SS.UUUUUU (UTC). */
static bool utc_time(const char *s)
{
  char date[11];
  struct sr_date d;
  if(strlen(s) != 26 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || !digits(s + 11, 2) ||
     !digits(s + 14, 2) || !digits(s + 17, 2) || !digits(s + 20, 6))
    return false;
  memcpy(date, s, 10);
  date[10] = '\0';
  return sr_date_parse(date, &d) && atoi(s + 11) < 24 && atoi(s + 14) < 60 && atoi(s + 17) < 60;
}

bool sr_equipment_cursor_read(const char *cursor, struct sr_equipment_filter *f)
{
  struct sr_date d;
  char *key = f->after_key;
  if(f->sort == SR_EQ_BY_ID)
    return sr_cursor_decode(cursor, &f->after_id);
  if(!sr_cursor_decode_keyed(cursor, tag_of(f->sort, f->desc), key, sizeof f->after_key, &f->after_id))
    return false;
  switch(f->sort) {
  case SR_EQ_BY_DUE:
    return strcmp(key, "infinity") == 0 || sr_date_parse(key, &d);
  case SR_EQ_BY_REGISTERED:
    return utc_time(key);
  case SR_EQ_BY_CODE:
    return strlen(key) == 18 && strspn(key, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 18;
  case SR_EQ_BY_ID:
    break;
  }
  return false;
}

/* " AND " the search <text>: the units whose keys or whose user unit's hold it, found through
 * the gram index of equipment_search (sql/0025), their rows then read under the list's scope.
 * The ids come as one array, worked out once: equipment's primary key then serves a page in id
 * order with as many look-ups as the page has rows, however many units match. */
static void search(struct sr_sql *q, const char *text)
{
  char ph[16], part[400];
  sr_sql_value(q, text); /* one parameter, named twice */
  snprintf(ph, sizeof ph, "$%d", q->n);
  snprintf(part, sizeof part,
           " AND e.id = ANY (ARRAY(SELECT s.equipment_id FROM equipment_search s WHERE sereg_grams(s.unit_keys || "
           "chr(10) || s.org_keys) @> sereg_search_grams(sereg_search_key(%s)) AND strpos(s.unit_keys || chr(10) || "
           "s.org_keys, sereg_search_key(%s)) > 0))",
           ph, ph);
  sr_sql_add(q, part);
}

enum sr_err sr_equipment_list(struct sr_ctx *c, const struct sr_equipment_filter *f, cJSON **out,
                              struct sr_problem *pb)
{
  bool due_filtered = f->due_from[0] || f->due_until[0];
  const struct order *o = &orders[f->sort];
  const char *key = due_filtered && o->key_due_filtered ? o->key_due_filtered : o->key;
  char text[256];
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id, " EQ_LIST_JSON);
  if(o->cursor_key) { /* each order's cursor: its tag, key and id */
    snprintf(text, sizeof text, ", '%c' || %s || '.' || to_hex(e.id) AS cursor", tag_of(f->sort, f->desc),
             o->cursor_key);
    sr_sql_add(&q, text);
  }
  sr_sql_add(&q, " FROM equipment e" EQ_JOINS " WHERE true");
  sr_scope_equipment(&q, c, "e");
  const struct sr_sql_filter eqs[] = { { "e.jurisdiction", f->jurisdiction },
                                       { "e.type", f->type },
                                       { "e.status", f->status },
                                       { "e.inspection_state", f->inspection_state },
                                       { "e.equipment_code", f->equipment_code },
                                       { "e.registration_number", f->registration_number },
                                       { "eo.credit_code", f->user_unit } };
  sr_sql_filters(&q, eqs, sizeof eqs / sizeof *eqs);
  if(due_filtered)
    sr_sql_add(&q, " AND e.next_due IS NOT NULL");
  if(f->due_from[0]) {
    sr_sql_add(&q, " AND e.next_due >= ");
    sr_sql_param(&q, f->due_from);
    sr_sql_add(&q, "::date");
  }
  if(f->due_until[0]) {
    sr_sql_add(&q, " AND e.next_due < ");
    sr_sql_param(&q, f->due_until);
    sr_sql_add(&q, "::date");
  }
  if(f->q)
    search(&q, f->q);
  sr_sql_total_here(&q, f->count);
  /* The keyset: past the cursor's row in the list's order. */
  const char *cmp = f->desc ? " < " : " > ";
  if(f->sort == SR_EQ_BY_ID) {
    if(f->after_id > 0) {
      sr_sql_add(&q, " AND e.id > ");
      sr_sql_param_long(&q, f->after_id);
    }
  }
  else if(f->after_key[0] && f->sort == SR_EQ_BY_CODE) {
    snprintf(text, sizeof text, " AND %s%s", key, cmp);
    sr_sql_add(&q, text);
    sr_sql_param(&q, f->after_key);
  }
  else if(f->after_key[0]) {
    snprintf(text, sizeof text, " AND (%s, e.id)%s(", key, cmp);
    sr_sql_add(&q, text);
    sr_sql_param(&q, f->after_key);
    sr_sql_add(&q, o->cast);
    sr_sql_add(&q, ", ");
    sr_sql_param_long(&q, f->after_id);
    sr_sql_add(&q, ")");
  }
  const char *dir = f->desc ? " DESC" : "";
  if(f->sort == SR_EQ_BY_ID || f->sort == SR_EQ_BY_CODE)
    snprintf(text, sizeof text, " ORDER BY %s%s LIMIT ", key, dir);
  else
    snprintf(text, sizeof text, " ORDER BY %s%s, e.id%s LIMIT ", key, dir, dir);
  sr_sql_add(&q, text);
  sr_sql_param_long(&q, f->limit + 1); /* one more tells whether there is a next page */
  return sr_sql_page(c, &q, f->limit, out, pb);
}
