/* delivery_worker.c -- see delivery.h: the notice worker's transactions. Each runs as the
 * system, which sees every subscription and delivery; nothing here is a caller's. */
#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "json.h"
#include "log.h"
#include "notice.h"
#include "record.h"
#include "tx.h"

static char *dup_or_null(const PGresult *r, int row, const char *col)
{
  int c = PQfnumber(r, col);
  return c < 0 || PQgetisnull(r, row, c) ? NULL : strdup(PQgetvalue(r, row, c));
}

/* The jobs of rows <from>.. of <r>, whose columns from <col> on are: id, subscription_id,
 * attempts, message_id, url, format, secret, previous_secret, event_at_ms, body; rows whose id
 * is NULL are left out. */
static struct sr_delivery_job *jobs_of(const PGresult *r, int from, int col, int *n, struct sr_problem *pb)
{
  int rows = r ? PQntuples(r) : 0;
  *n = 0;
  struct sr_delivery_job *j = rows > from ? calloc((size_t)(rows - from), sizeof *j) : NULL;
  if(rows > from && !j) {
    sr_problem_set(pb, SR_INTERNAL, "out of memory");
    return NULL;
  }
  for(int i = from; j && i < rows; i++) {
    if(PQgetisnull(r, i, col))
      continue;
    struct sr_delivery_job *x = &j[(*n)++];
    x->id = atol(PQgetvalue(r, i, col));
    x->subscription_id = atol(PQgetvalue(r, i, col + 1));
    x->attempts = atoi(PQgetvalue(r, i, col + 2));
    snprintf(x->message_id, sizeof x->message_id, "%s", PQgetvalue(r, i, col + 3));
    x->url = dup_or_null(r, i, "url");
    x->format = dup_or_null(r, i, "format");
    x->secret = dup_or_null(r, i, "secret");
    x->previous_secret = dup_or_null(r, i, "previous_secret");
    x->event_at_ms = atoll(PQgetvalue(r, i, col + 8));
    x->body = dup_or_null(r, i, "body");
  }
  return j;
}

/* What a job needs of its subscription and event, after the columns of delivery l. */
#define JOB_COLUMNS                                                                                                   \
  "l.id, l.subscription_id, l.attempts, l.message_id, s.url, s.format, s.secret, "                                    \
  "CASE WHEN s.previous_until > now() THEN s.previous_secret END AS previous_secret, "                                \
  "(extract(epoch FROM l.event_at) * 1000)::bigint AS event_at_ms, sereg_notice_body(o) AS body "

enum sr_err sr_delivery_fan_out(struct sr_ctx *c, int max, const char *worker, int lease_max, long long lease_ms,
                                long *events, long *made, struct sr_delivery_job **jobs, int *n,
                                struct sr_problem *pb)
{
  *events = *made = 0;
  *jobs = NULL;
  *n = 0;
  long long first_wait = sr_notice_config()->schedule_ms[0];
  char m[16], first[32], lm[16], lease[32];
  snprintf(m, sizeof m, "%d", max);
  snprintf(first, sizeof first, "%lld", first_wait);
  /* Deliveries due at once are leased to this worker as they are made, up to what it has room
   * for: a claim of them would read and write each row again. */
  snprintf(lm, sizeof lm, "%d", worker && first_wait == 0 ? lease_max : 0);
  snprintf(lease, sizeof lease, "%lld", lease_ms);
  const char *p[] = { m, first, lm, worker ? worker : "", lease };
  if(!sr_tx_begin(c, pb))
    return pb->err;
  /* Skipping what another worker has locked: each event is fanned out by one of them, once
   * (and the unique (subscription, event) would refuse a second time anyway). */
  PGresult *r = sr_db_query(
    c->db,
    "WITH o AS (SELECT id FROM outbox WHERE fanned_out_at IS NULL ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED), "
    "w AS (SELECT s.id AS sid, x.id AS oid, x.created_at, row_number() OVER (ORDER BY x.id, s.id) AS k "
    "  FROM o JOIN outbox x ON x.id = o.id "
    "  JOIN subscription s ON s.enabled AND sereg_wants(s.event_types, x.event_type) "
    "   AND (s.jurisdiction IS NULL OR s.jurisdiction = x.jurisdiction "
    "        OR EXISTS (SELECT 1 FROM jurisdiction j WHERE j.code = s.jurisdiction AND j.kind = 'city')) "
    "   AND (s.user_unit_id IS NULL OR s.user_unit_id = x.user_unit_id) "
    "   AND (jsonb_typeof(x.payload->'notify') IS DISTINCT FROM 'array' OR x.payload->'notify' ? sereg_audience(s)) "
    "   AND NOT (x.subject_type = 'subscription' AND x.subject_id = s.id::text) "
    "  LEFT JOIN account a ON a.id = s.owner_account "
    "  WHERE x.event_type <> 'subscription.ping' AND a.disabled_at IS NULL), "
    "l AS (INSERT INTO delivery (subscription_id, outbox_id, message_id, event_at, next_attempt_at, leased_by, lease_until) "
    "  SELECT sid, oid, 'msg_' || replace(gen_random_uuid()::text, '-', ''), created_at, "
    "         now() + $2::bigint * interval '1 millisecond', CASE WHEN k <= $3::int THEN $4 END, "
    "         CASE WHEN k <= $3::int THEN now() + $5::bigint * interval '1 millisecond' END "
    "  FROM w ON CONFLICT DO NOTHING RETURNING *), "
    "f AS (UPDATE outbox SET fanned_out_at = now() WHERE id IN (SELECT id FROM o) RETURNING 1) "
    "SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM l), " JOB_COLUMNS
    "FROM (SELECT 1) one LEFT JOIN l ON l.leased_by IS NOT NULL "
    "LEFT JOIN subscription s ON s.id = l.subscription_id LEFT JOIN outbox o ON o.id = l.outbox_id",
    5, p, "could not fan the notices out", pb);
  struct sr_delivery_job *j = NULL;
  if(r && PQntuples(r) >= 1) {
    *events = atol(PQgetvalue(r, 0, 0));
    *made = atol(PQgetvalue(r, 0, 1));
    j = jobs_of(r, 0, 2, n, pb);
  }
  PQclear(r);
  if(!r || pb->err != SR_OK || !sr_tx_commit(c, pb)) {
    sr_delivery_jobs_free(j, *n);
    *n = 0;
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "could not fan the notices out");
  }
  *jobs = j;
  return SR_OK;
}

enum sr_err sr_delivery_claim(struct sr_ctx *c, const char *worker, int max, long long lease_ms,
                              struct sr_delivery_job **jobs, int *n, struct sr_problem *pb)
{
  *jobs = NULL;
  *n = 0;
  char m[16], lease[32];
  snprintf(m, sizeof m, "%d", max);
  snprintf(lease, sizeof lease, "%lld", lease_ms);
  const char *p[] = { m, worker, lease };
  if(!sr_tx_begin(c, pb))
    return pb->err;
  PGresult *r = sr_db_query(
    c->db,
    "WITH c AS (SELECT d.id FROM delivery d JOIN subscription s ON s.id = d.subscription_id "
    "  WHERE d.status = 'pending' AND d.next_attempt_at <= now() "
    "  AND (d.lease_until IS NULL OR d.lease_until < now()) AND s.enabled "
    "  ORDER BY d.next_attempt_at LIMIT $1::int FOR UPDATE OF d SKIP LOCKED), "
    "l AS (UPDATE delivery d SET lease_until = now() + $3::bigint * interval '1 millisecond', leased_by = $2 "
    "  FROM c WHERE d.id = c.id RETURNING d.*) "
    "SELECT " JOB_COLUMNS
    "FROM l JOIN subscription s ON s.id = l.subscription_id JOIN outbox o ON o.id = l.outbox_id ORDER BY l.id",
    3, p, "could not claim the due notices", pb);
  struct sr_delivery_job *j = jobs_of(r, 0, 0, n, pb);
  PQclear(r);
  if(!r || pb->err != SR_OK || !sr_tx_commit(c, pb)) {
    sr_delivery_jobs_free(j, *n);
    *n = 0;
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "could not claim the due notices");
  }
  *jobs = j;
  return SR_OK;
}

void sr_delivery_job_clear(struct sr_delivery_job *j)
{
  free(j->url);
  free(j->format);
  free(j->secret);
  free(j->previous_secret);
  free(j->body);
  j->url = j->format = j->secret = j->previous_secret = j->body = NULL;
}

void sr_delivery_jobs_free(struct sr_delivery_job *jobs, int n)
{
  for(int i = 0; jobs && i < n; i++)
    sr_delivery_job_clear(&jobs[i]);
  free(jobs);
}

/* The events the results call for: delivery.failed for each dead delivery, and
 * subscription.disabled (with its audit record) for each subscription just disabled. */
static cJSON *consequences(const cJSON *dead, const cJSON *disabled)
{
  cJSON *changes = cJSON_CreateArray();
  const cJSON *d;
  cJSON_ArrayForEach(d, dead)
  {
    cJSON *ch = sr_change_new();
    sr_change_event(ch, "delivery.failed", "subscription", sr_json_str_or(d, "subscription", ""),
                    sr_json_str_or(d, "jurisdiction", ""), cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(d, "payload"), 1));
    cJSON_AddItemToArray(changes, ch);
  }
  cJSON_ArrayForEach(d, disabled)
  {
    const char *sid = sr_json_str_or(d, "subscription", "");
    cJSON *ch = sr_change_new();
    cJSON *payload = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(d, "payload"), 1);
    sr_change_event(ch, "subscription.disabled", "subscription", sid, sr_json_str_or(d, "jurisdiction", ""), payload);
    sr_change_audit(ch, "subscription.disable", "subscription", sid, cJSON_Duplicate(payload, 1));
    cJSON_AddItemToArray(changes, ch);
  }
  return changes;
}

enum sr_err sr_delivery_record(struct sr_ctx *c, const char *worker, const struct sr_delivery_result *res, int n,
                               struct sr_delivery_tally *t, struct sr_problem *pb)
{
  const struct sr_notice_config *cfg = sr_notice_config();
  cJSON *rows = cJSON_CreateArray();
  for(int i = 0; i < n; i++) {
    long long wait = 0;
    double jitter = (double)rand() / RAND_MAX * 2 - 1;
    enum sr_notice_outcome o = sr_notice_judge(cfg, res[i].made, res[i].status, res[i].retry_after_s, jitter, &wait);
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "id", (double)res[i].id);
    cJSON_AddNumberToObject(row, "at_ms", (double)res[i].at_ms);
    cJSON_AddNumberToObject(row, "ms", (double)res[i].duration_ms);
    cJSON_AddNumberToObject(row, "status", res[i].status);
    cJSON_AddStringToObject(row, "error", res[i].error ? res[i].error : "");
    cJSON_AddStringToObject(row, "answer", res[i].answer ? res[i].answer : "");
    cJSON_AddStringToObject(row, "outcome", sr_notice_outcome_name(o));
    cJSON_AddNumberToObject(row, "wait_ms", (double)wait);
    cJSON_AddItemToArray(rows, row);
  }
  char *text = cJSON_PrintUnformatted(rows);
  cJSON_Delete(rows);
  char disable_after[32];
  snprintf(disable_after, sizeof disable_after, "%lld", cfg->disable_after_ms);
  const char *p[] = { text, worker, disable_after };
  if(!text || !sr_tx_begin(c, pb)) {
    free(text);
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "out of memory");
  }
  /* One statement: the deliveries this worker still holds, their attempts, and their
   * subscriptions' standing; it answers what happened and what the events must say. The ids
   * are named to the scan of delivery as an array too: joined only to the recordset, whose size
   * the planner cannot know, it scanned the recordset once per delivery (1,000 results took
   * 210 ms instead of 25). */
  PGresult *r = sr_db_query(
    c->db,
    "WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, at_ms bigint, ms int, status int, "
    "  error text, answer text, outcome text, wait_ms bigint)), "
    "u AS (UPDATE delivery d SET attempts = d.attempts + 1, "
    "  status = CASE r.outcome WHEN 'delivered' THEN 'delivered' WHEN 'retry' THEN 'pending' ELSE 'failed' END, "
    "  next_attempt_at = CASE WHEN r.outcome = 'retry' THEN now() + r.wait_ms * interval '1 millisecond' "
    "    ELSE d.next_attempt_at END, "
    "  delivered_at = CASE WHEN r.outcome = 'delivered' THEN to_timestamp((r.at_ms + r.ms) / 1000.0) END, "
    "  lease_until = NULL, leased_by = NULL, "
    "  last_status = nullif(r.status, 0), last_error = nullif(r.error, '') "
    "  FROM r WHERE d.id = r.id AND d.id = ANY (ARRAY(SELECT id FROM r)) AND d.leased_by = $2 AND d.status = 'pending' "
    "  RETURNING d.id, d.subscription_id, d.outbox_id, d.message_id, d.attempts, r.outcome, r.status, r.error, "
    "    r.at_ms, r.ms, r.answer), "
    "a AS (INSERT INTO delivery_attempt (delivery_id, attempted_at, duration_ms, status_code, error, answer, outcome) "
    "  SELECT id, to_timestamp(at_ms / 1000.0), ms, nullif(status, 0), nullif(error, ''), nullif(answer, ''), outcome "
    "  FROM u), "
    "g AS (SELECT subscription_id AS id, bool_or(outcome = 'delivered') AS ok, bool_or(outcome = 'gone') AS gone "
    "  FROM u GROUP BY 1), "
    "x AS (SELECT g.*, s0.enabled AS was_enabled, coalesce(s0.failing_since, now()) AS failing "
    "  FROM g JOIN subscription s0 ON s0.id = g.id), "
    "s AS (UPDATE subscription s SET failing_since = CASE WHEN x.ok THEN NULL ELSE x.failing END, "
    "  enabled = s.enabled AND NOT (x.gone OR (NOT x.ok AND x.failing <= now() - $3::bigint * interval '1 millisecond')), "
    "  disabled_reason = CASE WHEN NOT s.enabled THEN s.disabled_reason "
    "    WHEN x.gone THEN '接收方回答 410 Gone，订阅已自动停用' "
    "    WHEN NOT x.ok AND x.failing <= now() - $3::bigint * interval '1 millisecond' "
    "      THEN '自 ' || to_char(x.failing AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') "
    "        || '（北京时间）起每次投递都失败，订阅已自动停用' "
    "  END, "
    "  disabled_at = CASE WHEN s.enabled AND (x.gone OR (NOT x.ok AND x.failing <= now() - $3::bigint * interval '1 millisecond')) "
    "    THEN now() ELSE s.disabled_at END "
    "  FROM x WHERE s.id = x.id RETURNING s.id, s.url, s.jurisdiction, s.disabled_reason, "
    "    x.was_enabled AND NOT s.enabled AS disabled_now), "
    "city AS (SELECT code FROM jurisdiction WHERE kind = 'city' LIMIT 1) "
    "SELECT (SELECT count(*) FROM u), "
    "  (SELECT count(*) FILTER (WHERE outcome = 'delivered') FROM u), "
    "  (SELECT count(*) FILTER (WHERE outcome = 'retry') FROM u), "
    "  (SELECT count(*) FILTER (WHERE outcome = 'failed') FROM u), "
    "  (SELECT count(*) FILTER (WHERE outcome = 'gone') FROM u), "
    "  (SELECT coalesce(jsonb_agg(jsonb_build_object('subscription', u.subscription_id::text, "
    "     'jurisdiction', coalesce(sj.jurisdiction, (SELECT code FROM city)), 'payload', jsonb_build_object("
    "     'subscription_id', u.subscription_id, 'url', split_part(split_part(sj.url, '?', 1), '#', 1), "
    "     'delivery_id', u.id, 'message_id', u.message_id, 'event_id', u.outbox_id, 'event_type', o.event_type, "
    "     'attempts', u.attempts, 'last_status', nullif(u.status, 0), 'last_error', nullif(u.error, '')))), '[]') "
    "   FROM u JOIN outbox o ON o.id = u.outbox_id JOIN subscription sj ON sj.id = u.subscription_id "
    "   WHERE u.outcome = 'failed')::text, "
    "  (SELECT coalesce(jsonb_agg(jsonb_build_object('subscription', s.id::text, "
    "     'jurisdiction', coalesce(s.jurisdiction, (SELECT code FROM city)), 'payload', jsonb_build_object("
    "     'subscription_id', s.id, 'url', split_part(split_part(s.url, '?', 1), '#', 1), 'reason', s.disabled_reason))), "
    "   '[]') FROM s WHERE s.disabled_now)::text",
    3, p, "could not record the notices' attempts", pb);
  free(text);
  bool ok = r && PQntuples(r) == 1;
  if(ok) {
    long applied = atol(PQgetvalue(r, 0, 0));
    t->delivered += atol(PQgetvalue(r, 0, 1));
    t->retried += atol(PQgetvalue(r, 0, 2));
    t->failed += atol(PQgetvalue(r, 0, 3));
    t->gone += atol(PQgetvalue(r, 0, 4));
    t->refused += n - applied;
    cJSON *dead = cJSON_Parse(PQgetvalue(r, 0, 5)), *disabled = cJSON_Parse(PQgetvalue(r, 0, 6));
    t->disabled += cJSON_GetArraySize(disabled);
    if(cJSON_GetArraySize(dead) + cJSON_GetArraySize(disabled) > 0) {
      cJSON *changes = consequences(dead, disabled);
      ok = sr_record(c, changes, pb);
      cJSON_Delete(changes);
    }
    cJSON_Delete(dead);
    cJSON_Delete(disabled);
  }
  PQclear(r);
  if(!ok || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "could not record the notices' attempts");
  }
  return SR_OK;
}

enum sr_err sr_delivery_release(struct sr_ctx *c, const char *worker, struct sr_problem *pb)
{
  const char *p[] = { worker };
  if(!sr_tx_begin(c, pb))
    return pb->err;
  if(!sr_db_command(c->db,
                    "UPDATE delivery SET lease_until = NULL, leased_by = NULL WHERE leased_by = $1 AND status = 'pending'",
                    1, p, pb) ||
     !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return pb->err;
  }
  return SR_OK;
}

/* Deletes by <sql> (one chunk, answering the rows deleted) until a chunk comes back short. */
static enum sr_err prune_by(struct sr_ctx *c, const char *sql, long *deleted, struct sr_problem *pb)
{
  char keep[32];
  snprintf(keep, sizeof keep, "%lld", sr_notice_config()->retention_ms);
  const char *p[] = { keep };
  for(;;) {
    if(!sr_tx_begin(c, pb))
      return pb->err;
    PGresult *r = sr_db_query(c->db, sql, 1, p, "could not prune old notices", pb);
    long n = r && PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if(n < 0 || !sr_tx_commit(c, pb)) {
      sr_tx_rollback(c);
      return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "could not prune old notices");
    }
    *deleted += n;
    if(n < 5000)
      return SR_OK;
  }
}

enum sr_err sr_delivery_prune(struct sr_ctx *c, long *deliveries, long *events, struct sr_problem *pb)
{
  *deliveries = *events = 0;
  /* In chunks, so that a first prune of a big backlog holds no long transaction. */
  if(prune_by(c,
              "WITH x AS (DELETE FROM delivery WHERE id IN (SELECT id FROM delivery WHERE status <> 'pending' "
              "AND created_at < now() - $1::bigint * interval '1 millisecond' LIMIT 5000) RETURNING 1) "
              "SELECT count(*) FROM x",
              deliveries, pb) != SR_OK)
    return pb->err;
  return prune_by(c,
                  "WITH x AS (DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o WHERE o.fanned_out_at IS NOT NULL "
                  "AND o.created_at < now() - $1::bigint * interval '1 millisecond' "
                  "AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.outbox_id = o.id) LIMIT 5000) RETURNING 1) "
                  "SELECT count(*) FROM x",
                  events, pb);
}

enum sr_err sr_delivery_gauges(struct sr_ctx *c, long *pending, double *oldest_s, long *disabled,
                               struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return pb->err;
  PGresult *r = sr_db_query(c->db,
                            /* what waits on a disabled subscription waits for a person, not the worker */
                            "SELECT (SELECT count(*) FROM delivery d JOIN subscription s ON s.id = d.subscription_id "
                            "  WHERE d.status = 'pending' AND s.enabled), "
                            "(SELECT coalesce(extract(epoch FROM now() - min(d.event_at)), 0) FROM delivery d "
                            "  JOIN subscription s ON s.id = d.subscription_id WHERE d.status = 'pending' AND s.enabled), "
                            "(SELECT count(*) FROM subscription WHERE NOT enabled)",
                            0, NULL, "could not count the pending notices", pb);
  bool ok = r && PQntuples(r) == 1;
  if(ok) {
    *pending = atol(PQgetvalue(r, 0, 0));
    *oldest_s = atof(PQgetvalue(r, 0, 1));
    *disabled = atol(PQgetvalue(r, 0, 2));
  }
  PQclear(r);
  if(!ok || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : sr_problem_set(pb, SR_INTERNAL, "could not count the pending notices");
  }
  return SR_OK;
}
