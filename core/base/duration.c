/* duration.c -- see duration.h. */
#include "duration.h"

#include <stdio.h>
#include <string.h>

static const struct {
  const char *unit;
  long long ms;
} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 }, { "", 1000 } };

/* Parses the span <s>..<end> (not NUL-terminated). */
static bool parse_span(const char *s, const char *end, long long min_ms, long long max_ms, long long *ms)
{
  const char *p = s;
  long long n = 0;
  if(p == end || *p < '0' || *p > '9')
    return false;
  for(; p < end && *p >= '0' && *p <= '9'; p++) {
    if(n > (9223372036854775807LL - 9) / 10)
      return false;
    n = n * 10 + (*p - '0');
  }
  size_t ulen = (size_t)(end - p);
  for(size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if(strlen(units[i].unit) != ulen || strncmp(p, units[i].unit, ulen) != 0)
      continue;
    if(n > 9223372036854775807LL / units[i].ms)
      return false;
    long long v = n * units[i].ms;
    if(v < min_ms || v > max_ms)
      return false;
    *ms = v;
    return true;
  }
  return false;
}

bool sr_duration_parse(const char *s, long long min_ms, long long max_ms, long long *ms)
{
  return s && parse_span(s, s + strlen(s), min_ms, max_ms, ms);
}

int sr_duration_list(const char *s, long long min_ms, long long max_ms, long long *out, int max)
{
  if(!s || !*s)
    return -1;
  int n = 0;
  for(const char *p = s;;) {
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    if(n == max || !parse_span(p, end, min_ms, max_ms, &out[n]))
      return -1;
    n++;
    if(!comma)
      return n;
    p = comma + 1;
  }
}

void sr_duration_format(long long ms, char *buf, int bufsz)
{
  static const struct {
    const char *unit;
    long long ms;
  } down[] = { { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };
  if(ms == 0) {
    snprintf(buf, (size_t)bufsz, "0s");
    return;
  }
  for(size_t i = 0; i < sizeof down / sizeof down[0]; i++)
    if(ms % down[i].ms == 0) {
      snprintf(buf, (size_t)bufsz, "%lld%s", ms / down[i].ms, down[i].unit);
      return;
    }
  snprintf(buf, (size_t)bufsz, "%lldms", ms);
}
