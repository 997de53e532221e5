"""Which plugin set was active when, on the record: a server's start records its set, a restart
with the same files records nothing, a SIGHUP after an edit records the new set; GET
/api/v1/plugins shows the set in force and the history, to any role and to no one without a
token."""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time

from harness import run, tests_of, check, eq, PLUGINS, copy_dir, BIN, sereg_env, die_with_us
from world import World

ROLES = ("city", "admin", "district_a", "coordinator_a", "user_a", "agency")


def setup():
    d = copy_dir(PLUGINS)
    w = World("plugin_activation", plugin_dir=d)
    w.plugin_dir = d
    return w


def rows(w):
    """[(id, event, digest)] of plugin_activation, oldest first."""
    out = w.db.sql("SELECT id || '|' || event || '|' || digest FROM plugin_activation ORDER BY id")
    return [tuple(x.split("|")) for x in out.splitlines()]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def files_of(d):
    return {f: sha(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".lua")}


def plugins(w, tok, query=""):
    s, _, body = w.server.get("/api/v1/plugins" + query, tok=tok)
    eq(s, 200, body)
    return body


def test_a_start_records_the_set_and_a_restart_with_the_same_files_nothing(w):
    first = rows(w)
    eq([e for _, e, _ in first], ["serve.start"], "the start is on the record")
    eq(w.db.count("audit_log", "action = 'plugins.activate'"), 1, "with its audit record")
    w.restart(plugin_dir=w.plugin_dir)
    eq(rows(w), first, "the same files again: nothing new")
    body = plugins(w, w.city)
    a = body["active"]
    eq({f["file"]: f["sha256"] for f in a["files"]}, files_of(w.plugin_dir), "each file with its SHA-256")
    eq((a["digest"], a["recorded_as"]), (first[0][2], int(first[0][0])), "the set in force is the one recorded")
    lift = next(f for f in a["files"] if f["file"] == "elevator.lua")
    eq([(x["kind"], x["code"]) for x in lift["declarations"]], [("equipment_type", "elevator")], lift)
    check(re.match(r"^\d+\.\d+\.\d+$", lift["declarations"][0]["version"]), lift)
    ladder = next(f for f in a["files"] if f["file"] == "escalation.lua")
    eq(ladder["declarations"][0]["kind"], "escalation", ladder)


def test_a_sighup_after_an_edit_records_one_more(w):
    before = rows(w)
    path = os.path.join(w.plugin_dir, "elevator.lua")
    with open(path) as f:
        src = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r'version = "[0-9.]+"', 'version = "7.7.7"', src, count=1))
    w.server.hup()
    deadline = time.time() + 10
    while len(rows(w)) == len(before) and time.time() < deadline:
        time.sleep(0.1)
    after = rows(w)
    eq(len(after), len(before) + 1, "one more row")
    eq(after[-1][1], "serve.reload", "on the reload")
    check(after[-1][2] != before[-1][2], "another digest")
    w.server.hup()  # the same files once more: nothing
    time.sleep(1)
    eq(rows(w), after, "a reload of the same files records nothing")
    for role in ROLES:
        body = plugins(w, getattr(w, role))
        eq(body["active"]["recorded_as"], int(after[-1][0]), role)
        lift = next(f for f in body["active"]["files"] if f["file"] == "elevator.lua")
        eq((lift["sha256"], lift["declarations"][0]["version"]), (sha(path), "7.7.7"), role)
        eq([(str(h["id"]), h["event"], h["digest"]) for h in body["history"]["items"]], after, role)
    # paged like the other lists: one at a time, by keyset cursor, oldest first
    seen, cursor = [], None
    while True:
        page = plugins(w, w.user_a, "?limit=1" + (f"&cursor={cursor}" if cursor else ""))["history"]
        check(len(page["items"]) <= 1, page)
        seen += [(str(h["id"]), h["event"], h["digest"]) for h in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    eq(seen, after, "every row once, in order")
    eq(w.db.count("audit_log", "action = 'plugins.activate'"), len(after), "an audit record each")


def test_who_may_read_it(w):
    eq(w.server.get("/api/v1/plugins")[0], 401, "no token")
    eq(w.server.get("/api/v1/plugins", tok="sr_not_a_token")[0], 401, "a bad token")
    s, _, body = w.server.get("/api/v1/plugins?cursor=zzz", tok=w.city)
    eq((s, body.get("errors", [{}])[0].get("field")), (400, "cursor"), body)
    s, _, body = w.server.get("/api/v1/plugins?limit=0", tok=w.city)
    eq(s, 400, body)



def test_the_notice_worker_alone_records_its_set_too(w):
    """`sereg deliver` renders notices with the format plugins it loaded: its start and its
    SIGHUP reloads are on the record as a server's are."""
    d = copy_dir(PLUGINS)
    try:
        with open(os.path.join(d, "notice_wecom.lua"), "a") as f:
            f.write("-- the worker's own copy\n")
        before = len(rows(w))
        p = subprocess.Popen([BIN, "deliver", "--plugins", d], env=sereg_env(w.db), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, preexec_fn=die_with_us)
        try:
            def events():
                return [e for _, e, _ in rows(w)[before:]]
            deadline = time.time() + 20
            while events() != ["deliver.start"] and time.time() < deadline:
                time.sleep(0.2)
            eq(events(), ["deliver.start"], "the worker's start")
            with open(os.path.join(d, "notice_wecom.lua"), "a") as f:
                f.write("-- edited again\n")
            p.send_signal(signal.SIGHUP)
            deadline = time.time() + 20
            while len(events()) < 2 and time.time() < deadline:
                time.sleep(0.2)
            eq(events(), ["deliver.start", "deliver.reload"], "and its reload")
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
    finally:
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
