/* sign.c -- see sign.h. */
#include "sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t sr_sign_base64(const unsigned char *in, size_t n, char *out)
{
  return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

bool sr_sign_unbase64(const char *in, unsigned char *out, size_t max, size_t *len)
{
  size_t n = strlen(in);
  if(n == 0 || n % 4 != 0 || n / 4 * 3 > max + 2)
    return false;
  for(size_t i = 0; i < n; i++) {
    char c = in[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              (c == '=' && (i == n - 1 || (i == n - 2 && in[n - 1] == '=')));
    if(!ok)
      return false;
  }
  unsigned char *buf = malloc(n / 4 * 3);
  /* EVP_DecodeBlock counts the padding as zero bytes: take them off again. */
  int got = buf ? EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n) : -1;
  size_t real = got < 0 ? 0 : (size_t)got - (in[n - 1] == '=') - (in[n - 2] == '=');
  bool ok = got >= 0 && real <= max;
  if(ok) {
    memcpy(out, buf, real);
    *len = real;
  }
  free(buf);
  return ok;
}

bool sr_sign_secret_new(char out[SR_SIGN_SECRET_TEXT])
{
  unsigned char key[SR_SIGN_KEY_BYTES];
  if(RAND_bytes(key, sizeof key) != 1)
    return false;
  memcpy(out, "whsec_", 6);
  sr_sign_base64(key, sizeof key, out + 6);
  return true;
}

bool sr_sign_secret_key(const char *secret, unsigned char key[SR_SIGN_MAX_KEY], size_t *keylen)
{
  if(!secret || strncmp(secret, "whsec_", 6) != 0 || strlen(secret) >= SR_SIGN_SECRET_TEXT)
    return false;
  size_t n = 0;
  if(!sr_sign_unbase64(secret + 6, key, SR_SIGN_MAX_KEY, &n) || n < SR_SIGN_MIN_KEY)
    return false;
  *keylen = n;
  return true;
}

static EVP_MAC *hmac;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void) { hmac = EVP_MAC_fetch(NULL, "HMAC", NULL); }

void sr_sign_v1(const unsigned char *key, size_t keylen, const char *msg_id, long long timestamp, const char *body,
                size_t len, char out[SR_SIGN_SIGNATURE_TEXT])
{
  char head[160];
  int hn = snprintf(head, sizeof head, "%s.%lld.", msg_id, timestamp);
  if(hn < 0 || (size_t)hn >= sizeof head)
    hn = 0; /* a message id is ours and short; an overlong one signs as nothing valid */
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  /* One pass over id, timestamp and body, without copying the body. */
  pthread_once(&hmac_once, hmac_fetch); /* fetched once: a fetch looks the provider up */
  EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end() };
  size_t outl = 0;
  if(ctx && EVP_MAC_init(ctx, key, keylen, params) && EVP_MAC_update(ctx, (const unsigned char *)head, (size_t)hn) &&
     EVP_MAC_update(ctx, (const unsigned char *)body, len) && EVP_MAC_final(ctx, mac, &outl, sizeof mac))
    maclen = (unsigned int)outl;
  EVP_MAC_CTX_free(ctx);
  memcpy(out, "v1,", 3);
  if(maclen == 0) {
    out[3] = '\0';
    return;
  }
  sr_sign_base64(mac, maclen, out + 3);
}
