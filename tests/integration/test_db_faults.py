"""A bad day for the database: PostgreSQL restarts under a running server, or is down for a while.
These tests run their own throwaway cluster, since they stop and start it."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import harness
from harness import run, tests_of, check, eq, elevator
from world import World, A

PG_BIN = "/usr/lib/postgresql/15/bin"


def as_owner(args):
    """PostgreSQL refuses to run as root: as root, the cluster belongs to the 'sereg' system user
    that scripts/test.sh creates."""
    if os.getuid() == 0:
        return ["runuser", "-u", "sereg", "--"] + args
    return args


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sereg-faults-")
        if os.getuid() == 0:
            shutil.chown(self.dir, "sereg")
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        subprocess.run(as_owner([PG_BIN + "/initdb", "-D", self.data, "-U", "sereg", "--auth=trust", "-E", "UTF8",
                                 "--locale=C.UTF-8"]), check=True, capture_output=True)
        self.dsn = f"host={self.dir} port=54331 user=sereg"
        self.start()

    def ctl(self, *args):
        r = subprocess.run(as_owner([PG_BIN + "/pg_ctl", "-D", self.data, "-w", "-l", self.data + "/server.log",
                                     *args]), capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {r.stderr}")

    def start(self):
        self.ctl("-o", f"-c listen_addresses='' -c unix_socket_directories='{self.dir}' -p 54331 -c fsync=off", "start")

    def stop(self):
        self.ctl("-m", "fast", "stop")

    def restart(self):
        self.ctl("-m", "fast", "restart")

    def remove(self):
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def many_gets(f, n=40):
    """<n> list requests at once, so that every worker thread (and its connection) serves some."""
    out = []

    def one():
        try:
            out.append(f.server.get("/api/v1/equipment?limit=1", tok=f.city)[0])
        except OSError as e:
            out.append(repr(e))
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_a_postgresql_restart_costs_no_request(f):
    eq(sorted(set(many_gets(f))), [200], "before")
    f.cluster.restart()
    answers = many_gets(f)
    eq([a for a in answers if a != 200], [], "after the restart every request is served")


def test_a_keyed_request_while_the_database_is_down_runs_once_it_is_back(f):
    body = elevator(f.code(), A, f.unit_a, f.maint)
    key = {"Idempotency-Key": "while-down"}
    f.cluster.stop()
    try:
        s, h, r = f.server.post("/api/v1/equipment", body, tok=f.city, headers=key)
        eq(s, 503, f"the database is down: {r}")
        eq(h.get("retry-after"), "1", "come back soon")
    finally:
        f.cluster.start()
    s, h, r = f.server.post("/api/v1/equipment", body, tok=f.city, headers=key)
    eq(s, 201, f"once it is back the key is free and the request runs: {r}")
    check("idempotent-replayed" not in h, "not a replay of the 503")
    s2, h2, r2 = f.server.post("/api/v1/equipment", body, tok=f.city, headers=key)
    eq((s2, r2, h2.get("idempotent-replayed")), (201, r, "true"), "and its outcome is kept")
    eq(f.db.count("equipment", f"equipment_code = '{body['equipment_code']}'"), 1, "registered once")


def test_log_records_are_one_line_each(f):
    """libpq's messages run over several lines; the log keeps one record to a line, so that a
    log reader never takes the second half of a message for a record of its own."""
    f.cluster.stop()
    try:
        eq(f.server.get("/api/v1/equipment", tok=f.city)[0], 503, "down")
    finally:
        f.cluster.start()
    eq(f.server.get("/api/v1/equipment", tok=f.city)[0], 200, "back")
    lines = f.server.output().splitlines()
    check(any("cannot connect" in line for line in lines), "the failure is logged")
    record = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error) \S")
    bad = [line for line in lines if not record.match(line)]
    eq(bad, [], "every line is a whole record")


def test_notices_go_on_after_a_postgresql_restart(f):
    from receivers import Receiver
    f.restart(env={"SEREG_WEBHOOK_ALLOW": "127.0.0.0/8", "SEREG_WEBHOOK_RETRY_SCHEDULE": "0s,1s,1s,1s,1s"})
    r = Receiver()
    s, _, sub = f.server.post("/api/v1/subscriptions", {"url": r.url, "event_types": ["equipment.registered"]},
                              tok=f.admin)
    eq(s, 201, f"subscription: {sub}")
    for _ in range(10):
        f.register(A)
    f.cluster.restart()
    for _ in range(10):
        f.register(A)
    deadline = time.time() + 30
    while time.time() < deadline and len({x.headers["webhook-id"] for x in r.requests}) < 20:
        time.sleep(0.2)
    eq(len({x.headers["webhook-id"] for x in r.requests}), 20, "every notice, before and after the restart")
    r.stop()


def setup():
    """The world in a cluster of its own (the harness's Database makes its database in it)."""
    cluster = Cluster()
    harness.PG = cluster.dsn
    try:
        w = World("db_faults")
    except BaseException:
        cluster.remove()
        raise
    w.cluster = cluster
    return w


def teardown(w):
    try:
        w.close()
    finally:
        w.cluster.remove()


if __name__ == "__main__":
    harness.require_cluster()
    run(tests_of(globals()), setup=setup, teardown=teardown)
