"""Plugins in a running server: SIGHUP reloads atomically (a bad set is refused and the old one
kept), and a plugin that loops or allocates without bound costs one failed request, not the server."""
import os
import re
import time

from harness import run, tests_of, check, eq, SRC, copy_dir
from world import World, A

ROPEWAY = """
return sereg.equipment_type {
  code = "ropeway", name = "客运索道", version = "0.1.0", registration_class = "索",
  attributes = { variety = { type = "string", required = true, enum = { "9100" } } },
  validate = function(eq)
    if eq.address == "loop" then while true do end end
    if eq.address == "pcall-loop" then while true do pcall(function() while true do end end) end end
    if eq.address == "memory" then local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 100) .. i end end
    if eq.address == "bad-decision" then return { { field = 7 } } end
    return nil
  end,
}
"""


def setup():
    d = copy_dir(os.path.join(SRC, "plugins"))
    w = World("plugins_live", plugin_dir=d)
    w.plugin_dir = d
    w.initial_types = types(w)
    return w


def types(w):
    s, _, r = w.server.get("/api/v1/equipment-types", tok=w.city)
    eq(s, 200, "types")
    return {t["code"]: t["version"] for t in r["items"]}


def reload_and_wait(w, want):
    w.server.hup()
    deadline = time.time() + 10
    while time.time() < deadline:
        if all(want(types(w)) for _ in range(8)):  # every worker thread, not just one
            return True
        time.sleep(0.1)
    return False


def test_bad_reload_keeps_the_loaded_set(w):
    with open(os.path.join(w.plugin_dir, "zz_broken.lua"), "w") as f:
        f.write("return sereg.equipment_type { code = \n")
    w.server.hup()
    deadline = time.time() + 10
    while "plugin reload refused" not in w.server.output() and time.time() < deadline:
        time.sleep(0.1)
    check("plugin reload refused" in w.server.output() and "zz_broken.lua" in w.server.output(),
          "the refusal is logged with the file")
    eq(types(w), w.initial_types, "old set kept")
    eq(w.server.get("/readyz")[0], 200, "still ready")
    os.unlink(os.path.join(w.plugin_dir, "zz_broken.lua"))


def test_good_reload_is_picked_up_by_every_thread(w):
    path = os.path.join(w.plugin_dir, "elevator.lua")
    with open(path) as f:
        src = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r'version = "[0-9.]+"', 'version = "9.9.9"', src, count=1))
    check(reload_and_wait(w, lambda t: t.get("elevator") == "9.9.9"), "new version served")
    rec = w.register()
    eq(rec["rule"], "elevator.lua@9.9.9", "new registrations record the new rule version")


def test_runaway_plugin_costs_one_request(w):
    with open(os.path.join(w.plugin_dir, "ropeway.lua"), "w") as f:
        f.write(ROPEWAY)
    check(reload_and_wait(w, lambda t: "ropeway" in t), "ropeway loaded")
    n = 0
    for addr, needle in [("loop", "instruction budget"), ("pcall-loop", "instruction budget"),
                         ("memory", "memory limit"), ("bad-decision", "must be a string")]:
        n += 1
        body = {"type": "ropeway", "equipment_code": f"910051123201900{n:03d}", "jurisdiction": A,
                "user_unit": w.unit_a, "address": addr, "commissioned_on": "2020-01-01",
                "attributes": {"variety": "9100"}}
        before = w.db.snapshot()
        t0 = time.time()
        s, h, r = w.server.post("/api/v1/equipment", body, tok=w.city)
        took = time.time() - t0
        eq(s, 500, f"{addr}: {r}")
        eq(r["type"], "urn:sereg:problem:plugin-failed", "problem type")
        check("ropeway.lua@0.1.0" in r["detail"] and needle in r["detail"], r["detail"])
        check(took < 10, f"{addr} took {took:.1f}s")
        eq(w.db.snapshot(), before, "nothing stored")
        eq(w.server.get("/healthz")[0], 200, "still serving")
    body["address"] = "ok"
    body["equipment_code"] = "910051123201900999"
    s, _, r = w.server.post("/api/v1/equipment", body, tok=w.city)
    eq(s, 201, f"the same plugin state serves the next request: {r}")
    check(w.server.proc.poll() is None, "server alive")


def test_metrics_count_requests_failures_and_reloads(w):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", w.server.port, timeout=10)
    c.request("GET", "/metrics")
    r = c.getresponse()
    text = r.read().decode()
    eq(r.status, 200, "metrics")
    check(r.getheader("Content-Type").startswith("text/plain; version=0.0.4"), "Prometheus text format")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    check(values.get('sereg_http_requests_total{code="200"}', 0) > 10, "successful requests counted")
    check(values.get('sereg_http_requests_total{code="500"}', 0) >= 4, "failed plugin requests counted")
    check(values.get("sereg_plugin_failures_total", 0) >= 4, "plugin failures counted")
    check(values.get('sereg_plugin_calls_total{function="validate"}', 0) >= 5, "plugin calls counted by function")
    check('sereg_plugin_calls_total{function="decide"}' in values, "every function listed, called or not")
    check(values.get('sereg_plugin_reloads_total{outcome="refused"}', 0) >= 1, "the refused reload")
    check(values.get('sereg_plugin_reloads_total{outcome="ok"}', 0) >= 2, "the good reloads")
    eq(values['sereg_http_request_duration_seconds_bucket{le="+Inf"}'], values["sereg_http_request_duration_seconds_count"],
       "histogram total")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
