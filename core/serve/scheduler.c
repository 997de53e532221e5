/* scheduler.c -- see scheduler.h. */
#include "scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "db.h"
#include "sweep.h"
#include "log.h"
#include "metrics.h"
#include "plugin.h"
#include "problem.h"
#include "util.h"

static struct {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool started, stopping;
  long interval;
} sched = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sweep_once(void)
{
  char err[512];
  struct sr_ctx ctx = { 0 };
  ctx.who.role = SR_ROLE_SYSTEM;
  ctx.today = sr_today(); /* a new day between two sweeps is taken as it comes */
  ctx.request_id = "sweep";
  ctx.db = sr_db_thread(err, sizeof err);
  if(!ctx.db) {
    sr_error("sweep: %s", err);
    return;
  }
  ctx.plugins = sr_plugins_thread(err, sizeof err); /* the ladder, as reloaded by SIGHUP */
  if(!ctx.plugins) {
    sr_error("sweep: %s", err);
    return;
  }
  struct sr_problem pb;
  sr_problem_init(&pb);
  struct sr_sweep_result res = { 0 };
  char day[11];
  sr_date_format(ctx.today, day);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  bool ok = sr_sweep(&ctx, &res, &pb) == SR_OK;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const long changes[6] = { res.opened, res.closed, res.escalated, res.held, res.failed, res.overdue };
  sr_metrics_sweep(ok, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, changes);
  if(!ok)
    sr_error("sweep %s failed: %s", day, pb.detail);
  else if(res.opened || res.closed || res.escalated || res.overdue || res.failed)
    sr_info("sweep %s: %ld hazards opened, %ld closed, %ld rungs fired (%ld held, %ld left by a failing plugin), "
            "%ld rectifications overdue", day, res.opened, res.closed, res.escalated, res.held, res.failed, res.overdue);
  if(ok && (res.pruned_deliveries || res.pruned_events))
    sr_info("sweep %s: pruned %ld deliveries and %ld events past their retention", day, res.pruned_deliveries,
            res.pruned_events);
  sr_problem_free(&pb);
}

static void *run(void *arg)
{
  (void)arg;
  pthread_mutex_lock(&sched.lock);
  while(!sched.stopping) {
    pthread_mutex_unlock(&sched.lock);
    sweep_once();
    pthread_mutex_lock(&sched.lock);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += sched.interval;
    while(!sched.stopping && pthread_cond_timedwait(&sched.wake, &sched.lock, &until) != ETIMEDOUT)
      ; /* woken early without a stop: wait out the rest */
  }
  pthread_mutex_unlock(&sched.lock);
  sr_plugins_thread_release();
  sr_db_thread_release();
  return NULL;
}

bool sr_scheduler_start(long interval_seconds)
{
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* wall-clock jumps do not skip or repeat sweeps */
  pthread_cond_init(&sched.wake, &attr);
  pthread_condattr_destroy(&attr);
  sched.interval = interval_seconds;
  sched.stopping = false;
  int rc = pthread_create(&sched.thread, NULL, run, NULL);
  if(rc != 0) {
    sr_error("sweep: cannot start its thread (error %d)", rc);
    return false;
  }
  sched.started = true;
  return true;
}

void sr_scheduler_stop(void)
{
  if(!sched.started)
    return;
  pthread_mutex_lock(&sched.lock);
  sched.stopping = true;
  pthread_cond_signal(&sched.wake);
  pthread_mutex_unlock(&sched.lock);
  pthread_join(sched.thread, NULL);
  pthread_cond_destroy(&sched.wake);
  sched.started = false;
}
