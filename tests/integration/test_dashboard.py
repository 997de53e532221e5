"""The dashboard: its files served by sereg at / and /assets/ (only the files of web/ and Debian's
Chart.js, with the pages' CSP and headers, ETag and 304, HEAD; no path outside them however it
is spelt), and the pages in a real browser (Debian's chromium driven by playwright-core, from
tests/browser/dashboard.mjs): each role signs in, the overview's numbers are /api/v1/figures',
a district, a list and a unit's file open, a user unit acknowledges and submits evidence from the
page, a district supervisor editing the URL to another district's unit sees a refusal and no
data, an address of HTML is shown as text, and no CSP violation happens. Each role logs in with
an account made by `sereg account create --password-stdin`. Screenshots at 1366x768 and 390x844
are kept in build/artifacts/dashboard/ (SEREG_ARTIFACTS names another folder)."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import (BIN, SRC, check, eq, inspection, run, send_raw, sereg_env, Server, tests_of)
from world import A, B, World

WEB = os.path.join(SRC, "web")
CHARTJS = "/usr/share/javascript/chart.js/chart.min.js"
CHROMIUM = os.environ.get("SEREG_CHROMIUM", "/usr/bin/chromium")
NODE_MODULES = os.environ.get("SEREG_NODE_MODULES", "")
ARTIFACTS = os.environ.get("SEREG_ARTIFACTS") or os.path.join(os.path.dirname(BIN), "artifacts", "dashboard")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
XSS = "<img src=x onerror=alert(1)>"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}


def page_headers(h, what):
    eq(h.get("content-security-policy"), CSP, f"{what}: CSP")
    eq(h.get("x-content-type-options"), "nosniff", f"{what}: nosniff")
    eq(h.get("referrer-policy"), "no-referrer", f"{what}: Referrer-Policy")
    eq(h.get("x-frame-options"), "DENY", f"{what}: X-Frame-Options")
    eq(h.get("cache-control"), "no-cache", f"{what}: Cache-Control")
    check(h.get("etag", "").startswith('"'), f"{what}: a strong ETag: {h}")


def test_index_and_headers(w):
    s, h, body = w.server.fetch("GET", "/")
    eq(s, 200, "GET /")
    eq(h["content-type"], "text/html; charset=utf-8", "index type")
    page_headers(h, "/")
    with open(os.path.join(WEB, "index.html"), "rb") as f:
        eq(body, f.read(), "the page is web/index.html")
    check(b"<script>" not in body and b"style=" not in body and b"<style" not in body,
          "no inline script or style in the page")
    # A query after the path is the page's own business.
    eq(w.server.fetch("GET", "/?from=mail")[0], 200, "/ with a query")
    # HEAD: the same status and headers, no body.
    s2, h2, b2 = w.server.fetch("HEAD", "/")
    eq((s2, b2), (200, b""), "HEAD /")
    eq(h2["content-length"], str(len(body)), "HEAD's length")
    eq(h2["etag"], h["etag"], "HEAD's ETag")
    page_headers(h2, "HEAD /")


def test_etag_and_304(w):
    s, h, _ = w.server.fetch("GET", "/assets/app.js")
    eq(s, 200, "app.js")
    tag = h["etag"]
    for inm in [tag, "W/" + tag, f'"nope", {tag}', "*"]:
        s, h2, body = w.server.fetch("GET", "/assets/app.js", headers={"If-None-Match": inm})
        eq((s, body), (304, b""), f"If-None-Match {inm}")
        eq(h2["etag"], tag, "304 ETag")
        page_headers(h2, "304")
    for inm in ['"nope"', "garbage", tag[:-2] + '"']:
        eq(w.server.fetch("GET", "/assets/app.js", headers={"If-None-Match": inm})[0], 200, f"If-None-Match {inm}")


def test_assets_and_types(w):
    names = sorted(n for n in os.listdir(WEB) if n != "index.html")
    check(names, "web/ has assets")
    for name in names:
        s, h, body = w.server.fetch("GET", "/assets/" + name)
        eq(s, 200, name)
        eq(h["content-type"], TYPES[os.path.splitext(name)[1]], f"{name}'s type")
        page_headers(h, name)
        with open(os.path.join(WEB, name), "rb") as f:
            eq(body, f.read(), f"{name} as in web/")
    s, h, body = w.server.fetch("GET", "/assets/chart.min.js")
    eq(s, 200, "Chart.js")
    eq(h["content-type"], "text/javascript; charset=utf-8", "Chart.js type")
    with open(CHARTJS, "rb") as f:
        eq(body, f.read(), "Chart.js is Debian's file")


def test_only_known_files(w):
    """No path reaches a file that is not one of the dashboard's, however it is spelt: dot
    segments, %-escaped dots and slashes, NUL, doubled slashes, case, the page under another
    name. Each is the API's 404 (a problem, not a file)."""
    spelt = ["/assets/../index.html", "/assets/..%2findex.html", "/assets/%2e%2e/CMakeLists.txt",
             "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/assets/..%5c..%5cetc%5cpasswd", "/assets/app.js%00",
             "/assets/app.js%00.png", "/assets/%61pp.js", "/assets/APP.JS", "/assets//app.js",
             "/assets/./app.js", "/assets/", "/assets", "/index.html", "/assets/index.html", "/web/app.js",
             "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//", "/assets/app.js/", "/assets/app.js;x",
             "/assets/.hidden.js", "/assets/" + "a" * 70 + ".js"]
    for p in spelt:
        got = send_raw(w.server.port, f"GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        status = got.split(b"\r\n", 1)[0]
        check(status.startswith(b"HTTP/1.1 404") or status.startswith(b"HTTP/1.1 400"), f"{p}: {status}")
        check(b"content-security-policy" not in got.lower() or b"application/problem+json" in got, f"{p}: no file")
    # A NUL byte sent as it is ends the target where libmicrohttpd reads it: what answers is the
    # known file named before it, never another file.
    got = send_raw(w.server.port, b"GET /assets/app.js\x00/../../CMakeLists.txt HTTP/1.1\r\nHost: x\r\n"
                                  b"Connection: close\r\n\r\n")
    size = os.path.getsize(os.path.join(WEB, "app.js"))
    check(got.startswith(b"HTTP/1.1 4") or (got.startswith(b"HTTP/1.1 200") and b"text/javascript" in got
                                           and f"Content-Length: {size}\r\n".encode() in got), f"raw NUL: {got[:300]}")
    # Only GET and HEAD take the files.
    s, h, body = w.server.fetch("POST", "/", data=b"{}")
    check(s in (404, 405) and b"<html" not in body, f"POST /: {s}")
    s, _, body = w.server.fetch("DELETE", "/assets/app.js")
    check(s in (404, 405) and b"import" not in body, f"DELETE asset: {s}")


def test_webdir_named(w):
    """SEREG_WEBDIR names the folder: its files of known kinds are served and nothing else; a
    folder without index.html leaves / unserved and the API serving."""
    d = tempfile.mkdtemp(prefix="sereg-test-web-")
    try:
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("<!doctype html><title>other</title>")
        for name in ["x.js", "secret.txt", "Upper.js", ".env.js", "notes.md"]:
            with open(os.path.join(d, name), "w") as f:
                f.write("1")
        srv = Server(w.db, env={"SEREG_WEBDIR": d})
        try:
            eq(srv.fetch("GET", "/")[2], b"<!doctype html><title>other</title>", "the named folder's page")
            eq(srv.fetch("GET", "/assets/x.js")[0], 200, "its script")
            for name in ["secret.txt", "Upper.js", ".env.js", "notes.md", "app.js"]:
                eq(srv.fetch("GET", "/assets/" + name)[0], 404, name)
            eq(srv.fetch("GET", "/assets/chart.min.js")[0], 200, "Chart.js from Debian beside it")
        finally:
            srv.stop()
        os.unlink(os.path.join(d, "index.html"))
        srv = Server(w.db, env={"SEREG_WEBDIR": d})
        try:
            eq(srv.fetch("GET", "/")[0], 404, "no index.html: no page")
            eq(srv.get("/api/v1/jurisdictions", tok=w.city)[0], 200, "the API serves on")
            check("no index.html" in srv.output(), "said in the log")
        finally:
            srv.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- the browser ----

def test_pages_in_a_browser(w):
    check(os.access(CHROMIUM, os.X_OK), f"the browser test needs Debian's chromium at {CHROMIUM} (scripts/test.sh installs it)")
    check(NODE_MODULES and os.path.isdir(os.path.join(NODE_MODULES, "playwright-core")),
          "the browser test needs the npm package playwright-core: run it through scripts/test.sh, which installs it "
          "and sets SEREG_NODE_MODULES")
    # The city: units in two districts (one of them at an address of HTML), hazards, a
    # directive for user unit A, and a major hazard proposed for 挂牌督办.
    w.accredit("elevator")
    xss = w.register(A, address=XSS)
    other_a = w.register(A, address="锦江区红星路二段 8 号")
    unit_b = w.register(B, address="青羊区保密路 88 号")
    s, _, insp = w.server.post("/api/v1/inspections", inspection(xss, "DASH-2021-001", inspected_on="2021-05-20"),
                               tok=w.agency)
    eq(s, 201, f"inspection: {insp}")
    hz = w.open_hazard(xss, w.label("door"), description="层门门锁失效", grade="general")
    major = w.open_hazard(other_a, w.label("brake"), description="制动器失效", grade="major")
    w.open_hazard(unit_b, w.label("rope"), description="钢丝绳断丝", grade="general")
    directive = w.open_rectification([hz], "锦质监指〔2026〕测试001号", deadline="2099-12-31", tok=w.district_a)
    listing = w.open_rectification([major], "成质监督〔2026〕测试001号", workflow="listed_supervision")

    roles = {"city_supervisor": (None, None), "district_supervisor": (A, None), "user_unit": (None, w.unit_a),
             "agency": (None, w.agency_code), "coordinator": (A, None)}
    names = {"city_supervisor": "王监察", "district_supervisor": "李监察", "user_unit": "zhangsy",
             "agency": "检验员赵", "coordinator": "刘协管"}
    accounts = {}
    for role, (j, org) in roles.items():
        password = f"Dash-{role}-2026!x"
        args = ["account", "create", "--role", role, "--name", names[role]]
        args += ["--jurisdiction", j] if j else []
        args += ["--org", org] if org else []
        r = subprocess.run([BIN, *args, "--password-stdin"], input=password + "\n", capture_output=True, text=True,
                           env=sereg_env(w.db), timeout=60)
        eq(r.returncode, 0, f"account create {role}: {r.stderr}")
        accounts[role] = {"account": names[role], "password": password, "me": {"name": names[role], "role": role}}
    plan = {
        "base": f"http://127.0.0.1:{w.server.port}", "chromium": CHROMIUM, "artifacts": ARTIFACTS,
        "node_modules": NODE_MODULES, "accounts": accounts,
        "world": {"district_a": A, "directive": directive["id"], "listing": listing["id"], "major": major["id"],
                  "unit_b": unit_b["id"],
                  "unit_b_secrets": [unit_b["equipment_code"], "青羊区保密路", "青羊测试使用单位"],
                  "xss_address": XSS, "xss_code": xss["equipment_code"], "search": xss["equipment_code"][-8:],
                  "due_code": xss["equipment_code"], "report": "DASH-2021-001"},
    }
    fd, path = tempfile.mkstemp(prefix="sereg-dashboard-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(plan, f, ensure_ascii=False)
    try:
        r = subprocess.run(["node", os.path.join(SRC, "tests", "browser", "dashboard.mjs"), path],
                           capture_output=True, text=True, timeout=420)
    finally:
        os.unlink(path)
    print(r.stdout, end="")
    if r.returncode != 0:
        raise AssertionError(f"the browser run failed ({r.returncode}):\n{r.stdout}\n{r.stderr[-6000:]}\n"
                             f"server log:\n{w.server.output()[-4000:]}")
    print(f"     (screenshots in {ARTIFACTS})")
    # What the pages did is on the record: the directive worked to its close, its hazard closed
    # with it (销号), the proposal listed.
    r = w.rectification(directive["id"])
    eq(r["state"], "closed", "the directive's steps")
    eq([s["action"] for s in r["history"]], ["open", "acknowledge", "start", "submit", "verify", "close"],
       "taken from the pages")
    eq([s["actor_role"] for s in r["history"]][1:], ["user_unit"] * 3 + ["district_supervisor"] * 2, "by whom")
    eq(w.hazard(hz["id"])["status"], "closed", "the hazard closed with it")
    eq(w.rectification(listing["id"])["state"], "listed", "the proposal listed by the city")


def setup():
    return World("test_dashboard")


def teardown(w):
    w.close()


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=teardown)
