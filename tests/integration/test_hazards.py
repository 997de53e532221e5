"""Hazards from overdue inspections: the sweep opens one per condition, closes it when the
condition clears, writes history, audit and notices, and the API shows them within scope."""
import datetime
import subprocess
import time

from harness import Server, day_after, run, tests_of, check, eq, sereg, sweep, sweeps_at_once
from world import World, A, B


def test_an_overdue_unit_gets_one_general_hazard_with_its_records(w):
    rec = w.register()
    due = rec["next_due"]
    check(due, "a registered unit has a due date")
    sweep(w.db, due)
    eq(w.hazards_of(rec), [], "not overdue on its due date")
    before = (w.db.count("audit_log", "action = 'hazard.open'"), w.db.count("outbox", "event_type = 'hazard.opened'"))
    out = sweep(w.db, day_after(due))
    check("opened" in out.stdout, out.stdout)
    items = w.hazards_of(rec)
    eq(len(items), 1, "one hazard")
    h = items[0]
    eq((h["source"], h["grade"], h["level"], h["status"]), ("overdue", "general", "district", "open"), "decided")
    eq(h["condition"], f"overdue:{due}", "condition")
    eq(h["facts"]["next_due"], due, "facts name the due date")
    eq(h["facts"]["days_overdue"], 1, "days overdue")
    eq(h["found_on"], day_after(due), "found on the sweep's day")
    eq(h["registration_number"], rec["registration_number"], "the unit")
    after = (w.db.count("audit_log", "action = 'hazard.open'"), w.db.count("outbox", "event_type = 'hazard.opened'"))
    check(after[0] - before[0] >= 1 and after[1] - before[1] >= 1, "audit and notice written")
    eq(w.db.sql(f"SELECT count(*) FROM outbox WHERE event_type = 'hazard.opened' AND subject_id = '{h['id']}'"),
       "1", "one notice for this hazard")
    s, hdr, full = w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.city)
    eq(s, 200, "get")
    eq([e["action"] for e in full["history"]], ["open"], "history")
    check("overdue" in full["history"][0]["reason"], full["history"][0]["reason"])
    eq(hdr.get("etag"), '"1"', "etag")


def test_sweeping_again_or_later_does_not_duplicate(w):
    rec = w.register()
    due = rec["next_due"]
    for n in (1, 1, 30, 400):
        sweep(w.db, day_after(due, n))
    eq(len(w.hazards_of(rec)), 1, "one condition, one hazard")


def test_a_hazard_closes_when_its_condition_clears(w):
    rec = w.register()
    due = rec["next_due"]
    sweep(w.db, day_after(due))
    h = w.hazards_of(rec)[0]
    s, _, r = w.transition(rec, "suspend")
    eq(s, 200, "suspend")
    out = sweep(w.db, day_after(due, 2))
    check("closed" in out.stdout, out.stdout)
    s, _, full = w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.city)
    eq(full["status"], "closed", "closed")
    eq(full["closed_on"], day_after(due, 2), "closed on the sweep's day")
    eq(full["version"], 2, "version")
    eq([e["action"] for e in full["history"]], ["open", "close"], "history")
    check("suspended" in full["history"][1]["reason"], full["history"][1]["reason"])
    eq(w.db.sql(f"SELECT count(*) FROM outbox WHERE event_type = 'hazard.closed' AND subject_id = '{h['id']}'"),
       "1", "closing notice")
    sweep(w.db, day_after(due, 3))
    eq(len(w.hazards_of(rec)), 1, "a closed condition does not reopen")


def test_hazards_are_scoped_like_their_equipment(w):
    rec = w.register()
    sweep(w.db, day_after(rec["next_due"]))
    h = w.hazards_of(rec)[0]
    eq(w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.district_a)[0], 200, "own district")
    eq(w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.user_a)[0], 200, "own unit")
    eq(w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.district_b)[0], 404, "another district")
    eq(w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.user_b)[0], 404, "another unit")
    eq(w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.agency)[0], 404, "an agency")
    eq(w.hazards_of(rec, tok=w.district_b), [], "not listed for another district")
    s, _, page = w.server.get(f"/api/v1/hazards?jurisdiction={B}", tok=w.district_a)
    eq((s, page["items"]), (200, []), "asking for another district lists nothing")
    # the database refuses the same rows when the core's filter is bypassed
    def visible_to_district(j):
        return w.db.as_role("district_supervisor", f"SELECT count(*) FROM hazard WHERE id = {h['id']}", jurisdiction=j)
    eq((visible_to_district(A), visible_to_district(B)), ("1", "0"), "row-level security")


def test_filters_and_pages(w):
    recs = [w.register() for _ in range(3)]
    sweep(w.db, day_after(max(r["next_due"] for r in recs)))
    ids = {r["id"] for r in recs}
    pages = w.server.walk("/api/v1/hazards?status=open&grade=general&level=district&source=overdue&limit=2", tok=w.city)
    for items in pages:
        check(len(items) <= 2, "limit")
    seen = [h["equipment_id"] for items in pages for h in items]
    check(ids <= set(seen), "every overdue unit listed once across pages")
    eq(len(seen), len(set(seen)), "no repeats")
    s, _, page = w.server.get("/api/v1/hazards?grade=major", tok=w.city)
    check(all(h["grade"] == "major" for h in page["items"]), "grade filter")


def test_bad_filters_are_400_with_the_field(w):
    for q, field in [("grade=severe", "grade"), ("level=province", "level"), ("status=gone", "status"),
                     ("source=rumour", "source"), ("equipment_id=x", "equipment_id"), ("limit=0", "limit"),
                     ("cursor=zz", "cursor"), ("colour=red", "colour")]:
        s, h, r = w.server.get(f"/api/v1/hazards?{q}", tok=w.city)
        eq(s, 400, q)
        eq(h.get("content-type"), "application/problem+json", q)
        check(field in [e["field"] for e in r.get("errors", [])] or field in r.get("detail", ""), f"{q}: {r}")
    eq(w.server.get("/api/v1/hazards/999999", tok=w.city)[0], 404, "no such hazard")
    eq(w.server.get("/api/v1/hazards")[0], 401, "token required")


def test_sweep_refuses_a_bad_date(w):
    r = sereg("sweep", "--now", "2026-02-30", db=w.db)
    eq(r.returncode, 2, "exit status")
    check("YYYY-MM-DD" in r.stderr, r.stderr)
    eq(sereg("sweep", "--later", db=w.db).returncode, 2, "unknown option")


def test_two_sweeps_at_once_open_each_hazard_once(w):
    recs = [w.register() for _ in range(40)]
    now = day_after(max(r["next_due"] for r in recs), 10)
    for rc, out, err in sweeps_at_once(w.db, now):
        eq(rc, 0, err)
    ids = ",".join(str(r["id"]) for r in recs)
    eq(w.db.sql(f"SELECT count(*) FROM hazard WHERE equipment_id IN ({ids})"), "40", "one hazard per unit")
    eq(w.db.sql("SELECT count(*) FROM outbox o JOIN hazard h ON o.subject_id = h.id::text "
                f"WHERE o.event_type = 'hazard.opened' AND h.equipment_id IN ({ids})"), "40", "one notice each")


def test_a_sweep_catches_up_over_many_chunks(w):
    recs = [w.register() for _ in range(450)]  # more than two chunks of 200
    ids = ",".join(str(r["id"]) for r in recs)
    now = day_after(max(r["next_due"] for r in recs), 5)
    sweep(w.db, now)
    eq(w.db.sql(f"SELECT count(*) FROM hazard WHERE status = 'open' AND equipment_id IN ({ids})"), "450", "all opened")
    # inspections arrive for all of them: their due dates move past the sweep's day
    w.db.sql(f"BEGIN; SET LOCAL sereg.role = 'system'; UPDATE equipment SET next_due = next_due + 1000 "
             f"WHERE id IN ({ids}); COMMIT")
    sweep(w.db, day_after(now))
    eq(w.db.sql(f"SELECT count(*) FROM hazard WHERE status = 'closed' AND equipment_id IN ({ids})"), "450",
       "all closed")
    eq(w.db.sql(f"SELECT count(*) FROM hazard_event ev JOIN hazard h ON h.id = ev.hazard_id "
                f"WHERE h.equipment_id IN ({ids})"), "900", "an open and a close event each")


def queued(w, rec):
    return w.db.sql(f"SELECT count(*) FROM equipment_changed WHERE equipment_id = {rec['id']}")


def test_the_sweep_reads_what_time_and_changes_bring(w):
    rec = w.register(commissioned_on=datetime.date.today().isoformat())
    due = rec["next_due"]
    check(due > datetime.date.today().isoformat(), f"a new unit is due later: {due}")
    eq(queued(w, rec), "0", "a unit not yet due is not queued")
    sweep(w.db, day_after(due, -1))
    eq(w.hazards_of(rec), [], "not overdue the day before")
    sweep(w.db, day_after(due, 1))
    eq(len(w.hazards_of(rec)), 1, "time alone brings it to the sweep")
    eq(w.transition(rec, "suspend")[0], 200, "suspend")
    eq(queued(w, rec), "1", "a change of status is queued by the database")
    sweep(w.db, day_after(due, 2))
    eq(queued(w, rec), "0", "and taken by the sweep")
    eq(w.hazards_of(rec)[0]["status"], "closed", "the change closed it")
    eq(w.db.sql("SELECT to_char(through, 'YYYY-MM-DD') FROM sweep_state WHERE name = 'overdue'"),
       day_after(due, 2), "the last day swept is kept")


def test_the_sweep_gives_way_to_a_writer_instead_of_deadlocking(w):
    x, y = w.register(), w.register()
    eq((queued(w, x), queued(w, y)), ("1", "1"), "both units are queued (due before the writer's day)")
    # The writer holds unit y, then changes unit x; the sweep meanwhile has taken x and y from the
    # queue and waits for y. Each waits on the other: the sweep must step back, not the writer.
    writer = subprocess.Popen(
        ["psql", w.db.dsn, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c",
         "BEGIN; SET LOCAL sereg.role = 'system'; "
         f"SELECT id FROM equipment WHERE id = {y['id']} FOR UPDATE; SELECT pg_sleep(1.5); "
         f"UPDATE equipment SET next_due = next_due - 1 WHERE id = {x['id']}; COMMIT;"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and w.db.sql(  # the writer holds y once its transaction has an id
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = "
            "'transactionid' AND a.query LIKE '%pg_sleep(1.5)%' AND a.pid <> pg_backend_pid()") != "1":
        time.sleep(0.02)
    r = sweep(w.db, day_after(max(x["next_due"], y["next_due"]), 30), ok=False)
    out, err = writer.communicate(timeout=60)
    eq(writer.returncode, 0, f"the writer went through: {err}")
    eq(r.returncode, 0, f"the sweep finished after giving way: {r.stderr}")
    check(len(w.hazards_of(y)) == 1, "the held unit got its hazard once free")
    # the sweep could only finish after the writer's commit, so it saw x's new due date
    eq([h["condition"] for h in w.hazards_of(x)], ["overdue:" + day_after(x["next_due"], -1)],
       "the writer's change was swept")


def test_the_server_sweeps_on_its_own(w):
    rec = w.register()
    later = day_after(rec["next_due"], 3)
    srv = Server(w.db, env={"SEREG_NOW": later}, sweep_every=1)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and not w.hazards_of(rec):
            time.sleep(0.2)
        items = w.hazards_of(rec)
        eq(len(items), 1, "the server's sweep opened the hazard")
        eq(items[0]["found_on"], later, "on the server's today")
        time.sleep(2.5)  # two more rounds: still one
        eq(len(w.hazards_of(rec)), 1, "later rounds do not duplicate")
        check("sweep " + later in srv.output(), "the sweep is logged")
        # What the sweeps changed is supervision data: shown to the city and the administrator
        # only; how the sweeps run is for anyone.
        status, _, public = srv.metrics()
        eq(status, 200, "metrics without a token")
        check("sereg_sweeps_total" in public, "operational figures are public")
        check("sereg_sweep_changes_total" not in public and "hazard_opened" not in public,
              "no registry figures without a token")
        for tok, shown in ((w.city, True), (w.admin, True), (w.district_a, False), (w.coordinator_a, False)):
            status, _, text = srv.metrics(tok)
            eq(status, 200, "metrics with a token")
            eq("sereg_sweep_changes_total" in text, shown, "registry figures by role")
        eq(srv.metrics("sr_not-a-real-token-at-all")[0], 401, "a bad token is refused, not ignored")
        metric = srv.samples(w.city)
        check(metric['sereg_sweeps_total{outcome="ok"}'] >= 2, "sweeps counted")
        eq(metric['sereg_sweeps_total{outcome="failed"}'], 0.0, "none failed")
        check(abs(metric["sereg_sweep_last_success_timestamp_seconds"] - time.time()) < 30, "the last success is now")
        check(metric['sereg_sweep_changes_total{change="hazard_opened"}'] >= 1, "what it changed")
    finally:
        eq(srv.stop(), 0, "the server stops cleanly with its sweeping thread")


def setup():
    return World("hazards")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
