"""The hazard rules as plugins under change and fault: a hazard keeps the ladder it was opened
with, a sweep that was down catches up once, two sweeps at once fire each rung once, a failing
decide() leaves only its own rung pending, a malformed hazards() answer changes nothing, and
malformed ladders and workflows are refused when they load."""
import os
import re
import shutil

from harness import day_after, inspection, scratch, sereg, sweep, sweeps_at_once, run, tests_of, check, eq
from world import World


def overdue_hazard(w, plugins=None):
    rec = w.register()
    day = day_after(rec["next_due"], 1)
    sweep(w.db, day, plugins)
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
    with scratch() as newer:
        ladder = os.path.join(newer, "escalation.lua")
        edit(ladder, 'version = "1.0.0"', 'version = "1.1.0"')
        edit(ladder, "after_days = 30,", "after_days = 7,")
        rec = w.register()
        new_day = day_after(rec["next_due"], 1)
        sweep(w.db, new_day, newer)
        new_h = int(w.db.sql(f"SELECT id FROM hazard WHERE equipment_id = {rec['id']}"))
        eq(w.hazard(old_h)["ladder"], "escalation.lua@1.0.0", "the old one keeps its ladder")
        eq(w.hazard(new_h)["ladder"], "escalation.lua@1.1.0", "the new one runs under the new")
        eq(w.hazard(old_h)["deadlines"][0]["due_on"], day_after(day, 30), "old numbers")
        eq(w.hazard(new_h)["deadlines"][0]["due_on"], day_after(new_day, 7), "new numbers")
        eq(w.db.sql("SELECT count(*) FROM rule_definition WHERE kind = 'escalation'"), "2", "both definitions kept")


def test_a_sweep_that_was_down_catches_up_once(w):
    hid, day = overdue_hazard(w)
    sweep(w.db, day_after(day, 200))  # both day rungs are long due
    h = w.hazard(hid)
    eq([(d["rung"], d["fired_on"]) for d in h["deadlines"]],
       [("overdue_notice", day_after(day, 200)), ("overdue_to_city", day_after(day, 200))],
       "each fired once, on the day swept")
    eq(w.db.count("outbox", f"event_type = 'hazard.escalated' AND subject_id = '{hid}'"), 2, "two rungs, two notices")
    sweep(w.db, day_after(day, 201))
    eq(w.db.count("outbox", f"event_type = 'hazard.escalated' AND subject_id = '{hid}'"), 2, "and no more")


def test_two_sweeps_at_once_fire_each_rung_once(w):
    ids = []
    for _ in range(30):
        hid, day = overdue_hazard(w)
        ids.append(hid)
    for rc, out, err in sweeps_at_once(w.db, day_after(day, 400)):
        eq(rc, 0, f"sweep: {err}")
    listed = ",".join(f"'{i}'" for i in ids)
    eq(w.db.sql(f"SELECT count(*) FROM outbox WHERE event_type = 'hazard.escalated' AND subject_id IN ({listed})"),
       str(2 * len(ids)), "two rungs per hazard, each once")
    eq(w.db.sql(f"SELECT count(*) FROM hazard_event WHERE action = 'escalate' AND hazard_id IN ({listed.replace(chr(39), '')})"),
       str(2 * len(ids)), "and once in history")


def test_a_failing_decide_leaves_only_its_rung_pending(w):
    with scratch() as faulty:
        edit(os.path.join(faulty, "escalation.lua"), "  rungs = {",
             "  decide = function(h, rung, today)\n"
             "    if h.equipment_id % 2 == 0 then error('cannot decide') end\n"
             "    if rung.id == 'overdue_to_city' then while true do end end\n"
             "    return nil\n  end,\n  rungs = {")
        made = [overdue_hazard(w, faulty) for _ in range(4)]
        r = sweep(w.db, day_after(made[-1][1], 100), faulty)
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


def test_a_malformed_hazards_answer_changes_nothing(w):
    with scratch() as bad:
        edit(os.path.join(bad, "elevator.lua"), "local function hazards(eq, inspection, today)\n",
             "local function hazards(eq, inspection, today)\n"
             "  if inspection.report_number == 'BAD-GRADE' then return { { source = 'defect', condition = 'x', "
             "grade = 'catastrophic', reason = 'r' } } end\n"
             "  if inspection.report_number == 'BAD-CONDITION' then return { { source = 'defect', condition = 'x:y', "
             "grade = 'major', reason = 'r' } } end\n"
             "  if inspection.report_number == 'THROWS' then error('boom') end\n")
        try:
            w.restart(plugin_dir=bad, env={"SEREG_NOW": "2026-06-15"})
            rec = w.register()
            with w.db.unchanged("no result, no hazard, no notice"):
                for report in ("BAD-GRADE", "BAD-CONDITION", "THROWS"):
                    s, _, p = w.server.post("/api/v1/inspections", inspection(rec, report, inspected_on="2026-06-01",
                                                                              conclusion="fail"), tok=w.agency)
                    eq(s, 500, f"{report}: {p}")
                    eq(p["type"], "urn:sereg:problem:plugin-failed", report)
                    check("hazards()" in p["detail"], p["detail"])
            s, _, p = w.server.get("/healthz")
            eq(s, 200, "still serving")
        finally:
            w.restart(env={"SEREG_NOW": "2026-06-15"})


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
        with scratch() as d:
            path = os.path.join(d, "escalation.lua")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            start = text.index("  rungs = {")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text[:start] + "  " + body + ",\n}\n")
            r = sereg("plugins", "check", d)
            eq(r.returncode, 1, f"{body}: {r.stdout}")
            check(why in r.stderr and "escalation.lua" in r.stderr, f"{body}: {r.stderr}")
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
        with scratch() as d:
            edit(os.path.join(d, "rectification.lua"), old, new)
            r = sereg("plugins", "check", d)
            eq(r.returncode, 1, f"{key}: {r.stdout}")
            check(why in r.stderr and "rectification.lua" in r.stderr, f"{key}: {r.stderr}")
    with scratch() as d:
        shutil.copy(os.path.join(d, "escalation.lua"), os.path.join(d, "escalation2.lua"))
        r = sereg("plugins", "check", d)
        check(r.returncode == 1 and "only one escalation ladder" in r.stderr, r.stderr)


def setup():
    w = World("hazard_rules", env={"SEREG_NOW": "2026-06-15"})
    w.accredit("elevator")
    return w


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
