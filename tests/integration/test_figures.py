"""The oversight figures (GET /api/v1/figures, docs/figures.md): every figure of a small fixed world
built through the API over three months, against the answers worked out by hand below, with the
edge cases of docs/figures.md among them; the demo city against straight SQL counts; and the
scopes: a district sees only itself through any parameter, bad input is refused naming the
field, and nothing of another district leaks."""
import json
import urllib.parse

from harness import Server, migrated, run, sereg, tests_of, token, check, eq, inspection
from world import World, A, B, step

CITY = "510100"
TYPES = ("boiler", "elevator", "pressure_vessel")


def at(w, day):
    log = w.server.output()
    check(" error " not in log, "the server logged errors:\n" + log)
    return w.restart(env={"SEREG_NOW": day})


def lift(w, jurisdiction, commissioned, **over):
    return w.register(jurisdiction, commissioned_on=commissioned, **over)


def close_directive(w, h, number, deadline, unit_tok, district_tok):
    """A directive on hazard <h> by <deadline>, taken through every step to closed today."""
    r = w.open_rectification([h], number, deadline=deadline, tok=district_tok)
    r = step(w, r, "acknowledge", unit_tok)
    r = step(w, r, "start", unit_tok)
    photo = w.evidence(tok=unit_tok)
    r = step(w, r, "submit", unit_tok, note="整改完成", evidence=[photo])
    r = step(w, r, "verify", district_tok, opinion="复查合格")
    return step(w, r, "close", district_tok)


def setup():
    """The fixed world. Today moves: 2026-10-15, 2026-11-10, 2026-11-18, 2026-12-02, 2026-12-03,
    and the figures are read on 2026-12-05. Each line says what the figures make of it."""
    w = World("figures", env={"SEREG_NOW": "2026-10-15"})
    w.accredit("elevator")
    u = w.units = {}
    # October: four units registered (A: u1, u2; B: u3, u8). Their first due dates are the end
    # of the month a year after commissioning (elevator.lua).
    u["u1"] = lift(w, A, "2025-11-20")   # due 2026-11-30, inspected 11-08: on time
    u["u2"] = lift(w, A, "2025-10-03")   # due 2026-10-31, inspected 11-03: late (October's rate)
    u["u3"] = lift(w, B, "2025-11-10")   # due 2026-11-30, inspected 11-28, uploaded 12-03: on time
    u["u8"] = lift(w, B, "2025-11-01")   # due 2026-11-30, never inspected: fell due, overdue now
    eq([u[k]["next_due"] for k in ("u1", "u2", "u3", "u8")], ["2026-11-30", "2026-10-31", "2026-11-30", "2026-11-30"],
       "first due dates as worked out")

    at(w, "2026-11-10")
    u["u4"] = lift(w, A, "2024-06-01")   # due 2025-06-30: overdue since before the period
    u["u5"] = lift(w, A, "2025-12-10")   # registered and cancelled in November
    eq(w.transition(u["u5"], "cancel", reason="登记有误")[0], 200, "u5 cancelled")
    u["u6"] = lift(w, B, "2025-12-10")   # registered in B, moved to A (移装) in November
    eq(w.transition(u["u6"], "relocate", address="锦江新址 8 号", jurisdiction=A)[0], 200, "u6 moved")
    u["u7"] = lift(w, A, "2025-12-10")   # suspended: on the register, not in service
    eq(w.transition(u["u7"], "suspend", reason="停用")[0], 200, "u7 suspended")
    for rec, report, day in ((u["u1"], "FIG-1", "2026-11-08"), (u["u2"], "FIG-2", "2026-11-03")):
        s, _, r = w.server.post("/api/v1/inspections", inspection(rec, report, inspected_on=day), tok=w.agency)
        eq(s, 201, f"result {report}: {r}")
    photo = w.evidence(b"\x89PNG patrol photo", "patrol.png", "image/png", tok=w.coordinator_a)
    s, _, hp = w.server.post("/api/v1/hazards", {"equipment_id": u["u1"]["id"], "condition": "blocked_exit",
                                                 "description": "巡查发现出口堵塞", "evidence": [photo]},
                             tok=w.coordinator_a)
    eq(s, 201, f"patrol hazard: {hp}")
    hm = w.open_hazard(u["u2"], "brake_worn", tok=w.district_a, grade="major")
    hb = w.open_hazard(u["u3"], "door_lock", tok=w.district_b)
    w.rect_hp = w.open_rectification([hp], "锦质监指〔2026〕101号", deadline="2026-11-25", tok=w.district_a)
    w.rect_hb = w.open_rectification([hb], "青质监指〔2026〕201号", deadline="2026-11-15", tok=w.district_b)

    at(w, "2026-11-18")
    close_directive(w, hm, "锦质监指〔2026〕102号", "2026-11-20", w.user_a, w.district_a)  # on time

    at(w, "2026-12-02")  # hp's directive closes after its deadline and after the period
    r = w.rect_hp
    r = step(w, r, "acknowledge", w.user_a)
    r = step(w, r, "start", w.user_a)
    r = step(w, r, "submit", w.user_a, note="已清理", evidence=[w.evidence(tok=w.user_a)])
    r = step(w, r, "verify", w.district_a, opinion="复查合格")
    step(w, r, "close", w.district_a)

    at(w, "2026-12-03")  # a result of November uploaded in December
    s, _, r = w.server.post("/api/v1/inspections", inspection(u["u3"], "FIG-3", inspected_on="2026-11-28"),
                            tok=w.agency)
    eq(s, 201, f"late result: {r}")
    at(w, "2026-12-05")
    return w


def figures(w, query="", tok=None, status=200):
    s, h, body = w.server.get("/api/v1/figures" + (("?" + query) if query else ""), tok=tok or w.city)
    eq(s, status, f"figures?{query}: {body}")
    return body


def zero():
    """F with nothing counted."""
    by_type = {t: 0 for t in TYPES}
    return {"units": {"total": 0, "by_type": dict(by_type)}, "units_in_service": {"total": 0, "by_type": dict(by_type)},
            "registrations": 0, "changes": 0, "cancellations": 0, "overdue": 0,
            "inspection": {"fell_due": 0, "on_time": 0, "rate": None},
            "hazards_found": {"total": 0, "by_source": {"overdue": 0, "failed_in_use": 0, "defect": 0, "patrol": 0,
                                                        "manual": 0},
                              "by_grade": {"general": 0, "major": 0}},
            "hazards_open": 0, "hazards_major_open": 0, "hazard_closure": {"found": 0, "closed": 0, "rate": None},
            "closed_on_time": {"closed": 0, "on_time": 0, "rate": None},
            "rectifications_open": 0, "rectifications_past_deadline": 0, "listed_supervision": {"open": 0, "closed": 0}}


def stock(f, units, in_service, overdue, hazards_open=0, major_open=0, rect_open=0, rect_past=0):
    """The figures of now (as of 2026-12-05), the same in every period."""
    f["units"] = {"total": units, "by_type": {"boiler": 0, "elevator": units, "pressure_vessel": 0}}
    f["units_in_service"] = {"total": in_service, "by_type": {"boiler": 0, "elevator": in_service,
                                                              "pressure_vessel": 0}}
    f["overdue"] = overdue
    f["hazards_open"], f["hazards_major_open"] = hazards_open, major_open
    f["rectifications_open"], f["rectifications_past_deadline"] = rect_open, rect_past
    return f


def want_a(period):
    # A now: u1, u2, u4, u6 (moved in) in service, u7 suspended, u5 cancelled; u4 overdue; no open
    # hazard (hm closed 11-18, hp closed 12-02), no open rectification.
    f = stock(zero(), 5, 4, 1)
    if period in ("2026-10", "2026-Q4"):
        f["registrations"] += 2                       # u1, u2
        f["inspection"]["fell_due"] += 1              # u2's 10-31, met on 11-03: late
    if period in ("2026-11", "2026-Q4"):
        f["registrations"] += 4                       # u4, u5, u6 (under A since it moved), u7
        f["changes"] += 1                             # u6's relocation
        f["cancellations"] += 1                       # u5
        f["inspection"]["fell_due"] += 1              # u1's 11-30, met on 11-08
        f["inspection"]["on_time"] += 1
        f["hazards_found"]["total"] += 2              # hp (patrol, general), hm (manual, major)
        f["hazards_found"]["by_source"]["patrol"] += 1
        f["hazards_found"]["by_source"]["manual"] += 1
        f["hazards_found"]["by_grade"]["general"] += 1
        f["hazards_found"]["by_grade"]["major"] += 1
        f["hazard_closure"]["found"] += 2
        f["hazard_closure"]["closed"] += 2            # hp closed after the period still counts
        f["closed_on_time"]["closed"] += 1            # hm's directive: 11-18, deadline 11-20
        f["closed_on_time"]["on_time"] += 1
    if period in ("2026-12", "2026-Q4"):
        f["closed_on_time"]["closed"] += 1            # hp's directive: 12-02, deadline 11-25: late
    return rates(f)


def want_b(period):
    # B now: u3 (inspected late in the upload, not overdue) and u8 (overdue); hb open, its
    # directive past its deadline of 11-15.
    f = stock(zero(), 2, 2, 1, hazards_open=1, rect_open=1, rect_past=1)
    if period in ("2026-10", "2026-Q4"):
        f["registrations"] += 2                       # u3, u8 (u6 counts under A)
    if period in ("2026-11", "2026-Q4"):
        f["inspection"]["fell_due"] += 2              # u3's and u8's 11-30
        f["inspection"]["on_time"] += 1               # u3, by the result uploaded on 12-03
        f["hazards_found"]["total"] += 1              # hb (manual, general)
        f["hazards_found"]["by_source"]["manual"] += 1
        f["hazards_found"]["by_grade"]["general"] += 1
        f["hazard_closure"]["found"] += 1
    return rates(f)


def rates(f):
    def r(n, d):
        return round(n / d, 4) if d else None
    f["inspection"]["rate"] = r(f["inspection"]["on_time"], f["inspection"]["fell_due"])
    f["hazard_closure"]["rate"] = r(f["hazard_closure"]["closed"], f["hazard_closure"]["found"])
    f["closed_on_time"]["rate"] = r(f["closed_on_time"]["on_time"], f["closed_on_time"]["closed"])
    return f


def total(fs):
    """The total row: the sum of the rows, its rates from the sums."""
    t = zero()

    def add(dst, src):
        for k, v in src.items():
            if isinstance(v, dict):
                add(dst[k], v)
            elif k != "rate":
                dst[k] += v
    for f in fs:
        add(t, f)
    return rates(t)


def row(body, code):
    rows = [r for r in body["rows"] if r["jurisdiction"] == code]
    eq(len(rows), 1, f"one row of {code}")
    return rows[0]["figures"]


def test_every_figure_of_every_period_as_worked_out(w):
    for period, days in (("2026-10", ("2026-10-01", "2026-10-31")), ("2026-11", ("2026-11-01", "2026-11-30")),
                         ("2026-12", ("2026-12-01", "2026-12-31")), ("2026-Q4", ("2026-10-01", "2026-12-31"))):
        body = figures(w, f"period={period}")
        eq(body["period"], {"label": period, "from": days[0], "to": days[1]}, "period")
        eq(body["as_of"], "2026-12-05", "as of today")
        eq(body["scope"], {"code": CITY, "name": "成都市"}, "the city")
        codes = [r["jurisdiction"] for r in body["rows"]]
        eq(codes[-1], None, "the total last")
        eq(codes[:-1], sorted(codes[:-1]), "districts in code order")
        eq(body["rows"][-1]["name"], "合计", "the total's name")
        eq(row(body, A), want_a(period), f"{period}: A")
        eq(row(body, B), want_b(period), f"{period}: B")
        for r in body["rows"][:-1]:
            if r["jurisdiction"] not in (A, B):
                eq(r["figures"], zero(), f"{period}: {r['jurisdiction']} has nothing")
        eq(row(body, None), total([want_a(period), want_b(period)]), f"{period}: the total")
        check("series" not in body, "no series unless asked")


def test_each_stock_figure_is_the_total_of_its_list(w):
    """The lists docs/figures.md names for the dashboard's links count what the figures count."""
    def total(path):
        return w.read(path + ("&" if "?" in path else "?") + "count=true&limit=1")["total"]
    body = figures(w, "period=2026-11")
    for j in (A, B):
        f = row(body, j)
        eq(total(f"/api/v1/equipment?jurisdiction={j}&status=in_service&overdue=true"), f["overdue"], f"{j} overdue")
        eq(total(f"/api/v1/equipment?jurisdiction={j}&status=in_service"), f["units_in_service"]["total"],
           f"{j} in service")
        eq(total(f"/api/v1/equipment?jurisdiction={j}&status=in_service") +
           total(f"/api/v1/equipment?jurisdiction={j}&status=suspended"), f["units"]["total"], f"{j} units")
        eq(total(f"/api/v1/hazards?jurisdiction={j}&status=open"), f["hazards_open"], f"{j} hazards open")
        eq(total(f"/api/v1/hazards?jurisdiction={j}&status=open&grade=major"), f["hazards_major_open"],
           f"{j} major open")
        eq(total(f"/api/v1/rectifications?jurisdiction={j}&open=true"), f["rectifications_open"], f"{j} rect open")
        eq(total(f"/api/v1/rectifications?jurisdiction={j}&past_deadline=true"),
           f["rectifications_past_deadline"], f"{j} past deadline")
        eq(total(f"/api/v1/rectifications?jurisdiction={j}&workflow=listed_supervision&open=true"),
           f["listed_supervision"]["open"], f"{j} listed open")
    eq(total(f"/api/v1/rectifications?jurisdiction={B}&past_deadline=true"), 1, "hb's directive")
    eq(total(f"/api/v1/rectifications?jurisdiction={B}&past_deadline=false"), 0, "none other in B")
    eq(total(f"/api/v1/rectifications?jurisdiction={A}&past_deadline=false"), 2, "A's two, closed")
    s, _, p = w.server.get("/api/v1/rectifications?past_deadline=maybe", tok=w.city)
    eq((s, [e["field"] for e in p["errors"]]), (400, ["past_deadline"]), "a bad value")


def test_agencies_count_the_results_of_the_period(w):
    one = lambda n: [{"credit_code": w.agency_code, "name": "测试检验机构", "results": n, "failed": 0,
                      "failure_rate": 0.0}]
    eq(figures(w, "period=2026-10")["agencies"], [], "no inspection in October")
    eq(figures(w, "period=2026-11")["agencies"], one(3), "u1's, u2's, and u3's uploaded in December")
    eq(figures(w, "period=2026-12")["agencies"], [], "none made in December")
    eq(figures(w, "period=2026-11", tok=w.district_b)["agencies"], one(1), "u3's only, in B's scope")
    eq(figures(w, "period=2026-11", tok=w.district_a)["agencies"], one(2), "u1's and u2's in A's")


def test_the_series_is_month_by_month_of_the_scope(w):
    body = figures(w, "period=2026-12&series=3")
    eq([e["period"]["label"] for e in body["series"]], ["2026-10", "2026-11", "2026-12"], "months")
    for e in body["series"]:
        eq(e["figures"], total([want_a(e["period"]["label"]), want_b(e["period"]["label"])]), e["period"]["label"])
    body = figures(w, "period=2026-11&series=2", tok=w.district_a)
    eq([(e["period"], e["figures"]) for e in body["series"]],
       [({"label": "2026-10", "from": "2026-10-01", "to": "2026-10-31"}, want_a("2026-10")),
        ({"label": "2026-11", "from": "2026-11-01", "to": "2026-11-30"}, want_a("2026-11"))], "A's own")
    # A year whose last months have not begun: the series stops at this month.
    eq([e["period"]["label"] for e in figures(w, "period=2026&series=24")["series"]][-2:], ["2026-11", "2026-12"],
       "ends with this month")
    eq(len(figures(w, "period=2026&series=24")["series"]), 24, "24 months")


def test_the_default_period_is_this_month(w):
    body = figures(w)
    eq(body["period"]["label"], "2026-12", "this month")
    eq(row(body, A), want_a("2026-12"), "A this month")


def test_a_district_sees_itself_only(w):
    for tok in (w.district_a, w.coordinator_a):
        body = figures(w, "period=2026-11", tok=tok)
        eq(body["scope"], {"code": A, "name": "锦江区"}, "its own scope")
        eq([r["jurisdiction"] for r in body["rows"]], [A], "one row, no total")
        eq(body["rows"][0]["figures"], want_a("2026-11"), "its figures")
        eq(figures(w, f"period=2026-11&jurisdiction={A}", tok=tok), body, "asking for itself")
        text = json.dumps(body, ensure_ascii=False)
        for other in (B, "青羊区", w.unit_b, "合计"):
            check(other not in text, f"nothing of {other} in A's figures")
        for asked in (B, CITY, "510100-GX", "510199"):
            p = figures(w, f"jurisdiction={asked}", tok=tok, status=404)
            eq([e["field"] for e in p["errors"]], ["jurisdiction"], f"{asked}: names the field")
            check(B not in json.dumps(p) or asked == B, "the refusal tells nothing of B")
        # the series is the district's own too
        eq(figures(w, "period=2026-11&series=1", tok=tok)["series"][0]["figures"], want_a("2026-11"), "series")
    for tok in (w.user_a, w.agency):
        eq(w.server.get("/api/v1/figures", tok=tok)[0], 403, "not for units and agencies")
    eq(w.server.get("/api/v1/figures")[0], 401, "not without a token")


def test_the_city_and_the_administrator_see_every_district(w):
    city = figures(w, "period=2026-11")
    eq(figures(w, "period=2026-11", tok=w.admin), city, "the administrator sees what the city sees")
    body = figures(w, f"period=2026-11&jurisdiction={B}")
    eq(body["scope"], {"code": B, "name": "青羊区"}, "one district asked")
    eq([(r["jurisdiction"], r["figures"]) for r in body["rows"]], [(B, want_b("2026-11"))], "its row, no total")
    eq(figures(w, f"period=2026-11&jurisdiction={CITY}"), city, "the city asked by its code")
    p = figures(w, "jurisdiction=510199", status=404)
    eq([e["field"] for e in p["errors"]], ["jurisdiction"], "unknown")


def test_bad_input_is_refused_naming_the_field(w):
    for query, field in [("period=2026-13", "period"), ("period=2026-Q5", "period"), ("period=abc", "period"),
                         ("period=2026-1", "period"), ("period=2026-00", "period"), ("period=2026-Q0", "period"),
                         ("period=", "period"), ("period=12026", "period"), ("period=2027-01", "period"),
                         ("period=2026-11-01", "period"),
                         ("series=0", "series"), ("series=25", "series"), ("series=x", "series"),
                         ("series=-1", "series"), ("series=1.5", "series"),
                         ("jurisdiction=abc", "jurisdiction"), ("jurisdiction=5101", "jurisdiction"),
                         ("jurisdiction=510100-gx", "jurisdiction"), ("jurisdiction=", "jurisdiction"),
                         ("format=xml", "format"), ("format=CSV", "format"),
                         ("colour=red", "colour")]:
        for tok in (w.city, w.district_a):
            p = figures(w, query, tok=tok, status=400)
            eq([e["field"] for e in p["errors"]], [field], query)
    eq(figures(w, "format=json")["period"]["label"], "2026-12", "format=json is the default's")
    # in Chinese too
    s, h, p = w.server.get("/api/v1/figures?period=2026-13", tok=w.city, headers={"Accept-Language": "zh-CN"})
    eq((s, h.get("content-language")), (400, "zh"), "Chinese")
    check(all(ord(c) < 128 for c in p["errors"][0]["message"]) is False, f"translated: {p}")


def test_figures_are_counted_and_timed_in_metrics(w):
    before = w.server.samples()
    figures(w, "period=2026-11")
    figures(w, "period=2026-13", status=400)
    after = w.server.samples()
    key = lambda r: f'sereg_figures_total{{result="{r}"}}'
    eq(after[key("ok")] - before.get(key("ok"), 0), 1, "one answered")
    eq(after[key("refused")] - before.get(key("refused"), 0), 1, "one refused")
    eq(after["sereg_figures_seconds_count"] - before.get("sereg_figures_seconds_count", 0), 1, "one timed")
    check(after["sereg_figures_seconds_sum"] > before.get("sereg_figures_seconds_sum", 0), "its time")


def test_the_census_tally_is_the_register_counted(w):
    """sql/0027's tally, written by the triggers with each change of the units, holds what a count
    of the register says; no caller writes it."""
    tally = w.db.sql("SELECT string_agg(concat_ws('|', jurisdiction, type, status, next_due, n), ',' ORDER BY 1) "
                     "FROM (SELECT jurisdiction, type, status, next_due, n FROM equipment_tally WHERE n <> 0) t")
    count = w.db.sql("SELECT string_agg(concat_ws('|', jurisdiction, type, status, d, n), ',' ORDER BY 1) FROM "
                     "(SELECT jurisdiction, type, status, coalesce(next_due, 'infinity') AS d, count(*) AS n "
                     "FROM equipment GROUP BY 1, 2, 3, 4) t")
    check(tally.count(",") >= 5, f"the world's units are in it: {tally}")
    eq(sorted(tally.split(",")), sorted(count.split(",")), "tally and register")
    for role, settings in (("district_supervisor", {"jurisdiction": A}), ("city_supervisor", {}),
                           ("system", {})):
        out = w.db.as_role(role, "UPDATE equipment_tally SET n = n + 1 RETURNING n", **settings)
        eq(out, "", f"{role} changes no tally row")
        out = w.db.as_role(role, f"INSERT INTO equipment_tally VALUES ('{A}', 'elevator', 'in_service', "
                                 "'2030-01-01', 5)", **settings)
        check(out.startswith("ERROR"), f"{role} adds no tally row: {out}")
    eq(w.db.as_role("district_supervisor", f"SELECT count(DISTINCT jurisdiction) FROM equipment_tally",
                    jurisdiction=A), "1", "a district reads its own tally only")
    eq(w.db.as_role("user_unit", "SELECT count(*) FROM equipment_tally", org=w.org_id(w.unit_a)), "0",
       "a user unit reads none")


# ---- the demo city against straight SQL ----

def test_the_demo_city_against_straight_sql(_w):
    db = migrated("figures_demo")
    env = {"SEREG_NOW": "2026-12-02"}
    r = sereg("demo", db=db, env=env)
    eq(r.returncode, 0, f"demo: {r.stderr}")
    server = Server(db, env=env)
    try:
        tok = token(db, "city_supervisor")
        s, _, body = server.get("/api/v1/figures?period=2026-12", tok=tok)
        eq(s, 200, f"figures: {body}")
        s, _, year = server.get("/api/v1/figures?period=2026", tok=tok)
        eq(s, 200, f"figures: {year}")

        def per_district(sql):
            out = {}
            for line in db.sql(sql).splitlines():
                if line:
                    j, n = line.split("|")
                    out[j] = int(n)
            return out
        straight = {
            ("units", "total"): "SELECT jurisdiction, count(*) FROM equipment WHERE status IN ('in_service', "
                                "'suspended') GROUP BY 1",
            ("units_in_service", "total"): "SELECT jurisdiction, count(*) FROM equipment WHERE status = 'in_service' "
                                           "GROUP BY 1",
            ("overdue",): "SELECT jurisdiction, count(*) FROM equipment WHERE status = 'in_service' AND "
                          "next_due < '2026-12-02' GROUP BY 1",
            ("registrations",): "SELECT e.jurisdiction, count(*) FROM equipment_event ev JOIN equipment e ON "
                                "e.id = ev.equipment_id WHERE ev.action = 'register' AND ev.to_status = 'in_service' "
                                "AND ev.effective_on >= '2026-12-01' GROUP BY 1",
            ("cancellations",): "SELECT e.jurisdiction, count(*) FROM equipment_event ev JOIN equipment e ON "
                                "e.id = ev.equipment_id WHERE ev.action = 'cancel' AND ev.effective_on >= "
                                "'2026-12-01' GROUP BY 1",
            ("hazards_open",): "SELECT e.jurisdiction, count(*) FROM hazard h JOIN equipment e ON "
                               "e.id = h.equipment_id WHERE h.status = 'open' GROUP BY 1",
            ("hazards_major_open",): "SELECT e.jurisdiction, count(*) FROM hazard h JOIN equipment e ON "
                                     "e.id = h.equipment_id WHERE h.status = 'open' AND h.grade = 'major' GROUP BY 1",
            ("hazards_found", "total"): "SELECT e.jurisdiction, count(*) FROM hazard h JOIN equipment e ON "
                                        "e.id = h.equipment_id WHERE h.found_on >= '2026-12-01' GROUP BY 1",
            ("rectifications_open",): "SELECT jurisdiction, count(*) FROM rectification WHERE closed_on IS NULL "
                                      "GROUP BY 1",
            ("listed_supervision", "open"): "SELECT jurisdiction, count(*) FROM rectification WHERE closed_on IS "
                                            "NULL AND workflow = 'listed_supervision' GROUP BY 1",
        }
        rows = {r["jurisdiction"]: r["figures"] for r in body["rows"]}
        for path, sql in straight.items():
            want = per_district(sql)
            check(sum(want.values()) > 0 or path in (("cancellations",),), f"{path}: the demo has some")
            for j, f in rows.items():
                got = f
                for k in path:
                    got = got[k]
                eq(got, sum(want.values()) if j is None else want.get(j, 0), f"{path} of {j}")
        for t in TYPES:
            want = per_district(f"SELECT jurisdiction, count(*) FROM equipment WHERE status IN ('in_service', "
                                f"'suspended') AND type = '{t}' GROUP BY 1")
            eq(rows[None]["units"]["by_type"][t], sum(want.values()), f"{t} units")
        want = db.sql("SELECT o.credit_code || '|' || count(*) || '|' || count(*) FILTER (WHERE NOT i.passed) "
                      "FROM inspection i JOIN organization o ON o.id = i.agency_id WHERE i.superseded_by IS NULL "
                      "AND i.inspected_on BETWEEN '2026-01-01' AND '2026-12-31' GROUP BY o.credit_code "
                      "ORDER BY o.credit_code")
        eq(["|".join([a["credit_code"], str(a["results"]), str(a["failed"])]) for a in year["agencies"]],
           want.splitlines(), "agencies")
        check(year["agencies"], "the demo's agency inspected in 2026")
        # a district's answer is its row of the city's
        dtok = token(db, "district_supervisor", jurisdiction=A)
        s, _, mine = server.get("/api/v1/figures?period=2026-12", tok=dtok)
        eq(mine["rows"], [{"jurisdiction": A, "name": "锦江区", "figures": rows[A]}], "A's own")
    finally:
        server.stop()


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
