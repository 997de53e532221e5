/*
 * rule.h -- the exact rule definitions records run under. A hazard keeps the ladder it was opened
 * with and a rectification the workflow it was opened with: each definition is stored once, under
 * "file@version", in rule_definition, so that a new plugin version applies to new records only.
 */
#ifndef sr_rule_h
#define sr_rule_h

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ctx.h"

/* Stores <spec> under "file@version" in rule_definition (once) and writes the name to <rule>. */
enum sr_err sr_rule_store(struct sr_ctx *c, const char *kind, const char *file, const char *version,
                          const cJSON *spec, char *rule, size_t n, struct sr_problem *pb);

/* The stored name of the loaded ladder ("escalation.lua@1.0.0"), storing its definition the
 * first time; "" when no escalation plugin is loaded. */
enum sr_err sr_rule_ladder(struct sr_ctx *c, char *rule, size_t n, struct sr_problem *pb);

#endif
