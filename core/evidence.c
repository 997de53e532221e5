/* evidence.c -- see evidence.h. */
#include "evidence.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "json.h"
#include "sql.h"
#include "sr_limits.h"

/* Photos and documents only: nothing a browser would run if someone opened it. */
static const char *const types[] = { "image/jpeg", "image/png", "image/webp", "application/pdf", NULL };

#define MAX_REFS 20
#define EVIDENCE_MAX_CEILING (64L * 1024 * 1024)

bool sr_evidence_max_parse(const char *s, size_t *out)
{
  long v;
  if(!s) {
    *out = SR_MAX_EVIDENCE;
    return true;
  }
  if(!sr_parse_long(s, 1024, EVIDENCE_MAX_CEILING, &v))
    return false;
  *out = (size_t)v;
  return true;
}

size_t sr_evidence_max(void)
{
  size_t max;
  return sr_evidence_max_parse(getenv("SEREG_EVIDENCE_MAX"), &max) ? max : SR_MAX_EVIDENCE;
}

bool sr_evidence_type_ok(const char *ct)
{
  for(const char *const *t = types; ct && *t; t++)
    if(strcasecmp(ct, *t) == 0)
      return true;
  return false;
}

/* A name is for people: printable UTF-8, no path separators. */
static bool name_ok(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > 200 || !sr_utf8_valid(s, n) || strpbrk(s, "/\\"))
    return false;
  for(size_t i = 0; i < n; i++)
    if((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

enum sr_err sr_evidence_store(struct sr_ctx *c, const char *name, const char *content_type, const void *data,
                              size_t len, cJSON **out, int *status, struct sr_problem *pb)
{
  char ct[64] = "";
  if(content_type) /* "image/png; charset=..." is image/png */
    snprintf(ct, sizeof ct, "%.*s", (int)strcspn(content_type, "; "), content_type);
  if(!name_ok(name))
    sr_problem_field(pb, "name", "must be the file's name: 1..200 bytes of text without / or \\");
  if(!sr_evidence_type_ok(ct))
    sr_problem_set(pb, SR_UNSUPPORTED_MEDIA, "Evidence is a JPEG, PNG or WebP photo or a PDF document; "
                                             "send it with its Content-Type.");
  if(len == 0)
    sr_problem_field(pb, "body", "is empty: send the file's bytes as the body");
  if(pb->err != SR_OK)
    return pb->err;
  char hex[65], size[24], account[32] = "";
  sr_sha256_hex(data, len, hex);
  snprintf(size, sizeof size, "%zu", len);
  if(c->who.account_id > 0)
    snprintf(account, sizeof account, "%ld", c->who.account_id);
  const char *p[] = { hex, name, ct, size, data, account[0] ? account : NULL, sr_role_name(c->who.role), c->request_id };
  int lens[] = { 0, 0, 0, 0, (int)len, 0, 0, 0 }, formats[] = { 0, 0, 0, 0, 1, 0, 0, 0 };
  /* The bytes go as a binary parameter: no escaping, no doubling in memory. The file and its
   * audit record are one statement, so one transaction. */
  PGresult *r = PQexecParams(c->db,
                             "WITH ins AS (INSERT INTO evidence (sha256, name, content_type, size, content, uploaded_by) "
                             "  VALUES ($1, $2, $3, $4::int, $5::bytea, $6::bigint) ON CONFLICT (sha256) DO NOTHING "
                             "  RETURNING id), "
                             "au AS (INSERT INTO audit_log (account_id, role, action, target_type, target_id, request_id, "
                             "    detail) SELECT $6::bigint, $7, 'evidence.upload', 'evidence', $1, $8, "
                             "    jsonb_build_object('name', $2::text, 'content_type', $3::text, 'size', $4::int) FROM ins) "
                             "SELECT (SELECT count(*) FROM ins) AS new",
                             8, NULL, p, lens, formats, 0);
  if(!sr_db_ok(r, PGRES_TUPLES_OK)) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "The file could not be stored.");
  }
  *status = strcmp(sr_db_get(r, 0, "new"), "1") == 0 ? 201 : 200;
  PQclear(r);
  cJSON *ref = cJSON_CreateObject();
  cJSON_AddStringToObject(ref, "name", name);
  cJSON_AddStringToObject(ref, "sha256", hex);
  cJSON_AddNumberToObject(ref, "size", (double)len);
  cJSON_AddStringToObject(ref, "content_type", ct);
  *out = ref;
  return SR_OK;
}

void sr_evidence_check_refs(struct sr_ctx *c, const cJSON *refs, const char *field, bool required, cJSON **out,
                            struct sr_problem *pb)
{
  static const char *const keys[] = { "name", "sha256", "size", "content_type", NULL };
  *out = NULL;
  if(!refs || cJSON_IsNull(refs)) {
    if(required)
      sr_problem_field(pb, field, "is required: upload the files to /api/v1/evidence and list them here");
    return;
  }
  if(!cJSON_IsArray(refs) || cJSON_GetArraySize(refs) > MAX_REFS || (required && cJSON_GetArraySize(refs) == 0)) {
    sr_problem_field(pb, field, "must be a list of 1 to %d files {name, sha256, size, content_type}", MAX_REFS);
    return;
  }
  cJSON *list = cJSON_CreateArray();
  int i = 0;
  for(const cJSON *e = refs->child; e; e = e->next, i++) {
    char f[64];
    snprintf(f, sizeof f, "%s[%d]", field, i);
    struct sr_problem sub;
    sr_problem_init(&sub);
    if(!cJSON_IsObject(e)) {
      sr_problem_field(pb, f, "must be an object {name, sha256, size, content_type}");
      continue;
    }
    sr_json_only(e, keys, &sub);
    const char *name = sr_json_string(e, "name", true, 200, &sub);
    const char *hash = sr_json_string(e, "sha256", true, 64, &sub);
    const char *ct = sr_json_string(e, "content_type", true, 63, &sub);
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(e, "size");
    if(!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > (double)EVIDENCE_MAX_CEILING)
      sr_problem_field(&sub, "size", "must be the file's size in bytes");
    if(hash && (strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64))
      sr_problem_field(&sub, "sha256", "must be 64 lowercase hex digits");
    if(name && !name_ok(name))
      sr_problem_field(&sub, "name", "must be a file name without / or \\");
    if(sub.err == SR_OK) {
      char sz[24];
      snprintf(sz, sizeof sz, "%.0f", size->valuedouble);
      const char *p[] = { hash, sz, ct };
      PGresult *r = sr_db_exec(c->db, "SELECT 1 FROM evidence WHERE sha256 = $1 AND size = $2::int "
                                      "AND content_type = $3", 3, p);
      if(!sr_db_ok(r, PGRES_TUPLES_OK))
        sr_problem_set(pb, SR_INTERNAL, "database error");
      else if(PQntuples(r) == 0)
        sr_problem_field(&sub, "sha256", "names no uploaded file of that size and type");
      PQclear(r);
    }
    for(const cJSON *x = sub.errors ? sub.errors->child : NULL; x; x = x->next)
      sr_problem_field(pb, f, "%s %s", cJSON_GetObjectItem(x, "field")->valuestring,
                       cJSON_GetObjectItem(x, "message")->valuestring);
    if(sub.err == SR_OK)
      cJSON_AddItemToArray(list, cJSON_Duplicate(e, 1));
    sr_problem_free(&sub);
  }
  *out = list;
}

enum sr_err sr_evidence_fetch(struct sr_ctx *c, const char *sha256, char **data, size_t *len, char type[64],
                              char name[201], struct sr_problem *pb)
{
  *data = NULL;
  if(!sha256 || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64) {
    sr_problem_set(pb, SR_BAD_REQUEST, "Name the file by its SHA-256.");
    sr_problem_field(pb, "sha256", "must be 64 lowercase hex digits");
    pb->err = SR_BAD_REQUEST;
    return pb->err;
  }
  /* Who may see a file: its uploader, and whoever may see a record citing it (row-level
   * security applies to both subqueries as well: the transaction runs as the caller). */
  struct sr_sql q;
  sr_sql_init(&q, "SELECT ev.content_type, ev.name, ev.content FROM evidence ev WHERE ev.sha256 = ");
  sr_sql_param(&q, sha256);
  sr_sql_add(&q, " AND (ev.uploaded_by = ");
  sr_sql_param_long(&q, c->who.account_id);
  sr_sql_add(&q, " OR EXISTS (SELECT 1 FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
                 "WHERE h.evidence @> jsonb_build_array(jsonb_build_object('sha256', ev.sha256))");
  sr_scope_supervision(&q, c, "e");
  sr_sql_add(&q, ") OR EXISTS (SELECT 1 FROM rectification_event re JOIN rectification r ON r.id = re.rectification_id "
                 "WHERE re.evidence @> jsonb_build_array(jsonb_build_object('sha256', ev.sha256))");
  sr_scope_supervision(&q, c, "r");
  sr_sql_add(&q, "))");
  if(!sr_tx_begin(c, pb)) {
    sr_sql_free(&q);
    return pb->err;
  }
  /* Binary results: the file's bytes come as they are. */
  PGresult *r = q.overflow ? NULL : PQexecParams(c->db, q.text.data, q.n, NULL, q.params, NULL, NULL, 1);
  sr_sql_free(&q);
  sr_tx_rollback(c); /* read-only */
  if(!sr_db_ok(r, PGRES_TUPLES_OK))
    sr_problem_set(pb, SR_INTERNAL, "database error");
  else if(PQntuples(r) != 1)
    sr_problem_set(pb, SR_NOT_FOUND, "No evidence file with that hash that you may see.");
  else {
    *len = (size_t)PQgetlength(r, 0, 2);
    *data = malloc(*len + 1);
    if(!*data)
      sr_problem_set(pb, SR_INTERNAL, "out of memory");
    else {
      memcpy(*data, PQgetvalue(r, 0, 2), *len);
      (*data)[*len] = '\0';
      snprintf(type, 64, "%.*s", PQgetlength(r, 0, 0), PQgetvalue(r, 0, 0));
      snprintf(name, 201, "%.*s", PQgetlength(r, 0, 1), PQgetvalue(r, 0, 1));
    }
  }
  PQclear(r);
  return pb->err;
}
