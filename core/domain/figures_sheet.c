/*
 * figures_sheet.c -- see figures_sheet.h. The columns of the figures F (docs/figures.md) are a
 * table of titles and paths into F; the equipment types are the keys of units.by_type, in the
 * answer's order, so that a plugin set's new type has its columns without a change here.
 */
#include "figures_sheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqtype.h"
#include "log.h"
#include "plugin.h"
#include "sr_limits.h"
#include "util.h"

enum fkind { F_COUNT, F_RATE, F_TYPES, F_TYPES_IN_SERVICE };

struct fcol {
  const char *title, *path;
  enum fkind kind;
};

static const struct fcol figure_columns[] = {
  { "设备总数", "units.total", F_COUNT },
  { NULL, "units.by_type", F_TYPES },
  { "在用设备", "units_in_service.total", F_COUNT },
  { NULL, "units_in_service.by_type", F_TYPES_IN_SERVICE },
  { "使用登记", "registrations", F_COUNT },
  { "变更", "changes", F_COUNT },
  { "注销", "cancellations", F_COUNT },
  { "超期未检", "overdue", F_COUNT },
  { "应检设备", "inspection.fell_due", F_COUNT },
  { "按期检验", "inspection.on_time", F_COUNT },
  { "定期检验率", "inspection.rate", F_RATE },
  { "隐患发现", "hazards_found.total", F_COUNT },
  { "其中超期未检", "hazards_found.by_source.overdue", F_COUNT },
  { "其中检验不合格仍在使用", "hazards_found.by_source.failed_in_use", F_COUNT },
  { "其中检验发现缺陷", "hazards_found.by_source.defect", F_COUNT },
  { "其中巡查发现", "hazards_found.by_source.patrol", F_COUNT },
  { "其中人工登记", "hazards_found.by_source.manual", F_COUNT },
  { "一般隐患", "hazards_found.by_grade.general", F_COUNT },
  { "重大隐患", "hazards_found.by_grade.major", F_COUNT },
  { "隐患未消除", "hazards_open", F_COUNT },
  { "重大隐患未整改", "hazards_major_open", F_COUNT },
  { "应整改隐患", "hazard_closure.found", F_COUNT },
  { "已整改隐患", "hazard_closure.closed", F_COUNT },
  { "隐患整改率", "hazard_closure.rate", F_RATE },
  { "整改完成", "closed_on_time.closed", F_COUNT },
  { "按期整改", "closed_on_time.on_time", F_COUNT },
  { "按期整改率", "closed_on_time.rate", F_RATE },
  { "整改中", "rectifications_open", F_COUNT },
  { "超期未整改", "rectifications_past_deadline", F_COUNT },
  { "挂牌督办在办", "listed_supervision.open", F_COUNT },
  { "挂牌督办已摘牌", "listed_supervision.closed", F_COUNT },
};

/* The columns of F once the types are known. */
struct columns {
  int n;
  char titles[SR_SHEET_MAX_COLUMNS][96];
  char paths[SR_SHEET_MAX_COLUMNS][96];
  bool rate[SR_SHEET_MAX_COLUMNS];
};

static const cJSON *at(const cJSON *o, const char *path)
{
  char part[96];
  while(o && *path) {
    size_t n = strcspn(path, ".");
    snprintf(part, sizeof part, "%.*s", (int)n, path);
    o = cJSON_GetObjectItemCaseSensitive(o, part);
    path += n + (path[n] == '.');
  }
  return o;
}

static const char *type_name(const struct sr_plugins *p, const char *code)
{
  static const struct {
    const char *code, *name;
  } shipped[] = { { "elevator", "电梯" }, { "boiler", "锅炉" }, { "pressure_vessel", "压力容器" } };
  const struct sr_eqtype *t = p ? sr_plugins_type(p, code) : NULL;
  if(t && t->name)
    return t->name;
  for(size_t i = 0; i < sizeof shipped / sizeof *shipped; i++)
    if(strcmp(shipped[i].code, code) == 0)
      return shipped[i].name;
  return code;
}

static bool add_column(struct columns *c, const char *title_a, const char *title_b, const char *path_a,
                       const char *path_b, bool rate)
{
  if(c->n >= SR_SHEET_MAX_COLUMNS)
    return false;
  snprintf(c->titles[c->n], sizeof c->titles[c->n], "%s%s", title_a, title_b);
  snprintf(c->paths[c->n], sizeof c->paths[c->n], "%s%s", path_a, path_b);
  c->rate[c->n++] = rate;
  return true;
}

/* The columns of <f>, one F: its types are those of every F of the answer. */
static bool columns_of(const cJSON *f, const struct sr_plugins *p, struct columns *c)
{
  for(size_t i = 0; i < sizeof figure_columns / sizeof *figure_columns; i++) {
    const struct fcol *fc = &figure_columns[i];
    if(fc->kind == F_COUNT || fc->kind == F_RATE) {
      if(!add_column(c, fc->title, "", fc->path, "", fc->kind == F_RATE))
        return false;
      continue;
    }
    const cJSON *t, *types = at(f, fc->path);
    cJSON_ArrayForEach(t, types)
    {
      if(!t->string || strlen(t->string) > 64)
        continue;
      char path[96];
      snprintf(path, sizeof path, "%s.", fc->path);
      if(!add_column(c, fc->kind == F_TYPES_IN_SERVICE ? "在用" : "", type_name(p, t->string), path, t->string,
                     false))
        return false;
    }
  }
  return true;
}

static struct sr_cell figure_cell(const cJSON *f, const struct columns *c, int i)
{
  const cJSON *v = at(f, c->paths[i]);
  if(!cJSON_IsNumber(v))
    return (struct sr_cell){ SR_CELL_EMPTY, NULL, 0 }; /* a rate of no denominator is null */
  return (struct sr_cell){ c->rate[i] ? SR_CELL_RATE : SR_CELL_NUMBER, NULL, v->valuedouble };
}

static const char *text_at(const cJSON *o, const char *path)
{
  const char *s = cJSON_GetStringValue(at(o, path));
  return s ? s : "";
}

/* A sheet of <lead> columns of text from each element of <items>, then F at <fpath> of it. */
static bool figures_rows(struct sr_sheet *s, const char *title, const char *const *lead_titles,
                         const char *const *lead_paths, int nlead, const cJSON *items, const char *fpath,
                         const struct columns *c)
{
  const char *titles[SR_SHEET_MAX_COLUMNS];
  struct sr_cell cells[SR_SHEET_MAX_COLUMNS];
  if(nlead + c->n > SR_SHEET_MAX_COLUMNS)
    return false;
  for(int i = 0; i < nlead; i++)
    titles[i] = lead_titles[i];
  for(int i = 0; i < c->n; i++)
    titles[nlead + i] = c->titles[i];
  if(!sr_sheet_begin(s, title, titles, nlead + c->n))
    return false;
  const cJSON *item;
  cJSON_ArrayForEach(item, items)
  {
    const cJSON *f = at(item, fpath);
    for(int i = 0; i < nlead; i++)
      cells[i] = (struct sr_cell){ SR_CELL_TEXT, text_at(item, lead_paths[i]), 0 };
    for(int i = 0; i < c->n; i++)
      cells[nlead + i] = figure_cell(f, c, i);
    if(!sr_sheet_row(s, cells, nlead + c->n))
      return false;
  }
  return true;
}

static bool agencies_rows(struct sr_sheet *s, const cJSON *agencies)
{
  const char *titles[] = { "检验机构", "统一社会信用代码", "上传检验结果", "不合格", "不合格率" };
  if(!sr_sheet_begin(s, "检验机构", titles, 5))
    return false;
  const cJSON *a;
  cJSON_ArrayForEach(a, agencies)
  {
    struct sr_cell cells[5] = { { SR_CELL_TEXT, text_at(a, "name"), 0 },
                                { SR_CELL_TEXT, text_at(a, "credit_code"), 0 } };
    static const char *const paths[] = { "results", "failed", "failure_rate" };
    for(int i = 0; i < 3; i++) {
      const cJSON *v = at(a, paths[i]);
      cells[2 + i] = cJSON_IsNumber(v) ? (struct sr_cell){ i == 2 ? SR_CELL_RATE : SR_CELL_NUMBER, NULL, v->valuedouble }
                                       : (struct sr_cell){ SR_CELL_EMPTY, NULL, 0 };
    }
    if(!sr_sheet_row(s, cells, 5))
      return false;
  }
  return true;
}

bool sr_figures_sheet(const cJSON *answer, const struct sr_plugins *p, struct sr_sheet *s, enum sr_sheet_format f,
                      char *err, size_t errsz)
{
  const cJSON *rows = at(answer, "rows"), *first = cJSON_GetArrayItem(rows, 0);
  if(!cJSON_IsObject(answer) || !cJSON_IsArray(rows) || !cJSON_IsObject(at(first, "figures"))) {
    snprintf(err, errsz, "the answer has no rows of figures");
    return false;
  }
  struct columns c;
  c.n = 0;
  if(!columns_of(at(first, "figures"), p, &c)) {
    snprintf(err, errsz, "more columns than a sheet holds");
    return false;
  }
  static const char *const jt[] = { "辖区", "辖区代码" }, *const jp[] = { "name", "jurisdiction" };
  bool ok = figures_rows(s, "辖区", jt, jp, 2, rows, "figures", &c);
  if(ok && sr_sheet_many(f) && cJSON_IsArray(at(answer, "agencies")))
    ok = agencies_rows(s, at(answer, "agencies"));
  const cJSON *series = at(answer, "series");
  if(ok && sr_sheet_many(f) && cJSON_IsArray(series) && cJSON_GetArraySize(series) > 0) {
    static const char *const st[] = { "期间", "起", "止" }, *const sp[] = { "period.label", "period.from", "period.to" };
    ok = figures_rows(s, "按月趋势", st, sp, 3, series, "figures", &c);
  }
  if(!ok)
    snprintf(err, errsz, "%s", sr_sheet_error(s)[0] ? sr_sheet_error(s) : "more columns than a sheet holds");
  return ok;
}

/* Keeps what a file name may hold of <s>: no separators, quotes or control characters. */
static void name_part(char *out, size_t outsz, const char *s)
{
  size_t n = 0;
  for(; *s && n + 1 < outsz; s++)
    if((unsigned char)*s >= 0x20 && !strchr("/\\\"*?:<>|", *s))
      out[n++] = *s;
  out[n] = '\0';
  sr_utf8_trim(out);
}

bool sr_figures_sheet_render(const cJSON *answer, const struct sr_plugins *p, const char *format, char **body,
                             size_t *len, const char **content_type, char *disposition, size_t dispsz,
                             struct sr_problem *pb)
{
  enum sr_sheet_format f;
  char err[300];
  *body = NULL;
  *len = 0;
  if(!sr_sheet_format_parse(format, &f)) {
    sr_problem_set(pb, SR_BAD_REQUEST, "Bad format.");
    sr_problem_field(pb, "format", "must be json, csv or xlsx");
    return false;
  }
  struct sr_sheet *s = sr_sheet_open(f, err, sizeof err);
  bool ok = s && sr_figures_sheet(answer, p, s, f, err, sizeof err);
  if(ok)
    ok = sr_sheet_finish(s, body, len, err, sizeof err); /* frees the workbook either way */
  else
    sr_sheet_free(s);
  if(!ok) {
    sr_warn("figures as %s: %s", format, err);
    sr_problem_set(pb, SR_INTERNAL, "The figures could not be written as a file.");
    return false;
  }
  *content_type = sr_sheet_media_type(f);
  char period[40], scope[100], code[40], name[240], ascii[120];
  name_part(period, sizeof period, text_at(answer, "period.label"));
  name_part(scope, sizeof scope, text_at(answer, "scope.name"));
  name_part(code, sizeof code, text_at(answer, "scope.code"));
  snprintf(name, sizeof name, "特种设备安全监察指标-%s-%s.%s", scope, period, format);
  snprintf(ascii, sizeof ascii, "figures-%s-%s.%s", code, period, format);
  sr_sheet_disposition(name, ascii, disposition, dispsz);
  return true;
}
