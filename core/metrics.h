/*
 * metrics.h -- process counters for GET /metrics in the Prometheus text format: requests by
 * status, their durations, plugin failures and reloads. Lock-free; any thread may count.
 */
#ifndef sr_metrics_h
#define sr_metrics_h

#include <stdbool.h>

#include "util.h"

void sr_metrics_request(int status, double ms);
void sr_metrics_plugin_failure(void);
void sr_metrics_reload(bool ok);
/* Appends the exposition to <b>. */
bool sr_metrics_render(struct sr_buf *b);

#endif
