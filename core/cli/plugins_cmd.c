/* plugins_cmd.c -- see plugins_cmd.h. */
#include "plugins_cmd.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db.h"
#include "plugin.h"
#include "plugin_activation.h"
#include "plugin_diff.h"
#include "util.h"

static const char usage[] =
    "usage: sereg plugins check [DIR]\n"
    "       sereg plugins diff NEWDIR [--now YYYY-MM-DD] [--jurisdiction CODE] [--format table|csv|json]\n"
    "       sereg plugins apply-due [--apply] [--now YYYY-MM-DD] [--jurisdiction CODE] [--format table|csv|json]\n"
    "  (each takes --plugins DIR, the active set, as every command does)\n";

/* ==== options ==== */

struct opts {
  const char *positional, *now, *jurisdiction, *format;
  bool apply;
};

/* argv from index 3 on: the known options, each with its value, at most <npos> positionals and,
 * where <flags>, --apply. False after saying what is wrong. */
static bool parse_opts(int argc, char **argv, int npos, bool flags, struct opts *o)
{
  memset(o, 0, sizeof *o);
  for(int i = 3; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = strcmp(a, "--now") == 0            ? &o->now
                      : strcmp(a, "--jurisdiction") == 0 ? &o->jurisdiction
                      : strcmp(a, "--format") == 0       ? &o->format
                      : NULL;
    if(strcmp(a, "--plugins") == 0 && i + 1 < argc) {
      i++; /* main's: the active folder */
      continue;
    }
    if(slot && i + 1 < argc) {
      *slot = argv[++i];
      continue;
    }
    if(flags && strcmp(a, "--apply") == 0) {
      o->apply = true;
      continue;
    }
    if(a[0] != '-' && npos > 0 && !o->positional) {
      o->positional = a;
      continue;
    }
    fprintf(stderr, "sereg plugins: unexpected argument '%s'\n\n%s", a, usage);
    return false;
  }
  if(o->format && strcmp(o->format, "table") != 0 && strcmp(o->format, "csv") != 0 && strcmp(o->format, "json") != 0) {
    fprintf(stderr, "sereg plugins: --format takes table, csv or json, not '%s'\n", o->format);
    return false;
  }
  if(!o->format)
    o->format = "table";
  return true;
}

/* ==== check ==== */

static int plugins_check(const char *dir)
{
  char err[1024];
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(dir, &b, err, sizeof err)) {
    fprintf(stderr, "sereg plugins check: %s\n", err);
    return 1;
  }
  struct sr_plugins *p = sr_plugins_open(b, err, sizeof err);
  for(int i = 0; p && i < sr_plugins_ntypes(p); i++) {
    const struct sr_eqtype *t = sr_plugins_type_at(p, i);
    printf("ok  %-22s %-16s %s@%s  %d attributes\n", t->file, t->code, t->name, t->version, t->nattrs);
  }
  const struct sr_ladder *l = p ? sr_plugins_ladder(p) : NULL;
  if(l)
    printf("ok  %-22s %-16s @%s  %d rungs\n", l->file, "escalation", l->version,
           cJSON_GetArraySize(cJSON_GetObjectItem(l->spec, "rungs")));
  for(int i = 0; p && i < sr_plugins_nworkflows(p); i++) {
    const struct sr_workflow *w = sr_plugins_workflow_at(p, i);
    printf("ok  %-22s %-16s %s@%s  %d states\n", w->file, w->code, w->name, w->version,
           cJSON_GetArraySize(cJSON_GetObjectItem(w->spec, "states")));
  }
  for(int i = 0; p && i < sr_plugins_nformats(p); i++) {
    const struct sr_notice_format *f = sr_plugins_format_at(p, i);
    printf("ok  %-22s %-16s %s@%s  notice format, %s\n", f->file, f->name, f->title, f->version, f->content_type);
  }
  sr_plugins_close(p);
  sr_plugin_bundle_release(b);
  return 0;
}

/* ==== what a replay prints ==== */

#define EXAMPLES 5

/* A few lines of each kind, kept as they come, for the person reading the table. */
struct examples {
  char due[64][EXAMPLES][400];
  int ndue[64];
  char other[2 * EXAMPLES][400];
  int nother, nhazard, ninvalid;
};

struct out {
  const char *format;
  bool apply_due;
  long n;                 /* changes written */
  struct sr_plugins *names; /* for the types' Chinese names */
  struct sr_plugin_diff_summary *sum;
  struct examples *ex;
};

static const char *move_zh(enum sr_plugin_diff_move m)
{
  static const char *const zh[] = { "无变化", "提前", "推后", "检验种类变化", "新增到期", "不再到期", "插件出错" };
  return m >= 0 && m < SR_DIFF_NMOVES ? zh[m] : "?";
}

/* "2027-03-31" or "无" for none. */
static const char *date_or_none(const char *d) { return d[0] ? d : "无"; }

static void list_hazards(struct sr_buf *b, const cJSON *hs)
{
  int k = 0;
  for(const cJSON *h = hs ? hs->child : NULL; h; h = h->next, k++)
    sr_buf_printf(b, "%s%s(%s,%s,%s)", k ? "; " : "", cJSON_GetObjectItem(h, "condition")->valuestring,
                  cJSON_GetObjectItem(h, "grade")->valuestring, cJSON_GetObjectItem(h, "level")->valuestring,
                  cJSON_GetObjectItem(h, "report_number")->valuestring);
}

static void list_errors(struct sr_buf *b, const cJSON *es)
{
  int k = 0;
  for(const cJSON *e = es ? es->child : NULL; e; e = e->next, k++) {
    const cJSON *f = cJSON_GetObjectItem(e, "field"), *m = cJSON_GetObjectItem(e, "message");
    sr_buf_printf(b, "%s%s: %s", k ? "; " : "", cJSON_IsString(f) ? f->valuestring : "?",
                  cJSON_IsString(m) ? m->valuestring : "?");
  }
}

static void csv_row(const char *const *fields, int n)
{
  struct sr_buf b;
  sr_buf_init(&b, 1 << 20);
  for(int i = 0; i < n; i++) {
    if(i)
      sr_buf_append(&b, ",", 1);
    sr_csv_field(&b, fields[i] ? fields[i] : "");
  }
  sr_buf_append(&b, "\r\n", 2);
  fwrite(b.data, 1, b.len, stdout);
  sr_buf_free(&b);
}

static void csv_unit(const struct sr_plugin_diff_unit *u)
{
  char id[24], days[24] = "";
  snprintf(id, sizeof id, "%ld", u->id);
  if(u->old_date[0] && u->new_date[0])
    snprintf(days, sizeof days, "%ld", u->days);
  struct sr_buf opened, closed, invalid;
  sr_buf_init(&opened, 1 << 16);
  sr_buf_init(&closed, 1 << 16);
  sr_buf_init(&invalid, 1 << 16);
  list_hazards(&opened, u->opened);
  list_hazards(&closed, u->closed);
  list_errors(&invalid, u->invalid);
  const char *f[] = { id, u->equipment_code, u->registration_number, u->jurisdiction, u->type,
                      u->move == SR_DIFF_SAME ? "" : move_zh(u->move), u->old_date, u->new_date, days,
                      u->old_kind, u->new_kind, u->old_rule, u->new_rule, opened.data, closed.data, invalid.data,
                      u->failure };
  csv_row(f, (int)(sizeof f / sizeof f[0]));
  sr_buf_free(&opened);
  sr_buf_free(&closed);
  sr_buf_free(&invalid);
}

static void json_unit(const struct sr_plugin_diff_unit *u, bool first)
{
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "id", (double)u->id);
  cJSON_AddStringToObject(j, "equipment_code", u->equipment_code);
  cJSON_AddStringToObject(j, "registration_number", u->registration_number);
  cJSON_AddStringToObject(j, "jurisdiction", u->jurisdiction);
  cJSON_AddStringToObject(j, "type", u->type);
  cJSON_AddStringToObject(j, "move", sr_plugin_diff_move_name(u->move));
  if(u->old_date[0] && u->new_date[0])
    cJSON_AddNumberToObject(j, "days", (double)u->days);
  for(int k = 0; k < 2; k++) {
    cJSON *s = cJSON_AddObjectToObject(j, k ? "new" : "old");
    const char *d = k ? u->new_date : u->old_date;
    if(d[0])
      cJSON_AddStringToObject(s, "next_due", d);
    else
      cJSON_AddNullToObject(s, "next_due");
    cJSON_AddStringToObject(s, "next_due_kind", k ? u->new_kind : u->old_kind);
    cJSON_AddStringToObject(s, "rule", k ? u->new_rule : u->old_rule);
  }
  cJSON_AddItemToObject(j, "hazards_opened", u->opened ? cJSON_Duplicate(u->opened, 1) : cJSON_CreateArray());
  cJSON_AddItemToObject(j, "hazards_closed", u->closed ? cJSON_Duplicate(u->closed, 1) : cJSON_CreateArray());
  cJSON_AddItemToObject(j, "invalid", u->invalid ? cJSON_Duplicate(u->invalid, 1) : cJSON_CreateArray());
  if(u->failure)
    cJSON_AddStringToObject(j, "failure", u->failure);
  char *text = cJSON_PrintUnformatted(j);
  printf("%s\n%s", first ? "" : ",", text);
  free(text);
  cJSON_Delete(j);
}

static void remember(struct out *o, const struct sr_plugin_diff_unit *u)
{
  struct examples *ex = o->ex;
  int t = 0;
  while(t < o->sum->ntypes && strcmp(o->sum->types[t].code, u->type) != 0)
    t++;
  char head[160];
  snprintf(head, sizeof head, "设备 %ld（设备代码 %s，%s，辖区 %s）", u->id, u->equipment_code,
           u->registration_number[0] ? u->registration_number : "未登记", u->jurisdiction);
  if(u->move != SR_DIFF_SAME && t < 64 && ex->ndue[t] < EXAMPLES) {
    char *line = ex->due[t][ex->ndue[t]++];
    if(u->move == SR_DIFF_FAILED)
      snprintf(line, 400, "%s：%s", head, u->failure);
    else if(u->old_date[0] && u->new_date[0] && u->days)
      snprintf(line, 400, "%s：%s → %s，%s %ld 天%s%s%s%s%s", head, u->old_date, u->new_date, move_zh(u->move),
               u->days < 0 ? -u->days : u->days, strcmp(u->old_kind, u->new_kind) ? "（" : "",
               strcmp(u->old_kind, u->new_kind) ? u->old_kind : "", strcmp(u->old_kind, u->new_kind) ? " → " : "",
               strcmp(u->old_kind, u->new_kind) ? u->new_kind : "", strcmp(u->old_kind, u->new_kind) ? "）" : "");
    else
      snprintf(line, 400, "%s：%s（%s）→ %s（%s），%s", head, date_or_none(u->old_date), u->old_kind,
               date_or_none(u->new_date), u->new_kind, move_zh(u->move));
  }
  if((u->opened || u->closed) && ex->nhazard < EXAMPLES && ex->nother < 2 * EXAMPLES) {
    struct sr_buf a, b;
    sr_buf_init(&a, 300);
    sr_buf_init(&b, 300);
    list_hazards(&a, u->opened);
    list_hazards(&b, u->closed);
    snprintf(ex->other[ex->nother++], 400, "%s：新增 %s；不再产生 %s", head, a.data ? a.data : "无",
             b.data ? b.data : "无");
    ex->nhazard++;
    sr_buf_free(&a);
    sr_buf_free(&b);
  }
  if(u->invalid && ex->ninvalid < EXAMPLES && ex->nother < 2 * EXAMPLES) {
    struct sr_buf a;
    sr_buf_init(&a, 300);
    list_errors(&a, u->invalid);
    snprintf(ex->other[ex->nother++], 400, "%s：属性校验不通过：%s", head, a.data ? a.data : "");
    ex->ninvalid++;
    sr_buf_free(&a);
  }
}

static bool each_change(const struct sr_plugin_diff_unit *u, void *arg)
{
  struct out *o = arg;
  if(strcmp(o->format, "csv") == 0)
    csv_unit(u);
  else if(strcmp(o->format, "json") == 0)
    json_unit(u, o->n == 0);
  else
    remember(o, u);
  o->n++;
  return !ferror(stdout);
}

static const char *type_name(struct sr_plugins *p, const char *code)
{
  const struct sr_eqtype *t = p ? sr_plugins_type(p, code) : NULL;
  return t ? t->name : code;
}

static void print_table(const struct out *o, const char *title)
{
  const struct sr_plugin_diff_summary *s = o->sum;
  printf("%s\n重放设备 %ld 台，有变化 %ld 台。\n", title, s->units, s->changed);
  for(int i = 0; i < s->ntypes; i++) {
    const struct sr_plugin_diff_type *t = &s->types[i];
    const char *was = o->apply_due ? "已存的日期" : t->old_rule[0] ? t->old_rule : "（无此类型）";
    if(!o->apply_due && strcmp(t->old_rule, t->new_rule) == 0)
      printf("\n%s %s：%s（规则版本未变）\n", type_name(o->names, t->code), t->code, t->new_rule);
    else
      printf("\n%s %s：%s → %s\n", type_name(o->names, t->code), t->code, was, t->new_rule[0] ? t->new_rule : "（无此类型）");
    printf("  设备 %ld 台；下次检验日期提前 %ld 台，推后 %ld 台，仅检验种类变化 %ld 台，新增到期 %ld 台，不再到期 %ld 台，插件出错 %ld 台\n",
           t->units, t->moves[SR_DIFF_EARLIER], t->moves[SR_DIFF_LATER], t->moves[SR_DIFF_KIND], t->moves[SR_DIFF_GAINED],
           t->moves[SR_DIFF_LOST], t->moves[SR_DIFF_FAILED]);
    if(!o->apply_due)
      printf("  隐患（按已记录的检验结果）：新增 %ld 项，不再产生 %ld 项；属性校验新不通过 %ld 台\n", t->opened, t->closed,
             t->invalid);
    for(int k = 0; i < 64 && k < o->ex->ndue[i]; k++)
      printf("    例：%s\n", o->ex->due[i][k]);
  }
  for(int k = 0; k < o->ex->nother; k++)
    printf("%s  例：%s\n", k == 0 ? "\n" : "", o->ex->other[k]);
  if(s->changed == 0)
    printf("\n没有变化。\n");
}

static void print_summary_json(const struct out *o, const char *active, const char *candidate, const char *now,
                               const char *jurisdiction, bool applied)
{
  const struct sr_plugin_diff_summary *s = o->sum;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "now", now);
  if(jurisdiction)
    cJSON_AddStringToObject(j, "jurisdiction", jurisdiction);
  else
    cJSON_AddNullToObject(j, "jurisdiction");
  cJSON_AddStringToObject(j, "active", active);
  if(candidate)
    cJSON_AddStringToObject(j, "candidate", candidate);
  else
    cJSON_AddBoolToObject(j, "applied", applied);
  cJSON_AddNumberToObject(j, "units", (double)s->units);
  cJSON_AddNumberToObject(j, "changed", (double)s->changed);
  cJSON_AddNumberToObject(j, "hazards_opened", (double)s->opened);
  cJSON_AddNumberToObject(j, "hazards_closed", (double)s->closed);
  cJSON_AddNumberToObject(j, "invalid", (double)s->invalid);
  cJSON *types = cJSON_AddArrayToObject(j, "types");
  for(int i = 0; i < s->ntypes; i++) {
    const struct sr_plugin_diff_type *t = &s->types[i];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "type", t->code);
    cJSON_AddStringToObject(x, "old_rule", t->old_rule);
    cJSON_AddStringToObject(x, "new_rule", t->new_rule);
    cJSON_AddNumberToObject(x, "units", (double)t->units);
    for(int m = SR_DIFF_EARLIER; m < SR_DIFF_NMOVES; m++)
      cJSON_AddNumberToObject(x, sr_plugin_diff_move_name((enum sr_plugin_diff_move)m), (double)t->moves[m]);
    cJSON_AddNumberToObject(x, "hazards_opened", (double)t->opened);
    cJSON_AddNumberToObject(x, "hazards_closed", (double)t->closed);
    cJSON_AddNumberToObject(x, "invalid", (double)t->invalid);
    cJSON_AddItemToArray(types, x);
  }
  char *text = cJSON_PrintUnformatted(j);
  printf("\n],\n\"summary\": %s}\n", text);
  free(text);
  cJSON_Delete(j);
}

static void print_head(const struct out *o)
{
  static const char *const head[] = { "设备ID", "设备代码", "使用登记证编号", "辖区", "类型", "变化", "现下次检验日期",
                                      "新下次检验日期", "相差天数", "现检验种类", "新检验种类", "现规则", "新规则",
                                      "新增隐患", "不再产生的隐患", "属性校验不通过", "插件出错" };
  if(strcmp(o->format, "csv") == 0) {
    fputs("\xEF\xBB\xBF", stdout); /* the BOM: Excel on Chinese Windows reads the file as UTF-8 */
    csv_row(head, (int)(sizeof head / sizeof head[0]));
  }
  else if(strcmp(o->format, "json") == 0)
    printf("{\"changes\": [");
}

/* ==== diff and apply-due ==== */

/* The system's context over the active folder, as every command's: false after saying why. */
static bool open_active(const char *cmd, const char *dir, const struct opts *o, struct sr_ctx *ctx)
{
  char err[1024];
  memset(ctx, 0, sizeof *ctx);
  ctx->who.role = SR_ROLE_SYSTEM;
  ctx->request_id = cmd;
  ctx->today = sr_today();
  if(o->now && !sr_date_parse(o->now, &ctx->today)) {
    fprintf(stderr, "sereg plugins %s: --now wants a date YYYY-MM-DD, not '%s'\n", cmd, o->now);
    return false;
  }
  if(!sr_plugins_publish_dir(dir, err, sizeof err) || !(ctx->plugins = sr_plugins_thread(err, sizeof err))) {
    fprintf(stderr, "sereg plugins %s: the active plugins in %s: %s\n", cmd, dir, err);
    return false;
  }
  if(!(ctx->db = sr_db_connect(err, sizeof err))) {
    fprintf(stderr, "sereg: %s\n", err);
    return false;
  }
  if(o->jurisdiction) {
    const char *p[] = { o->jurisdiction };
    PGresult *r = sr_db_exec(ctx->db, "SELECT 1 FROM jurisdiction WHERE code = $1", 1, p);
    bool known = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
    PQclear(r);
    if(!known) {
      fprintf(stderr, "sereg plugins %s: --jurisdiction: no jurisdiction '%s'\n", cmd, o->jurisdiction);
      return false;
    }
  }
  return true;
}

static void close_active(struct sr_ctx *ctx)
{
  if(ctx->db)
    PQfinish(ctx->db);
  sr_plugins_thread_release();
  sr_plugins_unpublish();
}

static int plugins_diff(int argc, char **argv, const char *active)
{
  struct opts o;
  if(!parse_opts(argc, argv, 1, false, &o))
    return 2;
  if(!o.positional) {
    fprintf(stderr, "sereg plugins diff: which folder? %s", usage);
    return 2;
  }
  /* The new folder is refused exactly as `plugins check` refuses it, before anything is read. */
  char err[1024];
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(o.positional, &b, err, sizeof err)) {
    fprintf(stderr, "sereg plugins diff: %s\n", err);
    return 1;
  }
  struct sr_plugins *after = sr_plugins_open(b, err, sizeof err);
  struct sr_ctx ctx;
  if(!after || !open_active("diff", active, &o, &ctx)) {
    if(!after)
      fprintf(stderr, "sereg plugins diff: %s\n", err);
    else
      close_active(&ctx);
    sr_plugins_close(after);
    sr_plugin_bundle_release(b);
    return after ? 2 : 1;
  }
  struct sr_plugin_diff_summary *sum = calloc(1, sizeof *sum);
  struct examples *ex = calloc(1, sizeof *ex);
  struct out out = { o.format, false, 0, after, sum, ex };
  struct sr_plugin_diff_options dopt = { o.jurisdiction, 0 };
  struct sr_problem pb;
  sr_problem_init(&pb);
  print_head(&out);
  enum sr_err e = sum && ex ? sr_plugin_diff_run(&ctx, after, &dopt, each_change, &out, sum, &pb)
                            : sr_problem_set(&pb, SR_INTERNAL, "out of memory");
  char day[11], title[1200];
  sr_date_format(ctx.today, day);
  if(e == SR_OK && strcmp(o.format, "json") == 0)
    print_summary_json(&out, active, o.positional, day, o.jurisdiction, false);
  else if(e == SR_OK && strcmp(o.format, "table") == 0) {
    snprintf(title, sizeof title, "规则变更预演：现行 %s → 新 %s（按 %s 计算，辖区：%s）", active, o.positional, day,
             o.jurisdiction ? o.jurisdiction : "全部");
    print_table(&out, title);
  }
  if(e != SR_OK)
    fprintf(stderr, "sereg plugins diff: %s\n", pb.detail[0] ? pb.detail : "failed");
  sr_problem_free(&pb);
  free(sum);
  free(ex);
  close_active(&ctx);
  sr_plugins_close(after);
  sr_plugin_bundle_release(b);
  return e == SR_OK && fflush(stdout) == 0 ? 0 : 1;
}

static int plugins_apply_due(int argc, char **argv, const char *active)
{
  struct opts o;
  if(!parse_opts(argc, argv, 0, true, &o))
    return 2;
  struct sr_ctx ctx;
  if(!open_active("apply-due", active, &o, &ctx)) {
    close_active(&ctx);
    return 1;
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  long id = 0;
  /* The set that decides the dates is the one in force from now on: on the record first. */
  if(o.apply && sr_plugin_activation_note(&ctx, "cli.plugins-apply-due", &id, &pb) != SR_OK) {
    fprintf(stderr, "sereg plugins apply-due: %s\n", pb.detail);
    sr_problem_free(&pb);
    close_active(&ctx);
    return 1;
  }
  struct sr_plugin_diff_summary *sum = calloc(1, sizeof *sum);
  struct examples *ex = calloc(1, sizeof *ex);
  struct out out = { o.format, true, 0, ctx.plugins, sum, ex };
  struct sr_plugin_diff_options dopt = { o.jurisdiction, 0 };
  print_head(&out);
  enum sr_err e = sum && ex ? sr_plugin_diff_apply_due(&ctx, o.apply, &dopt, each_change, &out, sum, &pb)
                            : sr_problem_set(&pb, SR_INTERNAL, "out of memory");
  char day[11], title[1200];
  sr_date_format(ctx.today, day);
  if(e == SR_OK && strcmp(o.format, "json") == 0)
    print_summary_json(&out, active, NULL, day, o.jurisdiction, o.apply);
  else if(e == SR_OK && strcmp(o.format, "table") == 0) {
    snprintf(title, sizeof title, "%s：已存的下次检验日期 → 现行规则 %s（按 %s 计算，辖区：%s）",
             o.apply ? "已更新" : "预演（未写入；加 --apply 写入）", active, day, o.jurisdiction ? o.jurisdiction : "全部");
    print_table(&out, title);
  }
  if(e != SR_OK)
    fprintf(stderr, "sereg plugins apply-due: %s (what was said above is stored)\n",
            pb.detail[0] ? pb.detail : "failed");
  sr_problem_free(&pb);
  free(sum);
  free(ex);
  close_active(&ctx);
  return e == SR_OK && fflush(stdout) == 0 ? 0 : 1;
}

int sr_cli_plugins(int argc, char **argv, const char *active_dir)
{
  const char *sub = argc >= 3 ? argv[2] : "";
  if(strcmp(sub, "check") == 0) {
    if(argc > 4) {
      fprintf(stderr, "%s", usage);
      return 2;
    }
    return plugins_check(argc == 4 ? argv[3] : active_dir);
  }
  if(strcmp(sub, "diff") == 0)
    return plugins_diff(argc, argv, active_dir);
  if(strcmp(sub, "apply-due") == 0)
    return plugins_apply_due(argc, argv, active_dir);
  fprintf(stderr, "%s", usage);
  return 2;
}
