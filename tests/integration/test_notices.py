"""Notices leave the building: subscriptions are checked and scoped like every record, each
committed event reaches every subscription that wants it (and no other), signed as Standard
Webhooks says, which the reference library verifies, in the format the subscription names."""
import json
import time

from harness import run, tests_of, check, eq, sereg, sweep
from receivers import Receiver, Verifier, closed_port_url, signature_ok
from world import World, A, B

PLACE = "http://127.0.0.1:9/hooks"  # a URL that passes, for tests of other fields
ENV = {"SEREG_WEBHOOK_ALLOW": "127.0.0.0/8", "SEREG_WEBHOOK_RETRY_SCHEDULE": "0s,1s,1s",
       "SEREG_WEBHOOK_TIMEOUT": "3s"}


def subscribe(w, url, types, tok=None, want=201, **more):
    body = {"url": url, "event_types": types}
    body.update(more)
    s, h, sub = w.server.post("/api/v1/subscriptions", body, tok=tok or w.admin)
    eq(s, want, f"subscription: {sub}")
    return sub


def deliveries(w, sub, tok=None, status=None):
    q = f"?status={status}" if status else ""
    return w.read(f"/api/v1/subscriptions/{sub['id']}/deliveries{q}", tok or w.admin)["items"]


def wait_deliveries(w, sub, n, status="delivered", timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = deliveries(w, sub, status=status)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{len(deliveries(w, sub, status=status))} {status} deliveries within {timeout} s, want {n}: "
                         f"{deliveries(w, sub)}")


def setup():
    return World("notices", env=ENV)


def teardown(w):
    w.close()


def test_a_subscription_is_checked_and_nothing_bad_is_stored(w):
    before = w.db.count("subscription")
    cases = [
        ({"url": "ftp://127.0.0.1/x", "event_types": ["hazard.opened"]}, "url"),
        ({"url": "not a url", "event_types": ["hazard.opened"]}, "url"),
        ({"url": "https://user:pw@127.0.0.1/x", "event_types": ["hazard.opened"]}, "url"),
        ({"url": "https://127.0.0.1/" + "a" * 3000, "event_types": ["hazard.opened"]}, "url"),
        ({"event_types": ["hazard.opened"]}, "url"),
        ({"url": PLACE, "event_types": []}, "event_types"),
        ({"url": PLACE, "event_types": "hazard.opened"}, "event_types"),
        ({"url": PLACE, "event_types": ["hazard.opend"]}, "event_types[0]"),
        ({"url": PLACE, "event_types": ["hazard.opened", "nothing.*"]}, "event_types[1]"),
        ({"url": PLACE, "event_types": ["hazard.*'"]}, "event_types[0]"),
        ({"url": PLACE, "event_types": ["hazard.opened"], "format": "telegram"}, "format"),
        ({"url": PLACE, "event_types": ["hazard.opened"], "jurisdiction": "999999"}, "jurisdiction"),
        ({"url": PLACE, "event_types": ["hazard.opened"], "user_unit": "91510104MA6A0001XX"}, "user_unit"),
        ({"url": PLACE, "event_types": ["hazard.opened"], "secret": "whsec_x"}, "secret"),
        ({"url": PLACE, "event_types": ["hazard.opened"], "description": "长" * 400}, "description"),
    ]
    for body, field in cases:
        s, h, p = w.server.post("/api/v1/subscriptions", body, tok=w.admin)
        eq(s, 422, f"{body}: {p}")
        eq(h.get("content-type"), "application/problem+json", "a problem")
        check(field in [e["field"] for e in p["errors"]], f"{body}: the failing field {field} in {p['errors']}")
    # a district names its own district only; a user unit no user unit at all
    s, _, p = w.server.post("/api/v1/subscriptions", {"url": PLACE, "event_types": ["hazard.opened"],
                                                      "jurisdiction": B}, tok=w.district_a)
    eq((s, [e["field"] for e in p["errors"]]), (422, ["jurisdiction"]), f"district: {p}")
    s, _, p = w.server.post("/api/v1/subscriptions", {"url": PLACE, "event_types": ["hazard.opened"],
                                                      "user_unit": w.unit_b}, tok=w.user_a)
    eq((s, [e["field"] for e in p["errors"]]), (422, ["user_unit"]), f"user unit: {p}")
    for tok in (w.agency, w.coordinator_a):
        s, _, p = w.server.post("/api/v1/subscriptions", {"url": PLACE, "event_types": ["hazard.opened"]},
                                tok=tok)
        eq(s, 403, f"a role that keeps no subscriptions: {p}")
    s, _, p = w.server.post("/api/v1/subscriptions", None, tok=w.admin, raw=b'{"url": "x", "url": "y"}')
    eq(s, 400, f"duplicate keys: {p}")
    eq(w.db.count("subscription"), before, "nothing stored")


def test_the_secret_is_shown_once_and_kept_sealed(w):
    r = Receiver()
    sub = subscribe(w, r.url, ["equipment.registered"])
    check(sub["secret"].startswith("whsec_") and len(sub["secret"]) == 50, f"a secret: {sub['secret']}")
    got = w.read(f"/api/v1/subscriptions/{sub['id']}", w.admin)
    check("secret" not in got and "previous_secret" not in got and "whsec_" not in json.dumps(got), f"no secret when read: {got}")
    stored = w.db.sql(f"SELECT secret FROM subscription WHERE id = {sub['id']}")
    check(stored.startswith("v1.") and sub["secret"] not in stored and sub["secret"][6:16] not in stored,
          f"sealed in the database: {stored}")
    audit = w.db.sql(f"SELECT detail FROM audit_log WHERE action = 'subscription.create' AND target_id = '{sub['id']}'")
    check("whsec_" not in audit and "127.0.0.1" in audit, f"the audit record: {audit}")
    r.stop()


def test_notices_verify_with_the_reference_library(w):
    v = Verifier([])  # the secret is known only once the subscription exists: a verifier per secret
    v.stop()
    sub = subscribe(w, PLACE, ["equipment.registered"], description="96333 平台")
    v = Verifier([sub["secret"]])
    s, _, sub = w.server.request("PATCH", f"/api/v1/subscriptions/{sub['id']}", {"url": v.url}, tok=w.admin,
                                 headers={"If-Match": f'"{sub["version"]}"'})
    eq(s, 200, f"url changed: {sub}")
    recs = [w.register(A), w.register(B)]
    got = v.wait_for(2)
    for g in got:
        eq(g["verified_by"], [0], f"verified by the reference library: {g['errors']}")
        check(g["headers"]["webhook-id"].startswith("msg_"), f"webhook-id: {g['headers']}")
        check(abs(int(g["headers"]["webhook-timestamp"]) - time.time()) < 60, "timestamp of the attempt")
        eq(g["headers"]["content-type"], "application/json", "content type")
        body = json.loads(g["body"])
        eq(sorted(body), ["data", "timestamp", "type"], "the Standard Webhooks body")
        eq(body["type"], "equipment.registered", "type")
        subject = body["data"]["subject"]
        eq(subject["type"], "equipment", "subject")
        check(subject["equipment"]["registration_number"] and subject["equipment"]["address"] == "测试路 1 号",
              f"the unit it concerns: {subject}")
        check(subject["jurisdiction_name"] in ("锦江区", "青羊区") and subject["user_unit_name"], f"names: {subject}")
    eq(sorted(g["body"] and json.loads(g["body"])["data"]["equipment"]["id"] for g in got), sorted(r["id"] for r in recs),
       "each registration once")
    ds = wait_deliveries(w, sub, 2)
    for d in ds:
        eq(d["attempt_count"], 1, "one attempt")
        eq(d["attempts"][0]["status_code"], 204, "the receiver's answer")
        eq(d["attempts"][0]["outcome"], "delivered", "its outcome")
    ids = {d["message_id"] for d in ds}
    eq(ids, {g["headers"]["webhook-id"] for g in got}, "the delivery's message id is the webhook-id")
    v.stop()


def test_each_scope_hears_its_own_events_only(w):
    r_city, r_a, r_b, r_unit = Receiver(), Receiver(), Receiver(), Receiver()
    subscribe(w, r_city.url, ["equipment.*"], tok=w.city)
    sub_a = subscribe(w, r_a.url, ["equipment.registered"], tok=w.district_a)
    eq(sub_a["jurisdiction"], A, "a district's subscription is its district's")
    subscribe(w, r_b.url, ["equipment.registered"], tok=w.district_b)
    sub_u = subscribe(w, r_unit.url, ["equipment.registered", "hazard.*"], tok=w.user_a)
    eq((sub_u["user_unit"], sub_u["audience"]), (w.unit_a, "user_unit"), "a user unit's is its own equipment's")
    mine = w.register(A, unit=w.unit_a)
    other_a = w.register(A, unit=w.unit_b)  # in district A, but another enterprise's
    in_b = w.register(B, unit=w.unit_b)
    # registered units: the city hears three, each district its own two or one, the enterprise one
    r_city.wait_for(3)
    r_a.wait_for(2)
    r_b.wait_for(1)
    r_unit.wait_for(1)
    w.open_hazard(mine, w.label("worn_rope_"))
    w.open_hazard(in_b, w.label("worn_rope_"))
    r_unit.wait_for(2)
    time.sleep(1.5)  # what else would have come by now

    def units(rcv):
        return sorted(x.json()["data"].get("equipment", x.json()["data"].get("hazard", {})).get("id")
                      or x.json()["data"]["hazard"]["equipment_id"] for x in rcv.requests)
    eq(len(r_city.requests), 3, "the city: equipment events only")
    eq(units(r_a), sorted([mine["id"], other_a["id"]]), "district A: its own units")
    eq(units(r_b), [in_b["id"]], "district B: its own unit")
    eq([x.json()["type"] for x in r_unit.requests], ["equipment.registered", "hazard.opened"], "the enterprise")
    eq([x.json()["data"]["subject"]["user_unit"] for x in r_unit.requests], [w.unit_a, w.unit_a], "its own")
    # a district sees and changes its own subscriptions only
    eq([s["id"] for s in w.read("/api/v1/subscriptions", w.district_a)["items"]], [sub_a["id"]], "district A's list")
    eq(w.server.get(f"/api/v1/subscriptions/{sub_a['id']}", tok=w.district_b)[0], 404, "B cannot see A's")
    eq(w.server.get(f"/api/v1/subscriptions/{sub_a['id']}/deliveries", tok=w.user_a)[0], 404, "nor a user unit")
    s, _, p = w.server.request("DELETE", f"/api/v1/subscriptions/{sub_a['id']}", tok=w.district_b)
    eq(s, 404, f"B cannot remove A's: {p}")
    for r in (r_city, r_a, r_b, r_unit):
        r.stop()


def test_escalations_go_to_the_audiences_the_rung_names(w):
    """A rung that notifies the user unit and the district reaches their subscriptions, not the
    city's; one that names the city reaches the city's too."""
    r_city, r_a, r_unit = Receiver(), Receiver(), Receiver()
    subscribe(w, r_city.url, ["hazard.escalated"], tok=w.city)
    subscribe(w, r_a.url, ["hazard.escalated"], tok=w.district_a)
    subscribe(w, r_unit.url, ["hazard.escalated"], tok=w.user_a)
    w.register(A, unit=w.unit_a)
    # The sweep opens an overdue hazard; the ladder's 30-day rung notifies the user unit and the
    # district, its 90-day rung the city too.
    sweep(w.db, "2099-01-01")
    sweep(w.db, "2099-02-01")
    r_a.wait_for(1)
    r_unit.wait_for(1)
    time.sleep(1.5)
    eq(len(r_city.requests), 0, "the 30-day rung does not name the city")
    sweep(w.db, "2099-04-15")
    r_city.wait_for(1)
    time.sleep(1.5)
    for x in r_a.requests + r_unit.requests + r_city.requests:
        eq(x.json()["type"], "hazard.escalated", "escalations only")
    aud = {json.dumps(x.json()["data"]["notify"]) for x in r_city.requests}
    check(all("city" in a for a in aud), f"the city hears only rungs that name it: {aud}")
    check(any("city" not in json.dumps(x.json()["data"]["notify"]) for x in r_a.requests),
          "the district heard a rung the city did not")
    for r in (r_city, r_a, r_unit):
        r.stop()


def test_a_ping_a_change_and_a_removal(w):
    r = Receiver()
    sub = subscribe(w, r.url, ["hazard.closed"], tok=w.city)
    s, _, d = w.server.post(f"/api/v1/subscriptions/{sub['id']}/test", tok=w.city)
    eq(s, 202, f"ping: {d}")
    eq(d["event"]["type"], "subscription.ping", "a ping")
    got = r.wait_for(1)
    body = got[0].json()
    eq(body["type"], "subscription.ping", "received")
    check("测试" in body["data"]["message"], f"in Chinese: {body}")
    check(signature_ok(sub["secret"], got[0].headers, got[0].body), "signed with the subscription's secret")
    # If-Match guards a change
    path = f"/api/v1/subscriptions/{sub['id']}"
    eq(w.server.request("PATCH", path, {"enabled": False}, tok=w.city)[0], 428, "no If-Match")
    eq(w.server.request("PATCH", path, {"enabled": False}, tok=w.city, headers={"If-Match": '"99"'})[0], 412, "stale")
    s, _, p = w.server.request("PATCH", path, {"enabled": "no"}, tok=w.city, headers={"If-Match": f'"{sub["version"]}"'})
    eq((s, [e["field"] for e in p["errors"]]), (422, ["enabled"]), f"bad field: {p}")
    s, _, p = w.server.request("PATCH", path, {"format": "wecom"}, tok=w.city, headers={"If-Match": f'"{sub["version"]}"'})
    eq(s, 422, f"not a field to change: {p}")
    s, _, off = w.server.request("PATCH", path, {"enabled": False}, tok=w.city,
                                 headers={"If-Match": f'"{sub["version"]}"'})
    eq((s, off["enabled"], off["disabled_reason"]), (200, False, "由订阅管理者停用"), f"disabled: {off}")
    eq(w.server.post(f"{path}/test", tok=w.city)[0], 409, "no ping to a disabled subscription")
    s, _, _ = w.server.request("DELETE", path, tok=w.city)
    eq(s, 204, "removed")
    eq(w.server.get(path, tok=w.city)[0], 404, "gone")
    eq(w.db.sql(f"SELECT count(*) FROM audit_log WHERE target_type = 'subscription' AND target_id = '{sub['id']}'"),
       "4", "create, ping, update, delete audited")
    r.stop()


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(w):
    sub = subscribe(w, PLACE, ["equipment.registered"], tok=w.city)
    old = sub["secret"]
    s, _, rot = w.server.post(f"/api/v1/subscriptions/{sub['id']}/secret", tok=w.city)
    eq(s, 200, f"rotated: {rot}")
    new = rot["secret"]
    check(new != old and rot["previous_secret_valid_until"], f"a new secret, the old one valid for a while: {rot}")
    v_old, v_new = Verifier([old]), Verifier([new])
    version = rot["version"]
    for v in (v_old, v_new):
        s, _, sub = w.server.request("PATCH", f"/api/v1/subscriptions/{sub['id']}", {"url": v.url}, tok=w.city,
                                     headers={"If-Match": f'"{version}"'})
        eq(s, 200, f"url: {sub}")
        version = sub["version"]
        w.register(A)
        got = v.wait_for(1)
        eq(got[0]["verified_by"], [0], f"verifies with {'old' if v is v_old else 'new'}: {got[0]['errors']} {got[0]['headers']} old={old} new={new}")
        eq(len(got[0]["headers"]["webhook-signature"].split(" ")), 2, "two signatures during the overlap")
        v.stop()


def test_formats_render_chat_robot_messages_and_stay_signed(w):
    s, _, formats = w.server.get("/api/v1/notice-formats", tok=w.city)
    names = [f["name"] for f in formats["items"]]
    check("standard" in names and "wecom" in names and "dingtalk" in names, f"formats: {formats}")
    r = Receiver()
    sub = subscribe(w, r.url, ["hazard.opened"], tok=w.city, format="wecom")
    rec = w.register(A)
    w.open_hazard(rec, w.label("door_worn_"), description="轿门门板磨损")
    got = r.wait_for(1)
    body = got[0].json()
    eq(body.get("msgtype"), "markdown", f"a WeCom robot message: {body}")
    text = body["markdown"]["content"]
    check(rec["registration_number"] in text and "隐患" in text, f"says what and where: {text}")
    check(signature_ok(sub["secret"], got[0].headers, got[0].body), "the rendered body is what is signed")
    r.stop()


def test_metrics_show_the_work(w):
    r = Receiver()
    subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    w.register(A)
    r.wait_for(1)
    deadline = time.time() + 10
    while time.time() < deadline:
        m = w.server.samples()
        if m.get('sereg_notice_attempts_total{outcome="delivered"}', 0) >= 1 and "sereg_notices_pending" in m:
            break
        time.sleep(0.2)
    check(m.get('sereg_notice_attempts_total{outcome="delivered"}', 0) >= 1, f"attempts counted: {m}")
    check(m.get("sereg_notice_delivery_seconds_count", 0) >= 1, "latency observed")
    check("sereg_notices_pending" in m and "sereg_notice_oldest_pending_seconds" in m, "gauges")
    r.stop()


def test_the_cli_lists_and_replays(w):
    r = Receiver()
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    w.register(A)
    r.wait_for(1)
    wait_deliveries(w, sub, 1)
    out = sereg("notices", "list", db=w.db, check=True).stdout
    check(f"{sub['id']}" in out and "enabled" in out, f"subscriptions listed: {out}")
    out = sereg("notices", "list", "--subscription", str(sub["id"]), db=w.db, check=True).stdout
    check("delivered" in out and "equipment.registered" in out, f"deliveries listed: {out}")
    d = deliveries(w, sub)[0]
    out = sereg("notices", "replay", str(d["id"]), db=w.db, check=True).stdout
    check("again" in out, out)
    r.wait_for(2)
    got = r.requests
    eq(got[0].headers["webhook-id"], got[1].headers["webhook-id"], "a replay is the same message")
    bad = sereg("notices", "replay", "--subscription", str(sub["id"]), "--since", "yesterday", db=w.db)
    check(bad.returncode != 0 and "since" in bad.stderr, f"a bad instant: {bad.stderr}")
    bad = sereg("notices", "frobnicate", db=w.db)
    eq(bad.returncode, 2, "usage")
    r.stop()


if __name__ == "__main__":
    run(tests_of(globals()), setup, teardown)
