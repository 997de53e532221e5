/*
 * type_name.h -- an equipment type and variety as people name them: the type's code (elevator)
 * or name (电梯) or one of its aliases (压力容器, 3000), a variety's code (3110) or title
 * (曳引驱动乘客电梯), all from the plugins' declarations, compared after sr_utf8_fold. The
 * import and the API's registration read the type field through it alike.
 */
#ifndef sr_type_name_h
#define sr_type_name_h

#include "plugin.h"

/* The type <s> names, or NULL. When <s> names a variety, *<variety> is its code (borrowed from
 * the declaration); else NULL. <variety> may be NULL. */
const struct sr_eqtype *sr_type_name_resolve(const struct sr_plugins *p, const char *s, const char **variety);
/* The variety of <t> that <s> names by code or title (borrowed), or NULL. */
const char *sr_type_name_variety(const struct sr_eqtype *t, const char *s);
/* "elevator (电梯), boiler (锅炉), ..." into <out>: what a type field may say. */
void sr_type_name_list(const struct sr_plugins *p, char *out, size_t n);

#endif
