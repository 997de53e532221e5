"""Batches of inspection results at scale: a unit's results in one batch are decided together,
with one next_due() call per unit however many results it has, so a batch's cost grows with its
items and not with their square; amendments go the same way; a plugin that fails for a unit
refuses that unit's results alone. Plugin calls are read from /metrics, so what is asserted is
the work done, not how long it took on this machine."""
import datetime
import os
import random

from harness import run, tests_of, check, eq, PLUGINS, copy_dir, ropeway
from world import World

TODAY = "2026-06-15"

# A type whose next_due() fails for a unit with a BOOM report in its history and answers
# nonsense for one with a BAD report: the batch must refuse that unit's results and no others.
PROBE = """
local CONCLUSIONS = { { code = "pass", text = "合格", passed = true }, { code = "fail", text = "不合格", passed = false } }
return sereg.equipment_type {
  code = "ropeway", name = "客运索道", version = "0.1.0", registration_class = "索",
  attributes = { variety = { type = "string", required = true, enum = { "9100" } } },
  inspections = { periodic = { conclusions = CONCLUSIONS } },
  next_due = function(eq, history, today)
    local last = eq.commissioned_on
    for _, h in ipairs(history) do
      if h.report_number:find("^BOOM") then error("cannot decide after " .. h.report_number) end
      if h.report_number:find("^BAD") then return { date = "soon", kind = "periodic", reason = "malformed" } end
      if h.passed and h.inspected_on > last then last = h.inspected_on end
    end
    return { date = sereg.add_years(last, 1), kind = "periodic", reason = "a year after " .. last,
             basis = { last = last, results = #history } }
  end,
}
"""


def setup():
    d = copy_dir(PLUGINS)
    with open(os.path.join(d, "zz_probe.lua"), "w") as f:
        f.write(PROBE)
    w = World("inspection_batches", plugin_dir=d, env={"SEREG_NOW": TODAY})
    w.plugin_dir = d
    w.accredit("elevator")
    w.accredit("ropeway")
    # A second agency, so that a twin unit can carry the same report numbers (they are unique
    # per agency) and so the same reasons.
    w.second_agency()
    w.accredit("elevator", agency=w.agency2_code)
    return w


def calls(before, after, fn):
    key = f'sereg_plugin_calls_total{{function="{fn}"}}'
    return int(after.get(key, 0) - before.get(key, 0))


def batch(w, items, tok=None):
    """Posts a batch; a batch of thousands must be answered well within the server's own
    timeouts (statement 30 s, idle in transaction 60 s), so the client waits longer than those."""
    s, _, r = w.server.post("/api/v1/inspections:batch", items, tok=tok or w.agency, timeout=180)
    eq(s, 200, f"the batch is answered: {str(r)[:500]}")
    return r


def results_for(rec, n, prefix, seed, in_date_order=False):
    """<n> results for one elevator on dates from its first service year to today, a few of them
    failed; sent in no particular order, or as a backlog is: in date order, and a few late
    reports of earlier dates at the end."""
    rnd = random.Random(seed)
    first = datetime.date(2020, 6, 1)
    days = (datetime.date.fromisoformat(TODAY) - first).days
    dates = [first + datetime.timedelta(days=rnd.randrange(days)) for _ in range(n)]
    if in_date_order:
        dates.sort()
        dates = [d for k, d in enumerate(dates) if k % 97 != 50] + [d for k, d in enumerate(dates) if k % 97 == 50]
    return [{"equipment_id": rec["id"], "report_number": f"{prefix}-{i:05d}", "kind": "periodic" if i % 3 else "self_test",
             "inspected_on": on.isoformat(), "conclusion": "fail" if i % 500 == 7 else "pass", "inspector": "张工",
             "defects": []} for i, on in enumerate(dates)]


def test_a_batch_of_3000_results_for_one_unit(w):
    rec = w.register(commissioned_on="2020-05-10")
    items = results_for(rec, 3000, "ONE", seed=1, in_date_order=True)
    notices = w.db.count("outbox", f"event_type = 'equipment.due_changed' AND subject_id = '{rec['id']}'")
    before = w.server.samples()
    r = batch(w, items)
    after = w.server.samples()
    eq((r["accepted"], r["refused"]), (3000, 0), "every result accepted")
    eq(calls(before, after, "next_due"), 1, "one due decision for the unit, not one per result")
    eq(calls(before, after, "hazards"), 3000, "what does not depend on the history is still asked per result")
    answers = {(i["result"]["next_due"], i["result"]["next_due_kind"], i["result"]["reason"]) for i in r["items"]}
    eq(len(answers), 1, "every result of the unit carries the due date the batch leaves it with")
    e = w.equipment(rec["id"])
    eq((e["next_due"], e["next_due_kind"]), list(answers)[0][:2], "and that is what the unit now has")
    eq(e["version"], rec["version"] + 3000, "one version per result")
    eq(w.db.count("inspection", f"equipment_id = {rec['id']}"), 3000, "stored")
    eq(w.db.sql(f"SELECT count(DISTINCT due_after) FROM inspection WHERE equipment_id = {rec['id']}"), "1",
       "every stored result records the same due date")
    eq(w.db.count("outbox", f"event_type = 'equipment.due_changed' AND subject_id = '{rec['id']}'") - notices, 1,
       "one due-date notice for the batch")
    # The same results for a twin unit, from a second agency under the same report numbers: all
    # but the last in a batch, the last on its own. The single upload decides from the history
    # as stored, so the merge in the batch must have built the same history.
    twin = w.register(commissioned_on="2020-05-10")
    twin_items = [dict(i, equipment_id=twin["id"]) for i in items]
    last = max(range(len(items)), key=lambda k: (items[k]["inspected_on"], k))
    rest = twin_items[:last] + twin_items[last + 1:]
    r2 = batch(w, rest, tok=w.agency2)
    eq(r2["accepted"], 2999, "the twin's batch")
    s, _, one = w.server.post("/api/v1/inspections", twin_items[last], tok=w.agency2)
    eq(s, 201, one)
    got = r["items"][0]["result"]
    eq((one["next_due"], one["next_due_kind"], one["reason"]), (got["next_due"], got["next_due_kind"], got["reason"]),
       "the batch decides as one result at a time would have ended")
    eq(one["explain"], got["explain"], "with the same basis")


def test_results_for_ten_units_are_decided_once_per_unit(w):
    recs = [w.register(commissioned_on="2020-05-10") for _ in range(10)]
    items = []
    for k, rec in enumerate(recs):
        items += results_for(rec, 150, f"TEN{k}", seed=10 + k)
    random.Random(2).shuffle(items)
    before = w.server.samples()
    r = batch(w, items)
    after = w.server.samples()
    eq((r["accepted"], r["refused"]), (1500, 0), "every result accepted")
    eq(calls(before, after, "next_due"), 10, "one due decision per unit")
    for rec in recs:
        mine = [o["result"] for o, i in zip(r["items"], items) if i["equipment_id"] == rec["id"]]
        e = w.equipment(rec["id"])
        eq({(m["next_due"], m["next_due_kind"]) for m in mine}, {(e["next_due"], e["next_due_kind"])},
           f"unit {rec['id']}: its results carry the due date it was left with")
    again = batch(w, items)
    eq({o["status"] for o in again["items"]}, {200}, "the batch again is a replay")
    eq(again["items"], [dict(o, status=200) for o in r["items"]], "answered as first recorded")


def ropeway_unit(w, n):
    return w.register_body(ropeway(f"910051123201900{n:03d}", "510104", w.unit_a))


def test_a_plugin_failing_for_a_unit_refuses_that_units_results_alone(w):
    good, boom, bad = ropeway_unit(w, 1), ropeway_unit(w, 2), ropeway_unit(w, 3)
    res = lambda rec, report, on="2021-01-10": {"equipment_id": rec["id"], "report_number": report,
                                                "kind": "periodic", "inspected_on": on, "conclusion": "pass"}
    items = [res(good, "G-1"), res(boom, "B-1"), res(good, "G-2", "2022-01-10"), res(boom, "BOOM-1"),
             res(bad, "X-1"), res(bad, "BAD-1"), res(boom, "B-1"), res(good, "G-1")]
    before = w.server.samples()
    r = batch(w, items)
    after = w.server.samples()
    eq([o["status"] for o in r["items"]], [201, 500, 201, 500, 500, 500, 500, 200], str(r["items"])[:800])
    eq((r["accepted"], r["refused"]), (3, 5), "counts")
    for k in (1, 3, 6):
        p = r["items"][k]["problem"]
        eq(p["type"], "urn:sereg:problem:plugin-failed", p)
        check("zz_probe.lua@0.1.0" in p["detail"] and "next_due" in p["detail"] and "BOOM-1" in p["detail"], p)
    for k in (4, 5):
        check("'date' must be a date" in r["items"][k]["problem"]["detail"], r["items"][k]["problem"])
    eq(calls(before, after, "next_due"), 3, "one decision per unit")
    eq(int(after["sereg_plugin_failures_total"] - before["sereg_plugin_failures_total"]), 2, "two units failed")
    eq(r["items"][0]["result"]["next_due"], "2023-01-10", "the good unit's results are decided together")
    eq(r["items"][2]["result"]["next_due"], "2023-01-10", "both of them")
    eq(r["items"][7]["result"], r["items"][0]["result"], "the repeat answers with the first's answer")
    eq(w.db.count("inspection", f"equipment_id IN ({boom['id']}, {bad['id']})"), 0, "nothing stored for them")
    eq((w.equipment(boom["id"])["version"], w.equipment(bad["id"])["version"]), (boom["version"], bad["version"]),
       "their units are untouched")
    eq(w.db.count("inspection", f"equipment_id = {good['id']}"), 2, "the good unit's results are stored")


def test_amendments_in_a_batch_are_decided_with_the_rest(w):
    rec, other = w.register(commissioned_on="2020-05-10"), w.register(commissioned_on="2020-05-10")
    res = lambda r, report, **over: dict({"equipment_id": r["id"], "report_number": report, "kind": "periodic",
                                          "inspected_on": "2021-05-20", "conclusion": "pass", "defects": []}, **over)
    s, _, stored = w.server.post("/api/v1/inspections", res(rec, "AM-S", conclusion="fail"), tok=w.agency)
    eq(s, 201, stored)
    s, _, stored_other = w.server.post("/api/v1/inspections", res(other, "AM-O"), tok=w.agency)
    eq(s, 201, stored_other)
    items = [
        res(rec, "AM-S-A", amends="AM-S"),             # amends a stored result
        # amends one sent after it: amendments are taken after the batch's other results
        res(rec, "AM-N-A", amends="AM-N", inspected_on="2022-05-01", kind="self_test"),
        res(rec, "AM-N", conclusion="fail", inspected_on="2022-05-01", kind="self_test"),
        res(rec, "AM-C", amends="AM-N-A", inspected_on="2022-05-10", kind="self_test"),  # a chain
        res(rec, "AM-N-B", amends="AM-N"),             # AM-N is superseded by then
        res(rec, "AM-X", amends="NOPE"),               # no such report
        res(rec, "AM-Y", amends="AM-O"),               # another unit's
        res(rec, "AM-S-A", amends="AM-S"),             # the same amendment twice
        res(rec, "AM-S-A", amends="AM-S", conclusion="fail"),  # and once contradicted
    ]
    before = w.server.samples()
    r = batch(w, items)
    after = w.server.samples()
    eq([o["status"] for o in r["items"]], [201, 201, 201, 201, 422, 422, 422, 200, 409], str(r["items"])[:1500])
    eq(calls(before, after, "next_due"), 1, "amendments are decided with the unit's other results")
    for k, why in ((4, "already superseded"), (5, "names no report"), (6, "names no report")):
        e = r["items"][k]["problem"]["errors"]
        eq(e[0]["field"], "amends", e)
        check(why in e[0]["message"], e)
    ins = {k: r["items"][k]["result"]["inspection"] for k in (0, 1, 2, 3)}
    eq((ins[0]["amends"], ins[1]["amends"], ins[2]["amends"], ins[3]["amends"]), ("AM-S", "AM-N", None, "AM-N-A"),
       "what each amends")
    eq([ins[k]["superseded_by"] for k in range(4)], [None, "AM-C", "AM-N-A", None],
       "answers show what the batch left superseded")
    dues = {(r["items"][k]["result"]["next_due"], r["items"][k]["result"]["reason"]) for k in (0, 1, 2, 3, 7)}
    eq(len(dues), 1, "one decision for the unit")
    # AM-S (failed) and AM-N (failed), AM-N-A are superseded: the history is AM-S-A and AM-C, both passed.
    eq(w.equipment(rec["id"])["next_due"], "2023-05-31", "the superseded results no longer count")
    sup = dict(tuple(l.split("|")) for l in w.db.sql(
        f"SELECT i.report_number, coalesce(s.report_number, '') FROM inspection i LEFT JOIN inspection s "
        f"ON s.id = i.superseded_by WHERE i.equipment_id = {rec['id']}").splitlines())
    eq(sup, {"AM-S": "AM-S-A", "AM-S-A": "", "AM-N": "AM-N-A", "AM-N-A": "AM-C", "AM-C": ""}, "stored pointers")
    eq(w.db.count("audit_log", "action = 'inspection.amend'"), 3, "audited as amendments")
    s, _, lst = w.server.get(f"/api/v1/inspections?equipment_id={rec['id']}", tok=w.agency)
    by = {i["report_number"]: i for i in lst["items"]}
    for k in (0, 1, 2, 3):
        eq(by[ins[k]["report_number"]], ins[k], "the answer shows the result as stored")
    again = batch(w, items)
    eq([o["status"] for o in again["items"]], [200, 200, 200, 200, 422, 422, 422, 200, 409], "a replay")
    for k in (0, 1, 2, 3):
        eq(again["items"][k]["result"], r["items"][k]["result"], f"item {k} answered as recorded")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
