/*
 * password.h -- passwords of people who log in: hashed with Argon2id (libsodium's
 * crypto_pwhash_str, whose string carries its own salt and parameters), verified in constant
 * time, rehashed when the parameters in force changed, and held to the complexity rule.
 */
#ifndef sr_password_h
#define sr_password_h

#include <stdbool.h>
#include <stddef.h>

#include "problem.h"

#define SR_PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */

/* Reads SEREG_PASSWORD_OPSLIMIT (passes, 1..10) and SEREG_PASSWORD_MEMLIMIT_MIB (8..1024) once,
 * and starts libsodium. False with the reason in <err> when a value is malformed or libsodium
 * does not start. Every other function calls it; a server calls it at start to refuse a bad
 * value before it serves. */
bool sr_password_setup(char *err, size_t errsz);
/* The parameters in force, for the record: "argon2id t=3 m=64MiB". */
const char *sr_password_params(void);

/* Hashes <pw> into <out>. False when out of memory. */
bool sr_password_hash(const char *pw, char out[SR_PASSWORD_HASH_MAX]);
/* Whether <pw> is the password of <stored>; with <stored> NULL, a hash of a password nobody
 * knows is verified instead, so that a name with no account costs the time one with an account
 * does. *rehash says whether <stored> was made with other parameters than those in force. */
bool sr_password_verify(const char *stored, const char *pw, bool *rehash);

/* The complexity rule (等保 2.0 level 3): at least SR_PASSWORD_MIN_CHARS characters, at most
 * SR_PASSWORD_MAX_BYTES bytes of UTF-8 without control characters, at least three of the four
 * kinds (upper-case letters, lower-case letters, digits, anything else: symbols, Chinese), and
 * not containing the account's name. False with a field error on "password". */
bool sr_password_rule(const char *name, const char *pw, struct sr_problem *pb);

#endif
