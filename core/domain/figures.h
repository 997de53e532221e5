/*
 * figures.h -- the oversight figures (质量工作考核) of a period, per jurisdiction in the caller's
 * scope, with the total for the city, per agency, and month by month. Every figure is defined in
 * docs/figures.md; all of them are counted in one statement, in one snapshot, through the one
 * scope filter, with row-level security applying it a second time.
 */
#ifndef sr_figures_h
#define sr_figures_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "ctx.h"
#include "params.h"

/* A period: a month (YYYY-MM), a quarter (YYYY-Qn) or a year (YYYY). */
struct sr_period {
  char label[8];
  struct sr_date from, to;
};

struct sr_figures_ask {
  struct sr_period period;
  const char *jurisdiction; /* NULL: the caller's scope */
  int series;               /* 0: none; else the months ending with the period's last month */
};

/* Reads "YYYY-MM", "YYYY-Qn" or "YYYY"; false when <s> is none of them. */
bool sr_period_parse(const char *s, struct sr_period *out);
/* The month of <d>. */
struct sr_period sr_period_month(struct sr_date d);

/* Reads period=, jurisdiction=, series= and format= from <q> (format: json only here), refusing
 * anything else; a period that begins after <c>'s today is refused. False with a bad request in
 * <pb> naming the field. */
bool sr_figures_read(struct sr_ctx *c, const struct sr_params *q, struct sr_figures_ask *ask, struct sr_problem *pb);

/* The figures as docs/figures.md and contrib/openapi.yaml (FiguresAnswer) describe them. A district (or coordinator)
 * asking for another jurisdiction, or anyone for an unknown one: SR_NOT_FOUND naming
 * "jurisdiction". Caller owns *out. */
enum sr_err sr_figures_compute(struct sr_ctx *c, const struct sr_figures_ask *ask, cJSON **out, struct sr_problem *pb);

#endif
