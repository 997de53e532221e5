/* json.c -- see json.h. */
#include "json.h"
#include "i18n.h"

#include <stdlib.h>
#include <string.h>

#include "sr_limits.h"

static const char no_memory[] = N_("could not be checked: out of memory");

static _Thread_local unsigned long comparisons;

unsigned long sr_json_key_comparisons(void) { return comparisons; }

static int name_cmp(const void *a, const void *b)
{
  comparisons++;
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether object <j> of <n> members names one twice: its names sorted, then neighbours compared,
 * so that the cost is n log n whatever the names are (comparing each with those before it took
 * 11 s for 100,000 members), with no hash a sender could aim collisions at. 1 on a duplicate,
 * -1 when there is no memory to check. */
static int duplicate_key(const cJSON *j, size_t n)
{
  const char *small[32], **names = n <= 32 ? small : malloc(sizeof *names * n);
  if(!names)
    return -1;
  size_t k = 0;
  for(const cJSON *c = j->child; c; c = c->next)
    names[k++] = c->string;
  qsort(names, n, sizeof *names, name_cmp);
  int dup = 0;
  for(k = 1; k < n && !dup; k++) {
    comparisons++;
    dup = strcmp(names[k - 1], names[k]) == 0;
  }
  if(names != small)
    free(names);
  return dup;
}

/* Depth, member count and duplicate keys, which cJSON itself does not check. */
static const char *shape_error(const cJSON *j, int depth)
{
  if(depth > SR_MAX_JSON_DEPTH)
    return N_("nests too deeply");
  size_t n = 0;
  for(const cJSON *c = j->child; c; c = c->next)
    if(++n > SR_MAX_JSON_MEMBERS)
      return N_("has too many members");
  if(cJSON_IsObject(j) && n > 1) {
    int dup = duplicate_key(j, n);
    if(dup)
      return dup > 0 ? N_("has a duplicate key") : no_memory;
  }
  for(const cJSON *c = j->child; c; c = c->next) {
    const char *e = shape_error(c, depth + 1);
    if(e)
      return e;
  }
  return NULL;
}

/* True when <body> holds a \u0000 escape: cJSON would cut the string there without a word. */
static bool has_nul_escape(const char *body, size_t len)
{
  for(size_t i = 0; i + 6 <= len; i++) {
    if(body[i] != '\\')
      continue;
    if(memcmp(body + i, "\\u0000", 6) == 0)
      return true;
    i++; /* skip the escaped character, so "\\\\u0000" is text, not an escape */
  }
  return false;
}

static cJSON *parse_checked(const char *body, size_t len, bool array, struct sr_problem *pb);

cJSON *sr_json_parse_object(const char *body, size_t len, struct sr_problem *pb)
{
  return parse_checked(body, len, false, pb);
}

cJSON *sr_json_parse_array(const char *body, size_t len, struct sr_problem *pb)
{
  return parse_checked(body, len, true, pb);
}

static cJSON *parse_checked(const char *body, size_t len, bool array, struct sr_problem *pb)
{
  if(!body || len == 0) {
    sr_problem_set(pb, SR_BAD_REQUEST, "The request body is empty; send a JSON %s.",
                   array ? _("array") : _("object"));
    return NULL;
  }
  if(!sr_utf8_valid(body, len)) {
    sr_problem_set(pb, SR_BAD_REQUEST, "The request body is not valid UTF-8.");
    return NULL;
  }
  if(has_nul_escape(body, len)) {
    sr_problem_set(pb, SR_BAD_REQUEST, "The request body contains a \\u0000 escape; NUL is not allowed in text.");
    return NULL;
  }
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if(!j) {
    sr_problem_set(pb, SR_BAD_REQUEST, "The request body is not valid JSON (near byte %ld).",
                   end ? (long)(end - body) : 0L);
    return NULL;
  }
  while(end && (size_t)(end - body) < len && strchr(" \t\r\n", *end))
    end++;
  const char *shape = NULL;
  if(end && (size_t)(end - body) < len)
    shape = "has trailing characters after the JSON value";
  else if(array ? !cJSON_IsArray(j) : !cJSON_IsObject(j))
    shape = array ? "must be a JSON array" : "must be a JSON object";
  else
    shape = shape_error(j, 0);
  if(shape) {
    sr_problem_set(pb, shape == no_memory ? SR_INTERNAL : SR_BAD_REQUEST, "The request body %s.", _(shape));
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

void sr_json_only(const cJSON *obj, const char *const *allowed, struct sr_problem *pb)
{
  for(const cJSON *c = obj->child; c; c = c->next) {
    const char *const *a;
    for(a = allowed; *a; a++)
      if(strcmp(*a, c->string) == 0)
        break;
    if(!*a)
      sr_problem_field(pb, c->string, "is not a known field");
  }
}

const char *sr_json_string(const cJSON *obj, const char *key, bool required, size_t maxlen,
                           struct sr_problem *pb)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if(!v || cJSON_IsNull(v)) {
    if(required)
      sr_problem_field(pb, key, "is required");
    return NULL;
  }
  if(!cJSON_IsString(v)) {
    sr_problem_field(pb, key, "must be a string");
    return NULL;
  }
  size_t n = strlen(v->valuestring);
  if(n == 0 || n > maxlen) {
    sr_problem_field(pb, key, "must be 1 to %zu bytes long", maxlen);
    return NULL;
  }
  return v->valuestring;
}

bool sr_json_date(const cJSON *obj, const char *key, bool required, struct sr_date *out,
                  struct sr_problem *pb)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if(!v || cJSON_IsNull(v)) {
    if(required)
      sr_problem_field(pb, key, "is required");
    return false;
  }
  if(!cJSON_IsString(v) || !sr_date_parse(v->valuestring, out)) {
    sr_problem_field(pb, key, "must be a date YYYY-MM-DD");
    return false;
  }
  return true;
}

char *sr_json_text(const cJSON *j) { return cJSON_PrintUnformatted(j); }

const char *sr_json_str(const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *sr_json_str_or(const cJSON *obj, const char *key, const char *otherwise)
{
  const char *s = sr_json_str(obj, key);
  return s ? s : otherwise;
}

void sr_json_move_last(cJSON *obj, const char *const *keys)
{
  for(const char *const *k = keys; *k; k++) {
    cJSON *m = cJSON_DetachItemFromObjectCaseSensitive(obj, *k);
    if(m)
      cJSON_AddItemToObject(obj, *k, m);
  }
}

static int member_cmp(const void *a, const void *b)
{
  return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

void sr_json_sort_members(cJSON *obj)
{
  size_t n = 0;
  for(cJSON *m = obj ? obj->child : NULL; m; m = m->next)
    n++;
  if(n < 2)
    return;
  cJSON **v = malloc(n * sizeof *v);
  if(!v)
    return;
  size_t i = 0;
  for(cJSON *m = obj->child; m; m = m->next)
    v[i++] = m;
  qsort(v, n, sizeof *v, member_cmp);
  /* cJSON's list: next runs forward and ends in NULL; the first member's prev is the last. */
  for(i = 0; i < n; i++) {
    v[i]->next = i + 1 < n ? v[i + 1] : NULL;
    v[i]->prev = i ? v[i - 1] : v[n - 1];
  }
  obj->child = v[0];
  free(v);
}
