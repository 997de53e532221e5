/*
 * json.h -- strict reading of request bodies: well-formed UTF-8, one JSON object, bounded depth,
 * no duplicate keys, no unknown fields, and typed getters that name the failing field.
 */
#ifndef sr_json_h
#define sr_json_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "problem.h"
#include "util.h"

/* Parses <body> into a JSON object. On failure returns NULL with SR_BAD_REQUEST in <pb>.
 * Caller owns the result; free with cJSON_Delete(). */
cJSON *sr_json_parse_object(const char *body, size_t len, struct sr_problem *pb);
/* Parses <body> as a JSON array with the same checks (UTF-8, depth, duplicate keys). */
cJSON *sr_json_parse_array(const char *body, size_t len, struct sr_problem *pb);
/* Adds a field error for every key of <obj> not in the NULL-terminated <allowed>. */
void sr_json_only(const cJSON *obj, const char *const *allowed, struct sr_problem *pb);
/* A string field of 1..<maxlen> bytes; NULL (with a field error when <required> or mistyped). */
const char *sr_json_string(const cJSON *obj, const char *key, bool required, size_t maxlen,
                           struct sr_problem *pb);
/* A date field "YYYY-MM-DD"; false (with a field error when <required> or malformed). */
bool sr_json_date(const cJSON *obj, const char *key, bool required, struct sr_date *out,
                  struct sr_problem *pb);
/* Parses a whole body as compact text for storing; caller owns the string. */
char *sr_json_text(const cJSON *j);

/* The string member <key> of <obj>, or NULL when it is missing or not a string. */
const char *sr_json_str(const cJSON *obj, const char *key);
/* The same, or <otherwise> when it is missing or not a string. */
const char *sr_json_str_or(const cJSON *obj, const char *key, const char *otherwise);

/* Moves the members <keys> (a NULL-ended list) of <obj> to its end, in that order: for answers
 * whose members keep the order they have always had. */
void sr_json_move_last(cJSON *obj, const char *const *keys);

/* Orders the members of <obj> by name, bytewise: for objects built from a source with no order
 * of its own (a Lua table), so that the same answer is the same bytes. Leaves <obj> as it was
 * when out of memory. */
void sr_json_sort_members(cJSON *obj);

/* Key comparisons the duplicate-key checks of this thread have made, for tests that the work
 * grows as n log n in an object's members. */
unsigned long sr_json_key_comparisons(void);

#endif
