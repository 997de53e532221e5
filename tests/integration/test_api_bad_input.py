"""Hostile and broken input: each gets the right status and a problem naming the failing field,
nothing in the database changes, and the server keeps serving."""
import json
import socket

from harness import run, tests_of, check, eq, elevator, uscc, routes, http_head, read_head
from world import World, A, B

INJECTIONS = ["'; DROP TABLE equipment; --", "\" OR 1=1 --", "$1", "%s%n", "../../etc/passwd",
              "<script>alert(1)</script>", "😀" * 3, "\\u0000"]


def setup():
    return World("api_bad_input")


def problem(r, status, field=None):
    eq(r[0], status, f"status ({r[2]})")
    eq(r[1].get("content-type"), "application/problem+json", "content type")
    eq(r[2]["status"], status, "problem status")
    check(r[2]["title"] and r[2]["detail"] and r[2]["type"].startswith("urn:sereg:problem:"), r[2])
    if field:
        fields = [e["field"] for e in r[2]["errors"]]
        check(field in fields, f"{field} not in {fields}")


def test_malformed_bodies_are_400(w):
    with w.db.unchanged("database unchanged"):
        for raw in [b"{", b"not json", b"[1,2]", b"\"text\"", b"{} {}", b"{\"a\":1,\"a\":2}",
                    b"{\"type\": \"\xc0\xaf\"}", b"{\"type\": \"\xff\"}",
                    b"{\"a\":" + b"[" * 40 + b"]" * 40 + b"}", b"", b"{\"address\": \"a\\u0000b\"}"]:
            r = w.server.request("POST", "/api/v1/equipment", raw=raw, tok=w.city)
            problem(r, 400)


def test_a_duplicate_key_is_found_among_many_members(w):
    names = ",".join(f'"m{i}": 1' for i in range(1500))
    for raw in (f'{{{names}, "m3": 2}}', f'[{{{names}, "m1499": 2}}]'):
        path = "/api/v1/inspections:batch" if raw.startswith("[") else "/api/v1/equipment"
        r = w.server.request("POST", path, raw=raw.encode(), tok=w.agency if raw.startswith("[") else w.city)
        problem(r, 400)
        check("duplicate key" in r[2]["detail"], r[2]["detail"])


def test_every_json_post_route_refuses_broken_bodies(w):
    """Every POST route that takes JSON, including those added later: broken JSON is 400, another
    type 415, mistyped fields 4xx with a problem; never a 5xx, never a change."""
    posts = [line.split()[1:] for line in routes() if line.startswith("POST ")]
    check(len(posts) >= 10, posts)
    hazard = w.db.sql("SELECT coalesce(max(id), 1) FROM hazard")
    # Each route is tried as a role that may use it: the others are refused before the body.
    tokens = {"city_supervisor": w.city, "district_supervisor": w.district_a, "agency": w.agency,
              "user_unit": w.user_a, "coordinator": w.coordinator_a, "admin": w.admin}

    with w.db.unchanged("database unchanged"):
        for route, roles in posts:
            tok = w.city if roles in ("any", "public") or "city_supervisor" in roles.split(",") \
                else tokens[roles.split(",")[0]]
            path = route.replace("{id}", str(hazard))
            if path == "/api/v1/evidence":
                continue  # takes files, not JSON: see test_rectification
            for raw in (b"{", b"[1,", b"{\"a\":" + b"[" * 40 + b"]" * 40 + b"}", b"{\"x\": \"\xff\"}"):
                r = w.server.request("POST", path, raw=raw, tok=tok, headers={"If-Match": '"1"'})
                problem(r, 400)
            r = w.server.request("POST", path, raw=b"{}", tok=tok, headers={"Content-Type": "text/plain"})
            problem(r, 415)
            for body in ({"action": 7, "hazard_ids": "1", "equipment_id": [], "deadline": "2026-02-30",
                          "evidence": {"a": 1}, "condition": None}, {"": ""}, {"a" * 300: 1}):
                r = w.server.post(path, body, tok=tok, headers={"If-Match": '"1"'})
                check(400 <= r[0] < 500, f"{path} {body}: {r[0]} {r[2]}")
                eq(r[1].get("content-type"), "application/problem+json", f"{path}: a problem")


def test_wrong_content_type_is_415(w):
    with w.db.unchanged("database unchanged"):
        body = json.dumps(elevator(w.code(), A, w.unit_a, w.maint)).encode()
        for ct in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
            r = w.server.request("POST", "/api/v1/equipment", raw=body, tok=w.city, headers={"Content-Type": ct})
            problem(r, 415)


def test_body_over_the_ceiling_is_413(w):
    with w.db.unchanged("database unchanged"):
        # Announced too large, and too large while reading a chunked body without a length:
        # either way the answer is 413 and nothing is stored.
        for framing in ("length", "chunked"):
            s = socket.create_connection(("127.0.0.1", w.server.port), timeout=30)
            first = b"{\"address\": \"" + b"x" * 1000
            head = http_head("POST", "/api/v1/equipment", tok=w.city, length=20000000 if framing == "length" else None,
                             chunked=framing == "chunked")
            s.sendall(head + (first if framing == "length" else b"%x\r\n%s\r\n" % (len(first), first)))
            if framing == "chunked":  # keep sending until the ceiling is crossed or the server answers
                chunk = b"x" * 65536
                try:
                    for _ in range(40):
                        s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    s.sendall(b"0\r\n\r\n")
                except OSError:
                    pass
            reply = read_head(s)
            s.close()
            check(reply.startswith(b"HTTP/1.1 413"), f"{framing}: {reply[:100]!r}")


def test_missing_unknown_and_mistyped_fields_are_422_per_field(w):
    with w.db.unchanged("database unchanged"):
        r = w.server.post("/api/v1/equipment", {}, tok=w.city)
        problem(r, 422)
        eq(sorted(e["field"] for e in r[2]["errors"]),
           sorted(["type", "equipment_code", "jurisdiction", "user_unit", "address", "commissioned_on", "attributes"]),
           "every missing field is named")
        body = elevator(w.code(), A, w.unit_a, w.maint, colour="red")
        problem(w.server.post("/api/v1/equipment", body, tok=w.city), 422, "colour")
        good = elevator(w.code(), A, w.unit_a, w.maint)
        for field in ["type", "equipment_code", "jurisdiction", "user_unit", "address", "commissioned_on", "attributes"]:
            for bad in (42, [], {}, True, None, 1.5) if field != "attributes" else (42, [], "x", True, None):
                body = dict(good)
                body[field] = bad
                problem(w.server.post("/api/v1/equipment", body, tok=w.city), 422, field)
        for attr, bad in [("rated_load_kg", "1000"), ("rated_load_kg", 10.5), ("stops", None), ("stops", 1e300),
                          ("rated_speed_mps", [1]), ("maintenance_unit", "91350100M000100Y44"), ("variety", 3110)]:
            body = json.loads(json.dumps(good))
            body["attributes"][attr] = bad
            problem(w.server.post("/api/v1/equipment", body, tok=w.city), 422, f"attributes.{attr}")


def test_values_out_of_range_are_422(w):
    with w.db.unchanged("database unchanged"):
        cases = [({"commissioned_on": "2020-02-30"}, "commissioned_on"),
                 ({"commissioned_on": "2999-01-01"}, "commissioned_on"),
                 ({"commissioned_on": "20200101"}, "commissioned_on"),
                 ({"equipment_code": "3110511232019"}, "equipment_code"),
                 ({"equipment_code": "311051123209900001"}, "equipment_code"),
                 ({"equipment_code": "312051123201900001"}, "equipment_code"),
                 ({"type": "ropeway"}, "type"),
                 ({"address": "x" * 501}, "address"),
                 ({"user_unit": "91350100M000100Y43"}, "user_unit")]
        for over, field in cases:
            body = elevator(w.code(), A, w.unit_a, w.maint, **over)
            problem(w.server.post("/api/v1/equipment", body, tok=w.city), 422, field)


def test_sql_metacharacters_are_data_not_code(w):
    with w.db.unchanged("database unchanged"):
        for s in INJECTIONS:
            for field in ("type", "equipment_code", "jurisdiction", "user_unit", "commissioned_on"):
                body = elevator(w.code(), A, w.unit_a, w.maint)
                body[field] = s
                r = w.server.post("/api/v1/equipment", body, tok=w.city)
                eq(r[0], 422, f"{field}={s!r}")
            for field in ("credit_code", "kind", "jurisdiction"):
                org = {"credit_code": w.unit_a, "name": "x", "kind": "user_unit", "jurisdiction": A}
                org[field] = s
                eq(w.server.post("/api/v1/organizations", org, tok=w.city)[0], 422, f"organization {field}={s!r}")
            for q in ("jurisdiction", "type"):
                r = w.server.get(f"/api/v1/equipment?{q}=%27%3B%20DROP%20TABLE%20equipment%3B--", tok=w.city)
                eq((r[0], r[2]["items"]), (200, []), "filter value is only a value")
    # Free text is stored exactly as sent, and the tables are all still there.
    for s in INJECTIONS:
        rec = w.register(address=s)
        eq(rec["address"], s, "address round trip")
        r = w.transition(rec, "suspend", reason=s)
        eq(r[0], 200, "reason with metacharacters")
        eq(r[2]["status"], "suspended", "suspended")
    for i, s in enumerate(INJECTIONS):
        code = uscc(A, f"MA6J{i:04d}")
        r = w.server.post("/api/v1/organizations", {"credit_code": code, "name": s, "kind": "user_unit",
                                                    "jurisdiction": A}, tok=w.city)
        eq((r[0], r[2]["name"]), (201, s), "organization name round trip")
    eq(w.db.count("equipment") >= len(INJECTIONS), True, "equipment table intact")


def test_bad_transitions_are_422_and_change_nothing(w):
    rec = w.register()

    with w.db.unchanged("database unchanged"):
        for body, field in [({"action": "explode", "reason": "x"}, "action"),
                            ({"action": "suspend"}, "reason"),
                            ({"action": "suspend", "reason": ""}, "reason"),
                            ({"action": "suspend", "reason": 5}, "reason"),
                            ({"action": "suspend", "reason": "x", "address": "y"}, "address"),
                            ({"action": "relocate", "reason": "x"}, "address"),
                            ({"action": "relocate", "reason": "x", "address": "y", "jurisdiction": "510122"}, "jurisdiction"),
                            ({"action": "transfer", "reason": "x", "user_unit": "nobody"}, "user_unit"),
                            ({"action": "transfer", "reason": "x", "user_unit": w.unit_a}, "user_unit"),
                            ({"action": "modify", "reason": "x", "attributes": []}, "attributes"),
                            ({"reason": "x"}, "action")]:
            r = w.server.post(f"/api/v1/equipment/{rec['id']}/transitions", body, tok=w.city,
                              headers={"If-Match": '"1"'})
            problem(r, 422, field)


def test_bad_query_parameters_are_400(w):
    for q, field in [("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"),
                     ("cursor=zzz", "cursor"), ("cursor=e", "cursor"), ("status=retired", "status"),
                     ("colour=red", "colour"), ("jurisdiction=%FF", "jurisdiction")]:
        problem(w.server.get(f"/api/v1/equipment?{q}", tok=w.city), 400, field)
    problem(w.server.get("/api/v1/organizations?nope=1", tok=w.city), 400, "nope")
    problem(w.server.get("/api/v1/jurisdictions?x=1", tok=w.city), 400, "x")
    # A NUL (%00) would cut a value short in C: `status=in_service%00x` must not pass as in_service.
    for path, field in [("/api/v1/equipment?status=in_service%00x", "status"),
                        ("/api/v1/hazards?without_open=rectification%00", "without_open"),
                        ("/api/v1/figures?period=2026-11%00", "period"),
                        ("/api/v1/equipment?limit=2&q=%E9%94%A6%00%E6%B1%9F", "q"),
                        ("/api/v1/equipment?sta%00tus=in_service", "sta")]:
        problem(w.server.get(path, tok=w.city), 400, field)


def test_unknown_paths_and_methods(w):
    for path in ["/api/v1/equipment/abc", "/api/v1/equipment/0", "/api/v1/equipment/-1",
                 "/api/v1/equipment/99999999999999999999", "/api/v1/equipment/1/nope", "/api/v2/equipment",
                 "/api/v1/equipment/1/", "/index.html"]:  # "/" is the dashboard's page (test_dashboard)
        problem(w.server.get(path, tok=w.city), 404)
    r = w.server.request("DELETE", "/api/v1/equipment/1", tok=w.city)
    problem(r, 405)
    eq(r[1].get("allow"), "GET, HEAD", "Allow header")
    r = w.server.request("PUT", "/api/v1/equipment", raw=b"{}", tok=w.city)
    eq(r[1].get("allow"), "GET, HEAD, POST", "Allow header")


def test_organization_credit_codes(w):
    with w.db.unchanged("database unchanged"):
        for code, field in [("91350100M000100Y44", "credit_code"), ("91350100M000100Y4Z", "credit_code"),
                            ("9135", "credit_code"), (35, "credit_code")]:
            r = w.server.post("/api/v1/organizations", {"credit_code": code, "name": "x", "kind": "user_unit",
                                                        "jurisdiction": A}, tok=w.city)
            problem(r, 422, field)
        r = w.server.post("/api/v1/organizations", {"credit_code": "91350100M000100Y43", "name": "x",
                                                    "kind": "factory", "jurisdiction": A}, tok=w.city)
        problem(r, 422, "kind")
        r = w.server.post("/api/v1/organizations", {"credit_code": "91350100M000100Y43", "name": "x",
                                                    "kind": "user_unit", "jurisdiction": A,
                                                    "check_override_reason": "not needed"}, tok=w.city)
        problem(r, 422, "check_override_reason")
        r = w.server.post("/api/v1/organizations", {"credit_code": w.unit_a, "name": "again",
                                                    "kind": "user_unit", "jurisdiction": A}, tok=w.city)
        problem(r, 409, "credit_code")


def test_failing_check_digit_accepted_only_with_a_recorded_reason(w):
    code = "91350211M00013FA1N"  # an early pilot-area code that fails GB 32100
    r = w.server.post("/api/v1/organizations", {"credit_code": code, "name": "试点企业", "kind": "user_unit",
                                                "jurisdiction": A, "check_override_reason": "营业执照原件核验，早期试点代码"},
                      tok=w.district_a)
    eq(r[0], 201, r[2])
    eq(r[2]["check_override"], "营业执照原件核验，早期试点代码", "reason kept on the record")
    audit = w.db.sql("SELECT action || ' ' || (detail->>'check_override_reason') FROM audit_log "
                     f"WHERE target_type = 'organization' AND detail->>'credit_code' = '{code}'")
    eq(audit, "organization.create_with_override 营业执照原件核验，早期试点代码", "audit")


def test_server_still_serves(w):
    eq(w.server.get("/healthz")[0], 200, "healthz")
    eq(w.server.get("/api/v1/equipment?limit=1", tok=w.city)[0], 200, "list")
    eq(w.server.proc.poll(), None, "process alive")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
