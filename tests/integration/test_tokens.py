"""Tokens end: they expire, and `sereg token revoke` ends them at once; `sereg token list` says
which are live without ever showing one."""
import datetime
import re

from harness import run, tests_of, check, eq, migrated, Server, sereg


def create(db, *args):
    r = sereg("token", "create", "--role", "city_supervisor", *args, db=db)
    eq(r.returncode, 0, r.stderr)
    out = dict(line.split(": ", 1) for line in r.stdout.strip().splitlines()[:-1])
    return r.stdout.strip().splitlines()[-1], out


def works(srv, tok):
    return srv.get("/api/v1/jurisdictions", tok=tok)[0]


def test_a_token_lasts_90_days_unless_told_otherwise(t):
    db, srv = t
    tok, out = create(db)
    expires = datetime.datetime.strptime(out["expires"], "%Y-%m-%dT%H:%M:%SZ")
    days = (expires - datetime.datetime.utcnow()).total_seconds() / 86400
    check(89.9 < days <= 90.01, f"90 days: {out}")
    eq(works(srv, tok), 200, "a new token works")
    tok, out = create(db, "--expires", "7d")
    days = (datetime.datetime.strptime(out["expires"], "%Y-%m-%dT%H:%M:%SZ") - datetime.datetime.utcnow()).days
    eq(days, 6, f"seven days (6 whole days and some hours left): {out}")
    tomorrow = (datetime.datetime.utcnow() + datetime.timedelta(hours=8) + datetime.timedelta(days=1)).date()
    tok, out = create(db, "--expires", tomorrow.isoformat())
    check(out["expires"].startswith(tomorrow.isoformat()), f"a date ends at the end of that day in 成都: {out}")
    tok, out = create(db, "--expires", "never")
    eq(out["expires"], "never", "never, when asked for")
    eq(db.count("audit_log", "action = 'token.create' AND detail->'expires_at' = 'null'"), 1, "on the record")


def test_an_expired_token_is_refused(t):
    db, srv = t
    tok, out = create(db, "--expires", "1d")
    eq(works(srv, tok), 200, "before")
    db.sql(f"UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = {out['token id']}")
    s, h, r = srv.get("/api/v1/jurisdictions", tok=tok)
    eq(s, 401, "after its expiry")
    check("bearer" in h.get("www-authenticate", "").lower(), "a bearer challenge")


def test_revoking_ends_a_token_at_once(t):
    db, srv = t
    by_id, out1 = create(db)
    by_value, _ = create(db)
    r = sereg("token", "revoke", out1["token id"], "--reason", "离职", db=db)
    eq((r.returncode, r.stdout.strip()), (0, "revoked 1 token"), r.stderr)
    eq(works(srv, by_id), 401, "revoked by id")
    eq(works(srv, by_value), 200, "the other still works")
    r = sereg("token", "revoke", "--token", by_value, db=db)
    eq(r.returncode, 0, r.stderr)
    eq(works(srv, by_value), 401, "revoked by its value")
    eq(db.count("audit_log", f"action = 'token.revoke' AND target_id = '{out1['token id']}' "
                             f"AND detail->>'reason' = '离职'"), 1, "audited with its reason")
    r = sereg("token", "revoke", out1["token id"], db=db)
    eq((r.returncode, r.stdout.strip()), (0, "revoked 0 tokens"), "revoking twice changes nothing")


def test_revoking_an_account_ends_all_its_tokens(t):
    db, srv = t
    tok, out = create(db)
    second = db.sql(f"INSERT INTO api_token (account_id, token_hash) VALUES ({out['account']}, "
                    f"encode(sha256('sr_second-token-of-the-same-account-xxxxxxxxxx'), 'hex')) RETURNING id")
    r = sereg("token", "revoke", "--account", out["account"], db=db)
    eq((r.returncode, r.stdout.strip()), (0, "revoked 2 tokens"), r.stderr)
    eq(works(srv, tok), 401, "gone")
    eq(db.count("api_token", f"id = {second.split()[0]} AND revoked_at IS NOT NULL"), 1, "both")


def test_bad_revocations_and_expiries_say_why_and_change_nothing(t):
    db, srv = t
    with db.unchanged("nothing changed"):
        for args, words in [(["revoke", "999999"], "No token 999999"),
                            (["revoke", "--token", "sr_nope"], "No such token"),
                            (["revoke", "--account", "999999"], "no tokens")]:
            r = sereg("token", *args, db=db)
            eq(r.returncode, 1, f"{args}")
            check(words in r.stderr, f"{args}: {r.stderr}")
        for args in (["revoke"], ["revoke", "1", "--token", "x"], ["revoke", "abc"]):
            eq(sereg("token", *args, db=db).returncode, 2, f"usage: {args}")
        for expires in ("0d", "3651d", "2020-01-01", "soon", "12", "2999-01-01", ""):
            r = sereg("token", "create", "--role", "admin", "--expires", expires, db=db)
            eq(r.returncode, 1, f"--expires {expires!r}")
            check("expires:" in r.stderr, f"{expires!r}: {r.stderr}")


def test_the_list_shows_states_never_tokens(t):
    db, srv = t
    tok, out = create(db, "--name", "列表测试")
    sereg("token", "revoke", out["token id"], db=db, check=True)
    r = sereg("token", "list", db=db)
    eq(r.returncode, 0, r.stderr)
    check(tok not in r.stdout and "sr_" not in r.stdout, "no token values")
    hashes = db.sql("SELECT string_agg(token_hash, ' ') FROM api_token").split()
    check(not any(h in r.stdout for h in hashes), "no hashes")
    row = [line for line in r.stdout.splitlines() if line.split()[0] == out["token id"]]
    eq(len(row), 1, r.stdout)
    check(re.search(r"\brevoked\b", row[0]) and "列表测试" in row[0], row[0])
    r = sereg("token", "list", "--account", out["account"], db=db)
    eq(len(r.stdout.strip().splitlines()), 2, "a header and the account's one token")


def setup():
    db = migrated("tokens")
    return db, Server(db)


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda t: t[1].stop())
