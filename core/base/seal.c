/* seal.c -- see seal.h. A sealed value is "v1." and the base64 of nonce (12 bytes), cipher
 * text and tag (16 bytes). */
#include "seal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sign.h"

#define NONCE 12
#define TAG 16
#define KEY 32

static unsigned char key[KEY];
static bool have_key;

static int hexval(char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if(c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A key written as 64 hex digits or as the base64 of 32 bytes (surrounding space allowed, as
 * a file written with echo ends in a newline). */
static bool parse_key(const char *text, unsigned char out[KEY])
{
  while(*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
    text++;
  char buf[128];
  size_t n = strcspn(text, " \t\r\n");
  if(n >= sizeof buf || text[n + strspn(text + n, " \t\r\n")] != '\0')
    return false;
  memcpy(buf, text, n);
  buf[n] = '\0';
  if(n == 2 * KEY) {
    for(size_t i = 0; i < KEY; i++) {
      int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
      if(hi < 0 || lo < 0)
        return false;
      out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
  }
  size_t len = 0;
  return sr_sign_unbase64(buf, out, KEY, &len) && len == KEY;
}

bool sr_seal_setup(char *err, size_t errsz)
{
  have_key = false;
  const char *text = getenv("SEREG_SECRET_KEY");
  const char *file = getenv("SEREG_SECRET_KEY_FILE");
  if(text && *text && file && *file) {
    snprintf(err, errsz, "SEREG_SECRET_KEY and SEREG_SECRET_KEY_FILE are both set: give the key one way");
    return false;
  }
  char buf[256];
  if(file && *file) {
    FILE *f = fopen(file, "r");
    struct stat st;
    if(!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
      if(f)
        fclose(f);
      snprintf(err, errsz, "SEREG_SECRET_KEY_FILE: cannot read %s as a regular file", file);
      return false;
    }
    if(st.st_mode & 077) {
      fclose(f);
      snprintf(err, errsz, "SEREG_SECRET_KEY_FILE: %s may be read by others; chmod 600 it", file);
      return false;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    text = buf;
  }
  if(!text || !*text)
    return true;
  bool ok = parse_key(text, key);
  memset(buf, 0, sizeof buf);
  if(!ok) {
    snprintf(err, errsz, "%s: the key must be 64 hex digits or the base64 of 32 bytes",
             file && *file ? "SEREG_SECRET_KEY_FILE" : "SEREG_SECRET_KEY");
    return false;
  }
  have_key = true;
  return true;
}

bool sr_seal_ready(void) { return have_key; }

/* Runs AES-256-GCM one way or the other over <in>; false when it fails (or the tag does not
 * match, opening). */
static bool gcm(bool seal, const unsigned char *nonce, const char *context, const unsigned char *in, size_t n,
                unsigned char *out, unsigned char tag[TAG])
{
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = c && (seal ? EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce)
                       : EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce)) == 1;
  /* The context is authenticated, not encrypted: a value sealed for one row opens only there. */
  ok = ok && (seal ? EVP_EncryptUpdate(c, NULL, &len, (const unsigned char *)context, (int)strlen(context))
                   : EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)context, (int)strlen(context))) == 1;
  ok = ok && (seal ? EVP_EncryptUpdate(c, out, &len, in, (int)n) : EVP_DecryptUpdate(c, out, &len, in, (int)n)) == 1;
  if(ok && !seal)
    ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1;
  ok = ok && (seal ? EVP_EncryptFinal_ex(c, out + len, &len) : EVP_DecryptFinal_ex(c, out + len, &len)) == 1;
  if(ok && seal)
    ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1;
  EVP_CIPHER_CTX_free(c);
  return ok;
}

char *sr_seal(const char *plain, const char *context)
{
  if(!have_key)
    return NULL;
  size_t n = strlen(plain), raw_len = NONCE + n + TAG;
  unsigned char *raw = malloc(raw_len);
  char *out = malloc(3 + 4 * ((raw_len + 2) / 3) + 1);
  bool ok = raw && out && RAND_bytes(raw, NONCE) == 1 &&
            gcm(true, raw, context, (const unsigned char *)plain, n, raw + NONCE, raw + NONCE + n);
  if(ok) {
    memcpy(out, "v1.", 3);
    sr_sign_base64(raw, raw_len, out + 3);
  }
  if(raw)
    memset(raw, 0, raw_len);
  free(raw);
  if(!ok) {
    free(out);
    return NULL;
  }
  return out;
}

char *sr_seal_open(const char *sealed, const char *context)
{
  if(!have_key || !sealed || strncmp(sealed, "v1.", 3) != 0)
    return NULL;
  size_t max = strlen(sealed) / 4 * 3, raw_len = 0;
  unsigned char *raw = malloc(max + 1);
  char *plain = NULL;
  if(raw && sr_sign_unbase64(sealed + 3, raw, max, &raw_len) && raw_len >= NONCE + TAG) {
    size_t n = raw_len - NONCE - TAG;
    plain = malloc(n + 1);
    if(plain && gcm(false, raw, context, raw + NONCE, n, (unsigned char *)plain, raw + NONCE + n))
      plain[n] = '\0';
    else {
      free(plain);
      plain = NULL;
    }
  }
  free(raw);
  return plain;
}
