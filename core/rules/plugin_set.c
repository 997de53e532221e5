/*
 * plugin_set.c -- a plugin set, the published bundle and each thread's set.
 *
 * A set runs every file of a bundle in the engine its suffix names (engine.h), one engine state
 * per engine, and keeps what the files declare: the types, the ladder, the workflows and the
 * notice formats. What one file declares is checked as it comes in, what the files declare
 * together (unique codes, varieties and format names, workflows the ladder proposes) once all
 * have loaded; none of it needs an engine. A reload reads and checks a whole folder first and swaps the published bundle only
 * when every file loaded; requests in flight keep the set they started with, and each thread
 * reopens its own set from the new bundle on its next request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notice_format.h"
#include "plugin_int.h"

struct set_engine {
  const struct sr_engine *engine;
  struct sr_engine_state *state;
};

struct sr_plugins {
  struct set_engine engines[SR_MAX_ENGINES];
  int nengines;
  int unit_engine[SR_MAX_PLUGINS]; /* each file's engine, an index into 'engines' */
  int nunits;
  struct sr_eqtype *types;
  int ntypes;
  struct sr_ladder *ladder; /* at most one escalation ladder */
  struct sr_workflow *workflows;
  int nworkflows;
  struct sr_notice_format formats[SR_NOTICE_MAX_FORMATS];
  int nformats;
  /* Each file's name and the SHA-256 of its source, for the record of which set was active. */
  char *file_name[SR_MAX_PLUGINS];
  char file_sha256[SR_MAX_PLUGINS][65];
};

/* Set once by sr_plugins_interrupt and never cleared: the process is on its way out. */
static atomic_bool stopping;

void sr_plugins_interrupt(void)
{
  atomic_store(&stopping, true);
  const struct sr_engine *e;
  for(int i = 0; (e = sr_engine_at(i)); i++)
    e->interrupt();
}

bool sr_plugins_interrupted(void) { return atomic_load(&stopping); }

static atomic_int call_ms = SR_PLUGIN_CALL_MS;

void sr_plugins_set_call_ms(int ms)
{
  if(ms >= 10 && ms <= 600000)
    atomic_store(&call_ms, ms);
}

/* ==== opening and closing a set ==== */

static void free_ladder(struct sr_ladder *l)
{
  if(!l)
    return;
  free(l->file);
  free(l->version);
  cJSON_Delete(l->spec);
  free(l);
}

void sr_plugins_close(struct sr_plugins *p)
{
  if(!p)
    return;
  for(int i = 0; i < p->nengines; i++)
    p->engines[i].engine->close(p->engines[i].state);
  for(int i = 0; i < p->ntypes; i++)
    sr_eqtype_free_fields(&p->types[i]);
  free(p->types);
  free_ladder(p->ladder);
  for(int i = 0; p->workflows && i < p->nworkflows; i++) {
    struct sr_workflow *w = &p->workflows[i];
    free(w->file);
    free(w->code);
    free(w->name);
    free(w->version);
    cJSON_Delete(w->spec);
  }
  free(p->workflows);
  for(int i = 0; i < SR_MAX_PLUGINS; i++)
    free(p->file_name[i]);
  for(int i = 0; i < p->nformats; i++) {
    struct sr_notice_format *f = &p->formats[i];
    free(f->name);
    free(f->title);
    free(f->content_type);
    free(f->file);
    free(f->version);
  }
  free(p);
}

/* The index of <e>'s state in the set, opened on first use; -1 with the reason in <err>. */
static int engine_slot(struct sr_plugins *p, const struct sr_engine *e, char *err, size_t errsz)
{
  for(int i = 0; i < p->nengines; i++)
    if(p->engines[i].engine == e)
      return i;
  if(p->nengines == SR_MAX_ENGINES) {
    snprintf(err, errsz, "more than %d plugin engines in one set", SR_MAX_ENGINES);
    return -1;
  }
  struct sr_engine_state *s = e->open(atomic_load(&call_ms), err, errsz);
  if(!s)
    return -1;
  p->engines[p->nengines] = (struct set_engine){ e, s };
  return p->nengines++;
}

static char *dup_str(const cJSON *spec, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
  return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

/* Takes what one file declared into the set; the checks of a ladder or a workflow on their own
 * are flow.c's. False with the reason in <err>. */
static bool take_decl(struct sr_plugins *p, const char *file, int unit, struct sr_engine_decl *d, char *err,
                      size_t errsz)
{
  char why[300];
  switch(d->kind) {
  case SR_DECL_TYPE:
    p->types[p->ntypes] = d->type;
    p->types[p->ntypes].unit = unit;
    p->ntypes++;
    memset(&d->type, 0, sizeof d->type);
    return true;
  case SR_DECL_LADDER: {
    if(p->ladder) {
      snprintf(err, errsz, "%s: only one escalation ladder may be loaded, and %s already declares one", file,
               p->ladder->file);
      return false;
    }
    if(!sr_flow_ladder_check(d->spec, why, sizeof why)) {
      snprintf(err, errsz, "%s: %s", file, why);
      return false;
    }
    struct sr_ladder *l = calloc(1, sizeof *l);
    if(!l || !(l->file = strdup(file)) || !(l->version = dup_str(d->spec, "version"))) {
      free_ladder(l);
      snprintf(err, errsz, "out of memory");
      return false;
    }
    l->spec = d->spec;
    d->spec = NULL;
    l->functions = d->functions;
    l->unit = unit;
    p->ladder = l;
    return true;
  }
  case SR_DECL_WORKFLOW: {
    if(!sr_flow_workflow_check(d->spec, why, sizeof why)) {
      snprintf(err, errsz, "%s: %s", file, why);
      return false;
    }
    struct sr_workflow *w = &p->workflows[p->nworkflows++];
    w->file = strdup(file);
    w->code = dup_str(d->spec, "code");
    w->name = dup_str(d->spec, "name");
    w->version = dup_str(d->spec, "version");
    w->spec = d->spec;
    d->spec = NULL;
    if(!w->file || !w->code || !w->name || !w->version) {
      snprintf(err, errsz, "out of memory");
      return false;
    }
    return true;
  }
  case SR_DECL_FORMAT: {
    if(!sr_notice_format_check(d->spec, d->functions, why, sizeof why)) {
      snprintf(err, errsz, "%s: %s", file, why);
      return false;
    }
    if(p->nformats == SR_NOTICE_MAX_FORMATS) {
      snprintf(err, errsz, "%s: more than %d notice formats in one plugin set", file, SR_NOTICE_MAX_FORMATS);
      return false;
    }
    struct sr_notice_format *f = &p->formats[p->nformats++];
    const char *ct = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d->spec, "content_type"));
    f->file = strdup(file);
    f->name = dup_str(d->spec, "name");
    f->title = dup_str(d->spec, "title");
    f->version = dup_str(d->spec, "version");
    f->content_type = strdup(ct ? ct : SR_NOTICE_DEFAULT_CONTENT_TYPE);
    f->unit = unit;
    if(!f->file || !f->name || !f->title || !f->version || !f->content_type) {
      snprintf(err, errsz, "out of memory");
      return false;
    }
    return true;
  }
  case SR_DECL_NONE:
    break;
  }
  snprintf(err, errsz, "%s: declares nothing", file);
  return false;
}

/* What the files declare together: codes, names and varieties are each one type's. */
static bool check_types(const struct sr_plugins *p, char *err, size_t errsz)
{
  for(int i = 0; i < p->ntypes; i++)
    for(int k = 0; k < i; k++) {
      const struct sr_eqtype *a = &p->types[k], *b = &p->types[i];
      if(strcmp(a->code, b->code) == 0 || strcmp(a->name, b->name) == 0) {
        snprintf(err, errsz, "%s and %s both claim type '%s' (%s)", a->file, b->file,
                 strcmp(a->code, b->code) == 0 ? a->code : a->name, "code and name must be unique");
        return false;
      }
      const struct sr_attr *va = sr_attrs_find(a->attrs, a->nattrs, "variety");
      const struct sr_attr *vb = sr_attrs_find(b->attrs, b->nattrs, "variety");
      for(int x = 0; va && x < va->nenum; x++)
        if(sr_eqtype_has_variety(b, va->enumv[x]) && vb) {
          snprintf(err, errsz, "%s and %s both claim variety %s", a->file, b->file, va->enumv[x]);
          return false;
        }
    }
  return true;
}

/* Workflow codes are unique, and the ladder proposes only workflows that exist. */
static bool check_flows(const struct sr_plugins *p, char *err, size_t errsz)
{
  for(int i = 0; i < p->nworkflows; i++)
    for(int k = 0; k < i; k++)
      if(strcmp(p->workflows[i].code, p->workflows[k].code) == 0) {
        snprintf(err, errsz, "%s and %s both declare workflow '%s'", p->workflows[k].file, p->workflows[i].file,
                 p->workflows[i].code);
        return false;
      }
  const cJSON *rungs = p->ladder ? cJSON_GetObjectItem(p->ladder->spec, "rungs") : NULL;
  for(const cJSON *r = rungs ? rungs->child : NULL; r; r = r->next) {
    const cJSON *wf = cJSON_GetObjectItem(r, "propose");
    if(cJSON_IsString(wf) && !sr_plugins_workflow(p, wf->valuestring)) {
      snprintf(err, errsz, "%s: rung '%s' proposes workflow '%s', which no plugin declares", p->ladder->file,
               cJSON_GetObjectItem(r, "id")->valuestring, wf->valuestring);
      return false;
    }
  }
  return true;
}

/* Format names are unique: a subscription names one. */
static bool check_formats(const struct sr_plugins *p, char *err, size_t errsz)
{
  for(int i = 0; i < p->nformats; i++)
    for(int k = 0; k < i; k++)
      if(strcmp(p->formats[i].name, p->formats[k].name) == 0) {
        snprintf(err, errsz, "%s and %s both declare notice format '%s'", p->formats[k].file, p->formats[i].file,
                 p->formats[i].name);
        return false;
      }
  return true;
}

/* Runs file <i> of <b> in its engine and takes what it declares. */
static bool load_file(struct sr_plugins *p, const struct sr_plugin_bundle *b, int i, char *err, size_t errsz)
{
  const struct sr_plugin_source *src = &b->files[i];
  const struct sr_engine *e = sr_engine_for(src->name);
  if(!e) {
    snprintf(err, errsz, "%s: no plugin engine runs this file", src->name);
    return false;
  }
  int slot = engine_slot(p, e, err, errsz);
  if(slot < 0)
    return false;
  if(!(p->file_name[i] = strdup(src->name))) {
    snprintf(err, errsz, "out of memory");
    return false;
  }
  sr_sha256_hex(src->src, src->len, p->file_sha256[i]);
  p->unit_engine[i] = slot;
  p->nunits = i + 1;
  struct sr_engine_decl d;
  memset(&d, 0, sizeof d);
  char why[400];
  bool ok = e->load(p->engines[slot].state, i, src, &d, why, sizeof why) == SR_OUTCOME_OK;
  if(!ok) {
    /* Prefix the file name unless the engine already did ("elevator.lua:12: ..."). */
    if(strncmp(why, src->name, strlen(src->name)) == 0)
      snprintf(err, errsz, "%s", why);
    else
      snprintf(err, errsz, "%s: %s", src->name, why);
  }
  else
    ok = take_decl(p, src->name, i, &d, err, errsz);
  sr_engine_decl_free(&d);
  return ok;
}

struct sr_plugins *sr_plugins_open(const struct sr_plugin_bundle *b, char *err, size_t errsz)
{
  struct sr_plugins *p = calloc(1, sizeof *p);
  if(!p) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  p->types = calloc((size_t)(b->n ? b->n : 1), sizeof *p->types);
  p->workflows = calloc((size_t)(b->n ? b->n : 1), sizeof *p->workflows);
  if(!p->types || !p->workflows) {
    snprintf(err, errsz, "out of memory");
    sr_plugins_close(p);
    return NULL;
  }
  for(int i = 0; i < b->n; i++)
    if(!load_file(p, b, i, err, errsz)) {
      sr_plugins_close(p);
      return NULL;
    }
  if(!check_types(p, err, errsz) || !check_flows(p, err, errsz) || !check_formats(p, err, errsz)) {
    sr_plugins_close(p);
    return NULL;
  }
  return p;
}

enum sr_outcome sr_plugins_call(struct sr_plugins *p, int unit, enum sr_plugin_fn fn, const cJSON *const *args,
                                int nargs, int max_items, cJSON **answer, char *why, size_t whysz)
{
  *answer = NULL;
  if(unit < 0 || unit >= p->nunits) {
    snprintf(why, whysz, "no such plugin");
    return SR_OUTCOME_ABSENT;
  }
  struct set_engine *e = &p->engines[p->unit_engine[unit]];
  return e->engine->call(e->state, unit, fn, args, nargs, max_items, answer, why, whysz);
}

static void add_decl(cJSON *files, int unit, const char *kind, const char *code, const char *name,
                     const char *version)
{
  cJSON *f = cJSON_GetArrayItem(files, unit);
  if(!f)
    return;
  cJSON *d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "kind", kind);
  cJSON_AddStringToObject(d, "code", code);
  if(name)
    cJSON_AddStringToObject(d, "name", name);
  cJSON_AddStringToObject(d, "version", version);
  cJSON_AddItemToArray(cJSON_GetObjectItem(f, "declarations"), d);
}

cJSON *sr_plugins_describe(const struct sr_plugins *p)
{
  cJSON *out = cJSON_CreateObject(), *files = cJSON_CreateArray();
  struct sr_buf all;
  sr_buf_init(&all, (size_t)SR_MAX_PLUGINS * 400);
  for(int i = 0; i < p->nunits; i++) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "file", p->file_name[i] ? p->file_name[i] : "");
    cJSON_AddStringToObject(f, "sha256", p->file_sha256[i]);
    cJSON_AddArrayToObject(f, "declarations");
    cJSON_AddItemToArray(files, f);
    /* The digest names every file and its contents: a renamed file is another set. */
    sr_buf_printf(&all, "%s\n%s\n", p->file_name[i] ? p->file_name[i] : "", p->file_sha256[i]);
  }
  for(int i = 0; i < p->ntypes; i++)
    add_decl(files, p->types[i].unit, "equipment_type", p->types[i].code, p->types[i].name, p->types[i].version);
  if(p->ladder)
    add_decl(files, p->ladder->unit, "escalation", "escalation", NULL, p->ladder->version);
  for(int i = 0; i < p->nworkflows; i++) {
    const struct sr_workflow *w = &p->workflows[i];
    for(int u = 0; u < p->nunits; u++)
      if(p->file_name[u] && strcmp(p->file_name[u], w->file) == 0)
        add_decl(files, u, "workflow", w->code, w->name, w->version);
  }
  for(int i = 0; i < p->nformats; i++)
    add_decl(files, p->formats[i].unit, "notice_format", p->formats[i].name, p->formats[i].title,
             p->formats[i].version);
  char digest[65];
  sr_sha256_hex(all.data ? all.data : "", all.len, digest);
  sr_buf_free(&all);
  cJSON_AddStringToObject(out, "digest", digest);
  cJSON_AddItemToObject(out, "files", files);
  return out;
}

size_t sr_plugins_memory(const struct sr_plugins *p, size_t *cap)
{
  size_t used = 0, c;
  *cap = 0;
  for(int i = 0; i < p->nengines; i++) {
    used += p->engines[i].engine->memory(p->engines[i].state, &c);
    *cap += c;
  }
  return used;
}

/* ==== looking things up ==== */

int sr_plugins_ntypes(const struct sr_plugins *p) { return p->ntypes; }

const struct sr_eqtype *sr_plugins_type_at(const struct sr_plugins *p, int i)
{
  return i >= 0 && i < p->ntypes ? &p->types[i] : NULL;
}

const struct sr_eqtype *sr_plugins_type(const struct sr_plugins *p, const char *code)
{
  for(int i = 0; code && i < p->ntypes; i++)
    if(strcmp(p->types[i].code, code) == 0)
      return &p->types[i];
  return NULL;
}

const struct sr_eqtype *sr_plugins_type_for_variety(const struct sr_plugins *p, const char *variety)
{
  for(int i = 0; i < p->ntypes; i++)
    if(sr_eqtype_has_variety(&p->types[i], variety))
      return &p->types[i];
  return NULL;
}

const struct sr_ladder *sr_plugins_ladder(const struct sr_plugins *p) { return p->ladder; }
int sr_plugins_nworkflows(const struct sr_plugins *p) { return p->nworkflows; }

const struct sr_workflow *sr_plugins_workflow_at(const struct sr_plugins *p, int i)
{
  return i >= 0 && i < p->nworkflows ? &p->workflows[i] : NULL;
}

const struct sr_workflow *sr_plugins_workflow(const struct sr_plugins *p, const char *code)
{
  for(int i = 0; code && i < p->nworkflows; i++)
    if(strcmp(p->workflows[i].code, code) == 0)
      return &p->workflows[i];
  return NULL;
}

int sr_plugins_nformats(const struct sr_plugins *p) { return p->nformats; }

const struct sr_notice_format *sr_plugins_format_at(const struct sr_plugins *p, int i)
{
  return i >= 0 && i < p->nformats ? &p->formats[i] : NULL;
}

const struct sr_notice_format *sr_plugins_format(const struct sr_plugins *p, const char *name)
{
  for(int i = 0; name && i < p->nformats; i++)
    if(strcmp(p->formats[i].name, name) == 0)
      return &p->formats[i];
  return NULL;
}

/* ==== the published bundle and each thread's set ==== */

static pthread_mutex_t published_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sr_plugin_bundle *published;
static long next_generation = 1;

static _Thread_local struct sr_plugins *thread_set;
static _Thread_local struct sr_plugin_bundle *thread_bundle;

/* A key whose destructor frees a worker thread's set when the thread ends (the server's
 * threads belong to libmicrohttpd, which knows nothing of them). */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *unused)
{
  (void)unused;
  sr_plugins_thread_release();
}

static void make_thread_key(void) { pthread_key_create(&thread_key, on_thread_exit); }

bool sr_plugins_publish_dir(const char *dir, char *err, size_t errsz)
{
  struct sr_plugin_bundle *b;
  if(!sr_plugin_bundle_load(dir, &b, err, errsz))
    return false;
  pthread_mutex_lock(&published_lock);
  b->generation = next_generation++;
  struct sr_plugin_bundle *old = published;
  published = b;
  pthread_mutex_unlock(&published_lock);
  sr_plugin_bundle_release(old);
  return true;
}

void sr_plugins_unpublish(void)
{
  pthread_mutex_lock(&published_lock);
  struct sr_plugin_bundle *old = published;
  published = NULL;
  pthread_mutex_unlock(&published_lock);
  sr_plugin_bundle_release(old);
}

void sr_plugins_thread_release(void)
{
  sr_plugins_close(thread_set);
  sr_plugin_bundle_release(thread_bundle);
  thread_set = NULL;
  thread_bundle = NULL;
}

struct sr_plugins *sr_plugins_thread(char *err, size_t errsz)
{
  pthread_mutex_lock(&published_lock);
  struct sr_plugin_bundle *cur = published;
  if(cur && cur != thread_bundle)
    atomic_fetch_add(&cur->refs, 1);
  pthread_mutex_unlock(&published_lock);
  if(!cur) {
    snprintf(err, errsz, "no plugins are loaded");
    return NULL;
  }
  if(cur == thread_bundle && thread_set)
    return thread_set;
  /* The bundle was checked when it was published; opening it again fails only without memory. */
  struct sr_plugins *p = sr_plugins_open(cur, err, errsz);
  if(!p) {
    sr_plugin_bundle_release(cur);
    return thread_set; /* keep serving with the set this thread had, if any */
  }
  sr_plugins_thread_release();
  thread_set = p;
  thread_bundle = cur;
  pthread_once(&thread_key_once, make_thread_key);
  pthread_setspecific(thread_key, p);
  return p;
}
