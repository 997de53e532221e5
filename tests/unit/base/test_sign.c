/* test_sign.c -- Standard Webhooks secrets and signatures, and secrets sealed at rest. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "seal.h"
#include "sign.h"

/* The example of the Standard Webhooks reference libraries' own tests. */
static void signature_matches_the_reference_example(void)
{
  unsigned char key[SR_SIGN_MAX_KEY];
  size_t keylen = 0;
  CHECK(sr_sign_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key, &keylen));
  CHECK_INT((int)keylen, 24);
  const char *body = "{\"test\": 2432232314}";
  char sig[SR_SIGN_SIGNATURE_TEXT];
  sr_sign_v1(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig);
  CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  /* Any byte changed signs differently. */
  char other[SR_SIGN_SIGNATURE_TEXT];
  sr_sign_v1(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body), other);
  CHECK(strcmp(sig, other) != 0);
  sr_sign_v1(key, keylen, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body) - 1, other);
  CHECK(strcmp(sig, other) != 0);
}

static void secrets_are_made_and_read_back(void)
{
  char a[SR_SIGN_SECRET_TEXT], b[SR_SIGN_SECRET_TEXT];
  CHECK(sr_sign_secret_new(a) && sr_sign_secret_new(b));
  CHECK(strncmp(a, "whsec_", 6) == 0 && strcmp(a, b) != 0);
  CHECK_INT((int)strlen(a), 6 + 44);
  unsigned char key[SR_SIGN_MAX_KEY];
  size_t n = 0;
  CHECK(sr_sign_secret_key(a, key, &n) && n == SR_SIGN_KEY_BYTES);
  const char *bad[] = { "", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La",
                        "whsec_c2hvcnQ=", /* 5 bytes */ "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",
                        "whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw", NULL };
  for(int i = 0; bad[i]; i++)
    CHECK(!sr_sign_secret_key(bad[i], key, &n));
  CHECK(!sr_sign_secret_key(NULL, key, &n));
}

static void base64_round_trips_and_refuses_garbage(void)
{
  unsigned char raw[40], back[40];
  for(int i = 0; i < 40; i++)
    raw[i] = (unsigned char)(i * 37 + 5);
  for(size_t n = 1; n <= 40; n++) {
    char text[64];
    size_t tl = sr_sign_base64(raw, n, text);
    CHECK(tl == 4 * ((n + 2) / 3) && text[tl] == '\0');
    size_t got = 0;
    CHECK(sr_sign_unbase64(text, back, sizeof back, &got) && got == n && memcmp(raw, back, n) == 0);
    CHECK(n < 3 || !sr_sign_unbase64(text, back, n - 1, &got)); /* no room */
  }
  size_t got;
  const char *bad[] = { "", "A", "AB", "ABC", "AB=C", "A===", "====", "AB\nC", "AB-_", NULL };
  for(int i = 0; bad[i]; i++)
    CHECK(!sr_sign_unbase64(bad[i], back, sizeof back, &got));
}

static void secrets_seal_and_open_only_where_sealed(void)
{
  char err[256];
  unsetenv("SEREG_SECRET_KEY");
  unsetenv("SEREG_SECRET_KEY_FILE");
  CHECK(sr_seal_setup(err, sizeof err) && !sr_seal_ready());
  CHECK(sr_seal("x", "c") == NULL);
  setenv("SEREG_SECRET_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
  CHECK(sr_seal_setup(err, sizeof err) && sr_seal_ready());
  char *s = sr_seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "subscription 7");
  char *t = sr_seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "subscription 7");
  CHECK(s && t && strncmp(s, "v1.", 3) == 0 && strcmp(s, t) != 0); /* a nonce of its own each time */
  CHECK(strstr(s, "MfKQ9r8") == NULL);
  char *p = sr_seal_open(s, "subscription 7");
  CHECK_STR(p, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  free(p);
  CHECK(sr_seal_open(s, "subscription 8") == NULL);
  char *tampered = strdup(s);
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  CHECK(sr_seal_open(tampered, "subscription 7") == NULL);
  free(tampered);
  CHECK(sr_seal_open("v1.", "subscription 7") == NULL);
  CHECK(sr_seal_open("v2.AAAA", "subscription 7") == NULL);
  CHECK(sr_seal_open(NULL, "subscription 7") == NULL);
  /* Another key opens nothing; the base64 form of a key is the same key. */
  setenv("SEREG_SECRET_KEY", "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", 1);
  CHECK(sr_seal_setup(err, sizeof err));
  p = sr_seal_open(s, "subscription 7");
  CHECK_STR(p, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  free(p);
  setenv("SEREG_SECRET_KEY", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", 1);
  CHECK(sr_seal_setup(err, sizeof err));
  CHECK(sr_seal_open(s, "subscription 7") == NULL);
  free(s);
  free(t);
}

static void keys_are_refused_when_unusable(void)
{
  char err[256] = "";
  unsetenv("SEREG_SECRET_KEY_FILE");
  const char *bad[] = { "abc", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeZZ",
                        "c2hvcnQ=", "00112233445566778899aabbccddeeff 00112233445566778899aabbccddeeff", NULL };
  for(int i = 0; bad[i]; i++) {
    setenv("SEREG_SECRET_KEY", bad[i], 1);
    CHECK(!sr_seal_setup(err, sizeof err) && !sr_seal_ready());
    CHECK(strstr(err, "SEREG_SECRET_KEY") != NULL);
  }
  /* From a file: private to its owner, a trailing newline allowed. */
  unsetenv("SEREG_SECRET_KEY");
  char path[] = "/tmp/sereg-key-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  const char *k = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  CHECK(write(fd, k, strlen(k)) == (ssize_t)strlen(k));
  close(fd);
  setenv("SEREG_SECRET_KEY_FILE", path, 1);
  chmod(path, 0600);
  CHECK(sr_seal_setup(err, sizeof err) && sr_seal_ready());
  chmod(path, 0644);
  CHECK(!sr_seal_setup(err, sizeof err) && strstr(err, "chmod 600") != NULL);
  setenv("SEREG_SECRET_KEY", k, 1);
  CHECK(!sr_seal_setup(err, sizeof err) && strstr(err, "both") != NULL);
  unsetenv("SEREG_SECRET_KEY");
  unlink(path);
  CHECK(!sr_seal_setup(err, sizeof err) && strstr(err, "cannot read") != NULL);
  unsetenv("SEREG_SECRET_KEY_FILE");
}

int main(void)
{
  RUN(signature_matches_the_reference_example);
  RUN(secrets_are_made_and_read_back);
  RUN(base64_round_trips_and_refuses_garbage);
  RUN(secrets_seal_and_open_only_where_sealed);
  RUN(keys_are_refused_when_unusable);
  return CHECK_DONE();
}
