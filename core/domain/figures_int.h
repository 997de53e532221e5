/* figures_int.h -- what figures.c and figures_sql.c share: the counters of one jurisdiction in
 * one period, and the statement that counts them. */
#ifndef sr_figures_int_h
#define sr_figures_int_h

#include <libpq-fe.h>

#include "figures.h"
#include "sql.h"

/* Runs, in the caller's open transaction, the one statement of the figures of <nbuckets>
 * periods (<buckets>[0] the asked one, then the months of the series) in the scope of <c>,
 * narrowed to <district> when it is not NULL. One row: columns "jl" (the jurisdictions of the
 * rows), "u" (units by jurisdiction and type), "ev" (lifecycle events), "dues", "hz", "hs",
 * "rf", "rs" and "ag" (agencies), each a JSON array. NULL with the problem set. */
PGresult *sr_figures_query(struct sr_ctx *c, const struct sr_period *buckets, int nbuckets, const char *district,
                           struct sr_problem *pb);

/* The counts of the statement, by period (0: the asked one, then the series' months) and row
 * (the jurisdictions, then the total at index nrows). */
struct sr_tally {
  int nbuckets, nrows, ntypes;
  char **codes, **names;       /* the rows' jurisdictions */
  const char **types;          /* the plugin set's types, for by_type */
  long *v;                     /* [bucket][row][counter] */
  long *tv;                    /* [row][type][units, in service] */
  cJSON *agencies;
};
/* Reads the statement's row; NULL when it is not what the statement answers, or memory ran out. */
struct sr_tally *sr_tally_from(const PGresult *r, int nbuckets, const struct sr_plugins *plugins);
/* The figures (the API's "figures" object) of period <b> and row <row> (nrows: the total). */
cJSON *sr_tally_json(const struct sr_tally *t, int b, int row);
/* The agencies with their failure rates (the tally keeps none of it afterwards). */
cJSON *sr_tally_agencies(struct sr_tally *t);
void sr_tally_free(struct sr_tally *t);

#endif
