/*
 * inspection.h -- inspection results uploaded by accredited agencies: one at a time or in batches,
 * idempotent by (agency, report number), amendments that supersede and keep the earlier result,
 * and the due date each result moves. Each accepted result writes the result, the equipment's
 * history, the audit log and its outbox events in one transaction.
 */
#ifndef sr_inspection_h
#define sr_inspection_h

#include <cjson/cJSON.h>

#include "ctx.h"

#define SR_BATCH_MAX 10000 /* results in one batch */

/* Records one result. *status is 201 for a new result, 200 when the same report was already
 * recorded with the same content (the original answer is returned). Caller owns *out. */
enum sr_err sr_inspection_record(struct sr_ctx *c, const cJSON *body, cJSON **out, int *status,
                                 struct sr_problem *pb);

/* Records each item of <items> on its own: *out is {accepted, refused, items: [{index, status,
 * result | errors}]}. One bad item never loses the good ones. A unit's results in one batch are
 * decided together: each accepted one answers with the due date the batch leaves the unit with. */
enum sr_err sr_inspection_batch(struct sr_ctx *c, const cJSON *items, cJSON **out, struct sr_problem *pb);

struct sr_inspection_filter {
  long equipment_id;      /* 0: any */
  const char *agency;     /* credit code, or NULL */
  const char *since;      /* inspected on or after, YYYY-MM-DD, or NULL */
  long after_id, limit;
  bool count; /* answer the total as well */
};

enum sr_err sr_inspection_list(struct sr_ctx *c, const struct sr_inspection_filter *f, cJSON **out,
                               struct sr_problem *pb);

#endif
