/* import.c -- see import.h. */
#include "import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "db.h"
#include "record.h"
#include "tx.h"
#include "equipment.h"
#include "ident.h"
#include "json.h"
#include "plugin.h"

/*
 * Rows go to the server in chunks: while the server checks and loads one chunk, this process
 * reads and validates the next, so the two cores work at once and memory stays bounded by a chunk.
 */
#define CHUNK_ROWS 20000
#define CHUNK_BYTES (16 * 1024 * 1024)

/* ==== what both imports share ==== */

struct importer {
  struct sr_ctx *c;
  const struct sr_import_options *o;
  struct sr_import_result *res;
  struct sr_csv *csv;
  FILE *rejects;
  struct sr_buf copy;     /* COPY rows of the chunk being filled */
  struct sr_buf line;     /* scratch for one rejects row or one raw row */
  double started, last_draw;
  char *chunk_sql;        /* checks and loads one staged chunk */
  char *h[SR_CSV_MAX_FIELDS]; /* the header, kept: rows borrow the reader's buffer */
  int nh;
  bool used[SR_CSV_MAX_FIELDS]; /* header columns taken by a known column */
  char *header;           /* the header line as CSV, for the rejects file */
  long staged;            /* rows in <copy> */
  bool in_flight;         /* a chunk is being checked and loaded by the server */
};

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
  fprintf(stderr, "\r[%s] %3.0f%%  %ld rows  %ld rejected  %.0f rows/s%s", bar, p * 100, im->res->rows,
          im->res->rejected, (double)im->res->rows / (t - im->started + 1e-9), last ? "\n" : "");
  fflush(stderr);
}

/* The raw row as CSV, for the rejects file and the staging table. */
static const char *raw_row(struct importer *im, char **fields, int n)
{
  im->line.len = 0;
  for(int i = 0; i < n; i++) {
    if(i)
      sr_buf_append(&im->line, ",", 1);
    sr_csv_field(&im->line, fields[i]);
  }
  sr_buf_append(&im->line, "", 0);
  return im->line.data ? im->line.data : "";
}

static bool open_rejects(struct importer *im, const char *header)
{
  if(im->rejects)
    return true;
  snprintf(im->res->rejects_path, sizeof im->res->rejects_path, "%s.rejected.csv", im->o->path);
  im->rejects = fopen(im->res->rejects_path, "w");
  if(!im->rejects)
    return false;
  fprintf(im->rejects, "line,reason,%s\n", header);
  return true;
}

/* Writes one rejected row with its reason. <raw> is the row as CSV text. */
static void reject(struct importer *im, long line, const char *reason, const char *raw, const char *header)
{
  im->res->rejected++;
  if(!open_rejects(im, header))
    return;
  struct sr_buf b;
  sr_buf_init(&b, SR_CSV_MAX_ROW * 2);
  sr_buf_printf(&b, "%ld,", line);
  sr_csv_field(&b, reason);
  sr_buf_printf(&b, ",%s\n", raw);
  if(b.data)
    fputs(b.data, im->rejects);
  sr_buf_free(&b);
}

/* Collects the results of the chunk in flight; counts what it refused and loaded. */
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
      if(ok)
        sr_problem_set(pb, SR_INTERNAL, "loading a chunk failed: %s", PQresultErrorMessage(r));
      ok = false;
    }
    else if(i == 3) /* the statement that loads the good rows (see chunk_sql): its count, or its rows */
      im->res->imported += st == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : atol(PQcmdTuples(r));
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

/* One more row is in <copy>; ships the chunk when it is full. */
static bool staged(struct importer *im, struct sr_problem *pb)
{
  im->staged++;
  return im->staged < CHUNK_ROWS && im->copy.len < CHUNK_BYTES ? true : ship_chunk(im, pb);
}

/* Creates the staging tables and composes the per-chunk statements (checks, then load). */
static bool pipeline_begin(struct importer *im, const char *stage_sql, const char *checks, const char *load,
                           struct sr_problem *pb)
{
  static const char refused[] = "CREATE TEMP TABLE import_refused (line bigint, reason text, raw text) ON COMMIT DROP; "
                                "CREATE TEMP TABLE chunk_refused (line bigint, reason text, raw text) ON COMMIT DROP";
  /* A bulk load runs as long as it must; the service's statement timeout is for requests. */
  if(!sr_db_command(im->c->db, "SET LOCAL statement_timeout = 0", 0, NULL, pb) ||
     !sr_db_command(im->c->db, stage_sql, 0, NULL, pb))
    return false;
  PGresult *r = PQexec(im->c->db, refused);
  bool ok = sr_db_ok(r, PGRES_COMMAND_OK);
  PQclear(r);
  if(!ok)
    return sr_problem_set(pb, SR_INTERNAL, "cannot create the staging tables"), false;
  struct sr_buf b;
  sr_buf_init(&b, 64 * 1024);
  /* Statement 3 (from 0) is the load; wait_chunk counts its rows. */
  sr_buf_printf(&b, "TRUNCATE chunk_refused; INSERT INTO chunk_refused %s; "
                    "INSERT INTO import_refused SELECT * FROM chunk_refused; %s; TRUNCATE import_stage",
                checks, load);
  im->chunk_sql = b.data;
  return b.data != NULL || (sr_problem_set(pb, SR_INTERNAL, "out of memory"), false);
}

/* Ships the last chunk, waits for it, and writes every refused row to the rejects file. */
static bool pipeline_end(struct importer *im, const char *header, struct sr_problem *pb)
{
  if(!ship_chunk(im, pb) || !wait_chunk(im, pb))
    return false;
  /* Row by row: the refusals of a large file need not fit in memory. */
  if(!PQsendQuery(im->c->db, "SELECT line, reason, raw FROM import_refused ORDER BY line") ||
     !PQsetSingleRowMode(im->c->db))
    return sr_problem_set(pb, SR_INTERNAL, "cannot read the refused rows"), false;
  PGresult *r;
  bool ok = true;
  while((r = PQgetResult(im->c->db))) {
    if(PQresultStatus(r) == PGRES_SINGLE_TUPLE)
      reject(im, atol(PQgetvalue(r, 0, 0)), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), header);
    else if(PQresultStatus(r) != PGRES_TUPLES_OK)
      ok = false;
    PQclear(r);
  }
  return ok || (sr_problem_set(pb, SR_INTERNAL, "cannot read the refused rows"), false);
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

static bool init(struct importer *im, struct sr_ctx *c, const struct sr_import_options *o,
                 struct sr_import_result *res, struct sr_problem *pb)
{
  memset(im, 0, sizeof *im);
  memset(res, 0, sizeof *res);
  im->c = c;
  im->o = o;
  im->res = res;
  sr_buf_init(&im->copy, CHUNK_BYTES + SR_CSV_MAX_ROW * 4);
  sr_buf_init(&im->line, SR_CSV_MAX_ROW * 2);
  char err[512];
  im->csv = sr_csv_open(o->path, err, sizeof err);
  if(!im->csv) {
    sr_problem_set(pb, SR_BAD_REQUEST, "%s", err);
    return false;
  }
  snprintf(res->encoding, sizeof res->encoding, "%s", sr_csv_encoding(im->csv));
  /* A rejects file from an earlier run would mislead: this run writes its own or none. */
  char old[4200];
  snprintf(old, sizeof old, "%s.rejected.csv", o->path);
  unlink(old);
  im->started = now_s();
  return true;
}

static void finish(struct importer *im)
{
  free(im->chunk_sql);
  for(int i = 0; i < im->nh; i++)
    free(im->h[i]);
  free(im->header);
  draw(im, true);
  if(im->rejects)
    fclose(im->rejects);
  sr_csv_close(im->csv);
  sr_buf_free(&im->copy);
  sr_buf_free(&im->line);
}

/* Finds each wanted column in the header, by English or Chinese name. */
struct column {
  const char *en, *zh;
  bool required;
  int at;
};

static bool map_header(char **h, int n, struct column *cols, int ncols, bool *used, struct sr_problem *pb)
{
  for(int k = 0; k < ncols; k++) {
    cols[k].at = -1;
    for(int i = 0; i < n; i++) {
      const char *name = h[i];
      while(*name == ' ')
        name++;
      if(strcmp(name, cols[k].en) == 0 || strcmp(name, cols[k].zh) == 0) {
        cols[k].at = i;
        used[i] = true;
      }
    }
    if(cols[k].required && cols[k].at < 0)
      sr_problem_field(pb, cols[k].en, "the header has no '%s' (or '%s') column", cols[k].en, cols[k].zh);
  }
  return pb->err == SR_OK;
}

/* Reads and maps the header line. False with <pb> filled when the file is empty or lacks columns. */
static bool read_header(struct importer *im, struct column *cols, int ncols, struct sr_problem *pb)
{
  char err[512], **f;
  int n;
  enum sr_csv_status st = sr_csv_next(im->csv, &f, &n, err, sizeof err);
  if(st != SR_CSV_ROW) {
    sr_problem_set(pb, SR_BAD_REQUEST, "%s", st == SR_CSV_EOF ? "the file is empty" : err);
    return false;
  }
  for(int i = 0; i < n; i++)
    im->h[im->nh++] = strdup(f[i]);
  im->header = strdup(raw_row(im, im->h, im->nh));
  if(!map_header(im->h, im->nh, cols, ncols, im->used, pb)) {
    sr_problem_set(pb, SR_INVALID, "The header of %s lacks required columns; see errors and docs/import.md.",
                   im->o->path);
    return false;
  }
  return true;
}

/* The next data row, skipping blank lines and rejecting broken ones. SR_CSV_ROW or SR_CSV_EOF;
 * SR_CSV_FATAL with <pb> filled. */
static enum sr_csv_status next_row(struct importer *im, char ***f, int *n, struct sr_problem *pb)
{
  char err[512];
  for(;;) {
    enum sr_csv_status st = sr_csv_next(im->csv, f, n, err, sizeof err);
    if(st == SR_CSV_FATAL)
      sr_problem_set(pb, SR_BAD_REQUEST, "%s", err);
    if(st == SR_CSV_FATAL || st == SR_CSV_EOF)
      return st;
    if(st == SR_CSV_ROW && *n == 1 && !(*f)[0][0])
      continue; /* a blank line */
    im->res->rows++;
    draw(im, false);
    if(st == SR_CSV_ROW)
      return st;
    reject(im, sr_csv_line(im->csv), err, "", im->header);
  }
}

static const char *cell(char **f, int n, const struct column *col)
{
  return col->at >= 0 && col->at < n && f[col->at][0] ? f[col->at] : NULL;
}

/* The field errors of <pb> in one sentence, for the rejects file. */
static void reasons(const struct sr_problem *pb, char *out, size_t n)
{
  out[0] = '\0';
  for(const cJSON *e = pb->errors ? pb->errors->child : NULL; e && strlen(out) + 10 < n; e = e->next)
    snprintf(out + strlen(out), n - strlen(out), "%s%s: %s", out[0] ? "; " : "",
             cJSON_GetObjectItem(e, "field")->valuestring, cJSON_GetObjectItem(e, "message")->valuestring);
  if(!out[0])
    snprintf(out, n, "%s", pb->detail);
}

/* After every chunk is in: refuse the whole run, or keep what loaded, and record the run. */
static enum sr_err conclude(struct importer *im, const char *what, struct sr_problem *pb)
{
  if(im->res->rejected > 0 && !im->o->skip_invalid) {
    im->res->imported = 0;
    sr_problem_set(pb, SR_INVALID, "%ld of %ld rows rejected, so nothing was imported; the reasons are in %s "
                                   "(--skip-invalid imports the other rows)",
                   im->res->rejected, im->res->rows, im->res->rejects_path);
    return pb->err;
  }
  cJSON *detail = cJSON_CreateObject();
  cJSON_AddStringToObject(detail, "file", im->o->path);
  cJSON_AddStringToObject(detail, "encoding", im->res->encoding);
  cJSON_AddNumberToObject(detail, "rows", (double)im->res->rows);
  cJSON_AddNumberToObject(detail, "imported", (double)im->res->imported);
  cJSON_AddNumberToObject(detail, "rejected", (double)im->res->rejected);
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

/* Loads the last chunk and either keeps the run or takes it all back. */
static void end_run(struct importer *im, const char *what, struct sr_problem *pb)
{
  if(pb->err != SR_OK || !pipeline_end(im, im->header, pb) || conclude(im, what, pb) != SR_OK ||
     !sr_tx_commit(im->c, pb)) {
    pipeline_abort(im);
    sr_tx_rollback(im->c);
  }
}

/* ==== equipment ==== */

enum { E_CODE, E_TYPE, E_JUR, E_UNIT, E_ADDR, E_ON, E_REGNO, E_STATUS, E_ATTRS, E_VARIETY, E__N };

static const char stage_equipment[] =
    "CREATE TEMP TABLE import_stage (line bigint, raw text, equipment_code text, type text, variety text, "
    "registration_number text, reg_head text, reg_series text, jurisdiction text, user_unit text, address text, "
    "commissioned_on date, attributes jsonb, status text, rule text, next_due date, next_due_kind text, "
    "next_due_rule text, next_due_basis jsonb) ON COMMIT DROP";

static const char checks_equipment[] =
    "SELECT line, reason, raw FROM ("
    " SELECT line, raw, 'user_unit: no user unit is registered with credit code ' || user_unit AS reason "
    "  FROM import_stage s WHERE NOT EXISTS (SELECT 1 FROM organization o WHERE o.credit_code = s.user_unit "
    "  AND o.kind = 'user_unit')"
    " UNION ALL SELECT line, raw, 'jurisdiction: ' || jurisdiction || ' is not a current district-level jurisdiction' "
    "  FROM import_stage s WHERE NOT EXISTS (SELECT 1 FROM jurisdiction j WHERE j.code = s.jurisdiction "
    "  AND j.kind <> 'city' AND j.valid_to IS NULL)"
    " UNION ALL SELECT line, raw, 'equipment_code: ' || equipment_code || ' is already registered' "
    "  FROM import_stage s WHERE EXISTS (SELECT 1 FROM equipment e WHERE e.equipment_code = s.equipment_code)"
    " UNION ALL SELECT line, raw, 'equipment_code: repeats line ' || first || ' of the file' FROM ("
    "  SELECT line, raw, min(line) OVER (PARTITION BY equipment_code) AS first FROM import_stage) d WHERE line > first"
    " UNION ALL SELECT line, raw, 'registration_number: ' || registration_number || ' is already registered' "
    "  FROM import_stage s WHERE registration_number IS NOT NULL AND EXISTS (SELECT 1 FROM equipment e "
    "  WHERE e.registration_number = s.registration_number)"
    " UNION ALL SELECT line, raw, 'registration_number: repeats line ' || first || ' of the file' FROM ("
    "  SELECT line, raw, min(line) OVER (PARTITION BY registration_number) AS first FROM import_stage "
    "  WHERE registration_number IS NOT NULL) d WHERE line > first"
    ") x";

/* Loads the staged rows that passed every check, with their history events. */
static const char load_equipment[] =
    "WITH ins AS (INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, "
    "  user_unit_id, address, commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule, "
    "  next_due_basis) "
    "  SELECT g.equipment_code, g.type, g.variety, coalesce(g.registration_number, g.reg_head "
    "   || (SELECT plate_prefix FROM jurisdiction WHERE kind = 'city' LIMIT 1) "
    "   || (SELECT lpad(v::text, greatest(5, length(v::text)), '0') FROM nextval(sq.seq) v) "
    "   || '(' || right(g.reg_series, 2) || ')'), "
    "  g.jurisdiction, o.id, g.address, g.commissioned_on, g.attributes, g.status, g.rule, g.next_due, g.next_due_kind, "
    "  g.next_due_rule, g.next_due_basis FROM import_stage g JOIN organization o ON o.credit_code = g.user_unit "
    "  AND o.kind = 'user_unit' JOIN (SELECT reg_series, sereg_registration_sequence(reg_series) AS seq "
    "  FROM (SELECT DISTINCT reg_series FROM import_stage) d) sq USING (reg_series) "
    "  WHERE NOT EXISTS (SELECT 1 FROM chunk_refused r WHERE r.line = g.line) "
    "  ORDER BY g.line RETURNING id, status) "
    "SELECT count(*) AS loaded, sereg_record(jsonb_agg(jsonb_build_object('history', jsonb_build_object("
    "  'of', 'equipment', 'id', id, 'action', 'import', 'to', status, 'reason', '批量导入', "
    "  'after', jsonb_build_object('status', status))))) FROM ins";

/* Converts a cell to the attribute's JSON type; NULL with <why> when it does not convert. */
static cJSON *attr_value(const struct sr_attr *a, const char *s, char *why, size_t n)
{
  char *end;
  switch(a->kind) {
  case SR_ATTR_STRING:
    return cJSON_CreateString(s);
  case SR_ATTR_INTEGER: {
    errno = 0;
    long v = strtol(s, &end, 10);
    if(!errno && !*end)
      return cJSON_CreateNumber((double)v);
    break;
  }
  case SR_ATTR_NUMBER: {
    errno = 0;
    double v = strtod(s, &end);
    if(!errno && !*end && end != s)
      return cJSON_CreateNumber(v);
    break;
  }
  case SR_ATTR_BOOLEAN:
    if(strcmp(s, "true") == 0 || strcmp(s, "是") == 0)
      return cJSON_CreateTrue();
    if(strcmp(s, "false") == 0 || strcmp(s, "否") == 0)
      return cJSON_CreateFalse();
    break;
  case SR_ATTR_OBJECT: {
    cJSON *j = cJSON_Parse(s);
    if(cJSON_IsObject(j))
      return j;
    cJSON_Delete(j);
    break;
  }
  }
  snprintf(why, n, "attributes.%s: '%.40s' is not a valid %s", a->name, s,
           a->kind == SR_ATTR_OBJECT ? "JSON object" : a->kind == SR_ATTR_BOOLEAN ? "true/false" : "number");
  return NULL;
}

static const struct sr_attr *attr_by_header(const struct sr_eqtype *t, const char *h)
{
  for(int i = 0; i < t->nattrs; i++)
    if(strcmp(t->attrs[i].name, h) == 0 || (t->attrs[i].title && strcmp(t->attrs[i].title, h) == 0))
      return &t->attrs[i];
  return NULL;
}

static const struct sr_eqtype *type_by_cell(struct sr_plugins *p, const char *s)
{
  for(int i = 0; s && i < sr_plugins_ntypes(p); i++) {
    const struct sr_eqtype *t = sr_plugins_type_at(p, i);
    if(strcmp(t->code, s) == 0 || strcmp(t->name, s) == 0)
      return t;
  }
  return NULL;
}

/* Builds the registration body of one row; NULL with <why> when a cell cannot be read. */
static cJSON *row_body(struct sr_ctx *c, char **f, int n, char **h, const struct column *cols, const bool *used,
                       const struct sr_eqtype **type, char *why, size_t whyn)
{
  *type = type_by_cell(c->plugins, cell(f, n, &cols[E_TYPE]));
  cJSON *b = cJSON_CreateObject();
  static const char *const keys[] = { "equipment_code", "type", "jurisdiction", "user_unit", "address", "commissioned_on" };
  for(int k = 0; k < 6; k++) {
    const char *v = cell(f, n, &cols[k]);
    if(k == E_TYPE && *type)
      v = (*type)->code;
    if(v)
      cJSON_AddStringToObject(b, keys[k], v);
  }
  cJSON *attrs = NULL;
  const char *aj = cell(f, n, &cols[E_ATTRS]);
  if(aj) {
    attrs = cJSON_Parse(aj);
    if(!cJSON_IsObject(attrs)) {
      snprintf(why, whyn, "attributes: the 技术参数/attributes column must hold a JSON object");
      cJSON_Delete(attrs);
      cJSON_Delete(b);
      return NULL;
    }
  }
  else
    attrs = cJSON_CreateObject();
  const char *variety = cell(f, n, &cols[E_VARIETY]);
  if(variety) {
    cJSON_DeleteItemFromObjectCaseSensitive(attrs, "variety");
    cJSON_AddStringToObject(attrs, "variety", variety);
  }
  for(int i = 0; i < n && *type; i++) { /* columns named after an attribute or its title */
    if(used[i] || !f[i][0])
      continue;
    const struct sr_attr *a = attr_by_header(*type, h[i]);
    if(!a) {
      snprintf(why, whyn, "column '%s' is not an attribute of %s", h[i], (*type)->code);
      cJSON_Delete(attrs);
      cJSON_Delete(b);
      return NULL;
    }
    cJSON *v = attr_value(a, f[i], why, whyn);
    if(!v) {
      cJSON_Delete(attrs);
      cJSON_Delete(b);
      return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(attrs, a->name);
    cJSON_AddItemToObject(attrs, a->name, v);
  }
  cJSON_AddItemToObject(b, "attributes", attrs);
  return b;
}

/* The regime for <type> in <jurisdiction> on today, from the rows read once at the start. */
static const char *regime_for(const PGresult *regimes, const char *type, const char *jurisdiction)
{
  const char *found = NULL;
  for(int i = 0; i < PQntuples(regimes); i++) {
    if(strcmp(PQgetvalue(regimes, i, 0), type) != 0)
      continue;
    if(!PQgetisnull(regimes, i, 1) && strcmp(PQgetvalue(regimes, i, 1), jurisdiction) != 0)
      continue;
    if(!found || !PQgetisnull(regimes, i, 1))
      found = PQgetvalue(regimes, i, 2);
  }
  return found;
}

/* Checks one row and stages it, or writes it to the rejects file. */
static bool stage_row(struct importer *im, char **f, int n, char **h, int nh, const struct column *cols,
                      const bool *used, const PGresult *regimes, const char *header, struct sr_problem *pb)
{
  struct sr_ctx *c = im->c;
  long line = sr_csv_line(im->csv);
  const char *raw = raw_row(im, f, n);
  char why[600] = "";
  if(n != nh) {
    snprintf(why, sizeof why, "the row has %d fields, the header %d", n, nh);
    reject(im, line, why, raw, header);
    return true;
  }
  const struct sr_eqtype *t;
  cJSON *body = row_body(c, f, n, h, cols, used, &t, why, sizeof why);
  if(!body) {
    reject(im, line, why, raw, header);
    return true;
  }
  struct sr_problem rpb;
  sr_problem_init(&rpb);
  const char *status = cell(f, n, &cols[E_STATUS]);
  if(!status || strcmp(status, "在用") == 0)
    status = "in_service";
  else if(strcmp(status, "停用") == 0)
    status = "suspended";
  if(strcmp(status, "in_service") != 0 && strcmp(status, "suspended") != 0)
    sr_problem_field(&rpb, "status", "must be in_service (在用) or suspended (停用)");
  const char *regno = cell(f, n, &cols[E_REGNO]);
  if(regno && strlen(regno) > 64)
    sr_problem_field(&rpb, "registration_number", "is longer than 64 bytes");
  if(rpb.err == SR_OK)
    t = sr_equipment_check(c, body, &rpb);
  cJSON *answer = NULL;
  if(t && rpb.err == SR_OK) {
    /* The due date a new unit gets, decided as a registration would decide it. */
    cJSON *eq = cJSON_Duplicate(body, 1);
    cJSON_AddStringToObject(eq, "status", status);
    cJSON_AddStringToObject(eq, "variety", cJSON_GetObjectItem(cJSON_GetObjectItem(body, "attributes"), "variety")->valuestring);
    const char *regime = regime_for(regimes, t->code, cJSON_GetObjectItem(body, "jurisdiction")->valuestring);
    if(regime)
      cJSON_AddStringToObject(eq, "regime", regime);
    cJSON *susp = cJSON_AddArrayToObject(eq, "suspensions");
    if(strcmp(status, "suspended") == 0) {
      char today[11];
      sr_date_format(c->today, today);
      cJSON *s = cJSON_CreateObject();
      cJSON_AddStringToObject(s, "from", today);
      cJSON_AddItemToArray(susp, s);
    }
    cJSON *history = cJSON_CreateArray();
    sr_plugins_next_due(c->plugins, t, eq, history, c->today, &answer, &rpb);
    cJSON_Delete(eq);
    cJSON_Delete(history);
  }
  if(rpb.err != SR_OK) {
    reasons(&rpb, why, sizeof why);
    reject(im, line, why, raw, header);
    cJSON_Delete(body);
    cJSON_Delete(answer);
    sr_problem_free(&rpb);
    return true; /* the row is rejected; the import goes on */
  }
  const char *variety = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "attributes"), "variety")->valuestring;
  char lines[32], head[64], series[96], rule[96], *attrs = cJSON_PrintUnformatted(cJSON_GetObjectItem(body, "attributes"));
  snprintf(lines, sizeof lines, "%ld", line);
  snprintf(head, sizeof head, "%s%.2s", t->registration_class, variety + 1);
  snprintf(series, sizeof series, "%s/%04d", head, c->today.y % 10000);
  snprintf(rule, sizeof rule, "%s@%s", t->file, t->version);
  const cJSON *date = cJSON_GetObjectItem(answer, "date"), *kind = cJSON_GetObjectItem(answer, "kind");
  cJSON *basis = NULL;
  if(answer) {
    basis = cJSON_CreateObject();
    cJSON_AddItemToObject(basis, "reason", cJSON_Duplicate(cJSON_GetObjectItem(answer, "reason"), 1));
    cJSON_AddItemToObject(basis, "basis", cJSON_Duplicate(cJSON_GetObjectItem(answer, "basis"), 1));
    cJSON_AddStringToObject(basis, "rule", rule);
  }
  char *basis_text = basis ? cJSON_PrintUnformatted(basis) : NULL;
  struct sr_buf *b = &im->copy;
  sr_db_copy_field(b, lines, false);
  sr_db_copy_field(b, raw, false);
  sr_db_copy_field(b, cJSON_GetObjectItem(body, "equipment_code")->valuestring, false);
  sr_db_copy_field(b, t->code, false);
  sr_db_copy_field(b, variety, false);
  sr_db_copy_field(b, regno, false);
  sr_db_copy_field(b, head, false);
  sr_db_copy_field(b, series, false);
  sr_db_copy_field(b, cJSON_GetObjectItem(body, "jurisdiction")->valuestring, false);
  sr_db_copy_field(b, cJSON_GetObjectItem(body, "user_unit")->valuestring, false);
  sr_db_copy_field(b, cJSON_GetObjectItem(body, "address")->valuestring, false);
  sr_db_copy_field(b, cJSON_GetObjectItem(body, "commissioned_on")->valuestring, false);
  sr_db_copy_field(b, attrs, false);
  sr_db_copy_field(b, status, false);
  sr_db_copy_field(b, rule, false);
  sr_db_copy_field(b, cJSON_IsString(date) ? date->valuestring : NULL, false);
  sr_db_copy_field(b, cJSON_IsString(kind) ? kind->valuestring : NULL, false);
  sr_db_copy_field(b, answer ? rule : NULL, false);
  sr_db_copy_field(b, basis_text, true);
  free(attrs);
  free(basis_text);
  cJSON_Delete(basis);
  cJSON_Delete(body);
  cJSON_Delete(answer);
  sr_problem_free(&rpb);
  return staged(im, pb);
}

enum sr_err sr_import_equipment(struct sr_ctx *c, const struct sr_import_options *o, struct sr_import_result *res,
                                struct sr_problem *pb)
{
  struct importer im;
  if(!init(&im, c, o, res, pb))
    return pb->err;
  struct column cols[E__N] = {
    [E_CODE] = { "equipment_code", "设备代码", true, -1 }, [E_TYPE] = { "type", "设备类别", true, -1 },
    [E_JUR] = { "jurisdiction", "管辖区域", true, -1 }, [E_UNIT] = { "user_unit", "使用单位统一社会信用代码", true, -1 },
    [E_ADDR] = { "address", "使用地点", true, -1 }, [E_ON] = { "commissioned_on", "投用日期", true, -1 },
    [E_REGNO] = { "registration_number", "使用登记证编号", false, -1 }, [E_STATUS] = { "status", "状态", false, -1 },
    [E_ATTRS] = { "attributes", "技术参数", false, -1 }, [E_VARIETY] = { "variety", "品种", false, -1 },
  };
  PGresult *regimes = NULL;
  if(!read_header(&im, cols, E__N, pb) || !sr_tx_begin(c, pb))
    goto out;
  char today[11];
  sr_date_format(c->today, today);
  const char *rp[] = { today };
  regimes = sr_db_exec(c->db, "SELECT equipment_type, jurisdiction, regime FROM inspection_regime "
                              "WHERE valid_from <= $1::date AND (valid_to IS NULL OR valid_to >= $1::date)", 1, rp);
  if(!sr_db_ok(regimes, PGRES_TUPLES_OK) ||
     !pipeline_begin(&im, stage_equipment, checks_equipment, load_equipment, pb)) {
    if(pb->err == SR_OK)
      sr_problem_set(pb, SR_INTERNAL, "database error");
    sr_tx_rollback(c);
    goto out;
  }
  char **f;
  int n;
  while(next_row(&im, &f, &n, pb) == SR_CSV_ROW &&
        stage_row(&im, f, n, im.h, im.nh, cols, im.used, regimes, im.header, pb))
    ;
  end_run(&im, "equipment", pb);
out:
  PQclear(regimes);
  finish(&im);
  return pb->err;
}

/* ==== organizations ==== */

enum { O_CODE, O_NAME, O_KIND, O_JUR, O__N };

static const char stage_orgs[] =
    "CREATE TEMP TABLE import_stage (line bigint, raw text, credit_code text, name text, kind text, "
    "jurisdiction text) ON COMMIT DROP";

static const char checks_orgs[] =
    "SELECT line, reason, raw FROM ("
    " SELECT line, raw, 'jurisdiction: ' || jurisdiction || ' is not a current jurisdiction' AS reason "
    "  FROM import_stage s WHERE NOT EXISTS (SELECT 1 FROM jurisdiction j WHERE j.code = s.jurisdiction "
    "  AND j.valid_to IS NULL)"
    " UNION ALL SELECT line, raw, 'credit_code: ' || credit_code || ' is already registered' "
    "  FROM import_stage s WHERE EXISTS (SELECT 1 FROM organization o WHERE o.credit_code = s.credit_code)"
    " UNION ALL SELECT line, raw, 'credit_code: repeats line ' || first || ' of the file' FROM ("
    "  SELECT line, raw, min(line) OVER (PARTITION BY credit_code) AS first FROM import_stage) d WHERE line > first"
    ") x";

static const char load_orgs[] =
    "INSERT INTO organization (credit_code, name, kind, jurisdiction) "
    "SELECT s.credit_code, s.name, s.kind, s.jurisdiction FROM import_stage s "
    "WHERE NOT EXISTS (SELECT 1 FROM chunk_refused r WHERE r.line = s.line) ORDER BY s.line";

static const char *org_kind(const char *s)
{
  if(!s)
    return NULL;
  if(strcmp(s, "user_unit") == 0 || strcmp(s, "使用单位") == 0)
    return "user_unit";
  if(strcmp(s, "agency") == 0 || strcmp(s, "检验机构") == 0)
    return "agency";
  if(strcmp(s, "maintenance_unit") == 0 || strcmp(s, "维保单位") == 0)
    return "maintenance_unit";
  return NULL;
}

enum sr_err sr_import_organizations(struct sr_ctx *c, const struct sr_import_options *o,
                                    struct sr_import_result *res, struct sr_problem *pb)
{
  struct importer im;
  if(!init(&im, c, o, res, pb))
    return pb->err;
  struct column cols[O__N] = {
    [O_CODE] = { "credit_code", "统一社会信用代码", true, -1 }, [O_NAME] = { "name", "名称", true, -1 },
    [O_KIND] = { "kind", "类型", true, -1 }, [O_JUR] = { "jurisdiction", "所在区域", true, -1 },
  };
  if(!read_header(&im, cols, O__N, pb) || !sr_tx_begin(c, pb))
    goto out;
  if(!pipeline_begin(&im, stage_orgs, checks_orgs, load_orgs, pb)) {
    sr_tx_rollback(c);
    goto out;
  }
  char **f;
  int n;
  while(next_row(&im, &f, &n, pb) == SR_CSV_ROW) {
    long line = sr_csv_line(im.csv);
    const char *raw = raw_row(&im, f, n);
    const char *code = cell(f, n, &cols[O_CODE]), *name = cell(f, n, &cols[O_NAME]);
    const char *kind = org_kind(cell(f, n, &cols[O_KIND])), *jur = cell(f, n, &cols[O_JUR]);
    char why[300] = "";
    enum sr_uscc_result ur = sr_uscc_check(code);
    if(n != im.nh)
      snprintf(why, sizeof why, "the row has %d fields, the header %d", n, im.nh);
    else if(ur != SR_USCC_OK)
      snprintf(why, sizeof why, "credit_code: %s", sr_uscc_explain(ur));
    else if(!name || strlen(name) > 200)
      snprintf(why, sizeof why, "name: must be 1 to 200 bytes");
    else if(!kind)
      snprintf(why, sizeof why, "kind: must be user_unit (使用单位), agency (检验机构) or maintenance_unit (维保单位)");
    else if(!jur || strlen(jur) > 16)
      snprintf(why, sizeof why, "jurisdiction: is required");
    if(why[0]) {
      reject(&im, line, why, raw, im.header);
      continue;
    }
    char lines[32];
    snprintf(lines, sizeof lines, "%ld", line);
    sr_db_copy_field(&im.copy, lines, false);
    sr_db_copy_field(&im.copy, raw, false);
    sr_db_copy_field(&im.copy, code, false);
    sr_db_copy_field(&im.copy, name, false);
    sr_db_copy_field(&im.copy, kind, false);
    sr_db_copy_field(&im.copy, jur, true);
    if(!staged(&im, pb))
      break;
  }
  end_run(&im, "organization", pb);
out:
  finish(&im);
  return pb->err;
}
