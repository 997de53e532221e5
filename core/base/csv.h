/*
 * csv.h -- a streaming RFC 4180 reader for the import files: UTF-8 (with or without a BOM),
 * GB18030 (with its BOM, or detected when the file is not UTF-8, as government spreadsheets are
 * often saved) or UTF-16 with a BOM (Excel's "Unicode text", tab-separated), all converted to
 * UTF-8 with iconv; comma or tab separated (decided from the first line), quoted fields with
 * separators, quotes and newlines inside, CRLF or LF. Memory stays bounded by the longest row.
 * And the writer of such a file, in the encoding of the file it answers (csv_write.c).
 */
#ifndef sr_csv_h
#define sr_csv_h

#include <stdbool.h>
#include <stddef.h>

#include "sr_limits.h"

struct sr_csv;

/* Opens <path> and decides its encoding. NULL with a message in <err> on failure.
 * Caller owns the result; free with sr_csv_close(). */
struct sr_csv *sr_csv_open(const char *path, char *err, size_t errsz);
/* The same reader over the <len> bytes at <data>, called <name> in messages. <data> is
 * borrowed; it must stay as it is until sr_csv_close(). */
struct sr_csv *sr_csv_open_mem(const char *data, size_t len, const char *name, char *err, size_t errsz);
/* The same, in <encoding> (one sr_csv_encoding() names) when the input has no byte-order mark
 * to say otherwise: what a Content-Type's charset declared. NULL: decided as above. */
struct sr_csv *sr_csv_open_mem_as(const char *data, size_t len, const char *name, const char *encoding, char *err,
                                  size_t errsz);
void sr_csv_close(struct sr_csv *c);

enum sr_csv_status { SR_CSV_ROW, SR_CSV_EOF, SR_CSV_BAD_ROW, SR_CSV_FATAL };

/*
 * Reads the next row. SR_CSV_ROW: <fields> and <n> hold it (borrowed until the next call).
 * SR_CSV_BAD_ROW: this row is broken (the reason in <err>); reading goes on with the next line.
 * SR_CSV_FATAL: the rest of the file cannot be read (the reason in <err>).
 */
enum sr_csv_status sr_csv_next(struct sr_csv *c, char ***fields, int *n, char *err, size_t errsz);

long sr_csv_line(const struct sr_csv *c);       /* line on which the last row started */
double sr_csv_progress(const struct sr_csv *c); /* 0..1 of the file's bytes read */
const char *sr_csv_encoding(const struct sr_csv *c); /* UTF-8, GB18030, UTF-16LE or UTF-16BE */
bool sr_csv_bom(const struct sr_csv *c);             /* the input began with a byte-order mark */
char sr_csv_delimiter(const struct sr_csv *c);       /* ',' or '\t' */

/* Writes <s> as one CSV field (quoted when it needs to be) to <out>. */
struct sr_buf;
bool sr_csv_field(struct sr_buf *out, const char *s);
/* The same, for a file separated by <delim>. */
bool sr_csv_field_d(struct sr_buf *out, const char *s, char delim);

/* A CSV file written in <encoding> (one sr_csv_encoding() names), with its byte-order mark when
 * <bom> (always for UTF-8 and UTF-16, which spreadsheets need it to recognise), fields separated
 * by <delim>, lines ended by CRLF: what Excel on Chinese Windows opens as it opened the input. */
struct sr_csv_out;
struct sr_csv_out *sr_csv_out_open(const char *path, const char *encoding, bool bom, char delim, char *err,
                                   size_t errsz);
/* From now on a field Excel would take for a formula is written as text (sr_csv_field_text). */
void sr_csv_out_formulas_as_text(struct sr_csv_out *o);
/* Writes <s> as one field of a file separated by <delim>, a formula-looking one as text: quoted,
 * with a "'" first, as Excel's own "'" keeps a cell text. A field beginning with a space is
 * quoted too, so that no reader trims it. */
bool sr_csv_field_text(struct sr_buf *out, const char *s, char delim);
/* Writes one row of <n> UTF-8 fields. False when the file cannot be written. */
bool sr_csv_out_row(struct sr_csv_out *o, const char *const *fields, int n);
/* Closes the file; false when it could not all be written. */
bool sr_csv_out_close(struct sr_csv_out *o);

#endif
