/*
 * metrics.h -- process counters for GET /metrics in the Prometheus text format: requests by
 * status, their durations, plugin failures and reloads, and the scheduler's sweeps. Lock-free; any thread may count.
 */
#ifndef sr_metrics_h
#define sr_metrics_h

#include <stdbool.h>

#include "util.h"

void sr_metrics_request(int status, double ms);
void sr_metrics_plugin_failure(void);
void sr_metrics_reload(bool ok);
/* One sweep of the server's scheduler: its outcome and duration, and (when it succeeded) what
 * it changed: hazards opened and closed, rungs fired, held and left by a failing plugin, and
 * rectifications found overdue. */
void sr_metrics_sweep(bool ok, double seconds, const long changes[6]);
/* Appends the exposition to <b>: how the process is doing, and with <business> also what the
 * sweeps changed in the registry (hazards opened and closed, rungs fired, rectifications
 * overdue), which is supervision data and shown only to a caller who may see it. */
bool sr_metrics_render(struct sr_buf *b, bool business);

#endif
