/*
 * figures_sql.c -- the one statement of the figures (docs/figures.md defines each): every
 * figure of every jurisdiction in scope and every period asked, counted set-based in one
 * snapshot. Each part reads its table through the one scope filter (sr_scope_equipment,
 * sr_scope_supervision) and runs as the caller, so row-level security refuses the same rows a
 * second time. The parts answer small JSON arrays (a few rows per jurisdiction and period) that
 * figures.c puts together.
 */
#include <stdio.h>
#include <string.h>

#include "figures_int.h"
#include "sr_limits.h"

/* $1 froms, $2 tos (date[] of the periods, in order), $3 today, $4 the first day of all
 * periods, $5 the last day a due date may have to count as fallen due (the day before today, or
 * the last day of the periods), $6 the last day of all periods, $7 and $8 the asked period's
 * first and last days, $9 the one district asked (or NULL). */
#define NFIXED 9

/* The scope of alias <a> (equipment <a>, or a rectification with <supervision>), and the
 * district asked. */
static void scoped(struct sr_sql *q, struct sr_ctx *c, const char *a, bool supervision)
{
  char text[64];
  if(supervision)
    sr_scope_supervision(q, c, a);
  else
    sr_scope_equipment(q, c, a);
  snprintf(text, sizeof text, " AND ($9::text IS NULL OR %s.jurisdiction = $9)", a);
  sr_sql_add(q, text);
}

static void build(struct sr_sql *q, struct sr_ctx *c)
{
  sr_sql_add(q, "WITH p AS (SELECT b::int - 1 AS b, f, t FROM unnest($1::date[], $2::date[]) WITH ORDINALITY "
                "AS x(f, t, b)), "
                /* units on the register now (in service or suspended), by type, from their
                 * tally (sql/0027) */
                "u AS (SELECT e.jurisdiction AS j, e.type AS ty, sum(e.n) AS n, "
                "sum(e.n) FILTER (WHERE e.status = 'in_service') AS s, "
                "sum(e.n) FILTER (WHERE e.status = 'in_service' AND e.next_due < $3::date) AS od "
                "FROM equipment_tally e WHERE e.status IN ('in_service', 'suspended')");
  scoped(q, c, "e", true);
  sr_sql_add(q, " GROUP BY 1, 2), "
                /* lifecycle events effective in each period, under the unit's jurisdiction now,
                 * from their monthly tally (sql/0029) */
                "ev AS (SELECT p.b, t.jurisdiction AS j, sum(t.n) FILTER (WHERE t.figure = 'reg') AS reg, "
                "sum(t.n) FILTER (WHERE t.figure = 'chg') AS chg, sum(t.n) FILTER (WHERE t.figure = 'can') AS can "
                "FROM figures_event_tally t JOIN p ON t.month BETWEEN p.f AND p.t "
                "WHERE t.month BETWEEN $4::text::date AND $6::date");
  scoped(q, c, "t", true);
  sr_sql_add(q, " GROUP BY 1, 2), "
                /* due dates (set by a registration or a result) of units in service now that fell
                 * in the periods and are behind us, and whether the result that moved each came by
                 * the date, from their rows kept per unit (sql/0030) */
                "dues AS (SELECT p.b, t.jurisdiction AS j, count(*) AS fell, count(*) FILTER (WHERE t.on_time) AS ontime "
                "FROM figures_due t JOIN p ON t.due BETWEEN p.f AND least(p.t, $3::date - 1) "
                "WHERE t.due BETWEEN $4::text::date AND $5::text::date");
  scoped(q, c, "t", true);
  sr_sql_add(q, " GROUP BY 1, 2), "
                /* hazards found in each period, and which of them are closed now, from their
                 * monthly tally (sql/0029) */
                "hz AS (SELECT p.b, t.jurisdiction AS j, sum(t.n) AS n, "
                "sum(t.n) FILTER (WHERE t.source = 'overdue') AS s_overdue, "
                "sum(t.n) FILTER (WHERE t.source = 'failed_in_use') AS s_failed, "
                "sum(t.n) FILTER (WHERE t.source = 'defect') AS s_defect, "
                "sum(t.n) FILTER (WHERE t.source = 'patrol') AS s_patrol, "
                "sum(t.n) FILTER (WHERE t.source = 'manual') AS s_manual, "
                "sum(t.n) FILTER (WHERE t.grade = 'general') AS g_general, "
                "sum(t.n) FILTER (WHERE t.grade = 'major') AS g_major, "
                "sum(t.n) FILTER (WHERE t.status = 'closed') AS closed "
                "FROM figures_hazard_tally t JOIN p ON t.month BETWEEN p.f AND p.t "
                "WHERE t.month BETWEEN $4::text::date AND $6::date");
  scoped(q, c, "t", true);
  sr_sql_add(q, " GROUP BY 1, 2), "
                /* hazards open now */
                "hs AS (SELECT t.jurisdiction AS j, sum(t.n) AS open, sum(t.n) FILTER (WHERE t.grade = 'major') AS "
                "major FROM figures_hazard_tally t WHERE t.status = 'open'");
  scoped(q, c, "t", true);
  sr_sql_add(q, " GROUP BY 1), "
                /* rectifications closed in each period */
                "rf AS (SELECT p.b, r.jurisdiction AS j, count(*) FILTER (WHERE r.deadline IS NOT NULL) AS closed, "
                "count(*) FILTER (WHERE r.closed_on <= r.deadline) AS ontime, "
                "count(*) FILTER (WHERE r.workflow = 'listed_supervision') AS ls_closed "
                "FROM rectification r JOIN p ON r.closed_on BETWEEN p.f AND p.t WHERE r.closed_on BETWEEN $4::text::date "
                "AND $6::date");
  scoped(q, c, "r", true);
  sr_sql_add(q, " GROUP BY 1, 2), "
                /* rectifications open now */
                "rs AS (SELECT r.jurisdiction AS j, count(*) AS open, count(*) FILTER (WHERE r.deadline < $3::date) "
                "AS past, count(*) FILTER (WHERE r.workflow = 'listed_supervision') AS ls_open "
                "FROM rectification r WHERE r.closed_on IS NULL");
  scoped(q, c, "r", true);
  sr_sql_add(q, " GROUP BY 1), "
                /* results of inspections made in the asked period, by agency, from their monthly
                 * tally (sql/0029) */
                "ag AS (SELECT t.agency_id, sum(t.n)::bigint AS n, coalesce(sum(t.n) FILTER (WHERE NOT t.passed), 0)::bigint "
                "AS failed FROM figures_result_tally t WHERE t.month BETWEEN $7::date AND $8::date");
  scoped(q, c, "t", true);
  sr_sql_add(q, " GROUP BY 1 HAVING sum(t.n) <> 0), "
                /* the rows: the districts under the city current in the periods, or holding units */
                "jl AS (SELECT jj.code, jj.name FROM jurisdiction jj WHERE jj.parent IS NOT NULL "
                "AND ($9::text IS NULL OR jj.code = $9) AND (jj.valid_to IS NULL OR jj.valid_to >= $4::text::date "
                "OR EXISTS (SELECT 1 FROM u WHERE u.j = jj.code)))"
                "SELECT (SELECT coalesce(json_agg(jl ORDER BY code), '[]') FROM jl)::text AS jl, "
                "(SELECT coalesce(json_agg(u), '[]') FROM u)::text AS u, "
                "(SELECT coalesce(json_agg(ev), '[]') FROM ev)::text AS ev, "
                "(SELECT coalesce(json_agg(dues), '[]') FROM dues)::text AS dues, "
                "(SELECT coalesce(json_agg(hz), '[]') FROM hz)::text AS hz, "
                "(SELECT coalesce(json_agg(hs), '[]') FROM hs)::text AS hs, "
                "(SELECT coalesce(json_agg(rf), '[]') FROM rf)::text AS rf, "
                "(SELECT coalesce(json_agg(rs), '[]') FROM rs)::text AS rs, "
                "(SELECT coalesce(json_agg(json_build_object('credit_code', o.credit_code, 'name', o.name, "
                "'results', ag.n, 'failed', ag.failed) ORDER BY o.credit_code), '[]') "
                "FROM ag JOIN organization o ON o.id = ag.agency_id)::text AS ag");
}

static void dates(char *out, size_t n, const struct sr_period *b, int nb, bool to)
{
  size_t at = 0;
  out[at++] = '{';
  for(int i = 0; i < nb && at + 12 < n; i++) {
    if(i)
      out[at++] = ',';
    sr_date_format(to ? b[i].to : b[i].from, out + at);
    at += 10;
  }
  out[at++] = '}';
  out[at] = '\0';
}

PGresult *sr_figures_query(struct sr_ctx *c, const struct sr_period *buckets, int nbuckets, const char *district,
                           struct sr_problem *pb)
{
  char froms[(SR_FIGURES_SERIES_MAX + 1) * 11 + 4], tos[sizeof froms];
  char today[11], lo[11], due_hi[11], hi[11], from[11], to[11];
  struct sr_date first = buckets[0].from, last = buckets[0].to;
  for(int i = 1; i < nbuckets; i++) {
    if(sr_date_cmp(buckets[i].from, first) < 0)
      first = buckets[i].from;
    if(sr_date_cmp(buckets[i].to, last) > 0)
      last = buckets[i].to;
  }
  struct sr_date yesterday = sr_date_add_days(c->today, -1);
  dates(froms, sizeof froms, buckets, nbuckets, false);
  dates(tos, sizeof tos, buckets, nbuckets, true);
  sr_date_format(c->today, today);
  sr_date_format(first, lo);
  sr_date_format(sr_date_cmp(last, yesterday) < 0 ? last : yesterday, due_hi);
  sr_date_format(last, hi);
  sr_date_format(buckets[0].from, from);
  sr_date_format(buckets[0].to, to);
  struct sr_sql q;
  sr_sql_init(&q, "");
  const char *fixed[NFIXED] = { froms, tos, today, lo, due_hi, hi, from, to, district };
  for(int i = 0; i < NFIXED; i++)
    sr_sql_value(&q, fixed[i]);
  build(&q, c);
  PGresult *r = sr_sql_exec(c, &q, pb);
  if(r && PQntuples(r) != 1) {
    PQclear(r);
    sr_problem_set(pb, SR_INTERNAL, "database error");
    return NULL;
  }
  return r;
}
