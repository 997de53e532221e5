/* api_int.h -- what the HTTP handler files share: reading bodies, paging, versions. */
#ifndef sr_api_int_h
#define sr_api_int_h

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "http.h"

/* The body as a JSON object, or NULL with the problem set. Caller owns it. */
cJSON *sr_api_body(struct sr_call *call);
/* For a POST that takes no body: true when none came, or an empty JSON object; else false with
 * the problem (400 for what is not JSON, 422 naming each field sent). */
bool sr_api_no_fields(struct sr_call *call);
/* Answers with ETag "<version>" of <rec>. */
void sr_api_etag(struct sr_call *call, const cJSON *rec);
/* Answers 201 with the ETag of call->json and Location <collection>/<its id>. */
void sr_api_created(struct sr_call *call, const char *collection);
/* limit and cursor of a list in id order; false with the problem set. */
bool sr_api_page(struct sr_call *call, long *limit, long *after);
/* count=true|false of a list: false with the problem set. */
bool sr_api_total(struct sr_call *call, bool *count);
/* The versions If-Match lets a change act on (428 when missing, 400 when malformed). */
bool sr_api_if_match(struct sr_call *call, struct sr_versions *versions);
/* A change of a versioned record {id} at one of the If-Match <versions>, with a JSON body. */
typedef enum sr_err (*sr_versioned_change)(struct sr_ctx *c, long id, const struct sr_versions *versions,
                                           const cJSON *body, cJSON **out, struct sr_problem *pb);
/* Takes If-Match and the body, runs <change>, answers with the record and its ETag. */
void sr_api_change(struct sr_call *call, sr_versioned_change change);
/* Query parameter <name> when it is one of <allowed>; else a field error (and NULL). */
const char *sr_api_enum(struct sr_call *call, const char *name, const char *const *allowed, const char *say);

/* GET /api/v1/{kind} as JSON, or every matching row as CSV or xlsx (api.c). */
void sr_api_list(struct sr_call *call, const char *kind);

/* api_hazard.c */
void sr_h_hazard_list(struct sr_call *call);
void sr_h_hazard_get(struct sr_call *call);
void sr_h_hazard_create(struct sr_call *call);
void sr_h_rect_list(struct sr_call *call);
void sr_h_rect_create(struct sr_call *call);
void sr_h_rect_get(struct sr_call *call);
void sr_h_rect_transition(struct sr_call *call);
void sr_h_evidence_create(struct sr_call *call);
void sr_h_evidence_get(struct sr_call *call);
void sr_h_workflows(struct sr_call *call);
void sr_h_escalation(struct sr_call *call);

/* api_session.c */
void sr_h_session_create(struct sr_call *call);
void sr_h_session_get(struct sr_call *call);
void sr_h_session_delete(struct sr_call *call);
/* api_figures.c */
void sr_h_figures(struct sr_call *call);

/* api_notice.c */
void sr_h_subscription_create(struct sr_call *call);
void sr_h_subscription_list(struct sr_call *call);
void sr_h_subscription_get(struct sr_call *call);
void sr_h_subscription_update(struct sr_call *call);
void sr_h_subscription_delete(struct sr_call *call);
void sr_h_subscription_rotate(struct sr_call *call);
void sr_h_subscription_test(struct sr_call *call);
void sr_h_subscription_replay(struct sr_call *call);
void sr_h_subscription_deliveries(struct sr_call *call);
void sr_h_delivery_get(struct sr_call *call);
void sr_h_delivery_replay(struct sr_call *call);
void sr_h_notice_formats(struct sr_call *call);

#endif
