/* delivery.c -- see delivery.h: deliveries as their subscription's keepers see them. */
#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "record.h"
#include "sql.h"
#include "tx.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#define DELIVERY_JSON                                                                                          \
  "jsonb_build_object('id', d.id, 'subscription_id', d.subscription_id, 'message_id', d.message_id, "          \
  "'event', jsonb_build_object('id', o.id, 'type', o.event_type, 'subject_type', o.subject_type, "             \
  "'subject_id', o.subject_id, 'written_at', " TS("o.created_at") "), "                                        \
  "'status', d.status, 'attempt_count', d.attempts, "                                                          \
  "'next_attempt_at', CASE WHEN d.status = 'pending' THEN " TS("d.next_attempt_at") " END, "                    \
  "'delivered_at', " TS("d.delivered_at") ", 'last_status', d.last_status, 'last_error', d.last_error, "        \
  "'created_at', " TS("d.created_at") ", "                                                                      \
  "'attempts', (SELECT coalesce(jsonb_agg(jsonb_build_object('at', " TS("a.attempted_at") ", "                  \
  "'status_code', a.status_code, 'duration_ms', a.duration_ms, 'error', a.error, 'answer', a.answer, "         \
  "'outcome', a.outcome) ORDER BY a.id), '[]') FROM delivery_attempt a WHERE a.delivery_id = d.id))::text AS j"

#define DELIVERY_FROM " FROM delivery d JOIN outbox o ON o.id = d.outbox_id JOIN subscription s ON s.id = d.subscription_id"

static bool may_see(enum sr_role r)
{
  return r == SR_ROLE_ADMIN || r == SR_ROLE_CITY || r == SR_ROLE_DISTRICT || r == SR_ROLE_USER_UNIT ||
         r == SR_ROLE_SYSTEM;
}

/* Deliveries are seen through their subscription: the scope of subscriptions (subscription.c),
 * on alias s. */
static void scope(struct sr_sql *q, const struct sr_ctx *c)
{
  char org[32];
  if(c->who.role == SR_ROLE_DISTRICT) {
    sr_sql_add(q, " AND s.jurisdiction = ");
    sr_sql_param_copy(q, c->who.jurisdiction);
  }
  else if(c->who.role == SR_ROLE_USER_UNIT) {
    snprintf(org, sizeof org, "%ld", c->who.org_id);
    sr_sql_add(q, " AND s.user_unit_id = ");
    sr_sql_param_copy(q, org);
  }
}

enum sr_err sr_delivery_list(struct sr_ctx *c, const struct sr_delivery_filter *f, cJSON **out,
                             struct sr_problem *pb)
{
  if(!may_see(c->who.role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
  /* The subscription first: one the caller may not see is not there. */
  struct sr_sql q;
  sr_sql_init(&q, "SELECT s.id, '{}' AS j FROM subscription s WHERE s.id = ");
  sr_sql_param_long(&q, f->subscription_id);
  scope(&q, c);
  PGresult *r = sr_sql_one(c, &q, "subscription", f->subscription_id, pb);
  if(!r)
    return pb->err;
  PQclear(r);
  sr_sql_init(&q, "SELECT d.id, " DELIVERY_JSON DELIVERY_FROM " WHERE d.subscription_id = ");
  sr_sql_param_long(&q, f->subscription_id);
  if(f->status) {
    sr_sql_add(&q, " AND d.status = ");
    sr_sql_param(&q, f->status);
  }
  scope(&q, c);
  sr_sql_total_here(&q, f->count);
  sr_sql_add(&q, " AND d.id > ");
  sr_sql_param_long(&q, f->after_id);
  sr_sql_add(&q, " ORDER BY d.id LIMIT ");
  sr_sql_param_long(&q, f->limit + 1);
  return sr_sql_page(c, &q, f->limit, out, pb);
}

enum sr_err sr_delivery_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  if(!may_see(c->who.role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
  struct sr_sql q;
  sr_sql_init(&q, "SELECT d.id, " DELIVERY_JSON DELIVERY_FROM " WHERE d.id = ");
  sr_sql_param_long(&q, id);
  scope(&q, c);
  PGresult *r = sr_sql_one(c, &q, "delivery", id, pb);
  if(!r)
    return pb->err;
  *out = cJSON_Parse(sr_db_get(r, 0, "j"));
  PQclear(r);
  return *out ? SR_OK : sr_problem_set(pb, SR_INTERNAL, "database error");
}

enum sr_err sr_delivery_replay(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb)
{
  if(!may_see(c->who.role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Your role keeps no subscriptions.");
  if(!sr_tx_begin(c, pb))
    return pb->err;
  struct sr_sql q;
  sr_sql_init(&q, "SELECT d.id, s.enabled, d.lease_until > now() AS leased" DELIVERY_FROM " WHERE d.id = ");
  sr_sql_param_long(&q, id);
  scope(&q, c);
  sr_sql_add(&q, " FOR UPDATE OF d");
  PGresult *r = sr_sql_exec(c, &q, pb);
  if(r && PQntuples(r) != 1)
    sr_problem_set(pb, SR_NOT_FOUND, "There is no delivery %ld that you may see.", id);
  else if(r && strcmp(PQgetvalue(r, 0, 1), "t") != 0)
    sr_problem_set(pb, SR_CONFLICT, "Delivery %ld belongs to a disabled subscription: enable it first.", id);
  else if(r && strcmp(PQgetvalue(r, 0, 2), "t") == 0)
    sr_problem_set(pb, SR_CONFLICT, "Delivery %ld is being attempted now; look again in a moment.", id);
  PQclear(r);
  char ids[32];
  snprintf(ids, sizeof ids, "%ld", id);
  const char *p[] = { ids };
  if(pb->err != SR_OK ||
     !sr_db_command(c->db,
                    "UPDATE delivery SET status = 'pending', attempts = 0, next_attempt_at = now(), "
                    "lease_until = NULL, leased_by = NULL, delivered_at = NULL WHERE id = $1",
                    1, p, pb)) {
    sr_tx_rollback(c);
    return pb->err;
  }
  cJSON *change = sr_change_new();
  sr_change_audit(change, "delivery.replay", "delivery", ids, NULL);
  if(!sr_record_commit(c, change, pb))
    return pb->err;
  return sr_delivery_get(c, id, out, pb);
}
