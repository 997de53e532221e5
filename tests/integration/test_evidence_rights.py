"""Who may cite and upload evidence: a file is cited by whoever uploaded it or may already read a
record citing it, never by knowing its hash; an upload's answer tells nothing of other callers'
files; uploads are for the roles that cite evidence, within a per-account daily quota that two
uploads at once cannot both slip under."""
import hashlib
import threading

from harness import evidence_ref as ref_of, run, tests_of, check, eq, start_refused, token
from world import World, A, B, act, step

TODAY = "2026-06-15"


def setup():
    w = World("evidence_rights", env={"SEREG_NOW": TODAY})
    w.coordinator_b = token(w.db, "coordinator", jurisdiction=B)
    return w


def account_of(w, tok):
    return int(w.db.sql(f"SELECT account_id FROM api_token WHERE token_hash = '{hashlib.sha256(tok.encode()).hexdigest()}'"))


def report(w, rec, evidence, tok):
    body = {"equipment_id": rec["id"], "condition": w.label("e"), "description": "巡查发现", "evidence": evidence}
    if tok in (w.city, w.district_a, w.district_b):
        body["grade"] = "general"
    return w.server.post("/api/v1/hazards", body, tok=tok)


def test_a_file_is_cited_by_right_not_by_hash(w):
    # As found: a 青羊区 coordinator's photo, cited by a 锦江区 coordinator who never had it.
    photo = b"\xff\xd8 a photo taken in qingyang " + bytes(range(64))
    s, _, theirs = w.upload(photo, "青羊巡查.jpg", w.coordinator_b)
    eq(s, 201, f"upload: {theirs}")
    rec = w.register(jurisdiction=A)
    with w.db.unchanged("nothing written"):
        s, _, p = report(w, rec, [ref_of(photo, "x.jpg")], w.coordinator_a)
        eq(s, 422, f"citing a file one may not read: {p}")
        eq([e["field"] for e in p["errors"]], ["evidence[0]"], "the field named")
        s, _, q = report(w, rec, [ref_of(b"never uploaded by anyone", "x.jpg")], w.coordinator_a)
        eq(s, 422, q)
        eq(p["errors"], q["errors"], "the same words whether or not such a file is stored")
    eq(w.download(theirs["sha256"], w.coordinator_a)[0], 404, "and it cannot be downloaded")

    # Uploading the same bytes says nothing of who else has them: 201 for a first upload.
    s, _, mine = w.upload(photo, "锦江巡查.jpg", w.coordinator_a)
    eq((s, mine), (201, ref_of(photo, "锦江巡查.jpg")), "a first upload by this caller")
    s, _, again = w.upload(photo, "锦江巡查.jpg", w.coordinator_a)
    eq(s, 200, "its own file again")
    eq(w.db.count("evidence", f"sha256 = '{mine['sha256']}'"), 1, "stored once")
    s, hdrs, body = w.download(mine["sha256"], w.coordinator_a)
    eq((s, body), (200, photo), "its own upload")
    check("%E9%94%A6%E6%B1%9F" in hdrs["content-disposition"], f"under the name it gave: {hdrs['content-disposition']}")
    s, _, h = report(w, rec, [mine], w.coordinator_a)
    eq(s, 201, f"its own upload is cited: {h}")
    # Row-level security: an account's uploads are its own, also straight in SQL.
    ua, ub = account_of(w, w.coordinator_a), account_of(w, w.coordinator_b)
    uploads = ("SELECT coalesce(string_agg(DISTINCT account_id::text, ','), '-') || ' ' || count(*) FROM evidence_upload u "
               f"JOIN evidence ev ON ev.id = u.evidence_id WHERE ev.sha256 = '{mine['sha256']}'")
    eq(w.db.sql(uploads), f"{min(ua, ub)},{max(ua, ub)} 2", "two uploads of one file")
    as_account = lambda role, j, account, sql: w.db.as_role(role, sql, jurisdiction=j, account=account)
    eq(as_account("coordinator", A, ua, uploads), f"{ua} 1", "SQL: coordinator A sees its own upload only")
    eq(as_account("coordinator", B, ub, uploads), f"{ub} 1", "SQL: coordinator B its own")
    eq(as_account("city_supervisor", "", "", uploads), "- 0", "SQL: no account stated, none")
    check("row-level security" in as_account("coordinator", A, ua,
                                             f"INSERT INTO evidence_upload (evidence_id, account_id, name, content_type, "
                                             f"bytes) SELECT id, {ub}, 'x', 'image/jpeg', 1 FROM evidence LIMIT 1"),
          "SQL: no upload in another account's name")

    # A file cited in a record the caller may read may be cited again; by no one else.
    s, _, h2 = report(w, rec, [dict(mine, name="复查.jpg")], w.district_a)
    eq(s, 201, f"a district cites what it reads in its hazard: {h2}")
    s, hdrs, _ = w.download(mine["sha256"], w.district_a)
    eq(s, 200, "and downloads it")
    check("%E9%94%A6%E6%B1%9F" in hdrs["content-disposition"] or "%E5%A4%8D%E6%9F%A5" in hdrs["content-disposition"],
          f"under a name it may see: {hdrs['content-disposition']}")
    check("%E9%9D%92%E7%BE%8A" not in hdrs["content-disposition"], "never under another caller's name")
    other = w.register(jurisdiction=B)
    s, _, p = report(w, other, [mine], w.district_b)
    eq((s, [e["field"] for e in p["errors"]]), (422, ["evidence[0]"]), f"not by a district that reads no citing record")

    # A rectification step: the user unit cites what it may read, not another caller's file.
    h = w.open_hazard(rec, "rect_evidence", tok=w.district_a, description="d")
    r = w.open_rectification([h], "EV-1", "2026-07-15", tok=w.district_a)
    r = step(w, r, "acknowledge", w.user_a)
    r = step(w, r, "start", w.user_a)
    # The unit reads the hazard that cites the 锦江区 coordinator's photo, so it may cite it too.
    r = step(w, r, "submit", w.user_a, note="完成", evidence=[ref_of(photo, "门锁.jpg")])
    theirs_only = b"\xff\xd8 only in qingyang"
    eq(w.upload(theirs_only, "b.jpg", w.coordinator_b)[0], 201, "another file of 青羊区")
    r2 = step(w, r, "reject", w.district_a, opinion="重做", deadline="2026-07-30")
    s, p = act(w, r2, "submit", w.user_a, note="完成", evidence=[ref_of(theirs_only, "b.jpg")])
    eq((s, [e["field"] for e in p["errors"]]), (422, ["evidence[0]"]), f"a step cites no unread file: {p}")


def test_uploads_are_for_the_roles_that_cite_evidence(w):
    with w.db.unchanged("nothing stored"):
        for tok, who in ((w.admin, "admin"), (w.agency, "agency")):
            s, _, p = w.upload(b"\xff\xd8 " + who.encode(), "x.jpg", tok)
            eq(s, 403, f"{who} cites no evidence, so uploads none: {p}")
    for tok, who in ((w.city, "city"), (w.district_a, "district"), (w.coordinator_a, "coordinator"),
                     (w.user_a, "user unit")):
        eq(w.upload(b"\xff\xd8 from the " + who.encode(), "x.jpg", tok)[0], 201, f"a {who} uploads")


def test_an_account_has_a_daily_quota(w):
    w.restart(env={"SEREG_NOW": TODAY, "SEREG_EVIDENCE_MAX": "2048", "SEREG_EVIDENCE_QUOTA": "5000"}, threads=8)
    tok = token(w.db, "coordinator", jurisdiction=A)
    files = [bytes([i]) * 2000 for i in range(1, 4)]
    eq(w.upload(files[0], "1.jpg", tok)[0], 201, "first")
    eq(w.upload(files[1], "2.jpg", tok)[0], 201, "second")
    with w.db.unchanged("nothing stored"):
        s, hdrs, p = w.upload(files[2], "3.jpg", tok, headers={"Idempotency-Key": "quota-3"})
        eq(s, 429, f"over 5000 bytes in 24 hours: {p}")
        eq(hdrs.get("content-type"), "application/problem+json", "a problem")
        check(hdrs.get("retry-after", "").isdigit() and 0 < int(hdrs["retry-after"]) <= 86400,
              f"Retry-After: {hdrs.get('retry-after')}")
    eq(w.upload(files[0], "1.jpg", tok)[0], 200, "its own file again costs nothing")
    s, _, _ = w.upload(b"\xff\xd8 " + b"x" * 1990, "x.jpg", w.coordinator_a)
    eq(s, 201, "another account has its own quota")
    # A file someone else already stored counts the same: the answer tells nothing.
    stored = b"\xff\xd8 stored by another " + b"s" * 1000
    eq(w.upload(stored, "s.jpg", w.coordinator_b)[0], 201, "stored by another account")
    eq(w.upload(stored, "s.jpg", tok)[0], 429, "still over the quota")
    # A day later the window has moved on; the kept key does not replay the refusal.
    w.db.sql(f"UPDATE evidence_upload SET uploaded_at = uploaded_at - interval '25 hours' "
             f"WHERE account_id = {account_of(w, tok)}")
    s, hdrs, _ = w.upload(files[2], "3.jpg", tok, headers={"Idempotency-Key": "quota-3"})
    eq((s, hdrs.get("idempotent-replayed")), (201, None), "accepted a day later")

    # Uploads at once: however they interleave, no more than the quota gets in.
    for round_ in range(5):
        t = token(w.db, "coordinator", jurisdiction=A)
        answers = []
        def go(i):
            answers.append(w.upload(bytes([100 + 10 * round_ + i]) * 2000, f"{i}.jpg", t)[0])
        threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        eq(sorted(answers), [201, 201, 429, 429], f"round {round_}: two of four 2000-byte files fit in 5000")

    for value in ("lots", "0", "1000"):
        start_refused(w.db, {"SEREG_EVIDENCE_QUOTA": value})  # a bad quota stops the start


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
