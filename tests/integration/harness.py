"""harness.py -- integration tests against a real PostgreSQL cluster and the real `sereg serve`.

Each test file gets its own database in the cluster that scripts/test.sh started (SEREG_TEST_PG),
migrates it with the real binary, starts the real server on a free port, and talks HTTP to it.
Only the standard library is used. A test is a function named test_*; run() prints one line per
test and the closing 'N passed, N failed'.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

PG = os.environ.get("SEREG_TEST_PG", "")
BIN = os.environ.get("SEREG_BIN", "")
SRC = os.environ.get("SEREG_SOURCE", "")


def require_cluster():
    if not PG or not BIN:
        print("SKIP: run through scripts/test.sh (needs SEREG_TEST_PG and SEREG_BIN)")
        sys.exit(77)


class Database:
    """A fresh database named after the test file, dropped and recreated on each run."""

    def __init__(self, name):
        self.name = re.sub(r"[^a-z0-9_]", "_", name.lower())
        admin = PG + " dbname=postgres"
        # The server connects as an ordinary role, as in production: a superuser would bypass
        # row-level security, and the tests check that it holds.
        # Tests run in parallel: two may race to create the role, and both must go on.
        self._psql(admin, "DO $$ BEGIN CREATE ROLE sereg_app LOGIN NOSUPERUSER; "
                          "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        self._psql(admin, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        self._psql(admin, f"CREATE DATABASE {self.name} OWNER sereg_app")
        self.dsn = re.sub(r"user=\S+", "user=sereg_app", PG) + f" dbname={self.name}"

    @staticmethod
    def _psql(dsn, sql):
        r = subprocess.run(["psql", dsn, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def sql(self, sql):
        """Runs <sql> as the table owner with the system role set, so RLS shows every row."""
        return self._psql(self.dsn, "SET sereg.role = 'system'; " + sql)

    def sql_raw(self, sql):
        r = subprocess.run(["psql", self.dsn, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True)
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    def count(self, table, where="true"):
        return int(self.sql(f"SELECT count(*) FROM {table} WHERE {where}"))

    def snapshot(self):
        """A digest of every row of every table: equal snapshots mean nothing changed."""
        tables = self.sql("SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables "
                          "WHERE schemaname = 'public'").split()
        parts = [f"(SELECT '{t}:' || count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') "
                 f"FROM {t} x)" for t in tables]
        return self.sql("SELECT " + " || ' ' || ".join(parts))

    def migrate(self, sql_dir=None):
        args = ["migrate"] + (["--sql", sql_dir] if sql_dir else [])
        return sereg(*args, db=self)


class LockHolder:
    """A psql session that holds <lock_sql> (e.g. "LOCK TABLE equipment IN EXCLUSIVE MODE") in an
    open transaction until release(): requests that need the lock wait, as behind a slow one."""

    def __init__(self, db, lock_sql):
        self.db = db
        self.proc = subprocess.Popen(["psql", db.dsn, "-qX", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write("SET application_name = 'sereg-test-lock'; BEGIN; " + lock_sql + "; "
                              "SELECT pg_sleep(0);\n")
        self.proc.stdin.flush()
        deadline = time.time() + 10
        while time.time() < deadline:
            if db.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sereg-test-lock' "
                      "AND state = 'idle in transaction'") == "1":
                return
            time.sleep(0.02)
        raise RuntimeError("the lock holder did not take its lock")

    def wait_for_waiters(self, n=1, timeout=10):
        """Waits until <n> other sessions wait for a lock."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if int(self.db.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")) >= n:
                return
            time.sleep(0.02)
        raise RuntimeError("nobody waits for the lock")

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("COMMIT;\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


def sereg(*args, db=None, env=None, check=False, timeout=120):
    e = dict(os.environ)
    e.pop("SEREG_NOW", None)
    if db:
        e["DATABASE_URL"] = db.dsn
    if env:
        e.update(env)
    r = subprocess.run([BIN, *args], capture_output=True, text=True, env=e, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"sereg {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def token(db, role, jurisdiction=None, org=None):
    args = ["token", "create", "--role", role]
    if jurisdiction:
        args += ["--jurisdiction", jurisdiction]
    if org:
        args += ["--org", org]
    return sereg(*args, db=db, check=True).stdout.strip().splitlines()[-1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sereg serve` on a free port, stopped with SIGTERM."""

    def __init__(self, db, plugin_dir=None, env=None, threads=4, sweep_every=0):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sereg-serve-", suffix=".log", delete=False)
        e = dict(os.environ)
        e["DATABASE_URL"] = db.dsn
        e.pop("SEREG_NOW", None)
        if env:
            e.update(env)
        # no background sweeps unless a test asks: they would write hazards under other tests
        args = [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--threads", str(threads),
                "--sweep-every", str(sweep_every)]
        if plugin_dir:
            args += ["--plugins", plugin_dir]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=e)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + self.output())
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not come up:\n" + self.output())

    def output(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, tok=None, headers=None, raw=None, timeout=30):
        """Returns (status, headers dict with lower-case names, parsed JSON body or None)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {}
        if tok:
            h["Authorization"] = "Bearer " + tok
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return r.status, hdrs, parsed

    def get(self, path, tok=None, **kw):
        return self.request("GET", path, tok=tok, **kw)

    def post(self, path, body=None, tok=None, **kw):
        return self.request("POST", path, body=body, tok=tok, **kw)

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def kill(self):
        """kill -9: no clean-up of any kind, as a crash or the OOM killer would do it."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        os.unlink(self.log.name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise RuntimeError("server did not stop on SIGTERM")
        rc = self.proc.returncode
        if rc != 0:  # a sanitizer report or a crash: show it with the failure
            sys.stderr.write(self.output()[-20000:])
        os.unlink(self.log.name)
        return rc


# ---- the demo's deterministic credit codes (same algorithm as core/ident.c) ----

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def org_check(body):
    v = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_WEIGHTS))
    c = 11 - v % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc(division, body8):
    """A valid unified social credit code for an enterprise registered in <division>."""
    s = "91" + division + body8 + org_check(body8)
    c = 31 - sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(s, USCC_WEIGHTS)) % 31
    return s + USCC_ALPHABET[0 if c == 31 else c]


def elevator(code, jurisdiction, unit, maint, **over):
    body = {
        "type": "elevator", "equipment_code": code, "jurisdiction": jurisdiction, "user_unit": unit,
        "address": "测试路 1 号", "commissioned_on": "2020-05-01",
        "attributes": {"variety": code[:4], "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 12,
                       "maintenance_unit": maint},
    }
    body.update(over)
    return body


# ---- the runner ----

def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def run(tests, setup=None, teardown=None):
    require_cluster()
    passed = failed = 0
    ctx = setup() if setup else None
    try:
        for t in tests:
            try:
                t(ctx) if setup else t()
                print(f"ok   {t.__name__}")
                passed += 1
            except Exception:  # a failing test prints why and the run goes on
                print(f"FAIL {t.__name__}")
                traceback.print_exc()
                failed += 1
    finally:
        if teardown:
            teardown(ctx)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


def tests_of(module_globals):
    return [f for n, f in module_globals.items() if n.startswith("test_") and callable(f)]


def copy_dir(src):
    d = tempfile.mkdtemp(prefix="sereg-test-")
    shutil.rmtree(d)
    shutil.copytree(src, d)
    return d
