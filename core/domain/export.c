/*
 * export.c -- see export.h. Each kind is a table of columns: a title as a supervisor's form puts
 * it, the member of the list's JSON record it shows, and how (text, a number, a date, a code
 * shown in Chinese). The titles and labels are Chinese whatever the caller's language: a sheet
 * is a document passed between offices (the city's 考核 forms are Chinese), not a message.
 */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqtype.h"
#include "i18n.h"
#include "listing.h"
#include "log.h"
#include "plugin.h"
#include "sr_limits.h"
#include "util.h"

/* ==== the columns of each kind ==== */

struct label {
  const char *code, *text;
};

static const struct label statuses[] = { { "pending", "待审批" },   { "in_service", "在用" },
                                         { "suspended", "停用" },   { "scrapped", "报废" },
                                         { "cancelled", "注销" },   { NULL, NULL } };
static const struct label sources[] = { { "overdue", "超期未检" },
                                        { "failed_in_use", "检验不合格仍在使用" },
                                        { "defect", "检验发现缺陷" },
                                        { "patrol", "巡查发现" },
                                        { "manual", "人工登记" },
                                        { NULL, NULL } };
static const struct label grades[] = { { "general", "一般隐患" }, { "major", "重大隐患" }, { NULL, NULL } };
static const struct label levels[] = { { "district", "区（县）级" }, { "city", "市级" }, { NULL, NULL } };
static const struct label hazard_states[] = { { "open", "未消除" }, { "closed", "已消除" }, { NULL, NULL } };
/* The states of the shipped workflows (plugins/rectification.lua, listed_supervision.lua); a
 * state of another plugin's is shown by its code. */
static const struct label rect_states[] = { { "issued", "已下达" },
                                            { "acknowledged", "已签收" },
                                            { "rectifying", "整改中" },
                                            { "submitted", "已提交整改材料" },
                                            { "verified", "已复查" },
                                            { "closed", "已销号" },
                                            { "proposed", "提请挂牌" },
                                            { "listed", "已挂牌" },
                                            { "extension_requested", "申请延期" },
                                            { "accepted", "已验收" },
                                            { "declined", "不予挂牌" },
                                            { "delisted", "已摘牌" },
                                            { NULL, NULL } };

enum how {
  AS_TEXT,
  AS_NUMBER,
  AS_DATE,      /* the date of a date or a time: its first ten characters */
  AS_LABEL,     /* a code through <labels>, the code itself when unknown */
  AS_TYPE,      /* an equipment type's name from the plugin set */
  AS_WORKFLOW,  /* a workflow's name from the plugin set */
  AS_KIND,      /* an inspection kind's Chinese name */
  AS_NUMBERS    /* an array of numbers, joined by 、 */
};

struct column {
  const char *title, *key, *sub; /* the member <key>, or <key>.<sub> */
  enum how how;
  const struct label *labels;
};

static const struct column eq_columns[] = {
  { "设备代码", "equipment_code", NULL, AS_TEXT, NULL },
  { "使用登记证编号", "registration_number", NULL, AS_TEXT, NULL },
  { "设备类别", "type", NULL, AS_TYPE, NULL },
  { "设备品种代码", "variety", NULL, AS_TEXT, NULL },
  { "使用单位", "user_unit_name", NULL, AS_TEXT, NULL },
  { "使用单位统一社会信用代码", "user_unit", NULL, AS_TEXT, NULL },
  { "辖区", "jurisdiction_name", NULL, AS_TEXT, NULL },
  { "辖区代码", "jurisdiction", NULL, AS_TEXT, NULL },
  { "地址", "address", NULL, AS_TEXT, NULL },
  { "投入使用日期", "commissioned_on", NULL, AS_DATE, NULL },
  { "状态", "status", NULL, AS_LABEL, statuses },
  { "下次检验日期", "next_due", NULL, AS_DATE, NULL },
  { "下次检验类别", "next_due_kind", NULL, AS_KIND, NULL },
  { "登记日期", "created_at", NULL, AS_DATE, NULL },
  { "设备编号", "id", NULL, AS_NUMBER, NULL },
};

static const struct column hazard_columns[] = {
  { "隐患编号", "id", NULL, AS_NUMBER, NULL },
  { "使用登记证编号", "registration_number", NULL, AS_TEXT, NULL },
  { "设备编号", "equipment_id", NULL, AS_NUMBER, NULL },
  { "辖区代码", "jurisdiction", NULL, AS_TEXT, NULL },
  { "使用单位统一社会信用代码", "user_unit", NULL, AS_TEXT, NULL },
  { "隐患来源", "source", NULL, AS_LABEL, sources },
  { "隐患等级", "grade", NULL, AS_LABEL, grades },
  { "督办层级", "level", NULL, AS_LABEL, levels },
  { "状态", "status", NULL, AS_LABEL, hazard_states },
  { "发现日期", "found_on", NULL, AS_DATE, NULL },
  { "消除日期", "closed_on", NULL, AS_DATE, NULL },
  { "隐患情况", "facts", "reason", AS_TEXT, NULL },
};

static const struct column rect_columns[] = {
  { "编号", "id", NULL, AS_NUMBER, NULL },
  { "类别", "workflow", NULL, AS_WORKFLOW, NULL },
  { "状态", "state", NULL, AS_LABEL, rect_states },
  { "监察指令书编号", "directive_number", NULL, AS_TEXT, NULL },
  { "辖区代码", "jurisdiction", NULL, AS_TEXT, NULL },
  { "使用单位统一社会信用代码", "user_unit", NULL, AS_TEXT, NULL },
  { "立案日期", "opened_on", NULL, AS_DATE, NULL },
  { "整改期限", "deadline", NULL, AS_DATE, NULL },
  { "结案日期", "closed_on", NULL, AS_DATE, NULL },
  { "隐患编号", "hazard_ids", NULL, AS_NUMBERS, NULL },
};

#define NCOLS(a) ((int)(sizeof a / sizeof *a))

struct kind {
  const char *name, *title, *ascii; /* the sheet's and the file's name */
  const struct column *columns;
  int ncolumns;
};

static const struct kind kinds[] = {
  { "equipment", "设备清单", "equipment", eq_columns, NCOLS(eq_columns) },
  { "hazards", "隐患清单", "hazards", hazard_columns, NCOLS(hazard_columns) },
  { "rectifications", "整改清单", "rectifications", rect_columns, NCOLS(rect_columns) },
};

static const struct kind *kind_of(const char *name)
{
  for(size_t i = 0; name && i < sizeof kinds / sizeof *kinds; i++)
    if(strcmp(kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

bool sr_export_kind(const char *kind) { return kind_of(kind) != NULL; }

/* ==== what the caller asked for ==== */

bool sr_export_wanted(const char *kind, const struct sr_params *q, const char *accept, enum sr_export_as *as,
                      enum sr_sheet_format *f, struct sr_problem *pb)
{
  const char *v = sr_params_get(q, "format");
  *as = SR_EXPORT_JSON;
  if(v) {
    if(strcmp(v, "json") == 0)
      return true;
    if(!sr_export_kind(kind) || !sr_sheet_format_parse(v, f)) {
      sr_problem_set(pb, SR_BAD_REQUEST, "Bad format.");
      if(sr_export_kind(kind))
        sr_problem_field(pb, "format", "must be json, csv or xlsx");
      else
        sr_problem_field(pb, "format", "this list is answered as JSON only");
      return false;
    }
    *as = SR_EXPORT_SHEET;
    return true;
  }
  /* Without format, Accept may ask for a file; a browser's or a client's usual Accept is JSON. */
  if(accept && sr_export_kind(kind)) {
    if(strstr(accept, "text/csv"))
      *f = SR_SHEET_CSV, *as = SR_EXPORT_SHEET;
    else if(strstr(accept, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
      *f = SR_SHEET_XLSX, *as = SR_EXPORT_SHEET;
  }
  return true;
}

/* ==== the parameters the list reads ==== */

static const char *xp_get(void *ud, const char *name)
{
  struct sr_export_params *x = ud;
  if(strcmp(name, "format") == 0)
    return NULL;
  if(!x->paging)
    return sr_params_get(x->inner, name);
  if(strcmp(name, "limit") == 0)
    return SR_STR(SR_LIST_MAX);
  if(strcmp(name, "cursor") == 0)
    return x->cursor[0] ? x->cursor : NULL;
  if(strcmp(name, "count") == 0)
    return x->first ? "true" : NULL;
  return sr_params_get(x->inner, name);
}

struct xp_each {
  struct sr_export_params *x;
  void (*fn)(void *cls, const char *name, const char *value);
  void *cls;
};

static void xp_pass(void *cls, const char *name, const char *value)
{
  struct xp_each *e = cls;
  bool ours = strcmp(name, "format") == 0 ||
              (e->x->paging && (strcmp(name, "limit") == 0 || strcmp(name, "cursor") == 0 || strcmp(name, "count") == 0));
  if(!ours)
    e->fn(e->cls, name, value);
}

static void xp_each_fn(void *ud, void (*fn)(void *cls, const char *name, const char *value), void *cls)
{
  struct sr_export_params *x = ud;
  struct xp_each e = { x, fn, cls };
  x->inner->each(x->inner->ud, xp_pass, &e);
  if(!x->paging)
    return;
  fn(cls, "limit", SR_STR(SR_LIST_MAX));
  if(x->cursor[0])
    fn(cls, "cursor", x->cursor);
  if(x->first)
    fn(cls, "count", "true");
}

struct sr_params sr_export_params(const struct sr_params *q, struct sr_export_params *holder)
{
  memset(holder, 0, sizeof *holder);
  holder->inner = q;
  return (struct sr_params){ xp_get, xp_each_fn, holder };
}

/* ==== the rows ==== */

bool sr_export_max_rows_parse(const char *s, long *out)
{
  *out = SR_EXPORT_MAX_ROWS;
  return !s || sr_parse_long(s, 1, SR_EXPORT_MAX_ROWS, out);
}

long sr_export_max_rows(void)
{
  long n;
  return sr_export_max_rows_parse(getenv("SEREG_EXPORT_MAX_ROWS"), &n) ? n : SR_EXPORT_MAX_ROWS;
}

static const char *label_of(const struct label *l, const char *code)
{
  for(; l->code; l++)
    if(strcmp(l->code, code) == 0)
      return l->text;
  return code;
}

/* The cell of column <col> of record <rec>; text it needs is kept in <buf>. */
static struct sr_cell cell_of(struct sr_ctx *c, const struct column *col, const cJSON *rec, char *buf, size_t bufsz)
{
  struct sr_cell cell = { SR_CELL_EMPTY, NULL, 0 };
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, col->key);
  if(col->sub)
    v = cJSON_GetObjectItemCaseSensitive(v, col->sub);
  if(!v || cJSON_IsNull(v))
    return cell;
  if(col->how == AS_NUMBER && cJSON_IsNumber(v))
    return (struct sr_cell){ SR_CELL_NUMBER, NULL, v->valuedouble };
  if(col->how == AS_NUMBERS && cJSON_IsArray(v)) {
    size_t n = 0;
    buf[0] = '\0';
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
      if(cJSON_IsNumber(e) && n + 24 < bufsz)
        n += (size_t)snprintf(buf + n, bufsz - n, "%s%.0f", n ? "、" : "", e->valuedouble);
    }
    return (struct sr_cell){ SR_CELL_TEXT, buf, 0 };
  }
  if(!cJSON_IsString(v))
    return cell;
  const char *s = v->valuestring, *text = s;
  switch(col->how) {
  case AS_DATE:
    snprintf(buf, bufsz, "%.10s", s);
    text = buf;
    break;
  case AS_LABEL:
    text = label_of(col->labels, s);
    break;
  case AS_TYPE: {
    const struct sr_eqtype *t = c->plugins ? sr_plugins_type(c->plugins, s) : NULL;
    text = t && t->name ? t->name : s;
    break;
  }
  case AS_WORKFLOW: {
    const struct sr_workflow *w = c->plugins ? sr_plugins_workflow(c->plugins, s) : NULL;
    text = w && w->name ? w->name : s;
    break;
  }
  case AS_KIND: {
    const char *k = sr_inspection_kind_text(s);
    text = k ? k : s;
    break;
  }
  default:
    break;
  }
  return (struct sr_cell){ SR_CELL_TEXT, text, 0 };
}

static bool write_page(struct sr_ctx *c, struct sr_sheet *s, const struct kind *k, const cJSON *items)
{
  char bufs[SR_SHEET_MAX_COLUMNS][64];
  struct sr_cell cells[SR_SHEET_MAX_COLUMNS];
  const cJSON *rec;
  cJSON_ArrayForEach(rec, items)
  {
    for(int i = 0; i < k->ncolumns; i++)
      cells[i] = cell_of(c, &k->columns[i], rec, bufs[i], sizeof bufs[i]);
    if(!sr_sheet_row(s, cells, k->ncolumns))
      return false;
  }
  return true;
}

enum sr_err sr_export_list(struct sr_ctx *c, const char *kind, const struct sr_params *q, enum sr_sheet_format f,
                           struct sr_export *out, struct sr_problem *pb)
{
  memset(out, 0, sizeof *out);
  const struct kind *k = kind_of(kind);
  if(!k)
    return sr_problem_set(pb, SR_NOT_FOUND, "No list of '%s'.", kind ? kind : "");
  /* An export is every matching row: a page of it is not one. */
  static const char *const paging[] = { "limit", "cursor" };
  for(size_t i = 0; i < sizeof paging / sizeof *paging; i++)
    if(sr_params_get(q, paging[i])) {
      sr_problem_set(pb, SR_BAD_REQUEST, "An export holds every matching row.");
      sr_problem_field(pb, paging[i], "is not taken with format=csv or xlsx");
    }
  if(pb->err != SR_OK)
    return pb->err;
  char err[300];
  struct sr_sheet *s = NULL;
  struct sr_export_params x;
  struct sr_params pq = sr_export_params(q, &x);
  x.paging = x.first = true;
  long max = sr_export_max_rows();
  for(;;) {
    cJSON *page = NULL;
    if(sr_listing_page(c, kind, &pq, &page, pb) != SR_OK)
      break;
    if(x.first) {
      double total = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(page, "total"));
      if(total > (double)max) {
        sr_problem_set(pb, SR_BAD_REQUEST,
                       "The list holds %.0f rows, more than the %ld an export may hold: narrow the filters.", total,
                       max);
        cJSON_Delete(page);
        break;
      }
      s = sr_sheet_open(f, err, sizeof err);
      const char *titles[SR_SHEET_MAX_COLUMNS];
      for(int i = 0; i < k->ncolumns; i++)
        titles[i] = k->columns[i].title;
      if(!s || !sr_sheet_begin(s, k->title, titles, k->ncolumns)) {
        sr_warn("export of %s: %s", kind, s ? sr_sheet_error(s) : err);
        sr_problem_set(pb, SR_INTERNAL, "The export could not be written.");
        cJSON_Delete(page);
        break;
      }
      x.first = false;
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
    const char *next = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(page, "next_cursor"));
    bool ok = write_page(c, s, k, items);
    /* Rows added between the count and the last page may pass the ceiling: refused all the same. */
    bool over = ok && sr_sheet_rows(s) > max;
    snprintf(x.cursor, sizeof x.cursor, "%s", next ? next : "");
    cJSON_Delete(page);
    if(!ok) {
      sr_warn("export of %s: %s", kind, sr_sheet_error(s));
      sr_problem_set(pb, SR_INTERNAL, "The export could not be written.");
      break;
    }
    if(over) {
      sr_problem_set(pb, SR_BAD_REQUEST,
                     "The list holds more than the %ld rows an export may hold: narrow the filters.", max);
      break;
    }
    if(!x.cursor[0]) {
      if(!sr_sheet_finish(s, &out->data, &out->len, err, sizeof err)) {
        sr_warn("export of %s: %s", kind, err);
        return sr_problem_set(pb, SR_INTERNAL, "The export could not be written.");
      }
      char day[11], name[200], ascii[100];
      sr_date_format(c->today, day);
      snprintf(name, sizeof name, "%s-%s.%s", k->title, day, sr_sheet_format_name(f));
      snprintf(ascii, sizeof ascii, "%s-%s.%s", k->ascii, day, sr_sheet_format_name(f));
      sr_sheet_disposition(name, ascii, out->disposition, sizeof out->disposition);
      out->content_type = sr_sheet_media_type(f);
      return SR_OK;
    }
  }
  sr_sheet_free(s);
  return pb->err;
}
