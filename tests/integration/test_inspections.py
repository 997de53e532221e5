"""Inspection intake over HTTP: accreditations, uploads, idempotency, amendments, batches,
the due date each result moves, and every bad input refused with nothing changed."""
import json

from harness import run, tests_of, check, eq, inspection
from world import World, A, B

TODAY = "2026-06-15"


def setup():
    w = World("inspections", env={"SEREG_NOW": TODAY})
    w.agency_id = int(w.org_id(w.agency_code))
    w.second_agency()
    w.accredit("elevator")
    w.accredit("pressure_vessel")
    # The second agency: 3120 goods lifts only, and only since 2024.
    w.accredit("elevator", valid_from="2024-01-01", agency=w.agency2_code, varieties=["3120"])
    return w


def lift(w, commissioned="2020-05-10", variety="3110", jurisdiction=A):
    return w.register(jurisdiction, variety=variety, commissioned_on=commissioned)


def vessel(w, commissioned="2019-06-01"):
    return w.register_body({"type": "pressure_vessel", "equipment_code": w.code("2150"), "jurisdiction": A,
                            "user_unit": w.unit_a, "address": "储罐区", "commissioned_on": commissioned,
                            "attributes": {"variety": "2150", "design_pressure_mpa": 1.6, "volume_m3": 5,
                                           "medium": "压缩空气"}})


def test_accreditations_are_the_city_supervisors(w):
    body = {"equipment_type": "boiler", "valid_from": "2020-01-01", "valid_to": "2020-12-31"}
    with w.db.unchanged("nothing changed"):
        for tok in (w.district_a, w.agency, w.admin, w.user_a):
            eq(w.server.post(f"/api/v1/organizations/{w.agency_id}/accreditations", body, tok=tok)[0], 403,
               "not the city")
        eq(w.server.post(f"/api/v1/organizations/{w.org_id(w.unit_a)}/accreditations", body, tok=w.city)[0], 404,
           "not an agency")
        for bad, field in [({"equipment_type": "ropeway"}, "equipment_type"),
                           ({"varieties": ["1100", "3110"]}, "varieties"), ({"varieties": []}, "varieties"),
                           ({"valid_to": "2019-12-31"}, "valid_to"), ({"valid_from": "2020-02-30"}, "valid_from"),
                           ({"colour": "red"}, "colour")]:
            s, _, r = w.server.post(f"/api/v1/organizations/{w.agency_id}/accreditations", dict(body, **bad),
                                    tok=w.city)
            eq(s, 422, f"{bad}: {r}")
            check(field in [e["field"] for e in r["errors"]], r)
    s, _, r = w.server.get(f"/api/v1/organizations/{w.agency_id}/accreditations", tok=w.agency)
    eq(s, 200, "an agency reads its own")
    eq(sorted(a["equipment_type"] for a in r["items"]), ["elevator", "pressure_vessel"], "its accreditations")
    eq(w.server.get(f"/api/v1/organizations/{w.agency_id}/accreditations", tok=w.agency2)[0], 404, "not another's")
    eq(w.server.get(f"/api/v1/organizations/{w.agency_id}/accreditations", tok=w.user_a)[0], 404, "not a user unit")


def test_upload_records_result_history_audit_notice_and_due(w):
    rec = lift(w)
    eq(rec["next_due"], "2021-05-31", "the first periodic is due at the end of service year 1")
    counts = lambda: (w.db.count("inspection"), w.db.count("equipment_event", f"equipment_id = {rec['id']}"),
                      w.db.count("audit_log", "action = 'inspection.record'"),
                      w.db.count("outbox", "event_type = 'inspection.recorded'"),
                      w.db.count("outbox", f"event_type = 'equipment.due_changed' AND subject_id = '{rec['id']}'"))
    before = counts()
    s, h, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-2021-0001"), tok=w.agency)
    eq(s, 201, r)
    eq(r["inspection"]["conclusion_text"], "合格", "code and Chinese text")
    eq(r["inspection"]["passed"], True, "passed")
    eq((r["next_due"], r["next_due_kind"]), ("2022-05-31", "self_test"), "the next is a self-test in year 2")
    check("service year 2" in r["reason"], r["reason"])
    eq(tuple(a - b for a, b in zip(counts(), before)), (1, 1, 1, 1, 1), "result, history, audit, notices")
    s, _, e = w.server.get(f"/api/v1/equipment/{rec['id']}", tok=w.city)
    eq((e["next_due"], e["next_due_kind"], e["version"]), ("2022-05-31", "self_test", rec["version"] + 1), "stored")
    s, _, d = w.server.get(f"/api/v1/equipment/{rec['id']}/due", tok=w.user_a)
    eq(s, 200, "due explained to the user unit")
    eq((d["request_by"], d["statutory_latest"], d["rule"]), ("2022-04-30", "2022-05-31", w.rule("elevator")), d)
    eq((d["basis"]["regime"], d["basis"]["base_date"], d["basis"]["service_year"], d["basis"]["interval_years"]),
       ("tsg_t7001_2023", "2020-05-10", 2, 1), d["basis"])
    eq(d["overdue"], True, f"as of {TODAY} it is overdue")


def test_same_report_again_is_idempotent_and_different_is_409(w):
    rec = lift(w)
    body = inspection(rec, "EL-IDEM-1")
    s1, _, r1 = w.server.post("/api/v1/inspections", body, tok=w.agency)
    eq(s1, 201, r1)
    with w.db.unchanged("nothing changed"):
        s2, _, r2 = w.server.post("/api/v1/inspections", body, tok=w.agency)
        eq(s2, 200, "the same body again")
        eq(r2, r1, "the original answer")
        s3, _, r3 = w.server.post("/api/v1/inspections", dict(body, conclusion="fail"), tok=w.agency)
        eq(s3, 409, r3)
        eq(r3["errors"][0]["field"], "report_number", "field")
    s4, _, r4 = w.server.post("/api/v1/inspections", dict(body, equipment_id=None, equipment_code=rec["equipment_code"]),
                              tok=w.agency)
    eq(s4, 200, "by equipment code it is the same result")


def test_amendment_supersedes_and_keeps_both(w):
    rec = lift(w)
    s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-AM-1", conclusion="fail"), tok=w.agency)
    eq((s, r["next_due"]), (201, "2021-05-31"), "a failed periodic leaves it due")
    s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-AM-1-A", amends="EL-AM-1"), tok=w.agency)
    eq(s, 201, r)
    eq(r["inspection"]["amends"], "EL-AM-1", "names what it amends")
    eq(r["next_due"], "2022-05-31", "the corrected result counts")
    s, _, lst = w.server.get(f"/api/v1/inspections?equipment_id={rec['id']}", tok=w.agency)
    by = {i["report_number"]: i for i in lst["items"]}
    eq(by["EL-AM-1"]["superseded_by"], "EL-AM-1-A", "the earlier one is kept, superseded")
    s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-AM-1-B", amends="EL-AM-1"), tok=w.agency)
    eq(s, 422, "a superseded report cannot be amended again")
    s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-AM-1-C", amends="NOPE"), tok=w.agency)
    eq(s, 422, "unknown report")
    rc, out, err = w.db.sql_raw("UPDATE inspection SET conclusion = 'pass' WHERE report_number = 'EL-AM-1'")
    check(rc != 0 and "immutable" in err, err)


def test_a_late_result_counts_wherever_it_falls_in_the_history(w):
    """A report uploaded late, dated between two stored ones, joins the history in its place:
    the unit ends where a twin given the same results in date order ends."""
    late, twin = lift(w), lift(w)
    dated = [("periodic", "2021-05-20"), ("self_test", "2022-05-10"), ("self_test", "2023-05-10")]
    for rec, order, prefix in ((late, (0, 2, 1), "LATE"), (twin, (0, 1, 2), "TWIN")):
        for k in order:
            kind, on = dated[k]
            s, _, r = w.server.post("/api/v1/inspections", inspection(rec, f"{prefix}-{k}", kind=kind, inspected_on=on),
                                    tok=w.agency)
            eq(s, 201, r)
    a = w.server.get(f"/api/v1/equipment/{late['id']}", tok=w.city)[2]
    b = w.server.get(f"/api/v1/equipment/{twin['id']}", tok=w.city)[2]
    eq((a["next_due"], a["next_due_kind"]), (b["next_due"], b["next_due_kind"]), "the late result counts")


def test_accreditation_matrix(w):
    goods = lift(w, variety="3120")
    passenger = lift(w)
    v = vessel(w)
    # agency 2: 3120 only, from 2024
    eq(w.server.post("/api/v1/inspections", inspection(passenger, "A2-1", inspected_on="2024-05-20"), tok=w.agency2)[0],
       404, "a variety it is not accredited for is not even visible")
    s, _, r = w.server.post("/api/v1/inspections", inspection(goods, "A2-2", inspected_on="2021-05-20"), tok=w.agency2)
    eq(s, 403, f"accredited today but not on the inspection date: {r}")
    s, _, r = w.server.post("/api/v1/inspections", inspection(goods, "A2-3", inspected_on="2024-05-20"), tok=w.agency2)
    eq(s, 201, r)
    eq(w.server.get(f"/api/v1/equipment/{goods['id']}", tok=w.agency2)[0], 200, "visible: accredited type")
    eq(w.server.get(f"/api/v1/equipment/{v['id']}", tok=w.agency2)[0], 404, "invisible: not accredited")
    s, _, page = w.server.get("/api/v1/equipment?limit=500", tok=w.agency2)
    eq({i["variety"] for i in page["items"]}, {"3120"}, "an agency lists only what it may inspect")
    for tok in (w.city, w.district_a, w.user_a, w.admin, w.coordinator_a):
        eq(w.server.post("/api/v1/inspections", inspection(goods, "X-1"), tok=tok)[0], 403, "only agencies upload")


def test_pressure_vessel_grades(w):
    v = vessel(w)
    eq((v["next_due"], v["next_due_kind"]), ("2020-06-01", "annual_check"), "annual check first")
    base = {"equipment_id": v["id"], "kind": "periodic", "inspected_on": "2022-05-01"}
    s, _, r = w.server.post("/api/v1/inspections", dict(base, report_number="PV-1", conclusion="permitted"), tok=w.agency)
    eq(s, 422, "a grade is required")
    eq(r["errors"][0]["field"], "safety_grade", "field")
    s, _, r = w.server.post("/api/v1/inspections", dict(base, report_number="PV-1", conclusion="permitted", safety_grade=4),
                            tok=w.agency)
    eq(s, 422, "grade 4 means monitored use")
    eq(r["errors"][0]["field"], "conclusion", "the plugin's check names the field")
    s, _, r = w.server.post("/api/v1/inspections", dict(base, report_number="PV-1", conclusion="permitted", safety_grade=2),
                            tok=w.agency)
    eq(s, 201, r)
    eq((r["next_due"], r["next_due_kind"]), ("2023-05-01", "annual_check"), "annual check a year on")
    s, _, r = w.server.post("/api/v1/inspections", dict(base, report_number="PV-2", kind="annual_check",
                                                        inspected_on="2023-04-20", conclusion="meets"), tok=w.agency)
    eq((s, r["next_due"]), (201, "2024-04-20"), r)


def test_bad_results_are_refused_and_change_nothing(w):
    rec = lift(w)
    old = lift(w)
    s, _, r = w.transition(old, "scrap", reason="报废")
    eq(s, 200, r)
    cases = [
        (inspection(rec, "B-1", equipment_id=999999), 404, None),
        ({"equipment_code": "311051123201999999", "report_number": "B-2", "kind": "periodic",
          "inspected_on": "2021-05-20", "conclusion": "pass"}, 404, None),
        (inspection(old, "B-3"), 422, "equipment_id"),
        (inspection(rec, "B-4", inspected_on="2026-06-16"), 422, "inspected_on"),
        (inspection(rec, "B-5", inspected_on="2020-05-01"), 422, "inspected_on"),
        (inspection(rec, "B-6", conclusion="基本合格"), 422, "conclusion"),
        (inspection(rec, "B-7", safety_grade=2), 422, "safety_grade"),
        (inspection(rec, "B-8", kind="internal"), 422, "kind"),
        (inspection(rec, "B-9", kind="visual"), 422, "kind"),
        (inspection(rec, "B-10", safety_grade=9), 422, "safety_grade"),
        (inspection(rec, "B-11", defects=[{"code": "C1"}]), 422, "defects[0]"),
        (inspection(rec, "B-12", defects="none"), 422, "defects"),
        (inspection(rec, "B-13", equipment_code=rec["equipment_code"]), 422, "equipment_code"),
        (inspection(rec, ""), 422, "report_number"),
        (inspection(rec, "B-15\n"), 422, "report_number"),
        (inspection(rec, "B-16", colour="red"), 422, "colour"),
        (inspection(rec, "B-17", inspected_on="2021-13-01"), 422, "inspected_on"),
        (inspection(rec, "B-18", equipment_id="1"), 422, "equipment_id"),
    ]
    with w.db.unchanged("nothing changed"):
        for body, status, field in cases:
            s, _, r = w.server.post("/api/v1/inspections", body, tok=w.agency)
            eq(s, status, f"{body.get('report_number')}: {r}")
            if field:
                check(field in [e["field"] for e in r["errors"]], f"{field} in {r['errors']}")


def test_batch_keeps_the_good_items(w):
    a, b = lift(w), lift(w)
    items = [inspection(a, "BAT-1"), inspection(b, "BAT-2", conclusion="maybe"), inspection(b, "BAT-3"),
             inspection(a, "BAT-4", kind="self_test", inspected_on="2022-05-10"), "not an object"]
    s, _, r = w.server.post("/api/v1/inspections:batch", items, tok=w.agency)
    eq(s, 200, r)
    eq((r["accepted"], r["refused"]), (3, 2), "three in, two out")
    eq([i["status"] for i in r["items"]], [201, 422, 201, 201, 400], "per-item outcomes")
    eq([i["index"] for i in r["items"]], [0, 1, 2, 3, 4], "indexes")
    eq(r["items"][1]["problem"]["errors"][0]["field"], "conclusion", "the refused item says why")
    eq([r["items"][k]["result"]["next_due"] for k in (0, 3)], ["2023-05-31"] * 2,
       "results for one unit in one batch are decided together")
    eq(w.db.count("inspection", "report_number LIKE 'BAT-%'"), 3, "stored")
    s, _, r2 = w.server.post("/api/v1/inspections:batch", items, tok=w.agency)
    eq([i["status"] for i in r2["items"]], [200, 422, 200, 200, 400], "a repeated batch is idempotent")
    for k in (0, 2, 3):
        eq(r2["items"][k]["result"], r["items"][k]["result"], f"item {k}: the stored answer is the one given")
    s, _, lst = w.server.get(f"/api/v1/inspections?equipment_id={a['id']}", tok=w.agency)
    stored = {i["report_number"]: i for i in lst["items"]}
    eq(stored["BAT-1"], r["items"][0]["result"]["inspection"], "the result as stored")


def test_the_same_report_twice_in_one_batch(w):
    a = lift(w)
    items = [inspection(a, "TWICE-1"), inspection(a, "TWICE-1"), inspection(a, "TWICE-1", conclusion="fail")]
    s, _, r = w.server.post("/api/v1/inspections:batch", items, tok=w.agency)
    eq([i["status"] for i in r["items"]], [201, 200, 409], "recorded once, repeated, contradicted")
    eq(r["items"][1]["result"], r["items"][0]["result"], "the repeat answers with the first's answer")
    eq(w.db.count("inspection", "report_number = 'TWICE-1'"), 1, "stored once")
    # The first under a number refused: the next is checked on its own, and the one after it
    # repeats that one, not the refused first.
    items = [inspection(a, "TWICE-2", conclusion="maybe"), inspection(a, "TWICE-2"), inspection(a, "TWICE-2")]
    s, _, r = w.server.post("/api/v1/inspections:batch", items, tok=w.agency)
    eq(s, 200, r)
    eq([i["status"] for i in r["items"]], [422, 201, 200], "refused, recorded, repeated")
    eq(w.db.count("inspection", "report_number = 'TWICE-2'"), 1, "stored once")


def test_batch_as_ndjson_refuses_bad_lines_alone(w):
    a = lift(w)
    lines = [json.dumps(inspection(a, "ND-1")), "{not json", "", json.dumps(inspection(a, "ND-2", kind="self_test",
                                                                             inspected_on="2022-05-10")), "[1]"]
    body = ("\n".join(lines) + "\n").encode()
    s, _, r = w.server.request("POST", "/api/v1/inspections:batch", raw=body, tok=w.agency,
                               headers={"Content-Type": "application/x-ndjson"})
    eq(s, 200, r)
    eq([i["status"] for i in r["items"]], [201, 400, 201, 400], "blank lines skipped, bad lines refused alone")
    check("line 2" in r["items"][1]["problem"]["detail"], r["items"][1])


def test_batch_limits(w):
    s, _, r = w.server.post("/api/v1/inspections:batch", [], tok=w.agency)
    eq(s, 422, "empty batch")
    s, _, r = w.server.post("/api/v1/inspections:batch", {"items": []}, tok=w.agency)
    eq(s, 400, "not an array")
    for raw in (b'[{"report_number": "a", "report_number": "b"}]', b"[" * 40 + b"]" * 40, b'[{"x": "\xff"}]'):
        s, _, r = w.server.request("POST", "/api/v1/inspections:batch", raw=raw, tok=w.agency)
        eq(s, 400, f"{raw[:30]!r}: duplicate keys, deep nesting and bad UTF-8 are refused whole")
    s, _, r = w.server.request("POST", "/api/v1/inspections:batch", raw=b"[{}]", tok=w.agency,
                               headers={"Content-Type": "text/plain"})
    eq(s, 415, "content type")
    too_many = [{"report_number": str(i)} for i in range(10001)]
    s, _, r = w.server.post("/api/v1/inspections:batch", too_many, tok=w.agency)
    eq(s, 422, "more than 10,000")
    s, _, r = w.server.request("POST", "/api/v1/inspections:batch", raw=b"{}\n" * 10001, tok=w.agency,
                               headers={"Content-Type": "application/x-ndjson"})
    eq(s, 422, "more than 10,000 lines")


def test_lists_of_results_are_scoped(w):
    a = lift(w)
    bl = lift(w, jurisdiction=B)
    for rec, rn in ((a, "L-1"), (bl, "L-2")):
        eq(w.server.post("/api/v1/inspections", inspection(rec, rn), tok=w.agency)[0], 201, rn)
    def listed(tok, q=""):
        return {i["report_number"] for i in w.read("/api/v1/inspections?limit=500" + q, tok)["items"]}
    check({"L-1", "L-2"} <= listed(w.city), "city")
    check("L-1" in listed(w.district_a) and "L-2" not in listed(w.district_a), "district A")
    check("L-2" not in listed(w.user_a), "user unit A")
    check("L-1" not in listed(w.agency2), "another agency")
    eq(listed(w.city, f"&equipment_id={a['id']}"), {"L-1"}, "by equipment")
    eq(listed(w.city, "&since=2030-01-01"), set(), "since")
    eq(w.server.get("/api/v1/inspections?since=yesterday", tok=w.city)[0], 400, "bad since")


def test_due_lists(w):
    units = [lift(w, commissioned=c) for c in ("2025-01-10", "2025-03-10", "2025-08-10", "2025-12-10")]
    ids = {u["id"] for u in units}
    s, _, r = w.server.get(f"/api/v1/equipment?overdue=true&jurisdiction={A}&limit=500", tok=w.city)
    eq(s, 200, r)
    dues = [i["next_due"] for i in r["items"]]
    eq(dues, sorted(dues), "earliest first")
    check(all(d < TODAY for d in dues), "only overdue units")
    got = {i["id"] for i in r["items"]} & ids
    eq(got, {units[0]["id"], units[1]["id"]}, "due 2026-01-31 and 2026-03-31 are overdue on 2026-06-15")
    s, _, r = w.server.get(f"/api/v1/equipment?due_within_days=90&jurisdiction={A}&limit=500", tok=w.city)
    eq({i["id"] for i in r["items"]} & ids, {units[2]["id"]}, "due 2026-08-31 is within 90 days, the overdue are not")
    s, _, r = w.server.get(f"/api/v1/equipment?due_within_days=60&jurisdiction={A}&limit=500", tok=w.city)
    eq({i["id"] for i in r["items"]} & ids, set(), "but not within 60")
    seen = [i["id"] for items in w.server.walk(f"/api/v1/equipment?due_before=2026-09-01&jurisdiction={A}&limit=1",
                                               tok=w.city) for i in items]
    eq(len(seen), len(set(seen)), "paging in due order repeats nothing")
    check({units[0]["id"], units[1]["id"], units[2]["id"]} <= set(seen), "all due before September")
    check(units[3]["id"] not in seen, "December's is not")
    for q in ("overdue=maybe", "due_within_days=-1", "due_before=tomorrow", "overdue=true&cursor=e1"):
        eq(w.server.get(f"/api/v1/equipment?{q}", tok=w.city)[0], 400, q)


def test_plan_uses_the_index(w):
    plan = w.db.sql("SET enable_seqscan = off; EXPLAIN SELECT id FROM equipment e WHERE next_due IS NOT NULL "
                    "AND next_due < '2026-06-15' ORDER BY next_due, id LIMIT 51")
    check("equipment_next_due" in plan, plan)


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
