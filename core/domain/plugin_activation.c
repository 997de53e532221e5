/* plugin_activation.c -- see plugin_activation.h. */
#include "plugin_activation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "plugin.h"
#include "sql.h"
#include "tx.h"

enum sr_err sr_plugin_activation_note(struct sr_ctx *c, const char *event, long *id, struct sr_problem *pb)
{
  *id = 0;
  if(!c->plugins)
    return sr_problem_set(pb, SR_INTERNAL, "no plugins are loaded");
  cJSON *set = sr_plugins_describe(c->plugins);
  char *files = cJSON_PrintUnformatted(cJSON_GetObjectItem(set, "files"));
  const char *p[] = { cJSON_GetObjectItem(set, "digest")->valuestring, files, event };
  bool ok = files && sr_tx_begin(c, pb);
  PGresult *r = ok ? sr_db_exec(c->db, "SELECT sereg_plugin_activate($1, $2::jsonb, $3)", 3, p) : NULL;
  ok = ok && sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  if(ok && !PQgetisnull(r, 0, 0))
    *id = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  free(files);
  cJSON_Delete(set);
  if(ok)
    return sr_tx_commit(c, pb) ? SR_OK : pb->err;
  sr_tx_rollback(c);
  return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "could not record the plugin set");
}

#define ACTIVATION_JSON                                                                                   \
  "jsonb_build_object('id', a.id, 'at', to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
  "'digest', a.digest, 'event', a.event, 'actor_role', a.actor_role, 'actor_account', a.actor_account, "  \
  "'files', a.files)::text AS j "

enum sr_err sr_plugin_activation_list(struct sr_ctx *c, long limit, long after_id, bool count, cJSON **out,
                                      struct sr_problem *pb)
{
  *out = NULL;
  if(!c->plugins)
    return sr_problem_set(pb, SR_UNAVAILABLE, "No plugins are loaded.");
  struct sr_sql q;
  sr_sql_init(&q, "SELECT a.id, " ACTIVATION_JSON "FROM plugin_activation a WHERE true");
  sr_sql_total_here(&q, count);
  sr_sql_add(&q, " AND a.id > ");
  sr_sql_param_long(&q, after_id);
  sr_sql_add(&q, " ORDER BY a.id LIMIT ");
  sr_sql_param_long(&q, limit + 1);
  cJSON *history = NULL;
  enum sr_err e = sr_sql_page(c, &q, limit, &history, pb);
  if(e != SR_OK)
    return e;
  cJSON *active = sr_plugins_describe(c->plugins);
  const char *p[] = { cJSON_GetObjectItem(active, "digest")->valuestring };
  /* The record of the set in force: the latest one with its digest, when it is the latest of all. */
  PGresult *r = sr_db_exec(c->db,
                           "SELECT a.id FROM plugin_activation a WHERE a.id = (SELECT max(id) FROM plugin_activation) "
                           "AND a.digest = $1",
                           1, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    cJSON_Delete(active);
    cJSON_Delete(history);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  if(PQntuples(r) == 1)
    cJSON_AddNumberToObject(active, "recorded_as", atof(PQgetvalue(r, 0, 0)));
  else
    cJSON_AddNullToObject(active, "recorded_as");
  PQclear(r);
  *out = cJSON_CreateObject();
  cJSON_AddItemToObject(*out, "active", active);
  cJSON_AddItemToObject(*out, "history", history);
  return SR_OK;
}
