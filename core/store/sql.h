/*
 * sql.h -- building a parameterized statement piece by piece: text with $n placeholders and the
 * parameter values beside it. Values are always parameters, never spliced into the text.
 */
#ifndef sr_sql_h
#define sr_sql_h

#include <stdbool.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "ctx.h"
#include "util.h"

#define SR_SQL_MAXPARAMS 24

struct sr_sql {
  struct sr_buf text;
  int n;
  const char *params[SR_SQL_MAXPARAMS];
  char own[SR_SQL_MAXPARAMS][64]; /* storage for parameters formatted here */
  char *copies[SR_SQL_MAXPARAMS]; /* parameters copied here, freed with the statement */
  int ncopies;
  bool overflow;
  bool total;      /* the page also answers the total (sr_sql_total_here) */
  size_t total_at; /* the text up to the end of the list's conditions */
};

void sr_sql_init(struct sr_sql *q, const char *start);
void sr_sql_free(struct sr_sql *q);
void sr_sql_add(struct sr_sql *q, const char *text);
/* Appends "$n" for <value> (borrowed: it must outlive the statement). */
void sr_sql_param(struct sr_sql *q, const char *value);
/* Takes <value> as the next parameter without writing its "$n": for text that names it already. */
void sr_sql_value(struct sr_sql *q, const char *value);
/* Appends "$n" for a copy of <value>, freed by sr_sql_free(). */
void sr_sql_param_copy(struct sr_sql *q, const char *value);
/* Appends "$n" for the number <v>. */
void sr_sql_param_long(struct sr_sql *q, long v);

/* A list's "column = value" conditions: for each filter with a value, " AND <column> = $n". */
struct sr_sql_filter {
  const char *column; /* "e.jurisdiction" */
  const char *value;  /* NULL: this filter is not asked for */
};
void sr_sql_filters(struct sr_sql *q, const struct sr_sql_filter *filters, size_t n);

/* Marks the end of a list's conditions (its scope and filters): what follows is only the page,
 * its keyset condition, order and limit. With <count>, sr_sql_page() answers as well the total
 * of the rows those conditions hold, counted in the same statement, so in the same snapshot. */
void sr_sql_total_here(struct sr_sql *q, bool count);

/*
 * The one jurisdiction/role filter for equipment: appends " AND (...)" restricting table alias
 * <alias> to what the caller of <c> may see on <c>'s today. Row-level security applies the same rule a second time.
 */
void sr_scope_equipment(struct sr_sql *q, const struct sr_ctx *c, const char *alias);
/* The filter for supervision records (hazards through their unit's alias, rectifications
 * through their own jurisdiction and user_unit_id): as for equipment, but agencies see none. */
void sr_scope_supervision(struct sr_sql *q, const struct sr_ctx *c, const char *alias);

/* Builds a list page {items, next_cursor} from <r>, which holds up to <limit> + 1 rows with
 * columns "id" and "j" (the item as JSON text); the extra row only says a next page exists.
 * A column "total" (a counted list, where a row without id stands for an empty page) adds
 * "total". Caller owns the result. */
cJSON *sr_page_from_rows(const PGresult *r, long limit);

/* Runs <q> in the current transaction and frees it. The result, or NULL with SR_INTERNAL in <pb>;
 * caller owns it. */
PGresult *sr_sql_exec(struct sr_ctx *c, struct sr_sql *q, struct sr_problem *pb);

/* Runs list query <q> (columns "id" and "j", up to <limit> + 1 rows) in a read-only transaction
 * as the caller of <c>, so that row-level security applies, and frees it; *out is the page. */
enum sr_err sr_sql_page(struct sr_ctx *c, struct sr_sql *q, long limit, cJSON **out, struct sr_problem *pb);
/* The same inside the transaction the caller has opened (and will end). */
enum sr_err sr_sql_page_in_tx(struct sr_ctx *c, struct sr_sql *q, long limit, cJSON **out, struct sr_problem *pb);

/* Runs one-record query <q> in a read-only transaction as the caller of <c> and frees it. The
 * result has one row, or NULL with SR_NOT_FOUND ("<what> <id> that you may see") or
 * SR_INTERNAL in <pb>. Caller owns it. */
PGresult *sr_sql_one(struct sr_ctx *c, struct sr_sql *q, const char *what, long id, struct sr_problem *pb);

/* The record in column "j" of a one-row result, with each of <members> (a NULL-ended list of
 * column names holding JSON: history, deadlines, ...) parsed and added under its own name. NULL
 * when any of them is missing or not JSON. Caller owns it. */
cJSON *sr_sql_record(const PGresult *r, const char *const *members);

/* Encodes and decodes the opaque keyset cursor of lists. */
void sr_cursor_encode(long id, char out[32]);
bool sr_cursor_decode(const char *s, long *id);
/* The cursor of a list in due order: "d<YYYY-MM-DD>.<hex id>". */
bool sr_cursor_decode_due(const char *s, char due[11], long *id);
/* A cursor of a list in another order, "<tag><key>.<hex id>": false unless <s> starts with <tag>
 * and holds a key of 1 to <keysz> - 1 bytes of [0-9A-Za-z:.-] and an id; the caller checks the
 * key's own form. */
bool sr_cursor_decode_keyed(const char *s, char tag, char *key, size_t keysz, long *id);

#endif
