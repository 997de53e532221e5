/* metrics.c -- see metrics.h. */
#include "metrics.h"

#include <stdatomic.h>
#include <time.h>

static const double bucket_ms[] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000 };
#define NBUCKETS (sizeof bucket_ms / sizeof *bucket_ms)

static atomic_long by_status[600];        /* requests by HTTP status */
static atomic_long buckets[NBUCKETS + 1]; /* the last one is +Inf */
static atomic_llong duration_us;          /* sum of durations */
static atomic_long plugin_failures, reloads_ok, reloads_failed;
static atomic_long plugin_calls[SR_FN_COUNT];
static const char *const fn_names[SR_FN_COUNT] = { "validate", "next_due", "check_inspection", "hazards", "decide",
                                                    "render" };
static atomic_long sweeps_ok, sweeps_failed, sweep_changes[6];
static atomic_llong sweep_us, last_sweep_ok_at; /* the sweeps' total time; when the last one succeeded (s) */
static const char *const change_names[6] = { "hazard_opened", "hazard_closed", "rung_fired", "rung_held",
                                             "rung_plugin_failed", "rectification_overdue" };

void sr_metrics_request(int status, double ms)
{
  if(status >= 100 && status < 600)
    atomic_fetch_add(&by_status[status], 1);
  size_t i = 0;
  while(i < NBUCKETS && ms > bucket_ms[i])
    i++;
  atomic_fetch_add(&buckets[i], 1);
  atomic_fetch_add(&duration_us, (long long)(ms * 1000));
}

void sr_metrics_plugin_failure(void) { atomic_fetch_add(&plugin_failures, 1); }

void sr_metrics_plugin_call(enum sr_plugin_fn fn) { atomic_fetch_add(&plugin_calls[fn], 1); }

void sr_metrics_reload(bool ok) { atomic_fetch_add(ok ? &reloads_ok : &reloads_failed, 1); }

void sr_metrics_sweep(bool ok, double seconds, const long changes[6])
{
  atomic_fetch_add(ok ? &sweeps_ok : &sweeps_failed, 1);
  atomic_fetch_add(&sweep_us, (long long)(seconds * 1e6));
  if(!ok)
    return;
  atomic_store(&last_sweep_ok_at, (long long)time(NULL));
  for(int i = 0; i < 6; i++)
    atomic_fetch_add(&sweep_changes[i], changes[i]);
}

/* ==== notices ==== */

static const double latency_s[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600 };
#define NLATENCY (sizeof latency_s / sizeof *latency_s)
static const char *const attempt_names[SR_NOTICE_ATTEMPT_KINDS] = { "delivered", "retry", "failed", "gone" };
static atomic_long attempts[SR_NOTICE_ATTEMPT_KINDS], fanned_out, refused, disablings, lapsed;
static atomic_long latency[NLATENCY + 1];
static atomic_llong latency_us;
static atomic_bool gauges_set;
static atomic_long pending, disabled_now;
static atomic_llong oldest_ms;

void sr_metrics_notice_attempt(int kind, long n)
{
  if(kind >= 0 && kind < SR_NOTICE_ATTEMPT_KINDS)
    atomic_fetch_add(&attempts[kind], n);
}

void sr_metrics_notice_latency(double seconds)
{
  size_t i = 0;
  while(i < NLATENCY && seconds > latency_s[i])
    i++;
  atomic_fetch_add(&latency[i], 1);
  atomic_fetch_add(&latency_us, (long long)(seconds * 1e6));
}

void sr_metrics_notice_work(long events, long refused_results, long subscriptions_disabled)
{
  atomic_fetch_add(&fanned_out, events);
  atomic_fetch_add(&refused, refused_results);
  atomic_fetch_add(&disablings, subscriptions_disabled);
}

void sr_metrics_notice_lapsed(long n)
{
  atomic_fetch_add(&lapsed, n);
}

void sr_metrics_notice_gauges(long pending_now, double oldest_s, long disabled)
{
  atomic_store(&pending, pending_now);
  atomic_store(&oldest_ms, (long long)(oldest_s * 1000));
  atomic_store(&disabled_now, disabled);
  atomic_store(&gauges_set, true);
}

static bool render_notices(struct sr_buf *b)
{
  bool ok = sr_buf_printf(b, "# HELP sereg_notice_attempts_total Attempts to deliver a notice, by outcome.\n"
                             "# TYPE sereg_notice_attempts_total counter\n");
  for(int i = 0; i < SR_NOTICE_ATTEMPT_KINDS && ok; i++)
    ok = sr_buf_printf(b, "sereg_notice_attempts_total{outcome=\"%s\"} %ld\n", attempt_names[i], atomic_load(&attempts[i]));
  ok = ok && sr_buf_printf(b, "# HELP sereg_notice_delivery_seconds From an event's writing to a receiver's 2xx.\n"
                              "# TYPE sereg_notice_delivery_seconds histogram\n");
  long cumulative = 0;
  for(size_t i = 0; i <= NLATENCY && ok; i++) {
    cumulative += atomic_load(&latency[i]);
    if(i < NLATENCY)
      ok = sr_buf_printf(b, "sereg_notice_delivery_seconds_bucket{le=\"%g\"} %ld\n", latency_s[i], cumulative);
    else
      ok = sr_buf_printf(b, "sereg_notice_delivery_seconds_bucket{le=\"+Inf\"} %ld\n", cumulative);
  }
  ok = ok && sr_buf_printf(b, "sereg_notice_delivery_seconds_sum %.6f\nsereg_notice_delivery_seconds_count %ld\n",
                           (double)atomic_load(&latency_us) / 1e6, cumulative);
  ok = ok && sr_buf_printf(b, "# HELP sereg_notice_events_fanned_out_total Outbox events fanned out by this process.\n"
                              "# TYPE sereg_notice_events_fanned_out_total counter\nsereg_notice_events_fanned_out_total %ld\n"
                              "# HELP sereg_notice_results_refused_total Attempts whose result came after their lease "
                              "ran out (another worker had the delivery).\n"
                              "# TYPE sereg_notice_results_refused_total counter\nsereg_notice_results_refused_total %ld\n"
                              "# HELP sereg_notice_leases_lapsed_total Claimed deliveries not sent because their lease "
                              "ran short while they waited for a transfer (left to be claimed again).\n"
                              "# TYPE sereg_notice_leases_lapsed_total counter\nsereg_notice_leases_lapsed_total %ld\n"
                              "# HELP sereg_subscriptions_disabled_total Subscriptions this process disabled (410, or "
                              "failing for days).\n"
                              "# TYPE sereg_subscriptions_disabled_total counter\nsereg_subscriptions_disabled_total %ld\n",
                           atomic_load(&fanned_out), atomic_load(&refused), atomic_load(&lapsed), atomic_load(&disablings));
  if(!atomic_load(&gauges_set)) /* no worker in this process: the database's figures are another's to show */
    return ok;
  return ok && sr_buf_printf(b, "# HELP sereg_notices_pending Deliveries waiting for an attempt, in the database.\n"
                                "# TYPE sereg_notices_pending gauge\nsereg_notices_pending %ld\n"
                                "# HELP sereg_notice_oldest_pending_seconds Age of the oldest pending delivery's event.\n"
                                "# TYPE sereg_notice_oldest_pending_seconds gauge\nsereg_notice_oldest_pending_seconds %.3f\n"
                                "# HELP sereg_subscriptions_disabled Subscriptions disabled now, in the database.\n"
                                "# TYPE sereg_subscriptions_disabled gauge\nsereg_subscriptions_disabled %ld\n",
                              atomic_load(&pending), (double)atomic_load(&oldest_ms) / 1000, atomic_load(&disabled_now));
}

/* ==== logins and sessions ==== */

static const char *const login_names[] = { "success", "failure", "locked" };
static atomic_long logins[3], logouts, sessions_active;
static atomic_bool sessions_read;

void sr_metrics_login(int result)
{
  if(result >= 0 && result < 3)
    atomic_fetch_add(&logins[result], 1);
}

void sr_metrics_logout(void) { atomic_fetch_add(&logouts, 1); }

void sr_metrics_sessions_active(long n)
{
  atomic_store(&sessions_active, n);
  atomic_store(&sessions_read, true);
}

static bool render_sessions(struct sr_buf *b)
{
  bool ok = sr_buf_printf(b, "# HELP sereg_logins_total Logins by result (locked: refused for a locked account, or "
                             "the failure that locked it).\n# TYPE sereg_logins_total counter\n");
  for(int i = 0; i < 3 && ok; i++)
    ok = sr_buf_printf(b, "sereg_logins_total{result=\"%s\"} %ld\n", login_names[i], atomic_load(&logins[i]));
  ok = ok && sr_buf_printf(b, "# HELP sereg_logouts_total Sessions ended by their logout.\n"
                              "# TYPE sereg_logouts_total counter\nsereg_logouts_total %ld\n",
                           atomic_load(&logouts));
  if(!atomic_load(&sessions_read))
    return ok;
  return ok && sr_buf_printf(b, "# HELP sereg_sessions_active Sessions live now (not revoked, idle or past their end), "
                                "in the database.\n# TYPE sereg_sessions_active gauge\nsereg_sessions_active %ld\n",
                             atomic_load(&sessions_active));
}

/* ==== figures ==== */

static const double figures_s[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NFIGURES_S (sizeof figures_s / sizeof *figures_s)
static const char *const figures_result_names[SR_FIGURES__COUNT] = { "ok", "refused", "failed" };
static atomic_long figures_results[SR_FIGURES__COUNT], figures_buckets[NFIGURES_S + 1];
static atomic_llong figures_us;

void sr_metrics_figures(enum sr_figures_result result, double seconds)
{
  if((unsigned)result < SR_FIGURES__COUNT)
    atomic_fetch_add(&figures_results[result], 1);
  if(result != SR_FIGURES_OK)
    return; /* the time of a refusal says nothing of the figures' */
  size_t i = 0;
  while(i < NFIGURES_S && seconds > figures_s[i])
    i++;
  atomic_fetch_add(&figures_buckets[i], 1);
  atomic_fetch_add(&figures_us, (long long)(seconds * 1e6));
}

static bool render_figures(struct sr_buf *b)
{
  bool ok = sr_buf_printf(b, "# HELP sereg_figures_total Computations of the oversight figures, by result.\n"
                             "# TYPE sereg_figures_total counter\n");
  for(int i = 0; i < SR_FIGURES__COUNT && ok; i++)
    ok = sr_buf_printf(b, "sereg_figures_total{result=\"%s\"} %ld\n", figures_result_names[i],
                       atomic_load(&figures_results[i]));
  ok = ok && sr_buf_printf(b, "# HELP sereg_figures_seconds Time to compute the figures answered.\n"
                              "# TYPE sereg_figures_seconds histogram\n");
  long cumulative = 0;
  for(size_t i = 0; i <= NFIGURES_S && ok; i++) {
    cumulative += atomic_load(&figures_buckets[i]);
    if(i < NFIGURES_S)
      ok = sr_buf_printf(b, "sereg_figures_seconds_bucket{le=\"%g\"} %ld\n", figures_s[i], cumulative);
    else
      ok = sr_buf_printf(b, "sereg_figures_seconds_bucket{le=\"+Inf\"} %ld\n", cumulative);
  }
  return ok && sr_buf_printf(b, "sereg_figures_seconds_sum %.6f\nsereg_figures_seconds_count %ld\n",
                             (double)atomic_load(&figures_us) / 1e6, cumulative);
}

bool sr_metrics_render(struct sr_buf *b, bool business)
{
  bool ok = sr_buf_printf(b, "# HELP sereg_http_requests_total HTTP requests answered, by status.\n"
                             "# TYPE sereg_http_requests_total counter\n");
  for(int s = 100; s < 600 && ok; s++) {
    long n = atomic_load(&by_status[s]);
    if(n)
      ok = sr_buf_printf(b, "sereg_http_requests_total{code=\"%d\"} %ld\n", s, n);
  }
  ok = ok && sr_buf_printf(b, "# HELP sereg_http_request_duration_seconds Time from the request's headers to its answer.\n"
                              "# TYPE sereg_http_request_duration_seconds histogram\n");
  long cumulative = 0;
  for(size_t i = 0; i <= NBUCKETS && ok; i++) {
    cumulative += atomic_load(&buckets[i]);
    if(i < NBUCKETS)
      ok = sr_buf_printf(b, "sereg_http_request_duration_seconds_bucket{le=\"%g\"} %ld\n", bucket_ms[i] / 1000,
                         cumulative);
    else
      ok = sr_buf_printf(b, "sereg_http_request_duration_seconds_bucket{le=\"+Inf\"} %ld\n", cumulative);
  }
  ok = ok && sr_buf_printf(b, "sereg_http_request_duration_seconds_sum %.6f\nsereg_http_request_duration_seconds_count %ld\n",
                           (double)atomic_load(&duration_us) / 1e6, cumulative);
  ok = ok && sr_buf_printf(b, "# HELP sereg_plugin_failures_total Plugin calls that failed (errors, budget, memory, "
                              "malformed answers).\n# TYPE sereg_plugin_failures_total counter\n"
                              "sereg_plugin_failures_total %ld\n",
                           atomic_load(&plugin_failures));
  ok = ok && sr_buf_printf(b, "# HELP sereg_plugin_calls_total Plugin functions called, by function.\n"
                              "# TYPE sereg_plugin_calls_total counter\n");
  for(int i = 0; i < SR_FN_COUNT && ok; i++)
    ok = sr_buf_printf(b, "sereg_plugin_calls_total{function=\"%s\"} %ld\n", fn_names[i], atomic_load(&plugin_calls[i]));
  ok = ok && sr_buf_printf(b, "# HELP sereg_plugin_reloads_total Plugin reloads on SIGHUP, by outcome.\n"
                              "# TYPE sereg_plugin_reloads_total counter\n"
                              "sereg_plugin_reloads_total{outcome=\"ok\"} %ld\n"
                              "sereg_plugin_reloads_total{outcome=\"refused\"} %ld\n",
                           atomic_load(&reloads_ok), atomic_load(&reloads_failed));
  ok = ok && sr_buf_printf(b, "# HELP sereg_sweeps_total Sweeps run by this server, by outcome.\n"
                              "# TYPE sereg_sweeps_total counter\n"
                              "sereg_sweeps_total{outcome=\"ok\"} %ld\nsereg_sweeps_total{outcome=\"failed\"} %ld\n"
                              "# HELP sereg_sweep_seconds_total Time spent sweeping.\n"
                              "# TYPE sereg_sweep_seconds_total counter\nsereg_sweep_seconds_total %.3f\n"
                              "# HELP sereg_sweep_last_success_timestamp_seconds When the last sweep succeeded "
                              "(0: none yet); alert when it falls behind.\n"
                              "# TYPE sereg_sweep_last_success_timestamp_seconds gauge\n"
                              "sereg_sweep_last_success_timestamp_seconds %lld\n",
                           atomic_load(&sweeps_ok), atomic_load(&sweeps_failed), (double)atomic_load(&sweep_us) / 1e6,
                           atomic_load(&last_sweep_ok_at));
  ok = ok && render_notices(b);
  ok = ok && render_sessions(b);
  ok = ok && render_figures(b);
  if(!business)
    return ok;
  ok = ok && sr_buf_printf(b, "# HELP sereg_sweep_changes_total What the sweeps changed.\n"
                              "# TYPE sereg_sweep_changes_total counter\n");
  for(int i = 0; i < 6 && ok; i++)
    ok = sr_buf_printf(b, "sereg_sweep_changes_total{change=\"%s\"} %ld\n", change_names[i],
                       atomic_load(&sweep_changes[i]));
  return ok;
}
