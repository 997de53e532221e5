/*
 * clock.h -- the instant of the server's clock that logins, lockouts and sessions are measured
 * by: the real time, moved by a test. SEREG_CLOCK_FILE (test-only) names a file holding a
 * number of seconds to add to the real time; it is read on each call, so a test moves the
 * clock of a running server by rewriting the file, and shows an idle timeout of 30 minutes
 * without waiting them. SEREG_NOW pins only the calendar day of the rules, not this clock.
 */
#ifndef sr_clock_h
#define sr_clock_h

#include <stdint.h>

/* Milliseconds since 1970-01-01 UTC, with SEREG_CLOCK_FILE's offset (whole seconds) when it is
 * set. */
int64_t sr_clock_now_ms(void);

#endif
