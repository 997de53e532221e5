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
  long rows, imported, rejected; /* rows: data rows read, blank ones aside */
  long blank;                    /* rows of empty cells only, skipped */
  long unknown;                  /* units imported without any inspection state (sql/0026) */
  char encoding[16];
  char rejects_path[4096]; /* "" when nothing was rejected */
  int nignored;            /* columns no row reads (序号, 使用单位名称, ...) */
  char ignored[1024];      /* their titles, 、-separated */
  struct {
    char reason[128];      /* the column a reason is about, as the file titles it */
    long rows;
  } top[5];                /* the most common reasons, most first */
  int ntop;
};

enum sr_err sr_import_equipment(struct sr_ctx *c, const struct sr_import_options *o, struct sr_import_result *res,
                                struct sr_problem *pb);
enum sr_err sr_import_organizations(struct sr_ctx *c, const struct sr_import_options *o,
                                    struct sr_import_result *res, struct sr_problem *pb);

#endif
