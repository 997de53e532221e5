/*
 * figures_sheet.h -- the oversight figures (GET /api/v1/figures, docs/figures.md) as a sheet: one
 * row per jurisdiction row of the answer (the districts, then the total), under Chinese column
 * titles as the city's 考核 forms put them; in xlsx a second sheet of the agencies and a third of
 * the months of the series when the answer has one. A CSV file holds the jurisdictions only.
 */
#ifndef sr_figures_sheet_h
#define sr_figures_sheet_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "problem.h"
#include "sheet.h"

struct sr_plugins;

/* Writes the figures answer <answer> into workbook <s> (format <f>): its sheets and rows. The
 * names of the equipment types come from plugin set <p> (NULL: the codes, but for the three
 * shipped types). False with the reason in <err> when the answer is not of the figures' shape or
 * the workbook cannot be written. */
bool sr_figures_sheet(const cJSON *answer, const struct sr_plugins *p, struct sr_sheet *s, enum sr_sheet_format f,
                      char *err, size_t errsz);

/* What the figures route answers for format=<format> (csv or xlsx): the file in *body (malloced,
 * *len bytes), its *content_type, and its Content-Disposition in <disposition> (a file named
 * after the period and the scope, in Chinese with an ASCII fallback). Another format is false
 * with the field 'format' in <pb> (400); a failure to write, false with a 500 problem. */
bool sr_figures_sheet_render(const cJSON *answer, const struct sr_plugins *p, const char *format, char **body,
                             size_t *len, const char **content_type, char *disposition, size_t dispsz,
                             struct sr_problem *pb);

#endif
