"""Raw HTTP cases kept as files in tests/http/ (see its README): each request goes over a plain
socket, byte for byte as in its file, and the answer is checked against the file's expectations.
After every case the server must still serve."""
import json
import os
import re
import socket

from harness import run, check, eq, SRC, read_head
from world import World

CASES = os.path.join(SRC, "tests", "http")


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")
    meta, i = {}, 0
    while i < len(lines) and lines[i].startswith(b"#"):
        m = re.match(rb"^# ([a-z-]+): (.*)$", lines[i])
        if m:
            meta[m.group(1).decode()] = m.group(2).decode().strip()
        i += 1
    rest = lines[i:]
    blank = rest.index(b"")
    head = [re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), l) for l in rest[:blank]]
    body_lines = rest[blank + 1:]
    if body_lines and body_lines[-1] == b"":
        body_lines = body_lines[:-1]
    chunked = any(l.lower().startswith(b"transfer-encoding:") for l in head)
    body = (b"\r\n".join(body_lines) + (b"\r\n" if body_lines else b"")) if chunked else b"\n".join(body_lines)
    return meta, head, body


def send(w, head, body, meta):
    tokens = {b"{city}": w.city, b"{agency}": w.agency, b"{admin}": w.admin, b"{user}": w.user_a}
    data = b"\r\n".join(head) + b"\r\n\r\n"
    for k, v in tokens.items():
        data = data.replace(k, v.encode())
    if meta.get("send-body", "yes") != "no":
        data += body
    s = socket.create_connection(("127.0.0.1", w.server.port), timeout=10)
    try:
        s.sendall(data)
    except OSError:
        pass  # answered and closed before the whole request was taken: the answer is still there
    got = read_head(s)
    head_end = got.index(b"\r\n\r\n")
    status_line, *header_lines = got[:head_end].decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    answer = got[head_end + 4:]
    while len(answer) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
    s.settimeout(1.5)
    try:
        closed = s.recv(1) == b""
    except socket.timeout:
        closed = False
    except OSError:
        closed = True
    s.close()
    return int(status_line.split()[1]), headers, answer, closed


def check_case(w, name):
    meta, head, body = load(os.path.join(CASES, name))
    check("expect" in meta, f"{name} says what it expects")
    status, headers, answer, closed = send(w, head, body, meta)
    eq(status, int(meta["expect"]), f"{name}: status")
    if "expect-close" in meta:
        eq(closed, meta["expect-close"] == "yes", f"{name}: connection closed")
    if meta.get("expect-problem") == "yes" or "expect-field" in meta or "expect-instance" in meta:
        eq(headers.get("content-type"), "application/problem+json", f"{name}: a problem")
        problem = json.loads(answer.decode("utf-8"))  # strict: invalid UTF-8 fails here
        eq(problem["status"], status, f"{name}: the problem's status")
        if "expect-field" in meta:
            check(meta["expect-field"] in [e["field"] for e in problem["errors"]], f"{name}: {problem}")
        if "expect-instance" in meta:
            eq(problem.get("instance"), meta["expect-instance"], f"{name}: instance")
    eq(w.server.get("/healthz")[0], 200, f"{name}: the server still serves")


def make_test(name):
    def t(w):
        check_case(w, name)
    t.__name__ = "test_" + re.sub(r"\W", "_", name[:-5])
    return t


def setup():
    return World("raw_http")


if __name__ == "__main__":
    names = sorted(n for n in os.listdir(CASES) if n.endswith(".http"))
    run([make_test(n) for n in names], setup=setup, teardown=lambda w: w.close())
