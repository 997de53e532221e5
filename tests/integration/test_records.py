"""The one writer: every change leaves its history, audit record and notice through sereg_record(),
and every notice carries the jurisdiction of what it is about, the acting account and role as they
really were, the request, and an event type from the one list. A day in the city that emits every
event type, then the outbox read back row by row."""
import os
import tempfile
import time

from harness import run, check, eq, sereg, uscc, elevator
from receivers import Receiver, closed_port_url
from world import World, A, B

TODAY = "2026-06-15"


def actor_of(w, tok):
    return w.db.sql("SELECT a.id || ' ' || a.role FROM api_token t JOIN account a ON a.id = t.account_id "
                    f"WHERE t.token_hash = encode(sha256('{tok}'), 'hex')")


def a_day_in_the_city(w):
    """Requests and commands that, between them, emit every event type of the list."""
    # Notices to a receiver that is not there die on their one attempt (delivery.failed); a ping
    # to one that answers 410 Gone disables it (subscription.ping, subscription.disabled).
    s, _, dead = w.server.post("/api/v1/subscriptions", {"url": closed_port_url(),
                                                         "event_types": ["equipment.registered"]}, tok=w.admin)
    eq(s, 201, dead)
    gone = Receiver([410])
    s, _, sub = w.server.post("/api/v1/subscriptions", {"url": gone.url, "event_types": ["hazard.closed"],
                                                        "jurisdiction": A}, tok=w.district_a)
    eq(s, 201, sub)
    s, _, ping = w.server.post(f"/api/v1/subscriptions/{sub['id']}/test", tok=w.district_a)
    eq(s, 202, ping)                                                   # subscription.ping
    s, _, org = w.server.post("/api/v1/organizations", {"credit_code": uscc(B, "MA6R0001"), "name": "记录测试使用单位",
                                                        "kind": "user_unit", "jurisdiction": B}, tok=w.district_b)
    eq(s, 201, org)                                                    # organization.registered
    w.accredit("elevator")                                             # accreditation.granted
    rec = w.register(commissioned_on="2020-05-01")                     # equipment.registered
    s, _, r = w.transition(rec, "rename", tok=w.district_a, user_unit_name="锦江测试使用单位（更名）")
    eq(s, 200, r)                                                      # organization.renamed, equipment.transitioned
    result = {"equipment_id": rec["id"], "report_number": "REC-1", "kind": "periodic", "inspected_on": "2026-05-20",
              "conclusion": "fail", "inspector": "张工", "defects": []}
    s, _, r = w.server.post("/api/v1/inspections", result, tok=w.agency)
    eq(s, 201, r)  # inspection.recorded, equipment.due_changed; a failed unit in use: hazard.opened, its listing
    # rung fires at once (hazard.escalated) and proposes 挂牌督办 (rectification.transitioned)
    overdue = w.register(commissioned_on="2019-01-10")
    r = sereg("sweep", "--now", "2026-06-01", db=w.db)
    eq(r.returncode, 0, r.stderr)                                      # hazard.opened for the overdue unit
    s, _, h = w.server.post("/api/v1/hazards", {"equipment_id": overdue["id"], "condition": "door_worn",
                                                "description": "门板磨损", "grade": "general"}, tok=w.district_a)
    eq(s, 201, h)
    s, _, d = w.server.post("/api/v1/rectifications", {"hazard_ids": [h["id"]], "directive_number": "REC-D1",
                                                       "deadline": "2026-06-20"}, tok=w.district_a)
    eq(s, 201, d)                                                      # rectification.transitioned
    r = sereg("sweep", "--now", "2026-06-25", db=w.db)                 # rectification.overdue (issued: 3 days)
    eq(r.returncode, 0, r.stderr)
    s, _, got = w.transition(overdue["id"], "scrap", tok=w.city, reason="报废")
    eq(s, 200, got)
    r = sereg("sweep", "--now", "2026-06-26", db=w.db)                 # hazard.closed: the unit left service
    eq(r.returncode, 0, r.stderr)
    d = tempfile.mkdtemp(prefix="sereg-records-")
    with open(os.path.join(d, "orgs.csv"), "w", encoding="utf-8") as f:
        f.write("credit_code,name,kind,jurisdiction\n" + uscc(A, "MA6R0002") + ",导入单位,user_unit," + A + "\n")
    r = sereg("import", "organizations", os.path.join(d, "orgs.csv"), db=w.db)
    eq(r.returncode, 0, r.stderr)                                      # organization.imported
    with open(os.path.join(d, "eq.csv"), "w", encoding="utf-8") as f:
        f.write("type,equipment_code,jurisdiction,user_unit,address,commissioned_on,variety,rated_load_kg,"
                "rated_speed_mps,stops,maintenance_unit\n"
                f"elevator,311051123201999991,{A},{w.unit_a},导入路 1 号,2020-01-01,3110,1000,1.75,10,{w.maint}\n")
    r = sereg("import", "equipment", os.path.join(d, "eq.csv"), db=w.db)
    eq(r.returncode, 0, r.stderr)                                      # equipment.imported
    deadline = time.time() + 20                                        # delivery.failed, subscription.disabled
    while time.time() < deadline and w.db.count("outbox", "event_type IN ('delivery.failed', 'subscription.disabled')") < 2:
        time.sleep(0.1)
    gone.stop()
    return rec


def test_every_event_type_is_emitted_with_its_jurisdiction_and_actor(w):
    rec = a_day_in_the_city(w)
    types = w.db.sql("SELECT string_agg(name, ' ' ORDER BY name) FROM event_type").split()
    emitted = w.db.sql("SELECT string_agg(DISTINCT event_type, ' ' ORDER BY event_type) FROM outbox").split()
    eq(emitted, types, "the day emits every event type of the list, and no other")
    eq(w.db.count("outbox", "jurisdiction IS NULL"), 0, "every notice has a jurisdiction")
    eq(w.db.count("outbox", "actor_role = 'unrecorded'"), 0, "and who acted")
    # The jurisdiction is that of what the notice is about, as it is now.
    wrong = w.db.sql(
        "SELECT string_agg(o.event_type || '#' || o.id, ' ') FROM outbox o WHERE o.jurisdiction IS DISTINCT FROM CASE "
        "  WHEN o.event_type LIKE '%.imported' THEN (SELECT code FROM jurisdiction WHERE kind = 'city') "
        "  WHEN o.subject_type = 'equipment' THEN (SELECT jurisdiction FROM equipment WHERE id::text = o.subject_id) "
        "  WHEN o.subject_type = 'inspection' THEN (SELECT e.jurisdiction FROM inspection i JOIN equipment e "
        "    ON e.id = i.equipment_id WHERE i.id::text = o.subject_id) "
        "  WHEN o.subject_type = 'organization' THEN (SELECT jurisdiction FROM organization WHERE id::text = o.subject_id) "
        "  WHEN o.subject_type = 'hazard' THEN (SELECT e.jurisdiction FROM hazard h JOIN equipment e "
        "    ON e.id = h.equipment_id WHERE h.id::text = o.subject_id) "
        "  WHEN o.subject_type = 'rectification' THEN (SELECT jurisdiction FROM rectification WHERE id::text = o.subject_id) "
        "  WHEN o.subject_type = 'subscription' THEN (SELECT coalesce(s.jurisdiction, (SELECT code FROM jurisdiction "
        "    WHERE kind = 'city')) FROM subscription s WHERE s.id::text = o.subject_id) "
        "END")
    eq(wrong, "", "notices whose jurisdiction is not their subject's")
    # Who acted, as they really were: the agency recorded its result; the ladder, not the agency,
    # escalated the failed unit and proposed it for 挂牌督办 during that request.
    agency_id, _ = actor_of(w, w.agency).split()
    by = lambda where: w.db.sql(f"SELECT string_agg(DISTINCT coalesce(actor_account::text, '-') || ' ' || actor_role, "
                                f"',') FROM outbox WHERE {where}")
    eq(by("event_type = 'inspection.recorded'"), f"{agency_id} agency", "the agency's result")
    upload_request = w.db.sql("SELECT request_id FROM outbox WHERE event_type = 'inspection.recorded'")
    check(upload_request, "notices name their request")
    eq(by(f"request_id = '{upload_request}' AND event_type IN ('hazard.escalated', 'rectification.transitioned')"),
       "- system", "the rung and its proposal are the system's, within the agency's request")
    eq(w.db.sql("SELECT string_agg(DISTINCT actor_role, ',') FROM rectification_event WHERE action = 'propose'"),
       "system", "and so is the proposal's history entry")
    district_id, _ = actor_of(w, w.district_a).split()
    eq(by("event_type = 'organization.renamed'"), f"{district_id} district_supervisor", "the rename is the district's")
    eq(by("event_type = 'equipment.transitioned' AND payload->>'action' = 'rename'"),
       f"{district_id} district_supervisor", "on every unit it changed")
    eq(by("event_type LIKE '%.imported'"), "- system", "imports are the system's")
    eq(by("event_type IN ('delivery.failed', 'subscription.disabled')"), "- system", "the notice worker is the system")
    eq(by("event_type = 'subscription.ping'"), f"{district_id} district_supervisor", "a ping is its sender's")
    # The history and audit records of the same changes say the same.
    eq(w.db.sql("SELECT string_agg(DISTINCT actor_role, ',') FROM equipment_event WHERE action = 'inspect'"), "agency",
       "history")
    eq(w.db.sql("SELECT string_agg(DISTINCT role, ',') FROM audit_log WHERE action = 'hazard.escalate' "
                f"AND request_id = '{upload_request}'"), "system", "audit")
    eq(w.db.count("audit_log", "request_id IS NULL AND role <> 'system'"), 0, "a request's audit records name it")


def test_a_notice_without_a_jurisdiction_or_of_an_unknown_type_is_refused(w):
    for sql, why in (("SELECT sereg_record('[{\"event\": {\"type\": \"hazard.opened\", \"subject_type\": \"hazard\", "
                      "\"subject_id\": \"1\", \"payload\": {}}}]')", "null value"),
                     ("SELECT sereg_record('[{\"event\": {\"type\": \"hazard.vanished\", \"subject_type\": \"hazard\", "
                      "\"subject_id\": \"1\", \"jurisdiction\": \"510104\", \"payload\": {}}}]')", "foreign key")):
        rc, _, err = w.db.sql_raw("SET sereg.role = 'system'; SET sereg.actor_role = 'system'; " + sql)
        check(rc != 0 and why in err, f"refused: {err}")
    rc, _, err = w.db.sql_raw("SELECT sereg_record('[{\"audit\": {\"action\": \"x\", \"target_type\": \"x\", "
                              "\"target_id\": \"1\"}}]')")
    check(rc != 0 and "names no actor" in err, f"no actor, no record: {err}")


def setup():
    return World("records", env={"SEREG_NOW": TODAY, "SEREG_WEBHOOK_ALLOW": "127.0.0.0/8",
                                 "SEREG_WEBHOOK_RETRY_SCHEDULE": "0s"})


if __name__ == "__main__":
    run([test_every_event_type_is_emitted_with_its_jurisdiction_and_actor,
         test_a_notice_without_a_jurisdiction_or_of_an_unknown_type_is_refused],
        setup=setup, teardown=lambda w: w.close())
