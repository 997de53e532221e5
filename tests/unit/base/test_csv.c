/* test_csv.c -- the CSV reader at its edges: rows as wide as SR_CSV_MAX_FIELDS and one wider,
 * ending with a newline, a CRLF or the end of the file, with a quoted or empty last field; the
 * input the fuzzer found writing past the field array is kept in its corpus and read here. Every
 * input is read both from a file and from memory, and the two readings must agree. */
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

static bool same_outcome(const struct outcome *a, const struct outcome *b)
{
  bool same = a->rows == b->rows;
  for(int r = 0; same && r < a->rows; r++)
    same = a->st[r] == b->st[r] && a->n[r] == b->n[r] && a->line[r] == b->line[r] &&
           strcmp(a->first[r], b->first[r]) == 0 && strcmp(a->last[r], b->last[r]) == 0 &&
           strcmp(a->err[r], b->err[r]) == 0;
  return same;
}

/* Writes <data> to a scratch file; false when it cannot. */
static bool scratch_file(char *path, const char *data, size_t len)
{
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if(fd < 0)
    return false;
  CHECK_INT(write(fd, data, len), len);
  close(fd);
  return true;
}

/* Reads <data> as an import file on disk, and again from memory: the two must agree. */
static struct outcome read_file(const char *data, size_t len)
{
  struct outcome o = { 0 }, m = { 0 };
  char path[] = "/tmp/sereg-test-csv.XXXXXX", err[256] = "";
  if(!scratch_file(path, data, len))
    return o;
  struct sr_csv *c = sr_csv_open(path, err, sizeof err);
  CHECK(c != NULL);
  if(c)
    read_rows(c, &o);
  sr_csv_close(c);
  unlink(path);
  c = sr_csv_open_mem(data, len, "test input", err, sizeof err);
  CHECK(c != NULL);
  if(c)
    read_rows(c, &m);
  sr_csv_close(c);
  CHECK(same_outcome(&o, &m));
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

/* Counts the rows of <c> that are exactly <first>,1; -1 after anything else. */
static long rows_of(struct sr_csv *c, const char *first, char *err, size_t errsz)
{
  long rows = 0;
  char **f;
  int n;
  enum sr_csv_status st;
  while((st = sr_csv_next(c, &f, &n, err, errsz)) == SR_CSV_ROW)
    if(n == 2 && strcmp(f[0], first) == 0 && strcmp(f[1], "1") == 0)
      rows++;
    else
      return -1;
  return st == SR_CSV_EOF ? rows : -1;
}

/* A GB18030 file larger than a chunk, with a character cut by each chunk's end, reads the same
 * from a file and from memory, and its progress ends at 1. */
static void a_long_gb18030_file_across_chunks(void)
{
  struct sr_buf b, want;
  sr_buf_init(&b, 1 << 20);
  sr_buf_init(&want, 1 << 10);
  CHECK(sr_buf_printf(&b, "x\r\n")); /* three bytes: every two-byte character below starts at an odd offset */
  for(int i = 0; i < 50; i++)
    CHECK(sr_buf_printf(&want, "设备"));
  for(int r = 0; r < 1000; r++) {
    for(int i = 0; i < 50; i++)
      CHECK(sr_buf_printf(&b, "\xC9\xE8\xB1\xB8"));
    CHECK(sr_buf_printf(&b, ",1\r\n"));
  }
  char path[] = "/tmp/sereg-test-csv.XXXXXX", err[256] = "";
  if(!scratch_file(path, b.data, b.len))
    return;
  for(int mem = 0; mem < 2; mem++) {
    struct sr_csv *c = mem ? sr_csv_open_mem(b.data, b.len, "test input", err, sizeof err)
                           : sr_csv_open(path, err, sizeof err);
    CHECK(c != NULL);
    if(!c)
      continue;
    CHECK_STR(sr_csv_encoding(c), "GB18030");
    char **f;
    int n;
    CHECK_INT(sr_csv_next(c, &f, &n, err, sizeof err), SR_CSV_ROW);
    CHECK(n == 1 && strcmp(f[0], "x") == 0);
    CHECK_INT(rows_of(c, want.data, err, sizeof err), 1000);
    CHECK(sr_csv_progress(c) == 1.0);
    sr_csv_close(c);
  }
  unlink(path);
  sr_buf_free(&b);
  sr_buf_free(&want);
}

/* GB18030 converters are kept for the next reader: one left in the middle of a character, or
 * two open at once, change nothing for the readers after them. */
static void gb18030_readers_after_a_broken_one(void)
{
  static const char cut[] = "\xC9\xE8,1\r\n\xC9";       /* ends inside a character */
  static const char good[] = "\xC9\xE8\xB1\xB8,1\r\n"; /* 设备,1 */
  char err[256] = "";
  for(int round = 0; round < 3; round++) {
    struct sr_csv *a = sr_csv_open_mem(cut, sizeof cut - 1, "cut", err, sizeof err);
    struct sr_csv *b = sr_csv_open_mem(good, sizeof good - 1, "good", err, sizeof err);
    CHECK(a && b);
    if(!a || !b)
      return;
    CHECK_INT(rows_of(a, "设", err, sizeof err), -1);
    CHECK_STR(err, "line 2: the file ends inside a GB18030 character");
    sr_csv_close(a);
    CHECK_INT(rows_of(b, "设备", err, sizeof err), 1);
    sr_csv_close(b);
    struct outcome o = read_file(good, sizeof good - 1);
    expect_row(&o, 0, 2, "设备", "1");
  }
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

/* Each mark names its encoding; UTF-16 is read tab-separated when its first line says so; and a
 * GB18030 file with its own mark is not mistaken for UTF-8 with a stray first column. */
static void byte_order_marks_and_tabs(void)
{
  static const char gb_bom[] = "\x84\x31\x95\x33\xc9\xe8\xb1\xb8,b\r\n1,2\r\n"; /* 设备,b */
  struct outcome o = read_file(gb_bom, sizeof gb_bom - 1);
  expect_row(&o, 0, 2, "设备", "b");
  expect_row(&o, 1, 2, "1", "2");
  /* 设备\tb, then 1\t"x,y": UTF-16LE with its mark, as Excel saves "Unicode text" */
  static const char le[] = "\xff\xfe\xbe\x8b\x07\x59\t\x00" "b\x00\r\x00\n\x00"
                           "1\x00\t\x00\"\x00" "x\x00,\x00y\x00\"\x00\r\x00\n\x00";
  o = read_file(le, sizeof le - 1);
  expect_row(&o, 0, 2, "设备", "b");
  expect_row(&o, 1, 2, "1", "x,y");
  static const char be[] = "\xfe\xff\x00" "a\x00\t\x00" "b\x00\n";
  o = read_file(be, sizeof be - 1);
  expect_row(&o, 0, 2, "a", "b");
  char err[256];
  struct sr_csv *c = sr_csv_open_mem(le, sizeof le - 1, "le", err, sizeof err);
  char **f;
  int n;
  CHECK(c && sr_csv_next(c, &f, &n, err, sizeof err) == SR_CSV_ROW);
  CHECK_STR(sr_csv_encoding(c), "UTF-16LE");
  CHECK(sr_csv_bom(c));
  CHECK_INT(sr_csv_delimiter(c), '\t');
  sr_csv_close(c);
}

/* The writer answers in the reader's encoding: what it writes reads back the same. */
static void the_writer_round_trips(void)
{
  static const char *const encodings[] = { "UTF-8", "GB18030", "UTF-16LE", "UTF-16BE" };
  for(int e = 0; e < 4; e++) {
    char path[] = "/tmp/sereg-test-csvout.XXXXXX", err[256];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct sr_csv_out *w = sr_csv_out_open(path, encodings[e], true, e >= 2 ? '\t' : ',', err, sizeof err);
    CHECK(w != NULL);
    const char *row[] = { "设备代码", "a,b", "引号\"内", "第 3 行：原因" };
    CHECK(w && sr_csv_out_row(w, row, 4));
    CHECK(sr_csv_out_close(w));
    struct sr_csv *c = sr_csv_open(path, err, sizeof err);
    char **f;
    int n;
    CHECK(c && sr_csv_next(c, &f, &n, err, sizeof err) == SR_CSV_ROW);
    CHECK_INT(n, 4);
    for(int i = 0; c && n == 4 && i < 4; i++)
      CHECK_STR(f[i], row[i]);
    CHECK_STR(c ? sr_csv_encoding(c) : "", encodings[e]);
    sr_csv_close(c);
    unlink(path);
  }
}

static void full_width_forms_fold(void)
{
  char s[] = "３１１０（ｋｇ）\xe3\x80\x80【Ａ】〔１〕ｚ～汉字";
  sr_utf8_fold(s);
  CHECK_STR(s, "3110(kg) [A](1)z~汉字");
}

int main(void)
{
  RUN(the_fuzzer_input_is_a_bad_row);
  RUN(rows_as_wide_as_the_limit_and_one_wider);
  RUN(a_trailing_comma_is_an_empty_field);
  RUN(a_huge_row_of_commas_at_the_end_of_the_file);
  RUN(a_quoted_field_too_long_says_why);
  RUN(a_long_gb18030_file_across_chunks);
  RUN(gb18030_readers_after_a_broken_one);
  RUN(small_files_read_as_before);
  RUN(byte_order_marks_and_tabs);
  RUN(the_writer_round_trips);
  RUN(full_width_forms_fold);
  return CHECK_DONE();
}
