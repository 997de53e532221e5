"""Who may cite and upload evidence: a file is cited by whoever uploaded it or may already read a
record citing it, never by knowing its hash; an upload's answer tells nothing of other callers'
files; uploads are for the roles that cite evidence, within a per-account daily quota that two
uploads at once cannot both slip under."""
import hashlib
import http.client
import threading
import urllib.parse

from harness import Server, run, tests_of, check, eq, sereg, token
from world import World, A, B, act, step

TODAY = "2026-06-15"


def setup():
    w = World("evidence_rights", env={"SEREG_NOW": TODAY})
    w.coordinator_b = token(w.db, "coordinator", jurisdiction=B)
    w.n = 0
    return w


def upload(w, data, name, tok, ctype="image/jpeg", headers=None):
    h = {"Content-Type": ctype}
    h.update(headers or {})
    return w.server.post(f"/api/v1/evidence?name={urllib.parse.quote(name)}", tok=tok, raw=data, headers=h)


def ref_of(data, name, ctype="image/jpeg"):
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "content_type": ctype}


def download(w, sha, tok):
    c = http.client.HTTPConnection("127.0.0.1", w.server.port, timeout=30)
    c.request("GET", f"/api/v1/evidence?sha256={sha}", headers={"Authorization": "Bearer " + tok})
    r = c.getresponse()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, body


def account_of(w, tok):
    return int(w.db.sql(f"SELECT account_id FROM api_token WHERE token_hash = '{hashlib.sha256(tok.encode()).hexdigest()}'"))


def as_account(w, role, jurisdiction, account, sql):
    """<sql> straight in the database as <role> of <account>, rolled back: its last line, or the error."""
    rc, out, err = w.db.sql_raw(
        f"BEGIN; SELECT set_config('sereg.role', '{role}', true), set_config('sereg.jurisdiction', '{jurisdiction}', true), "
        f"set_config('sereg.account', '{account}', true); {sql}; ROLLBACK")
    if rc != 0:
        return "ERROR: " + err
    return out.splitlines()[-1]


def report(w, rec, evidence, tok):
    w.n += 1
    body = {"equipment_id": rec["id"], "condition": f"e{w.n}", "description": "巡查发现", "evidence": evidence}
    if tok in (w.city, w.district_a, w.district_b):
        body["grade"] = "general"
    return w.server.post("/api/v1/hazards", body, tok=tok)


def test_a_file_is_cited_by_right_not_by_hash(w):
    # As found: a 青羊区 coordinator's photo, cited by a 锦江区 coordinator who never had it.
    photo = b"\xff\xd8 a photo taken in qingyang " + bytes(range(64))
    s, _, theirs = upload(w, photo, "青羊巡查.jpg", w.coordinator_b)
    eq(s, 201, f"upload: {theirs}")
    rec = w.register(jurisdiction=A)
    snap = w.db.snapshot()
    s, _, p = report(w, rec, [ref_of(photo, "x.jpg")], w.coordinator_a)
    eq(s, 422, f"citing a file one may not read: {p}")
    eq([e["field"] for e in p["errors"]], ["evidence[0]"], "the field named")
    s, _, q = report(w, rec, [ref_of(b"never uploaded by anyone", "x.jpg")], w.coordinator_a)
    eq(s, 422, q)
    eq(p["errors"], q["errors"], "the same words whether or not such a file is stored")
    eq(w.db.snapshot(), snap, "nothing written")
    eq(download(w, theirs["sha256"], w.coordinator_a)[0], 404, "and it cannot be downloaded")

    # Uploading the same bytes says nothing of who else has them: 201 for a first upload.
    s, _, mine = upload(w, photo, "锦江巡查.jpg", w.coordinator_a)
    eq((s, mine), (201, ref_of(photo, "锦江巡查.jpg")), "a first upload by this caller")
    s, _, again = upload(w, photo, "锦江巡查.jpg", w.coordinator_a)
    eq(s, 200, "its own file again")
    eq(w.db.count("evidence", f"sha256 = '{mine['sha256']}'"), 1, "stored once")
    s, hdrs, body = download(w, mine["sha256"], w.coordinator_a)
    eq((s, body), (200, photo), "its own upload")
    check("%E9%94%A6%E6%B1%9F" in hdrs["content-disposition"], f"under the name it gave: {hdrs['content-disposition']}")
    s, _, h = report(w, rec, [mine], w.coordinator_a)
    eq(s, 201, f"its own upload is cited: {h}")
    # Row-level security: an account's uploads are its own, also straight in SQL.
    ua, ub = account_of(w, w.coordinator_a), account_of(w, w.coordinator_b)
    uploads = ("SELECT coalesce(string_agg(DISTINCT account_id::text, ','), '-') || ' ' || count(*) FROM evidence_upload u "
               f"JOIN evidence ev ON ev.id = u.evidence_id WHERE ev.sha256 = '{mine['sha256']}'")
    eq(w.db.sql(uploads), f"{min(ua, ub)},{max(ua, ub)} 2", "two uploads of one file")
    eq(as_account(w, "coordinator", A, ua, uploads), f"{ua} 1", "SQL: coordinator A sees its own upload only")
    eq(as_account(w, "coordinator", B, ub, uploads), f"{ub} 1", "SQL: coordinator B its own")
    eq(as_account(w, "city_supervisor", "", "", uploads), "- 0", "SQL: no account stated, none")
    check("row-level security" in as_account(w, "coordinator", A, ua,
                                             f"INSERT INTO evidence_upload (evidence_id, account_id, name, content_type, "
                                             f"bytes) SELECT id, {ub}, 'x', 'image/jpeg', 1 FROM evidence LIMIT 1"),
          "SQL: no upload in another account's name")

    # A file cited in a record the caller may read may be cited again; by no one else.
    s, _, h2 = report(w, rec, [dict(mine, name="复查.jpg")], w.district_a)
    eq(s, 201, f"a district cites what it reads in its hazard: {h2}")
    s, hdrs, _ = download(w, mine["sha256"], w.district_a)
    eq(s, 200, "and downloads it")
    check("%E9%94%A6%E6%B1%9F" in hdrs["content-disposition"] or "%E5%A4%8D%E6%9F%A5" in hdrs["content-disposition"],
          f"under a name it may see: {hdrs['content-disposition']}")
    check("%E9%9D%92%E7%BE%8A" not in hdrs["content-disposition"], "never under another caller's name")
    other = w.register(jurisdiction=B)
    s, _, p = report(w, other, [mine], w.district_b)
    eq((s, [e["field"] for e in p["errors"]]), (422, ["evidence[0]"]), f"not by a district that reads no citing record")

    # A rectification step: the user unit cites what it may read, not another caller's file.
    r = open_directive(w, rec)
    r = step(w, r, "acknowledge", w.user_a)
    r = step(w, r, "start", w.user_a)
    # The unit reads the hazard that cites the 锦江区 coordinator's photo, so it may cite it too.
    r = step(w, r, "submit", w.user_a, note="完成", evidence=[ref_of(photo, "门锁.jpg")])
    theirs_only = b"\xff\xd8 only in qingyang"
    eq(upload(w, theirs_only, "b.jpg", w.coordinator_b)[0], 201, "another file of 青羊区")
    r2 = step(w, r, "reject", w.district_a, opinion="重做", deadline="2026-07-30")
    s, p = act(w, r2, "submit", w.user_a, note="完成", evidence=[ref_of(theirs_only, "b.jpg")])
    eq((s, [e["field"] for e in p["errors"]]), (422, ["evidence[0]"]), f"a step cites no unread file: {p}")


def open_directive(w, rec):
    s, _, h = w.server.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": "rect_evidence",
                                                "description": "d", "grade": "general"}, tok=w.district_a)
    eq(s, 201, h)
    s, _, r = w.server.post("/api/v1/rectifications", {"hazard_ids": [h["id"]], "directive_number": "EV-1",
                                                       "deadline": "2026-07-15"}, tok=w.district_a)
    eq(s, 201, r)
    return r


def test_uploads_are_for_the_roles_that_cite_evidence(w):
    snap = w.db.snapshot()
    for tok, who in ((w.admin, "admin"), (w.agency, "agency")):
        s, _, p = upload(w, b"\xff\xd8 " + who.encode(), "x.jpg", tok)
        eq(s, 403, f"{who} cites no evidence, so uploads none: {p}")
    eq(w.db.snapshot(), snap, "nothing stored")
    for tok, who in ((w.city, "city"), (w.district_a, "district"), (w.coordinator_a, "coordinator"),
                     (w.user_a, "user unit")):
        eq(upload(w, b"\xff\xd8 from the " + who.encode(), "x.jpg", tok)[0], 201, f"a {who} uploads")


def test_an_account_has_a_daily_quota(w):
    w.server.stop()
    w.server = Server(w.db, env={"SEREG_NOW": TODAY, "SEREG_EVIDENCE_MAX": "2048", "SEREG_EVIDENCE_QUOTA": "5000"},
                      threads=8)
    tok = token(w.db, "coordinator", jurisdiction=A)
    files = [bytes([i]) * 2000 for i in range(1, 4)]
    eq(upload(w, files[0], "1.jpg", tok)[0], 201, "first")
    eq(upload(w, files[1], "2.jpg", tok)[0], 201, "second")
    snap = w.db.snapshot()
    s, hdrs, p = upload(w, files[2], "3.jpg", tok, headers={"Idempotency-Key": "quota-3"})
    eq(s, 429, f"over 5000 bytes in 24 hours: {p}")
    eq(hdrs.get("content-type"), "application/problem+json", "a problem")
    check(hdrs.get("retry-after", "").isdigit() and 0 < int(hdrs["retry-after"]) <= 86400,
          f"Retry-After: {hdrs.get('retry-after')}")
    eq(w.db.snapshot(), snap, "nothing stored")
    eq(upload(w, files[0], "1.jpg", tok)[0], 200, "its own file again costs nothing")
    s, _, _ = upload(w, b"\xff\xd8 " + b"x" * 1990, "x.jpg", w.coordinator_a)
    eq(s, 201, "another account has its own quota")
    # A file someone else already stored counts the same: the answer tells nothing.
    stored = b"\xff\xd8 stored by another " + b"s" * 1000
    eq(upload(w, stored, "s.jpg", w.coordinator_b)[0], 201, "stored by another account")
    eq(upload(w, stored, "s.jpg", tok)[0], 429, "still over the quota")
    # A day later the window has moved on; the kept key does not replay the refusal.
    w.db.sql(f"UPDATE evidence_upload SET uploaded_at = uploaded_at - interval '25 hours' "
             f"WHERE account_id = {account_of(w, tok)}")
    s, hdrs, _ = upload(w, files[2], "3.jpg", tok, headers={"Idempotency-Key": "quota-3"})
    eq((s, hdrs.get("idempotent-replayed")), (201, None), "accepted a day later")

    # Uploads at once: however they interleave, no more than the quota gets in.
    for round_ in range(5):
        t = token(w.db, "coordinator", jurisdiction=A)
        answers = []
        def go(i):
            answers.append(upload(w, bytes([100 + 10 * round_ + i]) * 2000, f"{i}.jpg", t)[0])
        threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        eq(sorted(answers), [201, 201, 429, 429], f"round {round_}: two of four 2000-byte files fit in 5000")

    for value in ("lots", "0", "1000"):
        r = sereg("serve", "--listen", "127.0.0.1:1", db=w.db, env={"SEREG_EVIDENCE_QUOTA": value})
        check(r.returncode == 2 and "SEREG_EVIDENCE_QUOTA" in r.stderr, f"{value}: a bad quota stops the start: {r.stderr}")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
