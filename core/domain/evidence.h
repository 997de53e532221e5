/*
 * evidence.h -- evidence files (photos, scanned reports) for patrol reports and rectification
 * steps. A file is stored once, named by its SHA-256, and uploaded by each account that sends it
 * (evidence_upload); what refers to it carries {name, sha256, size, content_type}, which is
 * checked against what the caller may know of it.
 */
#ifndef sr_evidence_h
#define sr_evidence_h

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ctx.h"

/* Stores <len> bytes of <content_type> under <name> as the caller's upload; *out is the
 * reference to cite. Only roles that cite evidence upload (403), within the account's quota of
 * bytes per 24 hours (429 with pb->retry_after). Status 201 for the caller's first upload of
 * these bytes, whether or not another account stored them before; 200 with the reference it
 * got then when it uploads them again (nothing is written or charged). */
enum sr_err sr_evidence_store(struct sr_ctx *c, const char *name, const char *content_type, const void *data,
                              size_t len, cJSON **out, int *status, struct sr_problem *pb);

/* Checks a list of references (<field> names it in errors): each an object {name, sha256, size,
 * content_type} naming a file of that size and type that the caller uploaded, or that a hazard
 * or rectification step it may read already cites. The refusal is worded the same whether or not
 * such a file is stored. *out is the checked list as it will be kept (caller owns it). Field
 * errors land in <pb>. In the caller's transaction. */
void sr_evidence_check_refs(struct sr_ctx *c, const cJSON *refs, const char *field, bool required, cJSON **out,
                            struct sr_problem *pb);

/* The size ceiling of one file: SEREG_EVIDENCE_MAX bytes (1 KiB .. 64 MiB), else SR_MAX_EVIDENCE.
 * sr_evidence_max_parse checks a value (NULL: the default) for start-up. */
size_t sr_evidence_max(void);
bool sr_evidence_max_parse(const char *s, size_t *out);
/* The bytes one account may upload in any 24 hours: SEREG_EVIDENCE_QUOTA (from the file ceiling
 * <file_max> to 1 TiB), else SR_EVIDENCE_QUOTA. sr_evidence_quota_parse checks a value (NULL:
 * the default) for start-up. */
long sr_evidence_quota(void);
bool sr_evidence_quota_parse(const char *s, size_t file_max, long *out);

/* The file named <sha256>, when the caller uploaded it or may see a hazard or a rectification
 * step that cites it; else 404. *data (malloced, *len bytes) is the caller's; its type and name
 * are those the caller gave it, or those of a citation it may see. */
enum sr_err sr_evidence_fetch(struct sr_ctx *c, const char *sha256, char **data, size_t *len, char type[64],
                              char name[201], struct sr_problem *pb);

/* Whether <ct> is a type evidence may have. */
bool sr_evidence_type_ok(const char *ct);

#endif
