"""`sereg import`: CSV with English or Chinese headers, UTF-8 or GB18030, every row checked by the
type plugins, all or nothing unless --skip-invalid, rejected rows with reasons beside the input."""
import csv
import io
import json
import os
import tempfile

from harness import run, tests_of, check, eq, migrated, sereg, uscc

A = "510104"


def setup():
    db = migrated("import")
    d = tempfile.mkdtemp(prefix="sereg-import-")
    orgs = os.path.join(d, "orgs.csv")
    unit, maint = uscc(A, "MA6K0001"), uscc(A, "MA6K0002")
    with open(orgs, "w", encoding="utf-8") as f:
        f.write("credit_code,name,kind,jurisdiction\n")
        f.write(f"{unit},导入测试使用单位,user_unit,{A}\n{maint},导入测试维保单位,maintenance_unit,{A}\n")
    r = sereg("import", "organizations", orgs, db=db)
    eq(r.returncode, 0, r.stderr)
    return {"db": db, "dir": d, "unit": unit, "maint": maint, "n": 0}


def write(ctx, name, rows, encoding="utf-8"):
    path = os.path.join(ctx["dir"], name)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    with open(path, "wb") as f:
        f.write(buf.getvalue().encode(encoding))
    return path


def code(ctx, variety="3110"):
    ctx["n"] += 1
    return f"{variety}51124{2018:04d}{ctx['n']:05d}"


def lift_attrs(ctx, **over):
    a = {"variety": "3110", "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 10,
         "maintenance_unit": ctx["maint"]}
    a.update(over)
    return json.dumps(a, ensure_ascii=False)


HEADER = ["equipment_code", "type", "jurisdiction", "user_unit", "address", "commissioned_on", "attributes"]


def test_all_or_nothing_with_reasons(ctx):
    db = ctx["db"]
    good = [code(ctx), "elevator", A, ctx["unit"], "导入路 1 号", "2019-05-01", lift_attrs(ctx)]
    dup = list(good)
    rows = [HEADER, good,
            [code(ctx), "elevator", A, ctx["unit"], "2 号", "2019-05-01", lift_attrs(ctx, rated_load_kg=-1)],
            [code(ctx), "elevator", A, uscc(A, "MA6N9999"), "3 号", "2019-05-01", lift_attrs(ctx)],
            dup,
            [code(ctx), "elevator", A, ctx["unit"], "5 号", "2999-01-01", lift_attrs(ctx)],
            [code(ctx), "elevator", A, ctx["unit"], "too few"]]
    path = write(ctx, "mixed.csv", rows)
    with db.unchanged("nothing imported"):
        r = sereg("import", "equipment", path, db=db)
        eq(r.returncode, 1, "refused")
        check("6 行中有 5 行被拒，所以一行也没有导入" in r.stderr, r.stderr)
    with open(path + ".rejected.csv", encoding="utf-8-sig", newline="") as f:
        rej = list(csv.reader(f))
    eq(rej[0], HEADER + ["原因"], "rejects header: the file's own columns and the reason")
    by_line = {int(row[-1].split(" ")[1]): row[-1] for row in rej[1:]}
    eq(list(by_line), [3, 4, 5, 6, 7], "every bad line, in the file's order")
    eq(rej[3][:7], dup, "the row as it was")
    check("rated_load_kg" in by_line[3], by_line[3])
    check("没有以统一社会信用代码" in by_line[4], by_line[4])
    check("与本文件第 2 行重复" in by_line[5], by_line[5])
    check("commissioned_on" in by_line[6], by_line[6])
    check("本行有 5 个字段" in by_line[7], by_line[7])
    r = sereg("import", "equipment", path, "--skip-invalid", db=db)
    eq(r.returncode, 0, r.stderr)
    check("读取 6 行（UTF-8），导入 1 行" in r.stdout, r.stdout)
    eq(db.count("equipment", f"equipment_code = '{good[0]}'"), 1, "the good row")
    # a register without inspection columns says nothing of the unit's inspections: no date is
    # made up from its commissioning (the sweep would call it overdue), its state is unknown
    row = db.sql(f"SELECT status || ' ' || registration_number || ' ' || coalesce(next_due::text, '-') || ' ' "
                 f"|| inspection_state FROM equipment WHERE equipment_code = '{good[0]}'")
    check(row.startswith("in_service 梯11川A") and row.endswith(" - unknown"), row)
    check("检验状态未知 1 台" in r.stdout, r.stdout)
    eq(db.count("equipment_event", "action = 'import'"), 1, "history")
    eq(db.count("audit_log", "action = 'equipment.import'"), 1, "audit")
    eq(db.count("outbox", "event_type = 'equipment.imported'"), 1, "notice")


def test_chinese_headers_attribute_columns_and_gb18030(ctx):
    db = ctx["db"]
    header = ["设备代码", "设备类别", "管辖区域", "使用单位统一社会信用代码", "使用地点", "投用日期", "品种",
              "额定载重量 (kg)", "额定速度 (m/s)", "层站数", "维护保养单位统一社会信用代码", "状态"]
    rows = [header]
    codes = []
    for i in range(3):
        c = code(ctx)
        codes.append(c)
        rows.append([c, "电梯", A, ctx["unit"], f"锦江区红星路{i}号", "2020-03-01", "3110", "1000", "1.5", "8",
                     ctx["maint"], "在用" if i else "停用"])
    path = write(ctx, "gb.csv", rows, encoding="gb18030")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        raw.decode("utf-8")
        check(False, "the file really is not UTF-8")
    except UnicodeDecodeError:
        pass
    r = sereg("import", "equipment", path, db=db)
    eq(r.returncode, 0, r.stderr)
    check("GB18030" in r.stdout, r.stdout)
    eq(db.sql(f"SELECT address FROM equipment WHERE equipment_code = '{codes[1]}'"), "锦江区红星路1号", "converted")
    eq(db.sql(f"SELECT attributes->>'rated_speed_mps' FROM equipment WHERE equipment_code = '{codes[1]}'"), "1.5",
       "typed attribute")
    eq(db.sql(f"SELECT status || ':' || coalesce(next_due::text, 'none') FROM equipment WHERE equipment_code = "
              f"'{codes[0]}'"), "suspended:none", "停用 imports as suspended with nothing due")


def test_bom_crlf_and_quoted_line_breaks(ctx):
    db = ctx["db"]
    c = code(ctx)
    attrs = lift_attrs(ctx).replace('"', '""')
    text = ("\ufeff" + ",".join(HEADER) + "\r\n" +
            f'{c},elevator,{A},{ctx["unit"]},"锦江区, 红星路\r\n2 号",2019-05-01,"{attrs}"\r\n')
    path = os.path.join(ctx["dir"], "crlf.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    r = sereg("import", "equipment", path, db=db)
    eq(r.returncode, 0, r.stderr)
    eq(db.sql(f"SELECT address = E'锦江区, 红星路\\r\\n2 号' FROM equipment WHERE equipment_code = '{c}'"), "t",
       "a quoted field keeps its comma and its line break as written")


def test_broken_files(ctx):
    db = ctx["db"]
    cases = [
        ("empty.csv", b"", "empty"),
        ("header.csv", "equipment_code,type\n1,2\n".encode(), "jurisdiction"),
        ("quote.csv", ",".join(HEADER).encode() + b"\n\"unterminated,x\n", "never closed"),
        ("bytes.csv", ",".join(HEADER).encode() + b"\n\xff\xfe\xfd\x80,x\n", "neither UTF-8 nor GB18030"),
    ]
    with db.unchanged("nothing changed"):
        for name, data, needle in cases:
            path = os.path.join(ctx["dir"], name)
            with open(path, "wb") as f:
                f.write(data)
            r = sereg("import", "equipment", path, db=db)
            eq(r.returncode, 1, name)
            check(needle in r.stderr, f"{name}: {r.stderr}")
        path = write(ctx, "badquote.csv", [HEADER])
        with open(path, "a", encoding="utf-8") as f:
            f.write(f'{code(ctx)},ele"vator,{A},x,y,2019-01-01,{{}}\n')
        r = sereg("import", "equipment", path, db=db)
        eq(r.returncode, 1, "a stray quote")
        with open(path + ".rejected.csv", encoding="utf-8-sig") as f:
            check("quote inside an unquoted field" in f.read(), "reason recorded")
    r = sereg("import", "equipment", "/nonexistent.csv", db=db)
    eq(r.returncode, 1, "missing file")
    r = sereg("import", "ropeways", path, db=db)
    eq(r.returncode, 2, "unknown kind of import")


def test_organizations_import_checks_codes(ctx):
    db = ctx["db"]
    path = write(ctx, "orgs2.csv", [["统一社会信用代码", "名称", "类型", "所在区域"],
                                    [uscc(A, "MA6J0001"), "甲", "使用单位", A],
                                    ["91350100M000100Y44", "乙", "使用单位", A],
                                    [uscc(A, "MA6J0003"), "丙", "工厂", A],
                                    [uscc(A, "MA6J0004"), "丁", "检验机构", "999999"]])
    r = sereg("import", "organizations", path, "--skip-invalid", db=db)
    eq(r.returncode, 0, r.stderr)
    check("读取 4 行（UTF-8），导入 1 行" in r.stdout, r.stdout)
    with open(path + ".rejected.csv", encoding="utf-8-sig") as f:
        text = f.read()
    for needle in ("check character", "类型: ", "所在区域: 999999"):
        check(needle in text, needle)


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup)
