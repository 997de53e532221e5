/* keyset.c -- see keyset.h. */
#include "keyset.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local unsigned long probes;

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static uint64_t le64(const uint8_t *p)
{
  uint64_t v = 0;
  for(int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* One SipRound on the state v[0..3]. */
static void sipround(uint64_t *v)
{
  v[0] += v[1];
  v[1] = rotl(v[1], 13) ^ v[0];
  v[0] = rotl(v[0], 32);
  v[2] += v[3];
  v[3] = rotl(v[3], 16) ^ v[2];
  v[0] += v[3];
  v[3] = rotl(v[3], 21) ^ v[0];
  v[2] += v[1];
  v[1] = rotl(v[1], 17) ^ v[2];
  v[2] = rotl(v[2], 32);
}

uint64_t sr_siphash24(const uint8_t key[16], const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t k0 = le64(key), k1 = le64(key + 8);
  uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                    k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
  size_t whole = len - len % 8;
  for(size_t i = 0; i < whole; i += 8) {
    uint64_t m = le64(p + i);
    v[3] ^= m;
    sipround(v);
    sipround(v);
    v[0] ^= m;
  }
  uint64_t last = (uint64_t)(len & 0xff) << 56;
  for(size_t i = 0; i < len % 8; i++)
    last |= (uint64_t)p[whole + i] << (8 * i);
  v[3] ^= last;
  sipround(v);
  sipround(v);
  v[0] ^= last;
  v[2] ^= 0xff;
  for(int i = 0; i < 4; i++)
    sipround(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint8_t hash_key[16];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void make_hash_key(void)
{
  if(RAND_bytes(hash_key, sizeof hash_key) == 1)
    return;
  /* No system randomness: a key no sender can read off the wire is still better than none. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t a = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30), b = (uint64_t)(uintptr_t)&ts;
  memcpy(hash_key, &a, 8);
  memcpy(hash_key + 8, &b, 8);
}

bool sr_keyset_init(struct sr_keyset *s, size_t n)
{
  size_t size = SR_KEYSET_LOCAL;
  while(size < 2 * n) /* at most half full, so a probe sequence stays short */
    size *= 2;
  s->mask = size - 1;
  if(size == SR_KEYSET_LOCAL) {
    memset(s->local, 0, sizeof s->local);
    s->slots = s->local;
  }
  else
    s->slots = calloc(size, sizeof *s->slots);
  pthread_once(&hash_key_once, make_hash_key);
  return s->slots != NULL;
}

bool sr_keyset_add(struct sr_keyset *s, const char *key)
{
  uint64_t h = sr_siphash24(hash_key, key, strlen(key));
  size_t i = (size_t)h & s->mask;
  for(;; i = (i + 1) & s->mask) {
    struct sr_keyslot *slot = &s->slots[i];
    probes++;
    if(!slot->key) {
      slot->hash = h;
      slot->key = key;
      return true;
    }
    if(slot->hash == h && strcmp(slot->key, key) == 0)
      return false;
  }
}

void sr_keyset_free(struct sr_keyset *s)
{
  if(s->slots != s->local)
    free(s->slots);
  s->slots = NULL;
}

unsigned long sr_keyset_probes(void) { return probes; }
