/*
 * plugin.h -- the rule plugins as the core sees them: a set of equipment types, each with an
 * attribute schema checked in C and an optional Lua validate() for rules across fields.
 *
 * A plugin folder is read into a bundle (the sources, validated once); each worker thread opens
 * its own plugin set from the current bundle, so Lua states are never shared between threads.
 * A reload publishes a new bundle only if every file in it loads; threads pick it up on their
 * next request. Plugin code gets no I/O, no clock, and bounded instructions, time and memory per
 * call (sr_plugins_interrupt stops it all at shutdown).
 */
#ifndef sr_plugin_h
#define sr_plugin_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "problem.h"
#include "util.h"

enum sr_attr_kind { SR_ATTR_STRING, SR_ATTR_INTEGER, SR_ATTR_NUMBER, SR_ATTR_BOOLEAN, SR_ATTR_OBJECT };

/* One declared attribute; an object's properties are attributes themselves. */
struct sr_attr {
  char *name;
  char *title;
  char *description;
  enum sr_attr_kind kind;
  bool required;
  bool has_min, has_max;
  double min, max;
  long max_length;   /* strings, in bytes */
  char **enumv;      /* allowed strings, or NULL */
  int nenum;
  char *format;      /* "uscc" or NULL */
  struct sr_attr *props;
  int nprops;
};

/* A conclusion an inspection of some kind may reach, e.g. {"pass", "合格", passed}. */
struct sr_conclusion {
  char *code;
  char *text;
  bool passed; /* the unit may stay in use */
};

enum sr_grade_rule { SR_GRADE_FORBIDDEN, SR_GRADE_REQUIRED, SR_GRADE_OPTIONAL };

/* An inspection kind the type takes, with its vocabulary of conclusions. */
struct sr_inspection_kind {
  char *kind; /* periodic, supervisory, first, self_test, annual_check, external, internal */
  struct sr_conclusion *conclusions;
  int nconclusions;
  enum sr_grade_rule safety_grade;
};

struct sr_eqtype {
  char *code;             /* "elevator" */
  char *name;             /* "电梯" */
  char *version;          /* plugin version, e.g. "1.0.0" */
  char *file;             /* file name within the plugin folder */
  char *registration_class; /* 类别汉字 of the registration number, e.g. "梯" */
  struct sr_attr *attrs;
  int nattrs;
  int validate_ref;       /* Lua registry reference to validate(), or -2 when absent */
  struct sr_inspection_kind *kinds; /* sorted by kind */
  int nkinds;
  int next_due_ref;       /* next_due(eq, history, today), or -2 */
  int check_inspection_ref; /* check_inspection(eq, inspection), or -2 */
  int hazards_ref;        /* hazards(eq, inspection, today), or -2 */
};

/* The escalation ladder (sereg.escalation): its definition, checked by sr_ladder_check. */
struct sr_ladder {
  char *file, *version;
  cJSON *spec;
  int decide_ref; /* decide(hazard, rung, today), or -2 */
};

/* A rectification workflow (sereg.workflow), checked by sr_workflow_check. */
struct sr_workflow {
  char *code, *name, *file, *version;
  cJSON *spec;
};

/* The kinds every inspection must be one of. */
extern const char *const sr_inspection_kinds[];

const struct sr_inspection_kind *sr_eqtype_kind(const struct sr_eqtype *t, const char *kind);
const struct sr_conclusion *sr_kind_conclusion(const struct sr_inspection_kind *k, const char *code);

/* The validated sources of one plugin folder; shared read-only between threads. */
struct sr_plugin_bundle;

/* Reads every *.lua in <dir> (sorted by name) and loads them once to check them.
 * On success *out is a new bundle with one reference; on failure a message is in <err>. */
bool sr_plugin_bundle_load(const char *dir, struct sr_plugin_bundle **out, char *err, size_t errsz);
void sr_plugin_bundle_release(struct sr_plugin_bundle *b);
long sr_plugin_bundle_generation(const struct sr_plugin_bundle *b);

/* One Lua state with every plugin of a bundle loaded; used by one thread at a time. */
struct sr_plugins;

struct sr_plugins *sr_plugins_open(const struct sr_plugin_bundle *b, char *err, size_t errsz);
void sr_plugins_close(struct sr_plugins *p);
int sr_plugins_ntypes(const struct sr_plugins *p);
const struct sr_eqtype *sr_plugins_type_at(const struct sr_plugins *p, int i);
const struct sr_eqtype *sr_plugins_type(const struct sr_plugins *p, const char *code);
/* The type that declares <variety> among its varieties, or NULL. */
const struct sr_eqtype *sr_plugins_type_for_variety(const struct sr_plugins *p, const char *variety);
bool sr_eqtype_has_variety(const struct sr_eqtype *t, const char *variety);

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

/* The loaded ladder, or NULL when no escalation plugin is loaded. */
const struct sr_ladder *sr_plugins_ladder(const struct sr_plugins *p);
const struct sr_workflow *sr_plugins_workflow(const struct sr_plugins *p, const char *code);
int sr_plugins_nworkflows(const struct sr_plugins *p);
const struct sr_workflow *sr_plugins_workflow_at(const struct sr_plugins *p, int i);
/* Asks the ladder's optional decide(hazard, rung, today) about a rung that is due. *out is NULL
 * (fire as declared) or a checked {hold = reason} or {grade, level, reason}; a failing or
 * malformed answer returns false with the reason in <err>. */
bool sr_plugins_decide(struct sr_plugins *p, const cJSON *hazard, const cJSON *rung, struct sr_date today,
                       cJSON **out, char *err, size_t errsz);

/* The attribute schema as JSON Schema (2020-12). Caller owns the result. */
cJSON *sr_eqtype_schema_json(const struct sr_eqtype *t);

/* ---- plugin_schema.c: declared attributes, independent of Lua ---- */
void sr_attrs_free(struct sr_attr *attrs, int n);
/* Checks <value> (the "attributes" object) against <attrs>, naming fields under <prefix>. */
void sr_attrs_check(const struct sr_attr *attrs, int n, const cJSON *value, const char *prefix,
                    struct sr_problem *pb);
cJSON *sr_attrs_schema(const struct sr_attr *attrs, int n);

/* ---- plugin_set.c: the published bundle and each thread's plugin set ---- */
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
 * and every later call, loading a plugin set included, fails at once, each with the reason
 * "the server is stopping". Irreversible for the life of the process. It only stores one lock-free
 * atomic flag, so it is async-signal-safe: call it from the signal thread (or a handler) on
 * SIGTERM before joining the threads that may be running plugins. */
void sr_plugins_interrupt(void);
/* The bytes <p>'s engine state holds now, and (in *cap) the most it may hold. */
size_t sr_plugins_memory(const struct sr_plugins *p, size_t *cap);

/* True once sr_plugins_interrupt has been called. */
bool sr_plugins_interrupted(void);

#endif
