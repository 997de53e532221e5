"""Escalation and supervised rectification over months: a unit that misses its inspection
becomes an overdue 一般 hazard, climbs the escalation ladder, is proposed for and listed under
挂牌督办, is rectified, verified and closed -- with every notice in the outbox in order. Time
moves with SEREG_NOW (the server) and --now (the sweep)."""
import hashlib

from harness import (day_after, evidence_ref, http_head, inspection, run, send_raw, start_refused, sweep, tests_of,
                     check, eq)
from world import World, A, B, act, step


def swept(w, day):
    """The sweep of <day>, which must succeed and log no error: what it printed."""
    return sweep(w.db, day, clean=True).stdout


def at(w, day):
    """The server as it runs on <day>; the one before must have logged no errors."""
    log = w.server.output()
    check(" error " not in log, "the server logged errors:\n" + "\n".join(
        line for line in log.splitlines() if " error " in line))
    return w.restart(env={"SEREG_NOW": day})


def events_of(w, subject_type, ids):
    rows = w.db.sql(f"SELECT event_type FROM outbox WHERE subject_type = '{subject_type}' "
                    f"AND subject_id IN ({','.join(repr(str(i)) for i in ids)}) ORDER BY id")
    return rows.split("\n") if rows else []


def test_a_missed_inspection_is_escalated_listed_rectified_and_closed(w):
    rec = w.register()
    due = rec["next_due"]
    day = day_after(due, 1)
    at(w, day)
    swept(w, day)
    items = w.hazards_of(rec, tok=w.district_a)
    eq(len(items), 1, "one hazard")
    h = items[0]
    eq((h["source"], h["grade"], h["level"]), ("overdue", "general", "district"), "the ladder's opening grade")
    check(h["ladder"].startswith("escalation.lua@"), h["ladder"])
    full = w.hazard(h["id"])
    eq([d["rung"] for d in full["deadlines"]], ["overdue_notice", "overdue_to_city"], "day rungs scheduled")
    eq([d["due_on"] for d in full["deadlines"]], [day_after(day, 30), day_after(day, 90)], "their days")

    # 29 days on nothing fires; on day 30 the notice rung fires once, however often the sweep runs.
    swept(w, day_after(day, 29))
    eq(w.hazard(h["id"])["deadlines"][0]["fired_on"], None, "not yet")
    out = swept(w, day_after(day, 30))
    check("1 rung fired" in out, out)
    swept(w, day_after(day, 30))
    swept(w, day_after(day, 31))
    full = w.hazard(h["id"])
    eq(full["deadlines"][0]["fired_on"], day_after(day, 30), "fired on its day")
    eq(w.db.count("outbox", f"event_type = 'hazard.escalated' AND subject_id = '{h['id']}'"), 1, "once")
    payload = w.db.sql(f"SELECT payload->>'notify' FROM outbox WHERE event_type = 'hazard.escalated' "
                       f"AND subject_id = '{h['id']}'")
    eq(payload, '["user_unit", "district"]', "who is told")
    eq(full["level"], "district", "a notice rung changes no level")

    # Day 90: the city follows it.
    swept(w, day_after(day, 90))
    full = w.hazard(h["id"])
    eq((full["grade"], full["level"]), ("general", "city"), "the city level")

    # The district orders rectification (监察指令书) by a deadline.
    t = day_after(day, 91)
    at(w, t)
    s, hdr, r = w.server.post("/api/v1/rectifications", {
        "hazard_ids": [h["id"]], "directive_number": "锦质监指〔2026〕001号", "deadline": day_after(t, 14),
        "note": "限期完成定期检验"}, tok=w.district_a)
    eq(s, 201, f"open: {r}")
    eq(hdr.get("location"), f"/api/v1/rectifications/{r['id']}", "location")
    eq((r["workflow"], r["state"], r["deadline"]), ("rectification", "issued", day_after(t, 14)), "issued")
    eq([a["action"] for a in w.rectification(r["id"], tok=w.user_a)["allowed_actions"]], ["acknowledge"],
       "the unit's move")
    eq(r["allowed_actions"], [], "nothing for the district now")
    r = step(w, r, "acknowledge", w.user_a)
    r = step(w, r, "start", w.user_a)
    eq(r["state"], "rectifying", "rectifying")

    overdue_ids = lambda tok: [x["id"] for x in w.server.get("/api/v1/hazards?overdue=true", tok=tok)[2]["items"]]
    check(h["id"] not in overdue_ids(w.district_a), "within its deadline")
    at(w, day_after(t, 15))
    check(h["id"] in overdue_ids(w.district_a), "past its deadline: overdue")
    check(h["id"] not in overdue_ids(w.district_b), "scoped")
    check(h["id"] not in [x["id"] for x in w.server.get("/api/v1/hazards?overdue=false&limit=500",
                                                         tok=w.district_a)[2]["items"]], "not among the others")

    # The deadline passes with the hazard open: rectification.overdue, and up the ladder.
    out = swept(w, day_after(t, 15))
    check("1 rectification overdue" in out, out)
    swept(w, day_after(t, 16))
    eq(w.db.count("outbox", f"event_type = 'rectification.overdue' AND subject_id = '{r['id']}'"), 1, "once")
    full = w.hazard(h["id"])
    eq((full["grade"], full["level"]), ("major", "city"), "重大, at city level")
    listed = [x for x in full["rectifications"] if x["workflow"] == "listed_supervision"]
    eq(len(listed), 1, f"proposed for 挂牌督办: {full['rectifications']}")
    eq(listed[0]["state"], "proposed", "proposed")
    why = "\n".join(full["why"])
    for words in ("overdue_notice fired", "overdue_to_city fired", "rectification_overdue fired", "listed_supervision"):
        check(words in why, f"the explanation tells '{words}':\n{why}")

    # 挂牌督办: listed by the city, rectified, accepted at district, verified by the city, delisted.
    t2 = day_after(t, 17)
    at(w, t2)
    lr = w.rectification(listed[0]["id"])
    eq(lr["deadline"], None, "no deadline until listed")
    lr = step(w, lr, "list", w.city, opinion="挂牌督办", deadline=day_after(t2, 60))
    lr = step(w, lr, "start", w.user_a)
    photo = w.evidence()
    eq(photo["sha256"], hashlib.sha256(b"\xff\xd8\xff photo of the repaired door lock").hexdigest(), "hash")
    lr = step(w, lr, "submit", w.user_a, note="已完成定期检验并整改", evidence=[photo])
    lr = step(w, lr, "accept", w.district_a, opinion="区级初验合格")
    lr = step(w, lr, "verify", w.city, opinion="市级复核通过")

    # The directive closes first: the hazard stays open while 挂牌督办 still covers it.
    r = w.rectification(r["id"])
    r = step(w, r, "submit", w.user_a, note="整改完成", evidence=[photo])
    r = step(w, r, "verify", w.district_a, opinion="复查合格")
    r = step(w, r, "close", w.district_a)
    eq(r["closed_on"], t2, "closed")
    eq(w.hazard(h["id"])["status"], "open", "still listed")
    lr = step(w, lr, "delist", w.city)
    eq(lr["state"], "delisted", "销号")
    full = w.hazard(h["id"])
    eq((full["status"], full["closed_on"]), ("closed", t2), "the last rectification closed the hazard")
    eq(full["deadlines"][1]["outcome"], "fired", "history of rungs kept")

    # Every notice, in order.
    eq(events_of(w, "hazard", [h["id"]]),
       ["hazard.opened", "hazard.escalated", "hazard.escalated", "hazard.escalated", "hazard.closed"], "hazard events")
    eq(events_of(w, "rectification", [r["id"]]),
       ["rectification.transitioned"] * 3 + ["rectification.overdue"] + ["rectification.transitioned"] * 3,
       "directive events")
    eq(events_of(w, "rectification", [lr["id"]]), ["rectification.transitioned"] * 7, "listing events")
    # history and audit went with them
    eq(w.db.count("rectification_event", f"rectification_id = {lr['id']}"), 7, "history")
    eq(w.db.count("audit_log", f"target_type = 'rectification' AND target_id = '{lr['id']}'"), 7, "audit")
    eq([e["action"] for e in w.rectification(lr["id"])["history"]],
       ["propose", "list", "start", "submit", "accept", "verify", "delist"], "the listing's steps")


def test_a_failed_unit_in_use_is_major_and_proposed_at_once(w):
    rec = w.register()
    at(w, "2026-06-15")
    s, _, r = w.server.post("/api/v1/inspections", inspection(
        rec, "DT-F-0001", inspected_on="2026-06-10", conclusion="fail",
        defects=[{"code": "door_lock_circuit_shorted", "item": "门锁", "severity": "major"},
                 {"code": "3.2", "item": "照明", "severity": "minor"}]), tok=w.agency)
    eq(s, 201, f"upload: {r}")
    found = w.hazards_of(rec)
    got = sorted((x["source"], x["condition"], x["grade"], x["level"]) for x in found)
    eq(got, [("defect", "door_lock_circuit_shorted:DT-F-0001", "major", "city"),
             ("failed_in_use", "failed_result:DT-F-0001", "major", "city")], "what the result shows")
    for x in found:
        check(x["rule"].startswith("elevator.lua@"), x["rule"])
        eq(x["facts"]["report_number"], "DT-F-0001", "facts")
        full = w.hazard(x["id"])
        eq([rc["workflow"] for rc in full["rectifications"]], ["listed_supervision"], "proposed in the upload")
    # Hazards are supervision records: the agency that found them sees the unit, not them,
    # and the database refuses the rows too.
    hid = found[0]["id"]
    eq(w.server.get(f"/api/v1/hazards/{hid}", tok=w.agency)[0], 404, "not the agency's")
    eq(w.hazards_of(rec, tok=w.agency), [], "nor listed")
    eq(w.server.get(f"/api/v1/equipment/{rec['id']}", tok=w.agency)[0], 200, "the unit it is")
    seen = [w.db.as_role("agency", sql, org=w.org_id(w.agency_code), today="2026-06-15")
            for sql in (f"SELECT count(*) FROM equipment WHERE id = {rec['id']}",
                        f"SELECT count(*) FROM hazard WHERE id = {hid}")]
    eq(seen, ["1", "0"], "row-level security: the unit, not its hazard")
    # A re-inspection that fails again while the hazard is open adds nothing.
    recheck = inspection(rec, "DT-F-0002", inspected_on="2026-06-14", conclusion="fail_on_recheck")
    s, _, r = w.server.post("/api/v1/inspections", recheck, tok=w.agency)
    eq(s, 201, f"recheck: {r}")
    eq(len(w.hazards_of(rec)), 2, "no duplicate")
    # The same report again is a replay: nothing new.
    before = w.db.count("hazard")
    s, _, r = w.server.post("/api/v1/inspections", recheck, tok=w.agency)
    eq((s, w.db.count("hazard")), (200, before), "replay")


def test_a_batch_opens_what_its_results_show(w):
    a, b = w.register(), w.register()
    at(w, "2026-06-15")
    items = [inspection(a, "B-1", inspected_on="2026-06-01", inspector="李工"),
             inspection(b, "B-2", inspected_on="2026-06-01", conclusion="fail", inspector="李工")]
    s, _, r = w.server.post("/api/v1/inspections:batch", items, tok=w.agency)
    eq((s, r["accepted"]), (200, 2), f"batch: {r}")
    eq(w.db.count("hazard", f"equipment_id = {a['id']}"), 0, "a pass shows nothing")
    eq(w.db.sql(f"SELECT source || ' ' || grade FROM hazard WHERE equipment_id = {b['id']}"), "failed_in_use major",
       "a failure in use")


def test_patrol_and_manual_hazards(w):
    rec = w.register()
    at(w, "2026-06-15")
    photo = w.evidence(b"\x89PNG patrol photo", "patrol.png", "image/png", tok=w.coordinator_a)
    body = {"equipment_id": rec["id"], "condition": "no_operator_certificate",
            "description": "巡查发现无证作业", "evidence": [photo]}
    s, hdr, h = w.server.post("/api/v1/hazards", body, tok=w.coordinator_a)
    eq(s, 201, f"patrol: {h}")
    eq((h["source"], h["grade"], h["level"], h["evidence"]), ("patrol", "general", "district", [photo]), "patrol")
    eq(hdr.get("location"), f"/api/v1/hazards/{h['id']}", "location")
    s, _, p = w.server.post("/api/v1/hazards", body, tok=w.coordinator_a)
    eq(s, 409, f"the same condition while open: {p}")
    eq(p["errors"][0]["field"], "condition", "field")
    no_photo = dict(body, condition="blocked_exit")
    del no_photo["evidence"]
    s, _, p = w.server.post("/api/v1/hazards", no_photo, tok=w.coordinator_a)
    eq((s, p["errors"][0]["field"]), (422, "evidence"), "a patrol report brings photos")
    s, _, m = w.server.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": "safety_valve_failed",
                                                "description": "安全保护装置失效", "grade": "major"}, tok=w.district_a)
    eq((s, m["source"], m["grade"]), (201, "manual", "major"), f"manual: {m}")
    eq(w.server.post("/api/v1/hazards", body, tok=w.user_a)[0], 403, "not the unit's to report")
    eq(w.server.post("/api/v1/hazards", dict(body, condition="x"), tok=w.district_b)[0], 422, "out of scope: no unit")
    s, _, p = w.server.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": "x", "description": "y",
                                                "grade": "major", "level": "city"}, tok=w.district_a)
    eq((s, p["errors"][0]["field"]), (422, "level"), "a district does not list at city level")
    for bad, field in [({"condition": "a:b"}, "condition"), ({"grade": "huge"}, "grade"),
                       ({"equipment_id": "1"}, "equipment_id"), ({"evidence": [{"sha256": "00" * 32}]}, "evidence[0]"),
                       ({"extra": 1}, "extra")]:
        s, _, p = w.server.post("/api/v1/hazards", dict(body, **bad), tok=w.coordinator_a)
        eq(s, 422, f"{bad}: {p}")
        check(field in [e["field"] for e in p["errors"]], f"{bad}: {p}")


def test_evidence_is_downloaded_by_who_may_see_what_cites_it(w):
    at(w, "2026-06-15")
    data = bytes(range(256)) * 40  # every byte value, NUL included
    ref = w.evidence(b"\xff\xd8" + data, "门锁 照片.jpg", "image/jpeg", tok=w.coordinator_a)
    s, hdrs, body = w.download(ref["sha256"], w.coordinator_a)
    eq((s, body), (200, b"\xff\xd8" + data), "the uploader gets the bytes back")
    eq(hdrs["content-type"], "image/jpeg", "type")
    eq(hdrs["x-content-type-options"], "nosniff", "no sniffing")
    eq(hdrs["content-disposition"], "attachment; filename*=UTF-8''%E9%97%A8%E9%94%81%20%E7%85%A7%E7%89%87.jpg", "name")
    for tok in (w.district_a, w.city, w.user_a, w.district_b):
        eq(w.download(ref["sha256"], tok)[0], 404, "not cited anywhere yet: only the uploader")
    rec = w.register()
    s, _, h = w.server.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": "evidence_seen",
                                                "description": "d", "evidence": [ref]}, tok=w.coordinator_a)
    eq(s, 201, h)
    for tok, want in ((w.district_a, 200), (w.city, 200), (w.user_a, 200), (w.district_b, 404), (w.agency, 404),
                      (w.user_b, 404)):
        eq(w.download(ref["sha256"], tok)[0], want, "cited by a hazard: whoever sees the hazard")
    eq(w.download("00" * 32, w.city)[0], 404, "no such file")
    eq(w.download("XYZ", w.city)[0], 400, "not a hash")


def test_evidence_limits(w):
    at(w, "2026-06-15")
    data = b"%PDF-1.7 report"
    ref = w.evidence(data, "report.pdf", "application/pdf")
    eq(ref, evidence_ref(data, "report.pdf", "application/pdf"), "the reference")
    s, _, again = w.upload(data, "again.pdf", w.user_a, "application/pdf")
    eq(s, 200, "stored once")
    eq(w.db.count("audit_log", f"action = 'evidence.upload' AND target_id = '{ref['sha256']}'"), 1, "audited once")
    # Announced over the ceiling: refused before the body is read.
    reply = send_raw(w.server.port, http_head("POST", "/api/v1/evidence?name=big.jpg", tok=w.user_a, ctype="image/jpeg",
                                              length=8 * 1024 * 1024 + 1) + b"x" * 1000)
    check(reply.startswith(b"HTTP/1.1 413"), f"over the ceiling: {reply[:100]!r}")
    eq(w.db.count("evidence", "name = 'big.jpg'"), 0, "nothing stored")
    s, _, p = w.upload(b"<script>", "x.html", w.user_a, "text/html")
    eq(s, 415, f"not a photo or document: {p}")
    s, _, p = w.upload(b"x", "../../etc", w.user_a, "image/png")
    eq((s, p["errors"][0]["field"]), (422, "name"), "a name, not a path")
    s, _, p = w.upload(b"", "e.png", w.user_a, "image/png")
    eq(s, 422, "empty")
    eq(w.upload(b"x", "e.png", None, "image/png")[0], 401, "token")
    # The ceiling is configuration.
    w.restart(env={"SEREG_NOW": "2026-06-15", "SEREG_EVIDENCE_MAX": "2048"})
    eq(w.evidence(b"\x89PNG" + b"a" * 2000, "small.png", "image/png")["size"], 2004, "under the ceiling")
    s, _, p = w.upload(b"b" * 3000, "b.png", w.user_a, "image/png")
    eq(s, 413, f"over a configured ceiling: {p}")
    start_refused(w.db, {"SEREG_EVIDENCE_MAX": "lots"})  # a bad ceiling stops the start


def open_directive(w, n, deadline_days=20, tok=None):
    """A new unit of district A, a hazard c<n> on it and directive D-<n> over that, due
    <deadline_days> after 2026-06-15: (the hazard, the rectification)."""
    h = w.open_hazard(w.register(jurisdiction=A), f"c{n}", tok=w.district_a)
    return h, w.open_rectification([h], f"D-{n}", day_after("2026-06-15", deadline_days), tok=tok or w.district_a)


def test_the_hazards_awaiting_a_directive(w):
    """without_open=WORKFLOW lists the open hazards no open rectification of that workflow covers
    (a district's hazards awaiting a 监察指令书), in the caller's scope and counted alike; a
    workflow not in force is refused naming the field."""
    at(w, "2026-06-15")
    waiting = w.open_hazard(w.register(jurisdiction=A), "await-1", tok=w.district_a)
    covered, r = open_directive(w, "await")

    def ids(tok=w.district_a, **more):
        q = "&".join(f"{k}={v}" for k, v in {"without_open": "rectification", "limit": 200, **more}.items())
        s, _, p = w.server.get(f"/api/v1/hazards?{q}", tok=tok)
        eq(s, 200, p)
        return p, {h["id"] for h in p["items"]}

    p, got = ids(count="true")
    check(waiting["id"] in got, "an open hazard without a directive awaits one")
    check(covered["id"] not in got, "a hazard under an open directive does not")
    eq(p["total"], len(got), "count=true counts the same rows")
    check(all(h["status"] == "open" for h in p["items"]), "open hazards only")
    _, got_b = ids(tok=w.district_b)
    check(waiting["id"] not in got_b and covered["id"] not in got_b, "another district sees none of A's")
    _, got_listed = ids(without_open="listed_supervision")
    check(covered["id"] in got_listed, "another workflow's coverage is its own")
    for v in ("nope", "Rectification", "rectification%00"):
        s, _, p = w.server.get(f"/api/v1/hazards?without_open={v}", tok=w.district_a)
        eq(s, 400, f"{v}: {str(p)[:200]}")
        eq([e["field"] for e in p["errors"]], ["without_open"], v)


def test_bad_transitions_change_nothing(w):
    at(w, "2026-06-15")
    h, r = open_directive(w, "bad")
    cases = [
        ({"action": "verify", "opinion": "x"}, w.district_a, 409, None, "not from this state"),
        ({"action": "fly"}, w.user_a, 422, "action", "no such action"),
        ({"action": "acknowledge", "colour": "red"}, w.user_a, 422, "colour", "unknown field"),
        ({"action": "acknowledge", "deadline": "2026-07-01"}, w.user_a, 422, "deadline", "takes no deadline"),
        ({"action": "acknowledge"}, w.district_a, 403, None, "not the district's move"),
        ({"action": "acknowledge"}, w.user_b, 404, None, "another unit's directive"),
        ({"action": "acknowledge"}, w.agency, 404, None, "agencies see none"),
        ({"action": "acknowledge"}, w.district_b, 404, None, "another district's"),
    ]
    with w.db.unchanged("nothing written by refused transitions"):
        for body, tok, status, field, what in cases:
            s, _, p = w.server.post(f"/api/v1/rectifications/{r['id']}/transitions", body, tok=tok,
                                    headers={"If-Match": '"1"'})
            eq(s, status, f"{what}: {p}")
            if field:
                check(field in [e["field"] for e in p.get("errors", [])], f"{what}: {p}")
        eq(w.server.post(f"/api/v1/rectifications/{r['id']}/transitions", {"action": "acknowledge"},
                         tok=w.user_a)[0], 428, "If-Match required")
        eq(w.server.post(f"/api/v1/rectifications/{r['id']}/transitions", {"action": "acknowledge"}, tok=w.user_a,
                         headers={"If-Match": '"7"'})[0], 412, "stale version")
    r = step(w, r, "acknowledge", w.user_a)
    r = step(w, r, "start", w.user_a)
    for body, field in [({"action": "submit", "note": "x"}, "evidence"), ({"action": "submit", "evidence": []}, "note"),
                        ({"action": "submit", "note": "x", "evidence": [{"name": "a.jpg", "sha256": "ab" * 32,
                                                                         "size": 3, "content_type": "image/jpeg"}]},
                         "evidence[0]")]:
        s, p = act(w, r, **body, tok=w.user_a)
        eq(s, 422, f"{body}: {p}")
        check(any(e["field"].startswith(field) for e in p["errors"]), f"{body}: {p}")


def test_opening_rectifications_is_checked(w):
    at(w, "2026-06-15")
    h, r = open_directive(w, "open")
    other = w.register(jurisdiction=B)
    hb = w.open_hazard(other, "x", tok=w.district_b, description="y")
    good = {"hazard_ids": [h["id"]], "directive_number": "D-open-2", "deadline": "2026-07-01"}
    cases = [
        (dict(good), w.district_a, 422, "hazard_ids[0]", "already under a directive"),
        (dict(good, hazard_ids=[hb["id"]]), w.district_a, 422, "hazard_ids[0]", "not the district's to see"),
        (dict(good, hazard_ids=[]), w.district_a, 422, "hazard_ids", "none"),
        (dict(good, deadline="2026-06-15"), w.district_a, 422, "deadline", "not after today"),
        (dict(good, workflow="nope"), w.district_a, 422, "workflow", "no such workflow"),
        ({k: v for k, v in good.items() if k != "deadline"}, w.district_a, 422, "deadline", "a directive needs one"),
        ({k: v for k, v in good.items() if k != "directive_number"}, w.district_a, 422, "directive_number", "number"),
        (dict(good, hazard_ids=[hb["id"]]), w.user_b, 403, None, "a unit does not order itself"),
        (dict(good, hazard_ids=[hb["id"]], directive_number="D-open"), w.district_b, 409, None, "number in use"),
    ]
    for body, tok, status, field, what in cases:
        s, _, p = w.server.post("/api/v1/rectifications", body, tok=tok)
        eq(s, status, f"{what}: {p}")
        if field:
            check(field in [e["field"] for e in p.get("errors", [])], f"{what}: {p}")
    # 挂牌督办 may be opened without a deadline: listing sets it.
    lr = w.open_rectification([h], "L-1", workflow="listed_supervision")
    eq(lr["state"], "proposed", f"listing proposed: {lr}")
    s, _, page = w.server.get(f"/api/v1/rectifications?hazard_id={h['id']}", tok=w.district_a)
    eq(sorted(x["workflow"] for x in page["items"]), ["listed_supervision", "rectification"], "list by hazard")
    eq(w.server.get(f"/api/v1/rectifications?hazard_id={h['id']}", tok=w.district_b)[2]["items"], [], "scoped")
    eq(w.server.get("/api/v1/rectifications?open=maybe", tok=w.city)[0], 400, "bad filter")


def test_an_extension_is_asked_before_the_deadline(w):
    at(w, "2026-06-15")
    h, _ = open_directive(w, "ext")
    lr = w.open_rectification([h], "L-ext", workflow="listed_supervision")
    lr = step(w, lr, "list", w.city, opinion="挂牌", deadline="2026-06-20")
    lr = step(w, lr, "start", w.user_a)
    lr = step(w, lr, "request_extension", w.user_a, note="设备需返厂", deadline="2026-08-01")
    lr = step(w, lr, "grant_extension", w.city, opinion="同意", deadline="2026-08-01")
    eq(lr["deadline"], "2026-08-01", "the new deadline")
    at(w, "2026-08-02")
    s, p = act(w, lr, "request_extension", w.user_a, note="再延期", deadline="2026-09-01")
    eq(s, 409, f"too late: {p}")


def test_workflows_and_ladder_are_published(w):
    s, _, wf = w.server.get("/api/v1/workflows", tok=w.user_a)
    eq(s, 200, "workflows")
    eq(sorted(x["code"] for x in wf["items"]), ["listed_supervision", "rectification"], "loaded")
    s, _, l = w.server.get("/api/v1/escalation", tok=w.user_a)
    eq((s, l["plugin"]), (200, "escalation.lua"), "ladder")


ROLES = ["city", "admin", "district_a", "district_b", "coordinator_a", "user_a", "user_b", "agency"]
ROLE_OF = {"city": "city_supervisor", "admin": "admin", "district_a": "district_supervisor",
           "district_b": "district_supervisor", "coordinator_a": "coordinator", "user_a": "user_unit",
           "user_b": "user_unit", "agency": "agency"}
SEES = {"city", "admin", "district_a", "coordinator_a", "user_a"}  # a unit of user_a in district A
ACTOR = {"city_supervisor": "city", "district_supervisor": "district_a", "user_unit": "user_a"}


def fields_for(w, t):
    f = {}
    for need in t.get("requires", []):
        f[need] = {"note": "说明", "opinion": "意见", "deadline": "2026-12-31",
                   "evidence": [w.evidence(b"\xff\xd8 matrix", "m.jpg")]}[need]
    return f


def path_to(wf, state):
    """Transitions from the initial state to <state>, breadth first."""
    paths = {wf["initial"]: []}
    frontier = [wf["initial"]]
    while frontier:
        s = frontier.pop(0)
        for t in wf["transitions"]:
            if s in t["from"] and t["to"] not in paths:
                paths[t["to"]] = paths[s] + [t]
                frontier.append(t["to"])
    return paths[state]


def test_role_matrix_for_every_workflow_transition(w):
    """Every action of every workflow, tried by every role, against what the plugin declares."""
    at(w, "2026-06-15")
    wfs = w.server.get("/api/v1/workflows", tok=w.city)[2]["items"]
    n = 0
    for wf in wfs:
        for t in wf["transitions"]:
            allowed = [r for r in ROLES if ROLE_OF[r] in t["roles"] and r in SEES]
            for winner in allowed or [None]:
                n += 1
                h, _ = open_directive(w, f"m{n}") if wf["code"] == "rectification" else (None, None)
                if wf["code"] == "rectification":
                    r = _
                else:
                    h = w.open_hazard(w.register(), f"m{n}", description="d", grade="major")
                    r = w.open_rectification([h], f"M-{n}", workflow=wf["code"])
                for prev in path_to(wf, t["from"][0]):
                    r = step(w, r, prev["action"], getattr(w, ACTOR[prev["roles"][0]]), **fields_for(w, prev))
                body = dict(fields_for(w, t))
                for role in ROLES:
                    if role == winner or role in allowed:
                        continue
                    s, p = act(w, r, t["action"], getattr(w, role), **body)
                    want = 403 if role in SEES else 404
                    eq(s, want, f"{wf['code']}.{t['action']} by {role}: {p}")
                if winner:
                    r = step(w, r, t["action"], getattr(w, winner), **body)
                    eq(r["state"], t["to"], f"{wf['code']}.{t['action']} by {winner}")
    check(n >= 15, f"the matrix covered {n} cases")


def setup():
    w = World("rectification", env={"SEREG_NOW": "2026-06-15"})
    w.accredit("elevator")
    return w


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
