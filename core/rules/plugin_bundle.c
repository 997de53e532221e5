/*
 * plugin_bundle.c -- a plugin folder read into a bundle: the sources of every file that one of
 * the engines runs, sorted by name, each read with care (regular files only, within the size
 * ceiling), and checked once by opening a set from them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_int.h"

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
    if(e->d_name[0] == '.' || !sr_engine_for(e->d_name))
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
    char kinds[100] = "";
    for(int i = 0; sr_engine_at(i); i++)
      snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s*%s", i ? " or " : "",
               sr_engine_at(i)->suffix);
    snprintf(err, errsz, "no %s plugins in %s", kinds, dir);
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

