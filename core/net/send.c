/*
 * send.c -- see send.h. Each sender has one curl multi handle and a fixed table of transfer
 * slots; a slot keeps its easy handle between transfers (a stack of free slots), and the
 * multi handle keeps the connections, so a receiver that answers with keep-alive sees one
 * connection for many notices. The policy's address check runs in the open-socket callback,
 * on the very address curl is about to connect to: no second resolution, so a name that
 * answers differently by now (DNS rebinding) gains nothing.
 */
#include "send.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "net_int.h"

struct xfer {
  struct sr_net_sender *s;
  CURL *easy; /* kept from one transfer to the next */
  uint64_t tag;
  bool https;
  char *url, *body;
  struct curl_slist *headers;
  long long start_ms;
  char errbuf[CURL_ERROR_SIZE];
  char refused[200]; /* why the address check refused a connection, "" if it did not */
  size_t answer, header_bytes;
  bool cut, headers_too_long;
  bool headers_done; /* a final (not 1xx) answer's headers came whole */
  long retry_after;
  size_t head_len;
  char head[SR_WEBHOOK_ANSWER_KEPT + 1];
};

struct sr_net_sender {
  CURLM *multi;
  const struct sr_net_policy *p;
  int max, inflight, nfree;
  struct xfer *x;
  int *free_slots;
  atomic_bool woken;
};

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== callbacks ==== */

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
  struct xfer *x = clientp;
  char why[sizeof x->refused];
  if(purpose != CURLSOCKTYPE_IPCXN)
    return CURL_SOCKET_BAD;
  if(!sr_net_addr_allowed(x->s->p, &a->addr, x->https, why, sizeof why)) {
    /* curl goes on to the host's next address, if it has one; the first refusal is the one
     * told when none is left. */
    if(!x->refused[0])
      snprintf(x->refused, sizeof x->refused, "%s", why);
    return CURL_SOCKET_BAD;
  }
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t on_body(char *data, size_t size, size_t n, void *clientp)
{
  struct xfer *x = clientp;
  size_t len = size * n;
  if(x->head_len < SR_WEBHOOK_ANSWER_KEPT) {
    size_t take = SR_WEBHOOK_ANSWER_KEPT - x->head_len;
    if(take > len)
      take = len;
    memcpy(x->head + x->head_len, data, take);
    x->head_len += take;
  }
  if(len > SR_WEBHOOK_MAX_ANSWER - x->answer) {
    x->cut = true;
    return 0; /* ends the transfer: the rest of the answer is not read */
  }
  x->answer += len;
  return len;
}

/* Delta-seconds, or an HTTP date (by libcurl's date parser) as seconds from now; -1 for
 * anything else. */
static long parse_retry_after(const char *v, size_t n)
{
  char text[128];
  while(n && (*v == ' ' || *v == '\t'))
    v++, n--;
  while(n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  if(n == 0 || n >= sizeof text)
    return -1;
  memcpy(text, v, n);
  text[n] = '\0';
  if(strspn(text, "0123456789") == n) {
    if(n > 9)
      return -1;
    return strtol(text, NULL, 10);
  }
  /* libcurl's date parser takes the three forms of HTTP date and refuses what is none. */
  time_t t = curl_getdate(text, NULL);
  if(t == -1)
    return -1;
  time_t now = time(NULL);
  return t <= now ? 0 : (long)(t - now > 999999999 ? 999999999 : t - now);
}

static size_t on_header(char *data, size_t size, size_t n, void *clientp)
{
  struct xfer *x = clientp;
  size_t len = size * n;
  if(len > SR_WEBHOOK_MAX_ANSWER - x->header_bytes) {
    x->headers_too_long = true;
    return 0;
  }
  x->header_bytes += len;
  static const char name[] = "retry-after:";
  if(len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    x->headers_done = status >= 200;
  } else if(len >= 5 && strncmp(data, "HTTP/", 5) == 0)
    x->retry_after = -1; /* a new answer (after a 1xx): only its own headers count */
  else if(len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
    x->retry_after = parse_retry_after(data + sizeof name - 1, len - (sizeof name - 1));
  return len;
}

/* ==== the sender ==== */

struct sr_net_sender *sr_net_sender_new(const struct sr_net_policy *p, int max_transfers, char *err, size_t errsz)
{
  if(max_transfers < 1 || max_transfers > SR_WEBHOOK_MAX_TRANSFERS) {
    snprintf(err, errsz, "a sender runs from 1 to %d transfers at once, not %d", SR_WEBHOOK_MAX_TRANSFERS,
             max_transfers);
    return NULL;
  }
  if(!sr_net_init_curl(err, errsz))
    return NULL;
  struct sr_net_sender *s = calloc(1, sizeof *s);
  if(!s || !(s->x = calloc((size_t)max_transfers, sizeof *s->x)) ||
     !(s->free_slots = calloc((size_t)max_transfers, sizeof *s->free_slots)) || !(s->multi = curl_multi_init())) {
    snprintf(err, errsz, "out of memory");
    sr_net_sender_free(s);
    return NULL;
  }
  s->p = p;
  s->max = max_transfers;
  for(int i = 0; i < max_transfers; i++) {
    s->x[i].s = s;
    s->free_slots[s->nfree++] = max_transfers - 1 - i;
  }
  /* Every transfer may need a connection of its own and keep it for the next one. Transfers are
   * not queued behind a per-host ceiling inside curl: a queued transfer's clock would run while
   * it waits, and it would come back "timed out" without having been tried; how many go to one
   * receiver at once is the caller's to choose when it submits. */
  curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)max_transfers);
  curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_transfers);
  curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  return s;
}

static void release(struct sr_net_sender *s, struct xfer *x)
{
  free(x->url);
  free(x->body);
  curl_slist_free_all(x->headers);
  x->url = x->body = NULL;
  x->headers = NULL;
  s->free_slots[s->nfree++] = (int)(x - s->x);
}

void sr_net_sender_free(struct sr_net_sender *s)
{
  if(!s)
    return;
  if(s->x) {
    for(int i = 0; i < s->max; i++) {
      struct xfer *x = &s->x[i];
      if(x->url && s->multi)
        curl_multi_remove_handle(s->multi, x->easy);
      free(x->url);
      free(x->body);
      curl_slist_free_all(x->headers);
      if(x->easy)
        curl_easy_cleanup(x->easy);
    }
  }
  if(s->multi)
    curl_multi_cleanup(s->multi);
  free(s->x);
  free(s->free_slots);
  free(s);
}

int sr_net_sender_inflight(const struct sr_net_sender *s)
{
  return s->inflight;
}

static bool scheme_is_https(const char *url)
{
  CURLU *u = curl_url();
  char *scheme = NULL;
  bool https = false;
  if(u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
     curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
    https = strcmp(scheme, "https") == 0;
  curl_free(scheme);
  curl_url_cleanup(u);
  return https;
}

static bool set_options(struct sr_net_sender *s, struct xfer *x, size_t len)
{
  CURL *e = x->easy;
  const struct sr_net_policy *p = s->p;
  bool ok = true;
#define SET(opt, val) ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK
  SET(CURLOPT_PRIVATE, x);
  SET(CURLOPT_URL, x->url);
  SET(CURLOPT_POST, 1L);
  SET(CURLOPT_POSTFIELDS, x->body);
  SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  SET(CURLOPT_HTTPHEADER, x->headers);
  SET(CURLOPT_USERAGENT, "sereg/" SR_VERSION);
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  /* No proxy, whatever the environment says: a proxy would make the connection, and the check
   * would see the proxy's address instead of the receiver's. */
  SET(CURLOPT_PROXY, "");
  SET(CURLOPT_NOPROXY, "*");
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_CONNECTTIMEOUT_MS, sr_net_connect_timeout_ms(p));
  SET(CURLOPT_TIMEOUT_MS, sr_net_timeout_ms(p));
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  if(sr_net_ca_bundle(p))
    SET(CURLOPT_CAINFO, sr_net_ca_bundle(p));
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  /* Over https, wait for the first connection to a host to learn whether it multiplexes
   * (HTTP/2) rather than opening one connection per transfer at once. */
  SET(CURLOPT_PIPEWAIT, x->https ? 1L : 0L);
  SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
  SET(CURLOPT_OPENSOCKETDATA, x);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, x);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, x);
  SET(CURLOPT_ERRORBUFFER, x->errbuf);
#undef SET
  return ok;
}

bool sr_net_sender_submit(struct sr_net_sender *s, const struct sr_net_request *rq)
{
  if(s->nfree == 0 || !rq->url || (!rq->body && rq->len))
    return false;
  struct xfer *x = &s->x[s->free_slots[--s->nfree]];
  x->tag = rq->tag;
  x->https = scheme_is_https(rq->url);
  x->url = strdup(rq->url);
  x->body = malloc(rq->len ? rq->len : 1);
  x->errbuf[0] = x->refused[0] = '\0';
  x->answer = x->header_bytes = x->head_len = 0;
  x->cut = x->headers_too_long = x->headers_done = false;
  x->retry_after = -1;
  bool ok = x->url && x->body;
  if(ok && rq->len)
    memcpy(x->body, rq->body, rq->len);
  for(const char *const *h = rq->headers; ok && h && *h; h++) {
    /* A line break would start a header (or a request) of its own. */
    if(strpbrk(*h, "\r\n")) {
      ok = false;
      break;
    }
    struct curl_slist *l = curl_slist_append(x->headers, *h);
    ok = l != NULL;
    if(l)
      x->headers = l;
  }
  /* curl would ask a large body's receiver for "100 Continue" first and wait for it. */
  struct curl_slist *l = ok ? curl_slist_append(x->headers, "Expect:") : NULL;
  ok = l != NULL;
  if(l)
    x->headers = l;
  if(ok && !x->easy)
    ok = (x->easy = curl_easy_init()) != NULL;
  else if(ok)
    curl_easy_reset(x->easy);
  ok = ok && set_options(s, x, rq->len) && curl_multi_add_handle(s->multi, x->easy) == CURLM_OK;
  if(!ok) {
    release(s, x);
    return false;
  }
  x->start_ms = now_ms();
  s->inflight++;
  return true;
}

/* ==== results ==== */

static const char *errbuf_or(const struct xfer *x, CURLcode rc)
{
  return x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
}

static void describe(const struct sr_net_sender *s, struct xfer *x, CURLcode rc, char *out, size_t n)
{
  long os_errno = 0;
  size_t el = strlen(x->errbuf);
  while(el && (x->errbuf[el - 1] == '\n' || x->errbuf[el - 1] == ' '))
    x->errbuf[--el] = '\0';
  curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
  out[0] = '\0';
  switch(rc) {
  case CURLE_OK:
    return;
  case CURLE_WRITE_ERROR:
    if(x->cut)
      return;
    if(x->headers_too_long)
      snprintf(out, n, "the answer's headers are longer than %d bytes", SR_WEBHOOK_MAX_ANSWER);
    else
      snprintf(out, n, "%s", errbuf_or(x, rc));
    return;
  case CURLE_OPERATION_TIMEDOUT: {
    long total = sr_net_timeout_ms(s->p), conn = sr_net_connect_timeout_ms(s->p);
    if(strncmp(x->errbuf, "Connection timed out", 20) == 0 || strncmp(x->errbuf, "Resolving timed out", 19) == 0)
      snprintf(out, n, "connecting timed out after %ld ms", conn < total ? conn : total);
    else
      snprintf(out, n, "timed out after %ld ms", total);
    return;
  }
  case CURLE_COULDNT_CONNECT:
    if(x->refused[0])
      snprintf(out, n, "%s", x->refused);
    else if(os_errno == ECONNREFUSED)
      snprintf(out, n, "connection refused");
    else if(os_errno == ENETUNREACH)
      snprintf(out, n, "network unreachable");
    else if(os_errno == EHOSTUNREACH)
      snprintf(out, n, "host unreachable");
    else
      snprintf(out, n, "could not connect: %s", errbuf_or(x, rc));
    return;
  case CURLE_COULDNT_RESOLVE_HOST:
    snprintf(out, n, "the host does not resolve");
    return;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    if(os_errno == ECONNRESET)
      snprintf(out, n, "connection reset by peer");
    else if(os_errno == EPIPE)
      snprintf(out, n, "connection closed by peer while sending");
    else
      snprintf(out, n, "connection failed while %s: %s", rc == CURLE_SEND_ERROR ? "sending" : "receiving",
               errbuf_or(x, rc));
    return;
  case CURLE_GOT_NOTHING:
    snprintf(out, n, "connection closed without an answer");
    return;
  case CURLE_PARTIAL_FILE:
    snprintf(out, n, "the answer ended before its announced length");
    return;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_USE_SSL_FAILED:
    snprintf(out, n, "TLS: %s", errbuf_or(x, rc));
    return;
  case CURLE_UNSUPPORTED_PROTOCOL: /* the URL's scheme, or HTTP/0.9: no status line at all */
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_BAD_CONTENT_ENCODING:
    if(rc == CURLE_UNSUPPORTED_PROTOCOL && strncmp(x->errbuf, "Protocol ", 9) == 0)
      snprintf(out, n, "only http and https are sent to: %s", x->errbuf);
    else
      snprintf(out, n, "not a valid HTTP answer: %s", errbuf_or(x, rc));
    return;
  case CURLE_URL_MALFORMAT:
    snprintf(out, n, "not a URL: %s", errbuf_or(x, rc));
    return;
  default:
    snprintf(out, n, "%s", errbuf_or(x, rc));
    return;
  }
}

/* Moves the finished transfers curl has told of into <out>, up to <max>. */
static int collect(struct sr_net_sender *s, struct sr_net_result *out, int max)
{
  int got = 0, left;
  CURLMsg *m;
  while(got < max && (m = curl_multi_info_read(s->multi, &left))) {
    if(m->msg != CURLMSG_DONE)
      continue;
    char *priv = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
    struct xfer *x = (struct xfer *)(void *)priv;
    CURLcode rc = m->data.result;
    struct sr_net_result *r = &out[got++];
    long status = 0;
    /* A status line without the rest of its headers (a receiver that trickles) is no answer. */
    if(x->headers_done)
      curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    r->tag = x->tag;
    r->status = (int)status;
    r->duration_ms = (long)(now_ms() - x->start_ms);
    r->retry_after_s = x->retry_after;
    r->cut = x->cut;
    describe(s, x, rc, r->error, sizeof r->error);
    r->head_len = x->head_len;
    memcpy(r->head, x->head, x->head_len);
    r->head[x->head_len] = '\0';
    curl_multi_remove_handle(s->multi, x->easy);
    release(s, x);
    s->inflight--;
  }
  return got;
}

int sr_net_sender_poll(struct sr_net_sender *s, int timeout_ms, struct sr_net_result *out, int max)
{
  int running, got = collect(s, out, max);
  long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  for(;;) {
    if(got == max)
      return got;
    curl_multi_perform(s->multi, &running);
    got += collect(s, out + got, max - got);
    long long left = deadline - now_ms();
    if(got > 0 || left <= 0 || atomic_exchange(&s->woken, false))
      return got;
    curl_multi_poll(s->multi, NULL, 0, (int)left, NULL);
  }
}

void sr_net_sender_wakeup(struct sr_net_sender *s)
{
  atomic_store(&s->woken, true);
  curl_multi_wakeup(s->multi);
}
