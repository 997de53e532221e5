"""SIGTERM stops the server within a bounded time, whatever its clients and requests are doing."""
import socket
import threading
import time

from harness import run, tests_of, check, eq, Server, LockHolder, elevator, http_head, start_refused
from world import World, A


def test_idle_connections_do_not_hold_the_stop(w):
    srv = Server(w.db)
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(http_head("GET", "/healthz", ctype=None))
        s.recv(4096)
        socks.append(s)  # kept alive, idle
    rc, took = srv.terminate()
    eq(rc, 0, "a clean stop")
    check(took < 3, f"stopped in {took:.1f} s")
    for s in socks:
        s.close()


def test_a_stuck_request_is_left_after_the_grace(w):
    """A request waiting on a lock (here for up to the 10 s lock timeout) does not keep the
    process: after SEREG_SHUTDOWN_GRACE seconds it exits anyway, says so, and the database rolls
    the request back."""
    srv = Server(w.db, env={"SEREG_SHUTDOWN_GRACE": "2"})
    before = w.db.count("equipment")
    lock = LockHolder(w.db, "LOCK TABLE equipment IN EXCLUSIVE MODE")
    body = elevator(w.code(), A, w.unit_a, w.maint)

    def post():
        try:
            srv.post("/api/v1/equipment", body, tok=w.city, timeout=30)
        except OSError:
            pass
    t = threading.Thread(target=post)
    t.start()
    try:
        lock.wait_for_waiters()
        rc, took = srv.terminate()
    finally:
        lock.release()
    t.join(30)
    eq(rc, 1, "the process says it left work unfinished")
    check(2 <= took < 4.5, f"stopped after the 2 s grace, in {took:.1f} s")
    check("still stopping after 2 s" in srv.output(), "and logs it")
    time.sleep(0.5)
    eq(w.db.count("equipment"), before, "the stuck request left nothing")


def test_a_bad_grace_stops_the_start(w):
    start_refused(w.db, {"SEREG_SHUTDOWN_GRACE": "0"})
    start_refused(w.db, {"SEREG_HTTP_MAX_PER_IP": "lots"})


def setup():
    return World("shutdown")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
