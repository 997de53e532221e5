/* password.c -- see password.h. */
#include "password.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "sr_limits.h"
#include "util.h"

static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static bool set_up;
static unsigned long long opslimit = SR_PASSWORD_OPSLIMIT;
static size_t memlimit = (size_t)SR_PASSWORD_MEMLIMIT_MIB << 20;
static char params[64];
/* A hash of a random password made at setup, verified for names that have no account. */
static char dummy[SR_PASSWORD_HASH_MAX];

bool sr_password_setup(char *err, size_t errsz)
{
  pthread_mutex_lock(&setup_lock);
  bool ok = set_up;
  if(!ok) {
    long ops = SR_PASSWORD_OPSLIMIT, mib = SR_PASSWORD_MEMLIMIT_MIB;
    const char *o = getenv("SEREG_PASSWORD_OPSLIMIT"), *m = getenv("SEREG_PASSWORD_MEMLIMIT_MIB");
    unsigned char secret[32];
    if(o && !sr_parse_long(o, 1, 10, &ops))
      snprintf(err, errsz, "SEREG_PASSWORD_OPSLIMIT takes a number of Argon2id passes from 1 to 10");
    else if(m && !sr_parse_long(m, 8, 1024, &mib))
      snprintf(err, errsz, "SEREG_PASSWORD_MEMLIMIT_MIB takes the MiB one Argon2id hash uses, from 8 to 1024");
    else if(sodium_init() < 0)
      snprintf(err, errsz, "libsodium does not start");
    else {
      opslimit = (unsigned long long)ops;
      memlimit = (size_t)mib << 20;
      snprintf(params, sizeof params, "argon2id t=%ld m=%ldMiB", ops, mib);
      randombytes_buf(secret, sizeof secret);
      ok = crypto_pwhash_str(dummy, (const char *)secret, sizeof secret, opslimit, memlimit) == 0;
      sodium_memzero(secret, sizeof secret);
      if(!ok)
        snprintf(err, errsz, "Argon2id cannot take %ld MiB here", mib);
    }
    set_up = ok;
  }
  pthread_mutex_unlock(&setup_lock);
  return ok;
}

static bool ready(void)
{
  char err[160];
  if(sr_password_setup(err, sizeof err))
    return true;
  sr_error("passwords: %s", err);
  return false;
}

const char *sr_password_params(void) { return ready() ? params : ""; }

bool sr_password_hash(const char *pw, char out[SR_PASSWORD_HASH_MAX])
{
  return ready() && crypto_pwhash_str(out, pw, strlen(pw), opslimit, memlimit) == 0;
}

bool sr_password_verify(const char *stored, const char *pw, bool *rehash)
{
  *rehash = false;
  if(!ready())
    return false;
  bool known = stored && strlen(stored) < SR_PASSWORD_HASH_MAX;
  bool ok = crypto_pwhash_str_verify(known ? stored : dummy, pw, strlen(pw)) == 0;
  if(known && ok)
    *rehash = crypto_pwhash_str_needs_rehash(stored, opslimit, memlimit) != 0;
  return ok && known;
}

/* Whether <hay> contains <needle>, ASCII letters compared without case. */
static bool contains_folded(const char *hay, const char *needle)
{
  size_t n = strlen(needle);
  for(const char *h = hay; n && strlen(h) >= n; h++) {
    size_t i = 0;
    while(i < n && (h[i] == needle[i] || ((unsigned char)h[i] < 0x80 && (unsigned char)needle[i] < 0x80 &&
                                          (h[i] | 0x20) == (needle[i] | 0x20) && (h[i] | 0x20) >= 'a' &&
                                          (h[i] | 0x20) <= 'z')))
      i++;
    if(i == n)
      return true;
  }
  return false;
}

bool sr_password_rule(const char *name, const char *pw, struct sr_problem *pb)
{
  size_t len = strlen(pw);
  if(len > SR_PASSWORD_MAX_BYTES || !sr_utf8_valid(pw, len)) {
    sr_problem_field(pb, "password", "must be UTF-8 text of at most %d bytes", SR_PASSWORD_MAX_BYTES);
    return false;
  }
  int chars = 0;
  bool upper = false, lower = false, digit = false, other = false, control = false;
  for(const unsigned char *c = (const unsigned char *)pw; *c; c++) {
    if((*c & 0xc0) != 0x80)
      chars++;
    if(*c < 0x20 || *c == 0x7f || (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f))
      control = true;
    else if(*c >= 'A' && *c <= 'Z')
      upper = true;
    else if(*c >= 'a' && *c <= 'z')
      lower = true;
    else if(*c >= '0' && *c <= '9')
      digit = true;
    else if((*c & 0xc0) != 0x80)
      other = true;
  }
  int kinds = upper + lower + digit + other;
  if(control)
    sr_problem_field(pb, "password", "must not contain control characters");
  else if(chars < SR_PASSWORD_MIN_CHARS || kinds < 3)
    sr_problem_field(pb, "password", "must have at least %d characters and at least three of: upper-case letters, "
                                     "lower-case letters, digits, other characters (symbols, Chinese)",
                     SR_PASSWORD_MIN_CHARS);
  else if(name && *name && contains_folded(pw, name))
    sr_problem_field(pb, "password", "must not contain the account's name");
  else
    return true;
  return false;
}
