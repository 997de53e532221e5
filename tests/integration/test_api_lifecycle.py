"""The registry over HTTP: registration, every lifecycle action, versions, history, lists."""
import re

from harness import run, tests_of, check, eq, elevator
from world import World, A, B

REGNO = re.compile(r"^梯11川A\d{5}\(\d\d\)$")


def test_city_registers_directly_into_service(w):
    lifecycle = "event_type IN ('equipment.registered', 'equipment.transitioned')"
    before = (w.db.count("equipment_event"), w.db.count("audit_log"), w.db.count("outbox", lifecycle))
    body = elevator(w.code(), A, w.unit_a, w.maint)
    s, h, rec = w.server.post("/api/v1/equipment", body, tok=w.city)
    eq(s, 201, "status")
    eq(rec["status"], "in_service", "status field")
    check(REGNO.match(rec["registration_number"]), rec["registration_number"])
    eq(rec["version"], 1, "version")
    eq(h.get("etag"), '"1"', "etag")
    eq(h.get("location"), f"/api/v1/equipment/{rec['id']}", "location")
    eq(rec["equipment_code"], body["equipment_code"], "code")
    eq(rec["rule"], w.rule("elevator"), "rule")
    after = (w.db.count("equipment_event"), w.db.count("audit_log"), w.db.count("outbox", lifecycle))
    eq(tuple(a - b for a, b in zip(after, before)), (1, 1, 1), "history, audit, outbox rows added")
    eq(w.db.sql(f"SELECT string_agg(event_type, ',' ORDER BY id) FROM outbox WHERE subject_type = 'equipment' AND subject_id = '{rec['id']}'"),
       "equipment.registered", "the registration's event, which carries the first due date")
    check(rec["next_due"] and rec["next_due_kind"] == "periodic", "a first due date is set on registration")


def test_registration_numbers_are_unique_and_sequential(w):
    a, b = w.register(), w.register()
    na = int(a["registration_number"][5:10])
    nb = int(b["registration_number"][5:10])
    eq(nb, na + 1, "sequence")


def test_user_unit_application_waits_for_approval(w):
    rec = w.register(tok=w.user_a)
    eq(rec["status"], "pending", "status")
    eq(rec["registration_number"], None, "no number before approval")
    s, _, r = w.transition(rec, "approve", tok=w.user_a)
    eq(s, 403, "a user unit cannot approve its own application")
    s, h, r = w.transition(rec, "approve", tok=w.district_a)
    eq(s, 200, "approve")
    eq(r["status"], "in_service", "status")
    check(REGNO.match(r["registration_number"]), r["registration_number"])
    eq(h.get("etag"), '"2"', "etag after")


def test_user_unit_cannot_register_for_another_unit(w):
    body = elevator(w.code(), B, w.unit_b, w.maint)
    s, _, r = w.server.post("/api/v1/equipment", body, tok=w.user_a)
    eq(s, 403, "status")


def test_full_lifecycle_is_recorded_in_order(w):
    rec = w.register()
    steps = [("suspend", w.user_a, {}, "suspended"),
             ("resume", w.user_a, {}, "in_service"),
             ("modify", w.district_a, {"attributes": {"variety": "3110", "rated_load_kg": 1600,
                                                      "rated_speed_mps": 2.0, "stops": 20,
                                                      "maintenance_unit": w.maint}}, "in_service"),
             ("relocate", w.district_a, {"address": "新地址 8 号"}, "in_service"),
             ("transfer", w.city, {"user_unit": w.unit_b}, "in_service"),
             ("rename", w.city, {"user_unit_name": "青羊测试使用单位（更名）"}, "in_service"),
             ("scrap", w.city, {}, "scrapped"),
             ("cancel", w.city, {}, "cancelled")]
    version = rec["version"]
    for action, tok, fields, status in steps:
        s, h, r = w.transition(rec["id"], action, tok=tok, version=version, **fields)
        eq(s, 200, f"{action}: {r}")
        eq(r["status"], status, action)
        eq(r["version"], version + 1, f"{action} version")
        version = r["version"]
    eq(r["attributes"]["rated_load_kg"], 1600, "modified attributes kept")
    eq(r["address"], "新地址 8 号", "address")
    eq(r["user_unit"], w.unit_b, "transferred")
    eq(r["user_unit_name"], "青羊测试使用单位（更名）", "renamed")
    eq(r["equipment_code"], rec["equipment_code"], "code never changes")
    eq(r["registration_number"], rec["registration_number"], "number kept")
    s, _, hist = w.server.get(f"/api/v1/equipment/{rec['id']}/history", tok=w.city)
    eq(s, 200, "history")
    eq([e["action"] for e in hist["items"]], ["register"] + [st[0] for st in steps], "actions in order")
    last = hist["items"][-1]
    eq((last["from_status"], last["to_status"]), ("scrapped", "cancelled"), "last step")
    eq(last["before"]["status"], "scrapped", "before image")
    eq(last["after"]["status"], "cancelled", "after image")
    check(last["actor_role"] == "city_supervisor" and last["reason"] == "测试", last)
    eq(w.db.count("audit_log", f"target_type = 'equipment' AND target_id = '{rec['id']}'"), 9, "audit rows")
    eq(w.db.count("outbox", f"subject_type = 'equipment' AND subject_id = '{rec['id']}' AND event_type <> "
                            "'equipment.due_changed'"), 9, "outbox rows")
    eq(r["next_due"], None, "nothing falls due once cancelled")


def test_stale_version_is_refused_and_changes_nothing(w):
    rec = w.register()
    s, _, r = w.transition(rec, "suspend")
    eq(s, 200, "first change")
    with w.db.unchanged("database unchanged"):
        s, _, r = w.transition(rec["id"], "resume", version=1)
        eq(s, 412, "stale version")
        eq(r["status"], 412, "problem status")


def test_missing_or_malformed_if_match(w):
    rec = w.register()
    s, _, r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "suspend", "reason": "x"},
                            tok=w.city)
    eq(s, 428, "no If-Match")
    s, _, r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "suspend", "reason": "x"},
                            tok=w.city, headers={"If-Match": "yesterday"})
    eq(s, 400, "malformed If-Match")
    for bad in ("1", '"1', 'W/1', '"1" "2"', '"1";', "*, \"1\"", "", " , "):
        s, _, r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "suspend", "reason": "x"},
                                tok=w.city, headers={"If-Match": bad})
        eq(s, 400, f"malformed If-Match {bad!r}")
        eq([e["field"] for e in r["errors"]], ["If-Match"], "the failing field")
    many = ", ".join(f'"{v}"' for v in range(1, 18))
    s, _, r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "suspend", "reason": "x"},
                            tok=w.city, headers={"If-Match": many})
    eq(s, 400, "more tags than a request may list")
    check("16" in r["errors"][0]["message"], r)
    eq(w.equipment(rec["id"])["version"], 1, "nothing changed")


def if_match_suspend(w, rec, value):
    return w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "suspend", "reason": "x"},
                         tok=w.city, headers={"If-Match": value})


def test_if_match_compares_strongly(w):
    """RFC 9110 section 13.1.1: a weak tag never matches, not even the current version's."""
    rec = w.register()
    with w.db.unchanged("a weak tag changes nothing"):
        for weak in ('W/"1"', 'W/"1", W/"2"'):
            s, _, r = if_match_suspend(w, rec, weak)
            eq(s, 412, f"weak {weak}")
            eq(r["status"], 412, "problem status")
    s, h, r = if_match_suspend(w, rec, 'W/"1", "1"')
    eq(s, 200, "a list with the strong tag of the current version")
    eq(h.get("etag"), '"2"', "the new version")


def test_if_match_star_is_any_current_version(w):
    rec = w.register()
    s, h, r = if_match_suspend(w, rec, "*")
    eq((s, r["status"]), (200, "suspended"), "* at version 1")
    s, h, r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "resume", "reason": "x"},
                            tok=w.city, headers={"If-Match": " * "})
    eq((s, h.get("etag")), (200, '"3"'), "* at version 2")
    eq(w.server.post("/api/v1/equipment/999999999/transitions", {"action": "resume", "reason": "x"}, tok=w.city,
                     headers={"If-Match": "*"})[0], 404, "* on no record at all")


def test_if_match_list_matches_any_of_its_versions(w):
    rec = w.register()
    with w.db.unchanged("a list without the current version changes nothing"):
        s, _, r = if_match_suspend(w, rec, '"2", "3"')
        eq(s, 412, "the current version is not listed")
        check("version 1" in r["detail"], r["detail"])
    s, h, r = if_match_suspend(w, rec, '"0", "1", "2"')
    eq((s, h.get("etag")), (200, '"2"'), "the current version among others")
    s, h, r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", {"action": "resume", "reason": "x"},
                            tok=w.city, headers={"If-Match": ',"abc" ,, "2"\t'})
    eq((s, h.get("etag")), (200, '"3"'), "empty elements and a tag that names no version are allowed")


def test_action_not_allowed_now_is_409(w):
    rec = w.register()
    with w.db.unchanged("database unchanged"):
        for action in ("resume", "approve"):
            s, _, r = w.transition(rec, action)
            eq(s, 409, action)
            check(rec and "in_service" in r["detail"], r["detail"])


def test_role_that_may_not_act_is_403(w):
    rec = w.register()
    for tok, action, fields in [(w.user_a, "modify", {"attributes": {"variety": "3110"}}),
                                (w.user_a, "transfer", {"user_unit": w.unit_b}),
                                (w.coordinator_a, "suspend", {}),
                                (w.admin, "suspend", {})]:
        s, _, r = w.transition(rec, action, tok=tok, **fields)
        eq(s, 403, f"{action}")


def test_relocation_across_jurisdictions_keeps_code_and_history(w):
    rec = w.register()
    s, _, r = w.transition(rec, "relocate", tok=w.district_a, address="青羊某路", jurisdiction=B)
    eq(s, 403, "a district supervisor cannot move equipment out of its jurisdiction")
    s, _, r = w.transition(rec, "relocate", tok=w.city, address="青羊某路 2 号", jurisdiction=B)
    eq(s, 200, f"city relocates: {r}")
    eq(r["jurisdiction"], B, "moved")
    eq(r["equipment_code"], rec["equipment_code"], "code kept")
    eq(w.server.get(f"/api/v1/equipment/{rec['id']}", tok=w.district_a)[0], 404, "old district no longer sees it")
    s, _, hist = w.server.get(f"/api/v1/equipment/{rec['id']}/history", tok=w.district_b)
    eq(s, 200, "new district sees it")
    eq([e["action"] for e in hist["items"]], ["register", "relocate"], "history moved with it")


def test_duplicate_equipment_code_is_409(w):
    rec = w.register()
    body = elevator(rec["equipment_code"], A, w.unit_a, w.maint)
    with w.db.unchanged("database unchanged"):
        s, _, r = w.server.post("/api/v1/equipment", body, tok=w.city)
        eq(s, 409, "duplicate")
        eq(r["errors"][0]["field"], "equipment_code", "field")


def test_invalid_modification_is_422_and_changes_nothing(w):
    rec = w.register()
    with w.db.unchanged("database unchanged"):
        s, _, r = w.transition(rec, "modify", attributes={"variety": "3110", "rated_load_kg": -5,
                                                         "rated_speed_mps": 1, "stops": 3, "maintenance_unit": w.maint})
        eq(s, 422, "invalid attributes")
        eq([e["field"] for e in r["errors"]], ["attributes.rated_load_kg"], "field")
        s, _, r = w.transition(rec, "modify", attributes={"variety": "3120", "rated_load_kg": 500,
                                                         "rated_speed_mps": 1, "stops": 3, "maintenance_unit": w.maint})
        eq(s, 422, "variety is part of the code")


def test_list_pages_with_keyset_cursor_and_filters(w):
    made = [w.register(jurisdiction=B)["id"] for _ in range(7)]
    pages = w.server.walk(f"/api/v1/equipment?jurisdiction={B}&limit=3", tok=w.city)
    for items in pages:
        check(len(items) <= 3, "limit honoured")
    seen = [i["id"] for items in pages for i in items]
    check(set(made) <= set(seen), "every registered unit is listed")
    eq(seen, sorted(seen), "ordered by id")
    eq(len(seen), len(set(seen)), "no duplicates across pages")
    s, _, page = w.server.get("/api/v1/equipment?type=boiler", tok=w.city)
    eq(page["items"], [], "type filter")
    w.transition(made[0], "suspend")
    s, _, page = w.server.get(f"/api/v1/equipment?status=suspended&jurisdiction={B}", tok=w.city)
    eq([i["id"] for i in page["items"]], [made[0]], "status filter")


def test_equipment_types_describe_their_schema(w):
    s, _, r = w.server.get("/api/v1/equipment-types", tok=w.user_a)
    eq(s, 200, "status")
    types = {t["code"]: t for t in r["items"]}
    eq(sorted(types), ["boiler", "elevator", "pressure_vessel"], "types")
    el = types["elevator"]
    check(re.fullmatch(r"\d+\.\d+\.\d+", el["version"]), "plugin version")
    schema = el["attributes_schema"]
    eq(schema["additionalProperties"], False, "closed schema")
    check(set(["variety", "rated_load_kg", "rated_speed_mps", "stops", "maintenance_unit"]) <= set(schema["required"]),
          schema["required"])
    eq(types["boiler"]["attributes_schema"]["properties"]["rated_capacity"]["properties"]["unit"]["enum"],
       ["t/h", "MW"], "boiler capacity units")


def test_jurisdictions_are_the_city_its_units_and_zones(w):
    s, _, r = w.server.get("/api/v1/jurisdictions", tok=w.user_a)
    eq(s, 200, "status")
    cur = [j for j in r["items"] if j["current"]]
    eq(len(cur), 23, "city + 20 units + 2 zones")
    by = {j["code"]: j for j in r["items"]}
    eq(by["510100-GX"]["name"], "成都高新区", "高新区")
    eq(by["510100-TF"]["kind"], "functional_zone", "天府新区 kind")
    eq(by["510100-TF"]["division_code"], None, "no pseudo GB/T 2260 code")
    eq(by["510122"]["successor"], "510116", "双流县 → 双流区")
    eq(by["510185"]["kind"], "county_city", "简阳市")


def test_registration_in_a_retired_or_unknown_jurisdiction_is_422(w):
    for j in ("510122", "510100", "999999"):
        body = elevator(w.code(), j, w.unit_a, w.maint)
        s, _, r = w.server.post("/api/v1/equipment", body, tok=w.city)
        eq(s, 422, j)
        eq([e["field"] for e in r["errors"]], ["jurisdiction"], j)


def setup():
    return World("api_lifecycle")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
