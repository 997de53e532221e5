/* import.c -- see import.h: the run both imports share, from the header to the rejects file. */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "import_int.h"
#include "json.h"
#include "record.h"
#include "tx.h"

/*
 * Rows go to the server in chunks: while the server checks and loads one chunk, this process
 * reads and validates the next, so the two cores work at once and memory stays bounded by a chunk.
 */
#define CHUNK_ROWS 20000
#define CHUNK_BYTES (16 * 1024 * 1024)

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(struct importer *im, bool last)
{
  if(!im->o->progress)
    return;
  double t = now_s();
  if(!last && t - im->last_draw < 0.2)
    return;
  im->last_draw = t;
  double p = sr_csv_progress(im->csv);
  int filled = (int)(p * 30);
  char bar[31];
  for(int i = 0; i < 30; i++)
    bar[i] = i < filled ? '#' : ' ';
  bar[30] = '\0';
  fprintf(stderr, "\r[%s] %3.0f%%  %ld rows  %.0f rows/s%s", bar, p * 100, im->res->rows,
          (double)im->res->rows / (t - im->started + 1e-9), last ? "\n" : "");
  fflush(stderr);
}

/* Appends <s> to <b> as a JSON string. */
static void json_string(struct sr_buf *b, const char *s)
{
  sr_buf_append(b, "\"", 1);
  for(const char *run = s;; s++) {
    unsigned char ch = (unsigned char)*s;
    if(ch && ch != '"' && ch != '\\' && ch >= 0x20)
      continue;
    sr_buf_append(b, run, (size_t)(s - run));
    if(!ch)
      break;
    if(ch == '"' || ch == '\\')
      sr_buf_printf(b, "\\%c", ch);
    else
      sr_buf_printf(b, "\\u%04x", ch);
    run = s + 1;
  }
  sr_buf_append(b, "\"", 1);
}

const char *sr_import_raw(struct importer *im, char **f, int n)
{
  im->line.len = 0;
  sr_buf_append(&im->line, "[", 1);
  for(int i = 0; i < n; i++) {
    if(i)
      sr_buf_append(&im->line, ",", 1);
    json_string(&im->line, f[i]);
  }
  sr_buf_append(&im->line, "]", 2); /* with its NUL */
  return im->line.data ? im->line.data : "[]";
}

char *sr_import_reasons(const struct sr_problem *rpb)
{
  if(!rpb->errors || !rpb->errors->child)
    return NULL;
  cJSON *a = cJSON_CreateArray();
  for(const cJSON *e = rpb->errors->child; e; e = e->next) {
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(cJSON_GetObjectItem(e, "field")->valuestring));
    cJSON_AddItemToArray(pair, cJSON_CreateString(cJSON_GetObjectItem(e, "message")->valuestring));
    cJSON_AddItemToArray(a, pair);
  }
  char *s = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return s;
}

char *sr_import_cell(char **f, int n, const struct column *col)
{
  if(col->at < 0 || col->at >= n)
    return NULL;
  char *s = f[col->at];
  while(*s == ' ' || *s == '\t')
    s++;
  size_t len = strlen(s);
  while(len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    s[--len] = '\0';
  return *s ? s : NULL;
}

/* Collects the results of the chunk in flight; counts what it loaded. */
static bool wait_chunk(struct importer *im, struct sr_problem *pb)
{
  if(!im->in_flight)
    return true;
  im->in_flight = false;
  PGresult *r;
  int i = 0;
  bool ok = true;
  while((r = PQgetResult(im->c->db))) { /* drain to NULL: the connection is used again next */
    ExecStatusType st = PQresultStatus(r);
    if(st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      /* A unique key the checks did not see (a registration meanwhile, a number the series
       * assigned that the register already holds) is a conflict, named by its field. */
      if(ok && sr_db_classify(r) == SR_DB_UNIQUE)
        sr_db_conflict(r, pb, im->kind->what);
      else if(ok)
        sr_problem_set(pb, SR_INTERNAL, "loading a chunk failed: %s", PQresultErrorMessage(r));
      ok = false;
    }
    else if(i == 4) { /* the statement that loads the good rows (see chunk_sql): its count, or its rows */
      im->res->imported += st == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : atol(PQcmdTuples(r));
      int u = PQfnumber(r, "unknown");
      if(u >= 0 && PQntuples(r) == 1)
        im->res->unknown += atol(PQgetvalue(r, 0, u));
    }
    i++;
    PQclear(r);
  }
  return ok;
}

/* Sends the staged rows with COPY, then starts the chunk's checks and load without waiting. */
static bool ship_chunk(struct importer *im, struct sr_problem *pb)
{
  if(!wait_chunk(im, pb))
    return false;
  if(im->staged == 0)
    return true;
  if(!sr_db_copy_in(im->c->db, "COPY import_stage FROM STDIN", im->copy.data, im->copy.len, pb))
    return false;
  im->copy.len = 0;
  im->staged = 0;
  if(!PQsendQuery(im->c->db, im->chunk_sql))
    return sr_problem_set(pb, SR_INTERNAL, "cannot send a chunk: %s", PQerrorMessage(im->c->db)), false;
  im->in_flight = true;
  return true;
}

bool sr_import_staged(struct importer *im, struct sr_problem *pb)
{
  im->staged++;
  return im->staged < CHUNK_ROWS && im->copy.len < CHUNK_BYTES ? true : ship_chunk(im, pb);
}

/* Stages a row refused before it could be read as the header says (a broken line, a count of
 * fields not the header's): its reason, and nothing for the checks to look at. */
static bool stage_refused(struct importer *im, long line, char **f, int n, const char *reason,
                          struct sr_problem *pb)
{
  struct sr_problem rpb;
  sr_problem_init(&rpb);
  sr_problem_field(&rpb, "", "%s", reason);
  char *pre = sr_import_reasons(&rpb);
  sr_problem_free(&rpb);
  char lines[32];
  snprintf(lines, sizeof lines, "%ld", line);
  sr_db_copy_field(&im->copy, lines, false);
  sr_db_copy_field(&im->copy, sr_import_raw(im, f, n), false);
  sr_db_copy_field(&im->copy, pre, im->kind->stage_columns == 3);
  for(int i = 3; i < im->kind->stage_columns; i++)
    sr_db_copy_field(&im->copy, NULL, i + 1 == im->kind->stage_columns);
  free(pre);
  return sr_import_staged(im, pb);
}

/* Maps the header: each known column by its English or Chinese name, then whatever else names
 * an attribute; the rest is ignored, and named once in the summary. */
static bool map_header(struct importer *im, bool (*attr_ok)(struct importer *, const char *), struct sr_problem *pb)
{
  for(int k = 0; k < im->ncols; k++) {
    struct column *col = &im->cols[k];
    col->at = -1;
    for(int i = 0; i < im->nh; i++)
      if(!im->used[i] && (sr_import_title_eq(im->key[i], col->en) || sr_import_title_eq(im->key[i], col->zh))) {
        col->at = i;
        im->used[i] = true;
        break;
      }
    if(col->required && col->at < 0)
      sr_problem_field(pb, col->en, "the header has no '%s' (or '%s') column", col->zh, col->en);
  }
  char *ig = im->res->ignored;
  for(int i = 0; i < im->nh; i++) {
    if(im->used[i] || (attr_ok && attr_ok(im, im->key[i])))
      continue;
    im->used[i] = true; /* ignored: no row reads it */
    im->res->nignored++;
    if(!im->key[i][0])
      continue;
    size_t len = strlen(ig);
    snprintf(ig + len, sizeof im->res->ignored - len, "%s%s", len ? "、" : "", im->h[i]);
    sr_utf8_trim(ig);
  }
  return pb->err == SR_OK;
}

static bool read_header(struct importer *im, bool (*attr_ok)(struct importer *, const char *), struct sr_problem *pb)
{
  char err[512], **f;
  int n;
  enum sr_csv_status st = sr_csv_next(im->csv, &f, &n, err, sizeof err);
  if(st != SR_CSV_ROW) {
    sr_problem_set(pb, SR_BAD_REQUEST, "%s", st == SR_CSV_EOF ? "the file is empty" : err);
    return false;
  }
  for(int i = 0; i < n; i++) {
    im->h[im->nh] = strdup(f[i]);
    im->key[im->nh++] = sr_import_title_key(f[i]);
  }
  if(!map_header(im, attr_ok, pb)) {
    sr_problem_set(pb, SR_INVALID, "The header of %s lacks required columns; see errors and docs/import.md.", im->o->path);
    return false;
  }
  return true;
}

bool sr_import_begin(struct importer *im, struct sr_ctx *c, const struct sr_import_options *o,
                     struct sr_import_result *res, struct column *cols, int ncols, const struct import_kind *kind,
                     struct sr_problem *pb)
{
  memset(im, 0, sizeof *im);
  memset(res, 0, sizeof *res);
  im->lang_was = sr_i18n_use(SR_LANG_ZH);
  im->kind = kind;
  im->c = c;
  im->o = o;
  im->res = res;
  im->cols = cols;
  im->ncols = ncols;
  sr_buf_init(&im->copy, CHUNK_BYTES + SR_CSV_MAX_ROW * 8);
  sr_buf_init(&im->line, SR_CSV_MAX_ROW * 7);
  char err[512];
  /* A rejects file from an earlier run would mislead: this run writes its own or none. */
  snprintf(res->rejects_path, sizeof res->rejects_path, "%s.rejected.csv", o->path);
  unlink(res->rejects_path);
  res->rejects_path[0] = '\0';
  im->csv = sr_csv_open(o->path, err, sizeof err);
  if(!im->csv)
    return sr_problem_set(pb, SR_BAD_REQUEST, "%s", err), false;
  snprintf(res->encoding, sizeof res->encoding, "%s", sr_csv_encoding(im->csv));
  im->started = now_s();
  im->jurisdictions = sr_db_exec(c->db, "SELECT code, name FROM jurisdiction WHERE valid_to IS NULL", 0, NULL);
  if(!sr_db_ok(im->jurisdictions, PGRES_TUPLES_OK))
    return sr_problem_set(pb, SR_INTERNAL, "cannot read the jurisdictions"), false;
  if(!read_header(im, kind->attr_ok, pb) || !sr_tx_begin(c, pb))
    return false;
  static const char refused[] =
      "CREATE TEMP TABLE import_refused (line bigint, k bigint, field text, reason text, raw text) ON COMMIT DROP; "
      "CREATE TEMP TABLE chunk_refused (line bigint, k bigint, field text, reason text, raw text) ON COMMIT DROP; "
      "CREATE TEMP TABLE import_serials (series text, serial bigint) ON COMMIT DROP";
  /* A bulk load runs as long as it must; the service's statement timeout is for requests. */
  PGresult *r = NULL;
  bool ok = sr_db_command(c->db, "SET LOCAL statement_timeout = 0", 0, NULL, pb) &&
            sr_db_command(c->db, kind->stage_sql, 0, NULL, pb) && sr_db_ok(r = PQexec(c->db, refused), PGRES_COMMAND_OK);
  PQclear(r);
  if(!ok) {
    if(pb->err == SR_OK)
      sr_problem_set(pb, SR_INTERNAL, "cannot create the staging tables");
    sr_tx_rollback(c);
    return false;
  }
  struct sr_buf b;
  sr_buf_init(&b, 64 * 1024);
  /* Every row's reasons in one pass: its own (pre), then the register's, for every row alike.
   * Statement 4 (from 0) is the load; wait_chunk counts its rows. The staged chunk is analyzed
   * first: a temporary table has no statistics, and without them the planner guesses a few dozen
   * rows and joins by nested loops, quadratic in the chunk. */
  sr_buf_printf(&b, "ANALYZE import_stage; TRUNCATE chunk_refused; "
                    "INSERT INTO chunk_refused SELECT s.line, x.o, x.e->>0, x.e->>1, s.raw FROM import_stage s, "
                    "jsonb_array_elements(s.pre) WITH ORDINALITY x(e, o) WHERE s.pre IS NOT NULL; "
                    "INSERT INTO chunk_refused %s; %s; INSERT INTO import_refused SELECT * FROM chunk_refused; "
                    "%s%sTRUNCATE import_stage",
                kind->checks, kind->load, kind->after ? kind->after : "", kind->after ? "; " : "");
  im->chunk_sql = b.data;
  if(!b.data) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "out of memory"), false;
  }
  return true;
}

/* True when every field of the row is empty or spaces: a blank row, whatever its commas. */
static bool blank(char **f, int n)
{
  for(int i = 0; i < n; i++)
    if(f[i][strspn(f[i], " \t")])
      return false;
  return true;
}

enum sr_csv_status sr_import_next(struct importer *im, char ***f, int *n, struct sr_problem *pb)
{
  char err[512];
  for(;;) {
    enum sr_csv_status st = sr_csv_next(im->csv, f, n, err, sizeof err);
    if(st == SR_CSV_FATAL)
      sr_problem_set(pb, SR_BAD_REQUEST, "%s", err);
    if(st == SR_CSV_FATAL || st == SR_CSV_EOF)
      return st;
    if(st == SR_CSV_ROW && blank(*f, *n)) {
      im->res->blank++;
      continue;
    }
    im->res->rows++;
    draw(im, false);
    if(st == SR_CSV_ROW && *n == im->nh)
      return st;
    char why[128];
    if(st == SR_CSV_ROW)
      snprintf(why, sizeof why, "本行有 %d 个字段，表头有 %d 个", *n, im->nh);
    const char *cut = strstr(err, ": "); /* the reader's "line N: " goes: the file says the line */
    if(!stage_refused(im, sr_csv_line(im->csv), *f, st == SR_CSV_ROW ? *n : 0,
                      st == SR_CSV_ROW ? why : cut ? cut + 2 : err, pb))
      return SR_CSV_FATAL;
    return SR_CSV_BAD_ROW;
  }
}

/* The title the file gives <field> ("投用日期" for commissioned_on), or <field> itself. */
static const char *field_title(const struct importer *im, const char *field)
{
  for(int k = 0; k < im->ncols; k++)
    if(strcmp(im->cols[k].en, field) == 0 && im->cols[k].at >= 0)
      return im->h[im->cols[k].at];
  for(int i = 0; i < im->nh; i++)
    if(im->attr_of[i] && strcmp(im->attr_of[i], field) == 0)
      return im->h[i];
  return field;
}

/* Writes one rejected row: its fields as they were (padded to the header), then every reason. */
static bool reject(struct importer *im, long line, const char *reasons_json, const char *raw_json)
{
  char err[512];
  if(!im->rejects) {
    snprintf(im->res->rejects_path, sizeof im->res->rejects_path, "%s.rejected.csv", im->o->path);
    im->rejects = sr_csv_out_open(im->res->rejects_path, sr_csv_encoding(im->csv), sr_csv_bom(im->csv),
                                  sr_csv_delimiter(im->csv), err, sizeof err);
    if(!im->rejects)
      return false;
    const char *hdr[SR_CSV_MAX_FIELDS + 1];
    for(int i = 0; i < im->nh; i++)
      hdr[i] = im->h[i];
    hdr[im->nh] = "原因";
    sr_csv_out_row(im->rejects, hdr, im->nh + 1);
  }
  im->res->rejected++;
  cJSON *raw = cJSON_Parse(raw_json), *why = cJSON_Parse(reasons_json);
  const char *row[SR_CSV_MAX_FIELDS + 2];
  int n = 0;
  for(const cJSON *e = raw ? raw->child : NULL; e && n < SR_CSV_MAX_FIELDS; e = e->next)
    row[n++] = cJSON_IsString(e) ? e->valuestring : "";
  while(n < im->nh)
    row[n++] = "";
  struct sr_buf b;
  sr_buf_init(&b, 64 * 1024);
  sr_buf_printf(&b, "第 %ld 行：", line);
  int k = 0;
  for(const cJSON *e = why ? why->child : NULL; e; e = e->next, k++) {
    const cJSON *fj = cJSON_GetArrayItem(e, 0), *mj = cJSON_GetArrayItem(e, 1);
    const char *field = cJSON_IsString(fj) ? fj->valuestring : "", *msg = cJSON_IsString(mj) ? mj->valuestring : "";
    sr_buf_printf(&b, "%s%s%s%s", k ? "；" : "", field[0] ? field_title(im, field) : "", field[0] ? ": " : "", msg);
  }
  row[n++] = b.data ? b.data : "";
  bool ok = sr_csv_out_row(im->rejects, row, n);
  sr_buf_free(&b);
  cJSON_Delete(raw);
  cJSON_Delete(why);
  return ok;
}

/* Ships the last chunk, waits for it, and writes every refused row to the rejects file, in the
 * file's order; counts the most common reasons for the summary. */
static bool pipeline_end(struct importer *im, struct sr_problem *pb)
{
  if(!ship_chunk(im, pb) || !wait_chunk(im, pb))
    return false;
  PGresult *top = sr_db_exec(im->c->db, "SELECT field, count(DISTINCT line) FROM import_refused GROUP BY field "
                                        "ORDER BY 2 DESC, 1 LIMIT 5", 0, NULL);
  if(!sr_db_ok(top, PGRES_TUPLES_OK)) {
    PQclear(top);
    return sr_problem_set(pb, SR_INTERNAL, "cannot read the refused rows"), false;
  }
  for(int i = 0; i < PQntuples(top); i++) {
    const char *f = PQgetvalue(top, i, 0);
    snprintf(im->res->top[i].reason, sizeof im->res->top[i].reason, "%s", f[0] ? field_title(im, f) : "格式");
    im->res->top[i].rows = atol(PQgetvalue(top, i, 1));
    im->res->ntop++;
  }
  PQclear(top);
  /* Row by row: the refusals of a large file need not fit in memory. */
  if(!PQsendQuery(im->c->db, "SELECT line, jsonb_agg(jsonb_build_array(field, reason) ORDER BY k), "
                             "(array_agg(raw))[1] FROM import_refused GROUP BY line ORDER BY line") ||
     !PQsetSingleRowMode(im->c->db))
    return sr_problem_set(pb, SR_INTERNAL, "cannot read the refused rows"), false;
  PGresult *r;
  bool ok = true, written = true;
  while((r = PQgetResult(im->c->db))) {
    if(PQresultStatus(r) == PGRES_SINGLE_TUPLE)
      written = reject(im, atol(PQgetvalue(r, 0, 0)), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)) && written;
    else if(PQresultStatus(r) != PGRES_TUPLES_OK)
      ok = false;
    PQclear(r);
  }
  if(!ok)
    return sr_problem_set(pb, SR_INTERNAL, "cannot read the refused rows"), false;
  if(im->rejects && !sr_csv_out_close(im->rejects))
    written = false;
  im->rejects = NULL;
  return written || (sr_problem_set(pb, SR_INTERNAL, "cannot write %s", im->res->rejects_path), false);
}

/* Stops a run that failed half way: ends a COPY or chunk in flight and drains the connection. */
static void pipeline_abort(struct importer *im)
{
  PGresult *r;
  if(PQtransactionStatus(im->c->db) == PQTRANS_ACTIVE) {
    PQputCopyEnd(im->c->db, "import stopped");
    while((r = PQgetResult(im->c->db)))
      PQclear(r);
  }
  im->in_flight = false;
}

/* The registration series move past the serials the run brought in, so that the next number
 * the API assigns is free. Sequences are not transactional: this is done once the run is kept. */
static const char move_series[] =
    "SELECT setval(q.seq, q.top) FROM (SELECT sereg_registration_sequence(series) AS seq, max(serial) AS top "
    "FROM import_serials GROUP BY series) q WHERE q.top > coalesce(pg_sequence_last_value(q.seq), 0)";

/* After every chunk is in: refuse the whole run, or keep what loaded, and record the run. A run
 * that loaded nothing changes nothing, and puts nothing on the record. */
static enum sr_err conclude(struct importer *im, const char *what, struct sr_problem *pb)
{
  if(im->res->rejected > 0 && !im->o->skip_invalid) {
    im->res->imported = im->res->unknown = 0;
    sr_problem_set(pb, SR_INVALID, "Of %ld rows %ld were refused, so none was imported; the reasons are in %s (--skip-invalid imports the rest).",
                   im->res->rows, im->res->rejected, im->res->rejects_path);
    return pb->err;
  }
  if(im->res->imported == 0)
    return SR_OK;
  if(!sr_db_command(im->c->db, move_series, 0, NULL, pb))
    return pb->err;
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "file", im->o->path);
  cJSON_AddStringToObject(detail, "encoding", im->res->encoding);
  cJSON_AddNumberToObject(detail, "rows", (double)im->res->rows);
  cJSON_AddNumberToObject(detail, "imported", (double)im->res->imported);
  cJSON_AddNumberToObject(detail, "rejected", (double)im->res->rejected);
  cJSON_AddNumberToObject(detail, "blank", (double)im->res->blank);
  cJSON_AddNumberToObject(detail, "inspection_state_unknown", (double)im->res->unknown);
  char event[64], action[64];
  snprintf(event, sizeof event, "%s.imported", what);
  snprintf(action, sizeof action, "%s.import", what);
  /* A register file is the whole city's: its notice goes to the city. */
  PGresult *r = sr_db_exec(im->c->db, "SELECT code FROM jurisdiction WHERE kind = 'city' LIMIT 1", 0, NULL);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  cJSON *change = sr_change_new();
  sr_change_event(change, event, what, im->o->path, ok ? PQgetvalue(r, 0, 0) : NULL, cJSON_Duplicate(detail, 1));
  sr_change_audit(change, action, what, im->o->path, detail);
  PQclear(r);
  ok = ok && sr_record(im->c, change, pb);
  cJSON_Delete(change);
  return ok ? SR_OK : pb->err;
}

void sr_import_end(struct importer *im, const char *what, struct sr_problem *pb)
{
  if(pb->err != SR_OK || !pipeline_end(im, pb) || conclude(im, what, pb) != SR_OK || !sr_tx_commit(im->c, pb)) {
    pipeline_abort(im);
    sr_tx_rollback(im->c);
  }
}

void sr_import_finish(struct importer *im)
{
  sr_i18n_use(im->lang_was);
  free(im->chunk_sql);
  for(int i = 0; i < im->nh; i++) {
    free(im->h[i]);
    free(im->key[i]);
    free(im->attr_of[i]);
  }
  if(im->csv)
    draw(im, true);
  sr_csv_out_close(im->rejects);
  sr_csv_close(im->csv);
  PQclear(im->jurisdictions);
  sr_buf_free(&im->copy);
  sr_buf_free(&im->line);
}
