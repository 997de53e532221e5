"""contrib/openapi.yaml lints clean with Redocly CLI (its recommended rules) and Spectral
(spectral:oas): no error and no warning but those contrib/.redocly.yaml and contrib/.spectral.yaml
turn off, each with its reason. The linters are npm packages that scripts/test.sh installs into
a cache folder outside the tree (SEREG_NODE_MODULES)."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from harness import check, eq, SRC

NODE_MODULES = os.environ.get("SEREG_NODE_MODULES", "")
CONTRIB = os.path.join(SRC, "contrib")
SPEC = os.path.join(CONTRIB, "openapi.yaml")
# No telemetry and no look-up of newer versions: CI reaches no network but the registries.
ENV = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true", NO_COLOR="1")


def tool(name):
    path = os.path.join(NODE_MODULES, ".bin", name)
    check(NODE_MODULES and os.access(path, os.X_OK),
          f"the lint test needs the npm package that gives {name}: run the tests through scripts/test.sh, "
          "which installs it and sets SEREG_NODE_MODULES")
    return path


def first_json(text, opener):
    """The JSON value that starts at the first <opener> of <text> (a linter may print a notice
    before it)."""
    i = text.find(opener)
    check(i >= 0, f"no JSON in the linter's output:\n{text}")
    return json.JSONDecoder().raw_decode(text[i:])[0]


def redocly(spec):
    """Redocly's problems with <spec>: a list of (severity, rule, where, message)."""
    p = subprocess.run([tool("redocly"), "lint", "--config", os.path.join(CONTRIB, ".redocly.yaml"),
                        "--format=json", spec], capture_output=True, text=True, env=ENV, timeout=300)
    if p.returncode != 0 and "{" not in p.stdout:  # a file that does not parse is said on stderr alone
        check("Failed to parse" in p.stderr, f"redocly failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return [("error", "parse", "", p.stderr.strip())]
    out = first_json(p.stdout, "{")
    found = [(x["severity"], x["ruleId"], str(x.get("location", [{}])[0].get("pointer", "")), x["message"])
             for x in out["problems"]]
    eq(p.returncode != 0, out["totals"]["errors"] > 0, f"redocly's exit status ({p.returncode}) and its errors")
    return found


def spectral(spec):
    """Spectral's problems with <spec> at error or warning: (severity, rule, where, message)."""
    p = subprocess.run([tool("spectral"), "lint", "--ruleset", os.path.join(CONTRIB, ".spectral.yaml"),
                        "--format", "json", "--fail-severity", "warn", spec],
                       capture_output=True, text=True, env=ENV, timeout=300)
    names = {0: "error", 1: "warn", 2: "info", 3: "hint"}
    if p.returncode != 0 and "[" not in p.stdout:  # no results at all: the ruleset or the file did not load
        raise AssertionError(f"spectral failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    out = first_json(p.stdout, "[")
    found = [(names[x["severity"]], x["code"], ".".join(map(str, x.get("path", []))), x["message"])
             for x in out if x["severity"] <= 1]
    eq(p.returncode != 0, bool(found), f"spectral's exit status ({p.returncode}) and its findings")
    return found


def test_the_description_lints_clean_with_redocly():
    eq(redocly(SPEC), [], "Redocly's errors and warnings")


def test_the_description_lints_clean_with_spectral():
    eq(spectral(SPEC), [], "Spectral's errors and warnings")


def test_each_rule_turned_off_says_why():
    for name in (".redocly.yaml", ".spectral.yaml"):
        lines = open(os.path.join(CONTRIB, name), encoding="utf-8").read().splitlines()
        offs = [i for i, line in enumerate(lines) if re.match(r"^\s+[\w-]+:\s*off\s*$", line)]
        for i in offs:
            check(i > 0 and lines[i - 1].strip().startswith("#"), f"{name}: {lines[i].strip()} without a reason above it")


def broken_copy(old, new):
    """A scratch copy of the description with <old> (found once) replaced by <new>."""
    text = open(SPEC, encoding="utf-8").read()
    eq(text.count(old), 1, f"{old!r} in the description")
    d = tempfile.mkdtemp(prefix="sereg-openapi-")
    path = os.path.join(d, "openapi.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new))
    return d, path


def test_an_unquoted_colon_in_a_description_fails_both():
    d, path = broken_copy("description: Opaque; the next_cursor of the previous page.",
                          "description: Opaque: the next_cursor of the previous page.")
    try:
        check(any(sev == "error" for sev, *_ in redocly(path)), "redocly refuses the YAML")
        check(any(sev == "error" for sev, *_ in spectral(path)), "spectral refuses the YAML")
    finally:
        shutil.rmtree(d)


def test_an_unquoted_comma_in_a_flow_mapping_fails_redocly():
    """Inside { }, a comma ends the value: the rest becomes a key the schema does not know."""
    d, path = broken_copy('description: "The webhook-id, the same on every attempt and replay" }',
                          "description: The webhook-id, the same on every attempt and replay }")
    try:
        found = redocly(path)
        check(any(sev == "error" and rule == "struct" for sev, rule, *_ in found), found)
    finally:
        shutil.rmtree(d)


def test_a_warning_fails_as_an_error_does():
    """An operation without its operationId is only a warning to both; it fails here all the same."""
    d, path = broken_copy("      operationId: getHealth\n", "")
    try:
        r, s = redocly(path), spectral(path)
        check([x for x in r if x[1] == "operation-operationId"], r)
        check([x for x in s if x[1] == "operation-operationId"], s)
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    from harness import run, tests_of
    run(tests_of(globals()))
