/* demo.c -- see demo.h. All names are invented; all codes pass their check digits. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tx.h"
#include "equipment.h"
#include "ident.h"
#include "inspection.h"
#include "lifecycle.h"
#include "org.h"
#include "rectification.h"
#include "accreditation.h"

struct demo_org {
  const char *name;
  const char *kind;
  const char *div;
};

static const struct demo_org orgs[] = {
  { "成都锦城置业有限公司", "user_unit", "510104" },
  { "成都青羊广场商业管理有限公司", "user_unit", "510105" },
  { "成都金牛热力有限公司", "user_unit", "510106" },
  { "成都武侯第一人民医院", "user_unit", "510107" },
  { "成都成华化工有限公司", "user_unit", "510108" },
  { "成都高新科技园物业服务有限公司", "user_unit", "510100" },
  { "成都天府新区会展中心管理有限公司", "user_unit", "510100" },
  { "成都双流航空港物流有限公司", "user_unit", "510116" },
  { "成都市特种设备检验检测研究院（演示）", "agency", "510100" },
  { "蜀都锅炉压力容器检验有限公司（演示）", "agency", "510107" },
  { "成都通达电梯维修保养有限公司", "maintenance_unit", "510106" },
  { "成都安顺电梯工程有限公司", "maintenance_unit", "510108" },
};

/* Where each user unit's equipment stands. */
static const char *const org_jurisdiction[] = { "510104", "510105", "510106", "510107", "510108", "510100-GX",
                                                "510100-TF", "510116", "510100", "510107", "510106", "510108" };

void sr_demo_credit_code(int n, const char *div, char out[19])
{
  char body[16];
  snprintf(body, sizeof body, "MA6%05d", (1000 + n * 37) % 100000);
  char tmp[32];
  snprintf(tmp, sizeof tmp, "91%.6s%.8s%c", div, body, sr_orgcode_check_char(body));
  memcpy(out, tmp, 17);
  out[17] = sr_uscc_check_char(out);
  out[18] = '\0';
}

/* Looks up <key> as the caller, so that row-level security shows what the caller may see. */
static bool exists(struct sr_ctx *c, const char *sql, const char *key, struct sr_problem *pb)
{
  if(!sr_tx_begin(c, pb))
    return false;
  const char *p[] = { key };
  PGresult *r = sr_db_exec(c->db, sql, 1, p);
  bool found = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) > 0;
  PQclear(r);
  sr_tx_rollback(c);
  return found;
}

static cJSON *elevator_attrs(int i, const char *maint)
{
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "variety", i % 7 == 3 ? "3120" : "3110");
  cJSON_AddNumberToObject(a, "rated_load_kg", i % 7 == 3 ? 2000 : (i % 2 ? 1000 : 1350));
  cJSON_AddNumberToObject(a, "rated_speed_mps", i % 3 ? 1.75 : 2.5);
  cJSON_AddNumberToObject(a, "stops", 6 + i % 28);
  cJSON_AddStringToObject(a, "maintenance_unit", maint);
  cJSON_AddStringToObject(a, "manufacturer", i % 2 ? "演示电梯制造有限公司" : "蜀川电梯股份有限公司");
  return a;
}

static cJSON *boiler_attrs(int i)
{
  static const char *const fuels[] = { "natural_gas", "coal", "biomass", "electric" };
  bool steam = i % 2 == 0;
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "variety", steam ? "1100" : "1200");
  cJSON_AddNumberToObject(a, "rated_pressure_mpa", steam ? 1.25 : 1.0);
  cJSON *cap = cJSON_AddObjectToObject(a, "rated_capacity");
  cJSON_AddNumberToObject(cap, "value", steam ? 4 + i % 16 : 2.8 + i % 5);
  cJSON_AddStringToObject(cap, "unit", steam ? "t/h" : "MW");
  cJSON_AddStringToObject(a, "fuel", fuels[i % 4]);
  return a;
}

static cJSON *vessel_attrs(int i)
{
  static const char *const media[] = { "压缩空气", "液化石油气", "蒸汽", "氮气", "液氨" };
  static const char *const varieties[] = { "2130", "2150", "2170" };
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "variety", varieties[i % 3]);
  cJSON_AddNumberToObject(a, "design_pressure_mpa", 0.8 + (i % 5) * 0.4);
  cJSON_AddNumberToObject(a, "volume_m3", 1 + i % 30);
  cJSON_AddStringToObject(a, "medium", media[i % 5]);
  cJSON_AddNumberToObject(a, "design_temperature_c", 50 + i % 100);
  return a;
}

static bool load_orgs(struct sr_ctx *c, struct sr_problem *pb, int *added)
{
  for(size_t i = 0; i < sizeof orgs / sizeof *orgs; i++) {
    char code[19];
    sr_demo_credit_code((int)i, orgs[i].div, code);
    if(exists(c, "SELECT 1 FROM organization WHERE credit_code = $1", code, pb))
      continue;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "credit_code", code);
    cJSON_AddStringToObject(b, "name", orgs[i].name);
    cJSON_AddStringToObject(b, "kind", orgs[i].kind);
    cJSON_AddStringToObject(b, "jurisdiction", org_jurisdiction[i]);
    cJSON *out = NULL;
    enum sr_err e = sr_org_create(c, b, &out, pb);
    cJSON_Delete(b);
    cJSON_Delete(out);
    if(e != SR_OK)
      return false;
    (*added)++;
  }
  return true;
}

/* A few lifecycle steps so the demo shows every status. */
static bool demo_transition(struct sr_ctx *c, long id, const char *action, const char *reason,
                            struct sr_problem *pb)
{
  cJSON *rec = NULL;
  if(sr_equipment_get(c, id, &rec, pb) != SR_OK)
    return false;
  struct sr_versions version = { .n = 1, .v = { (long)cJSON_GetObjectItem(rec, "version")->valuedouble } };
  cJSON_Delete(rec);
  cJSON *b = cJSON_CreateObject();
  cJSON_AddStringToObject(b, "action", action);
  cJSON_AddStringToObject(b, "reason", reason);
  rec = NULL;
  enum sr_err e = sr_equipment_transition(c, id, &version, b, &rec, pb);
  cJSON_Delete(b);
  cJSON_Delete(rec);
  return e == SR_OK;
}

/* The demo agency, accredited for every type, acting as itself. */
static bool demo_agency(struct sr_ctx *c, struct sr_ctx *agency, struct sr_problem *pb)
{
  char code[19];
  sr_demo_credit_code(8, orgs[8].div, code);
  const char *p[] = { code };
  if(!sr_tx_begin(c, pb)) /* as the system: organizations have row policies */
    return false;
  PGresult *r = sr_db_exec(c->db, "SELECT o.id, (SELECT count(*) FROM accreditation a WHERE a.agency_id = o.id) "
                                  "FROM organization o WHERE o.credit_code = $1", 1, p);
  bool ok = sr_db_ok(r, PGRES_TUPLES_OK) && PQntuples(r) == 1;
  long id = ok ? atol(PQgetvalue(r, 0, 0)) : 0;
  bool accredited = ok && atol(PQgetvalue(r, 0, 1)) > 0;
  PQclear(r);
  sr_tx_rollback(c);
  if(!ok)
    return sr_problem_set(pb, SR_INTERNAL, "the demo agency is missing"), false;
  static const char *const types[] = { "elevator", "boiler", "pressure_vessel" };
  for(int i = 0; i < 3 && !accredited; i++) {
    cJSON *b = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(b, "equipment_type", types[i]);
    cJSON_AddStringToObject(b, "valid_from", "2000-01-01");
    cJSON_AddStringToObject(b, "valid_to", "2035-12-31");
    enum sr_err e = sr_accreditation_create(c, id, b, &out, pb);
    cJSON_Delete(b);
    cJSON_Delete(out);
    if(e != SR_OK)
      return false;
  }
  *agency = *c;
  agency->who.role = SR_ROLE_AGENCY;
  agency->who.org_id = id;
  agency->who.account_id = 0;
  return true;
}

/* The conclusion an inspection of <kind> on a unit of <type> reaches; <fail> for a failed one. */
static void demo_conclusion(cJSON *b, const char *type, const char *kind, bool fail)
{
  if(strcmp(type, "elevator") == 0)
    cJSON_AddStringToObject(b, "conclusion", fail ? "fail" : "pass");
  else if(strcmp(type, "pressure_vessel") == 0 && strcmp(kind, "periodic") == 0) {
    cJSON_AddStringToObject(b, "conclusion", fail ? "not_permitted" : "permitted");
    cJSON_AddNumberToObject(b, "safety_grade", fail ? 5 : 2);
  }
  else
    cJSON_AddStringToObject(b, "conclusion", fail ? "does_not_meet" : "meets");
}

/*
 * The results the demo agency would have uploaded over the years: each inspection ten days
 * before it fell due, so that most of the city is up to date; one unit in seven was never
 * inspected (overdue) and one in eleven failed its last inspection.
 */
static bool demo_history(struct sr_ctx *c, struct sr_ctx *agency, long id, const char *type, int i,
                         struct sr_problem *pb)
{
  if(i % 7 == 2)
    return true;
  for(int n = 0; n < 40; n++) {
    cJSON *rec = NULL;
    if(sr_equipment_get(c, id, &rec, pb) != SR_OK)
      return false;
    const cJSON *due = cJSON_GetObjectItem(rec, "next_due"), *kind = cJSON_GetObjectItem(rec, "next_due_kind");
    struct sr_date d;
    bool go = cJSON_IsString(due) && cJSON_IsString(kind) && sr_date_parse(due->valuestring, &d) &&
              sr_date_cmp(d, c->today) <= 0;
    if(!go) {
      cJSON_Delete(rec);
      return true;
    }
    char on[11], report[48];
    sr_date_format(sr_date_add_days(d, -10), on);
    snprintf(report, sizeof report, "DEMO-%ld-%d", id, n);
    bool fail = i % 11 == 0 && sr_date_cmp(sr_date_add_months(d, 12), c->today) > 0;
    cJSON *b = cJSON_CreateObject(), *out = NULL;
    cJSON_AddNumberToObject(b, "equipment_id", (double)id);
    cJSON_AddStringToObject(b, "report_number", report);
    cJSON_AddStringToObject(b, "kind", kind->valuestring);
    cJSON_AddStringToObject(b, "inspected_on", on);
    cJSON_AddStringToObject(b, "inspector", "演示检验员");
    demo_conclusion(b, type, kind->valuestring, fail);
    cJSON_Delete(rec);
    int status = 0;
    enum sr_err e = sr_inspection_record(agency, b, &out, &status, pb);
    cJSON_Delete(b);
    cJSON_Delete(out);
    if(e != SR_OK)
      return false;
    if(fail)
      return true;
  }
  return true;
}

#define DEMO_DIRECTIVE "锦质监指〔2026〕示例001号"

/* A directive (监察指令书) on the first failed unit still in use, acknowledged by its user unit,
 * so that the demo shows a rectification under way with what each role may do next. */
static bool demo_directive(struct sr_ctx *c, struct sr_problem *pb)
{
  if(exists(c, "SELECT 1 FROM rectification WHERE directive_number = $1", DEMO_DIRECTIVE, pb))
    return true;
  if(!sr_tx_begin(c, pb))
    return false;
  PGresult *r = sr_db_exec(c->db,
                           "SELECT h.id, e.jurisdiction, e.user_unit_id FROM hazard h JOIN equipment e ON e.id = h.equipment_id "
                           "WHERE h.source = 'failed_in_use' AND h.status = 'open' "
                           /* the quick start's user-unit token is the first user unit's */
                           "ORDER BY e.user_unit_id = (SELECT min(id) FROM organization WHERE kind = 'user_unit') DESC, "
                           "h.id LIMIT 1",
                           0, NULL);
  sr_tx_rollback(c);
  if(!sr_db_ok(r, PGRES_TUPLES_OK) || PQntuples(r) != 1) { /* no failed unit in use: nothing to show */
    PQclear(r);
    return true;
  }
  struct sr_ctx district = *c, unit = *c;
  district.who.role = SR_ROLE_DISTRICT;
  snprintf(district.who.jurisdiction, sizeof district.who.jurisdiction, "%s", PQgetvalue(r, 0, 1));
  unit.who.role = SR_ROLE_USER_UNIT;
  unit.who.org_id = atol(PQgetvalue(r, 0, 2));
  char deadline[11];
  sr_date_format(sr_date_add_days(c->today, 30), deadline);
  cJSON *body = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(body, "hazard_ids");
  cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)atol(PQgetvalue(r, 0, 0))));
  PQclear(r);
  cJSON_AddStringToObject(body, "directive_number", DEMO_DIRECTIVE);
  cJSON_AddStringToObject(body, "deadline", deadline);
  cJSON_AddStringToObject(body, "note", "定期检验不合格仍在使用，责令立即停止使用并限期整改");
  cJSON *rect = NULL, *ack = cJSON_CreateObject(), *after = NULL;
  cJSON_AddStringToObject(ack, "action", "acknowledge");
  cJSON_AddStringToObject(ack, "note", "已收到指令书，设备已停用");
  bool ok = sr_rectification_open(&district, body, &rect, pb) == SR_OK &&
            sr_rectification_transition(&unit, (long)cJSON_GetObjectItem(rect, "id")->valuedouble,
                                        &(const struct sr_versions){ .n = 1, .v = { 1 } }, ack, &after, pb) == SR_OK;
  cJSON_Delete(body);
  cJSON_Delete(ack);
  cJSON_Delete(rect);
  cJSON_Delete(after);
  return ok;
}

bool sr_demo_load(struct sr_ctx *c, struct sr_problem *pb)
{
  int orgs_added = 0, eq_added = 0;
  if(!load_orgs(c, pb, &orgs_added))
    return false;
  char maint[2][19];
  sr_demo_credit_code(10, orgs[10].div, maint[0]);
  sr_demo_credit_code(11, orgs[11].div, maint[1]);
  const int units = 8; /* the first eight organizations are user units */
  struct sr_ctx agency;
  if(!demo_agency(c, &agency, pb))
    return false;
  for(int i = 0; i < 100; i++) {
    const char *type = i < 60 ? "elevator" : i < 75 ? "boiler" : "pressure_vessel";
    cJSON *attrs = i < 60 ? elevator_attrs(i, maint[i % 2]) : i < 75 ? boiler_attrs(i) : vessel_attrs(i);
    const char *variety = cJSON_GetObjectItem(attrs, "variety")->valuestring;
    int made = 2008 + i % 15;
    char code[32], on[16], addr[128], unit[19];
    snprintf(code, sizeof code, "%.4s51123%04d%05d", variety, made % 10000, (100 + i) % 100000);
    if(exists(c, "SELECT 1 FROM equipment WHERE equipment_code = $1", code, pb)) {
      cJSON_Delete(attrs);
      continue;
    }
    snprintf(on, sizeof on, "%04d-%02d-%02d", made + 1, 1 + i % 12, 1 + i % 28);
    int u = i % units;
    sr_demo_credit_code(u, orgs[u].div, unit);
    snprintf(addr, sizeof addr, "%s %d 号", orgs[u].name, 1 + i);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", type);
    cJSON_AddStringToObject(b, "equipment_code", code);
    cJSON_AddStringToObject(b, "jurisdiction", org_jurisdiction[u]);
    cJSON_AddStringToObject(b, "user_unit", unit);
    cJSON_AddStringToObject(b, "address", addr);
    cJSON_AddStringToObject(b, "commissioned_on", on);
    cJSON_AddItemToObject(b, "attributes", attrs);
    cJSON *rec = NULL;
    enum sr_err e = sr_equipment_register(c, b, &rec, pb);
    cJSON_Delete(b);
    if(e != SR_OK)
      return false;
    long id = (long)cJSON_GetObjectItem(rec, "id")->valuedouble;
    cJSON_Delete(rec);
    eq_added++;
    if(!demo_history(c, &agency, id, type, i, pb))
      return false;
    if(i % 17 == 5 && !demo_transition(c, id, "suspend", "拟停用1年以上，已设置停用标志", pb))
      return false;
    if(i == 42 && !(demo_transition(c, id, "scrap", "达到设计使用年限，已消除使用功能", pb) &&
                    demo_transition(c, id, "cancel", "报废后注销登记", pb)))
      return false;
  }
  if(!demo_directive(c, pb))
    return false;
  printf("demo: %d organizations and %d units of equipment added (already there are kept)\n", orgs_added,
         eq_added);
  return true;
}
