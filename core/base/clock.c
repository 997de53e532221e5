/* clock.c -- see clock.h. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

int64_t sr_clock_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  const char *path = getenv("SEREG_CLOCK_FILE");
  if(!path || !*path)
    return now;
  FILE *f = fopen(path, "r");
  if(!f)
    return now;
  char line[32] = "";
  long offset = 0;
  if(fgets(line, sizeof line, f)) {
    for(char *c = line; *c; c++)
      if(*c == '\n' || *c == '\r' || *c == ' ')
        *c = '\0';
    if(!sr_parse_long(line, -3650L * 86400, 3650L * 86400, &offset))
      offset = 0;
  }
  fclose(f);
  return now + (int64_t)offset * 1000;
}
