/* migrate.h -- forward-only numbered SQL migrations, each applied in one transaction and
 * recorded with its SHA-256; a changed or missing applied file stops the run. */
#ifndef sr_migrate_h
#define sr_migrate_h

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Applies what is new in <dir>. Prints one line per applied file when <verbose>. */
bool sr_migrate(PGconn *c, const char *dir, bool verbose, char *err, size_t errsz);

#endif
