"""People log in: accounts with a name and a password (`sereg account ...`), a session cookie from
POST /api/v1/session that the edge takes as it takes a bearer token, the CSRF token a change made
with the cookie needs, logout, the idle and absolute ends of a session, failed logins that answer
alike whatever the reason, slowed and then locked, all on the audit record and in /metrics. The
server's clock is moved through SEREG_CLOCK_FILE, so that 30 minutes pass in no time."""
import json
import os
import statistics
import subprocess
import tempfile
import time

from harness import run, tests_of, check, eq, sereg, sereg_env, BIN, Server
from world import World, A, B

PASSWORD = "Jinjiang-2026"


class Clock:
    """The server's clock (SEREG_CLOCK_FILE): seconds added to the real time."""

    def __init__(self):
        fd, self.path = tempfile.mkstemp(prefix="sereg-clock-")
        os.close(fd)
        self.offset = 0
        self.set(0)

    def set(self, offset):
        self.offset = offset
        with open(self.path, "w") as f:
            f.write(f"{offset}\n")

    def advance(self, seconds):
        self.set(self.offset + seconds)


def account(w, *args, password=PASSWORD, env=None):
    """`sereg account ARGS --password-stdin` with <password> on standard input (None: no stdin)."""
    argv = [BIN, "account", *args]
    if password is not None:
        argv.append("--password-stdin")
    return subprocess.run(argv, input=(password + "\n") if password is not None else "", capture_output=True,
                          text=True, env=sereg_env(w.db, env), timeout=60)


def create(w, name, role="district_supervisor", password=PASSWORD, **scope):
    args = ["create", "--role", role, "--name", name]
    if role in ("district_supervisor", "coordinator"):
        args += ["--jurisdiction", scope.get("jurisdiction", A)]
    if role in ("user_unit", "agency"):
        args += ["--org", scope["org"]]
    r = account(w, *args, password=password)
    eq(r.returncode, 0, f"account create {name}: {r.stderr}")
    return int(r.stdout.split("account: ")[1].split()[0])


def login(w, name, password=PASSWORD, headers=None):
    """POST /api/v1/session: (status, headers, body, the cookie's value or None)."""
    s, h, body = w.server.post("/api/v1/session", {"account": name, "password": password}, headers=headers)
    value = None
    c = h.get("set-cookie", "")
    if c.startswith("sereg_session="):
        value = c.split(";")[0].split("=", 1)[1]
    return s, h, body, value


def cookie(value, csrf=None):
    h = {"Cookie": f"theme=dark; sereg_session={value}"}
    if csrf:
        h["X-CSRF-Token"] = csrf
    return h


def session_get(w, value):
    return w.server.get("/api/v1/session", headers=cookie(value))


def new_org(w, code_body, csrf=None, value=None):
    from harness import uscc
    return w.server.post("/api/v1/organizations", {"credit_code": uscc(A, code_body), "name": "会话测试单位" + code_body,
                                                   "kind": "user_unit", "jurisdiction": A},
                         headers=cookie(value, csrf))


# ---- logging in, and the cookie at work ----

def test_a_login_gives_a_cookie_the_edge_takes(t):
    w, clock = t
    aid = create(w, "王监察")
    s, h, body, value = login(w, "王监察")
    eq(s, 201, f"logged in: {body}")
    c = h["set-cookie"]
    for part in ("Path=/", "HttpOnly", "SameSite=Strict"):
        check(part in c.split("; "), f"{part} in {c}")
    check("Secure" not in c, f"plain http without a proxy saying https: no Secure: {c}")
    eq(len(value), 43, "32 random bytes")
    eq(body["account"], {"id": aid, "name": "王监察", "role": "district_supervisor", "jurisdiction": A,
                         "jurisdiction_name": "锦江区", "org": None}, "the account")
    eq(sorted(body), ["account", "csrf_token", "expires_at", "idle_expires_at"], "the contract's shape")
    eq(len(body["csrf_token"]), 64, "a CSRF token")
    check(body["idle_expires_at"] < body["expires_at"], body)
    eq(w.db.count("login_session", f"token_hash = encode(sha256('{value}'), 'hex') AND account_id = {aid}"), 1,
       "stored as its SHA-256")
    eq(w.db.count("login_session", f"token_hash = '{value}'"), 0, "never as itself")
    s, _, again = session_get(w, value)
    eq((s, again["account"], again["csrf_token"]), (200, body["account"], body["csrf_token"]), "GET says who")
    s, _, page = w.server.get("/api/v1/equipment?limit=5", headers=cookie(value))
    eq(s, 200, f"the cookie reads what the account may: {page}")
    s, h, _ = w.server.get("/api/v1/session")
    eq(s, 401, "no cookie, no session")
    s, _, _ = session_get(w, "A" * 43)
    eq(s, 401, "a cookie of no session")
    # names are compared with ASCII letters in either case, after trimming
    create(w, "WangJC", role="city_supervisor")
    s, _, body, _ = login(w, "  wangjc ")
    eq((s, body["account"]["name"]), (201, "WangJC"), "wangjc is WangJC")
    s, h, _, _ = login(w, "WangJC", headers={"X-Forwarded-Proto": "https"})
    check("; Secure" in h["set-cookie"], f"Secure when the proxy says https: {h['set-cookie']}")


def test_a_change_with_the_cookie_needs_its_csrf_token(t):
    w, clock = t
    create(w, "市局张三", role="city_supervisor")
    s, _, body, value = login(w, "市局张三")
    eq(s, 201, body)
    for csrf, what in [(None, "no X-CSRF-Token"), ("0" * 64, "a wrong one"), (body["csrf_token"][:-1], "a short one")]:
        with w.db.unchanged(f"{what}: nothing changed"):
            s, _, problem = new_org(w, "MA6C0001", csrf=csrf, value=value)
            eq(s, 403, f"{what}: {problem}")
            check("X-CSRF-Token" in problem["detail"], problem)
    # the token of another session is no token of this one
    s, _, other, _ = login(w, "市局张三")
    with w.db.unchanged("another session's token: nothing changed"):
        s, _, problem = new_org(w, "MA6C0001", csrf=other["csrf_token"], value=value)
        eq(s, 403, problem)
    s, _, org = new_org(w, "MA6C0001", csrf=body["csrf_token"], value=value)
    eq(s, 201, f"with its token: {org}")
    eq(w.db.sql("SELECT a.name FROM audit_log l JOIN account a ON a.id = l.account_id "
                f"WHERE l.action = 'organization.create' AND l.target_id = '{org['id']}'"), "市局张三",
       "the account acted")
    s, _, _ = w.server.get(f"/api/v1/organizations?limit=1", headers=cookie(value))
    eq(s, 200, "a read needs no CSRF token")


def test_logout_revokes_the_session(t):
    w, clock = t
    aid = create(w, "退出测试", role="admin")
    s, _, body, value = login(w, "退出测试")
    eq(s, 201, body)
    with w.db.unchanged("logout without the CSRF token: refused"):
        s, _, problem = w.server.request("DELETE", "/api/v1/session", headers=cookie(value))
        eq(s, 403, problem)
    s, h, _ = w.server.request("DELETE", "/api/v1/session", headers=cookie(value, body["csrf_token"]))
    eq(s, 204, "logged out")
    check("Max-Age=0" in h.get("set-cookie", "") and h["set-cookie"].startswith("sereg_session=;"),
          f"the cookie cleared: {h}")
    eq(w.db.count("login_session", f"account_id = {aid} AND revoked_reason = 'logout' AND revoked_at IS NOT NULL"), 1,
       "the row revoked")
    eq(session_get(w, value)[0], 401, "a revoked session is no session")
    eq(w.server.get("/api/v1/equipment", headers=cookie(value))[0], 401, "nor does it read")
    s, _, _ = w.server.request("DELETE", "/api/v1/session", headers=cookie(value, body["csrf_token"]))
    eq(s, 401, "logging out twice")
    eq(w.db.count("audit_log", f"action = 'session.login' AND account_id = {aid}"), 1, "the login on the record")
    eq(w.db.count("audit_log", f"action = 'session.logout' AND account_id = {aid}"), 1, "the logout on the record")


def test_bearer_tokens_still_work_and_win_over_a_cookie(t):
    w, clock = t
    create(w, "青羊监察", jurisdiction=B)
    s, _, body, value = login(w, "青羊监察")
    eq(s, 201, body)
    unit = w.register(A)
    eq(w.server.get(f"/api/v1/equipment/{unit['id']}", tok=w.district_a)[0], 200, "the bearer token of 锦江区")
    eq(w.server.get(f"/api/v1/equipment/{unit['id']}", headers=cookie(value))[0], 404,
       "青羊区's session does not see 锦江区's unit")
    eq(w.server.get(f"/api/v1/equipment/{unit['id']}", tok=w.district_a, headers=cookie(value))[0], 200,
       "Authorization wins over the cookie")
    s, _, problem = w.server.get("/api/v1/session", tok=w.district_a, headers=cookie(value))
    eq(s, 401, f"the cookie of another account is no session of the token's account: {problem}")
    # a bearer change needs no CSRF token, the cookie beside it notwithstanding
    s, _, _ = w.server.post(f"/api/v1/equipment/{unit['id']}/transitions", {"action": "suspend", "reason": "测试停用"},
                            tok=w.district_a, headers={**cookie(value), "If-Match": f'"{unit["version"]}"'})
    eq(s, 200, "a bearer change")


def test_the_four_failures_answer_alike(t):
    w, clock = t
    create(w, "失败测试甲")
    create(w, "失败测试乙")
    create(w, "失败测试丙")
    r = account(w, "disable", "失败测试乙", password=None)
    eq(r.returncode, 0, r.stderr)
    w.db.sql("UPDATE account SET locked_until = now() + interval '1000 days' WHERE name = '失败测试丙'")
    cases = {"wrong password": ("失败测试甲", "Wrong-password-1"), "unknown account": ("没有这个人", PASSWORD),
             "disabled": ("失败测试乙", PASSWORD), "locked": ("失败测试丙", PASSWORD)}
    answers, times = {}, {k: [] for k in cases}
    for rnd in range(4):
        for what, (name, pw) in cases.items():
            clock.advance(3600)  # no slowing down between rounds
            t0 = time.monotonic()
            s, h, body = w.server.fetch("POST", "/api/v1/session",
                                        data=json.dumps({"account": name, "password": pw}).encode())
            times[what].append(time.monotonic() - t0)
            eq(s, 401, f"{what}: {body}")
            check("set-cookie" not in h, what)
            answers.setdefault(what, body)
            eq(body, answers[what], f"{what}: the same every time")
    bodies = set(answers.values())
    eq(len(bodies), 1, f"one answer for all four: {answers}")
    medians = {k: statistics.median(v) for k, v in times.items()}
    print("  login failure medians (ms):", {k: round(v * 1000, 1) for k, v in medians.items()})
    lo, hi = min(medians.values()), max(medians.values())
    check(hi - lo < max(0.5 * lo, 0.03), f"comparable timing: {medians}")
    check(lo > 0.02, f"each costs an Argon2id verification: {medians}")
    eq(w.db.count("audit_log", "action = 'session.login_failed' AND detail->>'reason' = 'unknown_account' "
                               "AND detail->>'name' = '没有这个人' AND target_id = ''"), 4,
       "an unknown name on the record too")
    eq(w.db.count("account", "name = '没有这个人'"), 0, "and nothing else made of it")


def setup():
    clock = Clock()
    w = World("sessions", env={"SEREG_CLOCK_FILE": clock.path})
    return w, clock


def teardown(t):
    w, clock = t
    w.close()
    os.unlink(clock.path)


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=teardown)
