/*
 * sheet.c -- see sheet.h. CSV goes through the CSV writer of csv_write.c, xlsx through Debian's
 * libxlsxwriter in its constant-memory mode (each row is flushed to a file under TMPDIR as the
 * next one starts, strings are written inline rather than in a shared table kept in memory).
 * Neither writes into memory, so each workbook is written to a file of its own made by mkstemp,
 * read back when finished and unlinked at once.
 */
#include "sheet.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "csv.h"
#include "sr_limits.h"
#include "util.h"

struct sr_sheet {
  enum sr_sheet_format format;
  char path[512];
  char tmpdir[400];
  int sheets;
  long rows;        /* of the current sheet, its header not counted */
  int ncolumns;
  bool failed;
  char error[256];
  /* CSV */
  struct sr_csv_out *csv;
  /* xlsx */
  lxw_workbook *book;
  lxw_worksheet *ws;
  lxw_format *bold, *percent;
  int widths[SR_SHEET_MAX_COLUMNS]; /* the widest cell of each column of the current sheet */
};

bool sr_sheet_format_parse(const char *name, enum sr_sheet_format *f)
{
  if(name && strcmp(name, "csv") == 0)
    *f = SR_SHEET_CSV;
  else if(name && strcmp(name, "xlsx") == 0)
    *f = SR_SHEET_XLSX;
  else
    return false;
  return true;
}

const char *sr_sheet_format_name(enum sr_sheet_format f) { return f == SR_SHEET_XLSX ? "xlsx" : "csv"; }

const char *sr_sheet_media_type(enum sr_sheet_format f)
{
  return f == SR_SHEET_XLSX ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            : "text/csv; charset=utf-8; header=present";
}

bool sr_sheet_many(enum sr_sheet_format f) { return f == SR_SHEET_XLSX; }

__attribute__((format(printf, 2, 3))) static bool fail(struct sr_sheet *s, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  va_end(ap);
  s->failed = true;
  return false;
}

struct sr_sheet *sr_sheet_open(enum sr_sheet_format f, char *err, size_t errsz)
{
  struct sr_sheet *s = calloc(1, sizeof *s);
  if(!s) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  s->format = f;
  const char *tmp = getenv("TMPDIR");
  if(!tmp || !tmp[0])
    tmp = "/tmp";
  snprintf(s->tmpdir, sizeof s->tmpdir, "%s", tmp);
  snprintf(s->path, sizeof s->path, "%s/sereg-sheet-XXXXXX", tmp);
  int fd = mkstemp(s->path);
  if(fd < 0) {
    snprintf(err, errsz, "cannot make a file in %s: %s", tmp, strerror(errno));
    free(s);
    return NULL;
  }
  close(fd);
  if(f == SR_SHEET_CSV)
    return s; /* opened with its one sheet, in sr_sheet_begin */
  /* libxlsxwriter keeps the name; its row files go beside ours. */
  lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = s->tmpdir, .use_zip64 = LXW_FALSE };
  s->book = workbook_new_opt(s->path, &opt);
  if(s->book) {
    s->bold = workbook_add_format(s->book);
    s->percent = workbook_add_format(s->book);
  }
  if(!s->book || !s->bold || !s->percent) {
    snprintf(err, errsz, "cannot start a workbook: out of memory");
    sr_sheet_free(s);
    return NULL;
  }
  format_set_bold(s->bold);
  format_set_num_format(s->percent, "0.00%");
  return s;
}

/* The columns as wide as their widest cell (two for a CJK character), within Excel's bounds. */
static void fit_columns(struct sr_sheet *s)
{
  for(int i = 0; s->ws && i < s->ncolumns; i++) {
    int w = s->widths[i] + 2;
    worksheet_set_column(s->ws, (lxw_col_t)i, (lxw_col_t)i, w > SR_SHEET_MAX_WIDTH ? SR_SHEET_MAX_WIDTH : w, NULL);
  }
}

static void widen(struct sr_sheet *s, int col, const char *text)
{
  int w = sr_utf8_display_width(text);
  if(w > s->widths[col])
    s->widths[col] = w;
}

bool sr_sheet_begin(struct sr_sheet *s, const char *title, const char *const *columns, int n)
{
  char err[200];
  if(s->failed)
    return false;
  if(n < 1 || n > SR_SHEET_MAX_COLUMNS)
    return fail(s, "a sheet has 1 to %d columns, not %d", SR_SHEET_MAX_COLUMNS, n);
  if(s->format == SR_SHEET_CSV) {
    if(s->sheets)
      return fail(s, "%s", "a CSV file holds one sheet");
    s->csv = sr_csv_out_open(s->path, "UTF-8", true, ',', err, sizeof err);
    if(!s->csv)
      return fail(s, "%s", err);
    sr_csv_out_formulas_as_text(s->csv);
    s->sheets = 1;
    s->ncolumns = n;
    s->rows = 0;
    if(!sr_csv_out_row(s->csv, columns, n))
      return fail(s, "cannot write %s", "the header row");
    return true;
  }
  lxw_error e = workbook_validate_sheet_name(s->book, title);
  if(e != LXW_NO_ERROR)
    return fail(s, "bad sheet title: %s", lxw_strerror(e));
  fit_columns(s);
  s->ws = workbook_add_worksheet(s->book, title);
  if(!s->ws)
    return fail(s, "cannot add sheet %s", title);
  s->sheets++;
  s->ncolumns = n;
  s->rows = 0;
  memset(s->widths, 0, sizeof s->widths);
  for(int i = 0; i < n; i++) {
    widen(s, i, columns[i]);
    e = worksheet_write_string(s->ws, 0, (lxw_col_t)i, columns[i], s->bold);
    if(e != LXW_NO_ERROR)
      return fail(s, "cannot write a column title: %s", lxw_strerror(e));
  }
  worksheet_freeze_panes(s->ws, 1, 0);
  return true;
}

/* A number as a spreadsheet reads it back: integers without a point, others to 15 digits. */
static void number_text(double v, char *out, size_t outsz)
{
  if(v == (double)(long long)v && v > -1e15 && v < 1e15)
    snprintf(out, outsz, "%lld", (long long)v);
  else
    snprintf(out, outsz, "%.15g", v);
}

static bool csv_row(struct sr_sheet *s, const struct sr_cell *cells, int n)
{
  char numbers[SR_SHEET_MAX_COLUMNS][40];
  const char *fields[SR_SHEET_MAX_COLUMNS];
  for(int i = 0; i < s->ncolumns; i++) {
    fields[i] = "";
    if(i >= n)
      continue;
    switch(cells[i].kind) {
    case SR_CELL_TEXT:
      fields[i] = cells[i].text ? cells[i].text : "";
      break;
    case SR_CELL_NUMBER:
      number_text(cells[i].number, numbers[i], sizeof numbers[i]);
      fields[i] = numbers[i];
      break;
    case SR_CELL_RATE: /* Excel reads "83.33%" back as the number 0.8333 */
      snprintf(numbers[i], sizeof numbers[i], "%.2f%%", cells[i].number * 100);
      fields[i] = numbers[i];
      break;
    case SR_CELL_EMPTY:
      break;
    }
  }
  if(!sr_csv_out_row(s->csv, fields, s->ncolumns))
    return fail(s, "cannot write %s", "a row");
  return true;
}

static bool xlsx_row(struct sr_sheet *s, const struct sr_cell *cells, int n)
{
  if(s->rows + 1 >= LXW_ROW_MAX)
    return fail(s, "%s", "more rows than a sheet holds");
  lxw_row_t row = (lxw_row_t)(s->rows + 1);
  char text[40];
  for(int i = 0; i < n && i < s->ncolumns; i++) {
    lxw_error e = LXW_NO_ERROR;
    lxw_col_t col = (lxw_col_t)i;
    switch(cells[i].kind) {
    case SR_CELL_TEXT:
      /* A string is always a string: write_string never makes a formula of "=...". */
      if(cells[i].text && cells[i].text[0]) {
        e = worksheet_write_string(s->ws, row, col, cells[i].text, NULL);
        widen(s, i, cells[i].text);
      }
      break;
    case SR_CELL_NUMBER:
      e = worksheet_write_number(s->ws, row, col, cells[i].number, NULL);
      number_text(cells[i].number, text, sizeof text);
      widen(s, i, text);
      break;
    case SR_CELL_RATE:
      e = worksheet_write_number(s->ws, row, col, cells[i].number, s->percent);
      widen(s, i, "100.00%");
      break;
    case SR_CELL_EMPTY:
      break;
    }
    if(e != LXW_NO_ERROR)
      return fail(s, "cannot write a cell: %s", lxw_strerror(e));
  }
  return true;
}

bool sr_sheet_row(struct sr_sheet *s, const struct sr_cell *cells, int n)
{
  if(s->failed)
    return false;
  if(!s->sheets)
    return fail(s, "%s", "a row before its sheet");
  if(n > s->ncolumns)
    return fail(s, "%s", "more cells than the sheet has columns");
  bool ok = s->format == SR_SHEET_CSV ? csv_row(s, cells, n) : xlsx_row(s, cells, n);
  s->rows += ok;
  return ok;
}

long sr_sheet_rows(const struct sr_sheet *s) { return s->rows; }

const char *sr_sheet_error(const struct sr_sheet *s) { return s->error; }

/* The finished file in one allocation of its size (a growing buffer would hold twice a large
 * file's bytes while it grows), NUL after it. */
static bool read_back(const char *path, char **data, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if(fd < 0)
    return false;
  bool sized = fstat(fd, &st) == 0;
  if(!sized || st.st_size < 0 || st.st_size > SR_SHEET_MAX_BYTES) {
    if(sized)
      errno = EFBIG;
    close(fd);
    return false;
  }
  size_t n = (size_t)st.st_size, got = 0;
  char *p = malloc(n + 1);
  while(p && got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if(r < 0 && errno == EINTR)
      continue;
    if(r <= 0) {
      if(r == 0)
        errno = EIO; /* shorter than it was a moment ago */
      free(p);
      p = NULL;
      break;
    }
    got += (size_t)r;
  }
  close(fd);
  if(!p)
    return false;
  p[n] = '\0';
  *data = p;
  *len = n;
  return true;
}

bool sr_sheet_finish(struct sr_sheet *s, char **data, size_t *len, char *err, size_t errsz)
{
  *data = NULL;
  *len = 0;
  bool ok = !s->failed;
  if(ok && !s->sheets)
    ok = fail(s, "%s", "a workbook without a sheet");
  if(s->format == SR_SHEET_CSV) {
    if(!sr_csv_out_close(s->csv) && ok)
      ok = fail(s, "cannot write %s", s->path);
    s->csv = NULL;
  }
  else {
    fit_columns(s);
    lxw_error e = workbook_close(s->book); /* frees the workbook whatever it answers */
    s->book = NULL;
    if(e != LXW_NO_ERROR && ok)
      ok = fail(s, "cannot write the workbook: %s", lxw_strerror(e));
  }
  if(ok && !read_back(s->path, data, len))
    ok = fail(s, "cannot read the file back: %s", errno == EFBIG ? "larger than its ceiling" : strerror(errno));
  if(!ok)
    snprintf(err, errsz, "%s", s->error);
  sr_sheet_free(s);
  return ok;
}

void sr_sheet_free(struct sr_sheet *s)
{
  if(!s)
    return;
  sr_csv_out_close(s->csv);
  if(s->book) /* an abandoned workbook is still written out: closing is its only free */
    workbook_close(s->book);
  unlink(s->path);
  free(s);
}

void sr_sheet_disposition(const char *name, const char *ascii, char *out, size_t outsz)
{
  int n = snprintf(out, outsz, "attachment; filename=\"");
  for(const char *a = ascii; *a && (size_t)n + 2 < outsz; a++)
    if(isalnum((unsigned char)*a) || strchr("-._", *a))
      out[n++] = *a;
  n += snprintf(out + n, outsz - (size_t)n, "\"; filename*=UTF-8''");
  for(const unsigned char *p = (const unsigned char *)name; *p && (size_t)n + 4 < outsz; p++)
    n += (*p < 0x80 && (isalnum(*p) || strchr("-._~", *p))) ? snprintf(out + n, outsz - (size_t)n, "%c", *p)
                                                            : snprintf(out + n, outsz - (size_t)n, "%%%02X", *p);
}
