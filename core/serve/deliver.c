/* deliver.c -- see deliver.h. */
#include "deliver.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "delivery.h"
#include "log.h"
#include "metrics.h"
#include "net.h"
#include "notice.h"
#include "plugin.h"
#include "problem.h"
#include "seal.h"
#include "send.h"
#include "sign.h"
#include "sr_limits.h"
#include "util.h"

#define CAP SR_WEBHOOK_TRANSFERS
#define FAN_OUT_CHUNK 1000
#define QUEUE 1024       /* claimed deliveries waiting for a free transfer */
#define RESULTS 1024     /* attempts waiting to be recorded together */
#define RECORD_MS 20     /* the longest an attempt waits to be recorded with others */
#define IDLE_MS 25       /* how often an idle worker looks for new events and due deliveries: each
                          * look is one cheap transaction, and it is most of a notice's latency */
#define GAUGES_MS 5000   /* how often it counts what is pending */

struct slot {
  bool used;
  struct sr_delivery_job job;
  long long at_ms; /* when the attempt began, Unix ms */
};

/* Two threads: one does the database's work in batches (a fan-out of up to 1,000 events, a
 * claim of up to QUEUE deliveries, a record of up to RESULTS attempts, each one transaction, so
 * that round trips and commits are shared by many deliveries); the other keeps CAP transfers
 * going from the queue and collects their results, so that sending never waits on a commit. */
struct resbuf {
  struct sr_delivery_result res[RESULTS];
  char answers[RESULTS][SR_WEBHOOK_ANSWER_KEPT + 1];
  char errors[RESULTS][320];
  int n;
  long long first_ms; /* monotonic: when the oldest of them came */
};

static struct {
  pthread_t db_thread, send_thread;
  bool started;
  atomic_bool stopping;
  long grace_ms;
  long long attempt_ms; /* the longest an attempt may take, and a margin */
  struct sr_net_sender *sender;
  char name[96];
  pthread_mutex_t lock;
  pthread_cond_t db_wake; /* on CLOCK_MONOTONIC */
  /* Under the lock: the queue of claimed deliveries (a ring, each with the monotonic time its
   * lease runs out), the results (the sender fills buf[cur] while the database thread records
   * the other), the transfers in flight, and the sender's end. */
  struct sr_delivery_job queue[QUEUE];
  long long queue_until[QUEUE];
  int qhead, qlen;
  struct resbuf buf[2];
  int cur;
  int inflight;
  bool sender_done;
  long dropped; /* deliveries whose lease ran short in the queue, left to be claimed again */
  /* the sender's own */
  struct slot slots[CAP];
  /* the database thread's own */
  bool db_down;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER };

static long long unix_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long mono_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A receiver's answer as a text column takes it: valid UTF-8 without control characters (other
 * than tab and line ends), anything else a '?'. */
static void keep_answer(const char *in, size_t len, char *out)
{
  size_t o = 0;
  for(size_t i = 0; i < len && o < SR_WEBHOOK_ANSWER_KEPT;) {
    unsigned char ch = (unsigned char)in[i];
    size_t n = ch < 0x80 ? 1 : ch >= 0xC2 && ch <= 0xDF ? 2 : ch >= 0xE0 && ch <= 0xEF ? 3 : ch >= 0xF0 && ch <= 0xF4 ? 4 : 0;
    if(n == 1 && (ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r') && ch != 0x7f)
      out[o++] = (char)ch;
    else if(n > 1 && i + n <= len && o + n <= SR_WEBHOOK_ANSWER_KEPT && sr_utf8_valid(in + i, n)) {
      memcpy(out + o, in + i, n);
      o += n;
      i += n;
      continue;
    }
    else
      out[o++] = '?';
    i++;
  }
  out[o] = '\0';
}

/* Queues a result for the next record; the lock is held. */
static void add_result(const struct sr_delivery_job *j, long long at_ms, int status, long duration_ms,
                       long retry_after_s, const char *error, const char *answer, size_t answer_len)
{
  struct resbuf *b = &w.buf[w.cur];
  if(b->n == RESULTS)
    return; /* cannot happen: the sender starts no more than the buffer has room for */
  if(b->n == 0)
    b->first_ms = mono_ms();
  int k = b->n++;
  snprintf(b->errors[k], sizeof b->errors[k], "%s", error ? error : "");
  keep_answer(answer ? answer : "", answer ? answer_len : 0, b->answers[k]);
  b->res[k] = (struct sr_delivery_result){ .id = j->id, .made = j->attempts + 1, .status = status,
                                           .duration_ms = duration_ms, .retry_after_s = retry_after_s,
                                           .error = b->errors[k], .answer = b->answers[k], .at_ms = at_ms };
  if(status >= 200 && status < 300)
    sr_metrics_notice_latency((double)(at_ms + duration_ms - j->event_at_ms) / 1000);
}

static void add_result_locked(const struct sr_delivery_job *j, long long at_ms, const char *why)
{
  pthread_mutex_lock(&w.lock);
  add_result(j, at_ms, 0, 0, -1, why, NULL, 0);
  pthread_mutex_unlock(&w.lock);
}

/* The key of sealed secret <sealed> of subscription <id>; false when it does not open. */
static bool open_key(const char *sealed, long id, unsigned char key[SR_SIGN_MAX_KEY], size_t *keylen)
{
  char context[64];
  snprintf(context, sizeof context, "subscription %ld", id);
  char *secret = sr_seal_open(sealed, context);
  bool ok = secret && sr_sign_secret_key(secret, key, keylen);
  if(secret) {
    memset(secret, 0, strlen(secret));
    free(secret);
  }
  return ok;
}

/* The body of <j> in its subscription's format: the Standard Webhooks JSON as it is, or what
 * the format plugin renders from it. NULL with the reason in <why>; *owned when malloc'd. */
static char *render(struct sr_plugins *plugins, const struct sr_delivery_job *j, size_t *len,
                          const char **ctype, bool *owned, char *why, size_t whysz)
{
  *owned = false;
  if(!j->body) {
    snprintf(why, whysz, "the event has no body");
    return NULL;
  }
  if(strcmp(j->format, "standard") == 0) {
    *ctype = "application/json";
    *len = strlen(j->body);
    return j->body;
  }
  const struct sr_notice_format *f = plugins ? sr_plugins_format(plugins, j->format) : NULL;
  if(!f) {
    snprintf(why, whysz, "the notice format '%s' is not among the loaded plugins", j->format);
    return NULL;
  }
  cJSON *event = cJSON_Parse(j->body);
  if(!event) {
    snprintf(why, whysz, "the event's body is not JSON");
    return NULL;
  }
  cJSON_AddStringToObject(event, "id", j->message_id);
  char *body = NULL, reason[400];
  enum sr_outcome o = sr_plugins_render(plugins, f, event, &body, len, reason, sizeof reason);
  cJSON_Delete(event);
  if(o != SR_OUTCOME_OK) {
    snprintf(why, whysz, "format %s@%s: %s", f->file, f->version, reason);
    return NULL;
  }
  *ctype = f->content_type;
  *owned = true;
  return body;
}

/* Signs and sends <j> in a free slot, or records at once why it cannot be sent. */
static void start(struct sr_plugins *plugins, struct sr_delivery_job *j)
{
  long long at = unix_ms();
  char why[512] = "";
  size_t len = 0;
  const char *ctype = NULL;
  bool owned = false;
  unsigned char key[SR_SIGN_MAX_KEY], prev[SR_SIGN_MAX_KEY];
  size_t keylen = 0, prevlen = 0;
  char *body = NULL;
  if(!open_key(j->secret, j->subscription_id, key, &keylen))
    snprintf(why, sizeof why, "the subscription's secret does not open with this server's key (SEREG_SECRET_KEY)");
  else
    body = render(plugins, j, &len, &ctype, &owned, why, sizeof why);
  int s = 0;
  while(body && s < CAP && w.slots[s].used)
    s++;
  if(body && s == CAP)
    snprintf(why, sizeof why, "no transfer free"); /* cannot happen: claims fit the free slots */
  if(!body || s == CAP) {
    add_result_locked(j, at, why);
    if(owned)
      free(body);
    sr_delivery_job_clear(j);
    return;
  }
  long long ts = at / 1000;
  char sig[SR_SIGN_SIGNATURE_TEXT], old[SR_SIGN_SIGNATURE_TEXT] = "";
  sr_sign_v1(key, keylen, j->message_id, ts, body, len, sig);
  /* For a day after a rotation the receiver may still hold the old secret: sign with both. */
  if(j->previous_secret && open_key(j->previous_secret, j->subscription_id, prev, &prevlen))
    sr_sign_v1(prev, prevlen, j->message_id, ts, body, len, old);
  memset(key, 0, sizeof key);
  memset(prev, 0, sizeof prev);
  char h_type[160], h_id[80], h_ts[64], h_sig[sizeof "webhook-signature: " + 2 * SR_SIGN_SIGNATURE_TEXT];
  snprintf(h_type, sizeof h_type, "Content-Type: %s", ctype);
  snprintf(h_id, sizeof h_id, "webhook-id: %s", j->message_id);
  snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", ts);
  snprintf(h_sig, sizeof h_sig, "webhook-signature: %s%s%s", sig, old[0] ? " " : "", old);
  const char *headers[] = { h_type, h_id, h_ts, h_sig, "User-Agent: sereg/" SR_VERSION, NULL };
  struct sr_net_request rq = { .tag = (uint64_t)s, .url = j->url, .headers = headers, .body = body, .len = len };
  bool sent = sr_net_sender_submit(w.sender, &rq);
  if(owned)
    free(body);
  if(!sent) {
    add_result_locked(j, at, "could not start the request (out of memory)");
    sr_delivery_job_clear(j);
    return;
  }
  w.slots[s].used = true;
  w.slots[s].job = *j;
  w.slots[s].at_ms = at;
  pthread_mutex_lock(&w.lock);
  w.inflight++;
  pthread_mutex_unlock(&w.lock);
}

/* Whether the results should be recorded now: many, or the oldest waited long enough, or
 * nothing else is going on; the lock is held. */
static bool record_due(long long now)
{
  const struct resbuf *b = &w.buf[w.cur];
  return b->n > 0 && (b->n >= RESULTS / 2 || now - b->first_ms >= RECORD_MS || (w.inflight == 0 && w.qlen == 0) ||
                      w.sender_done || atomic_load(&w.stopping));
}

/* Takes the finished transfers' results into the buffer, and wakes the database thread when
 * they should be recorded. */
static void harvest(int timeout_ms)
{
  struct sr_net_result out[CAP];
  int n = sr_net_sender_poll(w.sender, timeout_ms, out, CAP);
  if(n == 0)
    return;
  pthread_mutex_lock(&w.lock);
  for(int i = 0; i < n; i++) {
    size_t s = (size_t)out[i].tag;
    if(s >= CAP || !w.slots[s].used)
      continue;
    struct slot *sl = &w.slots[s];
    add_result(&sl->job, sl->at_ms, out[i].status, out[i].duration_ms, out[i].retry_after_s, out[i].error, out[i].head,
               out[i].head_len);
    sr_delivery_job_clear(&sl->job);
    sl->used = false;
    w.inflight--;
  }
  if(record_due(mono_ms()) || w.qlen < CAP)
    pthread_cond_signal(&w.db_wake);
  pthread_mutex_unlock(&w.lock);
}

/* The sender: starts queued deliveries while there are free transfers and room for their
 * results, and collects what ends. One whose lease would run out before a whole attempt could
 * end is left for the next claim (by any worker): two workers never hold one delivery at once. */
static void *send_run(void *arg)
{
  (void)arg;
  bool draining = false;
  long long drain_until = 0;
  for(;;) {
    char err[512];
    struct sr_plugins *plugins = sr_plugins_thread(err, sizeof err); /* formats, as reloaded by SIGHUP */
    struct sr_delivery_job take[CAP];
    int nt = 0;
    long long now = mono_ms();
    pthread_mutex_lock(&w.lock);
    if(atomic_load(&w.stopping) && !draining) {
      draining = true;
      drain_until = now + w.grace_ms;
    }
    if(draining && (w.inflight == 0 || now >= drain_until)) {
      w.sender_done = true;
      pthread_cond_signal(&w.db_wake);
      pthread_mutex_unlock(&w.lock);
      break;
    }
    while(!draining && w.qlen > 0 && w.inflight + nt < CAP && w.buf[w.cur].n + w.inflight + nt < RESULTS) {
      struct sr_delivery_job *j = &w.queue[w.qhead];
      long long until = w.queue_until[w.qhead];
      w.qhead = (w.qhead + 1) % QUEUE;
      w.qlen--;
      if(now + w.attempt_ms > until) {
        sr_delivery_job_clear(j);
        w.dropped++;
        sr_metrics_notice_lapsed(1);
      }
      else
        take[nt++] = *j;
    }
    if(w.qlen < CAP)
      pthread_cond_signal(&w.db_wake); /* running low: claim more */
    int busy = w.inflight + nt;
    pthread_mutex_unlock(&w.lock);
    for(int i = 0; i < nt; i++)
      start(plugins, &take[i]);
    /* Returns early when a transfer ends or the database thread queues work. */
    harvest(busy ? 20 : IDLE_MS);
  }
  sr_plugins_thread_release();
  return NULL;
}

/* Logs a database failure once, not once per round, and its end. */
static void db_state(bool ok, const struct sr_problem *pb)
{
  if(!ok && !w.db_down)
    sr_error("notices: %s; trying again", pb->detail);
  else if(ok && w.db_down)
    sr_info("notices: the database answers again");
  w.db_down = !ok;
}

static void record(struct sr_ctx *c, struct resbuf *b)
{
  if(b->n == 0)
    return;
  struct sr_problem pb;
  sr_problem_init(&pb);
  struct sr_delivery_tally t = { 0 };
  bool ok = c->db && sr_delivery_record(c, w.name, b->res, b->n, &t, &pb) == SR_OK;
  if(ok) {
    sr_metrics_notice_attempt(0, t.delivered);
    sr_metrics_notice_attempt(1, t.retried);
    sr_metrics_notice_attempt(2, t.failed);
    sr_metrics_notice_attempt(3, t.gone);
    sr_metrics_notice_work(0, t.refused, t.disabled);
  }
  else
    /* The leases run out and the deliveries are attempted again: at least once, never lost. */
    sr_error("notices: %d attempts could not be recorded (%s); they will be made again", b->n, pb.detail);
  sr_problem_free(&pb);
  b->n = 0;
}

/* Takes the filled result buffer for recording and gives the sender the other; the lock is
 * held. NULL when there is nothing to record. */
static struct resbuf *swap_results(void)
{
  struct resbuf *b = &w.buf[w.cur];
  if(b->n == 0)
    return NULL;
  w.cur ^= 1;
  w.buf[w.cur].n = 0;
  return b;
}

static void wait_until(long long mono_deadline)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  if(mono_deadline <= now)
    return;
  long long t = mono_deadline;
  ts.tv_sec = (time_t)(t / 1000);
  ts.tv_nsec = (long)(t % 1000) * 1000000;
  pthread_cond_timedwait(&w.db_wake, &w.lock, &ts);
}

/* Puts <n> leased jobs (their lease running out at monotonic <until>) in the queue, whose room
 * was taken under the lock (only this thread adds), and wakes the sender. */
static void enqueue(struct sr_delivery_job *jobs, int n, long long until)
{
  pthread_mutex_lock(&w.lock);
  for(int i = 0; i < n; i++) {
    int k = (w.qhead + w.qlen++) % QUEUE;
    w.queue[k] = jobs[i]; /* the job's strings now belong to the queue */
    w.queue_until[k] = until;
  }
  pthread_mutex_unlock(&w.lock);
  free(jobs);
  if(n)
    sr_net_sender_wakeup(w.sender);
}

static void queue_clear(void)
{
  for(; w.qlen > 0; w.qlen--, w.qhead = (w.qhead + 1) % QUEUE)
    sr_delivery_job_clear(&w.queue[w.qhead]);
  w.qhead = 0;
}

/* The database thread: fans events out, claims deliveries into the queue when it runs low,
 * records results, counts the gauges; at the end records the last results and gives back the
 * leases of what was not attempted. */
static void *db_run(void *arg)
{
  (void)arg;
  struct sr_ctx ctx = { 0 };
  ctx.who.role = SR_ROLE_SYSTEM;
  ctx.request_id = "deliver";
  long long lease = 2 * w.attempt_ms + 3000;
  long long next_fan = 0, next_claim = 0, next_gauges = 0;
  for(;;) {
    pthread_mutex_lock(&w.lock);
    bool done, stopping, rec, claim, fan, gauges;
    for(;;) {
      long long now = mono_ms();
      done = w.sender_done;
      stopping = atomic_load(&w.stopping);
      rec = record_due(now);
      claim = !stopping && !w.db_down && w.qlen < CAP && now >= next_claim;
      fan = !stopping && now >= next_fan;
      gauges = !stopping && now >= next_gauges;
      if(done || rec || claim || fan || gauges)
        break;
      long long until = stopping ? now + IDLE_MS : next_fan < next_claim ? next_fan : next_claim;
      if(!stopping && next_gauges < until)
        until = next_gauges;
      if(w.buf[w.cur].n && w.buf[w.cur].first_ms + RECORD_MS < until)
        until = w.buf[w.cur].first_ms + RECORD_MS;
      wait_until(until);
    }
    struct resbuf *b = rec || done ? swap_results() : NULL;
    int room = QUEUE - w.qlen;
    pthread_mutex_unlock(&w.lock);

    char err[512];
    ctx.today = sr_today();
    ctx.db = sr_db_thread(err, sizeof err);
    if(!ctx.db && !w.db_down) {
      sr_error("notices: %s; trying again", err);
      w.db_down = true;
    }
    if(b)
      record(&ctx, b);
    if(done)
      break;
    long long now = mono_ms();
    struct sr_problem pb;
    sr_problem_init(&pb);
    if(!ctx.db) {
      next_fan = next_claim = next_gauges = now + 1000;
      continue;
    }
    if(fan) {
      long events = 0, made = 0;
      struct sr_delivery_job *jobs = NULL;
      int n = 0;
      long long at = mono_ms();
      bool ok = sr_delivery_fan_out(&ctx, FAN_OUT_CHUNK, w.name, room, lease, &events, &made, &jobs, &n, &pb) == SR_OK;
      db_state(ok, &pb);
      sr_metrics_notice_work(events, 0, 0);
      enqueue(jobs, n, at + lease);
      room -= n;
      next_fan = !ok ? now + 1000 : events == FAN_OUT_CHUNK ? now : now + IDLE_MS;
      if(made > n)
        next_claim = now; /* the rest are due at once unless the schedule says otherwise */
    }
    if(claim && !w.db_down && room > 0) {
      struct sr_delivery_job *jobs = NULL;
      int n = 0;
      sr_problem_free(&pb);
      sr_problem_init(&pb);
      long long at = mono_ms();
      bool ok = sr_delivery_claim(&ctx, w.name, room, lease, &jobs, &n, &pb) == SR_OK;
      db_state(ok, &pb);
      enqueue(jobs, n, at + lease);
      next_claim = !ok ? now + 1000 : n == room ? now : now + IDLE_MS;
    }
    if(gauges) {
      long pending = 0, disabled = 0;
      double oldest = 0;
      sr_problem_free(&pb);
      sr_problem_init(&pb);
      if(sr_delivery_gauges(&ctx, &pending, &oldest, &disabled, &pb) == SR_OK)
        sr_metrics_notice_gauges(pending, oldest, disabled);
      next_gauges = now + GAUGES_MS;
    }
    sr_problem_free(&pb);
  }
  /* The sender has ended: what it left in flight is abandoned, and the queue was never
   * started. Their leases are given back so that another worker attempts them at once (a
   * receiver may hear one twice: it dedupes on webhook-id). */
  pthread_mutex_lock(&w.lock);
  struct resbuf *b = swap_results();
  pthread_mutex_unlock(&w.lock);
  if(b)
    record(&ctx, b);
  struct sr_problem pb;
  sr_problem_init(&pb);
  if(ctx.db && sr_delivery_release(&ctx, w.name, &pb) != SR_OK)
    sr_error("notices: could not give back the leases: %s", pb.detail);
  sr_problem_free(&pb);
  for(int s = 0; s < CAP; s++)
    if(w.slots[s].used) {
      sr_delivery_job_clear(&w.slots[s].job);
      w.slots[s].used = false;
    }
  pthread_mutex_lock(&w.lock);
  w.inflight = 0;
  queue_clear();
  pthread_mutex_unlock(&w.lock);
  if(w.dropped)
    sr_info("notices: %ld claimed deliveries waited past their lease and were left to be claimed again", w.dropped);
  sr_db_thread_release();
  return NULL;
}

bool sr_deliver_setup(char *err, size_t errsz)
{
  return sr_net_setup(err, errsz) && sr_notice_setup(err, errsz) && sr_seal_setup(err, errsz);
}

bool sr_deliver_start(void)
{
  if(!sr_seal_ready()) {
    sr_warn("notices: not delivered by this process: it has no key to open the subscriptions' secrets "
            "(SEREG_SECRET_KEY_FILE or SEREG_SECRET_KEY)");
    return false;
  }
  char err[512], host[64] = "host";
  w.sender = sr_net_sender_new(sr_net_policy(), CAP, err, sizeof err);
  if(!w.sender) {
    sr_error("notices: %s", err);
    return false;
  }
  gethostname(host, sizeof host - 1);
  snprintf(w.name, sizeof w.name, "%s:%ld:%lld", host, (long)getpid(), unix_ms());
  atomic_store(&w.stopping, false);
  w.sender_done = false;
  w.attempt_ms = sr_net_timeout_ms(sr_net_policy()) + 1000;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w.db_wake, &ca);
  pthread_condattr_destroy(&ca);
  int rc = pthread_create(&w.send_thread, NULL, send_run, NULL);
  if(rc == 0 && (rc = pthread_create(&w.db_thread, NULL, db_run, NULL)) != 0) {
    atomic_store(&w.stopping, true);
    sr_net_sender_wakeup(w.sender);
    pthread_join(w.send_thread, NULL);
  }
  if(rc != 0) {
    sr_error("notices: cannot start the worker's threads (error %d)", rc);
    pthread_cond_destroy(&w.db_wake);
    sr_net_sender_free(w.sender);
    w.sender = NULL;
    return false;
  }
  w.started = true;
  return true;
}

void sr_deliver_stop(long grace_ms)
{
  if(!w.started)
    return;
  w.grace_ms = grace_ms;
  atomic_store(&w.stopping, true);
  sr_net_sender_wakeup(w.sender);
  pthread_mutex_lock(&w.lock);
  pthread_cond_signal(&w.db_wake);
  pthread_mutex_unlock(&w.lock);
  pthread_join(w.send_thread, NULL);
  pthread_join(w.db_thread, NULL);
  pthread_cond_destroy(&w.db_wake);
  sr_net_sender_free(w.sender);
  w.sender = NULL;
  w.started = false;
}
