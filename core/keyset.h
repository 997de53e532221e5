/*
 * keyset.h -- a set of strings for finding a repeated key in linear time: open addressing on a
 * keyed hash (SipHash-2-4 with a random key per process), so that nobody who sends the keys can
 * choose ones that collide.
 */
#ifndef sr_keyset_h
#define sr_keyset_h

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sr_keyslot {
  uint64_t hash;
  const char *key; /* NULL: free */
};

#define SR_KEYSET_LOCAL 32 /* slots kept inside the set itself, so small sets allocate nothing */

struct sr_keyset {
  struct sr_keyslot *slots;
  size_t mask;
  struct sr_keyslot local[SR_KEYSET_LOCAL];
};

/* Makes an empty set for up to <n> keys. False when out of memory. Free with sr_keyset_free(). */
bool sr_keyset_init(struct sr_keyset *s, size_t n) __attribute__((warn_unused_result));
/* Adds <key> (borrowed: it must outlive the set). False when it is already there. At most the
 * <n> keys given to sr_keyset_init may be added. */
bool sr_keyset_add(struct sr_keyset *s, const char *key);
void sr_keyset_free(struct sr_keyset *s);

/* For tests: slots this thread's sets have looked at so far, a measure of their work. */
unsigned long sr_keyset_probes(void);

/* SipHash-2-4 of <data> under the 16-byte <key>. */
uint64_t sr_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
