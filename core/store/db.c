/* db.c -- see db.h. */
#include "db.h"
#include "i18n.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static const char *db_url;
static _Thread_local PGconn *thread_conn;

/* Closes a worker thread's connection when the thread ends. */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *unused)
{
  (void)unused;
  sr_db_thread_release();
}

static void make_thread_key(void) { pthread_key_create(&thread_key, on_thread_exit); }

void sr_db_set_url(const char *url) { db_url = url; }

const char *sr_db_url(void)
{
  if(db_url)
    return db_url;
  const char *env = getenv("DATABASE_URL");
  return env ? env : "";
}

static void quiet_notices(void *arg, const PGresult *res)
{
  (void)arg;
  (void)res; /* NOTICEs (e.g. "relation already exists, skipping") are not our log's business */
}

PGconn *sr_db_connect(char *err, size_t errsz)
{
  PGconn *c = PQconnectdb(sr_db_url());
  if(!c || PQstatus(c) != CONNECTION_OK) {
    snprintf(err, errsz, "cannot connect to PostgreSQL: %s",
             c ? PQerrorMessage(c) : "out of memory");
    size_t n = strlen(err);
    while(n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
      err[--n] = '\0';
    PQfinish(c);
    return NULL;
  }
  PQsetNoticeReceiver(c, quiet_notices, NULL);
  /* No JIT: sereg's statements are short, and row-level security's subplans inflate their cost
   * estimates past jit_above_cost, so PostgreSQL compiled them on every run -- a second of
   * compilation for a 20 ms read of 10,000 deadline rows. */
  /* client_connection_check_interval: a session whose client died (kill -9 of a server in the
   * middle of a request) ends within seconds even while it waits for a lock, and with it the
   * transaction and the locks it held, instead of when it next tries to answer. */
  PGresult *r = PQexec(c, "SET search_path = public, pg_catalog; SET statement_timeout = '30s'; "
                          "SET lock_timeout = '10s'; SET idle_in_transaction_session_timeout = '60s'; "
                          "SET client_connection_check_interval = '2s'; SET application_name = 'sereg'; "
                          "SET TIME ZONE 'UTC'; SET jit = off");
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  if(!ok)
    snprintf(err, errsz, "cannot configure the session: %s", PQerrorMessage(c));
  PQclear(r);
  if(!ok) {
    PQfinish(c);
    return NULL;
  }
  return c;
}

/* A connection the server has closed (a restart, an idle timeout, a terminated backend) still
 * says CONNECTION_OK until it is used. An idle connection has nothing to read unless something
 * happened to it: what is waiting (typically the server's FATAL message, then the end of the
 * stream) is read now, and tells. */
static bool alive(PGconn *c)
{
  if(PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE)
    return false;
  struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
  for(int i = 0; i < 8 && poll(&p, 1, 0) == 1; i++)
    if(!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)
      return false;
  return true;
}

PGconn *sr_db_thread(char *err, size_t errsz)
{
  if(thread_conn && alive(thread_conn))
    return thread_conn;
  sr_db_thread_release();
  thread_conn = sr_db_connect(err, errsz);
  pthread_once(&thread_key_once, make_thread_key);
  pthread_setspecific(thread_key, thread_conn);
  return thread_conn;
}

void sr_db_thread_release(void)
{
  PQfinish(thread_conn);
  thread_conn = NULL;
}

PGresult *sr_db_exec(PGconn *c, const char *sql, int nparams, const char *const *params)
{
  return PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
}

bool sr_db_ran(const PGresult *r)
{
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || sr_db_ok(r, PGRES_TUPLES_OK);
}

bool sr_db_ok(const PGresult *r, ExecStatusType want)
{
  if(r && PQresultStatus(r) == want)
    return true;
  if(sr_db_classify(r) == SR_DB_OTHER)
    sr_error("database: %s", r ? PQresultErrorMessage(r) : "no result (connection lost?)");
  return false;
}

enum sr_db_class sr_db_classify(const PGresult *r)
{
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if(!state)
    return SR_DB_OTHER;
  if(strcmp(state, "23505") == 0)
    return SR_DB_UNIQUE;
  if(strcmp(state, "23503") == 0)
    return SR_DB_FOREIGN_KEY;
  if(strcmp(state, "23514") == 0)
    return SR_DB_CHECK;
  if(strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
    return SR_DB_RETRY; /* serialization failure, deadlock, lock wait timed out */
  if(strcmp(state, "42501") == 0)
    return SR_DB_RLS;
  return SR_DB_OTHER;
}

bool sr_db_unique_field(const PGresult *r, char *out, size_t n)
{
  out[0] = '\0';
  if(sr_db_classify(r) != SR_DB_UNIQUE)
    return false;
  const char *con = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
  const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
  if(!con)
    return false;
  size_t tl = table ? strlen(table) : 0, cl = strlen(con);
  if(tl && strncmp(con, table, tl) == 0 && con[tl] == '_')
    con += tl + 1, cl -= tl + 1;
  if(cl > 4 && strcmp(con + cl - 4, "_key") == 0)
    cl -= 4;
  snprintf(out, n, "%.*s", (int)cl, con);
  return out[0] != '\0';
}

enum sr_err sr_db_conflict(const PGresult *r, struct sr_problem *pb, const char *what)
{
  char field[64], words[64];
  if(!sr_db_unique_field(r, field, sizeof field))
    snprintf(field, sizeof field, "record");
  /* The fields a unique key stands on, in words; another key's name is spelt out as it is. */
  static const char *const named[][2] = {
    { "equipment_code", N_("equipment code") },           { "registration_number", N_("registration number") },
    { "credit_code", N_("credit code") },                 { "report_number", N_("report number") },
    { "directive_number", N_("directive number") },       { "record", N_("record") },
  };
  snprintf(words, sizeof words, "%s", field);
  for(char *p = words; *p; p++)
    if(*p == '_')
      *p = ' ';
  for(size_t i = 0; i < sizeof named / sizeof *named; i++)
    if(strcmp(named[i][0], field) == 0)
      snprintf(words, sizeof words, "%s", _(named[i][1]));
  sr_problem_set(pb, SR_CONFLICT, "%s with this %s is already registered.", _(what), words);
  sr_problem_field(pb, field, "is already registered");
  return SR_CONFLICT;
}

enum sr_err sr_db_failure(const PGresult *r, struct sr_problem *pb, const char *what)
{
  if(sr_db_classify(r) == SR_DB_RETRY)
    return sr_problem_set(pb, SR_UNAVAILABLE, "%s: gave way to a concurrent writer", _(what));
  return sr_problem_set(pb, SR_INTERNAL, "%s", _(what));
}

PGresult *sr_db_query(PGconn *c, const char *sql, int nparams, const char *const *params, const char *what,
                      struct sr_problem *pb)
{
  PGresult *r = sr_db_exec(c, sql, nparams, params);
  if(sr_db_ran(r))
    return r;
  sr_db_failure(r, pb, what);
  PQclear(r);
  return NULL;
}

bool sr_db_command(PGconn *c, const char *sql, int nparams, const char *const *params,
                   struct sr_problem *pb)
{
  PGresult *r = sr_db_exec(c, sql, nparams, params);
  bool ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
  if(!ok) {
    sr_error("database: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  PQclear(r);
  return ok;
}

const char *sr_db_get(const PGresult *r, int row, const char *name)
{
  int col = PQfnumber(r, name);
  if(col < 0 || row >= PQntuples(r) || PQgetisnull(r, row, col))
    return NULL;
  return PQgetvalue(r, row, col);
}

void sr_db_copy_field(struct sr_buf *b, const char *s, bool last)
{
  if(!s)
    sr_buf_append(b, "\\N", 2);
  else
    while(*s) {
      size_t run = strcspn(s, "\\\t\n\r");
      sr_buf_append(b, s, run);
      s += run;
      if(!*s)
        break;
      const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : "\\r";
      sr_buf_append(b, esc, 2);
      s++;
    }
  sr_buf_append(b, last ? "\n" : "\t", 1);
}

bool sr_db_copy_in(PGconn *c, const char *sql, const char *data, size_t len, struct sr_problem *pb)
{
  PGresult *r = PQexec(c, sql);
  bool ok = r && PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  for(size_t off = 0; ok && off < len; off += 1 << 20) {
    size_t n = len - off < (1 << 20) ? len - off : (1 << 20);
    ok = PQputCopyData(c, data + off, (int)n) == 1;
  }
  ok = PQputCopyEnd(c, ok ? NULL : "stopped") == 1 && ok;
  enum sr_db_class cls = SR_DB_OTHER;
  while((r = PQgetResult(c))) { /* drain to NULL before the connection is used again */
    if(PQresultStatus(r) != PGRES_COMMAND_OK) {
      cls = sr_db_classify(r);
      if(ok && cls != SR_DB_UNIQUE)
        sr_error("database: %s", PQresultErrorMessage(r));
      ok = false;
    }
    PQclear(r);
  }
  if(!ok)
    sr_problem_set(pb, cls == SR_DB_UNIQUE ? SR_CONFLICT : SR_INTERNAL,
                   cls == SR_DB_UNIQUE ? "Another request wrote the same record meanwhile; send it again."
                                       : "database error");
  return ok;
}
