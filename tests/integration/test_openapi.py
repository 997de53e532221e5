"""contrib/openapi.yaml and the router describe the same routes, and every $ref resolves."""
import os
import re

from harness import run, tests_of, check, eq, routes, SRC

SPEC = os.path.join(SRC, "contrib", "openapi.yaml")


def spec_text():
    with open(SPEC, encoding="utf-8") as f:
        return f.read()


def spec_routes(text):
    routes, path, in_paths = set(), None, False
    for line in text.splitlines():
        if re.match(r"^\S", line):
            in_paths = line.startswith("paths:")
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = m.group(1)
            continue
        m = re.match(r"^    (get|head|post|put|patch|delete):\s*$", line)
        if m and path:
            routes.add(f"{m.group(1).upper()} {path}")
    return routes


def test_router_and_description_list_the_same_routes():
    """HEAD is answered wherever GET is, by the GET route (RFC 9110 section 9.3.2), so neither the
    route table nor the description lists it, as OpenAPI descriptions usually leave it out: a
    `head:` operation described is one the router does not list, and fails here."""
    router = {" ".join(line.split()[:2]) for line in routes() if line}
    check(not any(r.startswith("HEAD ") for r in router), "HEAD has no routes of its own")
    described = spec_routes(spec_text())
    eq(sorted(router - described), [], "routes missing from contrib/openapi.yaml")
    eq(sorted(described - router), [], "described routes the server does not have")
    check(len(router) >= 11, router)


def operation_lines():
    """Each line of the description with the operation it stands in: (method, path, line); a
    line before any operation of its path has method None."""
    path, method = None, None
    for line in spec_text().splitlines():
        m = re.match(r"^  (/\S+):\s*$", line)
        if m:
            path, method = m.group(1), None
        m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
        if m:
            method = m.group(1).upper()
        yield method, path, line


def test_the_description_names_the_roles_each_route_takes():
    """x-sereg-roles on an operation says who may use it, as the router checks before the body."""
    router = {}
    for line in routes():
        method, path, roles = line.split()
        router[(method, path)] = [] if roles in ("any", "public") else roles.split(",")
    described = {}
    for method, path, line in operation_lines():
        if method:
            described.setdefault((method, path), [])
        m = re.match(r"^      x-sereg-roles: \[(.*)\]\s*$", line)
        if m:
            described[(method, path)] = [x.strip() for x in m.group(1).split(",")]
    eq({k: v for k, v in described.items() if v}, {k: v for k, v in router.items() if v}, "roles by route")


def test_the_public_routes_are_described_as_needing_no_token():
    """A public route is described with the empty security requirement (security: [], or {} among
    them where a token is also read, as /metrics reads one for the registry's own figures); every
    other operation keeps the document's bearer requirement."""
    public = {" ".join(line.split()[:2]) for line in routes() if line.split()[2] == "public"}
    security = {}
    for method, path, line in operation_lines():
        op = f"{method} {path}"
        m = re.match(r"^      security: (.*)$", line)
        if m:
            security[op] = m.group(1).replace(" ", "")
    check(public >= {"GET /healthz", "GET /readyz", "GET /metrics"}, public)
    eq(sorted(security), sorted(public), "operations with a security of their own")
    for op in public:
        check(security[op] == "[]" or "{}" in security[op], f"{op}: security {security[op]}")


def test_every_reference_resolves():
    text = spec_text()
    check(text.startswith("openapi: 3.1"), "OpenAPI 3.1")
    defined = set()
    section = None
    for line in text.splitlines():
        m = re.match(r"^  (\w+):\s*$", line)
        if m:
            section = m.group(1)
        m = re.match(r"^    (\w+):\s*$", line)
        if m and section:
            defined.add(f"#/components/{section}/{m.group(1)}")
    refs = set(re.findall(r"\$ref: '([^']+)'", text))
    check(refs, "the description uses references")
    eq(sorted(refs - defined), [], "unresolved references")


if __name__ == "__main__":
    run(tests_of(globals()))
