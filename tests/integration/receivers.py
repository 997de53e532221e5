"""receivers.py -- webhook receivers on loopback for the notice tests: one that answers as told
(a script of answers, slow ones, hanging ones, huge ones, resets) and records every request it
got, and the reference verifier (the npm package `standardwebhooks`, run by node), which checks
every signature with code written elsewhere."""
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import threading
import time

from harness import check, die_with_us, free_port

NODE_MODULES = os.environ.get("SEREG_NODE_MODULES", "")
HERE = os.path.dirname(os.path.abspath(__file__))


class Request:
    def __init__(self, method, path, headers, body, at):
        self.method, self.path, self.headers, self.body, self.at = method, path, headers, body, at

    def json(self):
        return json.loads(self.body)


def read_request(conn):
    """One HTTP/1.1 request from <conn>: (method, path, headers with lower-case names, body), or
    None when the peer closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return method, path, headers, rest[:n]


def answer(status, body=b"", headers=None):
    """What a plain receiver sends back."""
    reason = {200: "OK", 204: "No Content", 302: "Found", 410: "Gone", 429: "Too Many Requests",
              500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Status")
    h = {"Content-Length": str(len(body)), "Content-Type": "text/plain; charset=utf-8"}
    h.update(headers or {})
    return (f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode() + body


class Receiver:
    """A receiver on 127.0.0.1 that answers each request with the next step of <script> (the last
    step repeats): an int (a status), a (status, headers) pair, or one of the strings "hang" (read
    the request, answer nothing, keep the connection open), "reset" (close with RST before
    answering), "close" (close before answering), "huge" (200 and 5 GB of body, as fast as the
    peer reads), "trickle" (a 200 sent one byte a second), ("slow", seconds, status). Every request
    it reads is in .requests."""

    def __init__(self, script=(200,)):
        self.script = list(script)
        self.requests = []
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/sereg"
        self.stopping = False
        self.open = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _next(self):
        with self.lock:
            step = self.script[0]
            if len(self.script) > 1:
                self.script.pop(0)
            return step

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            while not self.stopping:
                req = read_request(conn)
                if req is None:
                    return
                with self.lock:
                    self.requests.append(Request(*req, time.time()))
                step = self._next()
                if step == "hang":
                    while not self.stopping and conn.recv(1):
                        pass
                    return
                if step == "close":
                    return
                if step == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if step == "huge":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5368709120\r\n\r\n")
                    block = b"x" * 65536
                    while not self.stopping:
                        conn.sendall(block)
                    return
                if step == "trickle":
                    for b in answer(200, b"ok"):
                        conn.sendall(bytes([b]))
                        time.sleep(1)
                    continue
                if isinstance(step, tuple) and step[0] == "slow":
                    time.sleep(step[1])
                    step = step[2]
                status, headers = step if isinstance(step, tuple) else (step, None)
                conn.sendall(answer(status, b"received", headers))
        except OSError:
            pass
        finally:
            conn.close()

    def wait_for(self, n, timeout=30, what="requests"):
        """Waits until <n> requests came; their list."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"{what}: {len(self.requests)} requests came within {timeout} s, want {n}")

    def stop(self):
        self.stopping = True
        self.sock.close()
        with self.lock:
            for c in self.open:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def closed_port_url():
    """A URL on loopback where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/hooks/sereg"


def signature_ok(secret, headers, body):
    """Our own check of a Standard Webhooks signature (the reference verifier is the judge; this
    one only says which of the listed signatures <secret> made)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return ("v1," + want) in headers["webhook-signature"].split(" ")


class Verifier:
    """The reference verifier: a node process running receivers/verify.js with the npm package
    `standardwebhooks`, answering 204 to a request whose signature verifies with any of its
    secrets and 401 otherwise; each request it got is a line in its log, with which secrets
    verified it."""

    def __init__(self, secrets):
        check(NODE_MODULES and os.path.isdir(os.path.join(NODE_MODULES, "standardwebhooks")),
              "the reference verifier needs the npm package standardwebhooks: run the tests through "
              "scripts/test.sh, which installs it and sets SEREG_NODE_MODULES")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/verify"
        self.log = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"sereg-verify-{os.getpid()}-{self.port}.jsonl")
        env = dict(os.environ, NODE_PATH=NODE_MODULES)
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "receivers", "verify.js"), str(self.port),
                                      self.log, json.dumps(secrets)], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, preexec_fn=die_with_us)
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):  # the rest of its output only then: read() waits for its end
            raise AssertionError(f"verifier did not start: {line}{self.proc.stdout.read()}")

    def seen(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(l) for l in f if l.strip()]

    def wait_for(self, n, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.seen()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"the verifier got {len(self.seen())} requests within {timeout} s, want {n}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if os.path.exists(self.log):
            os.unlink(self.log)
