/* test_duration.c -- spans of time as settings write them, and lists of them. */
#include "check.h"
#include "duration.h"

#define DAY 86400000LL

static void spans_parse_with_their_units(void)
{
  long long ms = -1;
  CHECK(sr_duration_parse("250ms", 0, DAY, &ms) && ms == 250);
  CHECK(sr_duration_parse("15s", 0, DAY, &ms) && ms == 15000);
  CHECK(sr_duration_parse("15", 0, DAY, &ms) && ms == 15000);
  CHECK(sr_duration_parse("5m", 0, DAY, &ms) && ms == 300000);
  CHECK(sr_duration_parse("2h", 0, DAY, &ms) && ms == 7200000);
  CHECK(sr_duration_parse("1d", 0, DAY, &ms) && ms == DAY);
  CHECK(sr_duration_parse("0s", 0, DAY, &ms) && ms == 0);
  ms = 7;
  const char *bad[] = { "", "s", "-5s", "+5s", "1.5s", "5 s", " 5s", "5s ", "5S", "5min", "5sec", "1d1h",
                        "99999999999999999999s", "9223372036854775807d", "５s", NULL };
  for(int i = 0; bad[i]; i++) {
    CHECK(!sr_duration_parse(bad[i], 0, 1LL << 62, &ms));
    if(sr_duration_parse(bad[i], 0, 1LL << 62, &ms))
      fprintf(stderr, "  '%s' parsed\n", bad[i]);
  }
  CHECK(ms == 7); /* left alone on failure */
  CHECK(!sr_duration_parse(NULL, 0, DAY, &ms));
  CHECK(!sr_duration_parse("2d", 0, DAY, &ms));
  CHECK(!sr_duration_parse("99ms", 100, DAY, &ms));
}

static void lists_parse_whole_or_not_at_all(void)
{
  long long v[10];
  CHECK_INT(sr_duration_list("0s,5s,5m,30m,2h,5h,10h,14h,20h,24h", 0, 7 * DAY, v, 10), 10);
  CHECK(v[0] == 0 && v[1] == 5000 && v[2] == 300000 && v[9] == DAY);
  CHECK_INT(sr_duration_list("1s", 0, DAY, v, 10), 1);
  CHECK_INT(sr_duration_list("0s,5s,5m,30m,2h,5h,10h,14h,20h,24h,48h", 0, 7 * DAY, v, 10), -1);
  const char *bad[] = { "", ",", "1s,", ",1s", "1s,,2s", "1s, 2s", "1s;2s", "1s,x", NULL };
  for(int i = 0; bad[i]; i++)
    CHECK_INT(sr_duration_list(bad[i], 0, DAY, v, 10), -1);
  CHECK_INT(sr_duration_list(NULL, 0, DAY, v, 10), -1);
}

static void spans_are_written_in_their_largest_unit(void)
{
  char b[32];
  sr_duration_format(0, b, sizeof b);
  CHECK_STR(b, "0s");
  sr_duration_format(300000, b, sizeof b);
  CHECK_STR(b, "5m");
  sr_duration_format(1500, b, sizeof b);
  CHECK_STR(b, "1500ms");
  sr_duration_format(2 * DAY, b, sizeof b);
  CHECK_STR(b, "2d");
  sr_duration_format(90000, b, sizeof b);
  CHECK_STR(b, "90s");
}

int main(void)
{
  RUN(spans_parse_with_their_units);
  RUN(lists_parse_whole_or_not_at_all);
  RUN(spans_are_written_in_their_largest_unit);
  return CHECK_DONE();
}
