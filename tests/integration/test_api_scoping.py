"""Roles and jurisdictions: every combination that must be refused is refused, the way it must be
(404 for what the caller may not see, 403 for what it sees but may not do, 401 without a token),
and the database's row-level security refuses the same rows on its own."""
from harness import run, tests_of, check, eq, elevator
from world import World, A, B


def setup():
    w = World("api_scoping")
    w.eq_a = w.register(jurisdiction=A)            # user unit A's, in 锦江区
    w.eq_b = w.register(jurisdiction=B)            # user unit B's, in 青羊区
    return w


def paths(rec):
    return [f"/api/v1/equipment/{rec['id']}", f"/api/v1/equipment/{rec['id']}/history"]


def test_no_or_bad_token_is_401(w):
    for path in ["/api/v1/equipment", "/api/v1/organizations", "/api/v1/jurisdictions",
                 "/api/v1/equipment-types"] + paths(w.eq_a):
        for tok in (None, "sr_not_a_real_token_at_all", "x"):
            s, h, r = w.server.get(path, tok=tok)
            eq(s, 401, f"{path} with {tok}")
            check("bearer" in h.get("www-authenticate", "").lower(), "WWW-Authenticate")
            eq(h.get("content-type"), "application/problem+json", "problem type")
    s, _, _ = w.server.get("/api/v1/equipment", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    eq(s, 401, "basic auth is not a bearer token")
    s, _, _ = w.server.post("/api/v1/equipment", elevator(w.code(), A, w.unit_a, w.maint))
    eq(s, 401, "POST without token")


def test_other_jurisdiction_answers_404_not_403(w):
    for tok, other in [(w.district_a, w.eq_b), (w.district_b, w.eq_a), (w.coordinator_a, w.eq_b),
                       (w.user_a, w.eq_b), (w.user_b, w.eq_a), (w.agency, w.eq_a)]:
        for path in paths(other):
            eq(w.server.get(path, tok=tok)[0], 404, f"GET {path}")
        s, _, r = w.transition(other, "suspend", tok=tok)
        eq(s, 404, "transition on someone else's equipment")
        check("may see" in r["detail"], r["detail"])


def test_own_scope_is_visible(w):
    for tok, rec in [(w.district_a, w.eq_a), (w.district_b, w.eq_b), (w.coordinator_a, w.eq_a),
                     (w.user_a, w.eq_a), (w.user_b, w.eq_b), (w.city, w.eq_a), (w.city, w.eq_b),
                     (w.admin, w.eq_b)]:
        for path in paths(rec):
            eq(w.server.get(path, tok=tok)[0], 200, path)


def test_lists_are_scoped(w):
    def listed(tok, query=""):
        return w.read("/api/v1/equipment?limit=500" + query, tok)["items"]
    eq({i["jurisdiction"] for i in listed(w.district_a)}, {A}, "district A")
    eq({i["jurisdiction"] for i in listed(w.district_b)}, {B}, "district B")
    eq({i["user_unit"] for i in listed(w.user_a)}, {w.unit_a}, "user unit A")
    eq(listed(w.agency), [], "agency sees nothing before accreditations exist")
    eq(listed(w.district_a, f"&jurisdiction={B}"), [], "a filter cannot widen the scope")
    check({A, B} <= {i["jurisdiction"] for i in listed(w.city)}, "city sees all")
    s, _, orgs = w.server.get("/api/v1/organizations?limit=500", tok=w.user_a)
    eq([o["credit_code"] for o in orgs["items"]], [w.unit_a], "a user unit sees itself")
    s, _, orgs = w.server.get("/api/v1/organizations?limit=500", tok=w.district_b)
    eq({o["jurisdiction"] for o in orgs["items"]}, {B}, "district B's organizations")


def test_writes_refused_by_role(w):
    body = lambda j, u: elevator(w.code(), j, u, w.maint)
    with w.db.unchanged("nothing changed"):
        for tok, j, u, why in [(w.admin, A, w.unit_a, "admin makes no business writes"),
                               (w.agency, A, w.unit_a, "agencies do not register equipment"),
                               (w.coordinator_a, A, w.unit_a, "coordinators do not register equipment"),
                               (w.district_a, B, w.unit_b, "district A does not register in B"),
                               (w.user_a, A, w.unit_b, "user unit A does not register B's equipment")]:
            s, _, r = w.server.post("/api/v1/equipment", body(j, u), tok=tok)
            eq(s, 403, why)
        org = {"credit_code": "91350100M000100Y43", "name": "x", "kind": "user_unit", "jurisdiction": A}
        for tok in (w.admin, w.agency, w.coordinator_a, w.user_a):
            eq(w.server.post("/api/v1/organizations", org, tok=tok)[0], 403, "organization by non-supervisor")
        eq(w.server.post("/api/v1/organizations", dict(org, jurisdiction=B), tok=w.district_a)[0], 403,
           "district A registers no organization in B")


def test_row_level_security_is_a_second_lock(w):
    # Straight to the database, bypassing the core's own filter: the policies still refuse.
    def visible(role, jurisdiction="", org=""):
        out = w.db.as_role(role, "SELECT string_agg(DISTINCT jurisdiction, ',' ORDER BY jurisdiction) FROM equipment",
                           jurisdiction=jurisdiction, org=org)
        check(not out.startswith("ERROR: "), out)
        return out
    eq(w.db.sql_raw("SELECT count(*) FROM equipment")[1], "0", "no stated caller, no rows")
    eq(visible("district_supervisor", A), A, "district A")
    eq(visible("city_supervisor"), f"{A},{B}", "city")
    eq(visible("agency"), "", "agency")
    eq(visible("user_unit", org=w.org_id(w.unit_b)), B, "user unit B")
    err = w.db.as_role("district_supervisor", f"UPDATE equipment SET jurisdiction = '{B}' WHERE id = {w.eq_a['id']}",
                       jurisdiction=A)
    check(err.startswith("ERROR: ") and "row-level security" in err, f"moving a row out of scope must fail: {err}")
    eq(w.db.as_role("admin", f"UPDATE equipment SET address = 'x' WHERE id = {w.eq_a['id']} RETURNING id"), "",
       "admin updates nothing")


def test_history_and_audit_are_append_only(w):
    for table, col in (("equipment_event", "reason"), ("audit_log", "action")):
        for stmt in (f"UPDATE {table} SET {col} = {col}", f"DELETE FROM {table}", f"TRUNCATE {table}"):
            rc, out, err = w.db.sql_raw(stmt)
            check(rc != 0 and "append-only" in err, f"{stmt}: {err}")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
