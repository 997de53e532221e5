/*
 * raw_webhooks.c -- the limit a notice benchmark compares sereg against: plain libcurl, no
 * sereg code, posting COUNT signed webhook bodies of BODY_BYTES each to URL, CONCURRENCY
 * (default 64) at once over kept-alive connections, with the headers sereg sends (Content-Type,
 * webhook-id, webhook-timestamp, webhook-signature: v1 HMAC-SHA256 of "id.timestamp.body" under
 * a fixed secret, computed for every delivery as sereg does). Prints deliveries per second.
 *
 *   cmake -S . -B build-bench -DSR_BENCH=ON && cmake --build build-bench --target raw_webhooks
 *   build-bench/raw_webhooks 20000 http://127.0.0.1:18090/hook 2000
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" /* Standard Webhooks' form: whsec_ + base64 */

struct slot {
  CURL *easy;
  struct curl_slist *headers;
  char id[64];
};

static unsigned char key[64];
static int key_len;
static EVP_MAC *hmac;
static long ok_2xx, other_status, failed;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
  (void)p;
  (void)u;
  return size * n;
}

/* Signs and starts delivery <n> on <s>. */
static void start(CURLM *m, struct slot *s, long n, const char *body, size_t len)
{
  char ts[32], line[256], sig[64], signed_head[128];
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  snprintf(s->id, sizeof s->id, "msg_%08ld", n);
  snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
  /* HMAC over "id.timestamp.body", fed in pieces so the body is not copied. */
  int hl = snprintf(signed_head, sizeof signed_head, "%s.%s.", s->id, ts);
  EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac);
  OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0), OSSL_PARAM_construct_end() };
  size_t out_len = 0;
  EVP_MAC_init(c, key, (size_t)key_len, params);
  EVP_MAC_update(c, (const unsigned char *)signed_head, (size_t)hl);
  EVP_MAC_update(c, (const unsigned char *)body, len);
  EVP_MAC_final(c, mac, &out_len, sizeof mac);
  EVP_MAC_CTX_free(c);
  mac_len = (unsigned int)out_len;
  EVP_EncodeBlock((unsigned char *)sig, mac, (int)mac_len);

  curl_slist_free_all(s->headers);
  s->headers = curl_slist_append(NULL, "Content-Type: application/json");
  snprintf(line, sizeof line, "webhook-id: %s", s->id);
  s->headers = curl_slist_append(s->headers, line);
  snprintf(line, sizeof line, "webhook-timestamp: %s", ts);
  s->headers = curl_slist_append(s->headers, line);
  snprintf(line, sizeof line, "webhook-signature: v1,%s", sig);
  s->headers = curl_slist_append(s->headers, line);
  s->headers = curl_slist_append(s->headers, "Expect:");
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_multi_add_handle(m, s->easy);
}

int main(int argc, char **argv)
{
  if(argc < 4) {
    fprintf(stderr, "usage: %s COUNT URL BODY_BYTES [CONCURRENCY]\n", argv[0]);
    return 2;
  }
  long count = atol(argv[1]), body_len = atol(argv[3]);
  const char *url = argv[2];
  int conc = argc > 4 ? atoi(argv[4]) : 64;
  if(count < 1 || body_len < 2 || conc < 1 || conc > 1024) {
    fprintf(stderr, "COUNT >= 1, BODY_BYTES >= 2, CONCURRENCY 1..1024\n");
    return 2;
  }
  hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  key_len = EVP_DecodeBlock(key, (const unsigned char *)SECRET + 6, (int)strlen(SECRET) - 6);
  /* A JSON body of the size asked for: {"d":"xxxx..."} */
  char *body = malloc((size_t)body_len + 1);
  memset(body, 'x', (size_t)body_len);
  if(body_len >= 8) {
    memcpy(body, "{\"d\":\"", 6);
    memcpy(body + body_len - 2, "\"}", 2);
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM *m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)conc);
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
  struct slot *slots = calloc((size_t)conc, sizeof *slots);
  for(int i = 0; i < conc; i++) {
    CURL *e = slots[i].easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)&slots[i]);
  }
  long started = 0, done = 0;
  double t0 = now_s();
  for(int i = 0; i < conc && started < count; i++)
    start(m, &slots[i], started++, body, (size_t)body_len);
  while(done < count) {
    int running;
    curl_multi_perform(m, &running);
    CURLMsg *msg;
    int left;
    while((msg = curl_multi_info_read(m, &left))) {
      if(msg->msg != CURLMSG_DONE)
        continue;
      char *priv;
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      if(msg->data.result != CURLE_OK)
        failed++;
      else if(status >= 200 && status < 300)
        ok_2xx++;
      else
        other_status++;
      done++;
      struct slot *s = (struct slot *)(void *)priv;
      curl_multi_remove_handle(m, s->easy);
      if(started < count)
        start(m, s, started++, body, (size_t)body_len);
    }
    if(done < count)
      curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  double secs = now_s() - t0;
  for(int i = 0; i < conc; i++) {
    curl_slist_free_all(slots[i].headers);
    curl_easy_cleanup(slots[i].easy);
  }
  printf("%ld deliveries of %ld bytes, %d at once, in %.2f s: %.0f deliveries/s (2xx %ld, other status %ld, "
         "failed %ld)\n",
         count, body_len, conc, secs, (double)count / secs, ok_2xx, other_status, failed);
  EVP_MAC_free(hmac);
  free(slots);
  free(body);
  curl_multi_cleanup(m);
  curl_global_cleanup();
  return failed || other_status ? 1 : 0;
}
