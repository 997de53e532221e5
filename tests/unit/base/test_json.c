/* test_json.c -- the shape checks of request bodies: duplicate keys are found wherever they are
 * (first members, last, nested, past the thousandth) by work that grows with the number of
 * members (n log n, counted in key comparisons rather than timed); depth and member ceilings
 * keep their messages. */
#include <stdlib.h>

#include "check.h"
#include "json.h"
#include <math.h>

#include "sr_limits.h"
#include "util.h"

/* Parses <s> as an object (or an array); NULL on success, else the problem's detail. */
static const char *shape(const char *s, size_t len, bool array)
{
  static char detail[512];
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *j = array ? sr_json_parse_array(s, len, &pb) : sr_json_parse_object(s, len, &pb);
  snprintf(detail, sizeof detail, "%s", pb.detail);
  int status = j ? 0 : sr_err_status(pb.err);
  cJSON_Delete(j);
  sr_problem_free(&pb);
  if(status != 0 && status != 400)
    fprintf(stderr, "unexpected status %d: %s\n", status, detail);
  return status == 0 ? NULL : detail;
}

static const char *object(const struct sr_buf *b) { return shape(b->data, b->len, false); }

#define DUPLICATE "The request body has a duplicate key."

/* {"k0":0,"k1":1,...} with <n> members; member <dup_at> (when >= 0) repeats the key of
 * member <dup_of>. */
static void members(struct sr_buf *b, long n, long dup_at, long dup_of)
{
  CHECK(sr_buf_printf(b, "{"));
  for(long i = 0; i < n; i++)
    CHECK(sr_buf_printf(b, "%s\"k%ld\":%ld", i ? "," : "", i == dup_at ? dup_of : i, i));
  CHECK(sr_buf_printf(b, "}"));
}

/* The shape of the slow request: a thousand keys, then 99,000 more, all distinct. Comparing
 * every key with those before it is about 5,000,000,000 comparisons; sorting them, n log n. */
static void many_distinct_keys_cost_n_log_n_work(void)
{
  for(long n = SR_MAX_JSON_MEMBERS / 4; n <= SR_MAX_JSON_MEMBERS; n *= 4) {
    struct sr_buf b;
    sr_buf_init(&b, 16 << 20);
    members(&b, n, -1, -1);
    unsigned long before = sr_json_key_comparisons();
    CHECK(object(&b) == NULL);
    unsigned long work = sr_json_key_comparisons() - before;
    printf("  %ld distinct keys: %lu comparisons\n", n, work);
    CHECK(work >= (unsigned long)n - 1);                       /* every key is compared */
    CHECK(work <= (unsigned long)(2.0 * (double)n * log2((double)n))); /* not one per earlier key */
    sr_buf_free(&b);
  }
}

static void duplicates_are_found_anywhere(void)
{
  long n = SR_MAX_JSON_MEMBERS;
  struct { long at, of; } cases[] = {
    { 1, 0 },         /* the first two members */
    { n - 1, 0 },     /* the last repeats the first */
    { n - 1, n - 2 }, /* the last two */
    { 1500, 1200 },   /* both past the thousandth member */
    { 1001, 999 },
  };
  for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct sr_buf b;
    sr_buf_init(&b, 16 << 20);
    members(&b, n, cases[i].at, cases[i].of);
    const char *e = object(&b);
    CHECK_STR(e, DUPLICATE);
    if(!e || strcmp(e, DUPLICATE) != 0)
      fprintf(stderr, "  (member %ld repeating member %ld)\n", cases[i].at, cases[i].of);
    sr_buf_free(&b);
  }
}

static const char *text(const char *s) { return shape(s, strlen(s), false); }
static const char *array(const char *s) { return shape(s, strlen(s), true); }

static void duplicates_nested_and_not(void)
{
  CHECK_STR(text("{\"a\":1,\"a\":1}"), DUPLICATE);
  CHECK_STR(text("{\"\":1,\"\":2}"), DUPLICATE);
  CHECK_STR(text("{\"x\":{\"y\":[{\"b\":1},{\"b\":1,\"c\":2,\"b\":3}]}}"), DUPLICATE);
  CHECK_STR(array("[{\"a\":1},{\"a\":1,\"a\":2}]"), DUPLICATE);
  CHECK_STR(text("{\"成都\":1,\"成都\":2}"), DUPLICATE);
  /* The same key in different objects, keys that differ only in case or length, and arrays
   * that repeat values are all fine. */
  CHECK(text("{\"a\":{\"a\":1},\"b\":{\"a\":1}}") == NULL);
  CHECK(text("{\"a\":1,\"A\":1,\"aa\":1,\"a \":1}") == NULL);
  CHECK(array("[1,1,\"a\",\"a\",{},{}]") == NULL);
  /* A set larger than the slots kept inside it, nested in one that is not. */
  struct sr_buf b;
  sr_buf_init(&b, 1 << 20);
  CHECK(sr_buf_printf(&b, "{\"outer\":"));
  members(&b, 5000, 4999, 17);
  CHECK(sr_buf_printf(&b, "}"));
  CHECK_STR(object(&b), DUPLICATE);
  sr_buf_free(&b);
}

/* The ceilings and their messages are as before: the first problem in document order wins. */
static void depth_and_member_ceilings(void)
{
  struct sr_buf b;
  sr_buf_init(&b, 1 << 20);
  for(int i = 0; i < SR_MAX_JSON_DEPTH; i++)
    CHECK(sr_buf_printf(&b, "{\"a\":"));
  CHECK(sr_buf_printf(&b, "1"));
  for(int i = 0; i < SR_MAX_JSON_DEPTH; i++)
    CHECK(sr_buf_printf(&b, "}"));
  CHECK(object(&b) == NULL);
  b.len = 0;
  for(int i = 0; i <= SR_MAX_JSON_DEPTH; i++)
    CHECK(sr_buf_printf(&b, "{\"a\":"));
  CHECK(sr_buf_printf(&b, "1"));
  for(int i = 0; i <= SR_MAX_JSON_DEPTH; i++)
    CHECK(sr_buf_printf(&b, "}"));
  CHECK_STR(object(&b), "The request body nests too deeply.");
  sr_buf_free(&b);

  sr_buf_init(&b, 16 << 20);
  members(&b, SR_MAX_JSON_MEMBERS + 1, -1, -1);
  CHECK_STR(object(&b), "The request body has too many members.");
  b.len = 0;
  CHECK(sr_buf_printf(&b, "["));
  for(long i = 0; i <= SR_MAX_JSON_MEMBERS; i++)
    CHECK(sr_buf_printf(&b, "%s0", i ? "," : ""));
  CHECK(sr_buf_printf(&b, "]"));
  CHECK_STR(shape(b.data, b.len, true), "The request body has too many members.");
  b.len = SR_MAX_JSON_MEMBERS * 2 + 1; /* the same array cut to 100,000 zeros */
  b.data[b.len - 1] = ']';
  CHECK(shape(b.data, b.len, true) == NULL);
  sr_buf_free(&b);

  CHECK_STR(text("{\"a\":1,\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}"), DUPLICATE);
  /* An object's own duplicates are found before what its members hold. */
  CHECK_STR(text("{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]],\"a\":1}"), DUPLICATE);
}

/* Sorted members read forward and back the same, and the list stays whole for cJSON's own
 * functions (adding, detaching, printing). */
static void members_sorted_by_name(void)
{
  cJSON *o = cJSON_Parse("{\"service_year\":18,\"base\":\"x\",\"由\":1,\"a\":{\"z\":1,\"b\":2},\"regime\":\"y\"}");
  CHECK(o != NULL);
  sr_json_sort_members(o);
  char *t = cJSON_PrintUnformatted(o);
  /* bytewise: ASCII before the UTF-8 of 由; a member's own members keep their order */
  CHECK_STR(t, "{\"a\":{\"z\":1,\"b\":2},\"base\":\"x\",\"regime\":\"y\",\"service_year\":18,\"由\":1}");
  free(t);
  CHECK_STR(o->child->prev->string, "由");
  const char *back[] = { "由", "service_year", "regime", "base", "a" };
  int i = 0;
  for(cJSON *m = o->child->prev; i < 5; m = m->prev, i++)
    CHECK_STR(m->string, back[i]);
  cJSON_AddNumberToObject(o, "0", 0);
  cJSON_Delete(cJSON_DetachItemFromObject(o, "base"));
  t = cJSON_PrintUnformatted(o);
  CHECK_STR(t, "{\"a\":{\"z\":1,\"b\":2},\"regime\":\"y\",\"service_year\":18,\"由\":1,\"0\":0}");
  free(t);
  cJSON_Delete(o);
  /* nothing to sort */
  sr_json_sort_members(NULL);
  cJSON *e = cJSON_CreateObject();
  sr_json_sort_members(e);
  CHECK(e->child == NULL);
  cJSON_Delete(e);
}

int main(void)
{
  RUN(members_sorted_by_name);
  RUN(many_distinct_keys_cost_n_log_n_work);
  RUN(duplicates_are_found_anywhere);
  RUN(duplicates_nested_and_not);
  RUN(depth_and_member_ceilings);
  return CHECK_DONE();
}
