/*
 * import_insp.c -- `sereg import inspections FILE.csv [--skip-invalid] [--as TOKEN]`: an agency's
 * back-log of results, read as the batch's text/csv body is (inspection_csv.c) and recorded
 * through sr_inspection_batch() in chunks, as the agency its token names: a result is an
 * accredited agency's act, never the system's. The chunks are savepoints of one transaction, so
 * that a file with a refused row records nothing unless --skip-invalid; the refused rows go to
 * FILE.csv.rejected.csv as the import writes its own (the input's encoding, CRLF, the row as
 * written and 原因), their reasons in Chinese.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "i18n.h"
#include "inspection.h"
#include "inspection_csv.h"
#include "plugin.h"
#include "tx.h"
#include "util.h"
#include "import_insp.h"

struct run {
  struct sr_ctx *c;
  const char *path;
  struct sr_csv *csv;
  struct sr_insp_csv *r;
  struct sr_csv_out *rejects;
  char rejects_path[4096];
  cJSON *items, *rows; /* the chunk: its items, and per item [line, field...] as written */
  int n;
  long read, recorded, replayed, refused;
};

static void say(const char *detail) { fprintf(stderr, "sereg import: %s\n", detail); }

/* Writes one refused row: its fields as written, padded to the header, then its reasons. */
static bool reject(struct run *u, const cJSON *row, const cJSON *problem)
{
  int nh;
  char **h = sr_insp_csv_header(u->r, &nh);
  char err[512];
  if(!u->rejects) {
    u->rejects = sr_csv_out_open(u->rejects_path, sr_csv_encoding(u->csv), sr_csv_bom(u->csv),
                                 sr_csv_delimiter(u->csv), err, sizeof err);
    if(!u->rejects)
      return false;
    const char *hdr[SR_CSV_MAX_FIELDS + 1];
    for(int i = 0; i < nh; i++)
      hdr[i] = h[i];
    hdr[nh] = "原因";
    sr_csv_out_row(u->rejects, hdr, nh + 1);
  }
  const char *f[SR_CSV_MAX_FIELDS + 1];
  int n = 0;
  const cJSON *line = row->child;
  for(const cJSON *e = line->next; e && n < SR_CSV_MAX_FIELDS; e = e->next)
    f[n++] = e->valuestring;
  while(n < nh)
    f[n++] = "";
  struct sr_buf b;
  sr_buf_init(&b, 64 * 1024);
  const cJSON *errors = cJSON_GetObjectItem(problem, "errors");
  /* A row the reader refused says its line itself ("第 N 行：本行有 ..."). */
  if(cJSON_GetArraySize(errors) == 0)
    sr_buf_printf(&b, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(problem, "detail")));
  else
    sr_buf_printf(&b, "第 %ld 行：", (long)line->valuedouble);
  int k = 0;
  for(const cJSON *e = errors ? errors->child : NULL; e; e = e->next, k++)
    sr_buf_printf(&b, "%s%s: %s", k ? "；" : "",
                  sr_insp_csv_title(u->r, cJSON_GetStringValue(cJSON_GetObjectItem(e, "field"))),
                  cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")));
  f[n++] = b.data ? b.data : "";
  bool ok = sr_csv_out_row(u->rejects, f, n);
  sr_buf_free(&b);
  return ok;
}

/* Sends the chunk to the batch and writes its refused rows. False when the run must stop. */
static bool ship(struct run *u, struct sr_problem *pb)
{
  if(u->n == 0)
    return true;
  cJSON *out = NULL;
  bool ok = sr_inspection_batch(u->c, u->items, &out, pb) == SR_OK && out;
  const cJSON *row = u->rows->child;
  for(const cJSON *a = ok ? cJSON_GetObjectItem(out, "items")->child : NULL; a && row; a = a->next, row = row->next) {
    int status = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(a, "status"));
    if(status == 201)
      u->recorded++;
    else if(status == 200)
      u->replayed++;
    else {
      u->refused++;
      if(!reject(u, row, cJSON_GetObjectItem(a, "problem"))) {
        sr_problem_set(pb, SR_INTERNAL, "cannot write %s", u->rejects_path);
        ok = false;
        break;
      }
    }
  }
  cJSON_Delete(out);
  cJSON_Delete(u->items);
  cJSON_Delete(u->rows);
  u->items = cJSON_CreateArray();
  u->rows = cJSON_CreateArray();
  u->n = 0;
  return ok && u->items && u->rows;
}

/* Reads the file and ships it chunk by chunk inside the run's transaction. */
static bool read_all(struct run *u, struct sr_problem *pb)
{
  for(;;) {
    cJSON *item = NULL;
    char **f;
    int n;
    long line;
    enum sr_csv_status st = sr_insp_csv_next(u->r, &item, &f, &n, &line, pb);
    if(st == SR_CSV_EOF)
      return ship(u, pb);
    if(st != SR_CSV_ROW)
      return false;
    cJSON *row = cJSON_CreateArray();
    cJSON_AddItemToArray(row, cJSON_CreateNumber((double)line));
    for(int i = 0; i < n; i++)
      cJSON_AddItemToArray(row, cJSON_CreateString(f[i]));
    cJSON_AddItemToArray(u->items, item);
    cJSON_AddItemToArray(u->rows, row);
    u->read++;
    if(++u->n == SR_IMPORT_INSP_CHUNK && !ship(u, pb))
      return false;
  }
}

static int record(struct run *u, bool skip_invalid, struct sr_problem *pb)
{
  char err[1024];
  if(!(u->csv = sr_csv_open(u->path, err, sizeof err))) {
    sr_problem_set(pb, SR_BAD_REQUEST, "%s", err);
    return 1;
  }
  if(!(u->r = sr_insp_csv_open(u->csv, pb)))
    return 1;
  if(!sr_tx_outer_begin(u->c, "SELECT 1", NULL, 0)) {
    sr_problem_set(pb, SR_INTERNAL, "database error");
    return 1;
  }
  bool ok = read_all(u, pb);
  if(ok && u->read == 0)
    ok = (sr_problem_set(pb, SR_INVALID, "The file holds a header but no results."), false);
  if(ok && u->refused > 0 && !skip_invalid) {
    sr_problem_set(pb, SR_INVALID, "Of %ld rows %ld were refused, so none was recorded; the reasons are in %s (--skip-invalid records the rest).",
                   u->read, u->refused, u->rejects_path);
    ok = false;
  }
  if(ok && !sr_tx_outer_commit(u->c, "SELECT 1", 0, NULL, pb))
    ok = false;
  if(!ok) {
    sr_tx_outer_rollback(u->c);
    u->recorded = u->replayed = 0;
  }
  return ok ? 0 : 1;
}

int sr_cli_import_inspections(const char *path, bool skip_invalid, const char *token, const char *plugins)
{
  if(!token || !token[0]) {
    fprintf(stderr, _("sereg import: results are an agency's: give its token with --as TOKEN or SEREG_TOKEN\n"));
    return 2;
  }
  char err[1024];
  struct sr_ctx ctx = { 0 };
  ctx.today = sr_today();
  ctx.request_id = "cli.import";
  if(!(ctx.db = sr_db_connect(err, sizeof err))) {
    say(err);
    return 1;
  }
  char bearer[160];
  snprintf(bearer, sizeof bearer, "Bearer %.140s", token);
  enum sr_err e = sr_authenticate(ctx.db, bearer, &ctx.who);
  int rc = 1;
  if(e != SR_OK)
    say(e == SR_UNAUTHORIZED ? _("the token is not valid (unknown, expired or revoked); nothing ran")
                                                   : _("the database is unavailable"));
  else if(!sr_plugins_publish_dir(plugins, err, sizeof err))
    say(err);
  else {
    if((ctx.plugins = sr_plugins_thread(err, sizeof err))) {
      /* The rejects file goes back to the agency whose export it read: in Chinese, as the
       * import's. A rejects file from an earlier run would mislead: this run writes its own. */
      enum sr_lang was = sr_i18n_use(SR_LANG_ZH);
      struct run u = { .c = &ctx, .path = path, .items = cJSON_CreateArray(), .rows = cJSON_CreateArray() };
      snprintf(u.rejects_path, sizeof u.rejects_path, "%s.rejected.csv", path);
      unlink(u.rejects_path);
      struct sr_problem pb;
      sr_problem_init(&pb);
      rc = record(&u, skip_invalid, &pb);
      bool closed = !u.rejects || sr_csv_out_close(u.rejects);
      if(u.csv && (u.read > 0 || rc == 0)) {
        FILE *out = rc == 0 ? stdout : stderr;
        fprintf(out, "读取 %ld 行（%s），记录 %ld 条，已记录过 %ld 条，被拒 %ld 行\n", u.read, sr_csv_encoding(u.csv),
                u.recorded, u.replayed, u.refused);
        if(u.refused)
          fprintf(out, "被拒各行及原因见 %s\n", u.rejects_path);
      }
      if(!closed) {
        sr_problem_free(&pb);
        sr_problem_set(&pb, SR_INTERNAL, "cannot write %s", u.rejects_path);
        rc = 1;
      }
      if(rc != 0)
        fprintf(stderr, "sereg import: %s\n", pb.detail);
      for(const cJSON *x = pb.errors ? pb.errors->child : NULL; x; x = x->next)
        fprintf(stderr, "  %s: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(x, "field")),
                cJSON_GetStringValue(cJSON_GetObjectItem(x, "message")));
      sr_problem_free(&pb);
      sr_i18n_use(was);
      cJSON_Delete(u.items);
      cJSON_Delete(u.rows);
      sr_insp_csv_free(u.r);
      sr_csv_close(u.csv);
    }
    else
      say(err);
    sr_plugins_thread_release();
    sr_plugins_unpublish();
  }
  PQfinish(ctx.db);
  return rc;
}
