/*
 * hazard_report.c -- hazards people find: a coordinator's patrol report (with photos as
 * evidence) and a supervisor's manual entry. Both take the road every hazard takes afterwards
 * (escalation.c): history, audit, hazard.opened, the ladder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tx.h"
#include "escalation.h"
#include "evidence.h"
#include "flow.h"
#include "hazard.h"
#include "json.h"
#include "sql.h"
#include "sr_limits.h"

enum sr_err sr_hazard_report(struct sr_ctx *c, const cJSON *body, cJSON **out, struct sr_problem *pb)
{
  static const char *const keys[] = { "equipment_id", "condition", "description", "grade", "level", "evidence", NULL };
  bool patrol = c->who.role == SR_ROLE_COORDINATOR;
  if(!patrol && !sr_role_is_supervisor(c->who.role))
    return sr_problem_set(pb, SR_FORBIDDEN, "Hazards are reported by coordinators on patrol and entered by supervisors.");
  sr_json_only(body, keys, pb);
  const cJSON *eq = cJSON_GetObjectItemCaseSensitive(body, "equipment_id");
  if(!cJSON_IsNumber(eq) || eq->valuedouble < 1 || eq->valuedouble > 9e15 || eq->valuedouble != (double)(long)eq->valuedouble)
    sr_problem_field(pb, "equipment_id", "is required: the id of the unit");
  const char *condition = sr_json_string(body, "condition", true, 64, pb);
  if(condition && !sr_flow_condition_ok(condition))
    sr_problem_field(pb, "condition", "must be a short name of what was found, without ':' (e.g. safety_valve_failed)");
  const char *description = sr_json_string(body, "description", true, SR_MAX_STRING, pb);
  const char *grade = sr_json_string(body, "grade", !patrol, 16, pb);
  const char *level = sr_json_string(body, "level", false, 16, pb);
  if(grade && !sr_flow_grade_ok(grade))
    sr_problem_field(pb, "grade", "must be general or major");
  if(level && !sr_flow_level_ok(level))
    sr_problem_field(pb, "level", "must be district or city");
  if(level && strcmp(level, "city") == 0 && c->who.role != SR_ROLE_CITY)
    sr_problem_field(pb, "level", "city level is set by the city or by the escalation ladder");
  if(pb->err != SR_OK)
    return pb->err;
  if(!sr_tx_begin(c, pb))
    return pb->err;
  cJSON *evidence = NULL;
  sr_evidence_check_refs(c, cJSON_GetObjectItemCaseSensitive(body, "evidence"), "evidence", patrol, &evidence, pb);
  struct sr_sql q;
  sr_sql_init(&q, "SELECT e.id FROM equipment e WHERE e.id = ");
  sr_sql_param_long(&q, (long)eq->valuedouble);
  sr_scope_equipment(&q, c, "e");
  PGresult *r = pb->err == SR_OK && !q.overflow ? sr_db_exec(c->db, q.text.data, q.n, q.params) : NULL;
  sr_sql_free(&q);
  long id = 0;
  if(pb->err == SR_OK && !sr_db_ok(r, PGRES_TUPLES_OK))
    sr_problem_set(pb, SR_INTERNAL, "database error");
  else if(pb->err == SR_OK && PQntuples(r) == 0)
    sr_problem_field(pb, "equipment_id", "names no equipment you may see");
  else if(pb->err == SR_OK) {
    char today[11], occasion[160], rule[64];
    sr_date_format(c->today, today);
    snprintf(occasion, sizeof occasion, "%s/%s", today, c->request_id ? c->request_id : "-");
    snprintf(rule, sizeof rule, "report:%s", sr_role_name(c->who.role));
    cJSON *facts = cJSON_CreateObject();
    cJSON_AddStringToObject(facts, "description", description);
    cJSON_AddStringToObject(facts, "reported_by_role", sr_role_name(c->who.role));
    cJSON_AddStringToObject(facts, "found_on", today);
    struct sr_hazard_new n = { (long)eq->valuedouble, patrol ? "patrol" : "manual", condition, occasion,
                               grade ? grade : "general", level ? level : "district", rule, description, facts,
                               evidence };
    /* The caller may see the unit; writing hazards is the core's to do on its behalf. */
    if(sr_tx_as_system(c, true, pb) && sr_escalation_open(c, &n, &id, pb) == SR_OK && id == 0)
      sr_problem_set(pb, SR_CONFLICT, "An open hazard on this unit already records '%s'; add to it instead.", condition);
    cJSON_Delete(facts);
  }
  PQclear(r);
  cJSON_Delete(evidence);
  if(pb->err != SR_OK || !sr_tx_commit(c, pb)) {
    if(pb->err == SR_CONFLICT)
      sr_problem_field(pb, "condition", "is already open on this unit");
    sr_tx_rollback(c);
    return pb->err != SR_OK ? pb->err : SR_INTERNAL;
  }
  return sr_hazard_get(c, id, out, pb);
}
