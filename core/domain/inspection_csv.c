/*
 * inspection_csv.c -- an agency's CSV export of results as batch items (inspection_csv.h). The
 * cells are read as the import reads an office's (import_cell.c): titles and codes folded,
 * dates as Excel writes them. A cell that cannot be read is passed on as written, so that the
 * batch refuses it with the reason it gives a JSON item.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "import_int.h"
#include "inspection_csv.h"

enum col { C_ID, C_CODE, C_REPORT, C_KIND, C_ON, C_CONCL, C_DEFECTS, C_GRADE, C_INSPECTOR, C_AMENDS, C_N };

/* The columns, by the batch item's field and by the title a Chinese export gives it. */
static const struct {
  const char *en, *zh;
  bool required;
} cols[C_N] = {
  [C_ID] = { "equipment_id", "设备ID", false },
  [C_CODE] = { "equipment_code", "设备代码", false },
  [C_REPORT] = { "report_number", "报告编号", true },
  [C_KIND] = { "kind", "检验类别", true },
  [C_ON] = { "inspected_on", "检验日期", true },
  [C_CONCL] = { "conclusion", "检验结论", true },
  [C_DEFECTS] = { "defects", "缺陷", false },
  [C_GRADE] = { "safety_grade", "安全状况等级", false },
  [C_INSPECTOR] = { "inspector", "检验员", false },
  [C_AMENDS] = { "amends", "更正报告编号", false },
};

struct sr_insp_csv {
  struct sr_csv *csv;
  int at[C_N]; /* each column's place in the header, or -1 */
  char *h[SR_CSV_MAX_FIELDS];
  int nh;
};

void sr_insp_csv_free(struct sr_insp_csv *r)
{
  if(!r)
    return;
  for(int i = 0; i < r->nh; i++)
    free(r->h[i]);
  free(r);
}

char **sr_insp_csv_header(struct sr_insp_csv *r, int *n)
{
  *n = r->nh;
  return r->h;
}

struct sr_insp_csv *sr_insp_csv_open(struct sr_csv *csv, struct sr_problem *pb)
{
  struct sr_insp_csv *r = calloc(1, sizeof *r);
  if(!r) {
    sr_problem_set(pb, SR_INTERNAL, "out of memory");
    return NULL;
  }
  r->csv = csv;
  for(int k = 0; k < C_N; k++)
    r->at[k] = -1;
  char **f, err[512];
  int n;
  enum sr_csv_status st;
  while((st = sr_csv_next(csv, &f, &n, err, sizeof err)) == SR_CSV_ROW && n == 1 && !f[0][0])
    ; /* blank lines before the header */
  if(st == SR_CSV_EOF) {
    sr_problem_set(pb, SR_INVALID, "The file is empty: it needs a header row and a row per result.");
    sr_problem_field(pb, "body", "is empty");
    goto fail;
  }
  if(st != SR_CSV_ROW) {
    sr_problem_set(pb, SR_BAD_REQUEST, "The header of the file cannot be read: %s.", err);
    goto fail;
  }
  for(int i = 0; i < n; i++) {
    char *key = sr_import_title_key(f[i]);
    r->h[i] = strdup(f[i]);
    if(!key || !r->h[i]) {
      free(key);
      sr_problem_set(pb, SR_INTERNAL, "out of memory");
      r->nh = i + 1;
      goto fail;
    }
    r->nh = i + 1;
    for(int k = 0; k < C_N; k++)
      if(r->at[k] < 0 && (sr_import_title_eq(key, cols[k].en) || sr_import_title_eq(key, cols[k].zh))) {
        r->at[k] = i;
        break;
      }
    free(key); /* a column that is none of these is ignored */
  }
  for(int k = 0; k < C_N; k++)
    if(cols[k].required && r->at[k] < 0)
      sr_problem_field(pb, cols[k].en, "the header has no column %s (%s)", cols[k].zh, cols[k].en);
  if(r->at[C_ID] < 0 && r->at[C_CODE] < 0)
    sr_problem_field(pb, "equipment_code", "the header has no column %s (%s)", cols[C_CODE].zh, cols[C_CODE].en);
  if(pb->err == SR_OK)
    return r;
  sr_problem_set(pb, SR_INVALID, "The file's header lacks columns every result needs; see errors.");
fail:
  sr_insp_csv_free(r);
  return NULL;
}

/* The cell of column <k>, spaces around it cut (in place), or NULL when it is empty. */
static char *cell(const struct sr_insp_csv *r, char **f, int n, enum col k)
{
  int at = r->at[k];
  if(at < 0 || at >= n)
    return NULL;
  sr_import_fold(f[at]);
  return f[at][0] ? f[at] : NULL;
}

/* A whole number cell as a number, "3级" read as 3; anything else as written. */
static void add_number(cJSON *o, const char *name, const char *s)
{
  char *end;
  long v = strtol(s, &end, 10);
  if(end != s && isdigit((unsigned char)s[0]) && (!*end || strcmp(end, "级") == 0))
    cJSON_AddNumberToObject(o, name, (double)v);
  else
    cJSON_AddStringToObject(o, name, s);
}

static const char *severity(const char *s)
{
  static const char *const zh[][2] = { { "严重", "major" }, { "一般", "general" }, { "轻微", "minor" } };
  for(size_t i = 0; i < sizeof zh / sizeof *zh; i++)
    if(strcmp(s, zh[i][0]) == 0)
      return zh[i][1];
  return s;
}

/* Cuts spaces around <s> in place. */
static char *trim(char *s)
{
  while(*s == ' ')
    s++;
  size_t len = strlen(s);
  while(len > 0 && s[len - 1] == ' ')
    s[--len] = '\0';
  return s;
}

/*
 * The defects cell: a JSON list as the JSON item takes it, or entries separated by semicolons,
 * each CODE:SEVERITY[:DESCRIPTION] (severity major/general/minor or 严重/一般/轻微; the
 * full-width ；and ：were folded with the cell). What reads as neither is passed on as written.
 */
static cJSON *defects(char *s)
{
  if(s[0] == '[') {
    cJSON *j = cJSON_Parse(s);
    return j ? j : cJSON_CreateString(s);
  }
  cJSON *list = cJSON_CreateArray();
  for(char *save = NULL, *e = strtok_r(s, ";", &save); list && e; e = strtok_r(NULL, ";", &save)) {
    e = trim(e);
    if(!e[0])
      continue;
    cJSON *d = cJSON_CreateObject();
    char *sev = strchr(e, ':'), *desc = NULL;
    if(sev) {
      *sev++ = '\0';
      if((desc = strchr(sev, ':')))
        *desc++ = '\0';
    }
    cJSON_AddStringToObject(d, "code", trim(e));
    if(sev && trim(sev)[0])
      cJSON_AddStringToObject(d, "severity", severity(trim(sev)));
    if(desc && trim(desc)[0])
      cJSON_AddStringToObject(d, "description", trim(desc));
    cJSON_AddItemToArray(list, d);
  }
  return list;
}

static cJSON *item_of(const struct sr_insp_csv *r, char **f, int n)
{
  cJSON *o = cJSON_CreateObject();
  if(!o)
    return NULL;
  static const enum col texts[] = { C_CODE, C_REPORT, C_KIND, C_CONCL, C_INSPECTOR, C_AMENDS };
  for(size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    const char *s = cell(r, f, n, texts[i]);
    if(s)
      cJSON_AddStringToObject(o, cols[texts[i]].en, s);
  }
  const char *s;
  if((s = cell(r, f, n, C_ID)))
    add_number(o, "equipment_id", s);
  if((s = cell(r, f, n, C_GRADE)))
    add_number(o, "safety_grade", s);
  if((s = cell(r, f, n, C_ON))) {
    char day[11];
    cJSON_AddStringToObject(o, "inspected_on", sr_import_date(s, day) ? day : s);
  }
  char *d = cell(r, f, n, C_DEFECTS);
  if(d)
    cJSON_AddItemToObject(o, "defects", defects(d));
  return o;
}

enum sr_csv_status sr_insp_csv_next(struct sr_insp_csv *r, cJSON **item, char ***f, int *n, long *line,
                                    struct sr_problem *pb)
{
  char err[512];
  for(;;) {
    enum sr_csv_status st = sr_csv_next(r->csv, f, n, err, sizeof err);
    *line = sr_csv_line(r->csv);
    if(st == SR_CSV_EOF)
      return st;
    if(st == SR_CSV_FATAL) {
      sr_problem_set(pb, SR_BAD_REQUEST, "The file cannot be read past line %ld: %s.", *line, err);
      return st;
    }
    if(st == SR_CSV_BAD_ROW) {
      char why[600];
      snprintf(why, sizeof why, _("line %ld: %s"), *line, err);
      *item = cJSON_CreateString(why);
      *f = NULL;
      *n = 0;
      return SR_CSV_ROW;
    }
    bool blank = true;
    for(int i = 0; i < *n && blank; i++)
      blank = (*f)[i][strspn((*f)[i], " \t")] == '\0';
    if(blank)
      continue;
    /* A row of more or fewer fields than the header has its cells under the wrong titles. */
    if(*n != r->nh) {
      char why[600];
      snprintf(why, sizeof why, _("line %ld: the row has %d fields, the header %d"), *line, *n, r->nh);
      *item = cJSON_CreateString(why);
      return SR_CSV_ROW;
    }
    /* The cells are folded on a copy: a rejects file gives the row back as written. */
    char *copy[SR_CSV_MAX_FIELDS];
    bool ok = true;
    for(int i = 0; i < *n; i++)
      ok = (copy[i] = strdup((*f)[i])) != NULL && ok;
    *item = ok ? item_of(r, copy, *n) : NULL;
    for(int i = 0; i < *n; i++)
      free(copy[i]);
    if(!*item) {
      sr_problem_set(pb, SR_INTERNAL, "out of memory");
      return SR_CSV_FATAL;
    }
    return SR_CSV_ROW;
  }
}

const char *sr_insp_csv_title(const struct sr_insp_csv *r, const char *field)
{
  for(int k = 0; k < C_N; k++) {
    size_t n = strlen(cols[k].en);
    /* "defects[0]" is about the defects column */
    if(r->at[k] >= 0 && strncmp(field, cols[k].en, n) == 0 && (field[n] == '\0' || field[n] == '['))
      return r->h[r->at[k]];
  }
  return field;
}
