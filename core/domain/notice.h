/*
 * notice.h -- the rules of delivering notices, apart from any database or network: the
 * settings (the retry schedule, when a failing subscription is disabled, how long delivered
 * notices are kept), what an attempt's answer means, and when the next attempt is due.
 *
 * A notice is one outbox event sent to one subscription, as a Standard Webhooks request:
 *   webhook-id         the delivery's message id ("msg_..."), the same on every attempt
 *   webhook-timestamp  this attempt's Unix seconds
 *   webhook-signature  "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under the subscription's
 *                      secret, and a second "v1,..." under the one before for a day after a
 *                      rotation
 *   body               {"type", "timestamp", "data"}: data is the event's payload with a member
 *                      "subject" = {type, id, jurisdiction, jurisdiction_name, user_unit,
 *                      user_unit_name, equipment: {id, registration_number, equipment_code,
 *                      type, address}} (the members that apply), or what the subscription's
 *                      format plugin renders from that body (plugin.h, sr_plugins_render).
 */
#ifndef sr_notice_h
#define sr_notice_h

#include <stdbool.h>
#include <stddef.h>

#include "sr_limits.h"

/* The settings, read once by sr_notice_setup:
 *   SEREG_WEBHOOK_RETRY_SCHEDULE  the wait before each attempt, the first included
 *                                 (default 0s,5s,5m,30m,2h,5h,10h,14h,20h,24h): its length is
 *                                 the number of attempts before a delivery is given up
 *   SEREG_WEBHOOK_DISABLE_AFTER   a subscription whose attempts have all failed this long is
 *                                 disabled (default 5d)
 *   SEREG_NOTICE_RETENTION        delivered and failed deliveries, and events no delivery
 *                                 needs, are pruned by the sweep after this long (default 30d) */
struct sr_notice_config {
  long long schedule_ms[SR_WEBHOOK_MAX_ATTEMPTS];
  int attempts;
  long long disable_after_ms;
  long long retention_ms;
};

/* Reads the settings; false with the reason, naming the setting, in <err>. */
bool sr_notice_setup(char *err, size_t errsz);
/* The settings (the defaults when sr_notice_setup was never called). */
const struct sr_notice_config *sr_notice_config(void);

/* What an attempt came to. */
enum sr_notice_outcome {
  SR_NOTICE_DELIVERED, /* a 2xx answer */
  SR_NOTICE_RETRY,     /* anything else, while attempts are left */
  SR_NOTICE_FAILED,    /* the last attempt failed: the delivery is dead */
  SR_NOTICE_GONE       /* 410: the receiver says it is gone, and the subscription is disabled */
};
const char *sr_notice_outcome_name(enum sr_notice_outcome o);

/* The outcome of attempt number <made> (1 for the first of a round) that got HTTP <status> (0
 * for none), and when the next is due, in ms from now, in *wait_ms: the schedule's wait with
 * <jitter> (-1..1, scaled to ±20%), or the receiver's Retry-After (<retry_after_s>, -1 for
 * none) on a 429 or 503, whichever is later. */
enum sr_notice_outcome sr_notice_judge(const struct sr_notice_config *cfg, int made, int status, long retry_after_s,
                                       double jitter, long long *wait_ms);

/* <url> as it may be shown in logs, audit records and notices about it: scheme, host, port and
 * path, without the query (a chat robot's key travels there) or anything after. */
void sr_notice_url_public(const char *url, char *out, size_t outsz);

#endif
