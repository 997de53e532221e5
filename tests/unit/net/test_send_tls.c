/* test_send_tls.c -- the sender verifies TLS peers: a receiver on loopback with a certificate
 * the test makes itself (OpenSSL) is refused under the system's CAs, taken when the policy's CA
 * bundle holds that certificate, and refused again when the certificate names another host. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "send.h"

struct tls_receiver {
  int lfd, port;
  SSL_CTX *ctx;
  pthread_t thread;
  atomic_bool stopping;
  atomic_int answered;
};

/* A self-signed certificate for <san> ("IP:127.0.0.1", "DNS:other.example") on <key>. */
static X509 *make_cert(EVP_PKEY *key, const char *san, long serial)
{
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sereg test receiver", -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
  X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  X509_sign(x, key, EVP_sha256());
  return x;
}

static void serve_one(struct tls_receiver *r, int fd)
{
  SSL *ssl = SSL_new(r->ctx);
  SSL_set_fd(ssl, fd);
  if(SSL_accept(ssl) == 1) {
    char buf[8192];
    size_t n = 0;
    for(;;) {
      int got = SSL_read(ssl, buf + n, (int)(sizeof buf - 1 - n));
      if(got <= 0)
        break;
      n += (size_t)got;
      buf[n] = '\0';
      char *end = strstr(buf, "\r\n\r\n");
      char *cl = strstr(buf, "Content-Length: ");
      if(!end || !cl)
        continue;
      size_t need = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
      if(n < need)
        continue;
      static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsecured";
      SSL_write(ssl, ok, sizeof ok - 1);
      atomic_fetch_add(&r->answered, 1);
      n = 0; /* the next request on the connection */
    }
  }
  SSL_free(ssl);
  close(fd);
}

static void *accept_loop(void *arg)
{
  struct tls_receiver *r = arg;
  for(;;) {
    int fd = accept(r->lfd, NULL, NULL);
    if(fd < 0)
      return NULL;
    if(atomic_load(&r->stopping)) {
      close(fd);
      return NULL;
    }
    struct timeval tv = { 2, 0 }; /* a client that stops talking does not hold the test */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    serve_one(r, fd);
  }
}

static struct tls_receiver *tls_start(EVP_PKEY *key, X509 *cert)
{
  struct tls_receiver *r = calloc(1, sizeof *r);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  r->ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(r->ctx, cert);
  SSL_CTX_use_PrivateKey(r->ctx, key);
  r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if(r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->lfd, 16) != 0 ||
     getsockname(r->lfd, (struct sockaddr *)&a, &al) != 0) {
    perror("tls receiver");
    exit(2);
  }
  r->port = ntohs(a.sin_port);
  pthread_create(&r->thread, NULL, accept_loop, r);
  return r;
}

static void tls_stop(struct tls_receiver *r)
{
  atomic_store(&r->stopping, true);
  shutdown(r->lfd, SHUT_RDWR);
  pthread_join(r->thread, NULL);
  close(r->lfd);
  SSL_CTX_free(r->ctx);
  free(r);
}

static struct sr_net_result post(const struct sr_net_policy *p, int port)
{
  char err[256], url[64];
  struct sr_net_result r, out[1];
  memset(&r, 0, sizeof r);
  snprintf(r.error, sizeof r.error, "(never came back)");
  snprintf(url, sizeof url, "https://127.0.0.1:%d/hook", port);
  struct sr_net_sender *s = sr_net_sender_new(p, 2, err, sizeof err);
  const char *h[] = { "Content-Type: application/json", NULL };
  if(!s || !sr_net_sender_submit(s, &(struct sr_net_request){ .tag = 1, .url = url, .headers = h, .body = "{}", .len = 2 }))
    return r;
  for(int i = 0; i < 30 && sr_net_sender_inflight(s); i++)
    if(sr_net_sender_poll(s, 1000, out, 1) == 1)
      r = out[0];
  sr_net_sender_free(s);
  return r;
}

static char pem[] = "/tmp/sereg-test-ca.XXXXXX";
static EVP_PKEY *key;
static X509 *good_cert, *other_cert;

static void peers_are_verified(void)
{
  char err[256];
  struct tls_receiver *good = tls_start(key, good_cert), *other = tls_start(key, other_cert);
  struct sr_net_policy *system_cas = sr_net_policy_new("127.0.0.0/8", NULL, "10s", "5s", err, sizeof err);
  struct sr_net_policy *ours = sr_net_policy_new("127.0.0.0/8", pem, "10s", "5s", err, sizeof err);
  CHECK(system_cas && ours);
  if(!system_cas || !ours)
    fprintf(stderr, "  policy: %s\n", err);

  struct sr_net_result r = post(system_cas, good->port);
  CHECK_INT(r.status, 0);
  CHECK(strncmp(r.error, "TLS: ", 5) == 0 && strstr(r.error, "certificate"));
  printf("  under the system's CAs: %s\n", r.error);

  r = post(ours, good->port);
  CHECK_INT(r.status, 200);
  CHECK_STR(r.error, "");
  CHECK_STR(r.head, "secured");

  r = post(ours, other->port);
  CHECK_INT(r.status, 0);
  CHECK(strncmp(r.error, "TLS: ", 5) == 0 && strstr(r.error, "127.0.0.1"));
  printf("  a certificate for another host: %s\n", r.error);

  CHECK_INT(atomic_load(&good->answered), 1);
  CHECK_INT(atomic_load(&other->answered), 0);
  sr_net_policy_free(system_cas);
  sr_net_policy_free(ours);
  tls_stop(good);
  tls_stop(other);
}

int main(void)
{
  char err[256];
  signal(SIGPIPE, SIG_IGN); /* the receiver writes with OpenSSL's plain socket BIO */
  if(!sr_net_setup(err, sizeof err)) {
    fprintf(stderr, "setup: %s\n", err);
    return 2;
  }
  key = EVP_EC_gen("P-256");
  good_cert = make_cert(key, "IP:127.0.0.1", 1);
  other_cert = make_cert(key, "DNS:other.example", 2);
  int fd = mkstemp(pem);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  /* Both trusted: the second is refused for the name it carries, not for who signed it. */
  if(!key || !good_cert || !other_cert || !f || !PEM_write_X509(f, good_cert) || !PEM_write_X509(f, other_cert)) {
    fprintf(stderr, "could not make the test's certificates\n");
    return 2;
  }
  fclose(f);
  RUN(peers_are_verified);
  unlink(pem);
  X509_free(good_cert);
  X509_free(other_cert);
  EVP_PKEY_free(key);
  sr_net_cleanup();
  return CHECK_DONE();
}
