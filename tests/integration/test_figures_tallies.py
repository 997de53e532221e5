"""The tallies the figures are read from (sql/0029, sql/0030, docs/figures.md "How it is
computed"), on test_figures' world: each holds exactly what the rows say when counted straight
from them under each unit's jurisdiction now, after every kind of write the world makes; a unit
moved to another district takes every figure of its history with it, and back; two results of
one unit recorded at once are counted one after the other; no caller writes a tally, and a
district reads only its own rows."""
import subprocess
import time

from harness import run, tests_of, check, eq
from world import World, A, B
import test_figures
from test_figures import figures, row

# test_figures' world in a database of its own: the two files run side by side.
test_figures.World = lambda name, **kw: World("figures_tallies", **kw)
setup = test_figures.setup

MONTH = "to_char(date_trunc('month', {}::timestamp), 'YYYY-MM-DD')"

# Each tally, summed over its slots, against the same count made from the rows themselves.
PAIRS = {
    "events": (
        "SELECT jurisdiction, month, figure, sum(n) FROM figures_event_tally GROUP BY 1, 2, 3 HAVING sum(n) <> 0",
        "SELECT e.jurisdiction, " + MONTH.format("ev.effective_on") + ", f, count(*) FROM equipment_event ev "
        "JOIN equipment e ON e.id = ev.equipment_id CROSS JOIN LATERAL (SELECT CASE "
        "WHEN ev.action = 'approve' OR (ev.action = 'register' AND ev.to_status = 'in_service') THEN 'reg' "
        "WHEN ev.action IN ('modify', 'relocate', 'transfer', 'rename') THEN 'chg' "
        "WHEN ev.action = 'cancel' AND ev.from_status IS DISTINCT FROM 'pending' THEN 'can' END AS f) x "
        "WHERE f IS NOT NULL GROUP BY 1, 2, 3"),
    "hazards": (
        "SELECT jurisdiction, month, source, grade, status, sum(n) FROM figures_hazard_tally GROUP BY 1, 2, 3, 4, 5 "
        "HAVING sum(n) <> 0",
        "SELECT e.jurisdiction, " + MONTH.format("h.found_on") + ", h.source, h.grade, h.status, count(*) "
        "FROM hazard h JOIN equipment e ON e.id = h.equipment_id GROUP BY 1, 2, 3, 4, 5"),
    "results": (
        "SELECT jurisdiction, month, agency_id, passed, sum(n) FROM figures_result_tally GROUP BY 1, 2, 3, 4 "
        "HAVING sum(n) <> 0",
        "SELECT e.jurisdiction, " + MONTH.format("i.inspected_on") + ", i.agency_id, i.passed, count(*) "
        "FROM inspection i JOIN equipment e ON e.id = i.equipment_id WHERE i.superseded_by IS NULL "
        "GROUP BY 1, 2, 3, 4"),
    # The due dates as the figures' statement counted them from the rows before sql/0030.
    "due dates": (
        "SELECT equipment_id, due, jurisdiction, on_time FROM figures_due",
        "SELECT ds.eid, ds.d::date, e.jurisdiction, coalesce(m.inspected_on <= ds.d::date, false) FROM ("
        "SELECT DISTINCT ON (x.eid, x.d) x.eid, x.d, x.so, x.sid FROM ("
        "SELECT i.equipment_id AS eid, i.due_after->>'next_due' AS d, i.inspected_on AS so, i.id AS sid "
        "FROM inspection i WHERE i.superseded_by IS NULL AND i.due_after->>'next_due' IS NOT NULL "
        "UNION ALL SELECT ev.equipment_id, ev.after->>'next_due', NULL::date, 0 FROM equipment_event ev "
        "WHERE (ev.action = 'approve' OR (ev.action = 'register' AND ev.to_status = 'in_service')) "
        "AND ev.after->>'next_due' IS NOT NULL) x ORDER BY x.eid, x.d, x.so NULLS FIRST, x.sid) ds "
        "JOIN equipment e ON e.id = ds.eid AND e.status = 'in_service' "
        "LEFT JOIN LATERAL (SELECT n.inspected_on FROM inspection n WHERE e.next_due IS DISTINCT FROM ds.d::date "
        "AND n.equipment_id = ds.eid AND n.superseded_by IS NULL "
        "AND (ds.so IS NULL OR (n.inspected_on, n.id) > (ds.so, ds.sid)) "
        "AND n.due_after->>'next_due' IS DISTINCT FROM ds.d ORDER BY n.inspected_on, n.id LIMIT 1) m ON true"),
}
TABLES = ("figures_event_tally", "figures_hazard_tally", "figures_result_tally", "figures_due")


def rows_of(w, sql):
    out = w.db.sql(f"SELECT t::text FROM ({sql}) t")
    return sorted(line for line in out.splitlines() if line)


def same_as_the_rows(w, when):
    for name, (tally, straight) in PAIRS.items():
        got, want = rows_of(w, tally), rows_of(w, straight)
        check(want, f"{when}: the world has {name}")
        eq(got, want, f"{when}: the {name} tally and the rows")


def test_each_tally_is_the_rows_counted(w):
    same_as_the_rows(w, "the world as built")


def test_a_unit_moved_takes_its_figures_with_it(w):
    """u1 (in A: registered in October, its result and its patrol hazard in November, its due
    date of 11-30 met on time) moves to B and back: each of its figures moves with it, in its
    own UPDATE, and nothing else changes."""
    before = {p: figures(w, f"period={p}") for p in ("2026-10", "2026-11")}
    agencies = figures(w, "period=2026-11", tok=w.district_b)["agencies"][0]["results"]
    u1 = w.units["u1"]["id"]
    eq(w.transition(u1, "relocate", address="青羊新址 1 号", jurisdiction=B)[0], 200, "u1 moved to B")
    same_as_the_rows(w, "after the move")
    oct_, nov = figures(w, "period=2026-10"), figures(w, "period=2026-11")
    eq((row(oct_, A)["registrations"], row(oct_, B)["registrations"]),
       (row(before["2026-10"], A)["registrations"] - 1, row(before["2026-10"], B)["registrations"] + 1),
       "its registration")
    eq((row(nov, A)["hazards_found"]["total"], row(nov, B)["hazards_found"]["total"]),
       (row(before["2026-11"], A)["hazards_found"]["total"] - 1, row(before["2026-11"], B)["hazards_found"]["total"] + 1),
       "its hazard")
    eq((row(nov, A)["inspection"]["on_time"], row(nov, B)["inspection"]["on_time"]),
       (row(before["2026-11"], A)["inspection"]["on_time"] - 1, row(before["2026-11"], B)["inspection"]["on_time"] + 1),
       "its due date met")
    eq((row(nov, A)["changes"], row(nov, B)["changes"]),
       (row(before["2026-11"], A)["changes"], row(before["2026-11"], B)["changes"]), "November's changes")
    eq(figures(w, "period=2026-11", tok=w.district_b)["agencies"][0]["results"], agencies + 1, "its result in B")
    eq(row(nov, None)["registrations"], row(before["2026-11"], None)["registrations"], "the total is the same")
    eq(w.transition(u1, "relocate", address="锦江原址 1 号", jurisdiction=A)[0], 200, "u1 moved back")
    same_as_the_rows(w, "after the move back")
    # December holds both relocations now (as changes under A, where u1 is); October and November
    # are as they were.
    eq(figures(w, "period=2026-10"), before["2026-10"], "October as before")
    eq(figures(w, "period=2026-11"), before["2026-11"], "November as before")
    eq(row(figures(w, "period=2026-12"), A)["changes"], 2, "the two relocations of December")


def test_no_caller_writes_a_tally_and_a_district_reads_its_own(w):
    for table in TABLES:
        for role, settings in (("district_supervisor", {"jurisdiction": A}), ("city_supervisor", {}),
                               ("system", {})):
            out = w.db.as_role(role, f"DELETE FROM {table} RETURNING 1", **settings)
            eq(out, "", f"{role} deletes no row of {table}")
            out = w.db.as_role(role, f"UPDATE {table} SET jurisdiction = '{B}' RETURNING 1", **settings)
            eq(out, "", f"{role} changes no row of {table}")
        eq(w.db.as_role("district_supervisor", f"SELECT string_agg(DISTINCT jurisdiction, ',') FROM {table}",
                        jurisdiction=A), A, f"a district reads its own {table} only")
        eq(w.db.as_role("user_unit", f"SELECT count(*) FROM {table}", org=w.org_id(w.unit_a)), "0",
           f"a user unit reads no {table}")
        eq(w.db.as_role("agency", f"SELECT count(*) FROM {table}"), "0", f"an agency reads no {table}")
    out = w.db.as_role("system", "INSERT INTO figures_due VALUES (1, '2030-01-01', '510104', true)")
    check(out.startswith("ERROR"), f"the system adds no due date: {out}")


def test_two_results_of_one_unit_at_once(w):
    """Two transactions each recording a result of u8: the second waits for the first and counts
    the unit's due dates again from what the first committed (both once wrote u8's due dates from
    their own snapshot, and the second failed on the first's rows)."""
    agency = w.db.sql("SELECT id FROM organization WHERE kind = 'agency' ORDER BY id LIMIT 1")
    u8 = w.units["u8"]["id"]

    def result(n, day, due):
        return (f"INSERT INTO inspection (agency_id, report_number, equipment_id, kind, inspected_on, conclusion, "
                f"conclusion_text, passed, request_hash, due_after) VALUES ({agency}, 'AT-ONCE-{n}', {u8}, 'periodic', "
                f"'{day}', 'pass', '合格', true, 'h{n}', '{{\"next_due\": \"{due}\"}}');")
    who = "SELECT set_config('sereg.role', 'system', false);"
    first = subprocess.Popen(["psql", w.db.dsn, "-qtAX", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first.stdin.write(f"{who} BEGIN; {result(1, '2026-12-04', '2027-12-31')} SELECT pg_sleep(1.5); COMMIT;\n")
    first.stdin.flush()
    time.sleep(0.5)  # the first holds u8 when the second begins
    second = subprocess.run(["psql", w.db.dsn, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c",
                             f"{who} {result(2, '2026-12-04', '2028-01-31')}"], capture_output=True, text=True)
    out, err = first.communicate(timeout=30)
    eq((first.returncode, err.strip()), (0, ""), "the first result")
    eq((second.returncode, second.stderr.strip()), (0, ""), "the second result, after the first")
    same_as_the_rows(w, "after two results at once")
    eq(w.db.sql(f"SELECT string_agg(due::text, ',' ORDER BY due) FROM figures_due WHERE equipment_id = {u8}"),
       "2026-11-30,2027-12-31,2028-01-31", "u8's three due dates")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
