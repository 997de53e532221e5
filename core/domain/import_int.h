/*
 * import_int.h -- what the import's files share: the run (struct importer) and its pipeline of
 * chunks (import.c), the reading of an office's cells and header titles (import_cell.c), and
 * the two kinds of row (import_equipment.c, import_org.c).
 */
#ifndef sr_import_int_h
#define sr_import_int_h

#include <libpq-fe.h>
#include <stdbool.h>

#include "csv.h"
#include "i18n.h"
#include "import.h"
#include "problem.h"
#include "util.h"

/* A column the import knows, by its English and Chinese name. */
struct column {
  const char *en, *zh;
  bool required;
  int at; /* its place in the header, or -1 */
};

struct importer;

/* What one kind of import stages, checks and loads. */
struct import_kind {
  /* Creates import_stage: (line bigint, raw text, pre jsonb, ...). The raw row is text, a JSON
   * array the server never parses: only a rejected row's is read back, by this process. */
  const char *stage_sql;
  int stage_columns;
  const char *checks;    /* a SELECT of (line, k, field, reason, raw): the register's reasons */
  const char *load;      /* loads the rows of import_stage not in chunk_refused */
  const char *after;     /* run after each load, or NULL */
  const char *what;      /* the record, as a conflict names it: "Equipment" */
  /* True when header key <key> names an attribute some row may have; NULL when none can. */
  bool (*attr_ok)(struct importer *im, const char *key);
};

struct importer {
  /* An import speaks Chinese, whatever the caller's language: its rejects file goes back to the
   * office whose spreadsheet it read, and its reasons are the checks' own messages. */
  enum sr_lang lang_was;
  const struct import_kind *kind;
  struct sr_ctx *c;
  const struct sr_import_options *o;
  struct sr_import_result *res;
  struct sr_csv *csv;
  struct sr_csv_out *rejects;
  struct sr_buf copy;     /* COPY rows of the chunk being filled */
  struct sr_buf line;     /* scratch: one row's fields as a JSON array */
  double started, last_draw;
  char *chunk_sql;        /* checks and loads one staged chunk */
  char *h[SR_CSV_MAX_FIELDS]; /* the header as written, kept: rows borrow the reader's buffer */
  char *key[SR_CSV_MAX_FIELDS]; /* each header title folded for matching (sr_import_title_key) */
  int nh;
  bool used[SR_CSV_MAX_FIELDS]; /* header columns taken by a known column, or ignored */
  char *attr_of[SR_CSV_MAX_FIELDS]; /* "attributes.x" for a column a row read as attribute x */
  /* The attribute each column names for the type of the last row that read it: rows of one type
   * follow each other, and matching titles is the costliest part of reading a cell. */
  const void *attr_type[SR_CSV_MAX_FIELDS];
  const void *attr_at[SR_CSV_MAX_FIELDS];
  struct column *cols;
  int ncols;
  PGresult *jurisdictions; /* code, name of every current jurisdiction */
  long staged;            /* rows in <copy> */
  bool in_flight;         /* a chunk is being checked and loaded by the server */
};

/* ---- import.c: the run ---- */
/* Opens the file, reads and maps the header (a column that is none of <cols> is ignored unless
 * the kind's attr_ok says it names an attribute), begins the transaction and the staging tables. */
bool sr_import_begin(struct importer *im, struct sr_ctx *c, const struct sr_import_options *o,
                     struct sr_import_result *res, struct column *cols, int ncols, const struct import_kind *kind,
                     struct sr_problem *pb);
/* The next data row, blank ones skipped. SR_CSV_ROW, SR_CSV_BAD_ROW (staged already as
 * rejected, read on), SR_CSV_EOF, or SR_CSV_FATAL with <pb> filled. */
enum sr_csv_status sr_import_next(struct importer *im, char ***f, int *n, struct sr_problem *pb);
/* The cell of <col> in the row, spaces around it cut (in place), or NULL when it is empty. */
char *sr_import_cell(char **f, int n, const struct column *col);
/* The row's fields as the staging table keeps them (a JSON array of strings). */
const char *sr_import_raw(struct importer *im, char **f, int n);
/* The field errors of <rpb> as the staging table keeps them (a JSON array of [field, reason]),
 * or NULL when there are none. Caller frees. */
char *sr_import_reasons(const struct sr_problem *rpb);
/* One more row is in im->copy; ships the chunk when it is full. */
bool sr_import_staged(struct importer *im, struct sr_problem *pb);
/* Loads the last chunk, writes the rejected rows, and keeps the run or takes it all back. */
void sr_import_end(struct importer *im, const char *what, struct sr_problem *pb);
void sr_import_finish(struct importer *im);

/* ---- import_cell.c: an office's cells ---- */
/* <s> folded (sr_utf8_fold), without spaces, ASCII letters lower-cased: how a header title is
 * compared. Caller frees. */
char *sr_import_title_key(const char *s);
/* True when header key <h> names the column or attribute titled <title>: the same key, or
 * <title> with its unit in brackets left off ("额定载重量" for "额定载重量 (kg)"). */
bool sr_import_title_eq(const char *h, const char *title);
/* Folds a code or number cell in place (full-width digits, letters, brackets, spaces). */
void sr_import_fold(char *s);
/* A date as Excel writes it (2019-03-05, 2019/3/5, 2019-3-5, 2019年3月5日, 2019.3.5, 20190305,
 * with a time of day after it or not) into <out> as YYYY-MM-DD. False when it is none. */
bool sr_import_date(const char *s, char out[11]);
/* The jurisdiction code <s> names, by code or name; <s> itself when it names none. */
const char *sr_import_jurisdiction(const struct importer *im, const char *s);

/* The Chinese words of the import's own reasons. */

/* ==== import_state.c: a register's inspection state ==== */

#define SR_IMPORT_STATE_CELLS 6 /* last inspected on, its kind, conclusion, agency, report, next due */

struct sr_import_state {
  char state[12];  /* "recorded", "unknown", or "" when the rule decides (never for an import) */
  char due[11], kind[32];
  cJSON *history;  /* the last inspection as a result the rule may read; NULL when none */
  cJSON *basis;    /* where the state comes from: the file, the line, what the register says */
};

struct sr_eqtype;
/* Reads the state cells of a row (NULL where absent) for a unit of type <t> (may be NULL),
 * adding a reason to <rpb> for each that does not read. */
void sr_import_state_read(struct importer *im, const struct sr_eqtype *t, const char *const *cells, long line,
                          struct sr_import_state *out, struct sr_problem *rpb);
/* Settles the state with what the rule answered from commissioning and the last inspection
 * (<answer>, may be NULL): the recorded due date stands; without one, the rule's from the last
 * inspection; with neither, the state is unknown. */
void sr_import_state_decide(struct sr_import_state *s, const cJSON *answer);
void sr_import_state_free(struct sr_import_state *s);

#endif
