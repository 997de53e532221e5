/* api_figures.c -- GET /api/v1/figures: the oversight figures of the caller's scope
 * (domain/figures.c), as JSON or, for a report, as a CSV or xlsx file (domain/figures_sheet.c);
 * each computation counted and timed in /metrics. */
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "figures.h"
#include "figures_sheet.h"
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
  /* format= decides (sr_figures_read has checked it); without it Accept may ask for a file, as
   * it may of a list. */
  const char *format = sr_params_get(&q, "format"), *accept = sr_call_header(call, "Accept");
  if(!format && accept)
    format = strstr(accept, "text/csv") ? "csv"
           : strstr(accept, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") ? "xlsx"
                                                                                               : NULL;
  if(call->pb.err == SR_OK && format && strcmp(format, "json") != 0) {
    char *body = NULL;
    size_t len = 0;
    const char *type = NULL;
    if(sr_figures_sheet_render(call->json, call->ctx.plugins, format, &body, &len, &type, call->disposition,
                               sizeof call->disposition, &call->pb)) {
      call->text = body;
      call->text_len = len;
      call->text_type = type;
    }
    cJSON_Delete(call->json);
    call->json = NULL;
  }
  enum sr_err e = call->pb.err;
  sr_metrics_figures(e == SR_OK ? SR_FIGURES_OK : e == SR_INTERNAL || e == SR_UNAVAILABLE ? SR_FIGURES_FAILED
                                                                                           : SR_FIGURES_REFUSED,
                     now_s() - t0);
}
