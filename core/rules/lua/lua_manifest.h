/*
 * lua_manifest.h -- reading the manifest a plugin file returns (lua_manifest.c).
 */
#ifndef sr_lua_manifest_h
#define sr_lua_manifest_h

#include <lua.h>

#include "engine.h"

/* [-0, +0, e] Reads the sereg.equipment_type manifest at <idx>, from <file>, into <t> (which the
 * caller owns and frees even when this raises) and sets refs[fn] to a registry reference to each
 * function it gives (and SR_FN_BIT(fn) in t->functions); the others are left as they were. */
void sr_lua_manifest_type(lua_State *L, int idx, const char *file, struct sr_eqtype *t, int refs[SR_FN_COUNT]);
/* [-0, +0, e] Reads the sereg.escalation (d->kind SR_DECL_LADDER) or sereg.workflow manifest at
 * <idx> into d->spec, unchecked (flow.c checks it), parking what it builds under <park>; a
 * ladder's decide() goes to *decide_ref. */
void sr_lua_manifest_flow(lua_State *L, int idx, const char *file, struct sr_engine_decl *d, cJSON *park,
                          int *decide_ref);

/* [-0, +0, e] Reads the sereg.notice_format manifest at <idx> into d->spec, unchecked
 * (notice_format.c checks it), refusing keys it does not know first, so that a misspelt function
 * is named as such; its render() goes to *render_ref (and SR_FN_BIT(SR_FN_RENDER) into
 * d->functions). */
void sr_lua_manifest_format(lua_State *L, int idx, const char *file, struct sr_engine_decl *d, cJSON *park,
                            int *render_ref);

#endif
