"""A bad day for notices: receivers that fail, refuse, hang, trickle, flood or vanish, a server
killed mid-delivery, two servers at once, and URLs that point inside the network. Each failure
costs one attempt, is retried on the schedule, and ends delivered or dead and replayable."""
import time

from harness import run, tests_of, check, eq, Server, sweep
from receivers import Receiver, closed_port_url
from world import World, A

ENV = {"SEREG_WEBHOOK_ALLOW": "127.0.0.0/8", "SEREG_WEBHOOK_RETRY_SCHEDULE": "0s,1s,1s",
       "SEREG_WEBHOOK_TIMEOUT": "2s", "SEREG_WEBHOOK_CONNECT_TIMEOUT": "2s"}


def subscribe(w, url, types, tok=None, server=None):
    s, _, sub = (server or w.server).post("/api/v1/subscriptions", {"url": url, "event_types": types},
                                          tok=tok or w.admin)
    eq(s, 201, f"subscription: {sub}")
    return sub


def deliveries(w, sub, status=None):
    q = f"?status={status}&limit=500" if status else "?limit=500"
    return w.read(f"/api/v1/subscriptions/{sub['id']}/deliveries{q}", w.admin)["items"]


def settle(w, sub, n, status, timeout=40):
    """Waits until <n> deliveries of <sub> are <status>; them."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = deliveries(w, sub, status)
        if len(got) >= n:
            return got
        time.sleep(0.2)
    raise AssertionError(f"want {n} {status} deliveries within {timeout} s: {deliveries(w, sub)}")


def setup():
    return World("notice_faults", env=ENV)


def teardown(w):
    w.close()


def test_a_failure_is_retried_until_it_is_delivered(w):
    r = Receiver([500, 503, 200])
    sub = subscribe(w, r.url, ["equipment.registered"])
    w.register(A)
    d = settle(w, sub, 1, "delivered")[0]
    eq([a["status_code"] for a in d["attempts"]], [500, 503, 200], "three attempts")
    eq([a["outcome"] for a in d["attempts"]], ["retry", "retry", "delivered"], "their outcomes")
    eq(d["attempts"][0]["answer"], "received", "the answer's first bytes")
    got = r.requests
    eq(len({x.headers["webhook-id"] for x in got}), 1, "the same webhook-id on every attempt")
    eq(len({x.body for x in got}), 1, "the same body")
    check(len({x.headers["webhook-signature"] for x in got}) >= 2 or
          len({x.headers["webhook-timestamp"] for x in got}) == 1, "signed anew when the timestamp moved")
    gaps = [b.at - a.at for a, b in zip(got, got[1:])]
    check(all(0.7 < g < 4 for g in gaps), f"the schedule's second and third waits (1 s ±20%): {gaps}")
    r.stop()


def test_each_way_of_failing_costs_one_attempt(w):
    for step, want in [("hang", "timed out"), ("trickle", "timed out"), ("reset", ""), ("close", ""),
                       ((302, {"Location": "http://127.0.0.1:1/elsewhere"}), "")]:
        r = Receiver([step, 200])
        sub = subscribe(w, r.url, ["equipment.registered"])
        w.register(A)
        d = settle(w, sub, 1, "delivered")[0]
        first = d["attempts"][0]
        eq(first["outcome"], "retry", f"{step}: a failed attempt, retried: {d}")
        check(want in (first["error"] or "") and (first["error"] or first["status_code"]),
              f"{step}: the attempt says what went wrong: {first}")
        eq(len(d["attempts"]), 2, f"{step}: then delivered")
        check(first["duration_ms"] < 4000, f"{step}: bounded by the timeout: {first}")
        r.stop()
        w.server.request("DELETE", f"/api/v1/subscriptions/{sub['id']}", tok=w.admin)
    refused = subscribe(w, closed_port_url(), ["equipment.registered"])
    w.register(A)
    d = settle(w, refused, 1, "failed")[0]
    eq(len(d["attempts"]), 3, "a refused connection: every attempt of the schedule")
    check(all("refused" in (a["error"] or "").lower() for a in d["attempts"]), f"refused: {d['attempts']}")
    w.server.request("DELETE", f"/api/v1/subscriptions/{refused['id']}", tok=w.admin)


def test_a_huge_answer_is_cut_and_a_2xx_still_counts(w):
    r = Receiver(["huge"])
    sub = subscribe(w, r.url, ["equipment.registered"])
    t0 = time.time()
    w.register(A)
    d = settle(w, sub, 1, "delivered")[0]
    check(time.time() - t0 < 10, "not a read of 5 GB")
    eq(d["attempts"][0]["status_code"], 200, "the status came")
    check(len(d["attempts"][0]["answer"]) <= 1024 and d["attempts"][0]["answer"].startswith("xxxx"), "first bytes kept")
    r.stop()
    w.server.request("DELETE", f"/api/v1/subscriptions/{sub['id']}", tok=w.admin)


def test_retry_after_is_honoured(w):
    r = Receiver([(429, {"Retry-After": "3"}), 200])
    sub = subscribe(w, r.url, ["equipment.registered"])
    w.register(A)
    settle(w, sub, 1, "delivered")
    gap = r.requests[1].at - r.requests[0].at
    check(2.8 < gap < 6, f"waited as asked, not the schedule's 1 s: {gap:.2f} s")
    r.stop()
    w.server.request("DELETE", f"/api/v1/subscriptions/{sub['id']}", tok=w.admin)


def test_410_disables_the_subscription_and_says_so(w):
    watch = Receiver()
    subscribe(w, watch.url, ["subscription.*", "delivery.failed"], tok=w.admin)
    r = Receiver([410])
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    w.register(A)
    settle(w, sub, 1, "failed")
    got = w.read(f"/api/v1/subscriptions/{sub['id']}", w.admin)
    eq((got["enabled"], got["disabled_reason"]), (False, "接收方回答 410 Gone，订阅已自动停用"), f"disabled: {got}")
    seen = watch.wait_for(1)
    eq(seen[0].json()["type"], "subscription.disabled", "the admin's subscription hears it")
    eq(seen[0].json()["data"]["subscription_id"], sub["id"], "which one")
    w.register(A)
    time.sleep(1.5)
    eq(len(r.requests), 1, "nothing more goes to a disabled subscription")
    eq(w.db.count("audit_log", f"action = 'subscription.disable' AND target_id = '{sub['id']}'"), 1, "audited")
    watch.stop()
    r.stop()


def test_a_dead_delivery_is_listed_and_replayed(w):
    watch = Receiver()
    subscribe(w, watch.url, ["delivery.failed"], tok=w.admin)
    r = Receiver([500, 500, 500, 200])
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    w.register(A)
    dead = settle(w, sub, 1, "failed")[0]
    eq(len(dead["attempts"]), 3, "the whole schedule")
    # The admin hears every dead letter of the city, also those of the tests before: find this one.
    deadline = time.time() + 30
    while time.time() < deadline:
        notes = [x.json() for x in watch.requests]
        mine = [n for n in notes if n["data"].get("delivery_id") == dead["id"]]
        if mine:
            break
        time.sleep(0.1)
    check(mine, f"the dead letter is announced: {notes}")
    note = mine[0]
    eq((note["type"], note["data"]["attempts"], len(mine)), ("delivery.failed", 3, 1), f"announced once: {note}")
    check("?" not in note["data"]["url"], "its URL without the query")
    s, _, again = w.server.post(f"/api/v1/deliveries/{dead['id']}/replay", tok=w.city)
    eq((s, again["status"]), (202, "pending"), f"replayed: {again}")
    d = settle(w, sub, 1, "delivered")[0]
    eq(d["id"], dead["id"], "the same delivery")
    eq(len(d["attempts"]), 4, "its attempts kept, the replay's added")
    # a window: everything delivered since t0, again
    s, _, out = w.server.post(f"/api/v1/subscriptions/{sub['id']}/replay", {"since": t0, "status": "delivered"},
                              tok=w.city)
    eq((s, out), (202, {"replayed": 1}), "a window")
    r.wait_for(5)
    for bad in ({"since": "yesterday"}, {"since": t0, "status": "lost"}, {"until": t0}, {"since": t0, "x": 1}):
        s, _, p = w.server.post(f"/api/v1/subscriptions/{sub['id']}/replay", bad, tok=w.city)
        eq(s, 422, f"{bad}: {p}")
    watch.stop()
    r.stop()


def test_days_of_failures_disable_a_subscription(w):
    w.restart(env=dict(ENV, SEREG_WEBHOOK_DISABLE_AFTER="2s", SEREG_WEBHOOK_RETRY_SCHEDULE="0s,1s,1s,1s,1s,1s"))
    try:
        r = Receiver([500])
        sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
        w.register(A)
        deadline = time.time() + 20
        while time.time() < deadline and w.read(f"/api/v1/subscriptions/{sub['id']}", w.city)["enabled"]:
            time.sleep(0.2)
        got = w.read(f"/api/v1/subscriptions/{sub['id']}", w.city)
        check(not got["enabled"] and got["disabled_reason"].startswith("自 ") and got["disabled_reason"].endswith("起每次投递都失败，订阅已自动停用"), f"{got}")
        check(3 <= len(r.requests) <= 5, f"disabled after about 2 s of failures: {len(r.requests)} attempts")
        r.stop()
    finally:
        w.restart(env=ENV)


def test_addresses_inside_are_refused_unless_allowed(w):
    """The allow list names what may be reached inside; without it loopback is refused when a
    subscription is made (a literal or a name that resolves to it) and again when it is sent."""
    r = Receiver()
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)  # made while 127.0.0.0/8 is allowed
    w.restart(env={k: v for k, v in ENV.items() if k != "SEREG_WEBHOOK_ALLOW"})
    try:
        for url in (r.url, "https://127.0.0.1/x", "https://localhost/x", "https://[::1]/x", "https://10.0.0.7/x",
                    "https://169.254.169.254/latest/meta-data", "https://[::ffff:127.0.0.1]/x"):
            s, _, p = w.server.post("/api/v1/subscriptions", {"url": url, "event_types": ["hazard.opened"]}, tok=w.city)
            eq((s, [e["field"] for e in p.get("errors", [])]), (422, ["url"]), f"{url}: {p}")
        w.register(A)
        d = settle(w, sub, 1, "failed")[0]
        check(all("loopback" in (a["error"] or "") for a in d["attempts"]), f"refused when sent: {d['attempts']}")
        eq(r.requests, [], "nothing reached the receiver")
    finally:
        w.restart(env=ENV)
        r.stop()


def test_two_servers_make_each_attempt_once(w):
    r = Receiver([200])
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    other = Server(w.db, env=ENV)
    try:
        for _ in range(120):
            w.register(A)
        settle(w, sub, 120, "delivered", timeout=60)
        ids = [x.headers["webhook-id"] for x in r.requests]
        eq(len(ids), 120, "one request per event")
        eq(len(set(ids)), 120, "each attempt made once")
        workers = w.db.sql(f"SELECT count(DISTINCT a.id) FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id "
                           f"WHERE d.subscription_id = {sub['id']}")
        eq(workers, "120", "one attempt each")
        served = [ln for ln in other.output().splitlines() if "delivering notices" in ln]
        check(served, "the second server delivers too")
    finally:
        other.stop()
        r.stop()


def test_a_lease_that_runs_short_in_the_queue_is_never_used(w):
    """A worker that claimed more than it can attempt before the leases run out leaves the rest
    to be claimed again (here by either of two servers) instead of sending them late, when
    another may have them: no event is sent twice and no result is refused."""
    r = Receiver([("slow", 1.8, 200)])  # 64 transfers a server, each 1.8 s: about 35 a second
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    other = Server(w.db, env=ENV)
    servers = (w.server, other)

    def counters():
        got = [s.samples(w.admin) for s in servers]
        return [sum(int(g.get(k, 0)) for g in got)
                for k in ("sereg_notice_leases_lapsed_total", "sereg_notice_results_refused_total")]
    try:
        lapsed0, refused0 = counters()
        # 600 events in one commit, so that one server's fan-out leases them all at once: it can
        # send about 210 before the leases (9 s under ENV's 2 s timeout) run short, and the rest
        # wait. Written through the one writer directly: no API call makes 600 at once.
        rec = w.register(A)
        w.db.sql("BEGIN; SELECT set_config('sereg.actor_role', 'system', true), set_config('sereg.request', 'lapse', true); "
                 "SELECT sereg_record((SELECT jsonb_agg(jsonb_build_object('event', jsonb_build_object("
                 "'type', 'equipment.registered', 'subject_type', 'equipment', 'subject_id', '" + str(rec["id"]) + "', "
                 f"'jurisdiction', '{A}', 'payload', jsonb_build_object('n', n)))) FROM generate_series(1, 600) n)); COMMIT")
        deadline = time.time() + 120  # (more than a page of the deliveries' list: counted in the database)
        while w.db.count("delivery", f"subscription_id = {sub['id']} AND status = 'delivered'") < 601:
            check(time.time() < deadline, "601 delivered within 120 s")
            time.sleep(0.5)
        lapsed, refused = counters()
        check(lapsed > lapsed0, f"some claimed deliveries waited past their lease: {lapsed - lapsed0}")
        eq(refused, refused0, "no result came back to a lease another worker had")
        ids = [x.headers["webhook-id"] for x in r.requests]
        eq((len(ids), len(set(ids))), (601, 601), "each event sent once")
    finally:
        other.stop()
        r.stop()


def test_a_server_killed_mid_delivery_loses_nothing(w):
    r = Receiver([("slow", 30, 200), 200])
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    w.register(A)
    r.wait_for(1)
    w.server.kill()
    w.server = Server(w.db, env=ENV)
    d = settle(w, sub, 1, "delivered", timeout=40)[0]
    ids = {x.headers["webhook-id"] for x in r.requests}
    eq(len(ids), 1, "attempted again after the restart, as the same message")
    check(len(r.requests) >= 2, "at least once more")
    eq(d["attempts"][-1]["status_code"], 200, f"delivered: {d}")
    r.stop()


def test_old_notices_are_pruned_by_the_sweep(w):
    r = Receiver()
    sub = subscribe(w, r.url, ["equipment.registered"], tok=w.city)
    w.register(A)
    settle(w, sub, 1, "delivered")
    time.sleep(2.2)
    out = sweep(w.db, "2026-12-01", env={"SEREG_NOTICE_RETENTION": "2s"})
    check("pruned" in out.stdout, f"the sweep says what it pruned: {out.stdout}")
    eq(deliveries(w, sub), [], "delivered deliveries past the retention are gone")
    eq(w.db.count("delivery_attempt", f"delivery_id NOT IN (SELECT id FROM delivery)"), 0, "with their attempts")
    r.stop()


if __name__ == "__main__":
    run(tests_of(globals()), setup, teardown)
