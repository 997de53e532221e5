"""Chinese for people, codes for machines: problems in the language Accept-Language asks for
(and Content-Language saying which), plugins' messages in both languages, Chinese conclusions
and inspection kinds stored as their codes, the CLI in the locale's language, installed or
not, and English where no Chinese locale exists."""
import os
import shutil
import subprocess
import tempfile

from harness import run, tests_of, check, eq, elevator, inspection, sereg, Server, BIN
from world import World, A

TODAY = "2026-06-15"
ZH_CODE = "设备代码应为 18 位：4 位品种代码、5 位制造单位代码、4 位制造年份、5 位产品编号"
EN_CODE = "must be 18 characters: 4-digit variety, 5-digit manufacturer, 4-digit year, 5-character serial"


def setup():
    w = World("i18n", env={"SEREG_NOW": TODAY})
    w.accredit("elevator")
    return w


def bad_registration(w, lang=None):
    """A registration with a short equipment code and an unknown field, asked in <lang>."""
    body = elevator(w.code()[:10], A, w.unit_a, w.maint, colour="red")
    headers = {"Accept-Language": lang} if lang is not None else None
    s, h, r = w.server.post("/api/v1/equipment", body, tok=w.city, headers=headers)
    eq(s, 422, r)
    return h, r


def message(r, field):
    msgs = [e["message"] for e in r["errors"] if e["field"] == field]
    check(msgs, f"no error on {field}: {r}")
    return msgs[0]


def test_accept_language_zh_answers_chinese(w):
    for lang in ("zh", "zh-CN", "zh-Hans", "ZH-cn", "fr;q=0.9, zh;q=0.8"):
        h, r = bad_registration(w, lang)
        eq(h.get("content-language"), "zh", f"{lang}: Content-Language")
        check("Accept-Language" in h.get("vary", ""), f"{lang}: Vary {h}")
        eq(message(r, "equipment_code"), ZH_CODE, f"{lang}: the equipment code's message")
        eq(message(r, "colour"), "不是可识别的字段", f"{lang}: an unknown field")
        eq(r["detail"], "部分字段有误，详见 errors。", f"{lang}: detail")
        eq(r["title"], "请求中有字段不符合要求", f"{lang}: title")
        eq(r["type"], "urn:sereg:problem:invalid", "the type stays a code")


def test_no_header_or_english_answers_english(w):
    for lang in (None, "en", "en-US", "fr", "*", "zh;q=0, en", "zh;q=bogus", ""):
        h, r = bad_registration(w, lang)
        eq(h.get("content-language"), "en", f"{lang!r}: Content-Language")
        eq(message(r, "equipment_code"), EN_CODE, f"{lang!r}: the equipment code's message")
        eq(r["detail"], "Some fields are invalid; see errors.", f"{lang!r}: detail")
        eq(r["title"], "The request has invalid fields", f"{lang!r}: title")


def test_q_values_pick_the_preferred_language(w):
    for lang, want in [("en;q=0.5, zh;q=0.9", "zh"), ("zh;q=0.5, en;q=0.9", "en"), ("en, zh", "en"),
                       ("zh, en", "zh"), ("en;q=0.5,zh-CN;q=0.51", "zh"), ("de, zh-TW ; q=0.3", "zh"),
                       ("zh;q=1.000, en;q=1", "zh"), ("en ;q=0.2, zh;q=0.1", "en")]:
        h, r = bad_registration(w, lang)
        eq(h.get("content-language"), want, lang)
        eq(message(r, "equipment_code"), ZH_CODE if want == "zh" else EN_CODE, lang)


def test_problems_before_the_body_speak_the_language_too(w):
    s, h, r = w.server.get("/api/v1/equipment", tok="sr_bogus", headers={"Accept-Language": "zh-CN"})
    eq(s, 401, r)
    eq((h.get("content-language"), r["detail"]), ("zh", "请以“Authorization: Bearer <令牌>”提供有效令牌，或先登录（POST /api/v1/session）。"), r)
    s, h, r = w.server.get("/api/v1/nowhere", tok=w.city, headers={"Accept-Language": "zh"})
    eq((s, r["detail"]), (404, "没有该资源。"), r)
    body = elevator(w.code(), A, w.unit_a, w.maint)
    s, h, r = w.server.post("/api/v1/equipment", body, tok=w.admin, headers={"Accept-Language": "zh"})
    eq((s, r["title"], r["detail"]), (403, "您的角色无权执行此操作", "角色 admin 无权办理设备使用登记。"), r)
    s, h, r = w.server.post("/api/v1/equipment", body, tok=w.admin)
    eq((s, r["detail"]), (403, "A admin may not register equipment."), r)


def test_plugin_messages_come_in_the_request_language(w):
    """elevator.lua gives its validate() messages as {zh=, en=}."""
    body = elevator(w.code("3210"), A, w.unit_a, w.maint)
    body["attributes"]["rated_speed_mps"] = 1.6  # a hydraulic lift runs at most 1.0 m/s
    with w.db.unchanged("nothing registered"):
        for lang, want in [("zh", "液压电梯的额定速度不超过 1.0 m/s"), ("en", "液压电梯 runs at most 1.0 m/s"),
                           (None, "液压电梯 runs at most 1.0 m/s")]:
            s, _, r = w.server.post("/api/v1/equipment", body, tok=w.city,
                                    headers={"Accept-Language": lang} if lang else None)
            eq(s, 422, r)
            eq(message(r, "attributes.rated_speed_mps"), want, f"{lang}")


def test_chinese_conclusion_and_kind_are_stored_as_codes(w):
    rec = w.register(A, commissioned_on="2020-05-10")
    body = inspection(rec, "EL-ZH-1", kind="定期检验", conclusion="合格")
    s, _, r = w.server.post("/api/v1/inspections", body, tok=w.agency)
    eq(s, 201, r)
    got = r["inspection"]
    eq((got["kind"], got["conclusion"], got["conclusion_text"], got["passed"]),
       ("periodic", "pass", "合格", True), "answered as codes")
    eq(w.db.sql("SELECT kind || ' ' || conclusion FROM inspection WHERE report_number = 'EL-ZH-1'"),
       "periodic pass", "stored as codes")
    # The same result sent by its codes is the same result: the original answer, nothing new.
    with w.db.unchanged("nothing changed"):
        s2, _, r2 = w.server.post("/api/v1/inspections", inspection(rec, "EL-ZH-1"), tok=w.agency)
        eq((s2, r2), (200, r), "by its codes it is the same report")
    # In a batch, too, by either name.
    items = [inspection(rec, "EL-ZH-2", kind="自行检测", conclusion="复检合格", inspected_on="2022-05-20"),
             inspection(rec, "EL-ZH-3", kind="self_test", conclusion="不合格", inspected_on="2023-05-20")]
    s, _, r = w.server.post("/api/v1/inspections:batch", items, tok=w.agency)
    eq(s, 200, r)
    eq(w.db.sql("SELECT string_agg(kind || ' ' || conclusion, ',' ORDER BY report_number) FROM inspection "
                "WHERE report_number IN ('EL-ZH-2', 'EL-ZH-3')"),
       "self_test pass_on_recheck,self_test fail", "a batch stores codes")


def test_unknown_chinese_conclusion_is_refused_naming_the_accepted(w):
    rec = w.register(A, commissioned_on="2020-05-10")
    with w.db.unchanged("nothing recorded"):
        s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-ZH-9", conclusion="很好"), tok=w.agency)
        eq(s, 422, r)
        m = message(r, "conclusion")
        for accepted in ("pass (合格)", "pass_on_recheck (复检合格)", "fail (不合格)", "fail_on_recheck (复检不合格)"):
            check(accepted in m, m)
        s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-ZH-9", conclusion="很好"), tok=w.agency,
                                headers={"Accept-Language": "zh"})
        eq(s, 422, r)
        check(message(r, "conclusion").startswith("应为以下之一：pass (合格)"), r)
        s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-ZH-9", kind="年检"), tok=w.agency,
                                headers={"Accept-Language": "zh"})
        eq(s, 422, r)
        check("periodic（定期检验）" in message(r, "kind"), r)
        # A conclusion of another kind's vocabulary is not this one's (a vessel's 符合要求 is no lift's).
        s, _, r = w.server.post("/api/v1/inspections", inspection(rec, "EL-ZH-9", conclusion="符合要求"),
                                tok=w.agency)
        eq(s, 422, r)


def test_cli_speaks_the_locale(w):
    for env, zh in [({"LANG": "zh_CN.UTF-8"}, True), ({"LC_ALL": "zh_CN.UTF-8"}, True),
                    ({"LANG": "C.UTF-8", "LANGUAGE": "zh_CN:en"}, True), ({"LANG": "en_US.UTF-8"}, False),
                    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "en"}, False)]:
        r = sereg("token", "create", "--role", "emperor", db=w.db, env=env)
        eq(r.returncode, 1, f"{env}: {r.stderr}")
        if zh:
            check("sereg: 部分字段有误，详见 errors。" in r.stderr, f"{env}: {r.stderr}")
            check("  role: 应为以下之一：city_supervisor（市级监察）" in r.stderr, f"{env}: {r.stderr}")
        else:
            check("  role: must be one of city_supervisor" in r.stderr, f"{env}: {r.stderr}")


def test_installed_binary_finds_its_catalogue(w):
    """`cmake --install` puts the binary and the catalogue under a prefix; the binary finds it
    there, away from the build tree."""
    build = os.path.dirname(BIN)
    with tempfile.TemporaryDirectory(prefix="sereg-install.") as prefix:
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
        eq(r.returncode, 0, r.stderr)
        check(os.path.isfile(os.path.join(prefix, "share/locale/zh_CN/LC_MESSAGES/sereg.mo")), "installed catalogue")
        installed = os.path.join(prefix, "bin", "sereg")
        env = dict(os.environ, LANG="zh_CN.UTF-8")
        env.pop("LANGUAGE", None)
        env.pop("LC_ALL", None)
        r = subprocess.run([installed, "frobnicate"], capture_output=True, text=True, env=env)
        check("未知命令“frobnicate”" in r.stderr, r.stderr)
        # Moved away from the build tree, where nothing else could lend it the catalogue.
        moved = os.path.join(prefix, "elsewhere")
        shutil.move(os.path.join(prefix, "share"), moved)
        r = subprocess.run([installed, "frobnicate"], capture_output=True, text=True, env=env)
        check("unknown command 'frobnicate'" in r.stderr, f"no catalogue, English: {r.stderr}")
        r = subprocess.run([installed, "frobnicate"], capture_output=True, text=True,
                           env=dict(env, SEREG_LOCALEDIR=os.path.join(moved, "locale")))
        check("未知命令" in r.stderr, f"SEREG_LOCALEDIR names it: {r.stderr}")


def test_without_a_chinese_locale_the_server_says_english_and_so(w):
    """A machine without zh_CN.UTF-8 (LOCPATH pointing at an empty folder hides the system's
    locales from glibc) answers English and says so, both in Content-Language and in its log."""
    with tempfile.TemporaryDirectory(prefix="sereg-nolocale.") as empty:
        srv = Server(w.db, env={"SEREG_NOW": TODAY, "LOCPATH": empty})
        try:
            s, h, r = srv.post("/api/v1/equipment", elevator(w.code()[:10], A, w.unit_a, w.maint), tok=w.city,
                               headers={"Accept-Language": "zh"})
            eq(s, 422, r)
            eq(h.get("content-language"), "en", "it does not claim Chinese")
            eq(message(r, "equipment_code"), EN_CODE, "English")
            check("every answer is in English" in srv.output(), "the log says why")
        finally:
            srv.stop()
        check(shutil.which("locale"), "locale(1)")
    r = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    check("zh_CN.utf8" in r.stdout.split(), "scripts/lib/common.sh (sr_install_deps) provides zh_CN.UTF-8: "
          "run it, or ./scripts/test.sh, on a fresh machine")


if __name__ == "__main__":
    run(tests_of(globals()), setup=setup, teardown=lambda w: w.close())
