"""The hazard rules as plugins under change and fault: a hazard keeps the ladder it was opened
with, a sweep that was down catches up once, two sweeps at once fire each rung once, a failing
decide() leaves only its own rung pending, a malformed hazards() answer changes nothing, and
malformed ladders and workflows are refused when they load."""
import datetime
import os
import re
import shutil
import subprocess

from harness import BIN, SRC, Server, copy_dir, run, tests_of, check, eq, sereg
from world import World, A

PLUGINS = os.path.join(SRC, "plugins")


def plus(d, n):
    return (datetime.date.fromisoformat(d) + datetime.timedelta(days=n)).isoformat()


def sweep(w, now, plugins=None, check_ok=True):
    args = ["sweep", "--now", now] + (["--plugins", plugins] if plugins else [])
    r = sereg(*args, db=w.db)
    if check_ok:
        eq(r.returncode, 0, f"sweep failed: {r.stderr}")
    return r


def hazard(w, hid):
    s, _, h = w.server.get(f"/api/v1/hazards/{hid}", tok=w.city)
    eq(s, 200, f"hazard {hid}")
    return h


def overdue_hazard(w, plugins=None):
    rec = w.register()
    day = plus(rec["next_due"], 1)
    sweep(w, day, plugins)
    hid = w.db.sql(f"SELECT id FROM hazard WHERE equipment_id = {rec['id']} AND source = 'overdue'")
    check(hid, "an overdue hazard")
    return int(hid), day


def edit(path, old, new):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    check(old in text, f"{old!r} in {path}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new))


def test_a_hazard_keeps_the_ladder_it_was_opened_with(w):
    old_h, day = overdue_hazard(w)
    newer = copy_dir(PLUGINS)
    try:
        ladder = os.path.join(newer, "escalation.lua")
        edit(ladder, 'version = "1.0.0"', 'version = "1.1.0"')
        edit(ladder, "after_days = 30,", "after_days = 7,")
        rec = w.register()
        new_day = plus(rec["next_due"], 1)
        sweep(w, new_day, newer)
        new_h = int(w.db.sql(f"SELECT id FROM hazard WHERE equipment_id = {rec['id']}"))
        eq(hazard(w, old_h)["ladder"], "escalation.lua@1.0.0", "the old one keeps its ladder")
        eq(hazard(w, new_h)["ladder"], "escalation.lua@1.1.0", "the new one runs under the new")
        eq(hazard(w, old_h)["deadlines"][0]["due_on"], plus(day, 30), "old numbers")
        eq(hazard(w, new_h)["deadlines"][0]["due_on"], plus(new_day, 7), "new numbers")
        eq(w.db.sql("SELECT count(*) FROM rule_definition WHERE kind = 'escalation'"), "2", "both definitions kept")
    finally:
        shutil.rmtree(newer)


def test_a_sweep_that_was_down_catches_up_once(w):
    hid, day = overdue_hazard(w)
    sweep(w, plus(day, 200))  # both day rungs are long due
    h = hazard(w, hid)
    eq([(d["rung"], d["fired_on"]) for d in h["deadlines"]],
       [("overdue_notice", plus(day, 200)), ("overdue_to_city", plus(day, 200))], "each fired once, on the day swept")
    eq(w.db.count("outbox", f"event_type = 'hazard.escalated' AND subject_id = '{hid}'"), 2, "two rungs, two notices")
    sweep(w, plus(day, 201))
    eq(w.db.count("outbox", f"event_type = 'hazard.escalated' AND subject_id = '{hid}'"), 2, "and no more")


def test_two_sweeps_at_once_fire_each_rung_once(w):
    ids = []
    for _ in range(30):
        hid, day = overdue_hazard(w)
        ids.append(hid)
    e = dict(os.environ, DATABASE_URL=w.db.dsn)
    e.pop("SEREG_NOW", None)
    later = plus(day, 400)
    procs = [subprocess.Popen([BIN, "sweep", "--now", later], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        eq(p.returncode, 0, f"sweep: {err}")
    listed = ",".join(f"'{i}'" for i in ids)
    eq(w.db.sql(f"SELECT count(*) FROM outbox WHERE event_type = 'hazard.escalated' AND subject_id IN ({listed})"),
       str(2 * len(ids)), "two rungs per hazard, each once")
    eq(w.db.sql(f"SELECT count(*) FROM hazard_event WHERE action = 'escalate' AND hazard_id IN ({listed.replace(chr(39), '')})"),
       str(2 * len(ids)), "and once in history")


def test_a_failing_decide_leaves_only_its_rung_pending(w):
    faulty = copy_dir(PLUGINS)
    try:
        edit(os.path.join(faulty, "escalation.lua"), "  rungs = {",
             "  decide = function(h, rung, today)\n"
             "    if h.equipment_id % 2 == 0 then error('cannot decide') end\n"
             "    if rung.id == 'overdue_to_city' then while true do end end\n"
             "    return nil\n  end,\n  rungs = {")
        made = [overdue_hazard(w, faulty) for _ in range(4)]
        r = sweep(w, plus(made[-1][1], 100), faulty)
        failed = int(re.search(r"(\d+) left by a failing plugin", r.stdout).group(1))
        check(failed >= 6, f"two hazards lose both rungs, two lose one: {r.stdout}")
        check("cannot decide" in r.stderr or "decide() failed" in r.stderr, f"logged: {r.stderr}")
        for hid, _ in made:
            eid = int(w.db.sql(f"SELECT equipment_id FROM hazard WHERE id = {hid}"))
            fired = w.db.sql(f"SELECT string_agg(substr(kind, 6), ',' ORDER BY kind) FROM deadline "
                             f"WHERE hazard_id = {hid} AND fired_on IS NOT NULL")
            pending = w.db.count("deadline", f"hazard_id = {hid} AND fired_on IS NULL")
            if eid % 2 == 0:
                eq((fired, pending), ("", 2), f"hazard {hid}: a throwing decide() fires nothing")
            else:
                eq((fired, pending), ("overdue_notice", 1), f"hazard {hid}: the endless loop only stops its own rung")
    finally:
        shutil.rmtree(faulty)


def test_a_malformed_hazards_answer_changes_nothing(w):
    bad = copy_dir(PLUGINS)
    try:
        edit(os.path.join(bad, "elevator.lua"), "local function hazards(eq, inspection, today)\n",
             "local function hazards(eq, inspection, today)\n"
             "  if inspection.report_number == 'BAD-GRADE' then return { { source = 'defect', condition = 'x', "
             "grade = 'catastrophic', reason = 'r' } } end\n"
             "  if inspection.report_number == 'BAD-CONDITION' then return { { source = 'defect', condition = 'x:y', "
             "grade = 'major', reason = 'r' } } end\n"
             "  if inspection.report_number == 'THROWS' then error('boom') end\n")
        w.server.stop()
        w.server = Server(w.db, plugin_dir=bad, env={"SEREG_NOW": "2026-06-15"})
        rec = w.register()
        snap = w.db.snapshot()
        for report in ("BAD-GRADE", "BAD-CONDITION", "THROWS"):
            s, _, p = w.server.post("/api/v1/inspections", {
                "equipment_id": rec["id"], "report_number": report, "kind": "periodic", "inspected_on": "2026-06-01",
                "conclusion": "fail", "inspector": "张工", "defects": []}, tok=w.agency)
            eq(s, 500, f"{report}: {p}")
            eq(p["type"], "urn:sereg:problem:plugin-failed", report)
            check("hazards()" in p["detail"], p["detail"])
        eq(w.db.snapshot(), snap, "no result, no hazard, no notice")
        s, _, p = w.server.get("/healthz")
        eq(s, 200, "still serving")
    finally:
        w.server.stop()
        w.server = Server(w.db, env={"SEREG_NOW": "2026-06-15"})
        shutil.rmtree(bad)


BAD_LADDERS = [
    ('rungs = {}', "'rungs' must be a list"),
    ('rungs = { { id = "a", reason = "r", after_days = 3 } }', "does nothing"),
    ('rungs = { { id = "a", reason = "r", after_days = 3, set = { grade = "severe" } } }', "grade must be general or major"),
    ('rungs = { { id = "a", reason = "r", after_days = -1, notify = { "city" } } }', "after_days"),
    ('rungs = { { id = "a", reason = "r", on = "tuesday", notify = { "city" } } }', "on must be"),
    ('rungs = { { id = "a", reason = "r", after_days = 1, on = "rectification_overdue", notify = { "city" } } }',
     "exactly one"),
    ('rungs = { { id = "a", reason = "r", after_days = 1, propose = "nowhere" } }', "no plugin declares"),
    ('rungs = { { id = "a", reason = "r", after_days = 1, notify = { "mayor" } } }', "notify"),
    ('rungs = { { id = "a", reason = "r", after_days = 1, notify = { "city" } }, '
     '{ id = "a", reason = "r", after_days = 2, notify = { "city" } } }', "declared twice"),
    ('rungs = { { id = "a", reason = "r", after_days = 1, notify = { "city" }, colour = "red" } }', "unknown key"),
]

BAD_WORKFLOWS = [
    ('initial = "nowhere"', "'initial' must name"),
    ('{ action = "close", from = { "verified" }, to = "closed", roles = SUPERVISORS }',
     "no final state can be reached"),
    ('roles = { "user_unit" } },', "roles must list"),
    ('issued = { deadline_days = 3 }', "deadline_days must be"),
    ('closed = { final = true, closes_hazards = true }', "leaves the final state"),
]


def test_malformed_ladders_and_workflows_are_refused_at_load(w):
    for body, why in BAD_LADDERS:
        d = copy_dir(PLUGINS)
        try:
            path = os.path.join(d, "escalation.lua")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            start = text.index("  rungs = {")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text[:start] + "  " + body + ",\n}\n")
            r = subprocess.run([BIN, "plugins", "check", d], capture_output=True, text=True)
            eq(r.returncode, 1, f"{body}: {r.stdout}")
            check(why in r.stderr and "escalation.lua" in r.stderr, f"{body}: {r.stderr}")
        finally:
            shutil.rmtree(d)
    replacements = {
        'initial = "nowhere"': ('initial = "issued"', 'initial = "nowhere"'),
        '{ action = "close", from = { "verified" }, to = "closed", roles = SUPERVISORS }':
            ('{ action = "close", from = { "verified" }, to = "closed", roles = SUPERVISORS },', ''),
        'roles = { "user_unit" } },': ('to = "acknowledged", roles = { "user_unit" } }',
                                       'to = "acknowledged", roles = { "mayor" } }'),
        'issued = { deadline_days = 3 }': ('issued = { deadline_days = 3 }', 'issued = { deadline_days = "3" }'),
        'closed = { final = true, closes_hazards = true }':
            ('{ action = "close", from = { "verified" }', '{ action = "close", from = { "closed" }'),
    }
    for key, why in BAD_WORKFLOWS:
        old, new = replacements[key]
        d = copy_dir(PLUGINS)
        try:
            edit(os.path.join(d, "rectification.lua"), old, new)
            r = subprocess.run([BIN, "plugins", "check", d], capture_output=True, text=True)
            eq(r.returncode, 1, f"{key}: {r.stdout}")
            check(why in r.stderr and "rectification.lua" in r.stderr, f"{key}: {r.stderr}")
        finally:
            shutil.rmtree(d)
    d = copy_dir(PLUGINS)
    try:
        shutil.copy(os.path.join(d, "escalation.lua"), os.path.join(d, "escalation2.lua"))
        r = subprocess.run([BIN, "plugins", "check", d], capture_output=True, text=True)
        check(r.returncode == 1 and "only one escalation ladder" in r.stderr, r.stderr)
    finally:
        shutil.rmtree(d)


def setup():
    w = World("hazard_rules", env={"SEREG_NOW": "2026-06-15"})
    w.accredit("elevator")
    return w


def teardown(w):
    w.close()


if __name__ == "__main__":
    run(tests_of(globals()), setup, teardown)
