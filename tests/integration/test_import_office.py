"""`sereg import` of what a district office's Excel really exports: a 锦江区-style register in
GB18030 (with and without its BOM), UTF-8 with a BOM and Excel's "Unicode text" (UTF-16LE,
tab-separated); dates as Excel writes them, full-width digits, a 序号 and a 使用单位名称 column,
a header with full-width brackets, blank and comma-only rows, types by Chinese name or variety,
jurisdictions by name, and bad rows with several faults each. Then what the registration series
and a conflict say after an import, and a second import of the same file."""
import csv
import datetime
import io
import os
import tempfile
import zoneinfo

from harness import Server, run, tests_of, check, eq, migrated, sereg, token, uscc, elevator

A = "510104"
HEADER = ["序号", "设备代码", "设备类别", "品种", "管辖区域", "使用单位名称", "使用单位统一社会信用代码", "使用地点",
          "投用日期", "额定载重量（kg）", "额定速度 (m/s)", "层站数", "维护保养单位统一社会信用代码",
          "设计压力 (MPa)", "容积（m³）", "介质"]
FULL = str.maketrans("0123456789.", "０１２３４５６７８９．")
# (encoding of the file, its leading bytes, the delimiter)
VARIANTS = {
    "gb18030": ("gb18030", b"", ","),
    "gb18030_bom": ("gb18030", b"\x84\x31\x95\x33", ","),
    "utf8_bom": ("utf-8", b"\xef\xbb\xbf", ","),
    "utf16le": ("utf-16-le", b"\xff\xfe", "\t"),
}


def setup():
    db = migrated("import_office")
    d = tempfile.mkdtemp(prefix="sereg-import-office-")
    unit, maint = uscc(A, "MA6Q0001"), uscc(A, "MA6Q0002")
    orgs = os.path.join(d, "orgs.csv")
    with open(orgs, "w", encoding="utf-8") as f:
        f.write(f"统一社会信用代码,名称,类型,所在区域\n{unit},锦江区某物业公司,使用单位,锦江区\n"
                f"{maint},锦江区某电梯维保公司,维保单位,{A}\n")
    r = sereg("import", "organizations", orgs, db=db)
    eq(r.returncode, 0, r.stderr)
    eq(db.sql(f"SELECT jurisdiction FROM organization WHERE credit_code = '{unit}'"), A, "锦江区 read as its code")
    ctx = {"db": db, "dir": d, "unit": unit, "maint": maint, "n": 0, "server": Server(db)}
    ctx["city"] = token(db, "city_supervisor")
    return ctx


def serial(ctx):
    ctx["n"] += 1
    return f"{ctx['n']:05d}"


def yy():
    return datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).year % 100


def export(ctx):
    """The rows of one office's export, and what each should become: good rows as
    (line, code, type, variety, commissioned_on, jurisdiction, extra checks), bad rows as (line, needles)."""
    u, m = ctx["unit"], ctx["maint"]
    blank = [""] * len(HEADER)
    good, bad, rows = [], [], [HEADER]

    def add(row):
        rows.append(row)
        return len(rows)  # its line: the header is line 1, and every row here is one line

    def lift(n, code, typ, variety, on, jur="锦江区", load="1000"):
        return [str(n), code, typ, variety, jur, "锦江区某物业公司", u, f"红星路{n}号", on, load, "1.75", "12", m,
                "", "", ""]

    c = f"3110{51124}2018{serial(ctx)}"
    line = add(lift(1, c.translate(FULL), "电梯", "3110", "2019/3/5", load="１０００"))
    good.append((line, c, "elevator", "3110", "2019-03-05", A, {"rated_load_kg": "1000"}))
    first = c
    c = f"3110{51124}2018{serial(ctx)}"
    line = add(lift(2, c, "3110", "", "2019-3-5", jur="成都高新区"))
    good.append((line, c, "elevator", "3110", "2019-03-05", "510100-GX", {}))
    rows.append(list(blank))  # a row of commas only
    c = f"3110{51124}2018{serial(ctx)}"
    line = add(lift(3, c, "电梯", "曳引驱动乘客电梯", "2019年3月5日"))
    good.append((line, c, "elevator", "3110", "2019-03-05", A, {}))
    c = f"3120{51124}2018{serial(ctx)}"
    line = add(lift(4, c, "电梯", "3120", "2019.3.5"))
    good.append((line, c, "elevator", "3120", "2019-03-05", A, {}))
    bad_unit = uscc(A, "MA6Q9999")
    row = lift(5, f"3110{51124}2018{serial(ctx)}", "电梯", "3110", "2019/13/45", load="很多")
    row[6] = bad_unit
    line = add(row)
    bad.append((line, ["投用日期: “2019/13/45”不是日期", "额定载重量（kg）: “很多”不是整数",
                       f"使用单位统一社会信用代码: 没有以统一社会信用代码 {bad_unit} 登记的使用单位"]))
    c = f"3110{51124}2018{serial(ctx)}"
    line = add(lift(6, c, "电梯", "3110", "20190305"))
    good.append((line, c, "elevator", "3110", "2019-03-05", A, {}))
    rows.append([])  # an empty line
    c = f"2150{51124}2018{serial(ctx)}"
    line = add([str(7), c, "压力容器", "2150", "锦江区", "锦江区某物业公司", u, "锅炉房", "2019-03-05", "", "", "", "",
                "１．６", "2", "水"])
    good.append((line, c, "pressure_vessel", "2150", "2019-03-05", A, {"design_pressure_mpa": "1.6"}))
    row = lift(8, first, "游乐设施", "3110", "2019-03-05", jur="火星区")
    line = add(row)
    bad.append((line, ["设备类别: “游乐设施”不是已载入的设备类别", "管辖区域: 火星区 不是本市现行的区县级辖区",
                       "设备代码: 与本文件第 2 行重复"]))
    rows += [list(blank), list(blank), list(blank)]  # Excel's blank trailing rows
    return rows, good, bad


def write(ctx, name, rows, variant):
    encoding, lead, delim = VARIANTS[variant]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\r\n").writerows(rows)
    path = os.path.join(ctx["dir"], name)
    with open(path, "wb") as f:
        f.write(lead + buf.getvalue().encode(encoding))
    return path


def read_rejects(path, variant):
    """The rejects file decoded as the input's own encoding: its rows, after checking its mark and
    that every line ends in CRLF."""
    encoding, lead, delim = VARIANTS[variant]
    with open(path + ".rejected.csv", "rb") as f:
        data = f.read()
    if variant == "gb18030":
        check(not data.startswith(b"\x84\x31\x95\x33"), "a bare GB18030 input gets a bare GB18030 file")
    else:
        check(data.startswith(lead), f"{variant}: the rejects file begins with the input's mark: {data[:4]!r}")
    text = data[len(lead):].decode(encoding)
    check(text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), f"{variant}: CRLF line ends")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))


def check_import(ctx, variant):
    db = ctx["db"]
    rows, good, bad = export(ctx)
    path = write(ctx, f"jinjiang_{variant}.csv", rows, variant)
    with db.unchanged(f"{variant}: all or nothing, and two rows are bad"):
        r = sereg("import", "equipment", path, db=db)
        eq(r.returncode, 1, f"{variant}: refused without --skip-invalid")
    r = sereg("import", "equipment", path, "--skip-invalid", db=db)
    eq(r.returncode, 0, r.stderr)
    for needle in (f"读取 {len(good) + len(bad)} 行", f"导入 {len(good)} 行", "空行 5 行", f"被拒 {len(bad)} 行",
                   "忽略了 2 列：序号、使用单位名称"):
        check(needle in r.stdout, f"{variant}: {needle!r} in {r.stdout}")
    for line, code, typ, variety, on, jur, attrs in good:
        got = db.sql(f"SELECT type || ' ' || variety || ' ' || commissioned_on || ' ' || jurisdiction "
                     f"FROM equipment WHERE equipment_code = '{code}'")
        eq(got, f"{typ} {variety} {on} {jur}", f"{variant}: line {line}")
        for k, v in attrs.items():
            eq(db.sql(f"SELECT attributes->>'{k}' FROM equipment WHERE equipment_code = '{code}'"), v,
               f"{variant}: line {line} {k}")
    rej = read_rejects(path, variant)
    eq(rej[0], HEADER + ["原因"], f"{variant}: the input's columns and a reason")
    eq(len(rej) - 1, len(bad), f"{variant}: one row per bad row")
    for (line, needles), got in zip(bad, rej[1:]):
        eq(got[:-1], rows[line - 1], f"{variant}: line {line} as it was written")
        check(got[-1].startswith(f"第 {line} 行："), got[-1])
        for n in needles:
            check(n in got[-1], f"{variant}: line {line}: {n!r} in {got[-1]!r}")
    return path


def test_gb18030_without_bom(ctx):
    check_import(ctx, "gb18030")


def test_gb18030_with_bom(ctx):
    check_import(ctx, "gb18030_bom")


def test_utf8_with_bom(ctx):
    check_import(ctx, "utf8_bom")


def test_utf16le_unicode_text(ctx):
    check_import(ctx, "utf16le")


def sequences(db):
    return db.sql("SELECT coalesce(string_agg(prefix || '=' || coalesce(pg_sequence_last_value(sequence::regclass), 0),"
                  " ' ' ORDER BY prefix), '') FROM registration_series")


def test_reimport_changes_nothing(ctx):
    db = ctx["db"]
    rows, good, bad = export(ctx)
    for row in rows[1:]:
        if row and row[1] and row[2] == "电梯":
            row.append(f"梯11川A{int(row[1][-5:].translate({0xff10 + i: 48 + i for i in range(10)})) + 50000:05d}"
                       f"({yy()})")
        elif row and row[1]:
            row.append("")
    rows[0] = HEADER + ["使用登记证编号"]
    path = write(ctx, "again.csv", rows, "utf8_bom")
    r = sereg("import", "equipment", path, "--skip-invalid", db=db)
    eq(r.returncode, 0, r.stderr)
    check(f"导入 {len(good)} 行" in r.stdout, r.stdout)
    before = sequences(db)
    with db.unchanged("a second import of the same file"):
        r = sereg("import", "equipment", path, "--skip-invalid", db=db)
        eq(r.returncode, 0, r.stderr)
        check("导入 0 行" in r.stdout, r.stdout)
    eq(sequences(db), before, "the registration series did not move")
    rej = read_rejects(path, "utf8_bom")
    eq(len(rej) - 1, len(good) + len(bad), "every row refused the second time")
    good_lines = {g[0] for g in good}
    for row in rej[1:]:
        line = int(row[-1].split(" ")[1])
        check(line not in good_lines or "已经登记" in row[-1], f"an imported row is already registered: {row[-1]}")


def test_registration_after_import_gets_next_free_number(ctx):
    db, s = ctx["db"], ctx["server"]
    n = 70000 + ctx["n"]
    code = f"3110{51124}2018{serial(ctx)}"
    regno = f"梯11川A{n:05d}({yy()})"
    rows = [["设备代码", "设备类别", "管辖区域", "使用单位统一社会信用代码", "使用地点", "投用日期", "品种",
             "额定载重量 (kg)", "额定速度 (m/s)", "层站数", "维护保养单位统一社会信用代码", "使用登记证编号"],
            [code, "电梯", "锦江区", ctx["unit"], "红星路", "2019/3/5", "3110", "1000", "1.75", "12", ctx["maint"], regno]]
    path = write(ctx, "serials.csv", rows, "gb18030")
    r = sereg("import", "equipment", path, db=db)
    eq(r.returncode, 0, r.stderr)
    eq(db.sql(f"SELECT registration_number FROM equipment WHERE equipment_code = '{code}'"), regno, "kept as given")
    # the API reads the type as the import does: by its Chinese name too
    st, _, body = s.post("/api/v1/equipment", elevator(f"3110{51124}2018{serial(ctx)}", A, ctx["unit"], ctx["maint"],
                                                       type="电梯"), tok=ctx["city"])
    eq(st, 201, body)
    eq(body["type"], "elevator", "电梯 registers an elevator")
    eq(body["registration_number"], f"梯11川A{n + 1:05d}({yy()})", "the next free number")
    # A series left behind (numbers loaded before the series knew of them): the number it draws
    # is taken, and the conflict says so.
    db.sql(f"SELECT setval(sereg_registration_sequence('梯11/20{yy():02d}'), {n - 1})")
    st, _, body = s.post("/api/v1/equipment", elevator(f"3110{51124}2018{serial(ctx)}", A, ctx["unit"], ctx["maint"]),
                         tok=ctx["city"])
    eq(st, 409, body)
    eq([e["field"] for e in body.get("errors", [])], ["registration_number"], body)
    check("registration number" in body["detail"], body)
    # the series now draws the number the API gave above: an import that draws it says so
    more = [rows[0][:-1], [f"3110{51124}2018{serial(ctx)}"] + rows[1][1:-1]]
    path = write(ctx, "behind.csv", more, "gb18030")
    with db.unchanged("a conflict takes the import back"):
        r = sereg("import", "equipment", path, db=db)
    eq(r.returncode, 1, r.stderr)
    # (an import speaks Chinese whatever the locale: its file and its reasons are the office's)
    check("设备的使用登记证编号已经登记" in r.stderr and "registration_number: 已登记" in r.stderr, r.stderr)
    # and the import reports it as the registration number, with the code's faults beside it
    rows[1][0] = code
    path = write(ctx, "dup_regno.csv", rows, "gb18030")
    r = sereg("import", "equipment", path, db=db)
    eq(r.returncode, 1, r.stderr)
    reason = read_rejects(path, "gb18030")[1][-1]
    for n in (f"设备代码: {code} 已经登记", f"使用登记证编号: {regno} 已经登记"):
        check(n in reason, f"{n!r} in {reason!r}")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda ctx: ctx["server"].stop())
