/* test_notice.c -- the rules of delivering notices: the settings, what an answer means, and
 * when the next attempt is due. */
#include <stdlib.h>

#include "check.h"
#include "notice.h"

static void defaults_follow_the_standard_schedule(void)
{
  const struct sr_notice_config *c = sr_notice_config();
  CHECK_INT(c->attempts, 10);
  CHECK(c->schedule_ms[0] == 0 && c->schedule_ms[1] == 5000 && c->schedule_ms[2] == 300000 &&
        c->schedule_ms[9] == 86400000LL);
  CHECK(c->disable_after_ms == 5 * 86400000LL && c->retention_ms == 30 * 86400000LL);
}

static void answers_are_judged(void)
{
  const struct sr_notice_config *c = sr_notice_config();
  long long w = -1;
  CHECK_INT(sr_notice_judge(c, 1, 200, -1, 0, &w), SR_NOTICE_DELIVERED);
  CHECK_INT(sr_notice_judge(c, 1, 204, -1, 0, &w), SR_NOTICE_DELIVERED);
  CHECK_INT(sr_notice_judge(c, 10, 299, -1, 0, &w), SR_NOTICE_DELIVERED);
  CHECK_INT(sr_notice_judge(c, 1, 410, -1, 0, &w), SR_NOTICE_GONE);
  /* 3xx, 4xx, 5xx and no answer at all are failures, retried on the schedule */
  int failing[] = { 0, 199, 300, 302, 400, 404, 409, 429, 500, 503 };
  for(size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
    CHECK_INT(sr_notice_judge(c, 1, failing[i], -1, 0, &w), SR_NOTICE_RETRY);
    CHECK(w == 5000);
    CHECK_INT(sr_notice_judge(c, 10, failing[i], -1, 0, &w), SR_NOTICE_FAILED);
  }
  CHECK_INT(sr_notice_judge(c, 2, 500, -1, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 300000);
  CHECK_INT(sr_notice_judge(c, 9, 500, -1, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 86400000LL);
}

static void jitter_stays_within_a_fifth(void)
{
  const struct sr_notice_config *c = sr_notice_config();
  long long w;
  sr_notice_judge(c, 2, 500, -1, 1, &w);
  CHECK(w == 360000);
  sr_notice_judge(c, 2, 500, -1, -1, &w);
  CHECK(w == 240000);
  sr_notice_judge(c, 2, 500, -1, 7, &w); /* out of range is held to the edge */
  CHECK(w == 360000);
}

static void retry_after_is_honoured_on_429_and_503_only(void)
{
  const struct sr_notice_config *c = sr_notice_config();
  long long w;
  CHECK_INT(sr_notice_judge(c, 1, 429, 60, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 60000);
  CHECK_INT(sr_notice_judge(c, 1, 503, 7, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 7000);
  CHECK_INT(sr_notice_judge(c, 2, 503, 7, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 300000); /* the schedule's wait when it is the longer */
  CHECK_INT(sr_notice_judge(c, 1, 500, 60, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 5000);
  CHECK_INT(sr_notice_judge(c, 1, 429, 10 * 86400, 0, &w), SR_NOTICE_RETRY);
  CHECK(w == 86400000LL); /* at most a day */
  CHECK_INT(sr_notice_judge(c, 10, 429, 60, 0, &w), SR_NOTICE_FAILED);
}

static void settings_are_read_and_refused(void)
{
  char err[256];
  setenv("SEREG_WEBHOOK_RETRY_SCHEDULE", "0s,1s,2s", 1);
  setenv("SEREG_WEBHOOK_DISABLE_AFTER", "3s", 1);
  setenv("SEREG_NOTICE_RETENTION", "1s", 1);
  CHECK(sr_notice_setup(err, sizeof err));
  const struct sr_notice_config *c = sr_notice_config();
  CHECK(c->attempts == 3 && c->schedule_ms[2] == 2000 && c->disable_after_ms == 3000 && c->retention_ms == 1000);
  long long w;
  CHECK_INT(sr_notice_judge(c, 3, 500, -1, 0, &w), SR_NOTICE_FAILED);
  const char *bad[][2] = { { "SEREG_WEBHOOK_RETRY_SCHEDULE", "0s,,1s" },
                           { "SEREG_WEBHOOK_RETRY_SCHEDULE", "0s,8d" },
                           { "SEREG_WEBHOOK_RETRY_SCHEDULE", "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s" },
                           { "SEREG_WEBHOOK_DISABLE_AFTER", "0s" },
                           { "SEREG_WEBHOOK_DISABLE_AFTER", "five days" },
                           { "SEREG_NOTICE_RETENTION", "-1d" } };
  for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("SEREG_WEBHOOK_RETRY_SCHEDULE", "0s,1s,2s", 1);
    setenv("SEREG_WEBHOOK_DISABLE_AFTER", "3s", 1);
    setenv("SEREG_NOTICE_RETENTION", "1s", 1);
    setenv(bad[i][0], bad[i][1], 1);
    err[0] = '\0';
    CHECK(!sr_notice_setup(err, sizeof err));
    CHECK(strstr(err, bad[i][0]) != NULL);
    CHECK(sr_notice_config()->attempts == 3); /* the settings before stay */
  }
}

static void urls_lose_their_query_when_shown(void)
{
  char b[128];
  sr_notice_url_public("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx", b, sizeof b);
  CHECK_STR(b, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send");
  sr_notice_url_public("https://h.example/x#frag", b, sizeof b);
  CHECK_STR(b, "https://h.example/x");
  sr_notice_url_public("https://h.example:8443/in", b, 12);
  CHECK_STR(b, "https://h.e");
}

int main(void)
{
  RUN(defaults_follow_the_standard_schedule);
  RUN(answers_are_judged);
  RUN(jitter_stays_within_a_fifth);
  RUN(retry_after_is_honoured_on_429_and_503_only);
  RUN(settings_are_read_and_refused);
  RUN(urls_lose_their_query_when_shown);
  return CHECK_DONE();
}
