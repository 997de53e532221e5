/*
 * scheduler.h -- the sweep inside `sereg serve`: once at start (catching up on any days the
 * server was down) and then every <interval> seconds, on a thread of its own with its own
 * database connection. Two servers sweeping at once is safe (see hazard.h).
 */
#ifndef sr_scheduler_h
#define sr_scheduler_h

#include <stdbool.h>

/* Starts the sweeping thread; false (and logged) when it cannot. */
bool sr_scheduler_start(long interval_seconds);
/* Asks the thread to stop, waking it from its wait, and joins it. A sweep under way finishes
 * its current chunk's transaction first. Safe to call when it was never started. */
void sr_scheduler_stop(void);

#endif
