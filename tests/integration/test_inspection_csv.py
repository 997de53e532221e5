"""Results uploaded as an agency's system exports them: text/csv to POST /api/v1/inspections:batch
and `sereg import inspections`, GB18030 from Excel on Chinese Windows with Chinese titles, Excel's
dates and Chinese conclusions. A CSV row must be recorded exactly as the same result sent as JSON
(the stored rows are compared), a bad row refused with its line, and the rejects file of the
command written in the input's encoding with Chinese reasons."""
import json
import os
import tempfile

from harness import run, tests_of, check, eq, sereg
from world import World

HEADER = "序号,设备代码,报告编号,检验类别,检验日期,检验结论,缺陷,检验员,备注\r\n"
COLUMNS = ("kind", "inspected_on", "conclusion", "conclusion_text", "passed", "safety_grade", "defects",
           "inspector", "due_after")


def setup():
    w = World("inspection_csv")
    w.accredit("elevator")
    w.second_agency()
    w.accredit("elevator", agency=w.agency2_code)
    return w


def post_csv(w, data, tok=None, ctype="text/csv"):
    return w.server.request("POST", "/api/v1/inspections:batch", tok=tok or w.agency, raw=data,
                            headers={"Content-Type": ctype})


def stored(w, agency_code, prefix):
    """The stored results of <agency_code> whose report numbers begin <prefix>, by report number
    (the prefix cut), with the columns a result's content decides."""
    cols = ", ".join("i." + c for c in COLUMNS)
    out = w.db.sql(f"SELECT json_object_agg(substr(report_number, {len(prefix) + 1}), to_jsonb(x)) FROM "
                   f"(SELECT i.report_number, {cols} FROM inspection i JOIN organization o ON o.id = i.agency_id "
                   f"WHERE o.credit_code = '{agency_code}' AND report_number LIKE '{prefix}%') x")
    rows = json.loads(out) if out.strip() else {}
    for r in rows.values():
        r.pop("report_number")
    return rows


def rows_for(code_a, code_b, prefix):
    """Four good rows as an Excel export writes them and two bad ones, and the JSON items that
    say the same as the good ones."""
    csv = (HEADER +
           f"1,{code_a},{prefix}1,定期检验,2021/3/5,合格,,张工,\r\n"
           f"2,{code_a},{prefix}2,定期检验,2022年3月7日,不合格,A1:严重:门锁失效；B2:一般,李工,复检\r\n"
           "\r\n"
           f"3,{code_b},{prefix}3,定期检验,２０２１-０４-０１,合格,,王工,\r\n"
           f"4,{code_b},{prefix}4,定期检验,2021/13/5,合格,,王工,\r\n"
           f"5,{code_b},{prefix}5,定期检验,2022-04-02,大概合格,,王工,\r\n"
           f"6,{code_b},{prefix}6,定期检验,2022.4.3,合格,,,\r\n"
           f"7,{code_b},{prefix}7,定期检验,2022.4.4,合格,,\r\n")
    js = [
        {"equipment_code": code_a, "report_number": f"{prefix}1", "kind": "periodic", "inspected_on": "2021-03-05",
         "conclusion": "pass", "inspector": "张工"},
        {"equipment_code": code_a, "report_number": f"{prefix}2", "kind": "periodic", "inspected_on": "2022-03-07",
         "conclusion": "fail", "inspector": "李工",
         "defects": [{"code": "A1", "severity": "major", "description": "门锁失效"}, {"code": "B2", "severity": "general"}]},
        {"equipment_code": code_b, "report_number": f"{prefix}3", "kind": "periodic", "inspected_on": "2021-04-01",
         "conclusion": "pass", "inspector": "王工"},
        {"equipment_code": code_b, "report_number": f"{prefix}6", "kind": "periodic", "inspected_on": "2022-04-03",
         "conclusion": "pass"},
    ]
    return csv, js


def twins(w):
    return [w.register(commissioned_on="2020-05-10") for _ in range(4)]


def test_gb18030_csv_over_http_is_stored_as_json_would_be(w):
    a, b, ja, jb = twins(w)
    csv, _ = rows_for(a["equipment_code"], b["equipment_code"], "H-")
    _, js = rows_for(ja["equipment_code"], jb["equipment_code"], "H-")
    s, _, r = post_csv(w, csv.encode("gb18030"))
    eq(s, 200, f"the file is answered: {r}")
    eq((r["accepted"], r["refused"]), (4, 3), f"four rows recorded, three refused: {r}")
    eq([i["line"] for i in r["items"]], [2, 3, 5, 6, 7, 8, 9], "each answer names its line, the blank one skipped")
    eq([i["status"] for i in r["items"]], [201, 201, 201, 422, 422, 201, 400], "statuses")
    check("8 fields, the header 9" in r["items"][6]["problem"]["detail"], f"a short row: {r['items'][6]}")
    eq(r["items"][3]["problem"]["errors"][0]["field"], "inspected_on", "2021/13/5 is no date")
    eq(r["items"][4]["problem"]["errors"][0]["field"], "conclusion", "an unknown conclusion")
    s, _, rj = w.server.post("/api/v1/inspections:batch", js, tok=w.agency2)
    eq((s, rj["accepted"]), (200, 4), f"the same results as JSON: {rj}")
    got, want = stored(w, w.agency_code, "H-"), stored(w, w.agency2_code, "H-")
    eq(sorted(got), ["1", "2", "3", "6"], "the good rows are stored")
    eq(got, want, "each CSV row is stored as the same result sent as JSON")
    # The same file again is a replay, answered as recorded.
    s, _, again = post_csv(w, csv.encode("gb18030"), ctype="text/csv; charset=GBK")
    eq([i["status"] for i in again["items"]], [200, 200, 200, 422, 422, 200, 400], "a replay, the charset declared")


def test_utf8_bom_and_utf16_tabs(w):
    a, b, _, _ = twins(w)
    csv, _ = rows_for(a["equipment_code"], b["equipment_code"], "U-")
    s, _, r = post_csv(w, "\ufeff".encode() + csv.encode())
    eq((s, r["accepted"], r["refused"]), (200, 4, 3), f"UTF-8 with its BOM: {r}")
    c, d, _, _ = twins(w)
    tabbed = rows_for(c["equipment_code"], d["equipment_code"], "T-")[0].replace(",", "\t")
    s, _, r = post_csv(w, tabbed.encode("utf-16"))
    eq((s, r["accepted"], r["refused"]), (200, 4, 3), f"Excel's Unicode text: {r}")


def test_bad_files_and_callers(w):
    a, b, _, _ = twins(w)
    csv, _ = rows_for(a["equipment_code"], b["equipment_code"], "N-")
    before = w.db.count("inspection")
    s, _, r = post_csv(w, csv.encode("gb18030"), tok=w.city)
    eq(s, 403, f"a supervisor does not upload results: {r}")
    s, _, r = post_csv(w, b"")
    eq(s, 422, f"an empty file: {r}")
    s, _, r = post_csv(w, HEADER.encode("gb18030"))
    eq((s, r["errors"][0]["field"]), (422, "body"), f"a header alone: {r}")
    s, _, r = post_csv(w, "设备代码,检验日期\r\nX,2021-01-01\r\n".encode())
    eq(s, 422, f"a header without the needed columns: {r}")
    eq({e["field"] for e in r["errors"]}, {"report_number", "kind", "conclusion"}, "each missing column named")
    s, _, r = post_csv(w, csv.encode(), ctype="text/csv; charset=latin1")
    eq(s, 415, f"an encoding the reader does not know: {r}")
    eq(w.db.count("inspection"), before, "nothing written")


def import_file(w, data, *args, tok=None, env=None):
    d = tempfile.mkdtemp(prefix="sereg-insp-")
    path = os.path.join(d, "检验结果.csv")
    with open(path, "wb") as f:
        f.write(data)
    e = {"SEREG_TOKEN": tok} if tok else {}
    e.update(env or {})
    r = sereg("import", "inspections", path, *args, db=w.db, env=e)
    return r, path + ".rejected.csv"


def test_import_inspections_all_or_none_then_skip_invalid(w):
    a, b, ja, jb = twins(w)
    csv, _ = rows_for(a["equipment_code"], b["equipment_code"], "C-")
    _, js = rows_for(ja["equipment_code"], jb["equipment_code"], "C-")
    before = w.db.count("inspection")
    r, rejects = import_file(w, csv.encode("gb18030"), tok=w.agency)
    eq(r.returncode, 1, f"a refused row refuses the file: {r.stdout} {r.stderr}")
    eq(w.db.count("inspection"), before, "nothing recorded")
    check("被拒 3 行" in r.stderr, r.stderr)
    r, rejects = import_file(w, csv.encode("gb18030"), "--skip-invalid", tok=w.agency)
    eq(r.returncode, 0, f"--skip-invalid records the rest: {r.stdout} {r.stderr}")
    check("记录 4 条" in r.stdout and "GB18030" in r.stdout, r.stdout)
    s, _, rj = w.server.post("/api/v1/inspections:batch", js, tok=w.agency2)
    eq(rj["accepted"], 4, f"the same results as JSON: {rj}")
    eq(stored(w, w.agency_code, "C-"), stored(w, w.agency2_code, "C-"), "stored as the same results in JSON")
    raw = open(rejects, "rb").read()
    check(b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n"), "CRLF lines")
    lines = raw.decode("gb18030").split("\r\n")
    eq(lines[0], HEADER.rstrip("\r\n") + ",原因", "the header as written, and 原因")
    eq([l.split(",")[2] for l in lines[1:3]], ["C-4", "C-5"], "the refused rows, as written")
    check(lines[1].startswith("4,") and "2021/13/5" in lines[1], lines[1])
    check("第 6 行：检验日期" in lines[1], f"the reason names the line and the column as titled: {lines[1]}")
    check("第 7 行：检验结论" in lines[2] and "应为以下之一" in lines[2], f"in Chinese: {lines[2]}")
    check(lines[3].startswith("7,") and "第 9 行" in lines[3] and "字段" in lines[3], f"a short row: {lines[3]}")
    r, _ = import_file(w, csv.encode("gb18030"), "--skip-invalid", tok=w.agency)
    check(r.returncode == 0 and "已记录过 4 条" in r.stdout, f"a second run is a replay: {r.stdout} {r.stderr}")


def test_import_inspections_refuses_others(w):
    a, b, _, _ = twins(w)
    csv, _ = rows_for(a["equipment_code"], b["equipment_code"], "X-")
    before = w.db.count("inspection")
    r, _ = import_file(w, csv.encode("gb18030"), "--skip-invalid")
    eq(r.returncode, 2, f"no token, no run: {r.stderr}")
    r, _ = import_file(w, csv.encode("gb18030"), "--skip-invalid", tok=w.city)
    eq(r.returncode, 1, f"a supervisor's token: {r.stderr}")
    check("agenc" in r.stderr or "检验机构" in r.stderr, r.stderr)
    r, _ = import_file(w, b"", tok=w.agency)
    eq(r.returncode, 1, f"an empty file: {r.stderr}")
    r, _ = import_file(w, HEADER.encode("gb18030"), tok=w.agency)
    eq(r.returncode, 1, f"a header alone: {r.stderr}")
    eq(w.db.count("inspection"), before, "nothing written")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
