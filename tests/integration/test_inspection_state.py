"""A register's inspection state comes with it: a unit imported with its next due date keeps that
date (recorded, with the file it came from) until a real result arrives; one imported with only its
last inspection gets the date its rule decides from it; one imported with none is "inspection state
unknown", never overdue, and listed for the district to settle. The sweep opens an overdue hazard
only where the recorded date has passed."""
import os
import tempfile

from harness import run, tests_of, check, eq, sereg, sweep, inspection
from world import World, A

TODAY = "2026-12-02"
HEADER = ["序号", "设备代码", "设备类别", "管辖区域", "使用单位统一社会信用代码", "使用地点", "投用日期", "品种",
          "额定载重量（kg）", "额定速度 (m/s)", "层站数", "维护保养单位统一社会信用代码",
          "上次检验日期", "检验类别", "检验结论", "检验机构", "报告编号", "下次检验日期"]


def setup():
    w = World("inspection_state")
    w.accredit("elevator")
    d = tempfile.mkdtemp(prefix="sereg-state-")
    codes = [w.code() for _ in range(4)]
    state = {  # the last four columns as a district's register has them (some have nothing)
        "future": ["2026/3/20", "定期检验", "合格", "成都市特检院", "DT-2026-0320", "2027/3/31"],
        "past": ["2025/10/12", "", "合格", "", "", "2026年10月31日"],
        "last_only": ["2026.5.10", "定期检验", "合格", "", "DT-2026-0510", ""],
        "none": ["", "", "", "", "", ""],
    }
    rows = [HEADER]
    for i, (name, cells) in enumerate(state.items()):
        rows.append([str(i + 1), codes[i], "电梯", "锦江区", w.unit_a, f"红星路{i + 1}号", "2019/3/5", "3110", "1000", "1.75",
                     "12", w.maint] + cells)
    path = os.path.join(d, "锦江区台账.csv")
    with open(path, "w", encoding="gb18030", newline="") as f:
        for r in rows:
            f.write(",".join(r) + "\r\n")
    w.path = path
    r = sereg("import", "equipment", path, db=w.db, env={"SEREG_NOW": TODAY})
    eq(r.returncode, 0, r.stderr)
    w.summary = r.stdout
    w.ids = {name: int(w.db.sql(f"SELECT id FROM equipment WHERE equipment_code = '{codes[i]}'"))
             for i, name in enumerate(state)}
    return w


def teardown(w):
    w.server.stop()


def unit(w, name):
    return w.db.sql(f"SELECT coalesce(next_due::text, '-') || ' ' || inspection_state || ' ' || "
                    f"coalesce(next_due_rule, '-') FROM equipment WHERE id = {w.ids[name]}")


def test_each_unit_keeps_what_its_register_says(w):
    eq(unit(w, "future"), "2027-03-31 recorded register", "the recorded date")
    eq(unit(w, "past"), "2026-10-31 recorded register", "a recorded date already past")
    due, state, rule = unit(w, "last_only").split()
    check(due > "2026-05-10" and due < "2028-01-01" and state == "recorded", due)
    eq(unit(w, "none"), "- unknown register", "nothing made up from commissioning")
    check("检验状态未知 1 台" in w.summary and "inspection_state=unknown" in w.summary, w.summary)
    # where it comes from, for whoever asks why
    s, _, why = w.server.get(f"/api/v1/equipment/{w.ids['future']}/due", tok=w.city)
    eq(s, 200, why)
    eq((why["reason"], why["source"]["file"], why["source"]["line"]), ("下次检验日期按台账记录", w.path, 2), why)
    eq(why["last_inspection"], {"inspected_on": "2026-03-20", "kind": "periodic", "conclusion": "pass",
                                "agency": "成都市特检院", "report_number": "DT-2026-0320"}, why)
    s, _, rec = w.server.get(f"/api/v1/equipment/{w.ids['none']}", tok=w.city)
    eq((rec["inspection_state"], rec["next_due"]), ("unknown", None), rec)


def test_unknown_units_are_listed_for_the_district(w):
    pages = w.server.walk("/api/v1/equipment?inspection_state=unknown&count=true", tok=w.district_a)
    eq([i["id"] for p in pages for i in p], [w.ids["none"]], "the one unit without a state")
    eq(w.server.walk("/api/v1/equipment?inspection_state=unknown", tok=w.district_b), [[]], "another district's none")
    s, _, p = w.server.get("/api/v1/equipment?inspection_state=maybe", tok=w.city)
    eq(s, 400, p)


def test_the_sweep_opens_a_hazard_only_where_the_recorded_date_passed(w):
    def overdue(name):
        return w.db.count("hazard", f"equipment_id = {w.ids[name]} AND source = 'overdue' AND status = 'open'")
    sweep(w.db, TODAY)
    eq({n: overdue(n) for n in w.ids}, {"future": 0, "past": 1, "last_only": 0, "none": 0}, "on the day of the import")
    sweep(w.db, "2027-04-15")
    eq((overdue("future"), overdue("none")), (1, 0), "the recorded date passed; the unknown unit is never overdue")


def test_a_recorded_date_stands_until_a_real_result(w):
    eid = w.ids["future"]
    for action in ("suspend", "resume"):
        s, _, r = w.transition(eid, action)
        eq(s, 200, r)
    eq(unit(w, "future"), "2027-03-31 recorded register", "a suspension and a resumption leave the register's date")
    s, _, r = w.server.post("/api/v1/inspections", inspection({"id": eid}, "RPT-STATE-1", inspected_on="2026-11-20"),
                            tok=w.agency)
    eq(s, 201, r)
    due, state, rule = unit(w, "future").split()
    check(state == "decided" and rule.startswith("elevator.lua@") and due > "2026-11-20", unit(w, "future"))


def test_importing_the_same_file_again_changes_nothing(w):
    with w.db.unchanged("the same register again"):
        r = sereg("import", "equipment", w.path, db=w.db, env={"SEREG_NOW": TODAY})
    eq(r.returncode, 1, r.stderr)
    check("已经登记" in open(w.path + ".rejected.csv", encoding="gb18030").read(), "each row already registered")


if __name__ == "__main__":
    run(tests_of(globals()), setup, teardown)
