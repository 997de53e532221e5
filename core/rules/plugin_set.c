/*
 * plugin_set.c -- the published plugin bundle and each thread's plugin set.
 *
 * A reload reads and checks a whole folder first and swaps the published bundle only when every
 * file loaded; requests in flight keep the set they started with, and each thread reopens its
 * own set from the new bundle on its next request.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "plugin_int.h"
#include "util.h"

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

static int name_cmp(const void *a, const void *b)
{
  return strcmp(((const struct sr_plugin_source *)a)->name, ((const struct sr_plugin_source *)b)->name);
}

void sr_plugin_bundle_release(struct sr_plugin_bundle *b)
{
  if(!b || atomic_fetch_sub(&b->refs, 1) != 1)
    return;
  for(int i = 0; i < b->n; i++) {
    free(b->files[i].name);
    free(b->files[i].src);
  }
  free(b);
}

long sr_plugin_bundle_generation(const struct sr_plugin_bundle *b) { return b->generation; }

static const char *file_kind(mode_t m)
{
  return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Reads one plugin file into s->src. Only regular files (or symbolic links to one) are read: a
 * FIFO named *.lua would block the reader for ever and a device may do anything when opened. The
 * type is checked before opening, so that nothing else is ever opened, and again on the open
 * descriptor, so that a file swapped in between changes nothing; O_NONBLOCK keeps the open
 * itself from waiting for a FIFO's writer. */
static bool read_plugin(const char *path, struct sr_plugin_source *s, char *err, size_t errsz)
{
  struct stat st;
  if(stat(path, &st) != 0) {
    snprintf(err, errsz, "%s: %s", path, strerror(errno));
    return false;
  }
  if(!S_ISREG(st.st_mode)) {
    snprintf(err, errsz, "%s: is %s; plugins must be regular files", path, file_kind(st.st_mode));
    return false;
  }
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if(fd < 0) {
    snprintf(err, errsz, "%s: %s", path, strerror(errno));
    return false;
  }
  bool ok = false;
  char *buf = NULL;
  size_t len = 0;
  if(fstat(fd, &st) != 0)
    snprintf(err, errsz, "%s: %s", path, strerror(errno));
  else if(!S_ISREG(st.st_mode))
    snprintf(err, errsz, "%s: is %s; plugins must be regular files", path, file_kind(st.st_mode));
  else if(st.st_size > SR_MAX_PLUGIN_FILE)
    snprintf(err, errsz, "%s: larger than the plugin file ceiling of %d bytes", path, SR_MAX_PLUGIN_FILE);
  else if(!(buf = malloc(SR_MAX_PLUGIN_FILE + 1)))
    snprintf(err, errsz, "out of memory");
  else {
    ok = true;
    /* Read to the end, not to st_size: the file may have grown since. */
    for(;;) {
      ssize_t n = read(fd, buf + len, SR_MAX_PLUGIN_FILE + 1 - len);
      if(n < 0 && errno == EINTR)
        continue;
      if(n < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        ok = false;
        break;
      }
      if(n == 0)
        break;
      len += (size_t)n;
      if(len > SR_MAX_PLUGIN_FILE) {
        snprintf(err, errsz, "%s: larger than the plugin file ceiling of %d bytes", path, SR_MAX_PLUGIN_FILE);
        ok = false;
        break;
      }
    }
  }
  close(fd);
  if(!ok) {
    free(buf);
    return false;
  }
  buf[len] = '\0';
  s->src = buf;
  s->len = len;
  return true;
}

static bool read_dir(const char *dir, struct sr_plugin_bundle *b, char *err, size_t errsz)
{
  DIR *d = opendir(dir);
  if(!d) {
    snprintf(err, errsz, "cannot open plugin folder %s: %s", dir, strerror(errno));
    return false;
  }
  struct dirent *e;
  bool ok = true;
  while(ok && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if(n < 5 || e->d_name[0] == '.' || strcmp(e->d_name + n - 4, ".lua") != 0)
      continue;
    if(b->n == SR_MAX_PLUGINS) {
      snprintf(err, errsz, "more than %d plugins in %s", SR_MAX_PLUGINS, dir);
      ok = false;
      break;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct sr_plugin_source *s = &b->files[b->n];
    s->name = strdup(e->d_name);
    if(!s->name)
      snprintf(err, errsz, "out of memory");
    if(!s->name || !read_plugin(path, s, err, errsz)) {
      free(s->name);
      s->name = NULL;
      ok = false;
      break;
    }
    b->n++;
  }
  closedir(d);
  if(ok && b->n == 0) {
    snprintf(err, errsz, "no *.lua plugins in %s", dir);
    ok = false;
  }
  qsort(b->files, (size_t)b->n, sizeof b->files[0], name_cmp);
  return ok;
}

bool sr_plugin_bundle_load(const char *dir, struct sr_plugin_bundle **out, char *err, size_t errsz)
{
  struct sr_plugin_bundle *b = calloc(1, sizeof *b);
  if(!b) {
    snprintf(err, errsz, "out of memory");
    return false;
  }
  atomic_init(&b->refs, 1);
  if(!read_dir(dir, b, err, errsz)) {
    sr_plugin_bundle_release(b);
    return false;
  }
  struct sr_plugins *p = sr_plugins_open(b, err, errsz);
  if(!p) {
    sr_plugin_bundle_release(b);
    return false;
  }
  sr_plugins_close(p);
  *out = b;
  return true;
}

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
