/*
 * inspection_int.h -- what inspection.c (one result at a time) and inspection_batch.c (many in a
 * few set-based statements) share: the parsed form of an upload and the checks on it.
 */
#ifndef sr_inspection_int_h
#define sr_inspection_int_h

#include "due.h"
#include "inspection.h"
#include "plugin.h"

/* A result as checked and normalized before it meets the database. */
struct upload {
  long equipment_id;
  const char *equipment_code;
  const char *report_number, *kind, *conclusion, *inspector, *amends;
  char inspected_on[11];
  int safety_grade;     /* 0: none */
  const cJSON *defects; /* borrowed from the body */
};

/* Checks the body's own shape into <u> (which borrows from <body>); names every failing field. */
void sr_inspection_parse(struct sr_ctx *c, const cJSON *body, struct upload *u, struct sr_problem *pb);
/* The conclusion by its code when the report named it by the type's text for it ("合格"), so that
 * the code is hashed and stored however it was sent. <t> may be NULL (then nothing changes). */
void sr_inspection_normalize(struct upload *u, const struct sr_eqtype *t);
/* SHA-256 of the normalized result: the same result hashes the same however it was sent. */
void sr_inspection_hash(const struct upload *u, long equipment_id, char hash[65]);
/* The type's rules: kind, vocabulary, grade, status and dates. The conclusion, or NULL. */
const struct sr_conclusion *sr_inspection_check_type(const struct upload *u, const char *status, const char *commissioned_on,
                                               const struct sr_eqtype *t, struct sr_problem *pb);
/* The result as check_inspection() and hazards() see it, as it will be stored. Caller owns it. */
cJSON *sr_inspection_pending(const struct upload *u, const struct sr_conclusion *concl);
/* {next_due, next_due_kind, reason, explain}. Caller owns it. */
cJSON *sr_inspection_due_fields(const struct sr_due *d);
/* {inspection, next_due, ...} from the stored JSON texts. Caller owns it. */
cJSON *sr_inspection_answer(const char *inspection_json, const char *due_json);
/* Records one result inside the caller's transaction (the single-upload path). */
enum sr_err sr_inspection_record_one(struct sr_ctx *c, const cJSON *body, cJSON **out, int *status, struct sr_problem *pb);

/* Opens the hazards hazards() <found> in result <inspection> of unit <eid>, in the caller's
 * transaction (inspection_hazards.c). */
enum sr_err sr_inspection_hazards_open(struct sr_ctx *c, const struct sr_eqtype *t, long eid, const cJSON *inspection,
                                 const cJSON *found, struct sr_problem *pb);

#endif
