/* test_send.c -- the sender against receivers of the test's own on loopback: plain sockets, a
 * thread per connection, and the request's path says how to behave (answer, hang, trickle,
 * reset, answer forever...). Each receiver counts the connections it accepted and keeps the
 * last request it read, byte for byte. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "send.h"

#define MAX_CONNS 512

struct conn {
  struct receiver *r;
  pthread_t thread;
  int fd; /* -1 once the connection's own thread closed it */
};

struct receiver {
  int lfd, port;
  pthread_t acceptor;
  atomic_int accepts, requests, ok_hits;
  atomic_bool stopping;
  pthread_mutex_t lock;
  int nconns;
  struct conn conns[MAX_CONNS];
  char *last; /* the last request read, whole */
  size_t last_len;
};

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
  nanosleep(&ts, NULL);
}

static bool send_all(int fd, const char *p, size_t n)
{
  while(n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if(w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

static void close_conn(struct conn *c, bool reset)
{
  pthread_mutex_lock(&c->r->lock);
  int fd = c->fd;
  c->fd = -1;
  pthread_mutex_unlock(&c->r->lock);
  if(fd < 0)
    return;
  if(reset) {
    struct linger l = { 1, 0 }; /* close with RST, not FIN */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(fd);
}

/* Reads one request into a fresh buffer; its length in *len, the path in <path>. NULL at the
 * end of the connection. A TLS hello is answered as a plain server would, and ends it. */
static char *read_request(struct conn *c, size_t *len, char *path, size_t pathsz)
{
  size_t cap = 65536, n = 0, need = 0;
  char *b = malloc(cap);
  for(;;) {
    if(n == cap) {
      cap *= 2;
      b = realloc(b, cap);
    }
    ssize_t got = recv(c->fd, b + n, cap - n, 0);
    if(got <= 0) {
      free(b);
      return NULL;
    }
    n += (size_t)got;
    if(b[0] == 0x16) {
      static const char no[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      send_all(c->fd, no, sizeof no - 1);
      free(b);
      return NULL;
    }
    if(!need) {
      char *end = memmem(b, n, "\r\n\r\n", 4);
      if(!end)
        continue;
      size_t body = 0;
      for(char *h = b; h < end; h = strstr(h, "\r\n") + 2)
        if(strncasecmp(h, "Content-Length:", 15) == 0)
          body = strtoul(h + 15, NULL, 10);
      need = (size_t)(end + 4 - b) + body;
    }
    if(n >= need)
      break;
  }
  /* One request at a time is asked for: nothing is pipelined, so <n> is <need>. */
  *len = need;
  const char *sp = memchr(b, ' ', need), *sp2 = sp ? memchr(sp + 1, ' ', need - (size_t)(sp + 1 - b)) : NULL;
  snprintf(path, pathsz, "%.*s", sp && sp2 ? (int)(sp2 - sp - 1) : 0, sp ? sp + 1 : "");
  return b;
}

static void answer(int fd, int status, const char *extra, const char *body)
{
  char a[1024];
  int n = snprintf(a, sizeof a, "HTTP/1.1 %d Whatever\r\nContent-Type: text/plain\r\n%sContent-Length: %zu\r\n\r\n%s",
                   status, extra, strlen(body), body);
  send_all(fd, a, (size_t)n);
}

static void *serve_conn(void *arg)
{
  struct conn *c = arg;
  struct receiver *r = c->r;
  char path[256];
  size_t len;
  char *rq;
  while((rq = read_request(c, &len, path, sizeof path))) {
    atomic_fetch_add(&r->requests, 1);
    pthread_mutex_lock(&r->lock);
    free(r->last);
    r->last = rq;
    r->last_len = len;
    pthread_mutex_unlock(&r->lock);
    if(strcmp(path, "/ok") == 0 || strcmp(path, "/echo") == 0) {
      atomic_fetch_add(&r->ok_hits, 1);
      answer(c->fd, 200, "", "thanks");
    } else if(strncmp(path, "/status/", 8) == 0) {
      answer(c->fd, atoi(path + 8), "", "as you asked");
    } else if(strcmp(path, "/retry7") == 0) {
      answer(c->fd, 429, "Retry-After: 7\r\n", "slow down");
    } else if(strcmp(path, "/retrydate") == 0) {
      char h[128];
      time_t t = time(NULL) + 120;
      struct tm tm;
      strftime(h, sizeof h, "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n", gmtime_r(&t, &tm));
      answer(c->fd, 503, h, "later");
    } else if(strcmp(path, "/retrygarbage") == 0) {
      answer(c->fd, 503, "Retry-After: soon, perhaps\r\n", "later");
    } else if(strcmp(path, "/retrynumbers") == 0) {
      answer(c->fd, 503, "Retry-After: 12 34\r\n", "later");
    } else if(strcmp(path, "/retrypast") == 0) {
      answer(c->fd, 503, "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n", "later");
    } else if(strcmp(path, "/retry1xx") == 0) {
      static const char a[] = "HTTP/1.1 103 Early Hints\r\nRetry-After: 99\r\n\r\n"
                              "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\noops";
      send_all(c->fd, a, sizeof a - 1);
    } else if(strcmp(path, "/redirect") == 0) {
      answer(c->fd, 302, "Location: /ok\r\n", "");
    } else if(strcmp(path, "/big") == 0) {
      /* Says 5 GB, and sends for as long as anyone reads. */
      static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: 5368709120\r\n\r\n";
      char chunk[16384];
      for(size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (char)('a' + i % 26);
      if(send_all(c->fd, h, sizeof h - 1))
        while(!atomic_load(&r->stopping) && send_all(c->fd, chunk, sizeof chunk))
          ;
      break;
    } else if(strcmp(path, "/hang") == 0) {
      char b[256];
      while(recv(c->fd, b, sizeof b, 0) > 0)
        ;
      break;
    } else if(strcmp(path, "/trickle") == 0) {
      static const char t[] = "HTTP/1.1 200 OK\r\nX-Slow: y";
      for(size_t i = 0; !atomic_load(&r->stopping); i = (i + 1) % (sizeof t - 1)) {
        if(!send_all(c->fd, t + i, 1))
          break;
        sleep_ms(20);
      }
      break;
    } else if(strcmp(path, "/reset") == 0) {
      close_conn(c, true);
      break;
    } else if(strcmp(path, "/resetmid") == 0) {
      static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nthe beginning of it";
      send_all(c->fd, h, sizeof h - 1);
      sleep_ms(50);
      close_conn(c, true);
      break;
    } else if(strcmp(path, "/manyheaders") == 0) {
      static const char h[] = "HTTP/1.1 200 OK\r\n";
      char line[128];
      send_all(c->fd, h, sizeof h - 1);
      for(int i = 0; !atomic_load(&r->stopping); i++) {
        int n = snprintf(line, sizeof line, "X-Header-%d: and on and on and on\r\n", i);
        if(!send_all(c->fd, line, (size_t)n))
          break;
      }
      break;
    } else if(strcmp(path, "/close") == 0) {
      break;
    } else if(strcmp(path, "/garbage") == 0) {
      static const char g[] = "SSH-2.0-not-http-at-all\r\n\r\nreally not\r\n";
      send_all(c->fd, g, sizeof g - 1);
      break;
    } else {
      answer(c->fd, 404, "", "no such path");
    }
  }
  close_conn(c, false);
  return NULL;
}

static void *accept_loop(void *arg)
{
  struct receiver *r = arg;
  for(;;) {
    int fd = accept(r->lfd, NULL, NULL);
    if(fd < 0) {
      if(atomic_load(&r->stopping))
        return NULL;
      if(errno == EINTR || errno == ECONNABORTED)
        continue;
      return NULL;
    }
    atomic_fetch_add(&r->accepts, 1);
    pthread_mutex_lock(&r->lock);
    if(atomic_load(&r->stopping) || r->nconns == MAX_CONNS) {
      pthread_mutex_unlock(&r->lock);
      close(fd);
      continue;
    }
    struct conn *c = &r->conns[r->nconns++];
    c->r = r;
    c->fd = fd;
    pthread_create(&c->thread, NULL, serve_conn, c);
    pthread_mutex_unlock(&r->lock);
  }
}

static struct receiver *receiver_start(void)
{
  struct receiver *r = calloc(1, sizeof *r);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  pthread_mutex_init(&r->lock, NULL);
  r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->lfd, 128) != 0 ||
     getsockname(r->lfd, (struct sockaddr *)&a, &al) != 0) {
    perror("receiver");
    exit(2);
  }
  r->port = ntohs(a.sin_port);
  pthread_create(&r->acceptor, NULL, accept_loop, r);
  return r;
}

static void receiver_stop(struct receiver *r)
{
  atomic_store(&r->stopping, true);
  shutdown(r->lfd, SHUT_RDWR);
  pthread_join(r->acceptor, NULL);
  close(r->lfd);
  pthread_mutex_lock(&r->lock);
  for(int i = 0; i < r->nconns; i++)
    if(r->conns[i].fd >= 0)
      shutdown(r->conns[i].fd, SHUT_RDWR);
  pthread_mutex_unlock(&r->lock);
  for(int i = 0; i < r->nconns; i++)
    pthread_join(r->conns[i].thread, NULL);
  free(r->last);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

static const char *const default_headers[] = { "Content-Type: application/json", "webhook-id: msg_test", NULL };

/* Runs <n> requests at once and waits for all of them (at most 30 s); their results in <out>,
 * in the order of their tags (0..n-1). Returns how many came back. */
static int run_all(struct sr_net_sender *s, const struct sr_net_request *rq, int n, struct sr_net_result *out)
{
  static struct sr_net_result got[SR_WEBHOOK_MAX_TRANSFERS];
  int back = 0;
  for(int i = 0; i < n; i++)
    if(!sr_net_sender_submit(s, &rq[i]))
      fprintf(stderr, "  submit %d refused\n", i);
  long long until = now_ms() + 30000;
  while(back < n && sr_net_sender_inflight(s) > 0 && now_ms() < until) {
    int k = sr_net_sender_poll(s, 1000, got, n);
    for(int i = 0; i < k; i++)
      if(got[i].tag < (uint64_t)n)
        out[got[i].tag] = got[i];
    back += k;
  }
  return back;
}

static struct sr_net_result post(struct sr_net_sender *s, const char *url)
{
  struct sr_net_result r;
  memset(&r, 0, sizeof r);
  snprintf(r.error, sizeof r.error, "(never came back)");
  struct sr_net_request rq = { .tag = 0, .url = url, .headers = default_headers, .body = "{}", .len = 2 };
  run_all(s, &rq, 1, &r);
  return r;
}

static const char *url_of(const struct receiver *r, const char *path)
{
  static char u[8][128];
  static int next;
  char *b = u[next++ % 8];
  snprintf(b, sizeof u[0], "http://127.0.0.1:%d%s", r->port, path);
  return b;
}

static struct sr_net_policy *relaxed; /* loopback allowed, a long timeout */

static struct sr_net_sender *sender(const struct sr_net_policy *p, int max)
{
  char err[256];
  struct sr_net_sender *s = sr_net_sender_new(p, max, err, sizeof err);
  if(!s) {
    fprintf(stderr, "sender: %s\n", err);
    exit(2);
  }
  return s;
}

static void answers_come_back_with_their_status(void)
{
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(relaxed, 8);
  struct sr_net_result r = post(s, url_of(rc, "/ok"));
  CHECK_INT(r.status, 200);
  CHECK_STR(r.error, "");
  CHECK_STR(r.head, "thanks");
  CHECK_INT(r.head_len, 6);
  CHECK(!r.cut && r.retry_after_s == -1 && r.duration_ms >= 0 && r.duration_ms < 10000);
  r = post(s, url_of(rc, "/status/500"));
  CHECK_INT(r.status, 500);
  CHECK_STR(r.error, "");
  CHECK_STR(r.head, "as you asked");
  r = post(s, url_of(rc, "/status/410"));
  CHECK_INT(r.status, 410);
  CHECK_INT(r.retry_after_s, -1);
  r = post(s, url_of(rc, "/retry7"));
  CHECK_INT(r.status, 429);
  CHECK_INT(r.retry_after_s, 7);
  r = post(s, url_of(rc, "/retrydate"));
  CHECK_INT(r.status, 503);
  CHECK(r.retry_after_s >= 115 && r.retry_after_s <= 120);
  r = post(s, url_of(rc, "/retrygarbage"));
  CHECK_INT(r.status, 503);
  CHECK_INT(r.retry_after_s, -1);
  r = post(s, url_of(rc, "/retrynumbers"));
  CHECK_INT(r.retry_after_s, -1);
  r = post(s, url_of(rc, "/retrypast"));
  CHECK_INT(r.retry_after_s, 0);
  r = post(s, url_of(rc, "/retry1xx")); /* an interim answer's headers are not the answer's */
  CHECK_INT(r.status, 500);
  CHECK_INT(r.retry_after_s, -1);
  CHECK_STR(r.head, "oops");
  /* A redirect is an answer like another: not followed. */
  int ok_before = atomic_load(&rc->ok_hits);
  r = post(s, url_of(rc, "/redirect"));
  CHECK_INT(r.status, 302);
  CHECK_STR(r.error, "");
  CHECK_INT(atomic_load(&rc->ok_hits), ok_before);
  CHECK_INT(sr_net_sender_inflight(s), 0);
  sr_net_sender_free(s);
  receiver_stop(rc);
}

static bool has_line(const char *rq, size_t len, const char *line)
{
  char want[256];
  snprintf(want, sizeof want, "\r\n%s\r\n", line);
  return memmem(rq, len, want, strlen(want)) != NULL;
}

static void the_receiver_gets_exactly_what_was_sent(void)
{
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(relaxed, 4);
  /* Larger than the size past which curl would ask for "100 Continue", and every byte value. */
  size_t n = 1536 * 1024;
  char *body = malloc(n);
  for(size_t i = 0; i < n; i++)
    body[i] = (char)(i * 7 + i / 256);
  const char *h[] = { "Content-Type: application/json; charset=utf-8", "webhook-id: msg_2Kq9",
                      "webhook-timestamp: 1767225600", "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
                      NULL };
  struct sr_net_request rq = { .tag = 0, .url = url_of(rc, "/echo"), .headers = h, .body = body, .len = n };
  struct sr_net_result r;
  CHECK_INT(run_all(s, &rq, 1, &r), 1);
  CHECK_INT(r.status, 200);
  pthread_mutex_lock(&rc->lock);
  const char *got = rc->last;
  size_t len = rc->last_len;
  CHECK(got && len > n);
  if(got && len > n) {
    const char *end = memmem(got, len, "\r\n\r\n", 4);
    size_t hl = end ? (size_t)(end + 4 - got) : 0;
    CHECK(strncmp(got, "POST /echo HTTP/1.1\r\n", 21) == 0);
    for(int i = 0; h[i]; i++)
      CHECK(has_line(got, hl, h[i]));
    CHECK(has_line(got, hl, "Content-Length: 1572864"));
    CHECK(!memmem(got, hl, "Expect", 6) && !memmem(got, hl, "expect", 6));
    CHECK(!memmem(got, hl, "x-www-form-urlencoded", 21));
    CHECK_INT(len - hl, n);
    CHECK(len - hl == n && memcmp(end + 4, body, n) == 0);
  }
  pthread_mutex_unlock(&rc->lock);
  /* An empty body is sent as one. */
  rq.len = 0;
  CHECK_INT(run_all(s, &rq, 1, &r), 1);
  CHECK_INT(r.status, 200);
  pthread_mutex_lock(&rc->lock);
  CHECK(rc->last && has_line(rc->last, rc->last_len, "Content-Length: 0"));
  pthread_mutex_unlock(&rc->lock);
  /* A header with a line break would smuggle a header of its own: refused. */
  const char *bad[] = { "Content-Type: application/json", "webhook-id: x\r\nX-Injected: 1", NULL };
  rq.headers = bad;
  CHECK(!sr_net_sender_submit(s, &rq));
  CHECK_INT(sr_net_sender_inflight(s), 0);
  free(body);
  sr_net_sender_free(s);
  receiver_stop(rc);
}

static void a_long_answer_is_cut_and_its_head_kept(void)
{
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(relaxed, 4);
  long long t0 = now_ms();
  struct sr_net_result r = post(s, url_of(rc, "/big"));
  CHECK(now_ms() - t0 < 5000);
  CHECK_INT(r.status, 200);
  CHECK(r.cut);
  CHECK_STR(r.error, "");
  CHECK_INT(r.head_len, SR_WEBHOOK_ANSWER_KEPT);
  CHECK(r.head[0] == 'a' && r.head[25] == 'z' && r.head[26] == 'a' && r.head[SR_WEBHOOK_ANSWER_KEPT] == '\0');
  CHECK(r.duration_ms < 5000);
  /* The sender is none the worse for it. */
  r = post(s, url_of(rc, "/ok"));
  CHECK_INT(r.status, 200);
  CHECK(!r.cut);
  sr_net_sender_free(s);
  receiver_stop(rc);
}

/* With the process's policy, which the test set to a 500 ms timeout. */
static void hostile_receivers_end_in_words(void)
{
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(sr_net_policy(), 8);
  struct sr_net_result r = post(s, url_of(rc, "/hang"));
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "timed out after 500 ms");
  CHECK(r.duration_ms >= 450 && r.duration_ms < 5000);
  r = post(s, url_of(rc, "/trickle"));
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "timed out after 500 ms");
  CHECK(r.duration_ms >= 450 && r.duration_ms < 5000);
  r = post(s, url_of(rc, "/reset"));
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "connection reset by peer");
  r = post(s, url_of(rc, "/resetmid"));
  CHECK_INT(r.status, 200); /* what came is kept, and the error says it broke off */
  CHECK_STR(r.error, "connection reset by peer");
  CHECK_STR(r.head, "the beginning of it");
  r = post(s, url_of(rc, "/manyheaders"));
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "the answer's headers are longer than 65536 bytes");
  r = post(s, url_of(rc, "/close"));
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "connection closed without an answer");
  r = post(s, url_of(rc, "/garbage"));
  CHECK_INT(r.status, 0);
  CHECK(strncmp(r.error, "not a valid HTTP answer", 23) == 0);
  printf("  garbage: %s\n", r.error);
  char https[128];
  snprintf(https, sizeof https, "https://127.0.0.1:%d/ok", rc->port);
  r = post(s, https);
  CHECK_INT(r.status, 0);
  CHECK(strncmp(r.error, "TLS: ", 5) == 0);
  printf("  https to a plain server: %s\n", r.error);
  /* A port nobody listens on. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &al);
  close(fd);
  char closed[128];
  snprintf(closed, sizeof closed, "http://127.0.0.1:%d/ok", ntohs(a.sin_port));
  r = post(s, closed);
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "connection refused");
  /* A URL the sender cannot use is a result, not a crash. */
  r = post(s, "gopher://127.0.0.1:70/");
  CHECK_INT(r.status, 0);
  CHECK(strncmp(r.error, "only http and https", 19) == 0);
  printf("  gopher: %s\n", r.error);
  r = post(s, "http://127.0.0.1:99999999/");
  CHECK(r.status == 0 && r.error[0] != '\0');
  printf("  bad port: %s\n", r.error);
  /* And after all of it, it still delivers. */
  r = post(s, url_of(rc, "/ok"));
  CHECK_INT(r.status, 200);
  CHECK_STR(r.error, "");
  sr_net_sender_free(s);
  receiver_stop(rc);
}

static void loopback_is_refused_without_the_allow_list(void)
{
  char err[256];
  struct sr_net_policy *none = sr_net_policy_new("", NULL, "5s", NULL, err, sizeof err);
  struct sr_net_policy *other = sr_net_policy_new("127.0.0.2/32", NULL, "5s", NULL, err, sizeof err);
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(none, 4);
  struct sr_net_result r = post(s, url_of(rc, "/ok"));
  CHECK_INT(r.status, 0);
  CHECK_STR(r.error, "127.0.0.1 is a loopback address");
  char u[128];
  snprintf(u, sizeof u, "https://127.0.0.1:%d/ok", rc->port);
  r = post(s, u);
  CHECK_STR(r.error, "127.0.0.1 is a loopback address");
  snprintf(u, sizeof u, "http://[::1]:%d/ok", rc->port);
  r = post(s, u);
  CHECK_STR(r.error, "::1 is a loopback address");
  snprintf(u, sizeof u, "http://[::ffff:127.0.0.1]:%d/ok", rc->port);
  r = post(s, u);
  CHECK(strstr(r.error, "loopback") != NULL);
  /* A name is judged by the address it is connected to. */
  snprintf(u, sizeof u, "http://localhost:%d/ok", rc->port);
  r = post(s, u);
  CHECK(strstr(r.error, "is a loopback address") != NULL);
  sr_net_sender_free(s);
  s = sender(other, 4);
  r = post(s, url_of(rc, "/ok"));
  CHECK_STR(r.error, "127.0.0.1 is a loopback address");
  sr_net_sender_free(s);
  CHECK_INT(atomic_load(&rc->accepts), 0); /* not even a connection was made */
  receiver_stop(rc);
  sr_net_policy_free(none);
  sr_net_policy_free(other);
}

/* A proxy named by the environment is not used: it would make the connection, and the address
 * check would see the proxy's address instead of the receiver's. */
static void no_proxy_is_used(void)
{
  struct receiver *rc = receiver_start(), *proxy = receiver_start();
  char p[64];
  snprintf(p, sizeof p, "http://127.0.0.1:%d", proxy->port);
  const char *vars[] = { "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy" };
  for(size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    setenv(vars[i], p, 1);
  struct sr_net_sender *s = sender(relaxed, 4);
  struct sr_net_result r = post(s, url_of(rc, "/ok"));
  CHECK_INT(r.status, 200);
  CHECK_INT(atomic_load(&rc->requests), 1);
  CHECK_INT(atomic_load(&proxy->accepts), 0);
  for(size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  sr_net_sender_free(s);
  receiver_stop(proxy);
  receiver_stop(rc);
}

static void connections_are_kept_alive(void)
{
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(relaxed, 4);
  int ok = 0;
  for(int i = 0; i < 200; i++)
    ok += post(s, url_of(rc, "/ok")).status == 200;
  CHECK_INT(ok, 200);
  CHECK_INT(atomic_load(&rc->requests), 200);
  CHECK(atomic_load(&rc->accepts) <= 2);
  printf("  200 sequential requests, %d connections\n", atomic_load(&rc->accepts));
  sr_net_sender_free(s);
  receiver_stop(rc);
}

static void many_at_once(void)
{
  enum { N = 64 };
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(relaxed, N);
  static struct sr_net_request rq[N + 1];
  static struct sr_net_result r[N];
  for(int round = 0; round < 3; round++) {
    for(int i = 0; i < N; i++)
      rq[i] = (struct sr_net_request){ .tag = (uint64_t)i, .url = url_of(rc, "/ok"), .headers = default_headers,
                                       .body = "{\"n\":1}", .len = 7 };
    memset(r, 0, sizeof r);
    for(int i = 0; i < N; i++)
      CHECK(sr_net_sender_submit(s, &rq[i]));
    CHECK_INT(sr_net_sender_inflight(s), N);
    rq[N] = rq[0];
    CHECK(!sr_net_sender_submit(s, &rq[N])); /* full */
    int back = 0, ok = 0;
    long long until = now_ms() + 30000;
    static struct sr_net_result got[N];
    bool seen[N] = { false }, twice = false;
    while(back < N && now_ms() < until) {
      int k = sr_net_sender_poll(s, 1000, got, 10); /* fewer than are ready, at times */
      for(int i = 0; i < k; i++) {
        twice |= got[i].tag >= N || seen[got[i].tag];
        if(got[i].tag < N)
          seen[got[i].tag] = true;
        ok += got[i].status == 200 && got[i].error[0] == '\0';
      }
      back += k;
    }
    CHECK_INT(back, N);
    CHECK_INT(ok, N);
    CHECK(!twice);
    CHECK_INT(sr_net_sender_inflight(s), 0);
  }
  /* The second and third rounds went over the first round's connections. */
  CHECK(atomic_load(&rc->accepts) <= N);
  printf("  3 rounds of %d at once, %d connections\n", N, atomic_load(&rc->accepts));
  sr_net_sender_free(s);
  receiver_stop(rc);
}

static struct sr_net_sender *to_wake;

static void *wake_later(void *arg)
{
  (void)arg;
  sleep_ms(200);
  sr_net_sender_wakeup(to_wake);
  return NULL;
}

static void a_waiting_poll_is_woken_and_a_busy_sender_freed(void)
{
  struct receiver *rc = receiver_start();
  struct sr_net_sender *s = sender(relaxed, 4);
  struct sr_net_request rq = { .tag = 9, .url = url_of(rc, "/hang"), .headers = default_headers, .body = "{}", .len = 2 };
  struct sr_net_result r[4];
  CHECK(sr_net_sender_submit(s, &rq));
  to_wake = s;
  pthread_t t;
  pthread_create(&t, NULL, wake_later, NULL);
  long long t0 = now_ms();
  int got = 0;
  while(now_ms() - t0 < 150)
    got += sr_net_sender_poll(s, 50, r, 4); /* short waits end on their own */
  long long t1 = now_ms();
  got += sr_net_sender_poll(s, 10000, r, 4);
  long long waited = now_ms() - t1;
  pthread_join(t, NULL);
  CHECK_INT(got, 0);
  CHECK(waited < 5000);
  printf("  woken after %lld ms\n", waited);
  /* Freed with a transfer in flight: abandoned, nothing left behind. */
  CHECK_INT(sr_net_sender_inflight(s), 1);
  sr_net_sender_free(s);
  char err[256];
  CHECK(!sr_net_sender_new(relaxed, 0, err, sizeof err));
  CHECK(!sr_net_sender_new(relaxed, SR_WEBHOOK_MAX_TRANSFERS + 1, err, sizeof err));
  receiver_stop(rc);
}

int main(void)
{
  char err[256];
  setenv("SEREG_WEBHOOK_ALLOW", "127.0.0.0/8", 1);
  setenv("SEREG_WEBHOOK_TIMEOUT", "500ms", 1);
  if(!sr_net_setup(err, sizeof err)) {
    fprintf(stderr, "setup: %s\n", err);
    return 2;
  }
  relaxed = sr_net_policy_new("127.0.0.0/8", NULL, "20s", "10s", err, sizeof err);
  RUN(answers_come_back_with_their_status);
  RUN(the_receiver_gets_exactly_what_was_sent);
  RUN(a_long_answer_is_cut_and_its_head_kept);
  RUN(hostile_receivers_end_in_words);
  RUN(loopback_is_refused_without_the_allow_list);
  RUN(no_proxy_is_used);
  RUN(connections_are_kept_alive);
  RUN(many_at_once);
  RUN(a_waiting_poll_is_woken_and_a_busy_sender_freed);
  sr_net_policy_free(relaxed);
  sr_net_cleanup();
  return CHECK_DONE();
}
