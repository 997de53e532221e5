/*
 * evidence.h -- evidence files (photos, scanned reports) for patrol reports and rectification
 * steps. A file is stored once, named by its SHA-256; what refers to it carries
 * {name, sha256, size, content_type}, which is checked against what was stored.
 */
#ifndef sr_evidence_h
#define sr_evidence_h

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ctx.h"

/* Stores <len> bytes of <content_type> under <name>; *out is the reference to cite. Status 201
 * when new, 200 when the same content was stored before. */
enum sr_err sr_evidence_store(struct sr_ctx *c, const char *name, const char *content_type, const void *data,
                              size_t len, cJSON **out, int *status, struct sr_problem *pb);

/* Checks a list of references (<field> names it in errors): each an object {name, sha256, size,
 * content_type} naming a stored file of that size and type. *out is the checked list as it
 * will be kept (caller owns it). Field errors land in <pb>. */
void sr_evidence_check_refs(struct sr_ctx *c, const cJSON *refs, const char *field, bool required, cJSON **out,
                            struct sr_problem *pb);

/* The size ceiling of one file: SEREG_EVIDENCE_MAX bytes (1 KiB .. 64 MiB), else SR_MAX_EVIDENCE.
 * sr_evidence_max_parse checks a value (NULL: the default) for start-up. */
size_t sr_evidence_max(void);
bool sr_evidence_max_parse(const char *s, size_t *out);

/* The file named <sha256>, when the caller uploaded it or may see a hazard or a rectification
 * step that cites it; else 404. *data (malloced, *len bytes), its type and name are the
 * caller's. */
enum sr_err sr_evidence_fetch(struct sr_ctx *c, const char *sha256, char **data, size_t *len, char type[64],
                              char name[201], struct sr_problem *pb);

/* Whether <ct> is a type evidence may have. */
bool sr_evidence_type_ok(const char *ct);

#endif
