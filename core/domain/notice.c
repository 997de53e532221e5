/* notice.c -- see notice.h. */
#include "notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define DAY_MS 86400000LL

static struct sr_notice_config config = {
  .schedule_ms = { 0, 5000, 300000, 1800000, 7200000, 18000000, 36000000, 50400000, 72000000, DAY_MS },
  .attempts = 10,
  .disable_after_ms = 5 * DAY_MS,
  .retention_ms = 30 * DAY_MS,
};

bool sr_notice_setup(char *err, size_t errsz)
{
  struct sr_notice_config c = config;
  const char *s = getenv("SEREG_WEBHOOK_RETRY_SCHEDULE");
  if(s && *s) {
    c.attempts = sr_duration_list(s, 0, 7 * DAY_MS, c.schedule_ms, SR_WEBHOOK_MAX_ATTEMPTS);
    if(c.attempts < 1) {
      snprintf(err, errsz, "SEREG_WEBHOOK_RETRY_SCHEDULE takes 1 to %d comma-separated waits of at most 7d "
                           "(such as 0s,5s,5m,30m), not '%s'", SR_WEBHOOK_MAX_ATTEMPTS, s);
      return false;
    }
  }
  s = getenv("SEREG_WEBHOOK_DISABLE_AFTER");
  if(s && *s && !sr_duration_parse(s, 1000, 365 * DAY_MS, &c.disable_after_ms)) {
    snprintf(err, errsz, "SEREG_WEBHOOK_DISABLE_AFTER takes a duration from 1s to 365d (such as 5d), not '%s'", s);
    return false;
  }
  s = getenv("SEREG_NOTICE_RETENTION");
  if(s && *s && !sr_duration_parse(s, 1000, 3650 * DAY_MS, &c.retention_ms)) {
    snprintf(err, errsz, "SEREG_NOTICE_RETENTION takes a duration from 1s to 3650d (such as 30d), not '%s'", s);
    return false;
  }
  config = c;
  return true;
}

const struct sr_notice_config *sr_notice_config(void) { return &config; }

const char *sr_notice_outcome_name(enum sr_notice_outcome o)
{
  switch(o) {
  case SR_NOTICE_DELIVERED:
    return "delivered";
  case SR_NOTICE_RETRY:
    return "retry";
  case SR_NOTICE_FAILED:
    return "failed";
  case SR_NOTICE_GONE:
    return "gone";
  }
  return "failed";
}

enum sr_notice_outcome sr_notice_judge(const struct sr_notice_config *cfg, int made, int status, long retry_after_s,
                                       double jitter, long long *wait_ms)
{
  *wait_ms = 0;
  if(status >= 200 && status < 300)
    return SR_NOTICE_DELIVERED;
  if(status == 410)
    return SR_NOTICE_GONE;
  if(made >= cfg->attempts)
    return SR_NOTICE_FAILED;
  if(jitter < -1)
    jitter = -1;
  if(jitter > 1)
    jitter = 1;
  long long wait = cfg->schedule_ms[made];
  wait += (long long)((double)wait * 0.2 * jitter);
  /* A receiver that asks for time gets at least that, up to a day. */
  if((status == 429 || status == 503) && retry_after_s >= 0) {
    long long asked = (retry_after_s > 86400 ? 86400 : retry_after_s) * 1000LL;
    if(asked > wait)
      wait = asked;
  }
  *wait_ms = wait;
  return SR_NOTICE_RETRY;
}

void sr_notice_url_public(const char *url, char *out, size_t outsz)
{
  size_t n = strcspn(url, "?#");
  if(n >= outsz)
    n = outsz - 1;
  memcpy(out, url, n);
  out[n] = '\0';
}
