/*
 * tx.c -- transactions that carry the caller, and the two records every mutation writes in the
 * same transaction as the row it changes: the audit entry and the outbox event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tx.h"
#include "db.h"
#include "log.h"
#include "sr_limits.h"


/* Runs one simple-protocol command; true when it did not fail. */
static bool exec_ok(struct sr_ctx *c, const char *sql)
{
  PGresult *r = PQexec(c->db, sql);
  bool ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
  if(!ok)
    sr_error("database: %s: %s", sql, r ? PQresultErrorMessage(r) : PQerrorMessage(c->db));
  PQclear(r);
  return ok;
}

/* COMMIT of the transaction open on <c>. A transaction that an error aborted answers COMMIT
 * with success as a command and the tag ROLLBACK: the tag, not the status, says whether
 * anything was kept. A failed commit leaves no transaction open. */
static bool commit(struct sr_ctx *c, struct sr_problem *pb)
{
  PGresult *r = PQexec(c->db, "COMMIT");
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
  if(!ok) {
    sr_error("database: COMMIT failed: %s", r && PQresultStatus(r) == PGRES_COMMAND_OK
                                                ? "the transaction had been aborted" : PQerrorMessage(c->db));
    sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  PQclear(r);
  if(ok)
    c->tx_committed = true;
  else if(PQtransactionStatus(c->db) != PQTRANS_IDLE)
    exec_ok(c, "ROLLBACK");
  return ok;
}

bool sr_tx_begin(struct sr_ctx *c, struct sr_problem *pb)
{
  char org[32] = "", account[32] = "", today[11];
  if(c->who.org_id > 0)
    snprintf(org, sizeof org, "%ld", c->who.org_id);
  if(c->who.account_id > 0)
    snprintf(account, sizeof account, "%ld", c->who.account_id);
  sr_date_format(c->today, today);
  /* One round trip for BEGIN and the caller's identity: a simple query may hold both, and the
   * values (a role name, a jurisdiction code, numbers, a date) go in quoted by libpq. Inside
   * a transaction already open (the edge's, or one of ours) the unit of work is a savepoint. */
  const char *vals[] = { sr_role_name(c->who.role), c->who.jurisdiction, org, today, account,
                         c->request_id ? c->request_id : "", c->via ? c->via : "" };
  char *q[7] = { NULL, NULL, NULL, NULL, NULL, NULL, NULL };
  bool ok = true;
  for(int i = 0; i < 7 && ok; i++)
    ok = (q[i] = PQescapeLiteral(c->db, vals[i], strlen(vals[i]))) != NULL;
  char open[32], sql[1600];
  if(c->tx_outer || c->tx_depth > 0)
    snprintf(open, sizeof open, "SAVEPOINT sr_tx_%d", c->tx_depth + 1);
  else
    snprintf(open, sizeof open, "BEGIN");
  /* Every value is bounded (codes, numbers, a request id, a script's name and hash); one that is
   * not fails the transaction rather than being cut. */
  if(ok)
    ok = snprintf(sql, sizeof sql,
             "%s; SELECT set_config('sereg.role', %s, true), set_config('sereg.jurisdiction', %s, true), "
             "set_config('sereg.org', %s, true), set_config('sereg.today', %s, true), "
             "set_config('sereg.account', %s, true), set_config('sereg.actor_role', %s, true), "
             "set_config('sereg.actor_account', %s, true), set_config('sereg.request', %s, true), "
             "set_config('sereg.via', %s, true)",
             open, q[0], q[1], q[2], q[3], q[4], q[0], q[4], q[5], q[6]) < (int)sizeof sql;
  for(int i = 0; i < 7; i++)
    PQfreemem(q[i]);
  PGresult *r = ok ? PQexec(c->db, sql) : NULL;
  ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
  if(!ok) {
    sr_error("database: cannot begin: %s", PQerrorMessage(c->db));
    sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  PQclear(r);
  if(ok)
    c->tx_depth++;
  else if(!c->tx_outer && c->tx_depth == 0 && PQtransactionStatus(c->db) != PQTRANS_IDLE)
    exec_ok(c, "ROLLBACK");
  return ok;
}

bool sr_tx_commit(struct sr_ctx *c, struct sr_problem *pb)
{
  if(c->tx_depth == 0) {
    sr_error("database: commit without a transaction");
    sr_problem_set(pb, SR_INTERNAL, "database error");
    return false;
  }
  if(c->tx_outer && c->tx_depth == 1) {
    /* The outer transaction commits the savepoint's work with its own; releasing it first
     * would cost a round trip and change nothing. A later sr_tx_begin makes a new savepoint of
     * the same name, which shadows this one. */
    c->tx_depth--;
    return true;
  }
  if(c->tx_depth > 1) {
    char sql[40];
    snprintf(sql, sizeof sql, "RELEASE SAVEPOINT sr_tx_%d", c->tx_depth);
    if(exec_ok(c, sql)) {
      c->tx_depth--;
      return true;
    }
    sr_problem_set(pb, SR_INTERNAL, "database error");
    sr_tx_rollback(c);
    return false;
  }
  c->tx_depth = 0;
  return commit(c, pb);
}

void sr_tx_rollback(struct sr_ctx *c)
{
  if(c->tx_depth == 0)
    return;
  if(c->tx_outer || c->tx_depth > 1) {
    char sql[80];
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT sr_tx_%d; RELEASE SAVEPOINT sr_tx_%d", c->tx_depth, c->tx_depth);
    exec_ok(c, sql); /* on failure the outer transaction is left aborted, and its commit fails */
    c->tx_depth--;
    return;
  }
  exec_ok(c, "ROLLBACK");
  c->tx_depth = 0;
}

bool sr_tx_outer_begin(struct sr_ctx *c, const char *then, PGresult **out, int n)
{
  for(int i = 0; i < n; i++)
    out[i] = NULL;
  if(c->tx_depth != 0)
    return false;
  char *sql = malloc(strlen(then) + 8);
  if(!sql)
    return false;
  snprintf(sql, strlen(then) + 8, "BEGIN; %s", then);
  bool ok = PQsendQuery(c->db, sql) == 1;
  free(sql);
  /* One result per statement, BEGIN's first; drained to the end before anything else. */
  int k = -1;
  PGresult *r;
  while((r = PQgetResult(c->db))) {
    ExecStatusType st = PQresultStatus(r);
    if(st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      if(ok)
        sr_error("database: %s", PQresultErrorMessage(r));
      ok = false;
    }
    if(k >= 0 && k < n)
      out[k] = r;
    else
      PQclear(r);
    k++;
  }
  if(!ok) {
    for(int i = 0; i < n; i++) {
      PQclear(out[i]);
      out[i] = NULL;
    }
    if(PQtransactionStatus(c->db) != PQTRANS_IDLE)
      exec_ok(c, "ROLLBACK");
    return false;
  }
  c->tx_outer = true;
  return true;
}

bool sr_tx_outer_commit(struct sr_ctx *c, const char *sql, int nparams, const char *const *params,
                        struct sr_problem *pb)
{
  if(c->tx_depth != 0) { /* a domain function left its transaction open: keep none of it */
    sr_error("database: a transaction was left open inside the request; rolled back");
    sr_tx_outer_rollback(c);
    sr_problem_set(pb, SR_INTERNAL, "internal error");
    return false;
  }
  c->tx_outer = false;
  /* The statement and COMMIT in one pipeline: one round trip, and a failing statement makes
   * the server skip the COMMIT (PGRES_PIPELINE_ABORTED). Each query's results end with a NULL;
   * the sync point's result ends them all. */
  bool sent = PQenterPipelineMode(c->db) == 1 &&
              PQsendQueryParams(c->db, sql, nparams, NULL, params, NULL, NULL, 0) == 1 &&
              PQsendQueryParams(c->db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1 && PQpipelineSync(c->db) == 1;
  bool committed = false;
  for(int ends = 0; sent && ends <= 2;) {
    PGresult *r = PQgetResult(c->db);
    if(!r) {
      if(PQstatus(c->db) != CONNECTION_OK)
        break;
      ends++;
      continue;
    }
    ExecStatusType st = PQresultStatus(r);
    if(st == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0)
      committed = true;
    else if(st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_SYNC &&
            st != PGRES_PIPELINE_ABORTED)
      sr_error("database: %s", PQresultErrorMessage(r));
    PQclear(r);
    if(st == PGRES_PIPELINE_SYNC)
      break;
  }
  PQexitPipelineMode(c->db);
  if(!committed) {
    sr_problem_set(pb, SR_INTERNAL, "database error");
    if(PQtransactionStatus(c->db) != PQTRANS_IDLE)
      exec_ok(c, "ROLLBACK");
    return false;
  }
  c->tx_committed = true;
  return true;
}

void sr_tx_outer_rollback(struct sr_ctx *c)
{
  c->tx_outer = false;
  c->tx_depth = 0;
  if(PQtransactionStatus(c->db) != PQTRANS_IDLE)
    exec_ok(c, "ROLLBACK");
}

bool sr_tx_as_system(struct sr_ctx *c, bool on, struct sr_problem *pb)
{
  const char *p[] = { on ? "system" : sr_role_name(c->who.role) };
  return sr_db_command(c->db, "SELECT set_config('sereg.role', $1, true)", 1, p, pb);
}

bool sr_tx_system_acts(struct sr_ctx *c, bool on, struct sr_problem *pb)
{
  char account[32] = "";
  if(!on && c->who.account_id > 0)
    snprintf(account, sizeof account, "%ld", c->who.account_id);
  const char *p[] = { on ? "system" : sr_role_name(c->who.role), account };
  return sr_db_command(c->db,
                       "SELECT set_config('sereg.actor_role', $1, true), set_config('sereg.actor_account', $2, true)",
                       2, p, pb);
}

const char *sr_tx_actor_account(const struct sr_ctx *c, char buf[32])
{
  if(c->who.account_id <= 0)
    return NULL;
  snprintf(buf, 32, "%ld", c->who.account_id);
  return buf;
}

bool sr_tx_begin_yielding(struct sr_ctx *c, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return false;
  if(sr_db_command(c->db, "SET LOCAL lock_timeout = '" SR_YIELD_LOCK_TIMEOUT "'", 0, NULL, pb))
    return true;
  sr_tx_rollback(c);
  return false;
}

bool sr_tx_retry(enum sr_err e, int *tries, struct sr_problem *pb)
{
  if(e != SR_UNAVAILABLE || ++*tries > SR_YIELD_RETRIES)
    return false;
  sr_problem_free(pb);
  sr_problem_init(pb);
  usleep(SR_YIELD_PAUSE_US);
  return true;
}
