/*
 * import.h -- bulk loading of an existing register from CSV: every row checked through the same
 * type plugins as a registration, loaded through COPY in one transaction, rejected rows written
 * with their reasons to a file beside the input. All or nothing unless skip_invalid is set.
 * The layout is in docs/import.md.
 */
#ifndef sr_import_h
#define sr_import_h

#include <stdbool.h>

#include "ctx.h"

struct sr_import_options {
  const char *path;
  bool skip_invalid;  /* load the good rows even when some are rejected */
  bool progress;      /* draw a progress bar on stderr */
};

struct sr_import_result {
  long rows, imported, rejected;
  char encoding[16];
  char rejects_path[4096]; /* "" when nothing was rejected */
};

enum sr_err sr_import_equipment(struct sr_ctx *c, const struct sr_import_options *o, struct sr_import_result *res,
                                struct sr_problem *pb);
enum sr_err sr_import_organizations(struct sr_ctx *c, const struct sr_import_options *o,
                                    struct sr_import_result *res, struct sr_problem *pb);

#endif
