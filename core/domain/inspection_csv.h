/*
 * inspection_csv.h -- inspection results as an agency's system exports them: a CSV file (read by
 * csv.c, its cells folded and its dates read as the import reads them) turned row by row into
 * the items sr_inspection_batch() takes. Shared by the batch's text/csv body and
 * `sereg import inspections`. The columns are in docs/import.md.
 */
#ifndef sr_inspection_csv_h
#define sr_inspection_csv_h

#include <cjson/cJSON.h>

#include "csv.h"
#include "problem.h"

struct sr_insp_csv;

/* Reads and maps the header of <csv> (borrowed). NULL with <pb> filled when the file is empty,
 * unreadable or its header lacks a column every result needs. Free with sr_insp_csv_free(). */
struct sr_insp_csv *sr_insp_csv_open(struct sr_csv *csv, struct sr_problem *pb);
void sr_insp_csv_free(struct sr_insp_csv *r);

/* The next row, blank ones skipped, as a batch item in *<item> (caller owns it): an object, or a
 * string holding the reason when the row itself could not be read, which the batch refuses as
 * it is. <f>, <n> are the row's fields as written (borrowed until the next call; NULL, 0 for a
 * row that could not be read), *<line> the line it began on. SR_CSV_ROW, SR_CSV_EOF, or
 * SR_CSV_FATAL with <pb> filled. */
enum sr_csv_status sr_insp_csv_next(struct sr_insp_csv *r, cJSON **item, char ***f, int *n, long *line,
                                    struct sr_problem *pb);

/* The header as written, for a rejects file. */
char **sr_insp_csv_header(struct sr_insp_csv *r, int *n);

/* The header's title of the column a batch error's <field> is about ("检验日期" for
 * inspected_on, "缺陷" for defects[0]), or <field> itself when no column is. */
const char *sr_insp_csv_title(const struct sr_insp_csv *r, const char *field);

#endif
