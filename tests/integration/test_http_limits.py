"""Slow and greedy clients: connections that trickle a byte at a time, one address holding a
thousand connections, bodies announced without a token, more bodies at once than memory allows.
Each must cost the attacker its connection, never the other clients their service."""
import json
import os
import re
import resource
import socket
import threading
import time

from harness import run, tests_of, check, eq, Server, http_head
from world import World

# Short deadlines, so that the tests see them pass.
LIMITS = {"SEREG_HTTP_IDLE_TIMEOUT": "3", "SEREG_HTTP_HEADER_TIMEOUT": "2", "SEREG_HTTP_BODY_TIMEOUT": "2",
          "SEREG_HTTP_MIN_BODY_RATE": "20000", "SEREG_HTTP_MAX_PER_IP": "64", "SEREG_HTTP_BODY_MEMORY_MIB": "96"}


def connect(srv, source="127.0.0.2", timeout=5):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", srv.port))
    return s


def closed(s):
    """True when the server has closed <s> (or answered and closed it)."""
    s.settimeout(0.05)
    try:
        while True:
            d = s.recv(65536)
            if d == b"":
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def trickle_until_closed(s, payload, every=0.3, limit=12):
    """Sends <payload> a byte at a time; returns the seconds until the server closed the connection,
    or None if it never did within <limit>."""
    t0 = time.time()
    for b in payload:
        try:
            s.sendall(bytes([b]))
        except OSError:
            return time.time() - t0
        deadline = time.time() + every
        while time.time() < deadline:
            if closed(s):
                return time.time() - t0
        if time.time() - t0 > limit:
            return None
    return None


def probe(srv, timeout=5):
    """A normal client: GET /healthz from 127.0.0.1 within <timeout>; its status, or None."""
    try:
        return srv.get("/healthz", timeout=timeout)[0]
    except OSError:
        return None


def metric(srv, name):
    """Sample <name> of the server's /metrics, or None."""
    return srv.samples().get(name)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_trickled_request_line_is_cut(w):
    s = connect(w.server)
    took = trickle_until_closed(s, b"GET /api/v1/equipment?limit=1&" + b"a" * 200)
    check(took is not None and took < 3 + 2, f"cut within the idle deadline, took {took}")
    check(metric(w.server, 'sereg_http_connections_cut_total{phase="request_line"}') >= 1, "counted")


def test_trickled_headers_are_cut(w):
    s = connect(w.server)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    took = trickle_until_closed(s, b"X-Slow: " + b"z" * 200)
    check(took is not None and took < 2 + 2, f"cut within the header deadline, took {took}")
    check(metric(w.server, 'sereg_http_connections_cut_total{phase="headers"}') >= 1, "counted")


def test_a_body_below_the_minimum_rate_is_cut_and_one_above_it_is_not(w):
    s = connect(w.server)
    s.sendall(http_head("POST", "/api/v1/organizations", tok=w.city, length=100000))
    took = trickle_until_closed(s, b"{" + b" " * 5000, every=0.2)
    check(took is not None and took < 2 + 3, f"a slow body is cut, took {took}")
    # A body sent at a normal pace, in pieces with pauses, is taken.
    s = connect(w.server)
    body = json.dumps({"credit_code": "x", "name": "y" * 60000}).encode()
    s.sendall(http_head("POST", "/api/v1/organizations", tok=w.city, length=len(body)))
    for i in range(0, len(body), 20000):
        s.sendall(body[i:i + 20000])
        time.sleep(0.5)
    s.settimeout(10)
    answer = s.recv(65536).decode(errors="replace")
    check(answer.startswith("HTTP/1.1 422"), f"answered, not cut: {answer[:80]}")


def test_one_address_cannot_take_the_server(w):
    """The attack as it was found: about 1,100 connections from one address trickling a byte every
    second. The address gets its 64; everyone else is served meanwhile."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    held, stop = [], threading.Event()
    for _ in range(1100):
        try:
            s = connect(w.server, timeout=2)
            s.sendall(b"G")
            held.append(s)
        except OSError:
            pass

    def keep_trickling():
        while not stop.is_set():
            for s in held:
                try:
                    s.send(b"E")
                except OSError:
                    pass
            stop.wait(1)
    t = threading.Thread(target=keep_trickling)
    t.start()
    try:
        time.sleep(0.5)
        alive = sum(1 for s in held if not closed(s))
        check(alive <= 64, f"one address holds at most 64 connections, holds {alive}")
        results = []
        for _ in range(10):
            results.append(probe(w.server))
            time.sleep(0.2)
        eq(results, [200] * 10, "every other client is served during the attack")
    finally:
        stop.set()
        t.join()
        for s in held:
            s.close()


def test_many_addresses_hold_the_server_only_until_their_deadline(w):
    """200 trickling connections from 20 addresses against a server taking 100: the slots are
    theirs only until the header deadline cuts them, then normal clients are served again."""
    srv = Server(w.db, env=dict(LIMITS, SEREG_HTTP_MAX_CONNECTIONS="100"))
    held = []
    try:
        for i in range(200):
            try:
                s = connect(srv, source=f"127.0.1.{i % 20 + 1}", timeout=2)
                s.sendall(b"GET /healthz HTTP/1.1\r\nX-A: ")
                held.append(s)
            except OSError:
                pass
        t0, status = time.time(), None
        while time.time() - t0 < 10 and status != 200:
            for s in held:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            status = probe(srv, timeout=1)
            if status != 200:
                time.sleep(0.3)
        eq(status, 200, "a normal client is served again")
        check(time.time() - t0 < 2 + 4, f"within the header deadline, took {time.time() - t0:.1f} s")
    finally:
        for s in held:
            s.close()
        eq(srv.stop(), 0, "stops cleanly")


def test_bodies_without_a_token_are_never_read(w):
    """40 clients with no token each announcing a 32 MiB batch: each is refused from its headers,
    no body byte is buffered, the server's memory stays where it was."""
    pid = w.server.proc.pid
    before = rss_kib(pid)
    socks = []
    for _ in range(40):
        s = connect(w.server, source="127.0.0.3", timeout=10)
        s.sendall(http_head("POST", "/api/v1/inspections:batch", length=33554432))
        socks.append(s)
    for s in socks:
        s.settimeout(10)
        answer = s.recv(4096).decode(errors="replace")
        check(answer.startswith("HTTP/1.1 401"), f"refused before the body: {answer[:60]}")
        # The body the server never asked for: it is closed, not read.
        try:
            for _ in range(64):
                s.sendall(b"[" * 65536)
        except OSError:
            pass
        s.close()
    grown = rss_kib(pid) - before
    check(grown < 20 * 1024, f"memory grew by {grown} KiB")


def test_a_role_the_route_refuses_is_told_before_its_body(w):
    s = connect(w.server, timeout=10)
    s.sendall(http_head("POST", "/api/v1/inspections:batch", tok=w.city, length=30000000))
    answer = s.recv(4096).decode(errors="replace")
    check(answer.startswith("HTTP/1.1 403"), f"refused from its headers: {answer[:60]}")
    check("connection: close" in answer.lower(), "and the connection is closed")
    s.close()


def test_bodies_in_flight_share_one_memory_ceiling(w):
    """Accredited clients announcing 32 MiB each: those the 96 MiB ceiling cannot take are told to
    come back (503, Retry-After) before their bodies are read; the others are read."""
    pid = w.server.proc.pid
    before = rss_kib(pid)
    socks, answers = [], []
    for _ in range(6):
        s = connect(w.server, source="127.0.0.4", timeout=10)
        s.sendall(http_head("POST", "/api/v1/inspections:batch", tok=w.agency, length=33554432))
        socks.append(s)
    time.sleep(0.5)
    refused = 0
    for s in socks:
        if not closed(s):
            continue
        refused += 1
    check(refused >= 3, f"at most two 32 MiB bodies fit in 96 MiB; {refused} of 6 refused")
    held = metric(w.server, "sereg_http_body_bytes")
    check(held is not None and held <= 96 * 1024 * 1024, f"bodies held: {held}")
    check(metric(w.server, "sereg_http_bodies_refused_total") >= 3, "refusals counted")
    for s in socks:
        s.close()
    time.sleep(0.5)
    eq(metric(w.server, "sereg_http_body_bytes"), 0.0, "given back when the requests end")
    check(rss_kib(pid) - before < 100 * 1024, "memory stays under the ceiling")


def test_a_duplicate_key_bomb_costs_linear_time(w):
    """The body as it was found: an object of 1,000 keys and then 99,000 more members, under the
    body ceiling, sent 16 times by a caller with a token. Duplicate keys are looked for in linear
    time: the 16 cost the server well under a second each, not 11 s."""
    def name(i):
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        s = ""
        while True:
            s, i = digits[i % 36] + s, i // 36
            if not i:
                return s
    body = ("{" + ",".join(f'"{name(i)}":0' for i in range(100000)) + "}").encode()
    check(len(body) < 1024 * 1024, f"under the body ceiling: {len(body)} bytes")
    pid = w.server.proc.pid
    cpu0 = cpu_seconds(pid)
    for _ in range(16):
        s, _, r = w.server.request("POST", "/api/v1/equipment", raw=body, tok=w.city, timeout=60)
        check(400 <= s < 500, f"refused as a bad registration: {s}")
    spent = cpu_seconds(pid) - cpu0
    check(spent < 4.0, f"the server spent {spent:.2f} s of CPU on 16 bombs")


def setup():
    return World("http_limits", env=LIMITS)


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
