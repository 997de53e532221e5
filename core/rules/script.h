/*
 * script.h -- an administrator's script (`sereg script FILE.lua`), as the core sees it: the
 * engine runs it in the plugins' sandbox with a larger budget, and everything it asks of the
 * registry goes through the host below, which the domain provides (domain/script.c) and which
 * answers in JSON, so that no engine's types leave rules/.
 *
 * The script sees, besides the plugins' sereg.* functions:
 *   sereg.each(kind, filters)             an iterator over a list, paged underneath
 *   sereg.get(kind, id)                   a record, or an error table and false
 *   sereg.change(kind, id, action, fields), sereg.open(kind, fields)
 *                                         the new record, or an error table and false
 *   sereg.columns(names), sereg.emit(row) the output
 *   sereg.log(...)                        a line on stderr
 *   sereg.args, sereg.today, sereg.dry_run
 */
#ifndef sr_script_h
#define sr_script_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "outcome.h"

/* What a script may ask. A function answering NULL with <why> set raises in the script (the
 * script is wrong: an unknown kind or filter, a malformed argument) and stops it; an answer with
 * *ok false is a refusal the script may handle (the API's problem as {status, title, detail,
 * errors}). Answers are the caller's to free. */
struct sr_script_host {
  void *ud;
  /* One page of <kind> by <params> (a JSON object of strings: the filters and the cursor):
   * {items, next_cursor}. */
  cJSON *(*page)(void *ud, const char *kind, const cJSON *params, char *why, size_t whysz);
  cJSON *(*get)(void *ud, const char *kind, long id, bool *ok, char *why, size_t whysz);
  cJSON *(*change)(void *ud, const char *kind, long id, const char *action, const cJSON *fields, bool *ok,
                   char *why, size_t whysz);
  cJSON *(*open)(void *ud, const char *kind, const cJSON *fields, bool *ok, char *why, size_t whysz);
  /* The output's columns, in order (a JSON array of strings), before the first row. */
  bool (*columns)(void *ud, const cJSON *names, char *why, size_t whysz);
  /* One output row: an object (by column name) or an array (in column order). */
  bool (*emit)(void *ud, const cJSON *row, char *why, size_t whysz);
  void (*log)(void *ud, const char *text, size_t len);
};

struct sr_script_run {
  const char *name;      /* the file, as the script's errors name it */
  const char *src;
  size_t len;
  const cJSON *args;     /* the arguments after '--': an array of strings */
  const char *today;     /* YYYY-MM-DD */
  bool dry_run;
  size_t memory;         /* bytes the script's state may hold */
  long budget;           /* VM instructions, for the whole run */
  long ms;               /* wall-clock milliseconds, for the whole run */
};

/* Runs the script to its end: SR_OUTCOME_OK, or the outcome that stopped it (a syntax error is
 * SR_OUTCOME_RAISED before anything ran) with <why> saying what and where ("job.lua:12: ..."). */
enum sr_outcome sr_script_exec(const struct sr_script_run *run, const struct sr_script_host *host, char *why,
                               size_t whysz);
/* Stops every script at its next instruction (Ctrl-C); async-signal-safe. */
void sr_script_interrupt(void);

#endif
