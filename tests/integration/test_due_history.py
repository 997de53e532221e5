"""Due dates from histories with missed years, through the real server: a result satisfies the
service year whose window it falls in, so an old lift that comes back into the register with
its latest result is due in the year after it, and the sweep finds it overdue only after that."""
from harness import run, tests_of, check, eq, inspection, sweep
from world import World

TODAY = "2022-06-20"


def setup():
    w = World("due_history", env={"SEREG_NOW": TODAY})
    w.accredit("elevator", valid_from="2005-01-01")
    return w


def lift(w, commissioned="2005-06-20"):
    """An elevator made in the year it was commissioned."""
    return w.register(code=w.code(year=commissioned[:4]), commissioned_on=commissioned)


def test_a_lift_with_missed_years_is_due_the_year_after_its_result(w):
    # Worked by hand (REGULATIONS §3.1): base 2005-06, year N ends on the last day of June 2005+N
    # and may be inspected from the end of April. 2022-06-15 falls in year 17; next is year 18.
    rec = lift(w)
    eq(rec["next_due"], "2006-06-30", "never inspected: year 1 has been due since 2006")
    s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-2022-0615", inspected_on="2022-06-15"),
                            tok=w.agency)
    eq(s, 201, r)
    eq((r["next_due"], r["next_due_kind"]), ("2023-06-30", "periodic"), r["reason"])
    s, _, d = w.server.get(f"/api/v1/equipment/{rec['id']}/due", tok=w.user_a)
    eq(s, 200, d)
    eq((d["statutory_latest"], d["basis"]["service_year"], d["basis"]["base_date"]), ("2023-06-30", 18, "2005-06-20"),
       d)
    check("service year 18" in d["reason"], d["reason"])
    eq(d["overdue"], False, f"as of {TODAY} it is not overdue")

    sweep(w.db, "2023-01-01")
    eq(w.hazards_of(rec, source="overdue"), [], "inspected in year 17: not overdue on 2023-01-01")
    sweep(w.db, "2023-07-05")
    items = w.hazards_of(rec, source="overdue")
    eq(len(items), 1, "year 18's inspection was missed: overdue on 2023-07-05")
    eq((items[0]["condition"], items[0]["facts"]["next_due"], items[0]["facts"]["days_overdue"]),
       ("overdue:2023-06-30", "2023-06-30", 5), items[0])


def test_a_history_with_a_gap_moves_the_date_by_each_result(w):
    # Worked by hand: years 1 and 2 met in 2006 and 2007; 2019-08-01 is after year 14's due date
    # (2019-06-30) and before year 15's window (2020-04-30): year 14, late; 2022-05-05 is in
    # year 17's early window (from 2022-04-30).
    days = ("2006-06-10", "2007-06-12", "2019-08-01", "2022-05-05")
    one = lift(w)
    dues = []
    for on in days:  # one at a time: each result moves the date to the year after its own
        s, _, r = w.server.post("/api/v1/inspections", inspection(one, f"EL-GAP1-{on}", inspected_on=on), tok=w.agency)
        eq(s, 201, r)
        dues.append(r["next_due"])
    eq(dues, ["2007-06-30", "2008-06-30", "2020-06-30", "2023-06-30"], "each result moves the date")
    # In one batch the unit's results are decided together: each answers with where they leave it.
    many = lift(w)
    s, _, r = w.server.post("/api/v1/inspections:batch",
                            [inspection(many, f"EL-GAP2-{on}", inspected_on=on) for on in days], tok=w.agency)
    eq((s, r["accepted"]), (200, 4), r)
    eq([i["result"]["next_due"] for i in r["items"]], ["2023-06-30"] * 4, "the batch's answer for each")
    for rec in (one, many):
        s, _, d = w.server.get(f"/api/v1/equipment/{rec['id']}/due", tok=w.city)
        eq((d["statutory_latest"], d["basis"]["service_year"]), ("2023-06-30", 18), d)


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
