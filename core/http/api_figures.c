/* api_figures.c -- GET /api/v1/figures: the oversight figures of the caller's scope
 * (domain/figures.c), each computation counted and timed in /metrics. */
#include <time.h>

#include "api_int.h"
#include "figures.h"
#include "metrics.h"

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sr_h_figures(struct sr_call *call)
{
  double t0 = now_s();
  struct sr_params q = sr_call_params(call);
  struct sr_figures_ask ask;
  if(sr_figures_read(&call->ctx, &q, &ask, &call->pb))
    sr_figures_compute(&call->ctx, &ask, &call->json, &call->pb);
  enum sr_err e = call->pb.err;
  sr_metrics_figures(e == SR_OK ? SR_FIGURES_OK : e == SR_INTERNAL || e == SR_UNAVAILABLE ? SR_FIGURES_FAILED
                                                                                           : SR_FIGURES_REFUSED,
                     now_s() - t0);
}
