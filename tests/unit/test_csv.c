/* test_csv.c -- the CSV reader at its edges: rows as wide as SR_CSV_MAX_FIELDS and one wider,
 * ending with a newline, a CRLF or the end of the file, with a quoted or empty last field; the
 * input the fuzzer found writing past the field array is kept in its corpus and read here. */
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "csv.h"
#include "util.h"

#ifndef SR_SOURCE_DIR
#error "SR_SOURCE_DIR must name the source tree"
#endif

#define MAX_ROWS 8

/* What the reader made of one input: each row's status, field count, first and last field and
 * message, up to and including the end of the file or a fatal error. */
struct outcome {
  int rows;
  enum sr_csv_status st[MAX_ROWS];
  int n[MAX_ROWS];
  long line[MAX_ROWS];
  char first[MAX_ROWS][64], last[MAX_ROWS][64], err[MAX_ROWS][256];
};

static void take_row(struct outcome *o, enum sr_csv_status st, char **f, int n, const char *err, long line)
{
  int r = o->rows++;
  o->st[r] = st;
  o->n[r] = st == SR_CSV_ROW ? n : -1;
  o->line[r] = line;
  snprintf(o->first[r], sizeof o->first[r], "%s", st == SR_CSV_ROW && n > 0 ? f[0] : "");
  snprintf(o->last[r], sizeof o->last[r], "%s", st == SR_CSV_ROW && n > 0 ? f[n - 1] : "");
  snprintf(o->err[r], sizeof o->err[r], "%s", st == SR_CSV_BAD_ROW || st == SR_CSV_FATAL ? err : "");
}

static void read_rows(struct sr_csv *c, struct outcome *o)
{
  for(;;) {
    char **f = NULL, err[256] = "";
    int n = -1;
    enum sr_csv_status st = sr_csv_next(c, &f, &n, err, sizeof err);
    take_row(o, st, f, n, err, sr_csv_line(c));
    if(st == SR_CSV_EOF || st == SR_CSV_FATAL || o->rows == MAX_ROWS)
      break;
  }
}

/* Reads <data> as an import file on disk. */
static struct outcome read_file(const char *data, size_t len)
{
  struct outcome o = { 0 };
  char path[] = "/tmp/sereg-test-csv.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if(fd < 0)
    return o;
  CHECK_INT(write(fd, data, len), len);
  close(fd);
  char err[256] = "";
  struct sr_csv *c = sr_csv_open(path, err, sizeof err);
  CHECK(c != NULL);
  if(c)
    read_rows(c, &o);
  sr_csv_close(c);
  unlink(path);
  return o;
}

static struct outcome read_text(const struct sr_buf *b) { return read_file(b->data, b->len); }
static struct outcome read_str(const char *s) { return read_file(s, strlen(s)); }

/* A row of <n> fields f1,f2,...; the last one quoted ("f<n>,q") when <quoted>. */
static void wide_row(struct sr_buf *b, int n, bool quoted)
{
  for(int i = 1; i <= n; i++)
    CHECK(sr_buf_printf(b, i == n && quoted ? "%s\"f%d,q\"" : "%sf%d", i > 1 ? "," : "", i));
}

static void expect_row(const struct outcome *o, int r, int n, const char *first, const char *last)
{
  CHECK_INT(o->st[r], SR_CSV_ROW);
  CHECK_INT(o->n[r], n);
  CHECK_STR(o->first[r], first);
  CHECK_STR(o->last[r], last);
}

static void expect_too_wide(const struct outcome *o, int r, long line)
{
  char want[64];
  snprintf(want, sizeof want, "line %ld: more than %d fields", line, SR_CSV_MAX_FIELDS);
  CHECK_INT(o->st[r], SR_CSV_BAD_ROW);
  CHECK_STR(o->err[r], want);
}

static void the_fuzzer_input_is_a_bad_row(void)
{
  char *data = NULL;
  size_t len = 0;
  CHECK(sr_read_file(SR_SOURCE_DIR "/tests/fuzz/corpus/csv/wide-row-at-eof.csv", 1 << 20, &data, &len));
  if(!data)
    return;
  /* The shape that found the bug, so that an edit of the corpus file cannot quietly empty this test. */
  size_t commas = 0;
  for(size_t i = 0; i < len; i++)
    commas += data[i] == ',';
  CHECK(len > 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0);
  CHECK(commas >= SR_CSV_MAX_FIELDS);
  CHECK(data[len - 1] != '\n' && data[len - 1] != ',');
  struct outcome o = read_file(data, len);
  CHECK_INT(o.rows, 2);
  expect_too_wide(&o, 0, 1);
  CHECK_INT(o.st[1], SR_CSV_EOF);
  free(data);
}

/* 255 and 256 fields are a row, 257 a bad row, whatever ends it; reading goes on after a bad row. */
static void rows_as_wide_as_the_limit_and_one_wider(void)
{
  static const char *const ends[] = { "\n", "\r\n", "" };
  for(int n = SR_CSV_MAX_FIELDS - 1; n <= SR_CSV_MAX_FIELDS + 1; n++)
    for(int e = 0; e < 3; e++)
      for(int quoted = 0; quoted < 2; quoted++) {
        int before = check_failures;
        struct sr_buf b;
        sr_buf_init(&b, 1 << 20);
        wide_row(&b, n, quoted);
        CHECK(sr_buf_printf(&b, "%s", ends[e]));
        if(ends[e][0])
          CHECK(sr_buf_printf(&b, "next,row%s", ends[e]));
        struct outcome o = read_text(&b);
        char last[32];
        snprintf(last, sizeof last, quoted ? "f%d,q" : "f%d", n);
        if(n <= SR_CSV_MAX_FIELDS)
          expect_row(&o, 0, n, "f1", last);
        else
          expect_too_wide(&o, 0, 1);
        int r = 1;
        if(ends[e][0]) {
          expect_row(&o, r, 2, "next", "row");
          CHECK_INT(o.line[r], 2);
          r++;
        }
        CHECK_INT(o.rows, r + 1);
        CHECK_INT(o.st[r], SR_CSV_EOF);
        if(check_failures > before)
          fprintf(stderr, "  (after %d fields, end \"%s\", quoted %d)\n", n, ends[e][0] == '\r' ? "CRLF" : ends[e], quoted);
        sr_buf_free(&b);
      }
}

/* A comma opens a field, so a row ending in one has an empty last field, at the end of the file
 * as before a newline; and past the limit that empty field is one too many. */
static void a_trailing_comma_is_an_empty_field(void)
{
  for(int n = SR_CSV_MAX_FIELDS; n <= SR_CSV_MAX_FIELDS + 1; n++)
    for(int nl = 0; nl < 2; nl++) {
      struct sr_buf b;
      sr_buf_init(&b, 1 << 20);
      wide_row(&b, n - 1, false);
      CHECK(sr_buf_printf(&b, ",%s", nl ? "\n" : ""));
      struct outcome o = read_text(&b);
      if(n <= SR_CSV_MAX_FIELDS)
        expect_row(&o, 0, n, "f1", "");
      else
        expect_too_wide(&o, 0, 1);
      CHECK_INT(o.st[1], SR_CSV_EOF);
      sr_buf_free(&b);
    }
  struct outcome o = read_str("a,b,");
  expect_row(&o, 0, 3, "a", "");
}

/* So many commas that the row is also over its byte ceiling: still one bad row, no more. */
static void a_huge_row_of_commas_at_the_end_of_the_file(void)
{
  size_t len = SR_CSV_MAX_ROW + 10;
  char *data = malloc(len);
  if(!data)
    return;
  memset(data, ',', len);
  data[len - 1] = 'x';
  struct outcome o = read_file(data, len);
  CHECK_INT(o.rows, 2);
  CHECK_INT(o.st[0], SR_CSV_BAD_ROW);
  CHECK_INT(o.st[1], SR_CSV_EOF);
  free(data);
}

/* A quoted field that outgrows the row at a newline inside it says so, too. */
static void a_quoted_field_too_long_says_why(void)
{
  size_t len = SR_CSV_MAX_ROW + 4;
  char *data = malloc(len);
  if(!data)
    return;
  memset(data, 'a', len);
  data[0] = '"';
  memcpy(data + len - 3, "\n\"\n", 3);
  struct outcome o = read_file(data, len);
  char want[64];
  snprintf(want, sizeof want, "line 1: a row longer than %d bytes", SR_CSV_MAX_ROW);
  CHECK_INT(o.st[0], SR_CSV_BAD_ROW);
  CHECK_STR(o.err[0], want);
  CHECK_INT(o.st[1], SR_CSV_EOF);
  free(data);
}

static void small_files_read_as_before(void)
{
  struct outcome o = read_str("\xEF\xBB\xBFtype,code\r\nelevator,\"31\r\n10\"\r\n");
  expect_row(&o, 0, 2, "type", "code");
  expect_row(&o, 1, 2, "elevator", "31\r\n10");
  CHECK_INT(o.line[1], 2);
  CHECK_INT(o.st[2], SR_CSV_EOF);
  o = read_file("", 0);
  CHECK_INT(o.st[0], SR_CSV_EOF);
  o = read_str("\n");
  expect_row(&o, 0, 1, "", "");
  o = read_str("a,\"b\"c\nd");
  CHECK_INT(o.st[0], SR_CSV_BAD_ROW);
  CHECK_STR(o.err[0], "line 1: characters after a closing quote");
  expect_row(&o, 1, 1, "d", "d");
  o = read_str("a,\"b");
  CHECK_INT(o.st[0], SR_CSV_FATAL);
  CHECK_STR(o.err[0], "line 1: a quoted field is never closed");
}

int main(void)
{
  RUN(the_fuzzer_input_is_a_bad_row);
  RUN(rows_as_wide_as_the_limit_and_one_wider);
  RUN(a_trailing_comma_is_an_empty_field);
  RUN(a_huge_row_of_commas_at_the_end_of_the_file);
  RUN(a_quoted_field_too_long_says_why);
  RUN(small_files_read_as_before);
  return CHECK_DONE();
}
