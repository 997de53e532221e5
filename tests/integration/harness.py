"""harness.py -- integration tests against a real PostgreSQL cluster and the real `sereg serve`.

Each test file gets its own database in the cluster that scripts/test.sh started (SEREG_TEST_PG),
migrates it with the real binary, starts the real server on a free port, and talks HTTP to it.
Only the standard library is used. A test is a function named test_*; run() prints one line per
test and the closing 'N passed, N failed'.

What several test files need lives here once: the database and its snapshots, the server, the
command line (sweeps among it), raw sockets, dates and request bodies. The small city the API
tests share, and the steps taken in it, are in world.py.
"""
import contextlib
import ctypes
import datetime
import hashlib
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
PLUGINS = os.path.join(SRC, "plugins")
SQL = os.path.join(SRC, "sql")
TEST_SECRET_KEY = "7e57" * 16


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

    def as_role(self, role, sql, **settings):
        """<sql> straight in the database as <role>, with sereg.<name> set to each of <settings>
        (jurisdiction=, org=, account=, today=), inside a transaction that is rolled back: row-level
        security sees the caller the server would state. The last line <sql> printed ('' if none),
        or 'ERROR: ' and psql's message."""
        names = {"role": role, **settings}
        stated = ", ".join(f"set_config('sereg.{k}', '{v}', true)" for k, v in names.items())
        rc, out, err = self.sql_raw(f"BEGIN; SELECT {stated}; {sql}; ROLLBACK")
        if rc != 0:
            return "ERROR: " + err
        lines = out.splitlines()
        return lines[-1] if len(lines) > 1 else ""

    def count(self, table, where="true"):
        return int(self.sql(f"SELECT count(*) FROM {table} WHERE {where}"))

    def snapshot(self):
        """A digest of every row of every table: equal snapshots mean nothing changed. The mark
        the delivery worker puts on an event it has fanned out is left out: the worker does that
        to earlier changes whenever it runs, and it is no change of the request under test."""
        tables = self.sql("SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables "
                          "WHERE schemaname = 'public'").split()
        row = {"outbox": "(to_jsonb(x) - 'fanned_out_at')::text"}
        parts = [f"(SELECT '{t}:' || count(*) || ':' || coalesce(md5(string_agg({row.get(t, 'x::text')}, ',' "
                 f"ORDER BY {row.get(t, 'x::text')})), '') FROM {t} x)" for t in tables]
        return self.sql("SELECT " + " || ' ' || ".join(parts))

    @contextlib.contextmanager
    def unchanged(self, what="nothing changed"):
        """`with db.unchanged(...):` asserts that no row of any table changed inside the block."""
        before = self.snapshot()
        yield
        eq(self.snapshot(), before, what)

    def migrate(self, sql_dir=None):
        args = ["migrate"] + (["--sql", sql_dir] if sql_dir else [])
        return sereg(*args, db=self)


def migrated(name, sql_dir=None):
    """A fresh database <name> migrated by `sereg migrate` (from <sql_dir> instead of sql/, if
    given); the migration must succeed."""
    db = Database(name)
    r = db.migrate(sql_dir)
    eq(r.returncode, 0, f"migrate: {r.stderr}")
    return db


class LockHolder:
    """A psql session that holds <lock_sql> (e.g. "LOCK TABLE equipment IN EXCLUSIVE MODE") in an
    open transaction until release(): requests that need the lock wait, as behind a slow one."""

    taken = 0

    def __init__(self, db, lock_sql):
        self.db = db
        self.proc = subprocess.Popen(["psql", db.dsn, "-qX", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # A name of its own: tests running at once in other databases hold locks of their own.
        LockHolder.taken += 1
        name = f"sereg-test-lock-{os.getpid()}-{LockHolder.taken}"
        self.proc.stdin.write(f"SET application_name = '{name}'; BEGIN; " + lock_sql + "; "
                              "SELECT pg_sleep(0);\n")
        self.proc.stdin.flush()
        deadline = time.time() + 10
        while time.time() < deadline:
            if db.sql(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}' "
                      "AND datname = current_database() AND state = 'idle in transaction'") == "1":
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


# ---- the command line ----

_LIBC = ctypes.CDLL(None, use_errno=True)


def die_with_us():
    """For Popen's preexec_fn: the child is killed when the test process dies, however it dies
    (a test killed by its timeout must not leave a server delivering into the next run's
    database, or receivers holding ports)."""
    _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def sereg_env(db=None, env=None):
    """The environment a sereg process gets: this one's, without SEREG_NOW (a test sets the day it
    means), with DATABASE_URL for <db> and <env> on top."""
    e = dict(os.environ)
    e.pop("SEREG_NOW", None)
    # English messages unless a test asks for another language (base/i18n.h reads these)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        e.pop(name, None)
    e["LANG"] = "C.UTF-8"
    # the key of subscriptions' secrets (a test that wants none passes SEREG_SECRET_KEY="")
    e.setdefault("SEREG_SECRET_KEY", TEST_SECRET_KEY)
    if db:
        e["DATABASE_URL"] = db.dsn
    if env:
        e.update(env)
    return e


def sereg(*args, db=None, env=None, check=False, timeout=120):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, env=sereg_env(db, env), timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"sereg {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def sweep(db, now, plugins=None, ok=True, clean=False, env=None):
    """`sereg sweep --now <now>` on <db> (with --plugins <plugins>, and <env>): the finished
    process. With <ok> it must succeed; with <clean> it must also have logged no error."""
    r = sereg("sweep", "--now", now, *(["--plugins", plugins] if plugins else []), db=db, env=env)
    if ok:
        eq(r.returncode, 0, f"sweep failed: {r.stderr}")
    if clean:
        check(" error " not in r.stderr, f"the sweep logged errors: {r.stderr}")
    return r


def sweeps_at_once(db, now, n=2):
    """<n> `sereg sweep --now <now>` processes started together on <db>; (status, stdout, stderr)
    of each once all have ended."""
    procs = [subprocess.Popen([BIN, "sweep", "--now", now], env=sereg_env(db), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    outs = [p.communicate(timeout=120) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outs)]


def routes():
    """`sereg routes`, a line per route: METHOD PATH ROLES."""
    r = sereg("routes")
    eq(r.returncode, 0, r.stderr)
    return r.stdout.splitlines()


def start_refused(db, env):
    """`sereg serve` with <env>: it must refuse to start (status 2), naming each of <env>'s
    variables, before it serves at all."""
    try:
        r = sereg("serve", "--listen", "127.0.0.1:1", db=db, env=env, timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{env}: the server started instead of refusing")
    eq(r.returncode, 2, f"{env}: refused: {r.stderr}")
    for name in env:
        check(name in r.stderr, f"{env}: the refusal names {name}: {r.stderr}")
    return r


def token(db, role, jurisdiction=None, org=None):
    args = ["token", "create", "--role", role]
    if jurisdiction:
        args += ["--jurisdiction", jurisdiction]
    if org:
        args += ["--org", org]
    return sereg(*args, db=db, check=True).stdout.strip().splitlines()[-1]


# ---- the server ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, method, path, tok=None, headers=None, data=None, timeout=30):
    """One request to 127.0.0.1:<port> (see Server.fetch)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {}
    if tok:
        h["Authorization"] = "Bearer " + tok
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, body


class Server:
    """`sereg serve` on a free port, stopped with SIGTERM; it delivers notices unless <deliver> is
    false."""

    def __init__(self, db, plugin_dir=None, env=None, threads=4, sweep_every=0, deliver=True):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sereg-serve-", suffix=".log", delete=False)
        # no background sweeps unless a test asks: they would write hazards under other tests
        args = [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--threads", str(threads),
                "--sweep-every", str(sweep_every)]
        if plugin_dir:
            args += ["--plugins", plugin_dir]
        if not deliver:
            args += ["--deliver", "off"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=sereg_env(db, env),
                                     preexec_fn=die_with_us)
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

    def fetch(self, method, path, tok=None, headers=None, data=None, timeout=30):
        """One request of <data> (bytes, sent as JSON unless <headers> say otherwise): (status,
        headers dict with lower-case names, the body's bytes)."""
        return fetch(self.port, method, path, tok=tok, headers=headers, data=data, timeout=timeout)

    def request(self, method, path, body=None, tok=None, headers=None, raw=None, timeout=30):
        """Returns (status, headers dict with lower-case names, parsed JSON body or None)."""
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
        status, hdrs, text = self.fetch(method, path, tok=tok, headers=headers, data=data, timeout=timeout)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, hdrs, parsed

    def get(self, path, tok=None, **kw):
        return self.request("GET", path, tok=tok, **kw)

    def post(self, path, body=None, tok=None, **kw):
        return self.request("POST", path, body=body, tok=tok, **kw)

    def walk(self, path, tok=None):
        """Follows a keyset-paged list from <path> (which has a query) through next_cursor to its
        last page, each of which must answer 200: the items of each page, page by page."""
        pages, cursor = [], None
        while True:
            s, _, page = self.get(path + (f"&cursor={cursor}" if cursor else ""), tok=tok)
            eq(s, 200, f"page: {page}")
            pages.append(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return pages

    def metrics(self, tok=None):
        """GET /metrics (with <tok>, if any): (status, headers, the text)."""
        s, h, body = self.fetch("GET", "/metrics", tok=tok, timeout=10)
        return s, h, body.decode()

    def samples(self, tok=None):
        """The samples /metrics shows (to <tok>, if any): {'name{labels}': value}."""
        return metric_values(self.metrics(tok)[2])

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def kill(self):
        """kill -9: no clean-up of any kind, as a crash or the OOM killer would do it."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        os.unlink(self.log.name)

    def terminate(self, within=30):
        """SIGTERM, and a wait of at most <within> seconds for the process to end (it is killed
        and the test fails if it does not): (its status, the seconds it took). The log is kept."""
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the server did not stop within {within} s of SIGTERM")
        return rc, time.time() - t0

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


def metric_values(text):
    """The samples of a Prometheus text page: {'name{labels}': value}."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


# ---- raw HTTP, byte for byte ----

def http_head(method, path, tok=None, ctype="application/json", length=None, chunked=False, host="x"):
    """The bytes of a request's head, up to and with its blank line: the request line, Host, and
    Authorization, Content-Type, Content-Length and Transfer-Encoding where given."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if tok:
        lines.append(f"Authorization: Bearer {tok}")
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_head(sock):
    """What <sock> brings up to the end of an answer's head (and whatever came with it), or all it
    brought before the peer closed or reset it: a server that refuses a request may do so before
    the client has sent all of it."""
    got = b""
    try:
        while b"\r\n\r\n" not in got:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    return got


def send_raw(port, data, timeout=30):
    """Sends <data> on a connection of its own to 127.0.0.1:<port>; the answer's head (read_head)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        return read_head(s)
    finally:
        s.close()


# ---- dates ----

def day_after(d, n=1):
    """The ISO date <n> days after ISO date <d> (before it, for a negative <n>)."""
    return (datetime.date.fromisoformat(d) + datetime.timedelta(days=n)).isoformat()


# ---- the demo's deterministic credit codes (same algorithm as core/base/ident.c) ----

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


# ---- request bodies ----

def elevator(code, jurisdiction, unit, maint, **over):
    body = {
        "type": "elevator", "equipment_code": code, "jurisdiction": jurisdiction, "user_unit": unit,
        "address": "测试路 1 号", "commissioned_on": "2020-05-01",
        "attributes": {"variety": code[:4], "rated_load_kg": 1000, "rated_speed_mps": 1.75, "stops": 12,
                       "maintenance_unit": maint},
    }
    body.update(over)
    return body


def ropeway(code, jurisdiction, unit, address="山顶站"):
    """A registration of the test plugins' ropeway type (variety 9100), whose plugins read
    <address> for what to do."""
    return {"type": "ropeway", "equipment_code": code, "jurisdiction": jurisdiction, "user_unit": unit,
            "address": address, "commissioned_on": "2020-01-01", "attributes": {"variety": "9100"}}


def evidence_ref(data, name, ctype="image/jpeg"):
    """The reference that cites evidence <data> uploaded under <name>, as an upload answers it."""
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "content_type": ctype}


def inspection(rec, report, **over):
    """An inspection result for unit <rec> under report number <report>: a passed periodic
    inspection of 2021-05-20 unless <over> says otherwise."""
    body = {"equipment_id": rec["id"], "report_number": report, "kind": "periodic", "inspected_on": "2021-05-20",
            "conclusion": "pass", "inspector": "张工", "defects": []}
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


# ---- scratch copies of the project's folders ----

def copy_dir(src):
    d = tempfile.mkdtemp(prefix="sereg-test-")
    shutil.rmtree(d)
    shutil.copytree(src, d)
    return d


@contextlib.contextmanager
def scratch(src=PLUGINS):
    """`with scratch() as d:` a copy of <src> (plugins/ unless told) for the block to change,
    removed after it."""
    d = copy_dir(src)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def sql_copy(before=None):
    """A copy of sql/ for a test to change; with <before> (e.g. "0016"), without the migrations
    from that number on."""
    d = copy_dir(SQL)
    if before:
        for f in os.listdir(d):
            if f >= before:
                os.unlink(os.path.join(d, f))
    return d
