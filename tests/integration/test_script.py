"""Administrators' scripts (`sereg script`): a script sees exactly what its account sees through
the API, acts through the API's own checks and domain calls, writes nothing in a dry run and then
does exactly what the dry run said with --apply; the shipped scripts in scripts/admin/ against the
demo city; and hostile scripts, which are stopped with their line and the summary."""
import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import time

from harness import run, tests_of, check, eq, migrated, sereg, sereg_env, token, scratch, Server, BIN, SRC

TODAY = "2026-12-02"
ADMIN = os.path.join(SRC, "scripts", "admin")
JINJIANG, QINGYANG = "510104", "510105"
# An office runs its scripts in Chinese: the summary and progress follow the locale, as the CLI's
# messages do (test_a_script_speaks_the_locale has the English).
ZH = {"LANG": "zh_CN.UTF-8"}


def zh(env=None):
    return dict(ZH, **(env or {}))


class City:
    def __init__(self):
        self.db = migrated("script_city")
        eq(sereg("demo", db=self.db, env={"SEREG_NOW": TODAY}).returncode, 0, "demo")
        eq(sereg("sweep", "--now", TODAY, db=self.db).returncode, 0, "sweep")
        self.city = token(self.db, "city_supervisor")
        self.district = token(self.db, "district_supervisor", jurisdiction=JINJIANG)
        self.district_b = token(self.db, "district_supervisor", jurisdiction=QINGYANG)
        unit = self.db.sql(f"SELECT credit_code FROM organization WHERE kind = 'user_unit' AND jurisdiction = '{JINJIANG}' "
                           "ORDER BY id LIMIT 1")
        self.unit = unit
        self.user = token(self.db, "user_unit", org=unit)
        self.server = Server(self.db, deliver=False)
        self.n = 0

    def file(self, text, name=None):
        """A script file holding <text>."""
        self.n += 1
        d = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"sereg-script-test-{os.getpid()}")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name or f"s{self.n}.lua")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def script(self, path, tok, *args, apply=False, fmt="json", env=None, extra=()):
        argv = ["script", path, "--as", tok, "--format", fmt, "--now", TODAY, *extra]
        if apply:
            argv.append("--apply")
        if args:
            argv += ["--", *args]
        return sereg(*argv, db=self.db, env=zh(env))

    def raw(self, path, tok, *args, env=None):
        """The bytes a script writes as csv: newlines as they are."""
        argv = [BIN, "script", path, "--format", "csv", "--now", TODAY, *(["--as", tok] if tok else []), "--", *args]
        return subprocess.run(argv, capture_output=True, env=sereg_env(self.db, zh(env)), timeout=120)

    def rows(self, path, tok, *args, apply=False, env=None):
        r = self.script(path, tok, *args, apply=apply, env=env)
        eq(r.returncode, 0, f"{path}: {r.stderr}")
        return json.loads(r.stdout), r.stderr


def setup():
    return City()


def teardown(c):
    c.server.stop()


def ids_through_api(c, path, tok):
    return sorted(i["id"] for page in c.server.walk(path, tok=tok) for i in page)


EACH_IDS = """
local kind, filters = sereg.args[1], {}
for i = 2, #sereg.args, 2 do filters[sereg.args[i]] = sereg.args[i + 1] end
for r in sereg.each(kind, filters) do sereg.emit{id = r.id} end
"""


def test_each_sees_exactly_what_the_api_shows_the_account(c):
    path = c.file(EACH_IDS)
    cases = [("equipment", []), ("equipment", ["overdue", "true"]), ("equipment", ["jurisdiction", QINGYANG]),
             ("equipment", ["due_from", "2027-01-01", "due_before", "2027-02-01"]),
             ("hazards", ["status", "open"]), ("hazards", ["grade", "major"]), ("rectifications", ["open", "true"]),
             ("organizations", []), ("inspections", ["since", "2025-01-01"])]
    for tok, who in ((c.city, "city"), (c.district, "district"), (c.user, "user unit")):
        for kind, args in cases:
            rows, _ = c.rows(path, tok, kind, *args)
            query = "&".join(f"{args[i]}={args[i + 1]}" for i in range(0, len(args), 2))
            want = ids_through_api(c, f"/api/v1/{kind}?limit=37" + (f"&{query}" if query else ""), tok)
            eq(sorted(r["id"] for r in rows), want, f"{who}: {kind} {args}")
    # the city sees more than a district, which sees only its own
    rows, _ = c.rows(path, c.district, "equipment")
    everywhere, _ = c.rows(path, c.city, "equipment")
    check(0 < len(rows) < len(everywhere), (len(rows), len(everywhere)))
    eq(c.db.count("equipment", f"jurisdiction = '{JINJIANG}'"), len(rows), "a district's units")
    # more than a page: the iterator pages by itself, in flat memory, and misses nothing
    check(len(everywhere) == c.db.count("equipment") and len(everywhere) > 50, len(everywhere))


def test_a_dry_run_writes_nothing_and_apply_does_what_it_said(c):
    path = os.path.join(ADMIN, "overdue_directives.lua")
    with c.db.unchanged("the dry run wrote nothing"):
        dry, err = c.rows(path, c.district, "30")
    check("演练" in err and "--apply" in err, err)
    will = [r for r in dry if r["结果"] == "将开具"]
    want = int(c.db.sql(f"SELECT count(*) FROM equipment e WHERE e.jurisdiction = '{JINJIANG}' AND e.status = 'in_service' "
                        f"AND e.next_due < date '{TODAY}' - 30 AND EXISTS (SELECT 1 FROM hazard h WHERE h.equipment_id = e.id "
                        "AND h.status = 'open' AND h.source = 'overdue')"))
    check(want > 0, "the demo district has units long overdue")
    eq(len(will), want, f"directives the dry run would open: {dry}")
    eq({r["管辖区域"] for r in dry}, {"锦江区"}, "a district's script sees only its district")
    before = c.db.count("rectification")
    done, err = c.rows(path, c.district, "30", apply=True)
    eq(c.db.count("rectification"), before + len(will), "apply opened what the dry run listed")
    eq([(r["设备代码"], r["指令书文号"]) for r in done], [(r["设备代码"], r["指令书文号"]) for r in dry], "same units, same numbers")
    check(all(r["结果"].startswith("已开具") for r in done if r["设备代码"] in {w["设备代码"] for w in will}), done)
    # each through the one writer: history, audit naming the script and its hash, a notice
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    eq(c.db.count("audit_log", f"action = 'rectification.open' AND detail->'via'->>'sha256' = '{sha}' "
                               "AND detail->'via'->>'script' = 'overdue_directives.lua'"), len(will), "audited with the script")
    eq(c.db.count("audit_log", f"action = 'script.run' AND target_id = '{sha}'"), 1, "the run's own record")
    account = c.db.sql(f"SELECT account_id FROM api_token WHERE token_hash = encode(sha256('{c.district}'), 'hex')")
    eq(c.db.count("audit_log", f"detail->'via'->>'sha256' = '{sha}' AND account_id <> {account}"), 0, "as the account")
    eq(c.db.count("rectification_event", f"actor_account = {account}"), len(will), "history")
    eq(c.db.count("outbox", f"event_type = 'rectification.transitioned' AND payload->>'action' = 'open' "
                            f"AND actor_account = {account}"), len(will), "notices")
    # the rules it acted by are on the record: the demo's set, already recorded, is not again
    eq(c.db.count("plugin_activation", "event = 'cli.script'"), 0, "the same set is not recorded twice")
    with scratch() as d:
        with open(os.path.join(d, "elevator.lua"), "a") as f:
            f.write("-- an administrator's note: the same rules, another file\n")
        r = c.script(c.file("sereg.change('equipment', 1, 'resume', {reason = 'x'})"), c.district, apply=True,
                     extra=("--plugins", d))
        check(r.returncode == 0, r.stderr)
        eq(c.db.count("plugin_activation", f"event = 'cli.script' AND actor_account = {account}"), 1, "a new set is")
        with c.db.unchanged("a dry run records no set"):
            c.script(c.file("sereg.log(1)"), c.district, extra=("--plugins", d + "/"))
    # run again: everything is covered now, nothing more is opened, in either mode
    with c.db.unchanged("a second dry run"):
        again, _ = c.rows(path, c.district, "30")
    check(all(r["结果"] == "已有未结整改，未重复开具" for r in again if r["隐患编号"]), again)
    n = c.db.count("rectification")
    c.rows(path, c.district, "30", apply=True)
    eq(c.db.count("rectification"), n, "a second --apply opens nothing")


def test_the_dry_run_sees_its_own_earlier_actions(c):
    """The dry run holds its actions in one transaction: a second action that depends on the
    first is refused or allowed as it would be with --apply."""
    eid = int(c.db.sql(f"SELECT min(id) FROM equipment WHERE status = 'in_service' AND jurisdiction = '{JINJIANG}'"))
    path = c.file(f"""
local r1, ok1 = sereg.change("equipment", {eid}, "suspend", {{reason = "停用检查"}})
local r2, ok2 = sereg.change("equipment", {eid}, "suspend", {{reason = "又一次"}})
local r3, ok3 = sereg.change("equipment", {eid}, "resume", {{reason = "恢复使用"}})
sereg.emit{{first = ok1, status1 = r1.status, second = ok2, status2 = r2.status, third = ok3, status3 = r3.status}}
""")
    with c.db.unchanged("dry run"):
        dry, err = c.rows(path, c.district)
    eq(dry, [{"first": True, "status1": "suspended", "second": False, "status2": 409, "third": True,
              "status3": "in_service"}], "predicted")
    check("拒绝 1" in err and "409" in err, err)
    version = int(c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}"))
    done, _ = c.rows(path, c.district, apply=True)
    eq(done, dry, "apply did what the dry run said")
    eq(int(c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}")), version + 2, "two changes committed")
    eq(c.db.count("equipment_event", f"equipment_id = {eid} AND action IN ('suspend', 'resume') "
                                     "AND reason IN ('停用检查', '恢复使用')"), 2, "history")


def test_refusals_are_the_apis_and_the_script_goes_on(c):
    other = int(c.db.sql(f"SELECT min(id) FROM equipment WHERE jurisdiction = '{QINGYANG}' AND status = 'in_service'"))
    own = int(c.db.sql(f"SELECT min(id) FROM equipment WHERE jurisdiction = '{JINJIANG}' AND status = 'pending'") or 0)
    mine = int(c.db.sql(f"SELECT min(e.id) FROM equipment e JOIN organization o ON o.id = e.user_unit_id "
                        f"WHERE o.credit_code = '{c.unit}' AND e.status = 'in_service'"))
    path = c.file(f"""
local out = {{}}
local r, ok = sereg.change("equipment", {other}, "suspend", {{reason = "越权"}})
out.other = r.status
r, ok = sereg.change("equipment", {mine}, "relocate", {{reason = "搬迁", address = "新址 1 号"}})
out.approve = r.status
r, ok = sereg.change("equipment", {mine}, "suspend", {{}})
out.no_reason = r.status
out.field = r.errors and r.errors[1] and r.errors[1].field
r, ok = sereg.open("hazards", {{equipment_id = {mine}, condition = "x", description = "y", grade = "major", level = "city"}})
out.hazard = r.status
r, ok = sereg.get("equipment", {other})
out.get_other = r.status
r, ok = sereg.get("equipment", {mine})
out.get_mine = ok
out.after = "went on"
sereg.emit(out)
""")
    with c.db.unchanged("the dry run writes nothing"):
        dry, _ = c.rows(path, c.user)
    audit = c.db.count("audit_log")
    with_records = "(SELECT count(*) FROM equipment_event) + (SELECT count(*) FROM hazard) + (SELECT count(*) FROM outbox)"
    records = c.db.sql("SELECT " + with_records)
    rows, err = c.rows(path, c.user, apply=True)
    eq(dry, rows, "the dry run said so")
    eq(c.db.sql("SELECT " + with_records), records, "refusals write nothing")
    eq(c.db.count("audit_log"), audit + 1, "but the run's own audit record")
    eq(c.db.count("audit_log", "action = 'script.run' AND detail->>'refused' = '4' AND detail->>'done' = '0'"), 1, "its counts")
    # the same requests through the API, with the same token
    def version(eid):
        return {"If-Match": '"%s"' % c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}")}
    s_other = c.server.post(f"/api/v1/equipment/{other}/transitions", {"action": "suspend", "reason": "越权"},
                            tok=c.user, headers=version(other))[0]
    s_approve = c.server.post(f"/api/v1/equipment/{mine}/transitions",
                              {"action": "relocate", "reason": "搬迁", "address": "新址 1 号"}, tok=c.user,
                              headers=version(mine))[0]
    s_hazard = c.server.post("/api/v1/hazards", {"equipment_id": mine, "condition": "x", "description": "y",
                                                 "grade": "major", "level": "city"}, tok=c.user)[0]
    s_get = c.server.get(f"/api/v1/equipment/{other}", tok=c.user)[0]
    r = rows[0]
    eq((r["other"], r["approve"], r["hazard"], r["get_other"]), (s_other, s_approve, s_hazard, s_get), f"as the API: {r}")
    eq((r["other"], r["approve"], r["hazard"]), (404, 403, 403), r)
    eq((r["no_reason"], r["field"]), (422, "reason"), r)
    check(r["get_mine"] is True and r["after"] == "went on", r)
    check("拒绝 4" in err, err)
    del own


def test_due_this_month_per_district_as_csv(c):
    path = os.path.join(ADMIN, "due_this_month.lua")
    r = c.raw(path, c.district, "2027-01")
    eq(r.returncode, 0, r.stderr)
    raw = r.stdout
    check(raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), raw[:80])
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    want = c.db.sql(f"SELECT coalesce(string_agg(equipment_code, ' ' ORDER BY equipment_code), '') FROM equipment "
                    f"WHERE jurisdiction = '{JINJIANG}' AND status = 'in_service' "
                    "AND next_due >= '2027-01-01' AND next_due < '2027-02-01'").split()
    check(want, "some units of the district fall due that month")
    eq(sorted(x["设备代码"] for x in rows), sorted(want), "the district's units due in January")
    check(all(x["管辖区域"] == "锦江区" and x["下次检验日期"].startswith("2027-01") for x in rows), rows)
    # the city's: grouped by district, in code order
    r = c.raw(path, c.city, "2027-01")
    codes = [x["管辖区域代码"] for x in csv.DictReader(io.StringIO(r.stdout.decode("utf-8-sig"), newline=""))]
    eq(codes, sorted(codes), "grouped by district")
    eq(len(codes), c.db.count("equipment", "status = 'in_service' AND next_due >= '2027-01-01' AND next_due < '2027-02-01'"),
       "the city's units")
    bad = c.script(path, c.city, "2027-13")
    eq(bad.returncode, 1, "a month that is not one")
    check("YYYY-MM" in bad.stderr, bad.stderr)


def test_open_hazards_per_user_unit(c):
    rows, _ = c.rows(os.path.join(ADMIN, "open_hazards_by_unit.lua"), c.city)
    got = {r["统一社会信用代码"]: (r["未整改隐患"], r["其中重大"], r["超过整改期限"]) for r in rows}
    want = {}
    for line in c.db.sql(
            "SELECT o.credit_code, count(*), count(*) FILTER (WHERE h.grade = 'major'), "
            "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rectification_hazard rh JOIN rectification r "
            "ON r.id = rh.rectification_id WHERE rh.hazard_id = h.id AND r.closed_on IS NULL "
            f"AND r.deadline < '{TODAY}')) "
            "FROM hazard h JOIN equipment e ON e.id = h.equipment_id JOIN organization o ON o.id = e.user_unit_id "
            "WHERE h.status = 'open' GROUP BY o.credit_code").splitlines():
        code, n, major, late = line.split("|")
        want[code] = (int(n), int(major), int(late))
    eq(got, want, "per unit: open, major, past their rectification's deadline")
    counts = [r["未整改隐患"] for r in rows]
    eq(counts, sorted(counts, reverse=True), "most first")


def test_data_quality_finds_what_an_office_must_check(c):
    db = c.db
    ids = [int(x) for x in db.sql("SELECT string_agg(id::text, ' ' ORDER BY id) FROM (SELECT id FROM equipment "
                                  f"WHERE type = 'elevator' AND jurisdiction = '{JINJIANG}' AND status = 'in_service' "
                                  "ORDER BY id LIMIT 3) x").split()]
    # a register carried over from before: an elevator without its maintenance unit, one whose
    # maintenance unit's code fails its check digit, one whose code's variety is not its own
    db.sql(f"UPDATE equipment SET attributes = attributes - 'maintenance_unit' WHERE id = {ids[0]}")
    db.sql(f"UPDATE equipment SET attributes = jsonb_set(attributes, '{{maintenance_unit}}', "
           f"'\"91510104MA6010003X\"') WHERE id = {ids[1]}")
    # and a unit whose user unit's credit code was typed with a wrong check digit (the register of
    # organizations checks the form of a code, not its digit)
    good = db.sql(f"SELECT o.credit_code FROM organization o JOIN equipment e ON e.user_unit_id = o.id WHERE e.id = {ids[2]}")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    db.sql(f"INSERT INTO organization (credit_code, name, kind, jurisdiction) VALUES ('{bad}', '录错代码的使用单位', "
           f"'user_unit', '{JINJIANG}'); UPDATE equipment SET user_unit_id = (SELECT id FROM organization "
           f"WHERE credit_code = '{bad}') WHERE id = {ids[2]}")
    rows, err = c.rows(os.path.join(ADMIN, "data_quality.lua"), c.district)
    codes = {int(i): db.sql(f"SELECT equipment_code FROM equipment WHERE id = {i}") for i in ids}
    found = {(r["设备代码"], r["问题"]) for r in rows}
    eq(found, {(codes[ids[0]], "缺少维保单位"), (codes[ids[1]], "维保单位代码"), (codes[ids[2]], "使用单位代码")},
       f"the three problems and nothing else: {rows}")
    check("缺少维保单位 1" in err, err)
    # another district's supervisor sees none of them
    rows, _ = c.rows(os.path.join(ADMIN, "data_quality.lua"), c.district_b)
    eq(rows, [], "another district")


def test_hostile_scripts_are_stopped_with_their_line(c):
    eid = int(c.db.sql(f"SELECT min(id) FROM equipment WHERE status = 'in_service' AND jurisdiction = '{JINJIANG}'"))
    # small limits, but time enough for each to be the one that stops a slow (sanitized, loaded) run;
    # only the host loop, which spends no instructions of its own, meets the clock
    # (in English: the messages are the developer's here)
    small = {"SEREG_SCRIPT_BUDGET": "20000000", "SEREG_SCRIPT_MEMORY": "16", "SEREG_SCRIPT_TIMEOUT": "120",
             "LANG": "C.UTF-8"}
    cases = [
        ("sereg.emit{a = 1}\nlocal x = = 2\n", "s.lua:2:", "syntax error: nothing runs"),
        ("local n = 0\nwhile true do\n  n = n + 1\nend\n", "s.lua:3: instruction budget", "a loop"),
        ("local t = {}\nfor i = 1, 1e9 do\n  t[i] = string.rep('x', 64) .. i\nend\n", "memory limit", "memory"),
        ("while true do\n  sereg.get('equipment', 1)\nend\n", "s.lua:2: time limit of 1000 ms", "a host loop's time"),
        ("io.write('x')\n", "undeclared global 'io'", "io"),
        ("os.execute('id')\n", "undeclared global 'os'", "os"),
        ("require('socket')\n", "undeclared global 'require'", "require"),
        ("load(string.dump(function() end))\n", "undeclared global 'load'", "load of bytecode"),
        ("local f = string.dump\n", "", "string.dump is not there"),
        ("debug.sethook()\n", "undeclared global 'debug'", "debug"),
        ("for u in sereg.each('widgets') do end\n", "no list of 'widgets'", "an unknown kind"),
        ("for u in sereg.each('equipment', {colour = 'red'}) do end\n",
         "colour is not a known query parameter (the filters of equipment: jurisdiction", "an unknown filter"),
        ("for u in sereg.each('equipment', {limit = 5}) do end\n", "'limit' is not a filter", "paging"),
        ("sereg.change('hazards', 1, 'close', {})\n", "'hazards' has no transitions", "no such action kind"),
        ("sereg.get('organizations', 1)\n", "no record of 'organizations'", "no record route"),
        ("sereg.emit{a = 1}\nsereg.emit{b = 2}\n", "'b' is not one of the columns", "a misspelt column"),
        ("setmetatable({}, {__gc = function() end})\n", "__gc", "finalizers"),
    ]
    for src, say, what in cases:
        env = dict(small, SEREG_SCRIPT_TIMEOUT="1") if "time" in what else small
        with c.db.unchanged(what):
            r = c.script(c.file(src, "s.lua"), c.district, env=env, apply=True)
        if what == "string.dump is not there":
            eq(r.returncode, 0, f"{what}: {r.stderr}")
            continue
        eq(r.returncode, 1, f"{what}: {r.stderr}")
        check(say in r.stderr, f"{what}: {r.stderr}")
        check("tried 0" in r.stderr, f"{what}: the summary: {r.stderr}")
        if what.startswith("syntax"):
            eq(r.stdout.strip(), "[]", "nothing ran")
    # a script stopped after an action it applied: the action stays, the summary says so
    loop = c.file(f'sereg.change("equipment", {eid}, "suspend", {{reason = "先停用"}})\nwhile true do end\n', "s.lua")
    version = int(c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}"))
    r = c.script(loop, c.district, env=small, apply=True)
    eq(r.returncode, 1, r.stderr)
    check("s.lua:2: instruction budget" in r.stderr and "done 1" in r.stderr, r.stderr)
    eq(int(c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}")), version + 1, "the action before the loop stays")
    eq(c.db.count("audit_log", "action = 'script.run' AND detail->>'outcome' = 'budget'"), 1, "the run's record says why")
    c.rows(c.file(f'sereg.change("equipment", {eid}, "resume", {{reason = "恢复"}})', "s.lua"), c.district, apply=True)


def test_an_invalid_token_is_refused_before_anything_runs(c):
    path = c.file('sereg.emit{ran = true}\n')
    for args, rc in ((["--as", "sr_" + "x" * 43], 1), (["--as", c.district[:-2] + "zz"], 1), ([], 2)):
        with c.db.unchanged("nothing"):
            r = sereg("script", path, *args, db=c.db, env=zh({"SEREG_TOKEN": ""}))
        eq(r.returncode, rc, f"{args}: {r.stderr}")
        eq(r.stdout, "", "nothing ran")
    revoked = token(c.db, "district_supervisor", jurisdiction=JINJIANG)
    eq(sereg("token", "revoke", "--token", revoked, db=c.db).returncode, 0, "revoke")
    r = sereg("script", path, "--as", revoked, db=c.db, env=ZH)
    eq((r.returncode, r.stdout), (1, ""), f"revoked: {r.stderr}")
    # SEREG_TOKEN stands for --as, and keeps the token off the command line
    r = c.raw(path, None, env={"SEREG_TOKEN": c.district})
    eq(r.returncode, 0, r.stderr)
    eq(r.stdout, "\ufeffran\r\ntrue\r\n".encode(), "csv")


def test_ctrl_c_stops_between_actions_with_the_summary(c):
    eid = int(c.db.sql(f"SELECT min(id) FROM equipment WHERE status = 'in_service' AND jurisdiction = '{JINJIANG}'"))
    path = c.file(f"""
sereg.change("equipment", {eid}, "suspend", {{reason = "中断前"}})
sereg.log("acted")
while true do sereg.get("equipment", {eid}) end
""")
    version = int(c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}"))
    p = subprocess.Popen([BIN, "script", path, "--as", c.district, "--apply"], env=sereg_env(c.db, ZH),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    line = ""
    while "acted" not in line and time.time() < deadline:
        line = p.stderr.readline()
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    eq(p.returncode, 130, err)
    check("已中断" in err and "完成 1" in err, err)
    eq(int(c.db.sql(f"SELECT version FROM equipment WHERE id = {eid}")), version + 1, "the action before it stays")
    c.rows(c.file(f'sereg.change("equipment", {eid}, "resume", {{reason = "恢复"}})'), c.district, apply=True)


def test_a_long_run_on_a_terminal_shows_its_progress(c):
    """On a terminal (stderr a pty) a run longer than half a second keeps a progress line, which
    gives way to the summary; with stderr a file or a pipe there is none."""
    import pty
    path = c.file('for i = 1, 400 do\n  for u in sereg.each("equipment") do end\nend\n')
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "script", path, "--as", c.city], env=sereg_env(c.db, ZH), stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    eq(p.wait(timeout=60), 0, seen.decode(errors="replace"))
    os.close(master)
    text = seen.decode("utf-8", errors="replace")
    check("\r已读 " in text and "动作 0" in text, f"a progress line: {text[:300]}")
    check("只读（没有改动动作）" in text.split("\r\x1b[K")[-1], f"the summary after it: {text[-300:]}")
    r = c.script(path, c.city)
    check("已读" not in r.stderr, "no progress line into a pipe")


def test_a_script_speaks_the_locale(c):
    bad = c.file("for u in sereg.each('equipment', {colour = 'red'}) do end\n")
    r = sereg("script", bad, "--as", c.city, db=c.db, env=ZH)
    check("colour 不是可识别的查询参数（equipment 的筛选条件：jurisdiction" in r.stderr, r.stderr)
    path = c.file('sereg.change("equipment", 1, "suspend", {reason = "x"})\n')
    r = sereg("script", path, "--as", c.city, db=c.db, env={"LANG": "C.UTF-8"})
    eq(r.returncode, 0, r.stderr)
    check("dry run: nothing was written (add --apply to do it)" in r.stderr and "tried 1" in r.stderr, r.stderr)
    r = sereg("script", path, "--as", c.city, db=c.db, env=ZH)
    check("演练：未写入任何数据" in r.stderr and "尝试 1" in r.stderr, r.stderr)
    r = sereg("script", path, db=c.db, env=dict(ZH, SEREG_TOKEN=""))
    eq(r.returncode, 2, r.stderr)
    check("脚本须以某个账户的身份运行" in r.stderr, r.stderr)


def test_table_output_lines_up_chinese_text(c):
    path = c.file('sereg.columns{"名称", "n"}\nsereg.emit{["名称"] = "锦江区", n = 1}\nsereg.emit{["名称"] = "ab", n = 22}\n')
    r = c.script(path, c.city, fmt="table")
    eq(r.returncode, 0, r.stderr)
    lines = r.stdout.splitlines()
    eq(lines, ["名称    n", "------  --", "锦江区  1", "ab      22"], "aligned by display width")


if __name__ == "__main__":
    run(tests_of(globals()), setup, teardown)
