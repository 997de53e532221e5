/*
 * metrics.h -- process counters for GET /metrics in the Prometheus text format: requests by
 * status, their durations, plugin calls, failures and reloads, and the scheduler's sweeps. Lock-free; any thread may count.
 */
#ifndef sr_metrics_h
#define sr_metrics_h

#include <stdbool.h>

#include "util.h"

void sr_metrics_request(int status, double ms);
void sr_metrics_plugin_failure(void);
/* The plugin functions whose calls are counted: what a request costs in plugin calls is part of
 * its contract (a batch asks next_due() once per unit, not once per result; a notice is rendered
 * once per delivery attempt). */
enum sr_plugin_fn {
  SR_FN_VALIDATE,
  SR_FN_NEXT_DUE,
  SR_FN_CHECK_INSPECTION,
  SR_FN_HAZARDS,
  SR_FN_DECIDE,
  SR_FN_RENDER,
  SR_FN_COUNT
};
void sr_metrics_plugin_call(enum sr_plugin_fn fn);
void sr_metrics_reload(bool ok);
/* One sweep of the server's scheduler: its outcome and duration, and (when it succeeded) what
 * it changed: hazards opened and closed, rungs fired, held and left by a failing plugin, and
 * rectifications found overdue. */
void sr_metrics_sweep(bool ok, double seconds, const long changes[6]);
/* The notice worker's: attempts by outcome (delivered, retry, failed, gone, in that order), the
 * time from an event's writing to a 2xx, what it fanned out and had refused and disabled, and
 * the database's figures it looks at now and then (pending deliveries, the oldest one's age,
 * subscriptions disabled). */
#define SR_NOTICE_ATTEMPT_KINDS 4
void sr_metrics_notice_attempt(int kind, long n);
void sr_metrics_notice_latency(double seconds);
void sr_metrics_notice_work(long events, long refused_results, long subscriptions_disabled);
void sr_metrics_notice_gauges(long pending, double oldest_s, long disabled);
/* Claimed deliveries not sent because their lease ran short while they waited for a transfer. */
void sr_metrics_notice_lapsed(long n);
/* People's logins and sessions (domain/session.c): logins by result (success, failure, locked:
 * refused because the account is locked, or the failure that locked it), logouts, and the
 * sessions live now as the database last said. */
void sr_metrics_login(int result);
void sr_metrics_logout(void);
void sr_metrics_sessions_active(long n);
/* ==== figures ==== */
/* One computation of GET /api/v1/figures: answered, refused (bad input, scope) or failed, and
 * its time. */
enum sr_figures_result { SR_FIGURES_OK, SR_FIGURES_REFUSED, SR_FIGURES_FAILED, SR_FIGURES__COUNT };
void sr_metrics_figures(enum sr_figures_result result, double seconds);

/* Appends the exposition to <b>: how the process is doing, and with <business> also what the
 * sweeps changed in the registry (hazards opened and closed, rungs fired, rectifications
 * overdue), which is supervision data and shown only to a caller who may see it. */
bool sr_metrics_render(struct sr_buf *b, bool business);

#endif
