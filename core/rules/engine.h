/*
 * engine.h -- the contract between the plugin set and an engine that runs plugin code (in the
 * spirit of Redis's struct engine in functions.h): a table of functions to open a state, run one
 * file of a set in it and read what the file declares, call one of the contract's functions,
 * tell its memory, close it, and stop everything at shutdown.
 *
 * The set (plugin_set.c) owns what the files declare and checks it; the engine owns its state
 * and the functions themselves, which the set names by the file's place in the set (its 'unit')
 * and the function (enum sr_plugin_fn). Values cross the contract as JSON: arguments going in,
 * answers coming out, converted by the engine and bounded in items; the shape of an answer is
 * checked by the caller (plugin_ask.c), not by the engine.
 *
 * The engines sr_rules holds are listed in engine.c, the one place that names them; an engine
 * kept elsewhere (a test's) registers itself with sr_engine_register. Each file of a folder goes
 * to the engine whose suffix it has. Only plugin_set.c, plugin_bundle.c, plugin_ask.c and the
 * engines include this header; the domain asks its questions through plugin.h.
 */
#ifndef sr_engine_h
#define sr_engine_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "eqtype.h"
#include "outcome.h"

#define SR_MAX_ENGINES 4 /* engines registered at once */

/* One plugin file: its name within the folder and its text. */
struct sr_plugin_source {
  char *name; /* e.g. "elevator.lua" */
  char *src;
  size_t len;
};

/* What one file declares, as its engine read it; the caller owns it (and frees it on failure
 * too: sr_engine_decl_free). */
enum sr_decl_kind { SR_DECL_NONE, SR_DECL_TYPE, SR_DECL_LADDER, SR_DECL_WORKFLOW, SR_DECL_FORMAT };

struct sr_engine_decl {
  enum sr_decl_kind kind;
  struct sr_eqtype type; /* SR_DECL_TYPE: read and checked, 'functions' set, 'unit' the file's */
  cJSON *spec;           /* SR_DECL_LADDER, _WORKFLOW, _FORMAT: the definition as JSON (its functions
                          * left out), not yet checked */
  unsigned functions;    /* SR_DECL_LADDER: SR_FN_BIT(SR_FN_DECIDE) when it gives decide();
                          * SR_DECL_FORMAT: SR_FN_BIT(SR_FN_RENDER) when it gives render() */
};

void sr_engine_decl_free(struct sr_engine_decl *d);

/* An engine's state for one plugin set; the engine's own. */
struct sr_engine_state;

struct sr_engine {
  const char *name;   /* "lua" */
  const char *suffix; /* the file names it runs end so: ".lua" */
  /* A new empty state, with its sandbox and its host library, each call and load of which may
   * run <ms> milliseconds; NULL with the reason in <why>. */
  struct sr_engine_state *(*open)(int ms, char *why, size_t whysz);
  /* Runs <src>, the set's file number <unit>, under the load budget and reads the manifest it
   * returns into <decl>. On failure the reason is in <why>, prefixed with the file's name where
   * the engine knows the place ("elevator.lua:12: ..."). */
  enum sr_outcome (*load)(struct sr_engine_state *s, int unit, const struct sr_plugin_source *src,
                          struct sr_engine_decl *decl, char *why, size_t whysz);
  /* Calls function <fn> of file <unit> with <args> under the call budget. On SR_OUTCOME_OK
   * *answer is its answer as JSON (the caller's), or NULL for nothing (nil); an answer of more
   * than <max_items> values, or holding one with no JSON form, is SR_OUTCOME_MALFORMED. The
   * answers of validate and check_inspection are lists of {field, message}: an engine may read
   * only those two keys of each entry, and refuse there what is not a string. The answer of
   * render is a body: a string comes back as a JSON string of its bytes as they are, UTF-8 or
   * not (the caller checks it; a NUL byte, which a C string cannot hold, is MALFORMED), and the
   * strings of a table may be as long as SR_NOTICE_MAX_BODY. */
  enum sr_outcome (*call)(struct sr_engine_state *s, int unit, enum sr_plugin_fn fn,
                          const cJSON *const *args, int nargs, int max_items, cJSON **answer,
                          char *why, size_t whysz);
  /* The bytes the state holds now, and (in *cap) the most it may hold. */
  size_t (*memory)(const struct sr_engine_state *s, size_t *cap);
  void (*close)(struct sr_engine_state *s);
  /* Stops every call in progress in any thread and refuses all later ones; async-signal-safe. */
  void (*interrupt)(void);
};

/* The engine whose suffix <file> has, or NULL. */
const struct sr_engine *sr_engine_for(const char *file);
/* The <i>th registered engine (the built-in ones first), or NULL past the last. */
const struct sr_engine *sr_engine_at(int i);
/* Adds an engine after those registered, unless one already runs its suffix or there are
 * SR_MAX_ENGINES. Call it at start, before any plugin folder is read: it takes no lock. */
bool sr_engine_register(const struct sr_engine *e);
/* "validate", "next_due", "check_inspection", "hazards", "decide", "render": the names plugins
 * give them. */
const char *sr_engine_fn_name(enum sr_plugin_fn fn);

/* The engines (each in its own folder, which alone sees its language's headers). */
extern const struct sr_engine sr_lua_engine; /* rules/lua/lua_engine.c */

#endif
