/* org.h -- organizations (user units, agencies, maintenance units) and the jurisdiction list. */
#ifndef sr_org_h
#define sr_org_h

#include <cjson/cJSON.h>

#include "ctx.h"

struct sr_org_filter {
  const char *kind;
  const char *jurisdiction;
  long after_id;
  long limit;
  bool count; /* answer the total as well */
};

/* Registers an organization from <body>; a credit code failing its check digit needs a
 * supervisor's 'check_override_reason', which the audit log keeps. */
enum sr_err sr_org_create(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb);
/* 使用单位更名, asked through unit <named> (locked by the caller, who writes that unit's own row
 * and records): renames organization <org> (locked by the caller) to <name>. Only the city, the
 * district of the organization's jurisdiction and the system may (403 otherwise). Every other
 * unit of the organization, in any jurisdiction, gets its version moved on and a history event
 * 'rename' with its before and after, an audit record and equipment.transitioned; the
 * organization its audit record and organization.renamed. In the caller's transaction. */
enum sr_err sr_org_rename(struct sr_ctx *c, long org, long named, const char *name, const char *reason,
                          struct sr_problem *pb);
enum sr_err sr_org_list(struct sr_ctx *c, const struct sr_org_filter *f, cJSON **out,
                        struct sr_problem *pb);
enum sr_err sr_jurisdiction_list(struct sr_ctx *c, cJSON **out, struct sr_problem *pb);

#endif
