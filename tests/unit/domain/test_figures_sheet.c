/* test_figures_sheet.c -- the figures answer of GET /api/v1/figures (a fixture of its documented
 * shape, figures_answer.json) as a sheet: the CSV file's exact header and rows (the total row
 * last, a rate of no denominator empty, the agencies and series left out), and the xlsx workbook
 * read back member by member (its ZIP's central directory, each member inflated with zlib): the
 * three sheets under their Chinese names, numbers as numbers, a formula-looking agency name kept
 * as text; a bad format and an answer of another shape refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "figures_sheet.h"
#include "util.h"

#ifndef SR_SOURCE_DIR
#error "SR_SOURCE_DIR must name the source tree"
#endif

static cJSON *fixture(void)
{
  char *text;
  size_t len;
  if(!sr_read_file(SR_SOURCE_DIR "/tests/unit/domain/figures_answer.json", 1 << 20, &text, &len))
    return NULL;
  cJSON *j = cJSON_Parse(text);
  free(text);
  return j;
}

static unsigned get16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t get32(const unsigned char *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* Member <name> of the ZIP at <zip>, inflated and NUL-ended (malloced), or NULL. */
static char *member(const char *zip, size_t len, const char *name)
{
  const unsigned char *z = (const unsigned char *)zip, *end = NULL;
  for(size_t i = len >= 22 ? len - 22 : 0; i > 0 && !end; i--)
    if(memcmp(z + i, "PK\x05\x06", 4) == 0)
      end = z + i;
  if(!end)
    return NULL;
  size_t off = get32(end + 16), n = get16(end + 10);
  for(size_t e = 0; e < n && off + 46 <= len; e++) {
    const unsigned char *c = z + off;
    size_t nlen = get16(c + 28), xlen = get16(c + 30), clen = get16(c + 32);
    size_t csize = get32(c + 20), usize = get32(c + 24), local = get32(c + 42);
    if(memcmp(c, "PK\x01\x02", 4) != 0)
      return NULL;
    if(nlen == strlen(name) && memcmp(c + 46, name, nlen) == 0 && local + 30 <= len) {
      const unsigned char *l = z + local;
      const unsigned char *data = l + 30 + get16(l + 26) + get16(l + 28);
      char *out = malloc(usize + 1);
      z_stream s;
      memset(&s, 0, sizeof s);
      if(!out || (size_t)(data - z) + csize > len || inflateInit2(&s, -MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
      }
      s.next_in = (unsigned char *)(uintptr_t)data;
      s.avail_in = (unsigned)csize;
      s.next_out = (unsigned char *)out;
      s.avail_out = (unsigned)usize;
      int r = get16(c + 10) == 0 ? (memcpy(out, data, usize), Z_STREAM_END) : inflate(&s, Z_FINISH);
      inflateEnd(&s);
      if(r != Z_STREAM_END) {
        free(out);
        return NULL;
      }
      out[usize] = '\0';
      return out;
    }
    off += 46 + nlen + xlen + clen;
  }
  return NULL;
}

static void csv_holds_the_jurisdictions(void)
{
  cJSON *a = fixture();
  CHECK(a != NULL);
  char *body, disp[600];
  size_t len;
  const char *type = NULL;
  struct sr_problem pb;
  sr_problem_init(&pb);
  CHECK(sr_figures_sheet_render(a, NULL, "csv", &body, &len, &type, disp, sizeof disp, &pb));
  CHECK_STR(type, "text/csv; charset=utf-8; header=present");
  CHECK_STR(disp, "attachment; filename=\"figures-5101-2026-11.csv\"; filename*=UTF-8''"
                  "%E7%89%B9%E7%A7%8D%E8%AE%BE%E5%A4%87%E5%AE%89%E5%85%A8%E7%9B%91%E5%AF%9F%E6%8C%87%E6%A0%87-"
                  "%E6%88%90%E9%83%BD%E5%B8%82-2026-11.csv");
  const char want[] =
    "\xEF\xBB\xBF"
    "辖区,辖区代码,设备总数,电梯,锅炉,压力容器,在用设备,在用电梯,在用锅炉,在用压力容器,使用登记,变更,注销,"
    "超期未检,应检设备,按期检验,定期检验率,隐患发现,其中超期未检,其中检验不合格仍在使用,其中检验发现缺陷,"
    "其中巡查发现,其中人工登记,一般隐患,重大隐患,隐患未消除,重大隐患未整改,应整改隐患,已整改隐患,隐患整改率,"
    "整改完成,按期整改,按期整改率,整改中,超期未整改,挂牌督办在办,挂牌督办已摘牌\r\n"
    "锦江区,510104,12,8,3,1,10,7,2,1,2,1,0,3,6,5,83.33%,4,3,1,0,0,0,3,1,2,1,4,2,50.00%,2,1,50.00%,1,0,1,0\r\n"
    "青羊区,510105,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,0,0,0,0,0,0,0,0,0,0,0,0,,0,0,,0,0,0,0\r\n"
    "合计,,12,8,3,1,10,7,2,1,2,1,0,3,6,5,83.33%,4,3,1,0,0,0,3,1,2,1,4,2,50.00%,2,1,50.00%,1,0,1,0\r\n";
  CHECK_INT(len, sizeof want - 1);
  CHECK(len == sizeof want - 1 && memcmp(body, want, len) == 0);
  if(len != sizeof want - 1 || memcmp(body, want, len) != 0)
    fprintf(stderr, "got:\n%.*s\n", (int)len, body);
  free(body);
  sr_problem_free(&pb);
  cJSON_Delete(a);
}

static void xlsx_holds_three_sheets(void)
{
  cJSON *a = fixture();
  char *body, disp[600];
  size_t len;
  const char *type = NULL;
  struct sr_problem pb;
  sr_problem_init(&pb);
  CHECK(sr_figures_sheet_render(a, NULL, "xlsx", &body, &len, &type, disp, sizeof disp, &pb));
  CHECK_STR(type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  char *book = member(body, len, "xl/workbook.xml"), *s1 = member(body, len, "xl/worksheets/sheet1.xml"),
       *s2 = member(body, len, "xl/worksheets/sheet2.xml"), *s3 = member(body, len, "xl/worksheets/sheet3.xml");
  CHECK(book && s1 && s2 && s3);
  if(book && s1 && s2 && s3) {
    CHECK(strstr(book, "name=\"辖区\"") && strstr(book, "name=\"检验机构\"") && strstr(book, "name=\"按月趋势\""));
    /* the header bold (style 1) and frozen, the rows of numbers as numbers */
    CHECK(strstr(s1, "<c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t>辖区</t></is></c>") != NULL);
    CHECK(strstr(s1, "state=\"frozen\"") != NULL);
    CHECK(strstr(s1, "<t>锦江区</t>") && strstr(s1, "<t>合计</t>"));
    CHECK(strstr(s1, "<c r=\"C2\"><v>12</v></c>") != NULL);
    CHECK(strstr(s1, "<c r=\"Q2\" s=\"2\"><v>0.8333</v></c>") != NULL); /* 定期检验率, as a percentage */
    CHECK(strstr(s1, "r=\"Q3\"") == NULL);                              /* no rate without a denominator */
    CHECK(strstr(s1, "<col min=\"1\" max=\"1\" width=\"8.") != NULL);   /* 辖区: 3 wide characters + 2 */
    CHECK(strstr(s2, "<t>四川省特种设备检验研究院</t>") != NULL);
    CHECK(strstr(s2, "<t>=cmd|' /C calc'!A0</t>") != NULL && strstr(s2, "<f>") == NULL);
    CHECK(strstr(s3, "<t>2026-10</t>") && strstr(s3, "<t>2026-11-30</t>"));
  }
  free(book), free(s1), free(s2), free(s3), free(body);

  /* without a series, two sheets */
  cJSON_DeleteItemFromObject(a, "series");
  CHECK(sr_figures_sheet_render(a, NULL, "xlsx", &body, &len, &type, disp, sizeof disp, &pb));
  s3 = member(body, len, "xl/worksheets/sheet3.xml");
  s2 = member(body, len, "xl/worksheets/sheet2.xml");
  CHECK(s3 == NULL && s2 != NULL);
  free(s2), free(s3), free(body);
  sr_problem_free(&pb);
  cJSON_Delete(a);
}

static void refusals(void)
{
  cJSON *a = fixture();
  char *body = (char *)"x", disp[600];
  size_t len = 1;
  const char *type = NULL;
  struct sr_problem pb;
  sr_problem_init(&pb);
  CHECK(!sr_figures_sheet_render(a, NULL, "xls", &body, &len, &type, disp, sizeof disp, &pb));
  CHECK(pb.err == SR_BAD_REQUEST && body == NULL && len == 0);
  const cJSON *field = cJSON_GetObjectItem(cJSON_GetArrayItem(pb.errors, 0), "field");
  CHECK_STR(cJSON_GetStringValue(field), "format");
  sr_problem_free(&pb);
  sr_problem_init(&pb);
  cJSON *bad = cJSON_Parse("{\"rows\": [{\"name\": \"锦江区\"}]}");
  CHECK(!sr_figures_sheet_render(bad, NULL, "csv", &body, &len, &type, disp, sizeof disp, &pb));
  CHECK(pb.err == SR_INTERNAL && body == NULL);
  sr_problem_free(&pb);
  cJSON_Delete(bad);
  cJSON_Delete(a);
}

int main(void)
{
  RUN(csv_holds_the_jurisdictions);
  RUN(xlsx_holds_three_sheets);
  RUN(refusals);
  return CHECK_DONE();
}
