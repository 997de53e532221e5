/* migrate.c -- see migrate.h. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_MIGRATIONS 1000
#define MAX_MIGRATION_FILE (8 * 1024 * 1024)
#define LOCK_KEY "7305219814" /* any constant; keeps two migrate runs from interleaving */

struct migration {
  int version;
  char name[256];
};

static int cmp(const void *a, const void *b)
{
  return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

/* NNNN_name.sql with a lowercase name. */
static bool parse_name(const char *f, int *version)
{
  size_t n = strlen(f);
  if(n < 10 || n > 200 || strcmp(f + n - 4, ".sql") != 0 || f[4] != '_' || strspn(f, "0123456789") != 4)
    return false;
  for(size_t i = 5; i < n - 4; i++)
    if(!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '_'))
      return false;
  *version = atoi(f);
  return *version > 0;
}

static int list_dir(const char *dir, struct migration *out, char *err, size_t errsz)
{
  DIR *d = opendir(dir);
  if(!d) {
    snprintf(err, errsz, "cannot open %s: %s", dir, strerror(errno));
    return -1;
  }
  int n = 0;
  struct dirent *e;
  while((e = readdir(d)) && n < MAX_MIGRATIONS) {
    int v;
    if(!parse_name(e->d_name, &v))
      continue;
    out[n].version = v;
    snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
    n++;
  }
  closedir(d);
  qsort(out, (size_t)n, sizeof *out, cmp);
  for(int i = 1; i < n; i++)
    if(out[i].version == out[i - 1].version) {
      snprintf(err, errsz, "%s and %s share a number", out[i - 1].name, out[i].name);
      return -1;
    }
  return n;
}

/* Reads <dir>/<m> into a malloced buffer (caller frees) and its path into <path>. */
static bool read_migration(const char *dir, const struct migration *m, char path[4096], char **sql,
                           size_t *len, char *err, size_t errsz)
{
  snprintf(path, 4096, "%s/%s", dir, m->name);
  if(sr_read_file(path, MAX_MIGRATION_FILE, sql, len))
    return true;
  snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
  return false;
}

static bool exec_ok(PGconn *c, const char *sql, char *err, size_t errsz)
{
  PGresult *r = PQexec(c, sql);
  bool ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
  if(!ok)
    snprintf(err, errsz, "%s", PQerrorMessage(c));
  PQclear(r);
  return ok;
}

static bool apply(PGconn *c, const char *dir, const struct migration *m, const char *sql, size_t len,
                  char *err, size_t errsz)
{
  char sum[65], ver[16];
  sr_sha256_hex(sql, len, sum);
  snprintf(ver, sizeof ver, "%d", m->version);
  if(!exec_ok(c, "BEGIN", err, errsz))
    return false;
  char why[1024];
  if(!exec_ok(c, sql, why, sizeof why)) {
    snprintf(err, errsz, "%s/%s failed, nothing of it was applied: %s", dir, m->name, why);
    exec_ok(c, "ROLLBACK", why, sizeof why);
    return false;
  }
  const char *p[] = { ver, m->name, sum };
  PGresult *r = PQexecParams(c, "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, $3)",
                             3, NULL, p, NULL, NULL, 0);
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if(!ok || !exec_ok(c, "COMMIT", err, errsz)) {
    snprintf(err, errsz, "could not record %s: %s", m->name, PQerrorMessage(c));
    exec_ok(c, "ROLLBACK", why, sizeof why);
    return false;
  }
  return true;
}

bool sr_migrate(PGconn *c, const char *dir, bool verbose, char *err, size_t errsz)
{
  static struct migration files[MAX_MIGRATIONS];
  int n = list_dir(dir, files, err, errsz);
  if(n < 0)
    return false;
  if(!exec_ok(c, "SELECT pg_advisory_lock(" LOCK_KEY ")", err, errsz))
    return false;
  bool ok = exec_ok(c,
                    "CREATE TABLE IF NOT EXISTS schema_migration (version integer PRIMARY KEY, "
                    "name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                    err, errsz);
  PGresult *applied = ok ? PQexec(c, "SELECT version, name, checksum FROM schema_migration ORDER BY version") : NULL;
  if(ok && (!applied || PQresultStatus(applied) != PGRES_TUPLES_OK)) {
    snprintf(err, errsz, "cannot read schema_migration: %s", PQerrorMessage(c));
    ok = false;
  }
  int napplied = ok ? PQntuples(applied) : 0, max_applied = 0, count = 0;
  /* Every applied migration must still be there, byte for byte. */
  for(int i = 0; ok && i < napplied; i++) {
    int v = atoi(PQgetvalue(applied, i, 0));
    max_applied = v > max_applied ? v : max_applied;
    int k;
    for(k = 0; k < n && files[k].version != v; k++)
      ;
    if(k == n) {
      snprintf(err, errsz, "migration %s was applied but is not in %s", PQgetvalue(applied, i, 1), dir);
      ok = false;
      break;
    }
    char path[4096], *sql = NULL, sum[65];
    size_t len;
    if(!(ok = read_migration(dir, &files[k], path, &sql, &len, err, errsz)))
      break;
    sr_sha256_hex(sql, len, sum);
    free(sql);
    if(strcmp(sum, PQgetvalue(applied, i, 2)) != 0) {
      snprintf(err, errsz, "%s changed after it was applied (checksum %.12s…, recorded %.12s…); "
                           "migrations are forward-only: add a new file instead",
               path, sum, PQgetvalue(applied, i, 2));
      ok = false;
    }
  }
  for(int k = 0; ok && k < n; k++) {
    bool done = false;
    for(int i = 0; i < napplied && !done; i++)
      done = atoi(PQgetvalue(applied, i, 0)) == files[k].version;
    if(done)
      continue;
    if(files[k].version < max_applied) {
      snprintf(err, errsz, "%s is numbered before migrations already applied", files[k].name);
      ok = false;
      break;
    }
    char path[4096], *sql = NULL;
    size_t len;
    if(!(ok = read_migration(dir, &files[k], path, &sql, &len, err, errsz)))
      break;
    ok = apply(c, dir, &files[k], sql, len, err, errsz);
    free(sql);
    if(ok && verbose)
      printf("applied %s\n", files[k].name);
    count += ok;
  }
  PQclear(applied);
  char ignore[256];
  exec_ok(c, "SELECT pg_advisory_unlock(" LOCK_KEY ")", ignore, sizeof ignore);
  if(ok && verbose)
    printf("schema is up to date (%d applied now, %d before)\n", count, napplied);
  return ok;
}
