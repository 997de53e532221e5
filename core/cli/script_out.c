/*
 * script_out.c -- what a script emits, in the format asked (script_int.h): csv for Excel on
 * Chinese Windows (UTF-8 with a BOM, CRLF, a cell that would start a formula made text), json
 * (an array of objects, keys in column order), or an aligned table for a person at a terminal,
 * measured on its first rows so that a long output streams in flat memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "i18n.h"
#include "script_int.h"
#include "sr_limits.h"
#include "util.h"

#define TABLE_SAMPLE 200 /* rows a table is measured on before it is printed */

enum format { CSV, JSON, TABLE };

struct sr_script_out {
  enum format format;
  FILE *f;
  cJSON *columns; /* array of strings; NULL until declared or taken from the first row */
  long rows;
  cJSON *held;    /* table: the rows held back to measure the columns, as arrays of text */
  int *width;
  bool printed;   /* table: the header is out */
};

struct sr_script_out *sr_script_out_new(const char *format, FILE *f, char *why, size_t whysz)
{
  enum format fm;
  if(strcmp(format, "csv") == 0)
    fm = CSV;
  else if(strcmp(format, "json") == 0)
    fm = JSON;
  else if(strcmp(format, "table") == 0)
    fm = TABLE;
  else {
    snprintf(why, whysz, _("--format is table, csv or json, not '%s'"), format);
    return NULL;
  }
  struct sr_script_out *o = calloc(1, sizeof *o);
  if(!o || !(o->held = cJSON_CreateArray())) {
    free(o);
    snprintf(why, whysz, _("out of memory"));
    return NULL;
  }
  o->format = fm;
  o->f = f;
  return o;
}

void sr_script_out_free(struct sr_script_out *o)
{
  if(!o)
    return;
  cJSON_Delete(o->columns);
  cJSON_Delete(o->held);
  free(o->width);
  free(o);
}

long sr_script_out_rows(const struct sr_script_out *o) { return o->rows; }

bool sr_script_out_columns(struct sr_script_out *o, const cJSON *names, char *why, size_t whysz)
{
  if(o->columns) {
    snprintf(why, whysz, _("the columns are set already (sereg.columns comes once, before the first row)"));
    return false;
  }
  int n = cJSON_GetArraySize(names);
  if(!cJSON_IsArray(names) || n < 1 || n > SR_SCRIPT_MAX_COLUMNS) {
    snprintf(why, whysz, _("give a list of 1 to %d column names"), SR_SCRIPT_MAX_COLUMNS);
    return false;
  }
  for(const cJSON *c = names->child; c; c = c->next) {
    if(!cJSON_IsString(c) || !c->valuestring[0] || strlen(c->valuestring) > 200) {
      snprintf(why, whysz, _("a column name is a string of 1 to 200 bytes"));
      return false;
    }
    for(const cJSON *d = names->child; d != c; d = d->next)
      if(strcmp(d->valuestring, c->valuestring) == 0) {
        snprintf(why, whysz, _("column '%s' is named twice"), c->valuestring);
        return false;
      }
  }
  o->columns = cJSON_Duplicate(names, true);
  o->width = calloc((size_t)n, sizeof *o->width);
  if(!o->columns || !o->width) {
    snprintf(why, whysz, _("out of memory"));
    return false;
  }
  return true;
}

static int name_order(const void *a, const void *b)
{
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Columns from the first row when the script named none: its keys in byte order (a Lua table
 * has no order of its own). */
static bool columns_of(struct sr_script_out *o, const cJSON *row, char *why, size_t whysz)
{
  if(!cJSON_IsObject(row) || !row->child) {
    snprintf(why, whysz, _("a row in column order needs sereg.columns{...} first"));
    return false;
  }
  const cJSON *keys[SR_SCRIPT_MAX_COLUMNS];
  int n = 0;
  for(const cJSON *c = row->child; c; c = c->next) {
    if(n == SR_SCRIPT_MAX_COLUMNS) {
      snprintf(why, whysz, _("a row of more than %d columns"), SR_SCRIPT_MAX_COLUMNS);
      return false;
    }
    keys[n++] = c;
  }
  qsort(keys, (size_t)n, sizeof *keys, name_order);
  cJSON *names = cJSON_CreateArray();
  for(int i = 0; names && i < n; i++)
    cJSON_AddItemToArray(names, cJSON_CreateString(keys[i]->string));
  bool ok = names && sr_script_out_columns(o, names, why, whysz);
  cJSON_Delete(names);
  return ok;
}

/* A cell as text: a whole number without a fraction, true/false, nothing for null. */
static void cell_text(const cJSON *v, struct sr_buf *b)
{
  char num[64];
  if(!v || cJSON_IsNull(v))
    return;
  if(cJSON_IsString(v))
    sr_buf_append(b, v->valuestring, strlen(v->valuestring));
  else if(cJSON_IsBool(v))
    sr_buf_append(b, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
  else if(cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if(d == (double)(long long)d && d > -1e15 && d < 1e15)
      snprintf(num, sizeof num, "%lld", (long long)d);
    else
      snprintf(num, sizeof num, "%.15g", d);
    sr_buf_append(b, num, strlen(num));
  }
  else {
    char *t = cJSON_PrintUnformatted(v);
    if(t)
      sr_buf_append(b, t, strlen(t));
    free(t);
  }
}

/* The row's cells in column order; false for a key that is not a column (a misspelt name). */
static bool cells(struct sr_script_out *o, const cJSON *row, const cJSON **out, char *why, size_t whysz)
{
  int n = cJSON_GetArraySize(o->columns), i = 0;
  for(int k = 0; k < n; k++)
    out[k] = NULL;
  if(cJSON_IsArray(row)) {
    if(cJSON_GetArraySize(row) > n) {
      snprintf(why, whysz, _("a row of %d cells for %d columns"), cJSON_GetArraySize(row), n);
      return false;
    }
    for(const cJSON *c = row->child; c; c = c->next)
      out[i++] = c;
    return true;
  }
  for(const cJSON *c = row->child; c; c = c->next) {
    const cJSON *name = o->columns->child;
    for(i = 0; name && strcmp(name->valuestring, c->string) != 0; name = name->next)
      i++;
    if(!name) {
      snprintf(why, whysz, _("'%.200s' is not one of the columns"), c->string);
      return false;
    }
    out[i] = c;
  }
  return true;
}

/* ==== csv ==== */

/* A cell Excel would read as a formula is made text (sr_csv_field_text): the register's
 * addresses and names come from outside. */
static void csv_cell(FILE *f, const char *s)
{
  struct sr_buf b;
  sr_buf_init(&b, 4 * SR_CSV_MAX_ROW);
  if(sr_csv_field_text(&b, s, ','))
    fwrite(b.data, 1, b.len, f);
  sr_buf_free(&b);
}

static void csv_line(struct sr_script_out *o, const cJSON **v, int n, bool header)
{
  struct sr_buf b;
  sr_buf_init(&b, 16u << 20);
  const cJSON *name = o->columns->child;
  for(int i = 0; i < n; i++, name = name->next) {
    if(i)
      fputc(',', o->f);
    b.len = 0;
    cell_text(header ? name : v[i], &b);
    sr_buf_append(&b, "", 1);
    csv_cell(o->f, b.data);
  }
  fputs("\r\n", o->f);
  sr_buf_free(&b);
}

/* ==== json ==== */

static bool json_row(struct sr_script_out *o, const cJSON **v, int n)
{
  cJSON *obj = cJSON_CreateObject();
  const cJSON *name = o->columns->child;
  for(int i = 0; obj && i < n; i++, name = name->next)
    cJSON_AddItemToObject(obj, name->valuestring, v[i] ? cJSON_Duplicate(v[i], true) : cJSON_CreateNull());
  char *t = obj ? cJSON_PrintUnformatted(obj) : NULL;
  cJSON_Delete(obj);
  if(!t)
    return false;
  fprintf(o->f, "%s%s", o->rows ? ",\n" : "[\n", t);
  free(t);
  return true;
}

/* ==== table ==== */

static void table_line(struct sr_script_out *o, const cJSON *texts)
{
  int i = 0, n = cJSON_GetArraySize(o->columns);
  for(const cJSON *t = texts->child; t; t = t->next, i++) {
    fputs(t->valuestring, o->f);
    if(i + 1 < n)
      for(int pad = o->width[i] - sr_utf8_display_width(t->valuestring) + 2; pad > 0; pad--)
        fputc(' ', o->f);
  }
  fputc('\n', o->f);
}

/* Prints the header and the rows held back, measured. */
static void table_flush(struct sr_script_out *o)
{
  int n = cJSON_GetArraySize(o->columns), i = 0;
  for(const cJSON *c = o->columns->child; c; c = c->next, i++)
    o->width[i] = sr_utf8_display_width(c->valuestring);
  for(const cJSON *r = o->held->child; r; r = r->next) {
    i = 0;
    for(const cJSON *t = r->child; t; t = t->next, i++) {
      int w = sr_utf8_display_width(t->valuestring);
      if(w > o->width[i])
        o->width[i] = w < 60 ? w : 60;
    }
  }
  table_line(o, o->columns);
  for(i = 0; i < n; i++) {
    for(int k = 0; k < o->width[i]; k++)
      fputc('-', o->f);
    fputs(i + 1 < n ? "  " : "\n", o->f);
  }
  for(const cJSON *r = o->held->child; r; r = r->next)
    table_line(o, r);
  cJSON_Delete(o->held);
  o->held = NULL;
  o->printed = true;
}

static bool table_row(struct sr_script_out *o, const cJSON **v, int n)
{
  cJSON *texts = cJSON_CreateArray();
  struct sr_buf b;
  sr_buf_init(&b, 16u << 20);
  for(int i = 0; texts && i < n; i++) {
    b.len = 0;
    cell_text(v[i], &b);
    sr_buf_append(&b, "", 1);
    for(char *p = b.data; *p; p++) /* one row, one line */
      if(*p == '\n' || *p == '\r' || *p == '\t')
        *p = ' ';
    cJSON_AddItemToArray(texts, cJSON_CreateString(b.data));
  }
  sr_buf_free(&b);
  if(!texts)
    return false;
  if(o->printed) {
    table_line(o, texts);
    cJSON_Delete(texts);
    return true;
  }
  cJSON_AddItemToArray(o->held, texts);
  if(cJSON_GetArraySize(o->held) >= TABLE_SAMPLE)
    table_flush(o);
  return true;
}

/* ==== rows ==== */

bool sr_script_out_row(struct sr_script_out *o, const cJSON *row, char *why, size_t whysz)
{
  if(!o->columns && !columns_of(o, row, why, whysz))
    return false;
  const cJSON *v[SR_SCRIPT_MAX_COLUMNS];
  int n = cJSON_GetArraySize(o->columns);
  if(!cells(o, row, v, why, whysz))
    return false;
  bool ok = true;
  switch(o->format) {
  case CSV:
    if(o->rows == 0) {
      fputs("\xEF\xBB\xBF", o->f);
      csv_line(o, NULL, n, true);
    }
    csv_line(o, v, n, false);
    break;
  case JSON:
    ok = json_row(o, v, n);
    break;
  case TABLE:
    ok = table_row(o, v, n);
    break;
  }
  if(!ok)
    snprintf(why, whysz, _("out of memory"));
  else
    o->rows++;
  return ok;
}

bool sr_script_out_end(struct sr_script_out *o)
{
  switch(o->format) {
  case CSV:
    if(o->rows == 0 && o->columns) { /* the header alone says what was looked for */
      fputs("\xEF\xBB\xBF", o->f);
      csv_line(o, NULL, cJSON_GetArraySize(o->columns), true);
    }
    break;
  case JSON:
    fputs(o->rows ? "\n]\n" : "[]\n", o->f);
    break;
  case TABLE:
    if(o->columns && !o->printed)
      table_flush(o);
    break;
  }
  return fflush(o->f) == 0 && !ferror(o->f);
}
