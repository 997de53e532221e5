/*
 * plugin.h -- the rule plugins as the core sees them, whatever engine runs them: the one header
 * a domain module includes to ask a plugin a question. A plugin set holds equipment types
 * (eqtype.h), at most one escalation ladder, rectification workflows (flow.h) and notice formats
 * (notice_format.h); the questions are validate, next_due, check_inspection, hazards, decide and
 * render, each answered in checked JSON (or, for render, a checked body) or failed with a named
 * outcome (outcome.h). No engine's types appear here: engine.h is the
 * contract an engine implements, and only the engine's own folder sees its headers.
 *
 * A plugin folder is read into a bundle (the sources, checked once by loading them); each worker
 * thread opens its own plugin set from the current bundle, so engine states are never shared
 * between threads. A reload publishes a new bundle only if every file in it loads; threads pick
 * it up on their next request. Plugin code gets no I/O, no clock, and bounded instructions, time
 * and memory per call (sr_plugins_interrupt stops it all at shutdown).
 */
#ifndef sr_plugin_h
#define sr_plugin_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "eqtype.h"
#include "flow.h"
#include "notice_format.h"
#include "outcome.h"
#include "problem.h"
#include "util.h"

/* The escalation ladder (sereg.escalation): its definition, checked by sr_flow_ladder_check. */
struct sr_ladder {
  char *file, *version;
  cJSON *spec;
  unsigned functions; /* SR_FN_BIT(SR_FN_DECIDE) when it gives decide(hazard, rung, today) */
  int unit;           /* the place of its file in the plugin set */
};

/* A rectification workflow (sereg.workflow), checked by sr_flow_workflow_check. */
struct sr_workflow {
  char *code, *name, *file, *version;
  cJSON *spec;
};

/* A notice format (sereg.notice_format), checked by sr_notice_format_check: turns an event into a
 * receiver's body. The name "standard" (SR_NOTICE_STANDARD) is the core's own (the Standard
 * Webhooks JSON) and no plugin may claim it. At most SR_NOTICE_MAX_FORMATS in a set, in file
 * order. */
struct sr_notice_format {
  char *name;         /* ^[a-z][a-z0-9_]{0,31}$, unique in the set: what a subscription names */
  char *title;        /* for people: "企业微信群机器人" */
  char *content_type; /* of the bodies it renders: "application/json; charset=utf-8" */
  char *file, *version;
  int unit;           /* the place of its file in the plugin set */
};

/* ---- plugin_bundle.c: the validated sources of one plugin folder ---- */
struct sr_plugin_bundle;

/* Reads every plugin file of <dir> (*.lua: each file's engine is named by its suffix, engine.h),
 * sorted by name, and loads them once to check them. On success *out is a new bundle with one
 * reference; on failure a message is in <err>. Shared read-only between threads. */
bool sr_plugin_bundle_load(const char *dir, struct sr_plugin_bundle **out, char *err, size_t errsz);
void sr_plugin_bundle_release(struct sr_plugin_bundle *b);
long sr_plugin_bundle_generation(const struct sr_plugin_bundle *b);

/* ---- plugin_set.c: a set, the published bundle and each thread's set ---- */
/* Every plugin of a bundle loaded (one engine state per engine); used by one thread at a time. */
struct sr_plugins;

struct sr_plugins *sr_plugins_open(const struct sr_plugin_bundle *b, char *err, size_t errsz);
void sr_plugins_close(struct sr_plugins *p);
int sr_plugins_ntypes(const struct sr_plugins *p);
const struct sr_eqtype *sr_plugins_type_at(const struct sr_plugins *p, int i);
const struct sr_eqtype *sr_plugins_type(const struct sr_plugins *p, const char *code);
/* The type that declares <variety> among its varieties, or NULL. */
const struct sr_eqtype *sr_plugins_type_for_variety(const struct sr_plugins *p, const char *variety);
/* The loaded ladder, or NULL when no escalation plugin is loaded. */
const struct sr_ladder *sr_plugins_ladder(const struct sr_plugins *p);
const struct sr_workflow *sr_plugins_workflow(const struct sr_plugins *p, const char *code);
int sr_plugins_nworkflows(const struct sr_plugins *p);
const struct sr_workflow *sr_plugins_workflow_at(const struct sr_plugins *p, int i);
int sr_plugins_nformats(const struct sr_plugins *p);
const struct sr_notice_format *sr_plugins_format_at(const struct sr_plugins *p, int i);
/* The format called <name>, or NULL (also for "standard", which is not a plugin). */
const struct sr_notice_format *sr_plugins_format(const struct sr_plugins *p, const char *name);
/* What the set is, for the record of which set was active when: {digest, files: [{file, sha256,
 * declarations: [{kind, code, name?, version}]}]}, the files in load order, <digest> the
 * SHA-256 over every file's name and SHA-256 (two sets with the same digest are the same files).
 * Caller owns it. */
cJSON *sr_plugins_describe(const struct sr_plugins *p);
/* The bytes <p>'s engine states hold now, and (in *cap) the most they may hold. */
size_t sr_plugins_memory(const struct sr_plugins *p, size_t *cap);

/* Loads <dir> and, if it is good, makes it the current bundle. Keeps the old one otherwise. */
bool sr_plugins_publish_dir(const char *dir, char *err, size_t errsz);
/* This thread's plugin set for the current bundle, reopened when a reload has published a new
 * one. Borrowed; valid until the next call on this thread. NULL if no bundle is published. */
struct sr_plugins *sr_plugins_thread(char *err, size_t errsz);
/* Frees this thread's plugin set (call before a worker thread exits). */
void sr_plugins_thread_release(void);
void sr_plugins_unpublish(void);

/* Stops all plugin code, for shutdown: every plugin call in progress in any thread fails at its
 * next budget check (within about a thousand VM instructions or one pattern-matching stride),
 * and every later call, loading a plugin set included, fails at once, each with the outcome
 * SR_OUTCOME_STOPPING ("the server is stopping"). Irreversible for the life of the process. It
 * only stores lock-free atomic flags, so it is async-signal-safe: call it from the signal thread
 * (or a handler) on SIGTERM before joining the threads that may be running plugins. */
void sr_plugins_interrupt(void);
/* True once sr_plugins_interrupt has been called. */
bool sr_plugins_interrupted(void);
/* The wall-clock limit of one plugin call or file load in the sets opened from now on
 * (SR_PLUGIN_CALL_MS unless set; 10..600000 ms). For tests that must tell the instruction budget
 * from the clock on a machine made slow by sanitizers or load. */
void sr_plugins_set_call_ms(int ms);

/* ---- plugin_ask.c: the questions. Every answer is hostile input: its shape, types, sizes and
 * encodings are checked here, the same for every engine, before the core acts on it. A failure
 * is logged, counted, and (where a problem is given) becomes SR_PLUGIN with the detail
 * "plugin FILE@VERSION failed in FN(): REASON". ---- */

/* Checks <eq> ({type, equipment_code, jurisdiction, commissioned_on, address, attributes})
 * against the type: the declared schema first, then the plugin's validate(). Field errors land
 * in <pb> as SR_INVALID; a plugin that fails or answers nonsense gives SR_PLUGIN. */
int sr_plugins_validate(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq,
                        struct sr_problem *pb);

/* Asks the type's next_due(eq, history, today). On success *out is {date, kind, reason, basis}
 * (caller owns it; no date while nothing can fall due, e.g. when suspended), or NULL when the
 * plugin returns nil or the type has no next_due. A plugin that fails or answers something
 * malformed gives SR_PLUGIN. */
int sr_plugins_next_due(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *history,
                        struct sr_date today, cJSON **out, struct sr_problem *pb);
/* Runs the type's optional check_inspection(eq, inspection); its errors land in <pb> as fields. */
int sr_plugins_check_inspection(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq,
                                const cJSON *inspection, struct sr_problem *pb);

/* Asks the type's hazards(eq, inspection, today) which hazards a result shows. On success *out
 * is a list of {source, condition, grade, level, reason} the host has checked (caller owns it;
 * an empty list when the type has no hazards()). A failing or malformed answer gives SR_PLUGIN. */
int sr_plugins_hazards(struct sr_plugins *p, const struct sr_eqtype *t, const cJSON *eq, const cJSON *inspection,
                       struct sr_date today, cJSON **out, struct sr_problem *pb);

/* Asks the ladder's optional decide(hazard, rung, today) about a rung that is due. On
 * SR_OUTCOME_OK *out is NULL (fire as declared: also when there is no ladder or no decide()) or
 * a checked {hold = reason} or {grade, level, reason}; any other outcome says how it failed,
 * with the reason in <why>. */
enum sr_outcome sr_plugins_decide(struct sr_plugins *p, const cJSON *hazard, const cJSON *rung,
                                  struct sr_date today, cJSON **out, char *why, size_t whysz);

/* Asks format <f> (one of <p>'s: sr_plugins_format) for the body of one notice: its
 * render(event). <event> is {id, type, timestamp, data} as the Standard Webhooks body carries
 * it, data being the outbox payload with the core's 'subject' member (plugins/README.md, "Notice
 * formats"). render answers a string (sent as it is) or a table (sent as its JSON); either must
 * be non-empty valid UTF-8 of at most SR_NOTICE_MAX_BODY bytes as sent. On SR_OUTCOME_OK *body
 * is the body (malloc'd, NUL-terminated, the caller frees it), *len its length, and it goes out
 * with f->content_type. Any other outcome says how it failed (ABSENT: <f> is NULL; RAISED,
 * MALFORMED, BUDGET, TIME, MEMORY, STRING, STOPPING, HOST as for every call), with "plugin
 * FILE@VERSION failed in render(): REASON" in <why>; the failure is already logged and counted
 * (sereg_plugin_failures_total), so the caller records the reason and does not log it again. */
enum sr_outcome sr_plugins_render(struct sr_plugins *p, const struct sr_notice_format *f, const cJSON *event,
                                  char **body, size_t *len, char *why, size_t whysz);

#endif
