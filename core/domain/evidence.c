/* evidence.c -- see evidence.h. */
#include "evidence.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "tx.h"
#include "flow.h"
#include "json.h"
#include "plugin.h"
#include "sql.h"
#include "sr_limits.h"

/* Photos and documents only: nothing a browser would run if someone opened it. */
static const char *const types[] = { "image/jpeg", "image/png", "image/webp", "application/pdf", NULL };

#define MAX_REFS 20
#define EVIDENCE_MAX_CEILING (64L * 1024 * 1024)
#define EVIDENCE_QUOTA_CEILING (1L << 40)

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

bool sr_evidence_quota_parse(const char *s, size_t file_max, long *out)
{
  if(!s) {
    *out = SR_EVIDENCE_QUOTA; /* above the largest file ceiling */
    return true;
  }
  /* At least one file of the largest size: a quota no file can fit in is a mistake. */
  return sr_parse_long(s, (long)file_max, EVIDENCE_QUOTA_CEILING, out);
}

long sr_evidence_quota(void)
{
  long quota;
  size_t max = sr_evidence_max();
  return sr_evidence_quota_parse(getenv("SEREG_EVIDENCE_QUOTA"), max, &quota) ? quota : SR_EVIDENCE_QUOTA;
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

/* Whether the caller's role cites evidence anywhere, so may upload it: coordinators in patrol
 * reports, supervisors in the hazards they enter, and whoever a loaded workflow lets take a
 * step (a step may carry evidence whether or not it requires it). */
static bool may_upload(const struct sr_ctx *c)
{
  switch(c->who.role) {
  case SR_ROLE_COORDINATOR:
  case SR_ROLE_CITY:
  case SR_ROLE_DISTRICT:
    return true;
  case SR_ROLE_NONE:
  case SR_ROLE_SYSTEM: /* no account to charge, and nothing of its own to cite */
    return false;
  default:
    break;
  }
  const char *role = sr_role_name(c->who.role);
  for(int i = 0; c->plugins && i < sr_plugins_nworkflows(c->plugins); i++) {
    const cJSON *ts = cJSON_GetObjectItem(sr_plugins_workflow_at(c->plugins, i)->spec, "transitions");
    for(const cJSON *t = ts ? ts->child : NULL; t; t = t->next)
      if(sr_flow_list_has(cJSON_GetObjectItem(t, "roles"), role))
        return true;
  }
  return false;
}

static cJSON *reference(const char *name, const char *hex, long size, const char *ct)
{
  cJSON *ref = cJSON_CreateObject();
  cJSON_AddStringToObject(ref, "name", name);
  cJSON_AddStringToObject(ref, "sha256", hex);
  cJSON_AddNumberToObject(ref, "size", (double)size);
  cJSON_AddStringToObject(ref, "content_type", ct);
  return ref;
}

/* Refuses the upload with 429 when <len> more bytes would take the account past its quota in
 * the last 24 hours; Retry-After is when enough of its earlier uploads leave the window. The
 * caller holds the account's lock, so the sum cannot change under it. */
static enum sr_err charge(struct sr_ctx *c, const char *account, size_t len, struct sr_problem *pb)
{
  long quota = sr_evidence_quota();
  const char *p[] = { account };
  PGresult *r = sr_db_exec(c->db, "SELECT coalesce(sum(bytes), 0) FROM evidence_upload "
                                  "WHERE account_id = $1 AND uploaded_at > now() - interval '24 hours'", 1, p);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) {
    PQclear(r);
    return sr_problem_set(pb, SR_INTERNAL, "database error");
  }
  long used = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  if(used + (long)len <= quota)
    return SR_OK;
  char excess[24];
  snprintf(excess, sizeof excess, "%ld", used + (long)len - quota);
  const char *q[] = { account, excess };
  r = sr_db_exec(c->db,
                 "SELECT greatest(1, ceil(extract(epoch FROM min(uploaded_at) + interval '24 hours' - now())))::bigint "
                 "FROM (SELECT uploaded_at, sum(bytes) OVER (ORDER BY uploaded_at, evidence_id ROWS UNBOUNDED PRECEDING) "
                 "  AS freed FROM evidence_upload WHERE account_id = $1 AND uploaded_at > now() - interval '24 hours') w "
                 "WHERE freed >= $2::bigint",
                 2, q);
  long after = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0))
                                                                                          : 86400;
  PQclear(r);
  sr_problem_set(pb, SR_TOO_MANY,
                 "This account has uploaded %ld of its %ld bytes of evidence in the last 24 hours; a file of %zu "
                 "bytes fits again in %ld seconds.", used, quota, len, after);
  pb->retry_after = after;
  return pb->err;
}

enum sr_err sr_evidence_store(struct sr_ctx *c, const char *name, const char *content_type, const void *data,
                              size_t len, cJSON **out, int *status, struct sr_problem *pb)
{
  if(!may_upload(c))
    return sr_problem_set(pb, SR_FORBIDDEN, "Evidence is uploaded by the roles that cite it (coordinators, "
                                            "supervisors and those the workflows let act), not by a %s.",
                          sr_role_name(c->who.role));
  char ct[64] = "";
  if(content_type) /* "image/png; charset=..." is image/png */
    snprintf(ct, sizeof ct, "%.*s", (int)strcspn(content_type, "; "), content_type);
  for(char *t = ct; *t; t++)
    *t = (char)tolower((unsigned char)*t);
  if(!name_ok(name))
    sr_problem_field(pb, "name", "must be the file's name: 1..200 bytes of text without / or \\");
  if(!sr_evidence_type_ok(ct))
    sr_problem_set(pb, SR_UNSUPPORTED_MEDIA, "Evidence is a JPEG, PNG or WebP photo or a PDF document; "
                                             "send it with its Content-Type.");
  if(len == 0)
    sr_problem_field(pb, "body", "is empty: send the file's bytes as the body");
  if(pb->err != SR_OK)
    return pb->err;
  char hex[65], size[24], account[32];
  sr_sha256_hex(data, len, hex);
  snprintf(size, sizeof size, "%zu", len);
  snprintf(account, sizeof account, "%ld", c->who.account_id);
  if(!sr_tx_begin(c, pb))
    return pb->err;
  /* The account's uploads one at a time: two at once cannot both count the quota before either
   * is written. A share-compatible lock, so the account's other requests are not held up. */
  const char *pa[] = { account, hex };
  PGresult *r = sr_db_exec(c->db, "SELECT 1 FROM account WHERE id = $1 FOR NO KEY UPDATE", 1, pa);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  PQclear(r);
  r = NULL;
  if(ok) {
    r = sr_db_exec(c->db, "SELECT u.name, u.content_type, u.bytes FROM evidence_upload u "
                          "JOIN evidence ev ON ev.id = u.evidence_id WHERE ev.sha256 = $2 AND u.account_id = $1",
                   2, pa);
    ok = sr_db_ok(r, PGRES_TUPLES_OK);
  }
  if(!ok) {
    PQclear(r);
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "The file could not be stored.");
  }
  if(PQntuples(r) == 1) { /* its own file again: the reference it was given, nothing written */
    *out = reference(PQgetvalue(r, 0, 0), hex, atol(PQgetvalue(r, 0, 2)), PQgetvalue(r, 0, 1));
    *status = 200;
    PQclear(r);
    sr_tx_rollback(c);
    return SR_OK;
  }
  PQclear(r);
  if(charge(c, account, len, pb) != SR_OK) {
    sr_tx_rollback(c);
    return pb->err;
  }
  /* The bytes go as a binary parameter: no escaping, no doubling in memory. Whether they were
   * stored already is nobody's business but the database's: this caller's answer is the same. */
  const char *p[] = { hex, name, ct, size, data, account };
  int lens[] = { 0, 0, 0, 0, (int)len, 0 }, formats[] = { 0, 0, 0, 0, 1, 0 };
  r = PQexecParams(c->db,
                   "INSERT INTO evidence (sha256, name, content_type, size, content, uploaded_by) "
                   "VALUES ($1, $2, $3, $4::int, $5::bytea, $6::bigint) ON CONFLICT (sha256) DO NOTHING",
                   6, NULL, p, lens, formats, 0);
  ok = sr_db_ok(r, PGRES_COMMAND_OK);
  PQclear(r);
  /* A separate statement: one that waited for a concurrent insert of the same bytes sees it. */
  const char *q[] = { hex, name, ct, size, account };
  r = ok ? sr_db_exec(c->db,
                      "WITH up AS (INSERT INTO evidence_upload (evidence_id, account_id, name, content_type, bytes) "
                      "  SELECT id, $5::bigint, $2, $3, $4::int FROM evidence WHERE sha256 = $1 RETURNING 1) "
                      "SELECT sereg_record(jsonb_build_array(jsonb_build_object('audit', jsonb_build_object("
                      "  'action', 'evidence.upload', 'target_type', 'evidence', 'target_id', $1::text, "
                      "  'detail', jsonb_build_object('name', $2::text, 'content_type', $3::text, 'size', $4::int))))) "
                      "FROM up",
                      5, q)
         : NULL;
  ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  PQclear(r);
  if(!ok || !sr_tx_commit(c, pb)) {
    sr_tx_rollback(c);
    return sr_problem_set(pb, SR_INTERNAL, "The file could not be stored.");
  }
  *status = 201;
  *out = reference(name, hex, (long)len, ct);
  return SR_OK;
}

/* Whether the caller may cite the file <hash> of <size> bytes and <ct>: it uploaded it, or it
 * may read a hazard or a rectification step that cites it (row-level security applies too: the
 * transaction runs as the caller). 1 yes, 0 no, -1 on database error. */
static int may_cite(struct sr_ctx *c, const char *hash, const char *size, const char *ct)
{
  struct sr_sql q;
  sr_sql_init(&q, "SELECT EXISTS (SELECT 1 FROM evidence ev JOIN evidence_upload u ON u.evidence_id = ev.id "
                  "WHERE ev.sha256 = ");
  sr_sql_param(&q, hash);
  sr_sql_add(&q, " AND u.account_id = ");
  sr_sql_param_long(&q, c->who.account_id);
  sr_sql_add(&q, " AND u.bytes = ");
  sr_sql_param(&q, size);
  sr_sql_add(&q, "::int AND u.content_type = ");
  sr_sql_param(&q, ct);
  sr_sql_add(&q, ") OR EXISTS (SELECT 1 FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
                 "WHERE h.evidence @> jsonb_build_array(jsonb_build_object('sha256', $1::text, 'size', $3::int, "
                 "'content_type', $4::text))");
  sr_scope_supervision(&q, c, "e");
  sr_sql_add(&q, ") OR EXISTS (SELECT 1 FROM rectification_event re JOIN rectification r ON r.id = re.rectification_id "
                 "WHERE re.evidence @> jsonb_build_array(jsonb_build_object('sha256', $1::text, 'size', $3::int, "
                 "'content_type', $4::text))");
  sr_scope_supervision(&q, c, "r");
  sr_sql_add(&q, ") AS may");
  PGresult *r = q.overflow ? NULL : sr_db_exec(c->db, q.text.data, q.n, q.params);
  sr_sql_free(&q);
  int rc = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1 ? strcmp(PQgetvalue(r, 0, 0), "t") == 0 : -1;
  PQclear(r);
  return rc;
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
      /* One answer whether or not such a file is stored: what others uploaded is not told. */
      int may = may_cite(c, hash, sz, ct);
      if(may < 0)
        sr_problem_set(pb, SR_INTERNAL, "database error");
      else if(!may)
        sr_problem_field(&sub, "sha256", "names no file of that size and type that you uploaded or may see cited");
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
  /* Who may see a file: whoever uploaded it, and whoever may see a record citing it (row-level
   * security applies to the subqueries as well: the transaction runs as the caller). Its name
   * and type are the caller's own upload's, else those of a citation it may read: never what
   * another account called it. */
  struct sr_sql q;
  sr_sql_init(&q, "SELECT coalesce(mine.content_type, cited.content_type) AS content_type, "
                  "coalesce(mine.name, cited.name) AS name, ev.content FROM evidence ev "
                  "LEFT JOIN evidence_upload mine ON mine.evidence_id = ev.id AND mine.account_id = ");
  sr_sql_param_long(&q, c->who.account_id);
  sr_sql_add(&q, " LEFT JOIN LATERAL (SELECT x->>'name' AS name, x->>'content_type' AS content_type FROM ("
                 "  SELECT h.evidence AS list FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
                 "  WHERE h.evidence @> jsonb_build_array(jsonb_build_object('sha256', ev.sha256))");
  sr_scope_supervision(&q, c, "e");
  sr_sql_add(&q, "  UNION ALL SELECT re.evidence FROM rectification_event re "
                 "  JOIN rectification r ON r.id = re.rectification_id "
                 "  WHERE re.evidence @> jsonb_build_array(jsonb_build_object('sha256', ev.sha256))");
  sr_scope_supervision(&q, c, "r");
  sr_sql_add(&q, ") citing CROSS JOIN LATERAL jsonb_array_elements(citing.list) x "
                 "  WHERE x->>'sha256' = ev.sha256 LIMIT 1) cited ON true "
                 "WHERE (mine.name IS NOT NULL OR cited.name IS NOT NULL) AND ev.sha256 = ");
  sr_sql_param(&q, sha256);
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
