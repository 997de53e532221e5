"""Finding a unit by what people know of it (q=, and the exact filters), the orders a list of
units is read in with their cursors, and count=true on every list."""
import os
import tempfile
import urllib.parse

from harness import run, tests_of, check, eq, uscc, inspection, sereg
from world import World, A, B


def setup():
    w = World("search", env={"SEREG_WEBHOOK_ALLOW": "127.0.0.0/8"})
    w.unit_c = uscc(A, "MA6C0001")
    w.organization(w.unit_c, "成都红旗电梯运营有限公司", "user_unit", A)
    w.target = w.register(address="成都市锦江区红星路二段 88 号", unit=w.unit_c)
    w.other_b = w.register(jurisdiction=B, address="成都市青羊区红星路三段 9 号")
    # More than a page of units (limit 7 below), due on a few dates and registered in a few
    # instants, so that every order has ties broken by id; some pending, so without a due date.
    w.many = []
    for i in range(30):
        w.many.append(w.register(commissioned_on=f"20{19 + i % 3}-0{1 + i % 4}-1{i % 2}",
                                 address=f"成都市锦江区春熙路 {i} 号"))
    for i in range(4):
        w.many.append(w.register(tok=w.user_a, address=f"成都市锦江区春熙路待审 {i} 号"))
    ids = ",".join(str(r["id"]) for r in w.many[:12])
    w.db.sql(f"UPDATE equipment SET created_at = '2026-01-02 03:04:05.678901+00' WHERE id IN ({ids})")
    w.db.sql(f"UPDATE equipment SET next_due = '2030-06-30' WHERE id IN ({ids}) AND next_due IS NOT NULL")
    # Records on other lists, more than a page of each (limit 2 below).
    w.accredit("elevator")
    w.second_agency()
    for i, rec in enumerate(w.many[12:17]):
        s, _, r = w.server.post("/api/v1/inspections", inspection(rec, f"EL-SEARCH-{i}"), tok=w.agency)
        eq(s, 201, f"inspection: {r}")
    hazards = [w.open_hazard(rec, w.label("search_condition_")) for rec in w.many[12:17]]
    for i in range(3):
        w.open_rectification(hazards[i:i + 1], w.label("川特监-搜索-"), deadline="2030-01-01")
    return w


def q(s):
    return urllib.parse.quote(s, safe="")


def found(w, query, tok=None, extra=""):
    return [r["id"] for r in w.read(f"/api/v1/equipment?limit=500&q={q(query)}{extra}", tok)["items"]]


def test_search_finds_a_unit_by_each_key(w):
    t = w.target
    reg = t["registration_number"]
    check(reg.endswith(")"), reg)
    keys = {"equipment code": t["equipment_code"],
            "a part of the code": t["equipment_code"][-9:],
            "registration number": reg,
            "registration number without its brackets": reg[:reg.index("(")],
            "registration number's serial": reg[4:reg.index("(")],
            "registration number, full-width brackets": reg.replace("(", "（").replace(")", "）"),
            "registration number, lower case": reg.lower(),
            "user unit's credit code": w.unit_c,
            "user unit's name": "红旗电梯",
            "address, Chinese substring": "红星路二段",
            "address, two Chinese characters": "二段"}
    for why, key in keys.items():
        eq(found(w, key), [t["id"]], why)
    got = found(w, "红星路")
    eq(sorted(got), sorted([t["id"], w.other_b["id"]]), "the road in both districts, for the city")
    eq(found(w, "红星路", extra=f"&jurisdiction={B}"), [w.other_b["id"]], "q with another filter")
    eq(found(w, "不存在的路"), [], "nothing matches")
    eq(found(w, "  红星路二段 "), [t["id"]], "spaces around a query are not searched")
    eq(found(w, "50%"), [], "a % is a character, not a wildcard")


def test_search_keeps_the_callers_scope(w):
    eq(found(w, "红星路", tok=w.district_a), [w.target["id"]], "district A finds its own only")
    eq(found(w, "红星路三段", tok=w.district_a), [], "district A does not find B's unit")
    eq(found(w, "红星路三段", tok=w.district_b), [w.other_b["id"]], "district B finds it")
    eq(found(w, w.unit_b, tok=w.district_a), [], "nor by its user unit's credit code")
    eq(found(w, w.other_b["registration_number"], tok=w.user_a), [], "nor a user unit another's")
    eq(found(w, w.other_b["equipment_code"], tok=w.agency), [w.other_b["id"]], "an accredited agency finds it")
    eq(found(w, w.other_b["equipment_code"], tok=w.agency2), [], "an unaccredited agency does not")


def test_the_keys_follow_the_unit_and_its_user_unit(w):
    # A relocation, a transfer and a user unit's rename, each found by its new key and no longer by
    # its old one, whoever may see the unit.
    code = uscc(A, "MA6R0001")
    w.organization(code, "锦江旧名电梯用户", "user_unit", A)
    rec = w.register(address="成都市锦江区旧址街 1 号", unit=code)
    s, _, rec = w.transition(rec, "relocate", tok=w.city, address="成都市锦江区新址街 2 号")
    eq(s, 200, f"relocate: {rec}")
    eq(found(w, "新址街"), [rec["id"]], "the new address")
    eq(found(w, "旧址街"), [], "not the old one")
    s, _, rec = w.transition(rec, "rename", tok=w.district_a, user_unit_name="锦江新名电梯用户", reason="更名")
    eq(s, 200, f"rename: {rec}")
    eq(found(w, "新名电梯"), [rec["id"]], "the user unit's new name")
    eq(found(w, "旧名电梯"), [], "not its old one")
    taker = uscc(A, "MA6R0002")
    w.organization(taker, "锦江过户接收单位", "user_unit", A)
    s, _, rec = w.transition(rec, "transfer", tok=w.city, user_unit=taker, reason="过户")
    eq(s, 200, f"transfer: {rec}")
    eq(found(w, "过户接收"), [rec["id"]], "the new user unit's name")
    eq(found(w, taker), [rec["id"]], "the new user unit's credit code")
    eq(found(w, code), [], "not the old user unit's credit code")
    eq(w.db.count("equipment_search"), w.db.count("equipment"), "one row of keys a unit")


def test_exact_filters(w):
    t = w.target
    for name, value in [("equipment_code", t["equipment_code"]), ("registration_number", t["registration_number"]),
                        ("user_unit", w.unit_c)]:
        got = [r["id"] for r in w.read(f"/api/v1/equipment?{name}={q(value)}")["items"]]
        eq(got, [t["id"]], name)
    eq(w.read(f"/api/v1/equipment?equipment_code={t['equipment_code'][:-1]}")["items"], [], "exact, not a part")
    eq(w.read(f"/api/v1/equipment?user_unit={w.unit_c}&jurisdiction={B}")["items"], [], "with another filter")


def walk_all(w, query, tok=None):
    pages = w.server.walk(f"/api/v1/equipment?limit=7&jurisdiction={A}{query}", tok=tok or w.city)
    return [r for p in pages for r in p]


def test_each_sort_pages_in_order_without_duplicates_or_gaps(w):
    everything = {r["id"]: r for r in walk_all(w, "")}
    check(len(everything) > 30, f"more than a page: {len(everything)}")
    far = "9999-12-31"
    orders = {
        "next_due": lambda r: ((r["next_due"] or far), r["id"]),
        "registered": lambda r: (r["created_at"], r["id"]),
        "created_at": lambda r: (r["created_at"], r["id"]),
        "equipment_code": lambda r: (r["equipment_code"],),
    }
    check(any(r["next_due"] is None for r in everything.values()), "some units have no due date")
    for name, key in orders.items():
        for desc in (False, True):
            walked = walk_all(w, f"&sort={'-' if desc else ''}{name}")
            ids = [r["id"] for r in walked]
            eq(len(ids), len(set(ids)), f"{name} desc={desc}: no duplicates")
            eq(set(ids), set(everything), f"{name} desc={desc}: no gaps")
            eq(ids, [r["id"] for r in sorted(everything.values(), key=key, reverse=desc)], f"{name} desc={desc}")
    walked = walk_all(w, "&sort=-next_due&due_from=2020-01-01")
    want = sorted((r for r in everything.values() if r["next_due"] and r["next_due"] >= "2020-01-01"),
                  key=orders["next_due"], reverse=True)
    eq([r["id"] for r in walked], [r["id"] for r in want], "a due range in reverse order")
    walked = walk_all(w, "&sort=equipment_code&q=" + q("春熙路"))
    eq([r["id"] for r in walked], sorted((r["id"] for r in w.many), key=lambda i: everything[i]["equipment_code"]),
       "a search in code order")


def test_a_cursor_belongs_to_its_order(w):
    page = w.read(f"/api/v1/equipment?limit=3&jurisdiction={A}&sort=registered")
    for other in ("-registered", "next_due", "equipment_code", "id"):
        s, _, r = w.server.get(f"/api/v1/equipment?limit=3&sort={other}&cursor={q(page['next_cursor'])}", tok=w.city)
        eq(s, 400, f"a registered cursor with sort={other}: {r}")
        eq([e["field"] for e in r["errors"]], ["cursor"], "names the cursor")
    for bad in ("r2026-13-02T03:04:05.678901.1", "rnot-a-time.1", "k12345.1", "dinfinit.1", "d2026-02-30.5"):
        sort = {"r": "registered", "k": "equipment_code", "d": "next_due"}[bad[0]]
        s, _, r = w.server.get(f"/api/v1/equipment?sort={sort}&cursor={q(bad)}", tok=w.city)
        eq(s, 400, f"cursor {bad}: {r}")


def test_a_script_searches_and_sorts_as_the_api_does(w):
    with tempfile.TemporaryDirectory(prefix="sereg-test-") as d:
        path = os.path.join(d, "search.lua")
        with open(path, "w", encoding="utf-8") as f:
            f.write('for u in sereg.each("equipment", { q = "春熙路", sort = "-registered" }) do\n'
                    '  sereg.emit { id = u.id }\nend\n'
                    'for u in sereg.each("equipment", { q = "红星路" }) do sereg.emit { id = u.id } end\n')
        r = sereg("script", path, "--as", w.district_a, "--format", "csv", db=w.db)
        eq(r.returncode, 0, f"script: {r.stderr}")
        got = [int(line) for line in r.stdout.split()[1:]]
        api = [e["id"] for e in walk_all(w, "&sort=-registered&q=" + q("春熙路"), tok=w.district_a)]
        eq(got, api + [w.target["id"]], "the script's walk is the API's, in the caller's scope")
        with open(path, "w", encoding="utf-8") as f:
            f.write('for u in sereg.each("equipment", { sort = "due" }) do end\n')
        r = sereg("script", path, "--as", w.district_a, "--format", "csv", db=w.db)
        check(r.returncode != 0 and "sort" in r.stderr, f"a bad sort stops the script: {r.stderr}")


def test_count_totals_match_the_items_walked(w):
    lists = [(f"/api/v1/equipment?limit=7&jurisdiction={A}", w.city),
             ("/api/v1/equipment?limit=7&sort=-next_due", w.district_a),
             ("/api/v1/equipment?limit=5&q=" + q("春熙路"), w.city),
             ("/api/v1/equipment?limit=5&due_before=2030-01-01&sort=registered", w.city),
             ("/api/v1/equipment?limit=500&q=" + q("不存在的路"), w.city),
             ("/api/v1/organizations?limit=2", w.city),
             ("/api/v1/organizations?limit=2", w.district_b),
             ("/api/v1/hazards?limit=2", w.city),
             ("/api/v1/inspections?limit=2", w.city),
             ("/api/v1/rectifications?limit=2", w.city),
             ("/api/v1/subscriptions?limit=2", w.city)]
    for path, tok in lists:
        items, cursor, totals = [], None, set()
        while True:
            s, _, page = w.server.get(path + "&count=true" + (f"&cursor={q(cursor)}" if cursor else ""), tok=tok)
            eq(s, 200, f"{path}: {page}")
            items += page["items"]
            totals.add(page["total"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        eq(totals, {len(items)}, f"{path}: every page's total is the number of items walked")
        s, _, plain = w.server.get(path, tok=tok)
        check("total" not in plain, f"{path}: no total unless asked")
    eq(w.read(f"/api/v1/equipment?count=true&q={q('春熙路')}", w.district_b)["total"], 0, "scope counts too")
    eq(w.read(f"/api/v1/equipment?count=true&q={q('春熙路')}")["total"], len(w.many), "the search's total")
    s, _, sub = w.server.post("/api/v1/subscriptions", {"url": "http://127.0.0.1:9/hooks",
                                                         "event_types": ["equipment.registered"]}, tok=w.city)
    eq(s, 201, f"subscription: {sub}")
    d = w.read(f"/api/v1/subscriptions/{sub['id']}/deliveries?count=true")
    eq(d["total"], len(d["items"]), "deliveries")
    h = w.read("/api/v1/plugins?count=true")["history"]
    eq(h["total"], len(h["items"]), "plugin activations")


def test_bad_sort_q_and_count_are_refused_naming_the_field(w):
    for query, field in [("sort=due", "sort"), ("sort=-id", "sort"), ("sort=", "sort"), ("sort=--next_due", "sort"),
                         ("q=" + q("红"), "q"), ("q=a", "q"), ("q=" + q("   "), "q"), ("q=", "q"),
                         ("q=" + q("红星\n路"), "q"), ("q=" + "x" * 101, "q"), ("count=yes", "count"),
                         ("equipment_code=", "equipment_code")]:
        s, h, r = w.server.get(f"/api/v1/equipment?{query}", tok=w.city)
        eq(s, 400, f"{query}: {r}")
        eq(h.get("content-type"), "application/problem+json", query)
        eq([e["field"] for e in r["errors"]], [field], f"{query} names the field")
    for path in ("/api/v1/hazards", "/api/v1/organizations", "/api/v1/subscriptions",
                 f"/api/v1/organizations?kind=user_unit&sort=x"):
        s, _, r = w.server.get(path + ("&" if "?" in path else "?") + "count=1", tok=w.city)
        eq(s, 400, f"{path} count=1: {r}")
    eq(w.server.get("/api/v1/equipment?q=" + q("红星"), tok=w.city)[0], 200, "two characters are enough")


if __name__ == "__main__":
    run(tests_of(globals()), setup, lambda w: w.close())
