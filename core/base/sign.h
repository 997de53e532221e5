/*
 * sign.h -- Standard Webhooks signing: endpoint secrets ("whsec_" and the base64 of the key
 * bytes) and the v1 signature, base64 of HMAC-SHA256(key, "<msg id>.<timestamp>.<body>") over
 * exactly the bytes sent. The hashing and base64 are OpenSSL's.
 */
#ifndef sr_sign_h
#define sr_sign_h

#include <stdbool.h>
#include <stddef.h>

#define SR_SIGN_KEY_BYTES 32     /* the key of a new secret */
#define SR_SIGN_MIN_KEY 24       /* the shortest and longest key a secret may hold */
#define SR_SIGN_MAX_KEY 64
#define SR_SIGN_SECRET_TEXT 96   /* room for "whsec_" and the base64 of the longest key */
#define SR_SIGN_SIGNATURE_TEXT 48 /* room for "v1," and the base64 of a SHA-256 */

/* A new secret: "whsec_" and the base64 of SR_SIGN_KEY_BYTES random bytes. False when the
 * system's random source fails. */
bool sr_sign_secret_new(char out[SR_SIGN_SECRET_TEXT]);
/* The key bytes of secret <secret> ("whsec_..." with SR_SIGN_MIN_KEY..SR_SIGN_MAX_KEY bytes of
 * key), into <key>; false when it is not one. */
bool sr_sign_secret_key(const char *secret, unsigned char key[SR_SIGN_MAX_KEY], size_t *keylen);
/* The signature "v1,<base64>" of <body> (<len> bytes) sent as message <msg_id> at Unix time
 * <timestamp>, under <key>. */
void sr_sign_v1(const unsigned char *key, size_t keylen, const char *msg_id, long long timestamp, const char *body,
                size_t len, char out[SR_SIGN_SIGNATURE_TEXT]);

/* Standard base64 with padding: <n> bytes into <out> (room for 4 * ((n + 2) / 3) + 1);
 * returns the length written. */
size_t sr_sign_base64(const unsigned char *in, size_t n, char *out);
/* Decodes standard base64 (padding required, no spaces) into at most <max> bytes of <out>;
 * false when malformed or too long. */
bool sr_sign_unbase64(const char *in, unsigned char *out, size_t max, size_t *len);

#endif
