"""Idempotency-Key on POST: a retried request gets the first answer and does no work twice."""
import hashlib
import json

from harness import run, tests_of, check, eq, elevator
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


def test_a_client_error_is_kept_and_replayed(w):
    body = elevator(w.code(), "999999", w.unit_a, w.maint)
    s1, _, r1 = post(w, body, "bad-body")
    eq(s1, 422, "invalid registration")
    s2, h2, r2 = post(w, body, "bad-body")
    eq(s2, 422, "the same answer")
    eq(r2, r1, "the same problem")
    eq(h2.get("content-type"), "application/problem+json", "still a problem")
    eq(h2.get("idempotent-replayed"), "true", "replayed")


def request_hash(path, body):
    """The hash the server keeps: method, path and the body as the harness sends it."""
    data = json.dumps(body, ensure_ascii=False).encode()
    return hashlib.sha256(b"POST " + path.encode() + b"\n" + data).hexdigest()


def test_a_request_still_running_is_409_and_an_abandoned_claim_is_taken_over(w):
    body = elevator(w.code(), A, w.unit_a, w.maint)
    account = w.db.sql("SELECT id FROM account WHERE role = 'city_supervisor' ORDER BY id LIMIT 1")
    digest = request_hash("/api/v1/equipment", body)
    # a claim without an outcome: another server thread is serving this request right now
    w.db.sql(f"INSERT INTO idempotency_key (account_id, key, request_hash) VALUES ({account}, 'in-flight', '{digest}')")
    before = counts(w)
    s, _, r = post(w, body, "in-flight")
    eq(s, 409, "still running")
    eq([e["field"] for e in r["errors"]], ["Idempotency-Key"], "the failing field")
    eq(counts(w), before, "nothing written")
    # the server that claimed it died a while ago
    w.db.sql("UPDATE idempotency_key SET created_at = now() - interval '2 minutes' WHERE key = 'in-flight'")
    s, _, r = post(w, body, "in-flight")
    eq(s, 201, "an abandoned claim is taken over")
    eq(counts(w)[0], before[0] + 1, "and the work is done once")
    eq(post(w, body, "in-flight")[2], r, "and its outcome is kept")


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
