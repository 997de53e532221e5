/*
 * script_int.h -- what the files of `sereg script` share: the output (script_out.c) and the
 * session a script acts in (script_host.c), which the command (script_cmd.c) sets up.
 *
 * A script is an edge, as HTTP is: it acts as one account, through the same route checks
 * (sr_route_permits) and the same domain functions as the API, so it can do nothing its
 * account could not do by hand.
 */
#ifndef sr_script_int_h
#define sr_script_int_h

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "ctx.h"
#include "script.h"

struct sr_script_out;
/* A writer of rows in <format> (table, csv, json) to <f>; NULL with the reason. */
struct sr_script_out *sr_script_out_new(const char *format, FILE *f, char *why, size_t whysz);
bool sr_script_out_columns(struct sr_script_out *o, const cJSON *names, char *why, size_t whysz);
bool sr_script_out_row(struct sr_script_out *o, const cJSON *row, char *why, size_t whysz);
long sr_script_out_rows(const struct sr_script_out *o);
/* Ends the output (a table's held rows, json's closing bracket) and flushes it. */
bool sr_script_out_end(struct sr_script_out *o);
void sr_script_out_free(struct sr_script_out *o);

struct sr_script_session {
  struct sr_ctx *ctx;
  bool apply;                /* each action commits; otherwise all of them roll back at the end */
  struct sr_script_out *out;
  bool progress;             /* a progress line on stderr (a terminal) */
  volatile sig_atomic_t *interrupted;
  /* what happened */
  long read, tried, done, refused;
  cJSON *reasons;            /* why actions were refused: {reason: count} */
  double started, shown;     /* monotonic seconds: the start, the last progress line */
};

/* The host a script's sereg.* functions reach (script.h), acting in <s>. */
void sr_script_host_init(struct sr_script_host *h, struct sr_script_session *s);
/* Seconds on the monotonic clock. */
double sr_script_clock(void);

#endif
