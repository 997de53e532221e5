/* log.c -- one line per record; a single fputs keeps lines from threads whole. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum sr_log_level min_level = SR_LOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

void sr_log_set_level(enum sr_log_level min) { min_level = min; }

void sr_log(enum sr_log_level level, const char *fmt, ...)
{
  if(level < min_level)
    return;
  char line[2048];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
  va_list ap;
  va_start(ap, fmt);
  if(n > 0 && (size_t)n < sizeof line)
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  /* One record, one line, whatever the message held (libpq's are several lines with tabs):
   * line breaks become " | ", other control characters a space, trailing ones go. */
  char out[sizeof line + 512];
  size_t o = 0, len = strlen(line);
  while(len > 0 && ((unsigned char)line[len - 1] < 0x20 || line[len - 1] == ' '))
    len--;
  for(size_t i = 0; i < len && o + 4 < sizeof out; i++) {
    unsigned char ch = (unsigned char)line[i];
    if(ch == '\n') {
      memcpy(out + o, " | ", 3);
      o += 3;
      while(i + 1 < len && (line[i + 1] == '\t' || line[i + 1] == ' ' || line[i + 1] == '\n'))
        i++;
    }
    else
      out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
  }
  out[o] = '\0';
  fprintf(stderr, "%s\n", out);
}
