/*
 * net.c -- see net.h. The policy is a plain value (its allow list is a fixed array), so the
 * process's copy needs no freeing and a test can build as many of its own as it likes. URLs
 * are taken apart by libcurl's URL parser, the same one the sender hands them to, so the host
 * that is checked here is the host a transfer connects to.
 */
#include "net.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duration.h"
#include "net_int.h"
#include "sr_limits.h"

struct cidr {
  int family; /* AF_INET or AF_INET6 */
  unsigned char addr[16];
  int prefix;
};

struct sr_net_policy {
  long timeout_ms, connect_timeout_ms;
  int nallow;
  struct cidr allow[SR_WEBHOOK_MAX_ALLOW];
  char ca_bundle[PATH_MAX]; /* "" for the system's */
};

static struct sr_net_policy process_policy = {
  .timeout_ms = SR_WEBHOOK_TIMEOUT_MS,
  .connect_timeout_ms = SR_WEBHOOK_CONNECT_TIMEOUT_MS,
};
static bool curl_ready;

/* ==== the allow list ==== */

static bool prefix_matches(const unsigned char *a, const unsigned char *net, int prefix)
{
  int whole = prefix / 8, rest = prefix % 8;
  if(memcmp(a, net, (size_t)whole) != 0)
    return false;
  if(rest == 0)
    return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (a[whole] & mask) == (net[whole] & mask);
}

static bool listed(const struct sr_net_policy *p, int family, const unsigned char *a)
{
  for(int i = 0; i < p->nallow; i++)
    if(p->allow[i].family == family && prefix_matches(a, p->allow[i].addr, p->allow[i].prefix))
      return true;
  return false;
}

/* Parses one entry, "10.20.0.0/16", "fd00::/8" or a bare address, into <c>. */
static bool parse_cidr(const char *s, size_t n, struct cidr *c, char *err, size_t errsz)
{
  char text[INET6_ADDRSTRLEN + 8];
  if(n == 0) {
    snprintf(err, errsz, "SEREG_WEBHOOK_ALLOW has an empty entry (two commas, or one at an end)");
    return false;
  }
  if(n >= sizeof text)
    goto malformed;
  memcpy(text, s, n);
  text[n] = '\0';
  char *slash = strchr(text, '/');
  if(slash)
    *slash = '\0';
  c->family = strchr(text, ':') ? AF_INET6 : AF_INET;
  memset(c->addr, 0, sizeof c->addr);
  if(inet_pton(c->family, text, c->addr) != 1)
    goto malformed;
  int bits = c->family == AF_INET ? 32 : 128;
  c->prefix = bits;
  if(slash) {
    const char *d = slash + 1;
    int v = 0, digits = 0;
    for(; *d >= '0' && *d <= '9' && digits < 4; d++, digits++)
      v = v * 10 + (*d - '0');
    if(digits == 0 || *d || v > bits)
      goto malformed;
    c->prefix = v;
  }
  /* A range whose address has bits past its prefix is a typing slip (10.0.0.1/8): say so rather
   * than guess which of the two was meant. */
  unsigned char net[16] = { 0 };
  int whole = c->prefix / 8, rest = c->prefix % 8;
  memcpy(net, c->addr, (size_t)whole);
  if(rest)
    net[whole] = (unsigned char)(c->addr[whole] & (0xff << (8 - rest)));
  if(memcmp(net, c->addr, (size_t)bits / 8) != 0) {
    char shown[INET6_ADDRSTRLEN];
    inet_ntop(c->family, net, shown, sizeof shown);
    snprintf(err, errsz, "SEREG_WEBHOOK_ALLOW entry '%.*s' has bits set past its prefix (the range is %s/%d)",
             (int)n, s, shown, c->prefix);
    return false;
  }
  return true;
malformed:
  snprintf(err, errsz,
           "SEREG_WEBHOOK_ALLOW entry '%.*s' is not an address or a range such as 10.20.0.0/16 or fd00::/8",
           (int)(n > 80 ? 80 : n), s);
  return false;
}

static bool parse_allow(const char *s, struct sr_net_policy *p, char *err, size_t errsz)
{
  p->nallow = 0;
  if(!s || !*s)
    return true;
  for(const char *at = s;;) {
    const char *comma = strchr(at, ',');
    const char *end = comma ? comma : at + strlen(at);
    const char *a = at, *b = end;
    while(a < b && (*a == ' ' || *a == '\t'))
      a++;
    while(b > a && (b[-1] == ' ' || b[-1] == '\t'))
      b--;
    if(p->nallow == SR_WEBHOOK_MAX_ALLOW) {
      snprintf(err, errsz, "SEREG_WEBHOOK_ALLOW names more than %d ranges", SR_WEBHOOK_MAX_ALLOW);
      return false;
    }
    if(!parse_cidr(a, (size_t)(b - a), &p->allow[p->nallow], err, errsz))
      return false;
    p->nallow++;
    if(!comma)
      return true;
    at = comma + 1;
  }
}

/* ==== the policy ==== */

static bool parse_timeout(const char *name, const char *v, long def, long *out, char *err, size_t errsz)
{
  long long ms;
  *out = def;
  if(!v)
    return true;
  if(!sr_duration_parse(v, SR_WEBHOOK_MIN_TIMEOUT_MS, SR_WEBHOOK_MAX_TIMEOUT_MS, &ms)) {
    snprintf(err, errsz, "%s takes a duration from 100ms to 10m (such as 15s), not '%.40s'", name, v);
    return false;
  }
  *out = (long)ms;
  return true;
}

static bool parse_ca_bundle(const char *v, struct sr_net_policy *p, char *err, size_t errsz)
{
  p->ca_bundle[0] = '\0';
  if(!v || !*v)
    return true;
  if(strlen(v) >= sizeof p->ca_bundle) {
    snprintf(err, errsz, "SEREG_WEBHOOK_CA_BUNDLE is longer than %d bytes", PATH_MAX - 1);
    return false;
  }
  /* Opened, not only looked at: a file the server cannot read is refused at start, not at the
   * first delivery. */
  int fd = open(v, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if(fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errsz, "SEREG_WEBHOOK_CA_BUNDLE %s is not a readable file (%s)", v,
             fd < 0 ? strerror(errno) : "not a regular file");
    if(fd >= 0)
      close(fd);
    return false;
  }
  close(fd);
  strcpy(p->ca_bundle, v);
  return true;
}

struct sr_net_policy *sr_net_policy_new(const char *allow, const char *ca_bundle, const char *timeout,
                                        const char *connect_timeout, char *err, size_t errsz)
{
  struct sr_net_policy *p = calloc(1, sizeof *p);
  if(!p) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  if(!parse_allow(allow, p, err, errsz) || !parse_ca_bundle(ca_bundle, p, err, errsz) ||
     !parse_timeout("SEREG_WEBHOOK_TIMEOUT", timeout, SR_WEBHOOK_TIMEOUT_MS, &p->timeout_ms, err, errsz) ||
     !parse_timeout("SEREG_WEBHOOK_CONNECT_TIMEOUT", connect_timeout, SR_WEBHOOK_CONNECT_TIMEOUT_MS,
                    &p->connect_timeout_ms, err, errsz)) {
    free(p);
    return NULL;
  }
  return p;
}

void sr_net_policy_free(struct sr_net_policy *p)
{
  free(p);
}

bool sr_net_init_curl(char *err, size_t errsz)
{
  if(curl_ready)
    return true;
  CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if(rc != CURLE_OK) {
    snprintf(err, errsz, "libcurl did not start: %s", curl_easy_strerror(rc));
    return false;
  }
  curl_ready = true;
  return true;
}

bool sr_net_setup(char *err, size_t errsz)
{
  if(!sr_net_init_curl(err, errsz))
    return false;
  struct sr_net_policy *p =
      sr_net_policy_new(getenv("SEREG_WEBHOOK_ALLOW"), getenv("SEREG_WEBHOOK_CA_BUNDLE"),
                        getenv("SEREG_WEBHOOK_TIMEOUT"), getenv("SEREG_WEBHOOK_CONNECT_TIMEOUT"), err, errsz);
  if(!p)
    return false;
  process_policy = *p;
  free(p);
  return true;
}

void sr_net_cleanup(void)
{
  if(curl_ready)
    curl_global_cleanup();
  curl_ready = false;
}

const struct sr_net_policy *sr_net_policy(void)
{
  return &process_policy;
}

long sr_net_timeout_ms(const struct sr_net_policy *p)
{
  return p->timeout_ms;
}

long sr_net_connect_timeout_ms(const struct sr_net_policy *p)
{
  return p->connect_timeout_ms;
}

const char *sr_net_ca_bundle(const struct sr_net_policy *p)
{
  return p->ca_bundle[0] ? p->ca_bundle : NULL;
}

/* ==== addresses ==== */

struct range4 {
  uint32_t net;
  int prefix;
  const char *what;
};

/* Every IPv4 range that is not the public internet (RFC 6890 and its successors), most specific
 * first. */
static const struct range4 special4[] = {
  { 0xa9fea9fe, 32, "the cloud metadata service's address (link-local)" }, /* 169.254.169.254 */
  { 0xffffffff, 32, "the broadcast address" },
  { 0x00000000, 8, "an unspecified (this-network) address" },
  { 0x7f000000, 8, "a loopback address" },
  { 0xa9fe0000, 16, "a link-local address" },
  { 0x0a000000, 8, "a private address" },
  { 0xac100000, 12, "a private address" },
  { 0xc0a80000, 16, "a private address" },
  { 0x64400000, 10, "a shared (carrier-grade NAT) address" },
  { 0xc0000200, 24, "a documentation address" },
  { 0xc6336400, 24, "a documentation address" },
  { 0xcb007100, 24, "a documentation address" },
  { 0xc0000000, 24, "a reserved address (IETF protocol assignments)" },
  { 0xc0586300, 24, "a reserved address (the former 6to4 relay anycast)" },
  { 0xc6120000, 15, "a benchmarking address" },
  { 0xe0000000, 4, "a multicast address" },
  { 0xf0000000, 4, "a reserved address" },
};

static const char *judge4(uint32_t a)
{
  for(size_t i = 0; i < sizeof special4 / sizeof *special4; i++) {
    uint32_t mask = special4[i].prefix ? 0xffffffffu << (32 - special4[i].prefix) : 0;
    if((a & mask) == special4[i].net)
      return special4[i].what;
  }
  return NULL;
}

struct range6 {
  unsigned char net[16];
  int prefix;
  const char *what; /* NULL: judged by the IPv4 address inside (at byte v4_at) */
  int v4_at;
  const char *form;
};

static const struct range6 special6[] = {
  { { 0 }, 128, "an unspecified address", 0, NULL },
  { { [15] = 1 }, 128, "a loopback address", 0, NULL },
  { { [10] = 0xff, [11] = 0xff }, 96, NULL, 12, "an IPv4-mapped address" },
  { { 0 }, 96, NULL, 12, "an IPv4-compatible address" },
  { { 0x00, 0x64, 0xff, 0x9b }, 96, NULL, 12, "a NAT64 address" },
  { { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48, "a local-use NAT64 address", 0, NULL },
  { { 0x20, 0x02 }, 16, NULL, 2, "a 6to4 address" },
  { { 0xfe, 0x80 }, 10, "a link-local address", 0, NULL },
  { { 0xfe, 0xc0 }, 10, "a site-local address", 0, NULL },
  { { 0xfc }, 7, "a private (unique-local) address", 0, NULL },
  { { 0xff }, 8, "a multicast address", 0, NULL },
  { { 0x20, 0x01, 0x0d, 0xb8 }, 32, "a documentation address", 0, NULL },
  { { 0x3f, 0xff }, 20, "a documentation address", 0, NULL },
  { { 0x20, 0x01, 0x00, 0x02 }, 48, "a benchmarking address", 0, NULL },
  { { 0x01 }, 64, "a reserved address (discard-only)", 0, NULL },
  /* Everything outside 2000::/3, the global unicast space, is unassigned or special. */
};

static const unsigned char global6[16] = { 0x20 };

/* How <a> is judged when it is not public: the words, and for an address with an IPv4 one
 * inside, that one and the form that carries it. NULL for a public address. */
static const char *judge6(const unsigned char *a, uint32_t *v4, const char **form)
{
  *form = NULL;
  for(size_t i = 0; i < sizeof special6 / sizeof *special6; i++) {
    if(!prefix_matches(a, special6[i].net, special6[i].prefix))
      continue;
    if(special6[i].what)
      return special6[i].what;
    const unsigned char *b = a + special6[i].v4_at;
    *v4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    *form = special6[i].form;
    return judge4(*v4);
  }
  return prefix_matches(a, global6, 3) ? NULL : "a reserved address";
}

/* The verdict on one address: false with its text in <addr> and the rest of the sentence in
 * <what> ("is a loopback address"). */
static bool verdict(const struct sr_net_policy *p, const struct sockaddr *sa, bool https, char *addr,
                    size_t addrsz, char *what, size_t whatsz)
{
  unsigned char a[16];
  uint32_t v4 = 0;
  const char *form = NULL, *kind;
  bool in_list;
  if(sa->sa_family == AF_INET) {
    struct sockaddr_in in;
    memcpy(&in, sa, sizeof in);
    memcpy(a, &in.sin_addr, 4);
    v4 = ntohl(in.sin_addr.s_addr);
    inet_ntop(AF_INET, a, addr, (socklen_t)addrsz);
    in_list = listed(p, AF_INET, a);
    kind = judge4(v4);
  } else if(sa->sa_family == AF_INET6) {
    struct sockaddr_in6 in6;
    memcpy(&in6, sa, sizeof in6);
    memcpy(a, &in6.sin6_addr, 16);
    inet_ntop(AF_INET6, a, addr, (socklen_t)addrsz);
    kind = judge6(a, &v4, &form);
    in_list = listed(p, AF_INET6, a);
    if(form && !in_list) {
      unsigned char b[4] = { (unsigned char)(v4 >> 24), (unsigned char)(v4 >> 16), (unsigned char)(v4 >> 8),
                             (unsigned char)v4 };
      in_list = listed(p, AF_INET, b);
    }
  } else {
    snprintf(addr, addrsz, "an address of family %d", sa->sa_family);
    snprintf(what, whatsz, "is neither IPv4 nor IPv6");
    return false;
  }
  if(in_list)
    return true;
  if(kind && form) {
    char inner[INET_ADDRSTRLEN];
    struct in_addr ia = { htonl(v4) };
    inet_ntop(AF_INET, &ia, inner, sizeof inner);
    snprintf(what, whatsz, "is %s of %s, %s", form, inner, kind);
    return false;
  }
  if(kind) {
    snprintf(what, whatsz, "is %s", kind);
    return false;
  }
  if(!https) {
    snprintf(what, whatsz, "is not in the server's allow list, and plain http goes only to the addresses it names: use https");
    return false;
  }
  return true;
}

bool sr_net_addr_allowed(const struct sr_net_policy *p, const struct sockaddr *addr, bool https, char *why,
                         size_t whysz)
{
  char a[INET6_ADDRSTRLEN + 32], what[200];
  if(verdict(p, addr, https, a, sizeof a, what, sizeof what))
    return true;
  snprintf(why, whysz, "%s %s", a, what);
  return false;
}

/* ==== subscriber URLs ==== */

static bool url_part(CURLU *u, CURLUPart part, char **out)
{
  *out = NULL;
  return curl_url_get(u, part, out, 0) == CURLUE_OK && *out;
}

static bool has_part(CURLU *u, CURLUPart part)
{
  char *v;
  bool has = url_part(u, part, &v);
  curl_free(v);
  return has;
}

/* A name that exists without an address (glibc tells it apart when asked to be GNU). */
static bool no_data(int rc)
{
#ifdef EAI_NODATA
  return rc == EAI_NODATA;
#else
  (void)rc;
  return false;
#endif
}

/* Resolves <host> and judges every address it has now. */
static bool check_addresses(const struct sr_net_policy *p, const char *host, bool https, char *why, size_t whysz)
{
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
  bool literal = false;
  hints.ai_flags = AI_NUMERICHOST;
  int rc = getaddrinfo(host, NULL, &hints, &res);
  if(rc == 0) {
    literal = true;
  } else {
    hints.ai_flags = 0;
    rc = getaddrinfo(host, NULL, &hints, &res);
  }
  if(rc != 0) {
    if(rc == EAI_AGAIN)
      snprintf(why, whysz, "%s could not be resolved now (a temporary failure): try again", host);
    else if(rc == EAI_NONAME || rc == EAI_FAIL || no_data(rc))
      snprintf(why, whysz, "%s does not resolve", host);
    else
      snprintf(why, whysz, "%s could not be resolved (%s)", host, gai_strerror(rc));
    return false;
  }
  bool ok = true;
  int judged = 0;
  for(struct addrinfo *ai = res; ai && ok; ai = ai->ai_next) {
    char a[INET6_ADDRSTRLEN + 32], what[200];
    if(ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    judged++;
    if(verdict(p, ai->ai_addr, https, a, sizeof a, what, sizeof what))
      continue;
    ok = false;
    if(literal)
      snprintf(why, whysz, "%s %s", a, what);
    else
      snprintf(why, whysz, "%s resolves to %s, which %s", host, a, what);
  }
  freeaddrinfo(res);
  if(ok && judged == 0) {
    snprintf(why, whysz, "%s does not resolve to an IPv4 or IPv6 address", host);
    return false;
  }
  return ok;
}

bool sr_net_url_check(const struct sr_net_policy *p, const char *url, char *why, size_t whysz)
{
  if(!url || !*url) {
    snprintf(why, whysz, "is empty");
    return false;
  }
  size_t n = strlen(url);
  if(n > SR_WEBHOOK_MAX_URL) {
    snprintf(why, whysz, "is longer than %d bytes", SR_WEBHOOK_MAX_URL);
    return false;
  }
  for(size_t i = 0; i < n; i++)
    if((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
      snprintf(why, whysz,
               "has a space or a byte that is not printable ASCII at byte %zu: percent-encode it (a space is %%20), "
               "and write a non-ASCII host name in its xn-- form",
               i + 1);
      return false;
    }
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *v = NULL;
  bool ok = false;
  if(!u) {
    snprintf(why, whysz, "could not be checked (out of memory)");
    return false;
  }
  /* Any scheme parses, so that a wrong one is named as such rather than as a malformed URL. */
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
  if(rc != CURLUE_OK) {
    snprintf(why, whysz, "is not a URL (%s): write it whole, such as https://example.com/hook",
             curl_url_strerror(rc));
    goto out;
  }
  if(!url_part(u, CURLUPART_SCHEME, &scheme) || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
    snprintf(why, whysz, "has the scheme '%s': notices go only to https (or http to addresses the server allows)",
             scheme ? scheme : "");
    goto out;
  }
  bool https = strcmp(scheme, "https") == 0;
  if(has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) || has_part(u, CURLUPART_OPTIONS)) {
    snprintf(why, whysz, "holds a user name or password: a receiver checks the notice's signature, and "
                         "credentials in a URL end up in logs");
    goto out;
  }
  if(strchr(url, '#')) { /* an empty fragment ("...#") too, which the parser does not report */
    snprintf(why, whysz, "has a fragment ('#...'), which is never sent: leave it out");
    goto out;
  }
  if(has_part(u, CURLUPART_ZONEID)) {
    snprintf(why, whysz, "names a network interface (an IPv6 zone id)");
    goto out;
  }
  if(!url_part(u, CURLUPART_HOST, &host) || !*host) {
    snprintf(why, whysz, "names no host");
    goto out;
  }
  if(url_part(u, CURLUPART_PORT, &v) && strcmp(v, "0") == 0) {
    snprintf(why, whysz, "has port 0");
    goto out;
  }
  /* An IPv6 literal comes back in its brackets; the resolver takes it without them. */
  char *h = host;
  size_t hl = strlen(h);
  if(h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
    h[hl - 1] = '\0';
    h++;
  }
  ok = check_addresses(p, h, https, why, whysz);
out:
  curl_free(v);
  curl_free(host);
  curl_free(scheme);
  curl_url_cleanup(u);
  return ok;
}
