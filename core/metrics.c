/* metrics.c -- see metrics.h. */
#include "metrics.h"

#include <stdatomic.h>

static const double bucket_ms[] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000 };
#define NBUCKETS (sizeof bucket_ms / sizeof *bucket_ms)

static atomic_long by_status[600];        /* requests by HTTP status */
static atomic_long buckets[NBUCKETS + 1]; /* the last one is +Inf */
static atomic_llong duration_us;          /* sum of durations */
static atomic_long plugin_failures, reloads_ok, reloads_failed;

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

void sr_metrics_reload(bool ok) { atomic_fetch_add(ok ? &reloads_ok : &reloads_failed, 1); }

bool sr_metrics_render(struct sr_buf *b)
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
  ok = ok && sr_buf_printf(b, "# HELP sereg_plugin_reloads_total Plugin reloads on SIGHUP, by outcome.\n"
                              "# TYPE sereg_plugin_reloads_total counter\n"
                              "sereg_plugin_reloads_total{outcome=\"ok\"} %ld\n"
                              "sereg_plugin_reloads_total{outcome=\"refused\"} %ld\n",
                           atomic_load(&reloads_ok), atomic_load(&reloads_failed));
  return ok;
}
