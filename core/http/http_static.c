/*
 * http_static.c -- see http_static.h. The files are read once, at start, into memory with their
 * type and a strong ETag (a prefix of their SHA-256), so that serving one is a look-up in a
 * small table: no path from a request ever reaches the file system, which is what makes
 * traversal (dot segments, %-escapes, encoded slashes, NUL) impossible rather than filtered.
 */
#include "http_static.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sr_limits.h"
#include "util.h"

#define SR_STATIC_NAME_MAX 64

struct sr_static_file {
  char name[SR_STATIC_NAME_MAX + 1];
  const char *type;
  char etag[20]; /* "<16 hex digits>" */
  char *data;
  size_t len;
};

static struct sr_static_file files[SR_WEB_MAX_FILES + 1]; /* + Chart.js from Debian */
static size_t nfiles;
static const struct sr_static_file *index_file;
static char webdir[PATH_MAX];

static const struct {
  const char *suffix, *type;
} types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
};

/* The type of a file named <name>, or NULL for a name that is not served: lower-case letters,
 * digits, '.', '_' and '-', starting with a letter or digit, no "..", a known suffix. */
static const char *type_of(const char *name)
{
  size_t n = strlen(name);
  if(n == 0 || n > SR_STATIC_NAME_MAX || strstr(name, ".."))
    return NULL;
  for(size_t i = 0; i < n; i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'));
    if(!ok)
      return NULL;
  }
  for(size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    size_t s = strlen(types[i].suffix);
    if(n > s && strcmp(name + n - s, types[i].suffix) == 0)
      return types[i].type;
  }
  return NULL;
}

/* Reads <path> (a regular file up to the ceiling) as <name>. */
static bool add_file(const char *path, const char *name, const char *type)
{
  if(nfiles >= sizeof files / sizeof files[0]) {
    sr_warn("dashboard: more than %d files in %s; %s and the rest are not served", SR_WEB_MAX_FILES, webdir, name);
    return false;
  }
  FILE *f = fopen(path, "rb");
  struct stat st;
  if(!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SR_WEB_MAX_FILE) {
    sr_warn("dashboard: %s is not a readable file of at most %d bytes: not served", path, SR_WEB_MAX_FILE);
    if(f)
      fclose(f);
    return false;
  }
  struct sr_static_file *sf = &files[nfiles];
  sf->len = (size_t)st.st_size;
  sf->data = malloc(sf->len ? sf->len : 1);
  bool ok = sf->data && fread(sf->data, 1, sf->len, f) == sf->len;
  fclose(f);
  if(!ok) {
    free(sf->data);
    sf->data = NULL;
    sr_warn("dashboard: cannot read %s: not served", path);
    return false;
  }
  snprintf(sf->name, sizeof sf->name, "%s", name);
  sf->type = type;
  char hex[65];
  sr_sha256_hex(sf->data, sf->len, hex);
  snprintf(sf->etag, sizeof sf->etag, "\"%.16s\"", hex);
  nfiles++;
  return true;
}

static bool is_dir(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder of the pages, as sr_static_load says; false when none is there. */
static bool find_dir(const char *fallback)
{
  const char *env = getenv("SEREG_WEBDIR");
  if(env && env[0]) { /* named: that folder or none, so a wrong name is not hidden by another */
    snprintf(webdir, sizeof webdir, "%s", env);
    return is_dir(webdir);
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
  if(slash) {
    *slash = '\0';
    const char *rel[] = { "/web", "/../share/sereg/web" };
    for(size_t i = 0; i < 2; i++)
      if(strlen(exe) + strlen(rel[i]) < sizeof webdir) {
        snprintf(webdir, sizeof webdir, "%s%s", exe, rel[i]);
        if(is_dir(webdir))
          return true;
      }
  }
  snprintf(webdir, sizeof webdir, "%s", fallback ? fallback : "");
  return fallback && is_dir(webdir);
}

static int by_name(const void *a, const void *b)
{
  return strcmp(((const struct sr_static_file *)a)->name, ((const struct sr_static_file *)b)->name);
}

bool sr_static_load(const char *fallback, const char *chartjs)
{
  sr_static_unload();
  if(!find_dir(fallback)) {
    sr_warn("dashboard: no folder of pages (%s): '/' is not served", webdir[0] ? webdir : "none named");
    webdir[0] = '\0';
    return false;
  }
  DIR *d = opendir(webdir);
  if(!d) {
    sr_warn("dashboard: cannot read %s: %s", webdir, strerror(errno));
    return false;
  }
  bool own_chart = false;
  for(struct dirent *e; (e = readdir(d));) {
    const char *type = type_of(e->d_name);
    if(!type)
      continue;
    char path[sizeof webdir + sizeof e->d_name + 2];
    int n = snprintf(path, sizeof path, "%s/%s", webdir, e->d_name);
    if(n < 0 || (size_t)n >= sizeof path)
      continue;
    if(add_file(path, e->d_name, type) && strcmp(e->d_name, "chart.min.js") == 0)
      own_chart = true;
  }
  closedir(d);
  /* Chart.js is Debian's file where Debian keeps it, so that its updates are what is served. */
  const char *env = getenv("SEREG_CHARTJS");
  const char *chart = env && env[0] ? env : chartjs;
  if(!own_chart && chart && !add_file(chart, "chart.min.js", type_of("chart.min.js")))
    sr_warn("dashboard: no Chart.js at %s (Debian's libjs-chart.js): the overview shows its tables without charts",
            chart);
  qsort(files, nfiles, sizeof files[0], by_name);
  for(size_t i = 0; i < nfiles; i++)
    if(strcmp(files[i].name, "index.html") == 0)
      index_file = &files[i];
  if(!index_file)
    sr_warn("dashboard: %s has no index.html: '/' is not served", webdir);
  else
    sr_info("dashboard: %zu files from %s", nfiles, webdir);
  return index_file != NULL;
}

void sr_static_unload(void)
{
  for(size_t i = 0; i < nfiles; i++)
    free(files[i].data);
  memset(files, 0, sizeof files);
  nfiles = 0;
  index_file = NULL;
}

const char *sr_static_dir(void) { return webdir; }

const struct sr_static_file *sr_static_find(const char *uri)
{
  if(!uri || !index_file)
    return NULL;
  size_t n = strcspn(uri, "?");
  if(n == 1 && uri[0] == '/')
    return index_file;
  static const char prefix[] = "/assets/";
  size_t p = sizeof prefix - 1;
  if(n <= p || n - p > SR_STATIC_NAME_MAX || strncmp(uri, prefix, p) != 0)
    return NULL;
  /* A name is compared byte for byte, so a '%', a '/' or a NUL in it matches nothing. */
  char name[SR_STATIC_NAME_MAX + 1];
  memcpy(name, uri + p, n - p);
  name[n - p] = '\0';
  if(!type_of(name) || strcmp(name, "index.html") == 0)
    return NULL;
  struct sr_static_file key;
  memcpy(key.name, name, sizeof name);
  return bsearch(&key, files, nfiles, sizeof files[0], by_name);
}

/* Whether the If-None-Match list <h> names <etag>: "*", or an entity tag whose opaque part is
 * the same (the weak comparison RFC 9110 section 13.1.2 asks for). */
static bool etag_matches(const char *h, const char *etag)
{
  size_t elen = strlen(etag);
  while(h && *h) {
    while(*h == ' ' || *h == '\t' || *h == ',')
      h++;
    if(*h == '*')
      return true;
    if(strncmp(h, "W/", 2) == 0)
      h += 2;
    if(*h != '"')
      return false; /* not a list of entity tags: the file is sent */
    const char *end = strchr(h + 1, '"');
    if(!end)
      return false;
    if((size_t)(end + 1 - h) == elen && strncmp(h, etag, elen) == 0)
      return true;
    h = end + 1;
  }
  return false;
}

int sr_static_answer(struct MHD_Connection *conn, const struct sr_static_file *f, const char *if_none_match,
                     const char *request_id, int *status)
{
  bool fresh = etag_matches(if_none_match, f->etag);
  struct MHD_Response *resp = fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
                                    : MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);
  if(!resp)
    return MHD_NO;
  if(!fresh)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
  MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, f->etag);
  /* Names carry no version: a browser asks again each time, and an unchanged file costs a 304. */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  MHD_add_response_header(resp, "Content-Security-Policy", SR_STATIC_CSP);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(resp, "X-Request-Id", request_id);
  *status = fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)*status, resp);
  MHD_destroy_response(resp);
  return ret;
}
