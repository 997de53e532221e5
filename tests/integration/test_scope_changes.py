"""What a unit's 过户 (transfer), 移装 (relocation) and 使用单位更名 (rename) do to the records that
hang on it: a rectification goes with its unit to the new owner or district, in the same
transaction and with its own history; one that also covers other units holds the change while it
is open; a rename is authorized on the organization and recorded on every unit it changes. Each
is checked through the server and again straight in SQL, where row-level security must refuse
the same rows."""
from harness import run, tests_of, check, eq, sql_copy, sweep, uscc, token
from world import World, A, B, act, step

TODAY = "2026-06-15"


def setup():
    w = World("scope_changes", env={"SEREG_NOW": TODAY})
    # A third enterprise, registered in 青羊区, with units in both districts by the time it is renamed.
    w.unit_c = uscc(B, "MA6C0001")
    w.organization(w.unit_c, "青羊某物业", "user_unit", B)
    w.user_c = token(w.db, "user_unit", org=w.unit_c)
    return w


def hazard_on(w, rec, tok=None):
    return w.open_hazard(rec, w.label("s"), tok=tok)


def directive(w, hazards, tok=None):
    return w.open_rectification(hazards, w.label("SC-"), "2026-07-15", tok=tok)


def as_caller(w, role, sql, jurisdiction="", org=""):
    """<sql> as <role> today (Database.as_role)."""
    return w.db.as_role(role, sql, jurisdiction=jurisdiction, org=org, today=TODAY)


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
    s, p = act(w, r, "start", w.user_a)
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
    ua, ub = w.org_id(w.unit_a), w.org_id(w.unit_b)
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
    sweep(w.db, "2026-06-19")
    eq(w.db.sql(f"SELECT jurisdiction FROM outbox WHERE event_type = 'rectification.overdue' "
                f"AND subject_id = '{r['id']}'"), B, "overdue, reported to the new district")


# ==== a directive over several units cannot follow one of them ====

def test_a_directive_over_several_units_holds_their_transfer(w):
    one, two = w.register(jurisdiction=A), w.register(jurisdiction=A)
    r = directive(w, [hazard_on(w, one), hazard_on(w, two)], tok=w.district_a)
    with w.db.unchanged("nothing changed"):
        for action, fields in (("transfer", {"user_unit": w.unit_b}),
                               ("relocate", {"address": "青羊某路", "jurisdiction": B})):
            s, _, p = w.transition(one, action, tok=w.city, **fields)
            eq(s, 409, f"{action} while the directive is open: {p}")
            check(f"#{r['id']}" in p["detail"], f"the refusal names the directive: {p['detail']}")
    s, _, one = w.transition(one, "relocate", tok=w.district_a, address="锦江区新址 3 号")
    eq(s, 200, f"a move within the district changes no scope: {one}")

    # Closed, it stays where it was, as history, and the unit may go.
    photo = w.evidence(b"\xff\xd8 closed directive", "done.jpg")
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
    with w.db.unchanged("nothing written"):
        s, _, p = w.server.post("/api/v1/rectifications", {"hazard_ids": [h["id"] for h in hs],
                                                           "directive_number": "SC-J", "deadline": "2026-07-15"},
                                tok=w.city)
        eq(s, 422, f"hazards of one user unit in two districts: {p}")
        eq([e["field"] for e in p["errors"]], ["hazard_ids[1]"], "the hazard named")


def test_a_directive_left_behind_by_an_earlier_move_is_realigned(w):
    """Rectifications whose unit moved before they followed it are put where their unit is by the
    migration, with history, audit and notice; one over several units is left as it was."""
    # The same city in a database with the schema before rectifications followed their unit.
    old = World("scope_changes_legacy", env={"SEREG_NOW": TODAY}, sql_dir=sql_copy(before="0017"))
    db = old.db
    try:
        units = [old.register(jurisdiction=A) for _ in range(3)]
        hs = [old.open_hazard(rec, "legacy", description="d") for rec in units]
        rects = [old.open_rectification(group, f"L-{n}", "2026-07-15")
                 for n, group in enumerate(([hs[0]], [hs[1], hs[2]]))]
    finally:
        old.close()
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


# ==== 使用单位更名: authorized on the organization, recorded on every unit ====

def units_of(w, code):
    return [int(x) for x in w.db.sql(f"SELECT e.id FROM equipment e JOIN organization o ON o.id = e.user_unit_id "
                                     f"WHERE o.credit_code = '{code}' ORDER BY e.id").split()]


def test_a_rename_is_authorized_on_the_organization_and_recorded_on_its_units(w):
    # As found: the city transfers a 锦江区 unit to a 青羊区 enterprise with units of its own there...
    theirs = [w.register(jurisdiction=B, unit=w.unit_c) for _ in range(3)]
    mine = w.register(jurisdiction=A)
    s, _, mine = w.transition(mine, "transfer", tok=w.city, user_unit=w.unit_c)
    eq(s, 200, f"transfer: {mine}")
    # ... and the 锦江区 supervisor, who may change that unit, renames the enterprise.
    snap = w.db.snapshot()
    s, _, p = w.transition(mine, "rename", tok=w.district_a, user_unit_name="锦江改的名字")
    eq(s, 403, f"a district renames no organization of another district: {p}")
    eq(w.db.snapshot(), snap, "nothing changed")
    eq(w.server.get(f"/api/v1/equipment/{theirs[0]['id']}", tok=w.city)[2]["user_unit_name"], "青羊某物业", "name kept")

    # The enterprise's own district renames it: every unit, in either district, records it.
    units = units_of(w, w.unit_c)
    eq(len(units), 4, "four units")
    before = {u: w.server.get(f"/api/v1/equipment/{u}", tok=w.city)[2] for u in units}
    s, _, p = w.transition(theirs[0], "rename", tok=w.district_b, version=theirs[0]["version"] + 5,
                           user_unit_name="青羊某物业管理有限公司")
    eq(s, 412, f"the named unit's version is still checked: {p}")
    eq(w.db.snapshot(), snap, "nothing changed")
    s, _, p = w.transition(theirs[0], "rename", tok=w.district_b, user_unit_name="青羊某物业")
    eq((s, [e["field"] for e in p.get("errors", [])]), (422, ["user_unit_name"]), f"the name it has: {p}")
    eq(w.db.snapshot(), snap, "nothing changed")
    s, _, renamed = w.transition(theirs[0], "rename", tok=w.district_b, user_unit_name="青羊某物业管理有限公司",
                                 reason="工商变更登记")
    eq(s, 200, f"rename by the organization's district: {renamed}")
    for u in units:
        now = w.server.get(f"/api/v1/equipment/{u}", tok=w.city)[2]
        eq(now["user_unit_name"], "青羊某物业管理有限公司", f"unit {u} shows the new name")
        eq(now["version"], before[u]["version"] + 1, f"unit {u} changed")
        ev = w.server.get(f"/api/v1/equipment/{u}/history", tok=w.city)[2]["items"][-1]
        eq((ev["action"], ev["from_status"], ev["to_status"], ev["actor_role"], ev["reason"]),
           ("rename", "in_service", "in_service", "district_supervisor", "工商变更登记"), f"unit {u} history")
        eq((ev["before"]["user_unit_name"], ev["after"]["user_unit_name"]), ("青羊某物业", "青羊某物业管理有限公司"),
           f"unit {u} before and after")
        eq((ev["before"]["version"], ev["after"]["version"]), (before[u]["version"], now["version"]), f"unit {u} versions")
        eq(w.db.sql(f"SELECT count(*) FROM audit_log WHERE target_type = 'equipment' AND target_id = '{u}' "
                    "AND detail->>'action' = 'rename'"), "1", f"unit {u} audited")
        eq(w.db.sql(f"SELECT jurisdiction FROM outbox WHERE subject_type = 'equipment' AND subject_id = '{u}' "
                    "AND payload->>'action' = 'rename'"), now["jurisdiction"], f"unit {u} notice, to its district")
    # The city renames anyone's; an owner, a coordinator or an admin nobody's.
    s, _, r = w.transition(mine["id"], "rename", tok=w.city, user_unit_name="青羊某物业（集团）")
    eq(s, 200, f"the city renames: {r}")
    eq(len(w.server.get(f"/api/v1/equipment/{theirs[1]['id']}/history", tok=w.city)[2]["items"]), 3,
       "register and two renames")
    for tok in (w.user_c, w.coordinator_a, w.admin):
        eq(w.transition(mine["id"], "rename", tok=tok, user_unit_name="x")[0], 403, "not theirs to rename")


def test_organizations_have_row_level_security(w):
    total = w.db.sql("SELECT count(*) FROM organization")
    ua, ub = w.org_id(w.unit_a), w.org_id(w.unit_b)
    count = "SELECT count(*) FROM organization"
    eq(w.db.sql_raw(count)[1], "0", "SQL: no stated caller, no organizations")
    for role, j, org in (("city_supervisor", "", ""), ("district_supervisor", A, ""), ("coordinator", B, ""),
                         ("user_unit", "", ua), ("agency", "", ""), ("admin", "", "")):
        eq(as_caller(w, role, count, j, org), total, f"SQL: a {role} reads the register")
    rename = lambda oid: f"UPDATE organization SET name = name || '*' WHERE id = {oid} RETURNING id"
    eq(as_caller(w, "district_supervisor", rename(ub), jurisdiction=A), "", "SQL: not another district's")
    eq(as_caller(w, "district_supervisor", rename(ua), jurisdiction=A), ua, "SQL: its own district's")
    eq(as_caller(w, "city_supervisor", rename(ub)), ub, "SQL: the city's")
    eq(as_caller(w, "user_unit", rename(ua), org=ua), "", "SQL: not even its own, for a user unit")
    for role in ("admin", "agency", "coordinator"):
        eq(as_caller(w, role, rename(ua), jurisdiction=A), "", f"SQL: nothing for a {role}")
    insert = lambda j: (f"INSERT INTO organization (credit_code, name, kind, jurisdiction) "
                        f"VALUES ('{uscc(j, 'MA6R0001')}', 'x', 'user_unit', '{j}') RETURNING id")
    check("row-level security" in as_caller(w, "district_supervisor", insert(B), jurisdiction=A),
          "SQL: a district registers no organization in another district")
    check(as_caller(w, "district_supervisor", insert(A), jurisdiction=A).isdigit(), "SQL: in its own")
    check("row-level security" in as_caller(w, "user_unit", insert(A), org=ua), "SQL: a user unit registers none")
    # What the core still needs: a district transfers its unit to an enterprise of another district.
    rec = w.register(jurisdiction=A)
    s, _, r = w.transition(rec, "transfer", tok=w.district_a, user_unit=w.unit_b)
    eq((s, r.get("user_unit")), (200, w.unit_b), f"found by its credit code: {r}")
    s, _, page = w.server.get("/api/v1/organizations?limit=500", tok=w.district_b)
    eq({o["jurisdiction"] for o in page["items"]}, {B}, "lists are still the core's to filter")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
