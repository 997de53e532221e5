"""The reverse proxy shipped in contrib/nginx, run for real in front of a real server: the site is
valid nginx, requests and their headers pass both ways, what sereg refuses from the headers is
refused through the proxy without the body crossing it, and a client trickling its headers is cut
by nginx."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import run, tests_of, check, die_with_us, eq, fetch, free_port, SRC, elevator, http_head, send_raw
from world import World, A

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONTRIB = os.path.join(SRC, "contrib", "nginx")


class Front:
    """nginx on a free port with contrib/nginx/sereg-proxy.conf, in front of <port>."""

    def __init__(self, sereg_port):
        self.dir = tempfile.mkdtemp(prefix="sereg-nginx-")
        os.chmod(self.dir, 0o777)  # nginx's workers run as an unprivileged user
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    upstream sereg {{ server 127.0.0.1:{sereg_port}; keepalive 8; }}
    limit_conn_zone $binary_remote_addr zone=sereg_per_ip:10m;
    limit_req_zone $binary_remote_addr zone=sereg_req:10m rate=50r/s;
    server {{
        listen 127.0.0.1:{self.port};
        include {CONTRIB}/sereg-proxy.conf;
    }}
}}
""")
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=die_with_us)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not come up: " + self.proc.stderr.read().decode())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def test_the_shipped_site_is_valid_nginx(w):
    d = tempfile.mkdtemp(prefix="sereg-nginx-site-")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sereg",
                        "-keyout", f"{d}/privkey.pem", "-out", f"{d}/fullchain.pem"], check=True, capture_output=True)
        with open(os.path.join(CONTRIB, "sereg-site.conf")) as f:
            site = f.read().replace("/etc/ssl/sereg", d).replace("/etc/nginx/snippets", CONTRIB)
        site = site.replace("listen 80;", "listen 127.0.0.1:1080;").replace("listen 443 ssl", "listen 127.0.0.1:1443 ssl")
        with open(f"{d}/site.conf", "w") as f:
            f.write(site)
        with open(f"{d}/nginx.conf", "w") as f:
            f.write(f"pid {d}/nginx.pid; error_log {d}/error.log; events {{}} http {{ include {d}/site.conf; }}\n")
        r = subprocess.run([NGINX, "-t", "-p", d, "-c", f"{d}/nginx.conf"], capture_output=True, text=True)
        eq(r.returncode, 0, r.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_requests_and_their_headers_pass_both_ways(w):
    body = json.dumps(elevator(w.code(), A, w.unit_a, w.maint), ensure_ascii=False).encode()
    answers = []
    for _ in range(2):
        s, h, answer = fetch(w.front.port, "POST", "/api/v1/equipment", tok=w.city, data=body,
                             headers={"Idempotency-Key": "through-nginx"}, timeout=15)
        answers.append((s, h.get("idempotent-replayed"), h.get("etag"), json.loads(answer)))
    eq(answers[0][0], 201, f"registered through the proxy: {answers[0]}")
    eq(answers[1][:3], (201, "true", answers[0][2]), "the retry is a replay, with its headers")
    eq(answers[1][3], answers[0][3], "and its body")


def test_a_body_refused_from_its_headers_does_not_cross_the_proxy(w):
    t0 = time.time()
    answer = send_raw(w.front.port, http_head("POST", "/api/v1/inspections:batch", length=33554432, host="sereg"),
                      timeout=15).decode("latin-1")
    check(answer.startswith("HTTP/1.1 401"), f"refused without its body: {answer[:80]}")
    check(time.time() - t0 < 5, "at once")


def test_trickled_headers_are_cut_by_the_proxy(w):
    s = socket.create_connection(("127.0.0.1", w.front.port), timeout=20)
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    t0, cut = time.time(), None
    s.settimeout(0.5)
    while time.time() - t0 < 20:
        try:
            s.sendall(b"X")
        except OSError:
            cut = time.time() - t0
            break
        try:
            s.recv(4096)  # a 408, the end of the stream, or a reset: the proxy let go
            cut = time.time() - t0
            break
        except socket.timeout:
            pass
        except OSError:
            cut = time.time() - t0
            break
    s.close()
    check(cut is not None and cut < 10 + 3, f"cut by client_header_timeout (10 s), after {cut}")


def setup():
    w = World("nginx_front")
    w.front = Front(w.server.port)
    return w


def teardown(w):
    w.front.stop()
    w.close()


if __name__ == "__main__":
    if not os.path.exists(NGINX):
        print("SKIP: nginx is not installed (scripts/test.sh installs it)")
        raise SystemExit(77)
    run(tests_of(globals()), setup=setup, teardown=teardown)
