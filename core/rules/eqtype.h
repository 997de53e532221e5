/*
 * eqtype.h -- an equipment type as a plugin declares it (sereg.equipment_type): its attributes,
 * the inspection kinds it takes with their conclusions, and which of the contract's functions it
 * gives. The engine that read the plugin keeps the functions themselves; the core knows only
 * whether each is there.
 */
#ifndef sr_eqtype_h
#define sr_eqtype_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "attrs.h"
#include "metrics.h" /* enum sr_plugin_fn */

/* The bit of <fn> in a declaration's 'functions'. */
#define SR_FN_BIT(fn) (1u << (fn))

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
  char **aliases;         /* other names and codes of the type ("压力容器"), or NULL */
  int naliases;
  char *version;          /* plugin version, e.g. "1.0.0" */
  char *file;             /* file name within the plugin folder */
  char *registration_class; /* 类别汉字 of the registration number, e.g. "梯" */
  struct sr_attr *attrs;
  int nattrs;
  struct sr_inspection_kind *kinds; /* sorted by kind */
  int nkinds;
  /* SR_FN_BIT of each function it gives: validate(eq), next_due(eq, history, today),
   * check_inspection(eq, inspection), hazards(eq, inspection, today). */
  unsigned functions;
  int unit; /* the place of its file in the plugin set, by which its engine finds the functions */
};

/* The kinds every inspection must be one of: the core's, fixed by the regulations. */
extern const char *const sr_inspection_kinds[];
/* The kind named by its code or its Chinese name on a report ("定期检验"), or NULL. */
const char *sr_inspection_kind_code(const char *code_or_text);
/* The Chinese name of kind <code>, or NULL. */
const char *sr_inspection_kind_text(const char *code);

const struct sr_inspection_kind *sr_eqtype_kind(const struct sr_eqtype *t, const char *kind);
const struct sr_conclusion *sr_eqtype_conclusion(const struct sr_inspection_kind *k, const char *code);
/* The conclusion named by its code or by the text the plugin gives it ("合格"), or NULL. */
const struct sr_conclusion *sr_eqtype_conclusion_named(const struct sr_inspection_kind *k, const char *code_or_text);
bool sr_eqtype_has_variety(const struct sr_eqtype *t, const char *variety);
/* The attribute schema as JSON Schema (2020-12). Caller owns the result. */
cJSON *sr_eqtype_schema_json(const struct sr_eqtype *t);
/* Frees what the fields hold and zeroes them (not <t> itself). */
void sr_eqtype_free_fields(struct sr_eqtype *t);

/* ---- the checks of a declaration that need no engine (an engine's reader calls them) ---- */
/* A code or a name: [a-z][a-z0-9_]*, 1..<maxlen> bytes. */
bool sr_eqtype_name_ok(const char *s, size_t maxlen);
/* A version: MAJOR.MINOR.PATCH, digits only, at most 32 bytes. */
bool sr_eqtype_version_ok(const char *v);
/* The type declares 'variety', a required string whose enum lists 4-digit 品种 codes; on
 * failure the reason, naming <file>, is in <why>. */
bool sr_eqtype_varieties_ok(const struct sr_eqtype *t, const char *file, char *why, size_t n);

#endif
