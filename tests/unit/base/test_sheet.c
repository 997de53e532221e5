/* test_sheet.c -- the sheet writer: a CSV file's exact bytes (its BOM, CRLF, quoting, a formula
 * kept as text, numbers and rates), what a CSV file refuses (a second sheet), an xlsx workbook of
 * several sheets that is a ZIP holding each of them, the temporary file gone once finished, and
 * the Content-Disposition of an attachment named in Chinese. What the xlsx sheets hold is read
 * back with Python's zipfile in tests/integration/test_exports.py. */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sheet.h"

#define T(s) { SR_CELL_TEXT, (s), 0 }
#define N(v) { SR_CELL_NUMBER, NULL, (v) }
#define R(v) { SR_CELL_RATE, NULL, (v) }
#define E { SR_CELL_EMPTY, NULL, 0 }

/* Files of ours left in <dir>. */
static int leftovers(const char *dir)
{
  int n = 0;
  DIR *d = opendir(dir);
  for(struct dirent *e; d && (e = readdir(d));)
    n += strncmp(e->d_name, "sereg-sheet-", 12) == 0 || strncmp(e->d_name, "lxw", 3) == 0;
  if(d)
    closedir(d);
  return n;
}

static bool holds(const char *data, size_t len, const char *what)
{
  size_t n = strlen(what);
  for(size_t i = 0; i + n <= len; i++)
    if(memcmp(data + i, what, n) == 0)
      return true;
  return false;
}

static void test_csv_bytes(void)
{
  char err[256], *data;
  size_t len;
  struct sr_sheet *s = sr_sheet_open(SR_SHEET_CSV, err, sizeof err);
  CHECK(s != NULL);
  const char *cols[] = { "辖区", "设备总数", "定期检验率", "备注" };
  CHECK(sr_sheet_begin(s, "辖区", cols, 4));
  struct sr_cell r1[] = { T("锦江区"), N(120), R(0.83333), T("=HYPERLINK(\"x\")") };
  struct sr_cell r2[] = { T("合计, 全市"), N(-3.5), E, T("-1") };
  struct sr_cell r3[] = { T("@sum"), N(0) }; /* the rest empty */
  CHECK(sr_sheet_row(s, r1, 4));
  CHECK(sr_sheet_row(s, r2, 4));
  CHECK(sr_sheet_row(s, r3, 2));
  CHECK_INT(sr_sheet_rows(s), 3);
  CHECK(!sr_sheet_begin(s, "机构", cols, 1)); /* one sheet per CSV file */
  CHECK(strstr(sr_sheet_error(s), "one sheet") != NULL);
  sr_sheet_free(s);

  s = sr_sheet_open(SR_SHEET_CSV, err, sizeof err);
  CHECK(sr_sheet_begin(s, "辖区", cols, 4));
  CHECK(sr_sheet_row(s, r1, 4));
  CHECK(sr_sheet_row(s, r2, 4));
  CHECK(sr_sheet_row(s, r3, 2));
  CHECK(sr_sheet_finish(s, &data, &len, err, sizeof err));
  const char want[] = "\xEF\xBB\xBF"
                      "辖区,设备总数,定期检验率,备注\r\n"
                      "锦江区,120,83.33%,\"'=HYPERLINK(\"\"x\"\")\"\r\n"
                      "\"合计, 全市\",-3.5,,-1\r\n"
                      "\"'@sum\",0,,\r\n";
  CHECK_INT(len, sizeof want - 1);
  CHECK(data && len == sizeof want - 1 && memcmp(data, want, len) == 0);
  if(data && memcmp(data, want, len < sizeof want - 1 ? len : sizeof want - 1) != 0)
    fprintf(stderr, "got: %.*s\n", (int)len, data);
  free(data);
}

static void test_refusals(void)
{
  char err[256], *data = (char *)"x";
  size_t len = 1;
  struct sr_sheet *s = sr_sheet_open(SR_SHEET_XLSX, err, sizeof err);
  const char *cols[] = { "a" };
  struct sr_cell two[] = { N(1), N(2) };
  CHECK(!sr_sheet_row(s, two, 1)); /* no sheet begun */
  sr_sheet_free(s);
  s = sr_sheet_open(SR_SHEET_XLSX, err, sizeof err);
  CHECK(!sr_sheet_begin(s, "bad[name]", cols, 1));
  CHECK(!sr_sheet_finish(s, &data, &len, err, sizeof err));
  CHECK(data == NULL && len == 0);
  CHECK(strstr(err, "sheet") != NULL);
  s = sr_sheet_open(SR_SHEET_CSV, err, sizeof err);
  CHECK(sr_sheet_begin(s, "x", cols, 1));
  CHECK(!sr_sheet_row(s, two, 2)); /* more cells than columns */
  CHECK(!sr_sheet_finish(s, &data, &len, err, sizeof err));
  s = sr_sheet_open(SR_SHEET_CSV, err, sizeof err);
  CHECK(!sr_sheet_finish(s, &data, &len, err, sizeof err)); /* no sheet at all */
  enum sr_sheet_format f;
  CHECK(sr_sheet_format_parse("xlsx", &f) && f == SR_SHEET_XLSX);
  CHECK(sr_sheet_format_parse("csv", &f) && f == SR_SHEET_CSV);
  CHECK(!sr_sheet_format_parse("xls", &f) && !sr_sheet_format_parse("CSV", &f) && !sr_sheet_format_parse(NULL, &f));
}

static void test_xlsx_sheets(void)
{
  char err[256], *data;
  size_t len;
  struct sr_sheet *s = sr_sheet_open(SR_SHEET_XLSX, err, sizeof err);
  CHECK(s != NULL);
  const char *cols[] = { "辖区", "设备总数" }, *cols2[] = { "检验机构", "结果数", "不合格率" };
  CHECK(sr_sheet_begin(s, "辖区", cols, 2));
  for(int i = 0; i < 1000; i++) {
    struct sr_cell r[] = { T("锦江区"), N(i) };
    CHECK(sr_sheet_row(s, r, 2));
  }
  CHECK(sr_sheet_begin(s, "检验机构", cols2, 3));
  struct sr_cell r[] = { T("四川省特种设备检验研究院"), N(12), R(0.0833) };
  CHECK(sr_sheet_row(s, r, 3));
  CHECK(sr_sheet_finish(s, &data, &len, err, sizeof err));
  CHECK(len > 100 && memcmp(data, "PK\x03\x04", 4) == 0);
  /* A ZIP names its members uncompressed. */
  CHECK(holds(data, len, "xl/worksheets/sheet1.xml"));
  CHECK(holds(data, len, "xl/worksheets/sheet2.xml"));
  CHECK(!holds(data, len, "xl/worksheets/sheet3.xml"));
  free(data);
}

static void test_disposition(void)
{
  char d[600];
  sr_sheet_disposition("设备-2026-12-02.csv", "equipment-2026-12-02.csv", d, sizeof d);
  CHECK_STR(d, "attachment; filename=\"equipment-2026-12-02.csv\"; "
               "filename*=UTF-8''%E8%AE%BE%E5%A4%87-2026-12-02.csv");
  sr_sheet_disposition("a\"b;c\r\n.csv", "a\"b;c\r\n.csv", d, sizeof d);
  CHECK_STR(d, "attachment; filename=\"abc.csv\"; filename*=UTF-8''a%22b%3Bc%0D%0A.csv");
}

int main(void)
{
  char dir[] = "/tmp/sereg-test-sheet-XXXXXX";
  if(!mkdtemp(dir))
    return 2;
  setenv("TMPDIR", dir, 1);
  RUN(test_csv_bytes);
  RUN(test_refusals);
  RUN(test_xlsx_sheets);
  RUN(test_disposition);
  CHECK_INT(leftovers(dir), 0); /* every workbook's files removed, finished or abandoned */
  rmdir(dir);
  return CHECK_DONE();
}
