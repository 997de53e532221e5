/*
 * import_state.c -- what a register's row says of a unit's inspections (import_int.h): the last
 * inspection (date, kind, conclusion, agency, report number, each of which a real register may
 * lack) and the next due date as the register records it. The unit keeps that state (sql/0026)
 * until a real result arrives; a unit imported without any is "unknown", never overdue.
 */
#include <stdio.h>
#include <string.h>

#include "eqtype.h"
#include "i18n.h"
#include "import_int.h"

enum { S_LAST_ON, S_KIND, S_CONCLUSION, S_AGENCY, S_REPORT, S_NEXT };

void sr_import_state_read(struct importer *im, const struct sr_eqtype *t, const char *const *cells, long line,
                          struct sr_import_state *out, struct sr_problem *rpb)
{
  memset(out, 0, sizeof *out);
  bool any = false;
  for(int i = 0; i < SR_IMPORT_STATE_CELLS; i++)
    any = any || cells[i];
  out->basis = cJSON_CreateObject();
  cJSON *source = cJSON_AddObjectToObject(out->basis, "source");
  cJSON_AddStringToObject(source, "file", im->o->path);
  cJSON_AddNumberToObject(source, "line", (double)line);
  if(!any) {
    snprintf(out->state, sizeof out->state, "unknown");
    cJSON_AddStringToObject(out->basis, "reason", "台账未记录检验状态：待区县核实");
    return;
  }
  char last[11] = "", next[11] = "";
  if(cells[S_LAST_ON] && !sr_import_date(cells[S_LAST_ON], last))
    sr_problem_field(rpb, "last_inspected_on", "'%s' is not a date (write 2019-03-05, 2019/3/5, 2019-3-5, 2019年3月5日, 2019.3.5 or 20190305)", cells[S_LAST_ON]);
  if(cells[S_NEXT] && !sr_import_date(cells[S_NEXT], next))
    sr_problem_field(rpb, "next_due", "'%s' is not a date (write 2019-03-05, 2019/3/5, 2019-3-5, 2019年3月5日, 2019.3.5 or 20190305)", cells[S_NEXT]);
  const char *kind = cells[S_KIND] ? sr_inspection_kind_code(cells[S_KIND]) : "periodic";
  if(!kind)
    sr_problem_field(rpb, "last_inspection_kind", "'%s' is not an inspection kind", cells[S_KIND]);
  const struct sr_conclusion *con = NULL;
  if(cells[S_CONCLUSION] && kind && t) {
    con = sr_eqtype_conclusion_named(sr_eqtype_kind(t, kind), cells[S_CONCLUSION]);
    if(!con)
      sr_problem_field(rpb, "last_conclusion", "'%s' is not a conclusion of that inspection", cells[S_CONCLUSION]);
  }
  cJSON *li = cJSON_AddObjectToObject(out->basis, "last_inspection");
  if(last[0])
    cJSON_AddStringToObject(li, "inspected_on", last);
  if(kind)
    cJSON_AddStringToObject(li, "kind", kind);
  if(con)
    cJSON_AddStringToObject(li, "conclusion", con->code);
  const char *keep[] = { cells[S_AGENCY], cells[S_REPORT] }, *names[] = { "agency", "report_number" };
  for(int i = 0; i < 2; i++)
    if(keep[i])
      cJSON_AddStringToObject(li, names[i], keep[i]);
  snprintf(out->state, sizeof out->state, "recorded");
  if(next[0]) {
    snprintf(out->due, sizeof out->due, "%s", next);
    cJSON_AddStringToObject(out->basis, "reason", "下次检验日期按台账记录");
  }
  else if(last[0] && kind) {
    /* Only the last inspection: the rule decides from it, as from a result on the record. */
    out->history = cJSON_CreateArray();
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "kind", kind);
    cJSON_AddStringToObject(r, "inspected_on", last);
    cJSON_AddStringToObject(r, "conclusion", con ? con->code : "pass");
    cJSON_AddBoolToObject(r, "passed", con ? con->passed : true);
    cJSON_AddStringToObject(r, "report_number", cells[S_REPORT] ? cells[S_REPORT] : "");
    cJSON_AddItemToArray(out->history, r);
    cJSON_AddStringToObject(out->basis, "reason", "下次检验日期由规则按台账记录的上次检验推算");
  }
  else {
    snprintf(out->state, sizeof out->state, "unknown");
    cJSON_AddStringToObject(out->basis, "reason", "台账未记录检验日期：待区县核实");
  }
}

void sr_import_state_decide(struct sr_import_state *s, const cJSON *answer)
{
  const cJSON *date = cJSON_GetObjectItem(answer, "date"), *kind = cJSON_GetObjectItem(answer, "kind");
  if(cJSON_IsString(kind))
    snprintf(s->kind, sizeof s->kind, "%s", kind->valuestring);
  else if(!s->kind[0])
    snprintf(s->kind, sizeof s->kind, "periodic");
  if(s->history && !s->due[0] && cJSON_IsString(date))
    snprintf(s->due, sizeof s->due, "%s", date->valuestring);
  if(s->history)
    cJSON_AddItemToObject(s->basis, "rule_basis", cJSON_Duplicate(cJSON_GetObjectItem(answer, "basis"), 1));
  if(!s->due[0] && strcmp(s->state, "recorded") == 0)
    snprintf(s->state, sizeof s->state, "unknown");
}

void sr_import_state_free(struct sr_import_state *s)
{
  cJSON_Delete(s->history);
  cJSON_Delete(s->basis);
  s->history = s->basis = NULL;
}
