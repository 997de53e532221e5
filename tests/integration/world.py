"""world.py -- a small city for the API tests: organizations in two districts, a token per role,
and the steps a test takes in it (registering, accrediting, reporting hazards, ordering and
working rectifications, uploading evidence)."""
import urllib.parse

from harness import Server, migrated, token, uscc, elevator, eq, check

A, B = "510104", "510105"  # 锦江区, 青羊区


class World:
    """The city in a fresh database <name> (migrated from <sql_dir> instead of sql/, if given),
    served with <plugin_dir> and <env>."""

    def __init__(self, name, plugin_dir=None, env=None, sql_dir=None):
        self.db = migrated(name, sql_dir)
        self.city = token(self.db, "city_supervisor")
        self.admin = token(self.db, "admin")
        self.server = Server(self.db, plugin_dir=plugin_dir, env=env)
        self.unit_a = uscc(A, "MA6A0001")
        self.unit_b = uscc(B, "MA6B0001")
        self.maint = uscc(A, "MA6M0001")
        self.agency_code = uscc("510100", "MA6G0001")
        for code, name, kind, j in [(self.unit_a, "锦江测试使用单位", "user_unit", A),
                                    (self.unit_b, "青羊测试使用单位", "user_unit", B),
                                    (self.maint, "测试维保单位", "maintenance_unit", A),
                                    (self.agency_code, "测试检验机构", "agency", "510100")]:
            self.organization(code, name, kind, j)
        self.district_a = token(self.db, "district_supervisor", jurisdiction=A)
        self.district_b = token(self.db, "district_supervisor", jurisdiction=B)
        self.coordinator_a = token(self.db, "coordinator", jurisdiction=A)
        self.user_a = token(self.db, "user_unit", org=self.unit_a)
        self.user_b = token(self.db, "user_unit", org=self.unit_b)
        self.agency = token(self.db, "agency", org=self.agency_code)
        self.serial = 0
        self.n = 0

    # ---- the register of organizations ----

    def organization(self, code, name, kind, jurisdiction):
        """Registers organization <code> as the city; the record, which must be created."""
        s, _, body = self.server.post("/api/v1/organizations", {
            "credit_code": code, "name": name, "kind": kind, "jurisdiction": jurisdiction}, tok=self.city)
        eq(s, 201, f"organization {code}: {body}")
        return body

    def org_id(self, code):
        """The id of the organization with credit code <code>, as psql prints it."""
        return self.db.sql(f"SELECT id FROM organization WHERE credit_code = '{code}'")

    def second_agency(self):
        """A second inspection agency, 第二检验机构 (agency2_code, agency2_id, and its token agency2),
        unaccredited as yet: report numbers are unique per agency, so two may use the same."""
        self.agency2_code = uscc("510100", "MA6G0002")
        self.agency2_id = self.organization(self.agency2_code, "第二检验机构", "agency", "510100")["id"]
        self.agency2 = token(self.db, "agency", org=self.agency2_code)

    def accredit(self, type_code, valid_from="2019-01-01", valid_to="2030-12-31", agency=None, varieties=None):
        """Accredits <agency> (a credit code; the world's agency unless told) for <type_code>
        (and only <varieties> of it, if given) over the period."""
        agency = self.org_id(agency or self.agency_code)
        body = {"equipment_type": type_code}
        if varieties is not None:
            body["varieties"] = varieties
        body.update(valid_from=valid_from, valid_to=valid_to)
        s, _, r = self.server.post(f"/api/v1/organizations/{agency}/accreditations", body, tok=self.city)
        eq(s, 201, f"accreditation: {r}")
        return r

    def rule(self, type_code):
        """The rule a unit of <type_code> records: the loaded plugin's file@version."""
        t = {t["code"]: t for t in self.read("/api/v1/equipment-types")["items"]}[type_code]
        return f"{t['plugin']}@{t['version']}"

    # ---- equipment ----

    def code(self, variety="3110", year=2019):
        """A new equipment code: <variety>, made in <year>, the next serial number."""
        self.serial += 1
        return f"{variety}51123{int(year):04d}{self.serial:05d}"

    def register(self, jurisdiction=A, unit=None, tok=None, code=None, variety=None, **over):
        """Registers an elevator (of <variety>, under <code>, if given) as <tok> (the city unless
        told): the record, which must be created."""
        body = elevator(code or self.code(variety or "3110"), jurisdiction,
                        unit or (self.unit_a if jurisdiction == A else self.unit_b), self.maint, **over)
        if variety:
            body["attributes"]["variety"] = variety
        return self.register_body(body, tok)

    def register_body(self, body, tok=None):
        """Registers the unit <body> describes, of any type, as <tok> (the city unless told): the
        record, which must be created."""
        s, h, rec = self.server.post("/api/v1/equipment", body, tok=tok or self.city)
        if s != 201:
            raise AssertionError(f"registration failed: {s} {rec}")
        return rec

    def read(self, path, tok=None):
        """GET <path> as <tok> (the city unless told), which must be found: the answer."""
        s, _, body = self.server.get(path, tok=tok or self.city)
        eq(s, 200, f"{path}: {body}")
        return body

    def equipment(self, eid, tok=None):
        """Unit <eid> as <tok> (the city unless told) reads it."""
        return self.read(f"/api/v1/equipment/{eid}", tok)

    def transition(self, rec_or_id, action, tok=None, version=None, **fields):
        eid = rec_or_id["id"] if isinstance(rec_or_id, dict) else rec_or_id
        if version is None:
            version = rec_or_id["version"] if isinstance(rec_or_id, dict) else \
                self.server.get(f"/api/v1/equipment/{eid}", tok=self.city)[2]["version"]
        body = {"action": action, "reason": fields.pop("reason", "测试")}
        body.update(fields)
        return self.server.post(f"/api/v1/equipment/{eid}/transitions", body, tok=tok or self.city,
                                headers={"If-Match": f'"{version}"'})

    # ---- hazards and rectifications ----

    def label(self, prefix):
        """<prefix> and the next number: conditions and directive numbers that are not used yet."""
        self.n += 1
        return f"{prefix}{self.n}"

    def open_hazard(self, rec, condition, tok=None, description="测试隐患", grade="general"):
        """Reports a hazard of <condition> on unit <rec> as <tok> (the city unless told); the
        hazard, which must be opened."""
        s, _, h = self.server.post("/api/v1/hazards", {"equipment_id": rec["id"], "condition": condition,
                                                       "description": description, "grade": grade},
                                   tok=tok or self.city)
        eq(s, 201, f"hazard: {h}")
        return h

    def hazard(self, hid, tok=None):
        """Hazard <hid> as <tok> (the city unless told) reads it."""
        return self.read(f"/api/v1/hazards/{hid}", tok)

    def hazards_of(self, rec, tok=None, source=None):
        """The hazards listed for unit <rec> (of <source> only, if given) to <tok> (the city unless told)."""
        return self.read(f"/api/v1/hazards?equipment_id={rec['id']}" + (f"&source={source}" if source else ""),
                         tok)["items"]

    def open_rectification(self, hazards, number, deadline=None, workflow=None, tok=None):
        """Opens the rectification of <hazards> numbered <number> as <tok> (the city unless told):
        a directive (监察指令书) to be done by <deadline>, or one under <workflow> (挂牌督办,
        listed_supervision, is opened without a deadline). It must be opened."""
        body = {"workflow": workflow} if workflow else {}
        body.update(hazard_ids=[h["id"] for h in hazards], directive_number=number)
        if deadline is not None:
            body["deadline"] = deadline
        s, _, r = self.server.post("/api/v1/rectifications", body, tok=tok or self.city)
        eq(s, 201, f"rectification: {r}")
        return r

    def rectification(self, rid, tok=None):
        """Rectification <rid> as <tok> (the city unless told) reads it."""
        return self.read(f"/api/v1/rectifications/{rid}", tok)

    # ---- evidence ----

    def upload(self, data, name, tok, ctype="image/jpeg", headers=None):
        """POST /api/v1/evidence of <data> under <name> as <tok>: (status, headers, answer)."""
        h = {"Content-Type": ctype}
        h.update(headers or {})
        return self.server.post(f"/api/v1/evidence?name={urllib.parse.quote(name)}", tok=tok, raw=data, headers=h)

    def evidence(self, data=b"\xff\xd8\xff photo of the repaired door lock", name="repair.jpg", ctype="image/jpeg",
                 tok=None):
        """Uploads <data> as <tok> (user unit A unless told), which must be taken: the reference
        to cite."""
        s, _, ref = self.upload(data, name, tok or self.user_a, ctype)
        check(s in (200, 201), f"evidence upload: {s} {ref}")
        return ref

    def download(self, sha, tok):
        """GET /api/v1/evidence?sha256=<sha> as <tok>: (status, headers, the bytes)."""
        return self.server.fetch("GET", f"/api/v1/evidence?sha256={sha}", tok=tok)

    # ---- the server ----

    def restart(self, plugin_dir=None, env=None, threads=4):
        """Stops the world's server and starts another on the same database, as told."""
        self.server.stop()
        self.server = Server(self.db, plugin_dir=plugin_dir, env=env, threads=threads)
        return self.server

    def close(self):
        rc = self.server.stop()
        if rc != 0:
            raise RuntimeError(f"server exited with {rc}")


def act(w, r, action, tok, **fields):
    """Takes workflow action <action> on rectification <r> (at its version) as <tok>: (status, answer)."""
    body = {"action": action}
    body.update(fields)
    s, _, out = w.server.post(f"/api/v1/rectifications/{r['id']}/transitions", body, tok=tok,
                              headers={"If-Match": f'"{r["version"]}"'})
    return s, out


def step(w, r, action, tok, **fields):
    """act() that must succeed; the rectification as it now stands."""
    s, out = act(w, r, action, tok, **fields)
    if s != 200:
        raise AssertionError(f"{action}: got {s}, want 200: {out}")
    return out
