"""What a unit's 过户 (transfer) and 移装 (relocation) do to the records that hang on it: a
rectification goes with its unit to the new owner or district, in the same transaction and with
its own history; one that also covers other units holds the change while it is open. Each is
checked through the server and again straight in SQL, where row-level security must refuse the
same rows."""
import os

from harness import Database, Server, SRC, copy_dir, elevator, run, tests_of, check, eq, sereg, token
from world import World, A, B

TODAY = "2026-06-15"


def setup():
    w = World("scope_changes", env={"SEREG_NOW": TODAY})
    w.n = 0
    return w


def hazard_on(w, rec, tok=None):
    w.n += 1
    s, _, h = w.server.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": f"s{w.n}",
                                                "description": "测试隐患", "grade": "general"}, tok=tok or w.city)
    eq(s, 201, f"hazard: {h}")
    return h


def directive(w, hazards, tok=None):
    w.n += 1
    s, _, r = w.server.post("/api/v1/rectifications", {"hazard_ids": [h["id"] for h in hazards],
                                                       "directive_number": f"SC-{w.n}", "deadline": "2026-07-15"},
                            tok=tok or w.city)
    eq(s, 201, f"directive: {r}")
    return r


def act(w, r, action, tok, **fields):
    body = {"action": action}
    body.update(fields)
    return w.server.post(f"/api/v1/rectifications/{r['id']}/transitions", body, tok=tok,
                         headers={"If-Match": f'"{r["version"]}"'})


def step(w, r, action, tok, **fields):
    s, _, out = act(w, r, action, tok, **fields)
    eq(s, 200, f"{action}: {out}")
    return out


def org_id(w, code):
    return w.db.sql(f"SELECT id FROM organization WHERE credit_code = '{code}'")


def as_caller(w, role, sql, jurisdiction="", org=""):
    """<sql> straight in the database as <role>, inside a transaction that is rolled back: the
    last line of its output, or the error."""
    rc, out, err = w.db.sql_raw(
        f"BEGIN; SELECT set_config('sereg.role', '{role}', true), set_config('sereg.jurisdiction', '{jurisdiction}', true), "
        f"set_config('sereg.org', '{org}', true), set_config('sereg.today', '{TODAY}', true); {sql}; ROLLBACK")
    if rc != 0:
        return "ERROR: " + err
    lines = out.splitlines()
    return lines[-1] if len(lines) > 1 else ""


def rows_of_rectification(w, rid, role, jurisdiction="", org=""):
    """How many of the rectification's own rows, history and deadlines <role> sees in SQL."""
    return as_caller(w, role, f"SELECT (SELECT count(*) FROM rectification WHERE id = {rid}) || ',' || "
                              f"(SELECT count(*) FROM rectification_event WHERE rectification_id = {rid}) || ',' || "
                              f"(SELECT count(*) FROM deadline WHERE rectification_id = {rid})",
                     jurisdiction, org)


# ==== 过户: the directive goes to the new user unit ====

def test_a_transfer_takes_the_directive_to_the_new_user_unit(w):
    rec = w.register(jurisdiction=A)                     # user unit A's, in 锦江区
    h = hazard_on(w, rec, tok=w.district_a)
    r = directive(w, [h], tok=w.district_a)
    eq(step(w, dict(r), "acknowledge", w.user_a)["state"], "acknowledged", "the owner acknowledges")
    r = w.server.get(f"/api/v1/rectifications/{r['id']}", tok=w.city)[2]
    s, _, moved = w.transition(rec, "transfer", tok=w.city, user_unit=w.unit_b, reason="整体转让给青羊测试使用单位")
    eq(s, 200, f"transfer: {moved}")

    # The former owner no longer reads it nor acts on it; the new owner does both.
    eq(w.server.get(f"/api/v1/rectifications/{r['id']}", tok=w.user_a)[0], 404, "the former owner no longer sees it")
    s, _, p = act(w, r, "start", w.user_a)
    eq(s, 404, f"the former owner cannot act on it: {p}")
    listed = [x["id"] for x in w.server.get("/api/v1/rectifications?limit=500", tok=w.user_a)[2]["items"]]
    check(r["id"] not in listed, "nor lists it")
    s, _, now = w.server.get(f"/api/v1/rectifications/{r['id']}", tok=w.user_b)
    eq(s, 200, f"the new owner sees its unit's directive: {now}")
    eq((now["user_unit"], now["jurisdiction"], now["state"]), (w.unit_b, A, "acknowledged"), "moved, same state")
    eq(now["version"], r["version"] + 1, "a change of the record")
    last = now["history"][-1]
    eq((last["action"], last["from"], last["to"], last["actor_role"]),
       ("follow_transfer", "acknowledged", "acknowledged", "city_supervisor"), "its own history entry")
    for words in (f"equipment {rec['id']}", w.unit_a, w.unit_b, "整体转让给青羊测试使用单位"):
        check(words in last["note"], f"the note names the change ({words}): {last['note']}")
    eq(w.db.sql(f"SELECT action FROM audit_log WHERE target_type = 'rectification' AND target_id = '{r['id']}' "
                "ORDER BY id DESC LIMIT 1"), "rectification.follow_transfer", "audited")
    eq(w.db.sql(f"SELECT payload->>'action' || ' ' || jurisdiction || ' ' || (payload->'rectification'->>'user_unit') "
                f"FROM outbox WHERE subject_type = 'rectification' AND subject_id = '{r['id']}' ORDER BY id DESC LIMIT 1"),
       f"follow_transfer {A} {w.unit_b}", "a notice for the new owner")
    now = step(w, now, "start", w.user_b)
    eq(now["state"], "rectifying", "the new owner carries on")

    # Row-level security refuses the same rows to the former owner.
    ua, ub = org_id(w, w.unit_a), org_id(w, w.unit_b)
    eq(rows_of_rectification(w, r["id"], "user_unit", org=ua), "0,0,0", "SQL: the former owner sees none of it")
    check(rows_of_rectification(w, r["id"], "user_unit", org=ub).startswith("1,"), "SQL: the new owner sees it")
    eq(as_caller(w, "user_unit", f"UPDATE rectification SET state = 'closed' WHERE id = {r['id']} RETURNING id", org=ua),
       "", "SQL: the former owner changes nothing")


# ==== 移装: the directive goes to the new district ====

def test_a_relocation_takes_the_directive_to_the_new_district(w):
    rec = w.register(jurisdiction=A)
    h = hazard_on(w, rec, tok=w.district_a)
    r = directive(w, [h], tok=w.district_a)              # issued: to be acknowledged within 3 days
    s, _, moved = w.transition(rec, "relocate", tok=w.city, address="青羊区某路 9 号", jurisdiction=B,
                               reason="迁至青羊区新址")
    eq(s, 200, f"relocation: {moved}")

    eq(w.server.get(f"/api/v1/rectifications/{r['id']}", tok=w.district_a)[0], 404, "the old district no longer sees it")
    check(r["id"] not in [x["id"] for x in w.server.get("/api/v1/rectifications?limit=500", tok=w.district_a)[2]["items"]],
          "nor lists it")
    s, _, now = w.server.get(f"/api/v1/rectifications/{r['id']}", tok=w.district_b)
    eq(s, 200, f"the new district sees it: {now}")
    eq((now["jurisdiction"], now["user_unit"], now["state"]), (B, w.unit_a, "issued"), "moved, same state")
    check(r["id"] in [x["id"] for x in w.server.get(f"/api/v1/rectifications?jurisdiction={B}&limit=500",
                                                     tok=w.district_b)[2]["items"]], "listed in 青羊区")
    last = now["history"][-1]
    eq((last["action"], last["from"], last["to"]), ("follow_relocation", "issued", "issued"), "history")
    check(A in last["note"] and B in last["note"], f"the note names both districts: {last['note']}")
    eq(w.db.sql(f"SELECT jurisdiction FROM outbox WHERE subject_type = 'rectification' AND subject_id = '{r['id']}' "
                "ORDER BY id DESC LIMIT 1"), B, "the notice goes to the new district")
    eq(w.server.get(f"/api/v1/hazards/{h['id']}", tok=w.district_b)[0], 200, "its hazard went with the unit")

    eq(rows_of_rectification(w, r["id"], "district_supervisor", jurisdiction=A), "0,0,0", "SQL: not the old district's")
    eq(rows_of_rectification(w, r["id"], "coordinator", jurisdiction=A), "0,0,0", "SQL: nor its coordinators'")
    eq(rows_of_rectification(w, r["id"], "district_supervisor", jurisdiction=B), f"1,{len(now['history'])},1",
       "SQL: the new district's, with its history and its deadline")
    eq(as_caller(w, "district_supervisor", f"UPDATE deadline SET outcome = outcome WHERE rectification_id = {r['id']} "
                                           "RETURNING id", jurisdiction=A), "", "SQL: the old district changes nothing")

    # The state's deadline still runs: the unacknowledged directive falls overdue where it now is.
    out = sereg("sweep", "--now", "2026-06-19", db=w.db)
    eq(out.returncode, 0, out.stderr)
    eq(w.db.sql(f"SELECT jurisdiction FROM outbox WHERE event_type = 'rectification.overdue' "
                f"AND subject_id = '{r['id']}'"), B, "overdue, reported to the new district")


# ==== a directive over several units cannot follow one of them ====

def test_a_directive_over_several_units_holds_their_transfer(w):
    one, two = w.register(jurisdiction=A), w.register(jurisdiction=A)
    r = directive(w, [hazard_on(w, one), hazard_on(w, two)], tok=w.district_a)
    snap = w.db.snapshot()
    for action, fields in (("transfer", {"user_unit": w.unit_b}), ("relocate", {"address": "青羊某路", "jurisdiction": B})):
        s, _, p = w.transition(one, action, tok=w.city, **fields)
        eq(s, 409, f"{action} while the directive is open: {p}")
        check(f"#{r['id']}" in p["detail"], f"the refusal names the directive: {p['detail']}")
    eq(w.db.snapshot(), snap, "nothing changed")
    s, _, one = w.transition(one, "relocate", tok=w.district_a, address="锦江区新址 3 号")
    eq(s, 200, f"a move within the district changes no scope: {one}")

    # Closed, it stays where it was, as history, and the unit may go.
    photo = w.server.post("/api/v1/evidence?name=done.jpg", tok=w.user_a, raw=b"\xff\xd8 closed directive",
                          headers={"Content-Type": "image/jpeg"})[2]
    r = step(w, r, "acknowledge", w.user_a)
    r = step(w, r, "start", w.user_a)
    r = step(w, r, "submit", w.user_a, note="完成", evidence=[photo])
    r = step(w, r, "verify", w.district_a, opinion="合格")
    r = step(w, r, "close", w.district_a)
    s, _, moved = w.transition(one, "transfer", tok=w.city, user_unit=w.unit_b)
    eq(s, 200, f"transfer once the directive is closed: {moved}")
    after = w.server.get(f"/api/v1/rectifications/{r['id']}", tok=w.user_a)[2]
    eq((after["user_unit"], after["jurisdiction"], after["version"]), (w.unit_a, A, r["version"]), "left as it was")


def test_a_directive_is_for_one_jurisdiction(w):
    here, there = w.register(jurisdiction=A), w.register(jurisdiction=B, unit=w.unit_a)
    hs = [hazard_on(w, here), hazard_on(w, there)]
    snap = w.db.snapshot()
    s, _, p = w.server.post("/api/v1/rectifications", {"hazard_ids": [h["id"] for h in hs], "directive_number": "SC-J",
                                                       "deadline": "2026-07-15"}, tok=w.city)
    eq(s, 422, f"hazards of one user unit in two districts: {p}")
    eq([e["field"] for e in p["errors"]], ["hazard_ids[1]"], "the hazard named")
    eq(w.db.snapshot(), snap, "nothing written")


def test_a_directive_left_behind_by_an_earlier_move_is_realigned(w):
    """Rectifications whose unit moved before they followed it are put where their unit is by the
    migration, with history, audit and notice; one over several units is left as it was."""
    db = Database("scope_changes_legacy")
    old = copy_dir(os.path.join(SRC, "sql"))
    for f in os.listdir(old):
        if f >= "0015":
            os.unlink(os.path.join(old, f))
    eq(db.migrate(old).returncode, 0, "the schema before rectifications followed their unit")
    city = token(db, "city_supervisor")
    srv = Server(db, env={"SEREG_NOW": TODAY})
    try:
        for code, j in ((w.unit_a, A), (w.unit_b, B)):
            eq(srv.post("/api/v1/organizations", {"credit_code": code, "name": code, "kind": "user_unit",
                                                  "jurisdiction": j}, tok=city)[0], 201, "organization")
        units, rects = [], []
        for i in range(3):
            s, _, rec = srv.post("/api/v1/equipment", elevator(f"311051123201980{i:03d}", A, w.unit_a, w.unit_a),
                                 tok=city)
            eq(s, 201, rec)
            units.append(rec)
        hs = []
        for rec in units:
            s, _, h = srv.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": "legacy",
                                                   "description": "d", "grade": "general"}, tok=city)
            eq(s, 201, h)
            hs.append(h)
        for n, group in enumerate(([hs[0]], [hs[1], hs[2]])):
            s, _, r = srv.post("/api/v1/rectifications", {"hazard_ids": [h["id"] for h in group],
                                                          "directive_number": f"L-{n}", "deadline": "2026-07-15"},
                               tok=city)
            eq(s, 201, r)
            rects.append(r)
    finally:
        eq(srv.stop(), 0, "server")
    # As the code before did it: the units moved, the rectifications stayed.
    db.sql(f"UPDATE equipment SET user_unit_id = (SELECT id FROM organization WHERE credit_code = '{w.unit_b}'), "
           f"jurisdiction = '{B}' WHERE id IN ({units[0]['id']}, {units[1]['id']})")
    r = db.migrate()
    eq(r.returncode, 0, r.stderr)
    state = lambda rid: db.sql(f"SELECT r.jurisdiction || ' ' || o.credit_code || ' ' || r.version FROM rectification r "
                               f"JOIN organization o ON o.id = r.user_unit_id WHERE r.id = {rid}")
    eq(state(rects[0]["id"]), f"{B} {w.unit_b} 2", "realigned with its unit")
    eq(state(rects[1]["id"]), f"{A} {w.unit_a} 1", "over two units, one moved: left as it was")
    ev = db.sql(f"SELECT action || '|' || from_state || '|' || to_state || '|' || note FROM rectification_event "
                f"WHERE rectification_id = {rects[0]['id']} ORDER BY id DESC LIMIT 1").split("|")
    eq(ev[:3], ["follow_unit", "issued", "issued"], "its history")
    check(f"equipment {units[0]['id']}" in ev[3] and w.unit_a in ev[3] and w.unit_b in ev[3], ev[3])
    eq(db.count("audit_log", f"action = 'rectification.follow_unit' AND target_id = '{rects[0]['id']}'"), 1, "audited")
    eq(db.sql(f"SELECT jurisdiction || ' ' || (payload->>'action') FROM outbox WHERE subject_type = 'rectification' "
              f"AND subject_id = '{rects[0]['id']}' ORDER BY id DESC LIMIT 1"), f"{B} follow_unit", "noticed")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
