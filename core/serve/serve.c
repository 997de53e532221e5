/*
 * serve.c -- the `sereg serve` process: plugins, the HTTP server, the sweep thread, and the
 * signals that drive them. SIGHUP reloads the plugins; SIGINT or SIGTERM stops the process,
 * and within a bounded time whatever a request or a plugin is doing: requests in flight get
 * SR_HTTP_SHUTDOWN_GRACE seconds (SEREG_SHUTDOWN_GRACE), plugin calls among them are stopped
 * half-way through it, and at its end the process exits anyway. The notice worker runs here
 * too (deliver.h), unless told not to.
 */
#include "serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "deliver.h"
#include "http.h"
#include "http_guard.h"
#include "log.h"
#include "metrics.h"
#include "plugin.h"
#include "plugin_activation.h"
#include "scheduler.h"
#include "session.h"
#include "sr_limits.h"
#include "util.h"

/* Each connection holds a descriptor, and so do the database connections, the plugin files
 * being read and the log: raise the soft limit as far as allowed, and take fewer connections
 * than descriptors. */
static void fit_descriptors(struct sr_http_limits *l, int threads)
{
  struct rlimit rl;
  if(getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  if(rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t reserve = (rlim_t)(2 * threads + 64);
  if(rl.rlim_cur != RLIM_INFINITY && (rlim_t)l->max_connections + reserve > rl.rlim_cur) {
    unsigned fit = rl.rlim_cur > reserve + 8 ? (unsigned)(rl.rlim_cur - reserve) : 8;
    sr_warn("only %llu file descriptors: taking at most %u connections, not %u", (unsigned long long)rl.rlim_cur,
            fit, l->max_connections);
    l->max_connections = fit;
  }
}

static long shutdown_grace = SR_HTTP_SHUTDOWN_GRACE;

static void sleep_s(long s)
{
  struct timespec t = { s, 0 };
  while(nanosleep(&t, &t) != 0)
    ;
}

/* Started when the process is told to stop. Requests in flight first get half the grace to
 * finish as they are; then plugin calls still running are stopped (their requests answer 503
 * and may be sent again); at the end of the grace the process leaves whatever is left, and the
 * database rolls back what such a request had not committed. */
static void *watchdog(void *arg)
{
  (void)arg;
  sleep_s(shutdown_grace / 2);
  sr_warn("still stopping after %ld s: stopping the plugin calls in flight", shutdown_grace / 2);
  sr_plugins_interrupt();
  sleep_s(shutdown_grace - shutdown_grace / 2);
  sr_error("still stopping after %ld s: leaving the requests in flight", shutdown_grace);
  _exit(1);
}

bool sr_serve_check_env(char *err, size_t errsz)
{
  struct sr_http_limits l;
  if(!sr_http_limits_from_env(&l, err, errsz))
    return false;
  const char *g = getenv("SEREG_SHUTDOWN_GRACE");
  if(g && !sr_parse_long(g, 1, 3600, &shutdown_grace)) {
    snprintf(err, errsz, "SEREG_SHUTDOWN_GRACE takes a number of seconds from 1 to 3600");
    return false;
  }
  return sr_session_setup(err, errsz) && sr_deliver_setup(err, errsz);
}

/* Puts the set just published on the record (plugin_activation.h), from this thread. A database
 * that does not answer costs the record, not the server: it is said in the log. */
void sr_serve_note_activation(const char *event)
{
  char err[1024];
  struct sr_ctx ctx = { 0 };
  ctx.who.role = SR_ROLE_SYSTEM;
  ctx.request_id = event;
  ctx.today = sr_today();
  ctx.plugins = sr_plugins_thread(err, sizeof err);
  ctx.db = ctx.plugins ? sr_db_connect(err, sizeof err) : NULL;
  struct sr_problem pb;
  sr_problem_init(&pb);
  long id = 0;
  if(!ctx.db || sr_plugin_activation_note(&ctx, event, &id, &pb) != SR_OK)
    sr_error("plugins: the set in force is not on the record: %s", ctx.db ? pb.detail : err);
  else if(id)
    sr_info("plugins: the set in force is recorded as activation %ld", id);
  sr_problem_free(&pb);
  if(ctx.db)
    PQfinish(ctx.db);
  sr_plugins_thread_release();
}

int sr_serve(const struct sr_server_options *opt)
{
  char err[1024];
  struct sr_http_limits limits;
  if(!sr_serve_check_env(err, sizeof err) || !sr_http_limits_from_env(&limits, err, sizeof err)) {
    sr_error("%s", err);
    return 2;
  }
  if(!sr_plugins_publish_dir(opt->plugin_dir, err, sizeof err)) {
    sr_error("plugins: %s", err);
    return 1;
  }
  sr_serve_note_activation("serve.start");
  fit_descriptors(&limits, opt->threads);
  /* Signals go to this thread only; the server threads never see them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct sr_http *h = sr_http_start(opt, &limits);
  if(!h) {
    sr_plugins_unpublish();
    return 1;
  }
  sr_info("serving on http://%s:%d with %d threads, plugins from %s; at most %u connections (%u per address)",
          opt->host, opt->port, opt->threads, opt->plugin_dir, limits.max_connections, limits.max_per_ip);
  if(opt->sweep_every > 0 && sr_scheduler_start(opt->sweep_every))
    sr_info("sweeping for hazards now and every %ld s", opt->sweep_every);
  if(opt->deliver && sr_deliver_start())
    sr_info("delivering notices, up to %d at once", SR_WEBHOOK_TRANSFERS);
  for(;;) {
    int sig = 0;
    if(sigwait(&set, &sig) != 0)
      continue;
    if(sig == SIGHUP) {
      bool ok = sr_plugins_publish_dir(opt->plugin_dir, err, sizeof err);
      sr_metrics_reload(ok);
      if(ok) {
        sr_info("plugins reloaded from %s", opt->plugin_dir);
        sr_serve_note_activation("serve.reload");
      }
      else
        sr_error("plugin reload refused, keeping the loaded set: %s", err);
      continue;
    }
    sr_info("signal %d: shutting down", sig);
    break;
  }
  pthread_t w;
  if(pthread_create(&w, NULL, watchdog, NULL) == 0)
    pthread_detach(w);
  sr_scheduler_stop();
  /* Attempts in flight get a third of the grace; what is left is attempted again elsewhere. */
  sr_deliver_stop(shutdown_grace * 1000 / 3);
  sr_http_stop(h);
  sr_plugins_unpublish();
  return 0;
}
