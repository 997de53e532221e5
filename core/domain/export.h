/*
 * export.h -- a list of units, hazards or rectifications as a spreadsheet (CSV or xlsx), with
 * Chinese column titles and Chinese statuses: the same filters, scope and refusals as the JSON
 * list (listing.c reads them), every matching row read by keyset pages of SR_LIST_MAX and written
 * as it is read, up to SR_EXPORT_MAX_ROWS (a larger list is refused, nothing partial).
 */
#ifndef sr_export_h
#define sr_export_h

#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"
#include "params.h"
#include "sheet.h"

/* What a list's caller asked for: JSON, or a sheet in *f. */
enum sr_export_as { SR_EXPORT_JSON, SR_EXPORT_SHEET };

/* From format=json|csv|xlsx, or without it from <accept> (text/csv, or the xlsx media type;
 * anything else is JSON). A format other than those, or format on a kind that is not exported,
 * is false with the field 'format' in <pb> (400). */
bool sr_export_wanted(const char *kind, const struct sr_params *q, const char *accept, enum sr_export_as *as,
                      enum sr_sheet_format *f, struct sr_problem *pb);
/* Whether <kind> can be exported: equipment, hazards, rectifications. */
bool sr_export_kind(const char *kind);

/* <q> without format=, to hand to sr_listing_page; <holder> keeps what it reads. */
struct sr_export_params {
  const struct sr_params *inner;
  char cursor[256];
  bool first;
  bool paging; /* limit, cursor and count are the export's own */
};
struct sr_params sr_export_params(const struct sr_params *q, struct sr_export_params *holder);

/* The file of an export. */
struct sr_export {
  char *data; /* malloced, len bytes */
  size_t len;
  const char *content_type;
  char disposition[600];
};

/* Every row of list <kind> by the filters of <q> as a sheet in format <f>. limit and cursor are
 * refused (an export holds every matching row); count is ignored. */
enum sr_err sr_export_list(struct sr_ctx *c, const char *kind, const struct sr_params *q, enum sr_sheet_format f,
                           struct sr_export *out, struct sr_problem *pb);

/* The ceiling of an export: SR_EXPORT_MAX_ROWS, or SEREG_EXPORT_MAX_ROWS when that is lower. */
long sr_export_max_rows(void);
/* SEREG_EXPORT_MAX_ROWS's value <s> (NULL: not set) into *out: 1 to SR_EXPORT_MAX_ROWS, or false
 * (the server refuses to start). */
bool sr_export_max_rows_parse(const char *s, long *out);

#endif
