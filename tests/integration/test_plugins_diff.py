"""A rule change replayed before it is live (`sereg plugins diff`), and the stored due dates
brought in line with a rule after it is (`sereg plugins apply-due`), on the demo city. What each
should find is worked out here from the stored units and their results, not asked of sereg."""
import csv
import datetime
import io
import json
import os
import re

from harness import run, tests_of, check, eq, PLUGINS, migrated, scratch, sereg

TODAY = "2026-06-15"
ENV = {"SEREG_NOW": TODAY}


def setup():
    db = migrated("plugins_diff")
    r = sereg("demo", db=db, env=ENV)
    eq(r.returncode, 0, r.stderr)
    return db


def edit(d, name, old, new, version):
    """Replaces <old> by <new> in plugin <name> of folder <d> (it must be there) and gives the file
    <version>."""
    path = os.path.join(d, name)
    with open(path, encoding="utf-8") as f:
        src = f.read()
    check(old in src, f"{name} holds {old!r}")
    src = src.replace(old, new, 1)
    src = re.sub(r'version = "[0-9.]+"', f'version = "{version}"', src, count=1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(src)


def month_sooner(d):
    """The new elevator rule's date for a unit the active one has due on <d>: the last day of the
    month before."""
    first = datetime.date.fromisoformat(d).replace(day=1)
    return (first - datetime.timedelta(days=1)).isoformat()


def sooner_by_a_month(d):
    """A copy of plugins/ in <d> whose elevators fall due at the end of the month before."""
    edit(d, "elevator.lua", "  local due = due_of(base, n)\n",
         "  local due = sereg.end_of_month(sereg.add_months(due_of(base, n), -1))\n", "1.5.0")


def expected_moves(db, where="true"):
    """{id: (stored date, the new rule's date, days)} for every elevator with a stored due date:
    the demo's dates are the active rule's, and the edit moves each to the month before."""
    rows = db.sql(f"SELECT id, next_due FROM equipment WHERE type = 'elevator' AND next_due IS NOT NULL AND {where}")
    out = {}
    for line in rows.splitlines():
        i, d = line.split("|")
        n = month_sooner(d)
        out[int(i)] = (d, n, (datetime.date.fromisoformat(n) - datetime.date.fromisoformat(d)).days)
    return out


def diff(db, d, *args, ok=True):
    r = sereg("plugins", "diff", d, "--now", TODAY, *args, db=db, env=ENV)
    if ok:
        eq(r.returncode, 0, r.stderr)
    return r


def changes(r):
    out = json.loads(r.stdout)
    return out, {c["id"]: c for c in out["changes"]}


def test_an_edited_interval_moves_exactly_the_units_it_should(db):
    want = expected_moves(db)
    check(len(want) > 20, f"the demo has elevators with due dates: {len(want)}")
    with scratch() as d:
        sooner_by_a_month(d)
        with db.unchanged("the replay writes nothing"):
            out, got = changes(diff(db, d, "--format", "json"))
            table = diff(db, d).stdout
    eq({i: (c["old"]["next_due"], c["new"]["next_due"], c["days"]) for i, c in got.items()}, want,
       "each elevator with a date, a month sooner")
    eq({c["move"] for c in got.values()}, {"earlier"}, "every move is earlier")
    eq({(c["old"]["rule"], c["new"]["rule"]) for c in got.values()}, {("elevator.lua@1.4.0", "elevator.lua@1.5.0")},
       "the rule versions")
    s = out["summary"]
    units = int(db.sql("SELECT count(*) FROM equipment"))
    eq((s["units"], s["changed"], s["hazards_opened"], s["hazards_closed"], s["invalid"]), (units, len(want), 0, 0, 0), s)
    by = {t["type"]: t for t in s["types"]}
    eq((by["elevator"]["earlier"], by["elevator"]["later"], by["boiler"]["earlier"] + by["boiler"]["later"]),
       (len(want), 0, 0), by)
    check("elevator.lua@1.4.0 → elevator.lua@1.5.0" in table and f"下次检验日期提前 {len(want)} 台" in table, table)
    first = min(want)
    check(f"设备 {first}（" in table and f"{want[first][0]} → {want[first][1]}" in table, "an example of the move")


def test_the_active_set_itself_changes_nothing(db):
    with db.unchanged("the replay writes nothing"):
        out, got = changes(diff(db, PLUGINS, "--format", "json"))
        table = diff(db, PLUGINS).stdout
    eq((got, out["summary"]["changed"]), ({}, 0), "no change")
    eq(out["summary"]["units"], int(db.sql("SELECT count(*) FROM equipment")), "every unit replayed")
    check("没有变化" in table, table)


def test_a_bad_new_folder_is_refused_as_check_refuses_it(db):
    cases = [("a syntax error", lambda d: open(os.path.join(d, "zz_broken.lua"), "w").write("return sereg.equipment_type { code = \n")),
             ("a bad declaration", lambda d: edit(d, "boiler.lua", 'code = "boiler"', 'code = "Boiler!"', "1.3.1"))]
    for what, spoil in cases:
        with scratch() as d:
            spoil(d)
            checked = sereg("plugins", "check", d, db=db)
            check(checked.returncode != 0, f"{what}: check refuses it")
            reason = checked.stderr.strip().split(": ", 1)[1]
            with db.unchanged(f"{what}: nothing compared"):
                r = diff(db, d, "--format", "json", ok=False)
            eq(r.returncode, 1, f"{what}: {r.stderr}")
            eq(r.stderr.strip(), "sereg plugins diff: " + reason, f"{what}: the same reason")
            eq(r.stdout, "", f"{what}: nothing compared")


def test_jurisdiction_limits_it(db):
    want = expected_moves(db, "jurisdiction = '510104'")
    check(want, "the demo has elevators in 锦江区")
    with scratch() as d:
        sooner_by_a_month(d)
        out, got = changes(diff(db, d, "--format", "json", "--jurisdiction", "510104"))
        eq(set(got), set(want), "only 锦江区's units")
        eq(out["summary"]["units"], int(db.sql("SELECT count(*) FROM equipment WHERE jurisdiction = '510104'")), "replayed")
        r = diff(db, d, "--jurisdiction", "999999", ok=False)
        check(r.returncode != 0 and "999999" in r.stderr and r.stdout == "", r.stderr)


def test_the_csv_opens_in_excel_on_chinese_windows(db):
    want = expected_moves(db)
    with scratch() as d:
        sooner_by_a_month(d)
        r = sereg_bytes(db, "plugins", "diff", d, "--now", TODAY, "--format", "csv")
    check(r.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM")
    body = r[3:]
    check(body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b""), "every line ends in CRLF")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    eq(rows[0][:3], ["设备ID", "设备代码", "使用登记证编号"], "Chinese headers")
    got = {int(x[0]): (x[6], x[7], int(x[8])) for x in rows[1:]}
    eq(got, want, "one line per changed unit")


def sereg_bytes(db, *args):
    import subprocess
    from harness import BIN, sereg_env
    r = subprocess.run([BIN, *args], capture_output=True, env=sereg_env(db, ENV), timeout=120)
    eq(r.returncode, 0, r.stderr)
    return r.stdout


def test_hazards_and_attribute_checks_a_new_set_would_change(db):
    # The new set grades a failed lift still in use 一般 (not 重大), and wants a passenger lift to
    # carry 1,200 kg. Worked out here: the in-service elevators' standing failed results, and the
    # passenger lifts whose stored load is under 1,200 kg (the active set's 180 kg is met by all).
    failed = db.sql("SELECT e.id || '|' || i.report_number FROM inspection i JOIN equipment e ON e.id = i.equipment_id "
                    "WHERE e.type = 'elevator' AND e.status = 'in_service' AND NOT i.passed AND i.superseded_by IS NULL")
    failed = {tuple(x.split("|")) for x in failed.splitlines()}
    light = db.sql("SELECT id FROM equipment WHERE type = 'elevator' AND attributes->>'variety' IN ('3110', '3210', '3410', '3420') "
                   "AND (attributes->>'rated_load_kg')::int < 1200")
    light = {int(x) for x in light.splitlines()}
    check(failed and light, f"the demo has failed lifts in use ({len(failed)}) and light passenger lifts ({len(light)})")
    with scratch() as d:
        edit(d, "elevator.lua", 'condition = "failed_result", grade = "major"', 'condition = "failed_result", grade = "general"',
             "1.4.1")
        edit(d, "elevator.lua", "a.rated_load_kg < 180", "a.rated_load_kg < 1200", "1.4.1")
        with db.unchanged("the replay writes nothing"):
            out, got = changes(diff(db, d, "--format", "json"))
    opened = {(str(i), h["report_number"]) for i, c in got.items() for h in c["hazards_opened"]
              if h["condition"] == "failed_result" and h["grade"] == "general"}
    closed = {(str(i), h["report_number"]) for i, c in got.items() for h in c["hazards_closed"]
              if h["condition"] == "failed_result" and h["grade"] == "major"}
    eq((opened, closed), (failed, failed), "each failed result in use: 重大 no longer, 一般 instead")
    eq(sum(len(c["hazards_opened"]) for c in got.values()), len(failed), "nothing else opened")
    invalid = {i for i, c in got.items() if c["invalid"]}
    eq(invalid, light, "the light passenger lifts fail the new check")
    check(all(e["field"] == "attributes.rated_load_kg" for i in invalid for e in got[i]["invalid"]), "named by field")
    eq({c["move"] for c in got.values()}, {"same"}, "no due date moves")
    eq(out["summary"]["invalid"], len(light), out["summary"])


def test_apply_due_stores_what_its_dry_run_said(db):
    fresh = migrated("plugins_apply_due")
    eq(sereg("demo", db=fresh, env=ENV).returncode, 0, "demo")
    want = expected_moves(fresh)
    with scratch() as d:
        sooner_by_a_month(d)

        def apply_due(*args):
            r = sereg("plugins", "apply-due", "--plugins", d, "--now", TODAY, "--format", "json", *args, db=fresh, env=ENV)
            eq(r.returncode, 0, r.stderr)
            return changes(r)

        with fresh.unchanged("a dry run writes nothing"):
            dry, dry_items = apply_due()
        eq({i: (c["old"]["next_due"], c["new"]["next_due"], c["days"]) for i, c in dry_items.items()}, want, "the dry run")
        events = fresh.count("outbox", "event_type = 'equipment.due_changed'")
        done, done_items = apply_due("--apply")
        eq(done["changes"], dry["changes"], "--apply does what the dry run said")
        stored = fresh.sql("SELECT id || '|' || next_due || '|' || next_due_rule FROM equipment WHERE id IN (%s)"
                           % ",".join(map(str, want)))
        eq({int(x.split("|")[0]): tuple(x.split("|")[1:]) for x in stored.splitlines()},
           {i: (w[1], "elevator.lua@1.5.0") for i, w in want.items()}, "the stored dates and rule")
        eq(fresh.count("equipment_event", "action = 'recompute_due' AND reason = 'elevator.lua@1.5.0'"), len(want), "history")
        eq(fresh.count("audit_log", "action = 'equipment.recompute_due'"), len(want), "audit")
        eq(fresh.count("outbox", "event_type = 'equipment.due_changed' AND payload->>'reason' = 'elevator.lua@1.5.0'"),
           len(want), "a notice each, the rule as its reason")
        eq(fresh.count("outbox", "event_type = 'equipment.due_changed'"), events + len(want), "and no other")
        with fresh.unchanged("a second --apply changes nothing"):
            again, _ = apply_due("--apply")
        eq((again["changes"], again["summary"]["changed"]), ([], 0), "nothing left to do")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup)
