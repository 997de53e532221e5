/* import_equipment.c -- `sereg import equipment`: one row, one registration's checks (import.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "equipment.h"
#include "import_int.h"
#include "json.h"
#include "plugin.h"
#include "type_name.h"

enum { E_CODE, E_TYPE, E_JUR, E_UNIT, E_ADDR, E_ON, E_REGNO, E_STATUS, E_ATTRS, E_VARIETY,
       E_LAST_ON, E_LAST_KIND, E_CONCLUSION, E_AGENCY, E_REPORT, E_NEXT_DUE, E__N };

static const char stage_equipment[] =
    "CREATE TEMP TABLE import_stage (line bigint, raw text, pre jsonb, equipment_code text, type text, "
    "variety text, registration_number text, reg_head text, reg_series text, jurisdiction text, user_unit text, "
    "address text, commissioned_on date, attributes jsonb, status text, rule text, next_due date, "
    "next_due_kind text, next_due_rule text, next_due_basis jsonb, inspection_state text) ON COMMIT DROP";

/* The register's checks, run on every row that names what they look at, its own faults or not. */
static const char checks_equipment[] =
    "SELECT line, k, field, reason, raw FROM ("
    " SELECT line, raw, 101 AS k, 'user_unit' AS field, '没有以统一社会信用代码 ' || user_unit || ' 登记的使用单位' "
    "  AS reason FROM import_stage s WHERE user_unit IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organization o "
    "  WHERE o.credit_code = s.user_unit AND o.kind = 'user_unit')"
    " UNION ALL SELECT line, raw, 102, 'jurisdiction', jurisdiction || ' 不是本市现行的区县级辖区' "
    "  FROM import_stage s WHERE jurisdiction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jurisdiction j "
    "  WHERE j.code = s.jurisdiction AND j.kind <> 'city' AND j.valid_to IS NULL)"
    " UNION ALL SELECT line, raw, 103, 'equipment_code', equipment_code || ' 已经登记' "
    "  FROM import_stage s WHERE EXISTS (SELECT 1 FROM equipment e WHERE e.equipment_code = s.equipment_code)"
    " UNION ALL SELECT line, raw, 104, 'equipment_code', '与本文件第 ' || first || ' 行重复' FROM ("
    "  SELECT line, raw, min(line) OVER (PARTITION BY equipment_code) AS first FROM import_stage "
    "  WHERE equipment_code IS NOT NULL) d WHERE line > first"
    " UNION ALL SELECT line, raw, 105, 'registration_number', registration_number || ' 已经登记' "
    "  FROM import_stage s WHERE registration_number IS NOT NULL AND EXISTS (SELECT 1 FROM equipment e "
    "  WHERE e.registration_number = s.registration_number)"
    " UNION ALL SELECT line, raw, 106, 'registration_number', '与本文件第 ' || first || ' 行重复' FROM ("
    "  SELECT line, raw, min(line) OVER (PARTITION BY registration_number) AS first FROM import_stage "
    "  WHERE registration_number IS NOT NULL) d WHERE line > first"
    ") x";

/* Loads the staged rows that passed every check, with their history events. */
static const char load_equipment[] =
    "WITH sq AS MATERIALIZED (SELECT reg_series, sereg_registration_sequence(reg_series) AS seq "
    "  FROM (SELECT DISTINCT reg_series FROM import_stage WHERE pre IS NULL) d), "
    "ins AS (INSERT INTO equipment (equipment_code, type, variety, registration_number, jurisdiction, "
    "  user_unit_id, address, commissioned_on, attributes, status, rule, next_due, next_due_kind, next_due_rule, "
    "  next_due_basis, inspection_state) "
    "  SELECT g.equipment_code, g.type, g.variety, coalesce(g.registration_number, g.reg_head "
    "   || (SELECT plate_prefix FROM jurisdiction WHERE kind = 'city' LIMIT 1) "
    "   || (SELECT lpad(v::text, greatest(5, length(v::text)), '0') FROM nextval(sq.seq) v) "
    "   || '(' || right(g.reg_series, 2) || ')'), "
    "  g.jurisdiction, o.id, g.address, g.commissioned_on, g.attributes, g.status, g.rule, g.next_due, g.next_due_kind, "
    "  g.next_due_rule, g.next_due_basis, g.inspection_state FROM import_stage g "
    "  JOIN organization o ON o.credit_code = g.user_unit "
    "  AND o.kind = 'user_unit' JOIN sq USING (reg_series) "
    "  WHERE g.pre IS NULL AND NOT EXISTS (SELECT 1 FROM chunk_refused r WHERE r.line = g.line) "
    "  ORDER BY g.line RETURNING id, status, inspection_state) "
    "SELECT count(*) AS loaded, count(*) FILTER (WHERE inspection_state = 'unknown') AS unknown, sereg_record(jsonb_agg(jsonb_build_object('history', jsonb_build_object("
    "  'of', 'equipment', 'id', id, 'action', 'import', 'to', status, 'reason', '批量导入', "
    "  'after', jsonb_build_object('status', status))))) FROM ins";

/* The serials of the registration numbers the chunk brought in, by series (梯11/2026 for
 * 梯11川A01115(26)), for the series to move past them when the run is kept. */
static const char serials_equipment[] =
    "INSERT INTO import_serials SELECT g.reg_head || '/' || (2000 + m[2]::int), max(m[1]::bigint) "
    "FROM import_stage g, (SELECT coalesce(plate_prefix, '') AS plate FROM jurisdiction WHERE kind = 'city' LIMIT 1) p, "
    "LATERAL regexp_match(substr(g.registration_number, length(g.reg_head || p.plate) + 1), "
    "'^([0-9]{1,18})\\(([0-9]{2})\\)$') m "
    "WHERE g.registration_number IS NOT NULL AND g.pre IS NULL "
    "AND left(g.registration_number, length(g.reg_head || p.plate)) = g.reg_head || p.plate "
    "AND NOT EXISTS (SELECT 1 FROM chunk_refused r WHERE r.line = g.line) GROUP BY 1";

/* The attribute of <t> a header key names, by its name or its title. */
static const struct sr_attr *attr_by_key(const struct sr_eqtype *t, const char *key)
{
  for(int i = 0; t && i < t->nattrs; i++)
    if(strcmp(t->attrs[i].name, key) == 0 || sr_import_title_eq(key, t->attrs[i].title))
      return &t->attrs[i];
  return NULL;
}

static bool attr_ok(struct importer *im, const char *key)
{
  for(int i = 0; i < sr_plugins_ntypes(im->c->plugins); i++)
    if(attr_by_key(sr_plugins_type_at(im->c->plugins, i), key))
      return true;
  return false;
}

/* Converts a cell to the attribute's JSON type; NULL with a reason in <rpb> when it does not. */
static cJSON *attr_value(const struct sr_attr *a, char *s, struct sr_problem *rpb)
{
  char *end, field[96];
  snprintf(field, sizeof field, "attributes.%s", a->name);
  if(a->kind != SR_ATTR_STRING)
    sr_import_fold(s);
  switch(a->kind) {
  case SR_ATTR_STRING:
    return cJSON_CreateString(s);
  case SR_ATTR_INTEGER: {
    errno = 0;
    long v = strtol(s, &end, 10);
    if(!errno && !*end && end != s)
      return cJSON_CreateNumber((double)v);
    sr_problem_field(rpb, field, "'%.40s' is not a whole number", s);
    return NULL;
  }
  case SR_ATTR_NUMBER: {
    errno = 0;
    double v = strtod(s, &end);
    if(!errno && !*end && end != s)
      return cJSON_CreateNumber(v);
    sr_problem_field(rpb, field, "'%.40s' is not a number", s);
    return NULL;
  }
  case SR_ATTR_BOOLEAN:
    if(strcmp(s, "true") == 0 || strcmp(s, "是") == 0)
      return cJSON_CreateTrue();
    if(strcmp(s, "false") == 0 || strcmp(s, "否") == 0)
      return cJSON_CreateFalse();
    sr_problem_field(rpb, field, "'%.40s' must be yes or no (是 or 否)", s);
    return NULL;
  case SR_ATTR_OBJECT: {
    cJSON *j = cJSON_Parse(s);
    if(cJSON_IsObject(j))
      return j;
    cJSON_Delete(j);
    sr_problem_field(rpb, field, "'%.40s' is not a JSON object", s);
    return NULL;
  }
  }
  return NULL;
}

/* The attributes of the row: the 技术参数 column's object, the 品种, then each attribute column. */
static cJSON *row_attributes(struct importer *im, char **f, int n, const struct sr_eqtype *t, const char *variety,
                             struct sr_problem *rpb)
{
  cJSON *attrs = NULL;
  const char *aj = sr_import_cell(f, n, &im->cols[E_ATTRS]);
  if(aj) {
    attrs = cJSON_Parse(aj);
    if(!cJSON_IsObject(attrs)) {
      sr_problem_field(rpb, "attributes", "the attributes column must hold a JSON object");
      cJSON_Delete(attrs);
      attrs = NULL;
    }
  }
  if(!attrs)
    attrs = cJSON_CreateObject();
  if(variety) {
    cJSON_DeleteItemFromObjectCaseSensitive(attrs, "variety");
    cJSON_AddStringToObject(attrs, "variety", variety);
  }
  for(int i = 0; i < n && t; i++) { /* columns named after an attribute or its title */
    if(im->used[i])
      continue;
    char *v = sr_import_cell(f, n, &(struct column){ .at = i });
    if(!v)
      continue;
    if(im->attr_type[i] != t) {
      im->attr_type[i] = t;
      im->attr_at[i] = attr_by_key(t, im->key[i]);
    }
    const struct sr_attr *a = im->attr_at[i];
    if(!a) {
      sr_problem_field(rpb, "attributes", "column '%s' is not an attribute of %s", im->h[i], t->name);
      continue;
    }
    if(!im->attr_of[i]) { /* how the summary and the rejects file name its reasons */
      char field[96];
      snprintf(field, sizeof field, "attributes.%s", a->name);
      im->attr_of[i] = strdup(field);
    }
    cJSON *value = attr_value(a, v, rpb);
    if(value) {
      cJSON_DeleteItemFromObjectCaseSensitive(attrs, a->name);
      cJSON_AddItemToObject(attrs, a->name, value);
    }
  }
  return attrs;
}

/* The regime for <type> in <jurisdiction> on today, from the rows read once at the start. */
static const char *regime_for(const PGresult *regimes, const char *type, const char *jurisdiction)
{
  const char *found = NULL;
  for(int i = 0; i < PQntuples(regimes); i++) {
    if(strcmp(PQgetvalue(regimes, i, 0), type) != 0)
      continue;
    if(!PQgetisnull(regimes, i, 1) && strcmp(PQgetvalue(regimes, i, 1), jurisdiction) != 0)
      continue;
    if(!found || !PQgetisnull(regimes, i, 1))
      found = PQgetvalue(regimes, i, 2);
  }
  return found;
}

/* Adds the errors of <from> to <to>, but none about a field <to> has a reason for already: a
 * date the import could not read is not "required" as well. */
static void merge(struct sr_problem *to, const struct sr_problem *from)
{
  for(const cJSON *e = from->errors ? from->errors->child : NULL; e; e = e->next) {
    const char *field = cJSON_GetObjectItem(e, "field")->valuestring;
    bool known = false;
    for(const cJSON *k = to->errors ? to->errors->child : NULL; k && !known; k = k->next)
      known = strcmp(cJSON_GetObjectItem(k, "field")->valuestring, field) == 0;
    if(!known)
      sr_problem_field(to, field, "%s", cJSON_GetObjectItem(e, "message")->valuestring);
  }
  if(from->err != SR_OK && !from->errors && to->err == SR_OK)
    sr_problem_field(to, "", "%s", from->detail);
}

/* The first due date a new unit gets, decided as a registration would decide it. */
static cJSON *first_due(struct sr_ctx *c, const struct sr_eqtype *t, const cJSON *body, const char *status,
                        const char *variety, const PGresult *regimes, const cJSON *given, struct sr_problem *rpb)
{
  cJSON *eq = cJSON_Duplicate(body, 1), *answer = NULL;
  cJSON_AddStringToObject(eq, "status", status);
  cJSON_AddStringToObject(eq, "variety", variety);
  const char *regime = regime_for(regimes, t->code, cJSON_GetObjectItem(body, "jurisdiction")->valuestring);
  if(regime)
    cJSON_AddStringToObject(eq, "regime", regime);
  cJSON *susp = cJSON_AddArrayToObject(eq, "suspensions");
  if(strcmp(status, "suspended") == 0) {
    char today[11];
    sr_date_format(c->today, today);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "from", today);
    cJSON_AddItemToArray(susp, s);
  }
  cJSON *history = given ? cJSON_Duplicate(given, 1) : cJSON_CreateArray();
  struct sr_problem dpb;
  sr_problem_init(&dpb);
  sr_plugins_next_due(c->plugins, t, eq, history, c->today, &answer, &dpb);
  merge(rpb, &dpb);
  sr_problem_free(&dpb);
  cJSON_Delete(eq);
  cJSON_Delete(history);
  return answer;
}

static const char *string_of(const cJSON *o, const char *k)
{
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Reads, checks and stages one row: every fault of it in one list, the register's checks to
 * follow in the chunk's statement. */
static bool stage_row(struct importer *im, char **f, int n, const PGresult *regimes, struct sr_problem *pb)
{
  struct sr_ctx *c = im->c;
  struct column *cols = im->cols;
  char lines[32];
  snprintf(lines, sizeof lines, "%ld", sr_csv_line(im->csv));
  struct sr_buf *b = &im->copy;
  sr_db_copy_field(b, lines, false);
  sr_db_copy_field(b, sr_import_raw(im, f, n), false); /* before the cells are trimmed and folded */
  struct sr_problem rpb;
  sr_problem_init(&rpb);
  char *code = sr_import_cell(f, n, &cols[E_CODE]), *type = sr_import_cell(f, n, &cols[E_TYPE]);
  char *jur = sr_import_cell(f, n, &cols[E_JUR]), *unit = sr_import_cell(f, n, &cols[E_UNIT]);
  char *on = sr_import_cell(f, n, &cols[E_ON]), *regno = sr_import_cell(f, n, &cols[E_REGNO]);
  char *status = sr_import_cell(f, n, &cols[E_STATUS]), *variety = sr_import_cell(f, n, &cols[E_VARIETY]);
  char *folds[] = { code, type, jur, unit, regno, status, variety };
  for(size_t i = 0; i < sizeof folds / sizeof *folds; i++)
    if(folds[i])
      sr_import_fold(folds[i]);
  const char *jcode = sr_import_jurisdiction(im, jur);
  const char *tv = NULL;
  const struct sr_eqtype *t = sr_type_name_resolve(c->plugins, type, &tv);
  if(type && !t) {
    char list[512];
    sr_type_name_list(c->plugins, list, sizeof list);
    sr_problem_field(&rpb, "type", "'%s' is not a loaded equipment type (write %s, or a variety's code or name)", type, list);
  }
  const char *v = variety ? sr_type_name_variety(t, variety) : tv;
  if(!v)
    v = variety; /* as written: the type's checks say what a variety may be */
  char date[11] = "";
  if(on && !sr_import_date(on, date))
    sr_problem_field(&rpb, "commissioned_on", "'%s' is not a date (write 2019-03-05, 2019/3/5, 2019-3-5, 2019年3月5日, 2019.3.5 or 20190305)", on);
  const char *st = status;
  if(!st || strcmp(st, "在用") == 0)
    st = "in_service";
  else if(strcmp(st, "停用") == 0)
    st = "suspended";
  if(strcmp(st, "in_service") != 0 && strcmp(st, "suspended") != 0)
    sr_problem_field(&rpb, "status", "must be in_service or suspended (在用 or 停用)");
  if(regno && strlen(regno) > 64)
    sr_problem_field(&rpb, "registration_number", "is longer than 64 bytes");
  cJSON *body = cJSON_CreateObject();
  const char *values[] = { code, t ? t->code : type, jcode, unit, sr_import_cell(f, n, &cols[E_ADDR]),
                           date[0] ? date : NULL };
  static const char *const keys[] = { "equipment_code", "type", "jurisdiction", "user_unit", "address",
                                      "commissioned_on" };
  for(int k = 0; k < 6; k++)
    if(values[k])
      cJSON_AddStringToObject(body, keys[k], values[k]);
  cJSON *attrs = row_attributes(im, f, n, t, v, &rpb);
  cJSON_AddItemToObject(body, "attributes", attrs);
  struct sr_problem chk;
  sr_problem_init(&chk);
  sr_equipment_check(c, body, &chk);
  merge(&rpb, &chk);
  sr_problem_free(&chk);
  const char *av = string_of(attrs, "variety");
  /* What the register says of the unit's inspections: its recorded due date, or one its rule
   * decides from the last inspection it records, or nothing (the state is unknown). */
  const char *cells[SR_IMPORT_STATE_CELLS] = {
    sr_import_cell(f, n, &cols[E_LAST_ON]),    sr_import_cell(f, n, &cols[E_LAST_KIND]),
    sr_import_cell(f, n, &cols[E_CONCLUSION]), sr_import_cell(f, n, &cols[E_AGENCY]),
    sr_import_cell(f, n, &cols[E_REPORT]),     sr_import_cell(f, n, &cols[E_NEXT_DUE]),
  };
  struct sr_import_state state;
  sr_import_state_read(im, t, cells, sr_csv_line(im->csv), &state, &rpb);
  cJSON *answer = NULL;
  if(rpb.err == SR_OK)
    answer = first_due(c, t, body, st, av, regimes, state.history, &rpb);
  sr_import_state_decide(&state, answer);
  char head[64] = "", series[96] = "", rule[96] = "", *attrs_text = cJSON_PrintUnformatted(attrs);
  if(t && av && strlen(av) >= 3) {
    snprintf(head, sizeof head, "%s%.2s", t->registration_class, av + 1);
    snprintf(series, sizeof series, "%s/%04d", head, c->today.y % 10000);
  }
  if(t)
    snprintf(rule, sizeof rule, "%s@%s", t->file, t->version);
  char *pre = sr_import_reasons(&rpb);
  const cJSON *due = cJSON_GetObjectItem(answer, "date"), *kind = cJSON_GetObjectItem(answer, "kind");
  char *basis_text = NULL;
  const char *due_rule = rule;
  if(state.state[0] && !pre) { /* the register's state, not the rule's */
    basis_text = cJSON_PrintUnformatted(state.basis);
    due_rule = "register";
  }
  else if(answer && !pre) {
    cJSON *basis = cJSON_CreateObject();
    cJSON_AddItemToObject(basis, "reason", cJSON_Duplicate(cJSON_GetObjectItem(answer, "reason"), 1));
    cJSON_AddItemToObject(basis, "basis", cJSON_Duplicate(cJSON_GetObjectItem(answer, "basis"), 1));
    cJSON_AddStringToObject(basis, "rule", rule);
    basis_text = cJSON_PrintUnformatted(basis);
    cJSON_Delete(basis);
  }
  sr_db_copy_field(b, pre, false);
  sr_db_copy_field(b, code, false);
  sr_db_copy_field(b, t ? t->code : NULL, false);
  sr_db_copy_field(b, av, false);
  sr_db_copy_field(b, regno, false);
  sr_db_copy_field(b, head[0] ? head : NULL, false);
  sr_db_copy_field(b, series[0] ? series : NULL, false);
  sr_db_copy_field(b, jcode, false);
  sr_db_copy_field(b, unit, false);
  sr_db_copy_field(b, string_of(body, "address"), false);
  sr_db_copy_field(b, date[0] ? date : NULL, false);
  sr_db_copy_field(b, pre ? NULL : attrs_text, false);
  sr_db_copy_field(b, st, false);
  sr_db_copy_field(b, rule[0] ? rule : NULL, false);
  if(state.state[0]) {
    sr_db_copy_field(b, !pre && state.due[0] ? state.due : NULL, false);
    sr_db_copy_field(b, !pre && state.due[0] ? state.kind : NULL, false);
  }
  else {
    sr_db_copy_field(b, !pre && cJSON_IsString(due) ? due->valuestring : NULL, false);
    sr_db_copy_field(b, !pre && cJSON_IsString(kind) ? kind->valuestring : NULL, false);
  }
  sr_db_copy_field(b, basis_text ? due_rule : NULL, false);
  sr_db_copy_field(b, basis_text, false);
  sr_db_copy_field(b, state.state[0] ? state.state : "decided", true);
  sr_import_state_free(&state);
  free(pre);
  free(attrs_text);
  free(basis_text);
  cJSON_Delete(body);
  cJSON_Delete(answer);
  sr_problem_free(&rpb);
  return sr_import_staged(im, pb);
}

static const struct import_kind equipment_kind = {
  stage_equipment, 21, checks_equipment, load_equipment, serials_equipment, N_("Equipment"), attr_ok,
};

enum sr_err sr_import_equipment(struct sr_ctx *c, const struct sr_import_options *o, struct sr_import_result *res,
                                struct sr_problem *pb)
{
  struct importer im;
  struct column cols[E__N] = {
    [E_CODE] = { "equipment_code", "设备代码", true, -1 }, [E_TYPE] = { "type", "设备类别", true, -1 },
    [E_JUR] = { "jurisdiction", "管辖区域", true, -1 }, [E_UNIT] = { "user_unit", "使用单位统一社会信用代码", true, -1 },
    [E_ADDR] = { "address", "使用地点", true, -1 }, [E_ON] = { "commissioned_on", "投用日期", true, -1 },
    [E_REGNO] = { "registration_number", "使用登记证编号", false, -1 }, [E_STATUS] = { "status", "状态", false, -1 },
    [E_ATTRS] = { "attributes", "技术参数", false, -1 }, [E_VARIETY] = { "variety", "品种", false, -1 },
    [E_LAST_ON] = { "last_inspected_on", "上次检验日期", false, -1 },
    [E_LAST_KIND] = { "last_inspection_kind", "检验类别", false, -1 },
    [E_CONCLUSION] = { "last_conclusion", "检验结论", false, -1 },
    [E_AGENCY] = { "last_agency", "检验机构", false, -1 },
    [E_REPORT] = { "last_report_number", "报告编号", false, -1 },
    [E_NEXT_DUE] = { "next_due", "下次检验日期", false, -1 },
  };
  PGresult *regimes = NULL;
  if(!sr_import_begin(&im, c, o, res, cols, E__N, &equipment_kind, pb))
    goto out;
  char today[11];
  sr_date_format(c->today, today);
  const char *rp[] = { today };
  regimes = sr_db_exec(c->db, "SELECT equipment_type, jurisdiction, regime FROM inspection_regime "
                              "WHERE valid_from <= $1::date AND (valid_to IS NULL OR valid_to >= $1::date)", 1, rp);
  if(!sr_db_ok(regimes, PGRES_TUPLES_OK))
    sr_problem_set(pb, SR_INTERNAL, "database error");
  char **f;
  int n;
  enum sr_csv_status st;
  while(pb->err == SR_OK && (st = sr_import_next(&im, &f, &n, pb)) != SR_CSV_EOF && st != SR_CSV_FATAL)
    if(st == SR_CSV_ROW && !stage_row(&im, f, n, regimes, pb))
      break;
  sr_import_end(&im, "equipment", pb);
out:
  PQclear(regimes);
  sr_import_finish(&im);
  return pb->err;
}
