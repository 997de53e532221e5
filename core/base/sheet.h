/*
 * sheet.h -- tables for people's spreadsheets: a workbook of sheets, each a title, its column
 * titles and rows of cells (text, a number, a rate, or nothing), written as it is filled, as CSV
 * (UTF-8 with its BOM, CRLF, a cell Excel would take for a formula kept as text: csv_write.c) or
 * as .xlsx (libxlsxwriter: the header row bold and frozen, the columns as wide as their widest
 * cell counted in CJK widths). The finished file comes back in memory; memory while it is filled
 * stays bounded by a row (both formats go through files under TMPDIR, removed at once).
 */
#ifndef sr_sheet_h
#define sr_sheet_h

#include <stdbool.h>
#include <stddef.h>

enum sr_sheet_format { SR_SHEET_CSV, SR_SHEET_XLSX };

enum sr_cell_kind {
  SR_CELL_EMPTY,
  SR_CELL_TEXT,   /* text as it is: a date is written as text YYYY-MM-DD */
  SR_CELL_NUMBER, /* a number, which a spreadsheet sums */
  SR_CELL_RATE    /* a fraction 0..1 shown as a percentage (83.33% in CSV, 0.00% in xlsx) */
};

struct sr_cell {
  enum sr_cell_kind kind;
  const char *text; /* SR_CELL_TEXT; NULL reads as empty */
  double number;    /* SR_CELL_NUMBER, SR_CELL_RATE */
};

struct sr_sheet;

/* "csv" or "xlsx" into <f>; false for anything else. */
bool sr_sheet_format_parse(const char *name, enum sr_sheet_format *f);
const char *sr_sheet_format_name(enum sr_sheet_format f);   /* "csv", "xlsx" */
const char *sr_sheet_media_type(enum sr_sheet_format f);    /* Content-Type of the file */

/* A new workbook in format <f>. NULL with the reason in <err>. */
struct sr_sheet *sr_sheet_open(enum sr_sheet_format f, char *err, size_t errsz);
/* Starts the next sheet: <title> (at most 31 characters, none of []:*?/\) and its <n> column
 * titles. A CSV file holds one sheet: a second is refused. False with the reason in <err>. */
bool sr_sheet_begin(struct sr_sheet *s, const char *title, const char *const *columns, int n);
/* Whether format <f> holds more than one sheet (xlsx). */
bool sr_sheet_many(enum sr_sheet_format f);
/* One row of at most the sheet's columns (fewer: the rest empty). False when it cannot be
 * written; then the workbook can only be freed. */
bool sr_sheet_row(struct sr_sheet *s, const struct sr_cell *cells, int n);
/* Rows written to the current sheet. */
long sr_sheet_rows(const struct sr_sheet *s);
/* The reason of the last failure. */
const char *sr_sheet_error(const struct sr_sheet *s);
/* Finishes the workbook and frees <s>: the file in *data (malloced, *len bytes, NUL after it).
 * False with the reason in <err>, nothing in *data. */
bool sr_sheet_finish(struct sr_sheet *s, char **data, size_t *len, char *err, size_t errsz);
/* Abandons the workbook (NULL is fine). */
void sr_sheet_free(struct sr_sheet *s);

/* A Content-Disposition of an attachment named <name> (UTF-8, RFC 6266 filename* percent-encoded
 * as RFC 8187 says) with <ascii> as the filename= of clients that know no filename*. */
void sr_sheet_disposition(const char *name, const char *ascii, char *out, size_t outsz);

#endif
