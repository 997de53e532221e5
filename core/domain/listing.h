/*
 * listing.h -- the lists of the registry's records by kind, each read from its filters however
 * they came: the HTTP API's GET /api/v1/{kind} and a script's sereg.each(kind, filters) go
 * through the same parser and the same list function, so a script sees exactly what its account
 * sees through the API, with the same refusals for a bad filter.
 */
#ifndef sr_listing_h
#define sr_listing_h

#include <cjson/cJSON.h>

#include "ctx.h"
#include "params.h"

/* The kinds: equipment, hazards, inspections, rectifications, organizations. */
extern const char *const sr_listing_kinds[];

/* One page of <kind> by the filters, limit and cursor in <q>: *out is {items, next_cursor}, and
 * with count=true "total", the rows of the list under the same scope and filters.
 * A filter that is not one of the kind's, or a bad value, is SR_BAD_REQUEST with the field; a
 * kind that is not a list is SR_NOT_FOUND. */
enum sr_err sr_listing_page(struct sr_ctx *c, const char *kind, const struct sr_params *q, cJSON **out,
                            struct sr_problem *pb);
/* The filters <kind> takes besides limit and cursor (NULL-ended), or NULL for no such kind. */
const char *const *sr_listing_filters(const char *kind);
/* limit and cursor of a list in id order; false with the problem set. */
bool sr_listing_id_page(const struct sr_params *q, long *limit, long *after, struct sr_problem *pb);

/* count: *count is whether it is "true"; false with the field in <pb> for another value than
 * true or false. */
bool sr_listing_total(const struct sr_params *q, bool *count, struct sr_problem *pb);

#endif
