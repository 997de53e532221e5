/*
 * listing.c -- see listing.h. Each kind's parser reads its filters and refuses what it does not
 * know before anything is read from the database.
 */
#include <string.h>

#include "equipment.h"
#include "hazard.h"
#include "inspection.h"
#include "lifecycle.h"
#include "listing.h"
#include "org.h"
#include "plugin.h"
#include "rectification.h"
#include "sql.h"
#include "sr_limits.h"

static bool limit_of(const struct sr_params *q, long *limit, struct sr_problem *pb)
{
  const char *l = sr_params_get(q, "limit");
  *limit = SR_LIST_DEFAULT;
  if(l && !sr_parse_long(l, 1, SR_LIST_MAX, limit)) {
    sr_problem_set(pb, SR_BAD_REQUEST, "Bad limit.");
    sr_problem_field(pb, "limit", "must be a whole number from 1 to %d", SR_LIST_MAX);
    return false;
  }
  return true;
}

bool sr_listing_id_page(const struct sr_params *q, long *limit, long *after, struct sr_problem *pb)
{
  const char *cur = sr_params_get(q, "cursor");
  *after = 0;
  if(!limit_of(q, limit, pb))
    return false;
  if(cur && !sr_cursor_decode(cur, after)) {
    sr_problem_set(pb, SR_BAD_REQUEST, "Bad cursor.");
    sr_problem_field(pb, "cursor", "is not a cursor this server handed out");
    return false;
  }
  return true;
}

bool sr_listing_total(const struct sr_params *q, bool *count, struct sr_problem *pb)
{
  const char *v = sr_params_get(q, "count");
  *count = v && strcmp(v, "true") == 0;
  if(v && !*count && strcmp(v, "false") != 0) {
    sr_problem_field(pb, "count", "must be true or false");
    return false;
  }
  return true;
}

/* Field errors found while reading filters make the list a bad request. */
static enum sr_err fields_checked(struct sr_problem *pb)
{
  if(pb->err == SR_INVALID)
    pb->err = SR_BAD_REQUEST;
  return pb->err;
}

static bool positive_id(const struct sr_params *q, const char *name, long *out, struct sr_problem *pb)
{
  const char *v = sr_params_get(q, name);
  if(v && !sr_parse_long(v, 1, 1L << 50, out)) {
    sr_problem_field(pb, name, "must be a positive whole number");
    return false;
  }
  return true;
}

/* ==== equipment ==== */

static const char *const eq_filters[] = { "jurisdiction", "type", "status", "inspection_state", "due_from",
                                          "due_before", "overdue", "due_within_days", "q", "equipment_code",
                                          "registration_number", "user_unit", "sort", NULL };

/* Due filters: due_from=DATE, due_before=DATE, overdue=true|false, due_within_days=N (from
 * today); where two set the same bound, the narrower holds. */
static void due_filters(struct sr_ctx *c, const struct sr_params *q, struct sr_equipment_filter *f,
                        struct sr_problem *pb)
{
  const char *before = sr_params_get(q, "due_before"), *overdue = sr_params_get(q, "overdue");
  const char *within = sr_params_get(q, "due_within_days"), *from = sr_params_get(q, "due_from");
  struct sr_date d, today = c->today;
  long n;
  if(from) {
    if(!sr_date_parse(from, &d))
      sr_problem_field(pb, "due_from", "must be a date YYYY-MM-DD");
    else
      sr_date_format(d, f->due_from);
  }
  if(before) {
    if(!sr_date_parse(before, &d))
      sr_problem_field(pb, "due_before", "must be a date YYYY-MM-DD");
    else
      sr_date_format(d, f->due_until);
  }
  if(overdue) {
    if(strcmp(overdue, "true") == 0) {
      /* Due before today; with due_before as well, the earlier bound holds. */
      if(!f->due_until[0] || (sr_date_parse(f->due_until, &d) && sr_date_cmp(today, d) < 0))
        sr_date_format(today, f->due_until);
    }
    else if(strcmp(overdue, "false") == 0) {
      if(!f->due_from[0] || (sr_date_parse(f->due_from, &d) && sr_date_cmp(d, today) < 0))
        sr_date_format(today, f->due_from);
    }
    else
      sr_problem_field(pb, "overdue", "must be true or false");
  }
  if(within) {
    if(!sr_parse_long(within, 0, 3650, &n))
      sr_problem_field(pb, "due_within_days", "must be a whole number from 0 to 3650");
    else {
      struct sr_date until = sr_date_add_days(today, n + 1);
      if(!f->due_from[0] || (sr_date_parse(f->due_from, &d) && sr_date_cmp(d, today) < 0))
        sr_date_format(today, f->due_from);
      if(!f->due_until[0] || (sr_date_parse(f->due_until, &d) && sr_date_cmp(until, d) < 0))
        sr_date_format(until, f->due_until);
    }
  }
}

/* q: trimmed into <buf>, then SR_SEARCH_MIN to SR_SEARCH_MAX characters without control
 * characters (a line break would reach across a unit's keys). */
static const char *search_of(const struct sr_params *q, char *buf, size_t bufsz, struct sr_problem *pb)
{
  const char *v = sr_params_get(q, "q");
  if(!v)
    return NULL;
  while(*v == ' ')
    v++;
  size_t n = strlen(v);
  while(n > 0 && v[n - 1] == ' ')
    n--;
  size_t chars = 0;
  bool ok = n < bufsz && sr_utf8_valid(v, n);
  for(size_t i = 0; ok && i < n; i++) {
    unsigned char ch = (unsigned char)v[i];
    ok = ch >= 0x20 && ch != 0x7f;
    chars += (ch & 0xC0) != 0x80;
  }
  if(!ok || chars < SR_SEARCH_MIN || chars > SR_SEARCH_MAX) {
    sr_problem_field(pb, "q", "must be %d to %d characters of text without control characters", SR_SEARCH_MIN,
                     SR_SEARCH_MAX);
    return NULL;
  }
  memcpy(buf, v, n);
  buf[n] = '\0';
  return buf;
}

/* sort: id, next_due, registered (or created_at), equipment_code; a leading '-' for the
 * reverse, except id's. Without it, a list with due filters runs in due order, others by id. */
static void sort_of(const struct sr_params *q, bool due_filtered, struct sr_equipment_filter *f,
                    struct sr_problem *pb)
{
  static const struct {
    const char *name;
    enum sr_equipment_sort sort;
  } sorts[] = { { "id", SR_EQ_BY_ID },
                { "next_due", SR_EQ_BY_DUE },
                { "registered", SR_EQ_BY_REGISTERED },
                { "created_at", SR_EQ_BY_REGISTERED },
                { "equipment_code", SR_EQ_BY_CODE } };
  const char *v = sr_params_get(q, "sort");
  f->sort = due_filtered ? SR_EQ_BY_DUE : SR_EQ_BY_ID;
  if(!v)
    return;
  f->desc = v[0] == '-';
  for(size_t i = 0; i < sizeof sorts / sizeof *sorts; i++)
    if(strcmp(v + f->desc, sorts[i].name) == 0 && !(f->desc && sorts[i].sort == SR_EQ_BY_ID)) {
      f->sort = sorts[i].sort;
      return;
    }
  sr_problem_field(pb, "sort",
                   "must be one of id, next_due, -next_due, registered, -registered, created_at, -created_at, "
                   "equipment_code, -equipment_code");
}

/* An exact filter's value: non-empty, at most SR_MAX_STRING bytes. */
static const char *exact(const struct sr_params *q, const char *name, struct sr_problem *pb)
{
  const char *v = sr_params_get(q, name);
  if(v && (!v[0] || strlen(v) > SR_MAX_STRING)) {
    sr_problem_field(pb, name, "must be 1 to %d bytes", SR_MAX_STRING);
    return NULL;
  }
  return v;
}

static enum sr_err list_equipment(struct sr_ctx *c, const struct sr_params *q, cJSON **out, struct sr_problem *pb)
{
  struct sr_equipment_filter f;
  char search[SR_SEARCH_MAX * 4 + 1];
  memset(&f, 0, sizeof f);
  f.jurisdiction = sr_params_get(q, "jurisdiction");
  f.type = sr_params_get(q, "type");
  f.status = sr_params_get(q, "status");
  static const char *const states[] = { "decided", "recorded", "unknown", NULL };
  f.inspection_state = sr_params_enum(q, "inspection_state", states, "decided, recorded, unknown", pb);
  f.equipment_code = exact(q, "equipment_code", pb);
  f.registration_number = exact(q, "registration_number", pb);
  f.user_unit = exact(q, "user_unit", pb);
  f.q = search_of(q, search, sizeof search, pb);
  due_filters(c, q, &f, pb);
  sort_of(q, f.due_from[0] || f.due_until[0], &f, pb);
  sr_listing_total(q, &f.count, pb);
  if(fields_checked(pb) != SR_OK)
    return pb->err;
  if(!limit_of(q, &f.limit, pb))
    return pb->err;
  const char *cur = sr_params_get(q, "cursor");
  if(cur && !sr_equipment_cursor_read(cur, &f)) {
    sr_problem_set(pb, SR_BAD_REQUEST, "Bad cursor.");
    sr_problem_field(pb, "cursor", "is not a cursor this server handed out for this list and order");
    return pb->err;
  }
  if(f.status && sr_status_parse(f.status) < 0) {
    sr_problem_set(pb, SR_BAD_REQUEST, "Unknown status.");
    sr_problem_field(pb, "status", "must be one of pending, in_service, suspended, scrapped, cancelled");
    return pb->err;
  }
  return sr_equipment_list(c, &f, out, pb);
}

/* ==== hazards ==== */

static const char *const hazard_filters[] = { "equipment_id", "jurisdiction", "grade", "level", "status", "source",
                                              "overdue", "without_open", NULL };

static enum sr_err list_hazards(struct sr_ctx *c, const struct sr_params *q, cJSON **out, struct sr_problem *pb)
{
  static const char *const bools[] = { "true", "false", NULL };
  static const char *const grades[] = { "general", "major", NULL }, *const levels[] = { "district", "city", NULL },
                           *const statuses[] = { "open", "closed", NULL },
                           *const sources[] = { "overdue", "failed_in_use", "defect", "patrol", "manual", NULL };
  struct sr_hazard_filter f;
  memset(&f, 0, sizeof f);
  if(!sr_listing_id_page(q, &f.limit, &f.after_id, pb))
    return pb->err;
  positive_id(q, "equipment_id", &f.equipment_id, pb);
  sr_listing_total(q, &f.count, pb);
  f.jurisdiction = sr_params_get(q, "jurisdiction");
  f.grade = sr_params_enum(q, "grade", grades, "general, major", pb);
  f.level = sr_params_enum(q, "level", levels, "district, city", pb);
  f.status = sr_params_enum(q, "status", statuses, "open, closed", pb);
  f.source = sr_params_enum(q, "source", sources, "overdue, failed_in_use, defect, patrol, manual", pb);
  const char *overdue = sr_params_enum(q, "overdue", bools, "true, false", pb);
  f.overdue = overdue ? strcmp(overdue, "true") == 0 : -1;
  f.without_open = sr_params_get(q, "without_open");
  if(f.without_open && (!c->plugins || !sr_plugins_workflow(c->plugins, f.without_open)))
    sr_problem_field(pb, "without_open", "must be the code of a workflow in force (GET /api/v1/workflows)");
  if(fields_checked(pb) != SR_OK)
    return pb->err;
  return sr_hazard_list(c, &f, out, pb);
}

/* ==== inspections ==== */

static const char *const insp_filters[] = { "equipment_id", "agency", "since", NULL };

static enum sr_err list_inspections(struct sr_ctx *c, const struct sr_params *q, cJSON **out, struct sr_problem *pb)
{
  struct sr_inspection_filter f;
  memset(&f, 0, sizeof f);
  if(!sr_listing_id_page(q, &f.limit, &f.after_id, pb))
    return pb->err;
  struct sr_date d;
  positive_id(q, "equipment_id", &f.equipment_id, pb);
  sr_listing_total(q, &f.count, pb);
  f.agency = sr_params_get(q, "agency");
  f.since = sr_params_get(q, "since");
  if(f.since && !sr_date_parse(f.since, &d))
    sr_problem_field(pb, "since", "must be a date YYYY-MM-DD");
  if(fields_checked(pb) != SR_OK)
    return pb->err;
  return sr_inspection_list(c, &f, out, pb);
}

/* ==== rectifications ==== */

static const char *const rect_filters[] = { "hazard_id", "workflow", "state", "jurisdiction", "open", "past_deadline",
                                            NULL };

static enum sr_err list_rectifications(struct sr_ctx *c, const struct sr_params *q, cJSON **out,
                                       struct sr_problem *pb)
{
  static const char *const bools[] = { "true", "false", NULL };
  struct sr_rectification_filter f;
  memset(&f, 0, sizeof f);
  f.open = -1;
  if(!sr_listing_id_page(q, &f.limit, &f.after_id, pb))
    return pb->err;
  positive_id(q, "hazard_id", &f.hazard_id, pb);
  sr_listing_total(q, &f.count, pb);
  f.workflow = sr_params_get(q, "workflow");
  f.state = sr_params_get(q, "state");
  f.jurisdiction = sr_params_get(q, "jurisdiction");
  const char *open = sr_params_enum(q, "open", bools, "true, false", pb);
  if(open)
    f.open = strcmp(open, "true") == 0;
  const char *past = sr_params_enum(q, "past_deadline", bools, "true, false", pb);
  f.past_deadline = past ? strcmp(past, "true") == 0 : -1;
  if(fields_checked(pb) != SR_OK)
    return pb->err;
  return sr_rectification_list(c, &f, out, pb);
}

/* ==== organizations ==== */

static const char *const org_filters[] = { "kind", "jurisdiction", NULL };

static enum sr_err list_organizations(struct sr_ctx *c, const struct sr_params *q, cJSON **out,
                                      struct sr_problem *pb)
{
  struct sr_org_filter f = { sr_params_get(q, "kind"), sr_params_get(q, "jurisdiction"), 0, 0, false };
  if(!sr_listing_id_page(q, &f.limit, &f.after_id, pb))
    return pb->err;
  if(!sr_listing_total(q, &f.count, pb))
    return fields_checked(pb);
  return sr_org_list(c, &f, out, pb);
}

/* ==== the kinds ==== */

struct kind {
  const char *name;
  const char *const *filters;
  enum sr_err (*list)(struct sr_ctx *c, const struct sr_params *q, cJSON **out, struct sr_problem *pb);
};

static const struct kind kinds[] = {
  { "equipment", eq_filters, list_equipment },
  { "hazards", hazard_filters, list_hazards },
  { "inspections", insp_filters, list_inspections },
  { "rectifications", rect_filters, list_rectifications },
  { "organizations", org_filters, list_organizations },
};
#define NKINDS (sizeof kinds / sizeof *kinds)

const char *const sr_listing_kinds[] = { "equipment", "hazards", "inspections", "rectifications", "organizations",
                                         NULL };

static const struct kind *kind_of(const char *name)
{
  for(size_t i = 0; name && i < NKINDS; i++)
    if(strcmp(kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

const char *const *sr_listing_filters(const char *kind)
{
  const struct kind *k = kind_of(kind);
  return k ? k->filters : NULL;
}

enum sr_err sr_listing_page(struct sr_ctx *c, const char *kind, const struct sr_params *q, cJSON **out,
                            struct sr_problem *pb)
{
  const struct kind *k = kind_of(kind);
  if(!k)
    return sr_problem_set(pb, SR_NOT_FOUND, "No list of '%s'.", kind ? kind : "");
  /* The kind's filters, then the three every list takes. */
  const char *allowed[24];
  size_t n = 0;
  for(const char *const *f = k->filters; *f && n < 20; f++)
    allowed[n++] = *f;
  allowed[n++] = "limit";
  allowed[n++] = "cursor";
  allowed[n++] = "count";
  allowed[n] = NULL;
  if(!sr_params_only(q, allowed, pb))
    return pb->err;
  return k->list(c, q, out, pb);
}
