"""Idempotency-Key on POST: a retried request gets the first answer and does no work twice."""
import threading
import time

from harness import run, tests_of, check, eq, elevator, LockHolder, Server
from world import World, A


def post(w, body, key, tok=None, path="/api/v1/equipment"):
    return w.server.post(path, body, tok=tok or w.city, headers={"Idempotency-Key": key})


def counts(w):
    return (w.db.count("equipment"), w.db.count("audit_log"), w.db.count("outbox"))


def test_a_retry_gets_the_first_answer_and_registers_once(w):
    body = elevator(w.code(), A, w.unit_a, w.maint)
    before = counts(w)
    s1, h1, r1 = post(w, body, "reg-retry-1")
    eq(s1, 201, "first")
    check("idempotent-replayed" not in h1, "the first answer is not a replay")
    s2, h2, r2 = post(w, body, "reg-retry-1")
    eq(s2, 201, "retry keeps the status")
    eq(r2, r1, "retry gets the same body")
    eq(h2.get("idempotent-replayed"), "true", "replay is marked")
    eq(h2.get("location"), h1.get("location"), "location")
    eq(h2.get("etag"), h1.get("etag"), "etag")
    after = counts(w)
    eq(tuple(a - b for a, b in zip(after, before)), (1, 1, 1), "one unit, one audit row, one notice")


def test_the_key_with_another_request_is_422(w):
    body = elevator(w.code(), A, w.unit_a, w.maint)
    eq(post(w, body, "reg-mismatch")[0], 201, "first")
    before = counts(w)
    other = elevator(w.code(), A, w.unit_a, w.maint)
    s, h, r = post(w, other, "reg-mismatch")
    eq(s, 422, "another body")
    eq(h.get("content-type"), "application/problem+json", "problem")
    eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "the failing field")
    s, _, r = post(w, body, "reg-mismatch", path="/api/v1/organizations")
    eq(s, 422, "another path")
    eq(counts(w), before, "nothing written")


def test_keys_belong_to_the_account(w):
    s1, _, r1 = post(w, elevator(w.code(), A, w.unit_a, w.maint), "shared-key")
    s2, _, r2 = post(w, elevator(w.code(), A, w.unit_a, w.maint), "shared-key", tok=w.district_a)
    eq((s1, s2), (201, 201), "two accounts, two requests")
    check(r1["id"] != r2["id"], "two units")


def test_a_malformed_key_is_400_and_writes_nothing(w):
    before = counts(w)
    for key in ("x" * 256, "has space", "tab\tkey"):
        s, _, r = post(w, elevator(w.code(), A, w.unit_a, w.maint), key)
        eq(s, 400, repr(key[:20]))
        eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "the failing field")
    eq(w.db.count("idempotency_key", "key LIKE 'has%' OR length(key) > 255"), 0, "no key kept")
    eq(counts(w), before, "nothing written")


def test_the_key_is_a_structured_field_string(w):
    """draft-ietf-httpapi-idempotency-key-header: the field is an RFC 8941 String; the quotes are
    its syntax, so "abc" and the bare abc of older clients are one key."""
    body = elevator(w.code(), A, w.unit_a, w.maint)
    s1, h1, r1 = post(w, body, "sf-one")
    eq(s1, 201, "a bare key")
    s2, h2, r2 = post(w, body, '"sf-one"')
    eq((s2, h2.get("idempotent-replayed"), r2), (201, "true", r1), "the same key, quoted")
    body = elevator(w.code(), A, w.unit_a, w.maint)
    wire = r'"sf \\two\\ \"q\""'  # the characters: sf \two\ "q"
    s1, _, r1 = post(w, body, "  " + wire + " ")
    eq(s1, 201, "spaces and escapes in a quoted key")
    s2, h2, r2 = post(w, body, wire)
    eq((s2, h2.get("idempotent-replayed"), r2["id"]), (201, "true", r1["id"]), "the same key again")
    eq(w.db.count("idempotency_key", r"""key = 'sf \two\ "q"'"""), 1, "kept as its characters")
    eq(w.db.count("idempotency_key", "key LIKE '%sf-one%'"), 1, "one key for both forms")


def test_a_field_that_is_no_string_is_400_naming_it(w):
    before = counts(w)
    for field, why in [('"unclosed', "no closing quote"), ('"bad \\escape"', "escapes"),
                       ('"tab\there"', "printable"), ('"\x7f"', "printable"), ('"caf\xe9"', "printable"),
                       ('"a\x01b"', "printable"), ('""', "empty"), ('"' + "x" * 256 + '"', "longer than 255"),
                       ('"abc";p=1', "no parameters"), ('"abc" "def"', "nothing after"),
                       ('bare"quote', "quoted string"), ('back\\slash', "quoted string")]:
        s, _, r = post(w, elevator(w.code(), A, w.unit_a, w.maint), field)
        eq(s, 400, repr(field[:20]))
        eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "the failing field")
        check(why in r["errors"][0]["message"], (field[:20], r["errors"][0]["message"]))
        check("Idempotency-Key" in r["detail"], r["detail"])
    eq(counts(w), before, "nothing written")
    s, _, _ = post(w, elevator(w.code(), A, w.unit_a, w.maint), '"' + "x" * 255 + '"')
    eq(s, 201, "255 characters are a key")


def test_a_client_error_is_kept_and_replayed(w):
    body = elevator(w.code(), "999999", w.unit_a, w.maint)
    s1, _, r1 = post(w, body, "bad-body")
    eq(s1, 422, "invalid registration")
    s2, h2, r2 = post(w, body, "bad-body")
    eq(s2, 422, "the same answer")
    eq(r2, r1, "the same problem")
    eq(h2.get("content-type"), "application/problem+json", "still a problem")
    eq(h2.get("idempotent-replayed"), "true", "replayed")


def test_a_request_still_running_is_409_and_its_outcome_is_kept(w):
    """A retry while the first request with the key still runs (here it waits for a lock) is told
    so; once the first commits, its answer is what a retry gets."""
    body = elevator(w.code(), A, w.unit_a, w.maint)
    before = counts(w)
    lock = LockHolder(w.db, "LOCK TABLE equipment IN EXCLUSIVE MODE")
    first = {}
    t = threading.Thread(target=lambda: first.update(answer=post(w, body, "in-flight")))
    t.start()
    try:
        lock.wait_for_waiters()
        s, _, r = post(w, body, "in-flight")
        eq(s, 409, "still running")
        eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "the failing field")
    finally:
        lock.release()
    t.join(30)
    eq(first["answer"][0], 201, "the first request finishes")
    s, h, r = post(w, body, "in-flight")
    eq((s, r), (201, first["answer"][2]), "a retry gets its answer")
    eq(h.get("idempotent-replayed"), "true", "as a replay")
    eq(counts(w), tuple(b + 1 for b in before), "the work is done once")


def test_a_server_killed_mid_request_leaves_the_key_free(w):
    """kill -9 while a keyed request is inside its transaction: nothing of it was committed, so
    the key is free at once on the next server and the retry does the work, once."""
    body = elevator(w.code(), A, w.unit_a, w.maint)
    before = counts(w)
    lock = LockHolder(w.db, "LOCK TABLE equipment IN EXCLUSIVE MODE")
    t = threading.Thread(target=lambda: post_quietly(w, body, "killed"))
    t.start()
    try:
        lock.wait_for_waiters()
        w.server.kill()
    finally:
        lock.release()
    t.join(30)
    # The killed server's session ends when PostgreSQL notices its client is gone.
    deadline = time.time() + 20
    while w.db.count("pg_stat_activity", "datname = current_database() AND application_name = 'sereg'") and \
            time.time() < deadline:
        time.sleep(0.05)
    w.server = Server(w.db)
    eq(counts(w), before, "nothing of the killed request was kept")
    eq(w.db.count("idempotency_key", "key = 'killed'"), 0, "nor its key")
    s, h, r = post(w, body, "killed")
    eq(s, 201, "the retry runs at once, not 409")
    check("idempotent-replayed" not in h, "it is not a replay")
    eq(counts(w), tuple(b + 1 for b in before), "and the work is done once")
    eq(post(w, body, "killed")[2], r, "and its outcome is kept")


def post_quietly(w, body, key):
    try:
        post(w, body, key)
    except OSError:
        pass  # the server was killed under it


def test_the_key_covers_what_gives_the_request_its_meaning(w):
    """The same key and body with another If-Match, Content-Type or query is another request."""
    rec = w.register()
    change = {"action": "suspend", "reason": "停用测试"}
    path = f"/api/v1/equipment/{rec['id']}/transitions"
    s, _, r = w.server.post(path, change, tok=w.city, headers={"Idempotency-Key": "meaning", "If-Match": '"99"'})
    eq(s, 412, "stale version")
    s, _, r = w.server.post(path, change, tok=w.city, headers={"Idempotency-Key": "meaning", "If-Match": '"1"'})
    eq(s, 422, "another If-Match is another request, not a replay of the 412")
    eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "the failing field")
    batch = b'[{"equipment_id": 1}]'
    for ct in ("application/json", "application/x-ndjson"):
        s, _, r = w.server.request("POST", "/api/v1/inspections:batch", raw=batch, tok=w.agency,
                                   headers={"Idempotency-Key": "ctype", "Content-Type": ct})
        eq(s, 200 if ct == "application/json" else 422, f"batch as {ct}")
    s, _, r = w.server.post("/api/v1/organizations?x=1", {"name": "x"}, tok=w.city,
                            headers={"Idempotency-Key": "query"})
    eq(s, 422, "an invalid organization, first")
    s, _, r = w.server.post("/api/v1/organizations?x=2", {"name": "x"}, tok=w.city,
                            headers={"Idempotency-Key": "query"})
    eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "another query is another request")


def test_an_expired_key_runs_again(w):
    body = elevator(w.code(), A, w.unit_a, w.maint)
    s1, _, r1 = post(w, body, "day-old")
    eq(s1, 201, "first")
    w.db.sql("UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE key = 'day-old'")
    s2, h2, r2 = post(w, body, "day-old")
    eq(s2, 409, "a second registration of the same code conflicts: the request ran again")
    check("idempotent-replayed" not in h2, "not a replay")


def test_without_a_key_nothing_is_kept(w):
    before = w.db.count("idempotency_key")
    eq(w.server.post("/api/v1/equipment", elevator(w.code(), A, w.unit_a, w.maint), tok=w.city)[0], 201, "plain POST")
    eq(w.db.count("idempotency_key"), before, "no key row")


def setup():
    return World("idempotency")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
