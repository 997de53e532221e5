/*
 * equipment.h -- the equipment registry: registration, reading, listing, history and every
 * lifecycle transition. Each mutation is one transaction holding the row, its history event,
 * its audit record and its outbox event.
 */
#ifndef sr_equipment_h
#define sr_equipment_h

#include <cjson/cJSON.h>

#include "ctx.h"

struct sr_equipment_filter {
  const char *jurisdiction;
  const char *type;
  const char *status;
  const char *inspection_state; /* decided, recorded, unknown (sql/0026) */
  /* Due-date bounds, YYYY-MM-DD: due_from <= next_due < due_until. Either one makes the list
   * run in due order (earliest first) through the next_due index. */
  char due_from[11], due_until[11];
  long after_id;        /* keyset cursor: past this id ... */
  char after_due[11];   /* ... and, in due order, this due date */
  long limit;
};

struct sr_eqtype;
/* Checks a registration body without the database: its fields, the equipment code against the
 * variety and dates, and the type plugin's schema and rules. Returns the type, or NULL with
 * <pb> filled. */
const struct sr_eqtype *sr_equipment_check(struct sr_ctx *c, const cJSON *body, struct sr_problem *pb);

/* Registers equipment from <body>. On success *out is the new record (caller owns it). */
enum sr_err sr_equipment_register(struct sr_ctx *c, const cJSON *body, cJSON **out,
                                  struct sr_problem *pb);
/* The record <id> if the caller may see it; SR_NOT_FOUND otherwise. */
enum sr_err sr_equipment_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* A page of records: *out is {items, next_cursor}. */
enum sr_err sr_equipment_list(struct sr_ctx *c, const struct sr_equipment_filter *f, cJSON **out,
                              struct sr_problem *pb);
/* Why <id> falls due when it does: the stored decision with its rule and reasons. */
enum sr_err sr_equipment_due(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* The history of <id>, oldest first: *out is {items}. */
enum sr_err sr_equipment_history(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* Applies the transition in <body> to <id> if its version is one <if_match> names. */
enum sr_err sr_equipment_transition(struct sr_ctx *c, long id, const struct sr_versions *if_match,
                                    const cJSON *body, cJSON **out, struct sr_problem *pb);

#endif
