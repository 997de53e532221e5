/*
 * duration.h -- spans of time as the settings write them: "250ms", "15s", "5m", "2h", "5d",
 * or a bare number of seconds; and comma-separated lists of them ("0s,5s,5m,30m"), such as
 * the webhook retry schedule.
 */
#ifndef sr_duration_h
#define sr_duration_h

#include <stdbool.h>

/* Parses <s> into milliseconds, which must lie in [min_ms, max_ms]. False for anything else:
 * an empty string, a sign, a fraction, an unknown unit, spaces, overflow. */
bool sr_duration_parse(const char *s, long long min_ms, long long max_ms, long long *ms);

/* Parses the comma-separated list <s> into at most <max> spans of [min_ms, max_ms] each, in
 * *out; returns how many, or -1 when one of them is malformed, out of range, or there are
 * more than <max> (an empty list is malformed too). */
int sr_duration_list(const char *s, long long min_ms, long long max_ms, long long *out, int max);

/* Writes <ms> as the largest unit that divides it ("5m", "1500ms", "0s") into <buf>. */
void sr_duration_format(long long ms, char *buf, int bufsz);

#endif
