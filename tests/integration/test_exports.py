"""The lists of units, hazards and rectifications as CSV and xlsx files (format=, or Accept), on
the demo city: each file holds the rows of the JSON list under the same filters and scope, in the
same order, under Chinese titles and statuses; a district supervisor's file holds its district
alone; a bad format, paging parameters with a format, and a list past the ceiling are refused
with a problem; a CSV file opens in Excel on Chinese Windows (its BOM, CRLF, no mojibake), and
a cell Excel would take for a formula stays text. The figures of GET /api/v1/figures as CSV and
xlsx hold the numbers of its JSON answer, row for row; their cells are checked one by one by
tests/unit/domain/test_figures_sheet.c."""
import csv
import io
import re
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile

from harness import run, tests_of, check, eq, migrated, sereg, start_refused, token, Server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
STATUS = {"pending": "待审批", "in_service": "在用", "suspended": "停用", "scrapped": "报废", "cancelled": "注销"}
GRADE = {"general": "一般隐患", "major": "重大隐患"}
# Each kind: the column of its key in the file, the JSON member it shows, filters to try.
KINDS = {
    "equipment": ("设备代码", "equipment_code",
                  ["", "status=in_service", "type=elevator&sort=-next_due", "overdue=true", "q=锦江",
                   "jurisdiction=510105&sort=equipment_code"]),
    "hazards": ("隐患编号", "id", ["", "grade=major", "status=open&source=failed_in_use"]),
    "rectifications": ("编号", "id", ["", "open=true", "workflow=listed_supervision&state=proposed"]),
}


class Ctx:
    pass


def setup():
    c = Ctx()
    c.db = migrated("exports")
    r = sereg("demo", db=c.db)
    eq(r.returncode, 0, r.stderr)
    # A user unit's address that Excel would run as a formula, as an import from outside may hold.
    c.db.sql("UPDATE equipment SET address = '=HYPERLINK(\"http://x.example/\",\"点击\")' WHERE id = 3")
    c.city = token(c.db, "city_supervisor")
    c.district = token(c.db, "district_supervisor", "510104")
    c.server = Server(c.db)
    return c


def teardown(c):
    c.server.stop()


def q(s):
    return urllib.parse.quote(s, safe="=&")


def json_rows(c, kind, filters, tok):
    rows = []
    for page in c.server.walk(f"/api/v1/{kind}?limit=7" + (f"&{q(filters)}" if filters else ""), tok=tok):
        rows += page
    return rows


def get_file(c, kind, filters, fmt, tok, headers=None):
    path = f"/api/v1/{kind}?" + "&".join(p for p in (q(filters), f"format={fmt}" if fmt else "") if p)
    return c.server.fetch("GET", path, tok=tok, headers=headers)


def csv_rows(body):
    check(body.startswith(b"\xef\xbb\xbf"), f"a BOM first: {body[:10]!r}")
    text = body.decode("utf-8-sig")  # as Excel reads a file with the BOM
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_rows(body):
    """The first sheet's rows as text (inline strings and numbers), and its XML."""
    z = zipfile.ZipFile(io.BytesIO(body))
    eq(z.testzip(), None, "every member of the workbook reads back")
    xml = z.read("xl/worksheets/sheet1.xml").decode()
    rows = []
    for row in ET.fromstring(xml).find("m:sheetData", NS):
        cells = {}
        for cell in row:
            col = re.match(r"[A-Z]+", cell.get("r")).group(0)
            idx = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(col))) - 1
            v = cell.find("m:v", NS)
            t = cell.find("m:is/m:t", NS)
            cells[idx] = v.text if v is not None else t.text
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows, xml


def test_each_list_as_csv_and_xlsx_holds_the_json_rows(c):
    for kind, (title, member, filter_sets) in KINDS.items():
        for filters in filter_sets:
            want = [str(r[member]) for r in json_rows(c, kind, filters, c.city)]
            s, h, body = get_file(c, kind, filters, "csv", c.city)
            eq(s, 200, f"{kind}?{filters}: {body[:300]!r}")
            check(h["content-type"].startswith("text/csv"), h["content-type"])
            rows = csv_rows(body)
            key = rows[0].index(title)
            eq([r[key] for r in rows[1:]], want, f"{kind}?{filters} as CSV: the JSON list's rows, in its order")
            s, h, body = get_file(c, kind, filters, "xlsx", c.city)
            eq(s, 200, f"{kind}?{filters} xlsx")
            eq(h["content-type"], XLSX)
            xrows, _ = xlsx_rows(body)
            eq(xrows[0], rows[0], f"{kind}: the same titles in both formats")
            got = [r[key] if key < len(r) else "" for r in xrows[1:]]
            eq(got, want, f"{kind}?{filters} as xlsx")
    check(len(json_rows(c, "equipment", "", c.city)) == 100, "the whole demo city in one file")


def test_the_cells_speak_chinese(c):
    items = json_rows(c, "equipment", "sort=equipment_code", c.city)
    rows = csv_rows(get_file(c, "equipment", "sort=equipment_code", "csv", c.city)[2])
    head = rows[0]
    for t in ("设备代码", "使用登记证编号", "设备类别", "使用单位", "地址", "状态", "下次检验日期"):
        check(t in head, f"{t} in {head}")
    for item, row in zip(items, rows[1:]):
        cell = dict(zip(head, row))
        eq(cell["状态"], STATUS[item["status"]], "the status as the catalogue has it")
        eq(cell["使用登记证编号"], item["registration_number"] or "")
        eq(cell["下次检验日期"], item["next_due"] or "", "a date as YYYY-MM-DD")
        eq(cell["使用单位"], item["user_unit_name"])
        check(cell["设备类别"] in ("电梯", "锅炉", "固定式压力容器"), cell["设备类别"])
    hazards = json_rows(c, "hazards", "", c.city)
    hrows = csv_rows(get_file(c, "hazards", "", "csv", c.city)[2])
    check(len(hazards) > 0, "the demo has hazards")
    for item, row in zip(hazards, hrows[1:]):
        eq(dict(zip(hrows[0], row))["隐患等级"], GRADE[item["grade"]])


def test_numbers_are_numbers_and_the_header_is_bold_and_frozen(c):
    body = get_file(c, "hazards", "", "xlsx", c.city)[2]
    rows, xml = xlsx_rows(body)
    check('state="frozen"' in xml and 'ySplit="1"' in xml, "the header row frozen")
    check(re.search(r'<c r="A1" s="1" t="inlineStr"><is><t>隐患编号</t>', xml), "a bold title")
    check(re.search(r'<c r="A2"><v>\d+</v></c>', xml), "the hazard's number a number, not text")
    # widths fitted: 使用单位统一社会信用代码 is 12 wide characters
    cols = re.findall(r'<col min="(\d+)" max="\d+" width="([\d.]+)"', xml)
    check(len(cols) == len(rows[0]), cols)
    width = dict((int(a), float(b)) for a, b in cols)
    check(width[5] >= 24, f"a CJK title's column as wide as its characters: {width}")


def test_a_formula_stays_text(c):
    rows = csv_rows(get_file(c, "equipment", "", "csv", c.city)[2])
    cell = dict(zip(rows[0], [r for r in rows[1:] if r[-1] == "3"][0]))
    eq(cell["地址"], "'=HYPERLINK(\"http://x.example/\",\"点击\")", "a leading ' as Excel's own makes it text")
    _, xml = xlsx_rows(get_file(c, "equipment", "", "xlsx", c.city)[2])
    check("<f>" not in xml, "no formula in the workbook")
    check("<t>=HYPERLINK(&quot;http://x.example/&quot;,&quot;点击&quot;)</t>" in xml
          or '<t>=HYPERLINK("http://x.example/","点击")</t>' in xml, "the address as a string")


def test_excel_on_chinese_windows_reads_the_csv(c):
    s, h, body = get_file(c, "equipment", "jurisdiction=510104", "csv", c.city)
    eq(s, 200)
    eq(body[:3], b"\xef\xbb\xbf", "the UTF-8 BOM Excel needs to read the file as UTF-8, not GBK")
    text = body.decode("utf-8-sig")  # raises on a byte that is not UTF-8
    check("\ufffd" not in text and "锦江区" in text, "no mojibake")
    check(text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "CRLF line ends")
    try:
        wrong = body[3:].decode("gbk")
    except UnicodeDecodeError:
        wrong = None
    check(wrong is None or "锦江区" not in wrong, "read as GBK it would be mojibake: the BOM matters")
    disp = h["content-disposition"]
    m = re.search(r"filename\*=UTF-8''(\S+)", disp)
    check(disp.startswith("attachment;") and m, disp)
    name = urllib.parse.unquote(m.group(1))
    check(re.fullmatch(r"设备清单-\d{4}-\d{2}-\d{2}\.csv", name), name)
    check(re.search(r'filename="equipment-\d{4}-\d{2}-\d{2}\.csv"', disp), f"an ASCII fallback: {disp}")
    disp = get_file(c, "rectifications", "", "xlsx", c.city)[1]["content-disposition"]
    check(re.search(r'filename="rectifications-[\d-]+\.xlsx"', disp), disp)


def test_accept_asks_for_a_file(c):
    s, h, body = get_file(c, "hazards", "grade=major", None, c.city, headers={"Accept": "text/csv"})
    eq(s, 200)
    check(h["content-type"].startswith("text/csv") and body.startswith(b"\xef\xbb\xbf"), h)
    s, h, body = get_file(c, "equipment", "", None, c.city, headers={"Accept": XLSX})
    eq((s, h["content-type"], body[:2]), (200, XLSX, b"PK"))
    s, h, body = get_file(c, "equipment", "", None, c.city, headers={"Accept": "application/json, */*"})
    check(s == 200 and h["content-type"].startswith("application/json"), h)
    s, h, body = get_file(c, "equipment", "", "json", c.city, headers={"Accept": "text/csv"})
    check(s == 200 and h["content-type"].startswith("application/json"), "format= wins over Accept")


def test_a_district_exports_its_own_rows_only(c):
    for kind, (title, member, filter_sets) in KINDS.items():
        want = [str(r[member]) for r in json_rows(c, kind, "", c.district)]
        for fmt in ("csv", "xlsx"):
            s, _, body = get_file(c, kind, "", fmt, c.district)
            eq(s, 200, f"{kind} {fmt}: {body[:200]!r}")
            rows = csv_rows(body) if fmt == "csv" else xlsx_rows(body)[0]
            head = rows[0]
            eq([r[head.index(title)] for r in rows[1:]], want, f"{kind} {fmt}: the district's JSON rows")
            codes = {r[head.index("辖区代码")] for r in rows[1:]}
            check(codes <= {"510104"}, f"{kind} {fmt}: another district's rows: {codes}")
    check(len(json_rows(c, "equipment", "", c.district)) == 13, "the district's units")
    # Another district's filter: the same answer as the JSON list's
    sj, _, bj = c.server.fetch("GET", "/api/v1/equipment?jurisdiction=510105", tok=c.district)
    s, _, body = get_file(c, "equipment", "jurisdiction=510105", "csv", c.district)
    if sj == 200:
        eq(s, 200)
        eq(len(csv_rows(body)) - 1, 0, "nothing of 510105")
    else:
        eq(s, sj, f"refused as the JSON list is: {body!r}")


def problem(s, body, status, field=None):
    eq(s, status, body[:300])
    import json
    p = json.loads(body)
    if field:
        check(any(e["field"] == field for e in p.get("errors", [])), f"names {field}: {p}")
    return p


def test_bad_requests_are_problems(c):
    for v in ("xls", "CSV", "", "csv;x", "xlsx%20", "%E8%A1%A8"):
        s, h, body = c.server.fetch("GET", f"/api/v1/equipment?format={v}", tok=c.city)
        problem(s, body, 400, "format")
    s, _, body = c.server.fetch("GET", "/api/v1/organizations?format=csv", tok=c.city)
    problem(s, body, 400, "format")
    s, _, body = c.server.fetch("GET", "/api/v1/equipment?format=csv&limit=10", tok=c.city)
    problem(s, body, 400, "limit")
    s, _, body = c.server.fetch("GET", "/api/v1/hazards?format=xlsx&cursor=e2", tok=c.city)
    problem(s, body, 400, "cursor")
    # the list's own refusals, as for JSON
    s, _, body = c.server.fetch("GET", "/api/v1/equipment?format=csv&status=broken", tok=c.city)
    problem(s, body, 400, "status")
    s, _, body = c.server.fetch("GET", "/api/v1/rectifications?format=csv&colour=red", tok=c.city)
    problem(s, body, 400, "colour")
    s, _, body = c.server.fetch("GET", "/api/v1/equipment?format=csv")
    eq(s, 401, "a token is needed as for JSON")
    # count is the JSON list's; a file ignores it
    s, _, body = c.server.fetch("GET", "/api/v1/hazards?format=csv&count=true", tok=c.city)
    eq(s, 200)


def sheet_xml(body, n):
    return zipfile.ZipFile(io.BytesIO(body)).read(f"xl/worksheets/sheet{n}.xml").decode()


def test_the_figures_as_files_hold_the_json_numbers(c):
    """The city's figures of a quarter: one file row per JSON row, in its order, with its numbers."""
    s, _, body = c.server.fetch("GET", "/api/v1/figures?period=2026-Q3&series=3", tok=c.city)
    eq(s, 200, body[:300])
    import json
    ans = json.loads(body)
    names = [r["name"] for r in ans["rows"]]
    check(len(names) > 2 and names[-1] == "合计", f"the districts and the total: {names}")
    for fmt, accept in (("csv", None), ("xlsx", None), (None, "text/csv"), (None, XLSX)):
        path = "/api/v1/figures?period=2026-Q3&series=3" + (f"&format={fmt}" if fmt else "")
        s, h, fbody = c.server.fetch("GET", path, tok=c.city, headers={"Accept": accept} if accept else None)
        eq(s, 200, fbody[:300])
        kind = fmt or ("csv" if accept == "text/csv" else "xlsx")
        check("attachment" in h.get("content-disposition", ""), f"a file: {h}")
        rows = csv_rows(fbody) if kind == "csv" else xlsx_rows(fbody)[0]
        rows = [r for r in rows if r and not r[0].startswith("#")]
        title = rows[0]
        eq([r[0] for r in rows[1:]], names, f"{kind}: the rows of the JSON answer, in its order")
        col = title.index("设备总数")
        eq([int(float(r[col])) for r in rows[1:]], [r["figures"]["units"]["total"] for r in ans["rows"]],
           f"{kind}: 设备总数 as the JSON says")
        col = title.index("超期未检")
        eq([int(float(r[col])) for r in rows[1:]], [r["figures"]["overdue"] for r in ans["rows"]],
           f"{kind}: 超期未检 as the JSON says")
        if kind == "xlsx":
            book = zipfile.ZipFile(io.BytesIO(fbody)).read("xl/workbook.xml").decode()
            check("按月趋势" in book and "检验机构" in book, f"the series and the agencies have sheets of their own: {book}")
    # the district's own row only, and a bad format named
    s, _, fbody = c.server.fetch("GET", "/api/v1/figures?period=2026-Q3&format=csv", tok=c.district)
    eq(s, 200)
    rows = [r for r in csv_rows(fbody) if r and not r[0].startswith("#")]
    eq(len(rows), 2, f"the title and 锦江区 alone: {rows}")
    s, _, fbody = c.server.fetch("GET", "/api/v1/figures?format=xls", tok=c.city)
    problem(s, fbody, 400, "format")


def test_the_ceiling(c):
    n = len(json_rows(c, "equipment", "jurisdiction=510104", c.city))
    low = Server(c.db, env={"SEREG_EXPORT_MAX_ROWS": str(n)})
    try:
        s, _, body = low.fetch("GET", "/api/v1/equipment?format=csv&jurisdiction=510104", tok=c.city)
        eq(s, 200, "a list of exactly the ceiling")
        eq(len(csv_rows(body)) - 1, n)
        for fmt in ("csv", "xlsx"):
            s, h, body = low.fetch("GET", f"/api/v1/equipment?format={fmt}", tok=c.city)
            p = problem(s, body, 400)
            check("narrow" in p["detail"] and "100" in p["detail"], p)
            check("content-disposition" not in h, "nothing partial")
        s, h, body = low.fetch("GET", "/api/v1/equipment?format=csv", tok=c.city, headers={"Accept-Language": "zh-CN"})
        check("筛选" in problem(s, body, 400)["detail"], body.decode())
        # JSON lists know no such ceiling
        eq(low.fetch("GET", "/api/v1/equipment?limit=500", tok=c.city)[0], 200)
    finally:
        low.stop()


def test_a_bad_ceiling_stops_the_server_at_start(c):
    for v in ("0", "-1", "100001", "lots", ""):
        start_refused(c.db, {"SEREG_EXPORT_MAX_ROWS": v})


if __name__ == "__main__":
    run(tests_of(globals()), setup, teardown)
