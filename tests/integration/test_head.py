"""HEAD is answered wherever GET is (RFC 9110 section 9.3.2): the same status, the same headers
(Content-Length, ETag, Content-Type and the rest) and no body, through the same role checks."""
from harness import run, tests_of, check, eq, fetch
from world import World

# Headers that differ between any two answers, whatever the method.
PER_ANSWER = {"date", "x-request-id"}


def both(w, path, tok):
    """GET and HEAD of <path> as <tok>: (status, headers, body) of each, read off the wire."""
    return (w.server.fetch("GET", path, tok=tok), w.server.fetch("HEAD", path, tok=tok))


def same_but_body(w, path, tok, status):
    (gs, gh, gb), (hs, hh, hb) = both(w, path, tok)
    eq((gs, hs), (status, status), f"{path}: GET and HEAD status")
    eq(hb, b"", f"{path}: HEAD has no body")
    check(gb, f"{path}: GET has a body")
    eq(hh.get("content-length"), str(len(gb)), f"{path}: HEAD announces the body GET sends")
    eq({k: v for k, v in hh.items() if k not in PER_ANSWER}, {k: v for k, v in gh.items() if k not in PER_ANSWER},
       f"{path}: the same headers")
    return gh


def test_a_list(w):
    w.register()
    w.register()
    h = same_but_body(w, "/api/v1/equipment?limit=1", w.city, 200)
    eq(h.get("content-type"), "application/json; charset=utf-8", "JSON")


def test_a_record_with_its_etag(w):
    rec = w.register()
    h = same_but_body(w, f"/api/v1/equipment/{rec['id']}", w.city, 200)
    eq(h.get("etag"), '"1"', "the record's version")
    s, _, _ = w.transition(rec, "suspend")
    eq(s, 200, "suspended")
    eq(same_but_body(w, f"/api/v1/equipment/{rec['id']}", w.city, 200).get("etag"), '"2"', "the new version")


def test_a_record_the_caller_may_not_see_is_404(w):
    rec = w.register()  # in district A
    h = same_but_body(w, f"/api/v1/equipment/{rec['id']}", w.district_b, 404)
    eq(h.get("content-type"), "application/problem+json", "a problem")
    same_but_body(w, "/api/v1/equipment/999999999", w.city, 404)
    same_but_body(w, "/api/v1/no-such-thing", w.city, 404)


def test_without_a_token_is_401(w):
    h = same_but_body(w, "/api/v1/equipment", None, 401)
    eq(h.get("www-authenticate"), 'Bearer realm="sereg"', "the challenge")
    same_but_body(w, "/api/v1/equipment", "not-a-token", 401)


def test_the_role_checks_are_the_get_route_s(w):
    """An agency keeps no subscriptions: 403 on GET, so on HEAD."""
    same_but_body(w, "/api/v1/subscriptions", w.agency, 403)
    same_but_body(w, "/api/v1/subscriptions", w.admin, 200)


def test_bad_query_is_400_on_both(w):
    same_but_body(w, "/api/v1/equipment?limit=0", w.city, 400)


def test_the_public_routes(w):
    for path in ("/healthz", "/readyz", "/metrics"):
        (gs, gh, gb), (hs, hh, hb) = both(w, path, None)
        eq((gs, hs, hb), (200, 200, b""), path)
        eq(hh.get("content-type"), gh.get("content-type"), path)
        check(int(hh.get("content-length", "0")) > 0, f"{path}: a length")


def test_a_file_download(w):
    data = b"\xff\xd8\xff the head of a photo"
    ref = w.evidence(data, "门锁.jpg")
    h = same_but_body(w, f"/api/v1/evidence?sha256={ref['sha256']}", w.user_a, 200)
    eq(h.get("content-length"), str(len(data)), "the file's length")
    check(h.get("content-disposition"), "the file's name")


def test_head_has_no_route_of_its_own(w):
    """A method that no route takes on a path is 405 with Allow naming HEAD beside GET; POST-only
    paths take no HEAD."""
    s, h, _ = w.server.fetch("PUT", "/api/v1/equipment", tok=w.city)
    eq((s, h.get("allow")), (405, "GET, HEAD, POST"), "Allow")
    s, h, b = w.server.fetch("HEAD", "/api/v1/inspections:batch", tok=w.agency)
    eq((s, h.get("allow"), b), (405, "POST", b""), "no GET, no HEAD")


def test_head_writes_nothing(w):
    rec = w.register()
    with w.db.unchanged("HEAD is safe"):
        for path in (f"/api/v1/equipment/{rec['id']}", "/api/v1/equipment", f"/api/v1/equipment/{rec['id']}/due"):
            eq(fetch(w.server.port, "HEAD", path, tok=w.city)[0], 200, path)


def setup():
    return World("head")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
