/* test_util.c -- dates, UTF-8, buffers, tokens, strict JSON bodies. */
#include <stdlib.h>

#include "check.h"
#include "json.h"
#include "util.h"

static void dates_parse_only_real_days(void)
{
  struct sr_date d;
  CHECK(sr_date_parse("2024-02-29", &d) && d.y == 2024 && d.m == 2 && d.d == 29);
  CHECK(!sr_date_parse("2023-02-29", &d));
  CHECK(!sr_date_parse("1900-02-29", &d));
  CHECK(sr_date_parse("2000-02-29", &d));
  CHECK(!sr_date_parse("2024-04-31", &d));
  CHECK(!sr_date_parse("2024-13-01", &d));
  CHECK(!sr_date_parse("2024-1-01", &d));
  CHECK(!sr_date_parse("2024-01-01T00:00", &d));
  CHECK(!sr_date_parse("２０２４-01-01", &d));
  CHECK(!sr_date_parse("", &d));
  char buf[11];
  sr_date_format((struct sr_date){ 2026, 3, 7 }, buf);
  CHECK_STR(buf, "2026-03-07");
  CHECK(sr_date_cmp((struct sr_date){ 2026, 3, 7 }, (struct sr_date){ 2026, 3, 8 }) < 0);
}

static void today_follows_sereg_now(void)
{
  setenv("SEREG_NOW", "2030-06-15", 1);
  struct sr_date d = sr_today();
  CHECK(d.y == 2030 && d.m == 6 && d.d == 15);
  const char *why;
  CHECK(sr_today_check_env(&why));
  setenv("SEREG_NOW", "2030-06-31", 1);
  CHECK(!sr_today_check_env(&why));
  unsetenv("SEREG_NOW");
}

static void utf8_validation(void)
{
  CHECK(sr_utf8_valid("成都 ok", strlen("成都 ok")));
  CHECK(sr_utf8_valid("\xF0\x9F\x98\x80", 4));         /* U+1F600 */
  CHECK(!sr_utf8_valid("\xC0\xAF", 2));                /* overlong '/' */
  CHECK(!sr_utf8_valid("\xED\xA0\x80", 3));            /* surrogate */
  CHECK(!sr_utf8_valid("\xE6\x88", 2));                /* truncated */
  CHECK(!sr_utf8_valid("\xF4\x90\x80\x80", 4));        /* above U+10FFFF */
  CHECK(!sr_utf8_valid("a\0b", 3));
  CHECK(!sr_utf8_valid("\xFF", 1));
}

static void buffer_ceiling_changes_nothing(void)
{
  struct sr_buf b;
  sr_buf_init(&b, 8);
  CHECK(sr_buf_append(&b, "1234", 4));
  CHECK(!sr_buf_append(&b, "56789", 5));
  CHECK_INT(b.len, 4);
  CHECK(sr_buf_append(&b, "5678", 4));
  CHECK_STR(b.data, "12345678");
  sr_buf_free(&b);
}

static void tokens_are_random_and_shaped(void)
{
  char a[48], b[48];
  CHECK(sr_random_token(a) && sr_random_token(b));
  CHECK_INT(strlen(a), 47);
  CHECK(strncmp(a, "sr_", 3) == 0);
  CHECK(strcmp(a, b) != 0);
  char hex[65];
  sr_sha256_hex("abc", 3, hex);
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static int body_status(const char *s)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *j = sr_json_parse_object(s, strlen(s), &pb);
  int e = j ? 0 : sr_err_status(pb.err);
  cJSON_Delete(j);
  sr_problem_free(&pb);
  return e;
}

static void json_bodies_are_strict(void)
{
  CHECK_INT(body_status("{\"a\": 1}"), 0);
  CHECK_INT(body_status("{\"a\": 1} "), 0);
  CHECK_INT(body_status("{\"a\": 1} x"), 400);
  CHECK_INT(body_status("[1, 2]"), 400);
  CHECK_INT(body_status("{\"a\": 1, \"a\": 2}"), 400);
  CHECK_INT(body_status("{\"a\": "), 400);
  CHECK_INT(body_status("{\"a\": \"\xC0\xAF\"}"), 400);
  CHECK_INT(body_status(""), 400);
  char deep[200] = "{\"a\":";
  for(int i = 0; i < 40; i++)
    strcat(deep, "[");
  for(int i = 0; i < 40; i++)
    strcat(deep, "]");
  strcat(deep, "}");
  CHECK_INT(body_status(deep), 400);
}

static void json_fields_name_the_failure(void)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  const char *s = "{\"name\": 5, \"x\": 1, \"on\": \"2024-02-30\"}";
  cJSON *j = sr_json_parse_object(s, strlen(s), &pb);
  static const char *const allowed[] = { "name", "on", NULL };
  sr_json_only(j, allowed, &pb);
  CHECK(sr_json_string(j, "name", true, 10, &pb) == NULL);
  CHECK(sr_json_string(j, "missing", true, 10, &pb) == NULL);
  struct sr_date d;
  CHECK(!sr_json_date(j, "on", true, &d, &pb));
  CHECK_INT(pb.err, SR_INVALID);
  CHECK_INT(sr_problem_nfields(&pb), 4);
  cJSON *out = sr_problem_json(&pb, "/x");
  CHECK_INT(cJSON_GetObjectItem(out, "status")->valueint, 422);
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "errors"), 0), "field")->valuestring, "x");
  cJSON_Delete(out);
  cJSON_Delete(j);
  sr_problem_free(&pb);
}

int main(void)
{
  RUN(dates_parse_only_real_days);
  RUN(today_follows_sereg_now);
  RUN(utf8_validation);
  RUN(buffer_ceiling_changes_nothing);
  RUN(tokens_are_random_and_shaped);
  RUN(json_bodies_are_strict);
  RUN(json_fields_name_the_failure);
  return CHECK_DONE();
}
