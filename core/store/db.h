/*
 * db.h -- PostgreSQL access: connections configured for a service, parameterized statements
 * only, one place that classifies SQLSTATEs, and transactions that carry the caller's identity
 * for row-level security.
 */
#ifndef sr_db_h
#define sr_db_h

#include <libpq-fe.h>
#include <stdbool.h>

#include "problem.h"

enum sr_db_class { SR_DB_OTHER, SR_DB_UNIQUE, SR_DB_FOREIGN_KEY, SR_DB_CHECK, SR_DB_RETRY, SR_DB_RLS };

/* Where to connect: DATABASE_URL (a libpq conninfo string or URI) unless set otherwise. */
void sr_db_set_url(const char *url);
const char *sr_db_url(void);

/* A new connection with search_path, statement and lock timeouts set. Caller owns it (PQfinish). */
PGconn *sr_db_connect(char *err, size_t errsz);
/* This thread's connection, reconnected when it has broken. Borrowed. NULL with <err> if down. */
PGconn *sr_db_thread(char *err, size_t errsz);
void sr_db_thread_release(void);

/* PQexecParams with text parameters. Caller owns the result (PQclear), which may be NULL. */
PGresult *sr_db_exec(PGconn *c, const char *sql, int nparams, const char *const *params);
/* True when <r> has status <want>; otherwise logs the server's message. */
bool sr_db_ok(const PGresult *r, ExecStatusType want);
/* True when a statement with or without rows succeeded; otherwise logs like sr_db_ok. */
bool sr_db_ran(const PGresult *r);
enum sr_db_class sr_db_classify(const PGresult *r);
/* The field a unique violation <r> is about, from its constraint's name: every unique key of the
 * schema is named <table>_<field>_key (sql/0024 renamed the two that were not). False, with
 * <out> empty, when <r> is no unique violation. */
bool sr_db_unique_field(const PGresult *r, char *out, size_t n);
/* A 409 naming the field that really conflicted: "<what> with this registration number is
 * already registered.", and the field in errors. */
enum sr_err sr_db_conflict(const PGresult *r, struct sr_problem *pb, const char *what);
/* A statement that failed (result <r>): SR_UNAVAILABLE in <pb> when it only had to wait too long
 * (a lock timeout, a deadlock, a serialization failure: try again), SR_INTERNAL otherwise; the
 * detail says <what> could not be done. */
enum sr_err sr_db_failure(const PGresult *r, struct sr_problem *pb, const char *what);
/* Runs a statement with or without rows; on failure NULL, with the failure classified into <pb>
 * as sr_db_failure does (so that work giving way to writers may try again). */
PGresult *sr_db_query(PGconn *c, const char *sql, int nparams, const char *const *params, const char *what,
                      struct sr_problem *pb);
/* Runs a statement that returns no rows; on failure fills <pb> with SR_INTERNAL. */
bool sr_db_command(PGconn *c, const char *sql, int nparams, const char *const *params,
                   struct sr_problem *pb);

/* One field in COPY's text format into <b>, then a tab (or a newline when <last>); NULL as \N. */
struct sr_buf;
void sr_db_copy_field(struct sr_buf *b, const char *s, bool last);
/* Runs <sql> (a COPY ... FROM STDIN) with <len> bytes of rows, and waits for its result. */
bool sr_db_copy_in(PGconn *c, const char *sql, const char *data, size_t len, struct sr_problem *pb);

/* Reads column <name> of row <row>; NULL when the column is missing or the value is SQL NULL. */
const char *sr_db_get(const PGresult *r, int row, const char *name);

#endif
