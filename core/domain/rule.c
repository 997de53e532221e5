/* rule.c -- see rule.h. */
#include "rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "plugin.h"

enum sr_err sr_rule_store(struct sr_ctx *c, const char *kind, const char *file, const char *version,
                          const cJSON *spec, char *rule, size_t n, struct sr_problem *pb)
{
  snprintf(rule, n, "%s@%s", file, version);
  char *text = cJSON_PrintUnformatted(spec);
  if(!text)
    return sr_problem_set(pb, SR_INTERNAL, "out of memory");
  const char *p[] = { rule, kind, text };
  /* The row a concurrent transaction inserts first wins; the SELECT sees the committed one. */
  PGresult *r = sr_db_exec(c->db,
                      "WITH ins AS (INSERT INTO rule_definition (rule, kind, spec) VALUES ($1, $2, $3::jsonb) "
                      "  ON CONFLICT (rule) DO NOTHING RETURNING 1) "
                      "SELECT (SELECT spec = $3::jsonb FROM rule_definition WHERE rule = $1) AS same",
                      3, p);
  free(text);
  if(!sr_db_ran(r)) {
    enum sr_err e = sr_db_failure(r, pb, "could not store the rule definition");
    PQclear(r);
    return e;
  }
  const char *same = sr_db_get(r, 0, "same");
  if(same && strcmp(same, "f") == 0)
    sr_warn("%s changed without a new version: what runs under it keeps the definition stored first; "
            "give the plugin a new version", rule);
  PQclear(r);
  return SR_OK;
}

enum sr_err sr_rule_ladder(struct sr_ctx *c, char *rule, size_t n, struct sr_problem *pb)
{
  const struct sr_ladder *l = c->plugins ? sr_plugins_ladder(c->plugins) : NULL;
  rule[0] = '\0';
  if(!l)
    return SR_OK;
  return sr_rule_store(c, "escalation", l->file, l->version, l->spec, rule, n, pb);
}

