/*
 * subscription.h -- who hears about what: a subscription names a receiver's URL, the event
 * types it wants (exact types, prefixes such as "hazard.*", or "*"), the scope it serves and the
 * format of its bodies, and holds the secret its notices are signed with.
 *
 * Who may keep one: the administrator and the city any, for any scope; a district supervisor
 * only for its own district; a user unit only for its own equipment. A subscription's scope is
 * a jurisdiction (none, or the city's: the whole city) and a user unit (the equipment of one
 * enterprise); the audience it serves (user_unit, district or city) is what an escalation rung's
 * notify list is matched against. The secret is shown once, when made or rotated, and kept
 * sealed (seal.h); without a key to seal it with no subscription can be made (503).
 * Every change is audited; URLs are audited without their query, where robot keys travel.
 */
#ifndef sr_subscription_h
#define sr_subscription_h

#include <cjson/cJSON.h>

#include "ctx.h"

struct sr_subscription_filter {
  long after_id;
  long limit;
  bool count; /* answer the total as well */
};

/* Makes a subscription from <body> {url, event_types, jurisdiction?, user_unit?, format?,
 * description?}; *out is it, with its secret. */
enum sr_err sr_subscription_create(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb);
enum sr_err sr_subscription_get(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
enum sr_err sr_subscription_list(struct sr_ctx *c, const struct sr_subscription_filter *f, cJSON **out,
                                 struct sr_problem *pb);
/* Changes url, event_types, enabled or description of subscription <id> at a <version> it
 * names. Enabling a disabled one clears why it was disabled. */
enum sr_err sr_subscription_update(struct sr_ctx *c, long id, const struct sr_versions *version,
                                   const cJSON *body, cJSON **out, struct sr_problem *pb);
/* Removes subscription <id> with its deliveries. */
enum sr_err sr_subscription_delete(struct sr_ctx *c, long id, struct sr_problem *pb);
/* A new secret for <id>; the one before stays valid for SR_WEBHOOK_ROTATION_OVERLAP seconds
 * (both signatures are sent meanwhile). *out is the subscription with the new secret. */
enum sr_err sr_subscription_rotate(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* A subscription.ping event for <id> alone, to be delivered now; *out is its delivery. */
enum sr_err sr_subscription_ping(struct sr_ctx *c, long id, cJSON **out, struct sr_problem *pb);
/* Sends again the deliveries of <id> whose events were written in [since, until) and whose
 * status is <body>'s status (failed, the default; delivered; or all); *out is {replayed: n}. */
enum sr_err sr_subscription_replay(struct sr_ctx *c, long id, const cJSON *body, cJSON **out, struct sr_problem *pb);

#endif
