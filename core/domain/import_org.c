/* import_org.c -- `sereg import organizations` (import.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ident.h"
#include "import_int.h"

enum { O_CODE, O_NAME, O_KIND, O_JUR, O__N };

static const char stage_orgs[] =
    "CREATE TEMP TABLE import_stage (line bigint, raw text, pre jsonb, credit_code text, name text, kind text, "
    "jurisdiction text) ON COMMIT DROP";

static const char checks_orgs[] =
    "SELECT line, k, field, reason, raw FROM ("
    " SELECT line, raw, 101 AS k, 'jurisdiction' AS field, jurisdiction || ' 不是现行的辖区' AS reason "
    "  FROM import_stage s WHERE jurisdiction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jurisdiction j "
    "  WHERE j.code = s.jurisdiction AND j.valid_to IS NULL)"
    " UNION ALL SELECT line, raw, 102, 'credit_code', credit_code || ' 已经登记' "
    "  FROM import_stage s WHERE EXISTS (SELECT 1 FROM organization o WHERE o.credit_code = s.credit_code)"
    " UNION ALL SELECT line, raw, 103, 'credit_code', '与本文件第 ' || first || ' 行重复' FROM ("
    "  SELECT line, raw, min(line) OVER (PARTITION BY credit_code) AS first FROM import_stage "
    "  WHERE credit_code IS NOT NULL) d WHERE line > first"
    ") x";

static const char load_orgs[] =
    "INSERT INTO organization (credit_code, name, kind, jurisdiction) "
    "SELECT s.credit_code, s.name, s.kind, s.jurisdiction FROM import_stage s "
    "WHERE s.pre IS NULL AND NOT EXISTS (SELECT 1 FROM chunk_refused r WHERE r.line = s.line) ORDER BY s.line";

static const char *org_kind(const char *s)
{
  if(!s)
    return NULL;
  if(strcmp(s, "user_unit") == 0 || strcmp(s, "使用单位") == 0)
    return "user_unit";
  if(strcmp(s, "agency") == 0 || strcmp(s, "检验机构") == 0)
    return "agency";
  if(strcmp(s, "maintenance_unit") == 0 || strcmp(s, "维保单位") == 0)
    return "maintenance_unit";
  return NULL;
}

static const struct import_kind org_kind_spec = { stage_orgs, 7, checks_orgs, load_orgs, NULL, N_("An organization"), NULL };

static bool stage_org(struct importer *im, char **f, int n, struct sr_problem *pb)
{
  char lines[32];
  snprintf(lines, sizeof lines, "%ld", sr_csv_line(im->csv));
  sr_db_copy_field(&im->copy, lines, false);
  sr_db_copy_field(&im->copy, sr_import_raw(im, f, n), false);
  char *code = sr_import_cell(f, n, &im->cols[O_CODE]), *name = sr_import_cell(f, n, &im->cols[O_NAME]);
  char *kind_s = sr_import_cell(f, n, &im->cols[O_KIND]), *jur = sr_import_cell(f, n, &im->cols[O_JUR]);
  char *folds[] = { code, kind_s, jur };
  for(size_t i = 0; i < sizeof folds / sizeof *folds; i++)
    if(folds[i])
      sr_import_fold(folds[i]);
  const char *kind = org_kind(kind_s), *jcode = sr_import_jurisdiction(im, jur);
  struct sr_problem rpb;
  sr_problem_init(&rpb);
  enum sr_uscc_result ur = sr_uscc_check(code);
  if(ur != SR_USCC_OK)
    sr_problem_field(&rpb, "credit_code", "%s", sr_uscc_explain(ur));
  if(!name || strlen(name) > 200)
    sr_problem_field(&rpb, "name", "must be 1 to 200 bytes");
  if(!kind)
    sr_problem_field(&rpb, "kind", "must be user_unit, agency or maintenance_unit (使用单位, 检验机构 or 维保单位)");
  if(!jcode || strlen(jcode) > 16)
    sr_problem_field(&rpb, "jurisdiction", "is required");
  char *pre = sr_import_reasons(&rpb);
  sr_problem_free(&rpb);
  sr_db_copy_field(&im->copy, pre, false);
  sr_db_copy_field(&im->copy, code, false);
  sr_db_copy_field(&im->copy, name, false);
  sr_db_copy_field(&im->copy, kind, false);
  sr_db_copy_field(&im->copy, jcode && strlen(jcode) <= 16 ? jcode : NULL, true);
  free(pre);
  return sr_import_staged(im, pb);
}

enum sr_err sr_import_organizations(struct sr_ctx *c, const struct sr_import_options *o,
                                    struct sr_import_result *res, struct sr_problem *pb)
{
  struct importer im;
  struct column cols[O__N] = {
    [O_CODE] = { "credit_code", "统一社会信用代码", true, -1 }, [O_NAME] = { "name", "名称", true, -1 },
    [O_KIND] = { "kind", "类型", true, -1 }, [O_JUR] = { "jurisdiction", "所在区域", true, -1 },
  };
  if(sr_import_begin(&im, c, o, res, cols, O__N, &org_kind_spec, pb)) {
    char **f;
    int n;
    enum sr_csv_status st;
    while((st = sr_import_next(&im, &f, &n, pb)) != SR_CSV_EOF && st != SR_CSV_FATAL)
      if(st == SR_CSV_ROW && !stage_org(&im, f, n, pb))
        break;
    sr_import_end(&im, "organization", pb);
  }
  sr_import_finish(&im);
  return pb->err;
}
