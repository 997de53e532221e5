"""world.py -- a small city for the API tests: organizations in two districts, a token per role."""
from harness import Database, Server, token, uscc, elevator

A, B = "510104", "510105"  # 锦江区, 青羊区


class World:
    def __init__(self, name, plugin_dir=None, env=None):
        self.db = Database(name)
        r = self.db.migrate()
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
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
            s, _, body = self.server.post("/api/v1/organizations", {
                "credit_code": code, "name": name, "kind": kind, "jurisdiction": j}, tok=self.city)
            if s != 201:
                raise RuntimeError(f"organization setup failed: {s} {body}")
        self.district_a = token(self.db, "district_supervisor", jurisdiction=A)
        self.district_b = token(self.db, "district_supervisor", jurisdiction=B)
        self.coordinator_a = token(self.db, "coordinator", jurisdiction=A)
        self.user_a = token(self.db, "user_unit", org=self.unit_a)
        self.user_b = token(self.db, "user_unit", org=self.unit_b)
        self.agency = token(self.db, "agency", org=self.agency_code)
        self.serial = 0

    def accredit(self, type_code, valid_from="2019-01-01", valid_to="2030-12-31"):
        """Accredits the world's agency for <type_code> over the period."""
        agency = self.db.sql(f"SELECT id FROM organization WHERE credit_code = '{self.agency_code}'")
        s, _, r = self.server.post(f"/api/v1/organizations/{agency}/accreditations", {
            "equipment_type": type_code, "valid_from": valid_from, "valid_to": valid_to}, tok=self.city)
        if s != 201:
            raise RuntimeError(f"accreditation failed: {s} {r}")

    def rule(self, type_code):
        """The rule a unit of <type_code> records: the loaded plugin's file@version."""
        s, _, r = self.server.get("/api/v1/equipment-types", tok=self.city)
        t = {t["code"]: t for t in r["items"]}[type_code]
        return f"{t['plugin']}@{t['version']}"

    def code(self, variety="3110"):
        self.serial += 1
        return f"{variety}51123{2019:04d}{self.serial:05d}"

    def register(self, jurisdiction=A, unit=None, tok=None, **over):
        body = elevator(self.code(), jurisdiction, unit or (self.unit_a if jurisdiction == A else self.unit_b),
                        self.maint, **over)
        s, h, rec = self.server.post("/api/v1/equipment", body, tok=tok or self.city)
        if s != 201:
            raise AssertionError(f"registration failed: {s} {rec}")
        return rec

    def transition(self, rec_or_id, action, tok=None, version=None, **fields):
        eid = rec_or_id["id"] if isinstance(rec_or_id, dict) else rec_or_id
        if version is None:
            version = rec_or_id["version"] if isinstance(rec_or_id, dict) else \
                self.server.get(f"/api/v1/equipment/{eid}", tok=self.city)[2]["version"]
        body = {"action": action, "reason": fields.pop("reason", "测试")}
        body.update(fields)
        return self.server.post(f"/api/v1/equipment/{eid}/transitions", body, tok=tok or self.city,
                                headers={"If-Match": f'"{version}"'})

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
