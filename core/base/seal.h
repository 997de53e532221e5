/*
 * seal.h -- secrets at rest. A webhook's signing secret is stored sealed (AES-256-GCM, OpenSSL)
 * under the process's key, so that a dump of the database alone does not reveal it. The key is
 * 32 bytes, given as 64 hex digits or their base64, in SEREG_SECRET_KEY or in the file
 * SEREG_SECRET_KEY_FILE names (which must not be readable by group or others). Each sealed
 * value is bound to a context (what it is the secret of), so one cannot be moved to another
 * row and still open.
 */
#ifndef sr_seal_h
#define sr_seal_h

#include <stdbool.h>
#include <stddef.h>

/* Reads the key from the environment. True when there is none (sealing is then unavailable:
 * sr_seal_ready is false) or a good one; false with the reason, naming the setting, when a key
 * is given but unusable. */
bool sr_seal_setup(char *err, size_t errsz);
bool sr_seal_ready(void);

/* <plain> sealed under the key for <context>, as text ("v1." and base64); malloc'd, NULL
 * without a key or memory. */
char *sr_seal(const char *plain, const char *context);
/* The plain text of <sealed> for <context>; malloc'd; NULL when it does not open (another key,
 * another context, tampered, malformed). */
char *sr_seal_open(const char *sealed, const char *context);

#endif
