/* err.c -- lookups generated from SR_ERR_MAP. */
#include "err.h"

#define SR_ERR_STATUS(name, status, slug, title) status,
#define SR_ERR_SLUG(name, status, slug, title) slug,
#define SR_ERR_TITLE(name, status, slug, title) title,
static const int statuses[] = { SR_ERR_MAP(SR_ERR_STATUS) };
static const char *const slugs[] = { SR_ERR_MAP(SR_ERR_SLUG) };
static const char *const titles[] = { SR_ERR_MAP(SR_ERR_TITLE) };

int sr_err_status(enum sr_err e) { return (unsigned)e < SR_ERR__COUNT ? statuses[e] : 500; }
const char *sr_err_slug(enum sr_err e) { return (unsigned)e < SR_ERR__COUNT ? slugs[e] : "internal"; }
const char *sr_err_title(enum sr_err e) { return (unsigned)e < SR_ERR__COUNT ? titles[e] : "Internal error"; }
