/* accreditation.h -- which equipment types (and varieties) an inspection agency may inspect,
 * over which period. The city supervisor manages them; uploads and agency visibility obey them. */
#ifndef sr_accreditation_h
#define sr_accreditation_h

#include <cjson/cJSON.h>

#include "ctx.h"

enum sr_err sr_accreditation_create(struct sr_ctx *c, long agency_id, const cJSON *body, cJSON **out,
                                    struct sr_problem *pb);
enum sr_err sr_accreditation_list(struct sr_ctx *c, long agency_id, cJSON **out, struct sr_problem *pb);

/* SR_OK when agency <agency_id> is accredited for <type>/<variety> on <on>; SR_FORBIDDEN (with
 * the reason in <pb>) when not. */
enum sr_err sr_accreditation_check(struct sr_ctx *c, long agency_id, const char *type, const char *variety,
                                   const char *on, struct sr_problem *pb);

#endif
