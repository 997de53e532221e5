/* test_net.c -- the outbound policy: which addresses a notice may go to, the allow list and its
 * settings, and the check of a subscriber's URL. Nothing here sends a packet: the only names
 * resolved are localhost (from the hosts file) and one no resolver can be asked about. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "net.h"
#include "sr_limits.h"

static struct sr_net_policy *policy(const char *allow)
{
  char err[256] = "";
  struct sr_net_policy *p = sr_net_policy_new(allow, NULL, NULL, NULL, err, sizeof err);
  if(!p)
    fprintf(stderr, "  policy '%s': %s\n", allow, err);
  return p;
}

/* Whether <p> lets a connection go to the address <text>; the reason in <why>. */
static bool allowed(const struct sr_net_policy *p, const char *text, bool https, char *why, size_t whysz)
{
  struct sockaddr_storage ss = { 0 };
  if(strchr(text, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    if(inet_pton(AF_INET6, text, &a->sin6_addr) != 1)
      return fprintf(stderr, "  bad test address %s\n", text), false;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    if(inet_pton(AF_INET, text, &a->sin_addr) != 1)
      return fprintf(stderr, "  bad test address %s\n", text), false;
  }
  why[0] = '\0';
  return sr_net_addr_allowed(p, (const struct sockaddr *)&ss, https, why, whysz);
}

struct verdict {
  const char *addr;
  const char *words; /* NULL: allowed; else a part of why it is refused */
};

static void check_table(const struct sr_net_policy *p, const struct verdict *t, size_t n)
{
  for(size_t i = 0; i < n; i++) {
    char why[256];
    bool ok = allowed(p, t[i].addr, true, why, sizeof why);
    bool good = t[i].words ? !ok && strstr(why, t[i].words) && strstr(why, " is ") : ok;
    CHECK(good);
    if(!good)
      fprintf(stderr, "  %s: %s, expected %s\n", t[i].addr, ok ? "allowed" : why,
              t[i].words ? t[i].words : "allowed");
  }
}

static void ipv4_ranges_and_their_edges(void)
{
  static const struct verdict t[] = {
    { "0.0.0.0", "unspecified" },
    { "0.255.255.255", "unspecified" },
    { "1.0.0.0", NULL },
    { "8.8.8.8", NULL },
    { "9.255.255.255", NULL },
    { "10.0.0.0", "private" },
    { "10.255.255.255", "private" },
    { "11.0.0.0", NULL },
    { "100.63.255.255", NULL },
    { "100.64.0.0", "shared" },
    { "100.127.255.255", "shared" },
    { "100.128.0.0", NULL },
    { "126.255.255.255", NULL },
    { "127.0.0.0", "loopback" },
    { "127.0.0.1", "loopback" },
    { "127.255.255.255", "loopback" },
    { "128.0.0.0", NULL },
    { "169.253.255.255", NULL },
    { "169.254.0.0", "link-local" },
    { "169.254.169.254", "metadata" },
    { "169.254.169.253", "a link-local address" },
    { "169.254.255.255", "link-local" },
    { "169.255.0.0", NULL },
    { "172.15.255.255", NULL },
    { "172.16.0.0", "private" },
    { "172.31.255.255", "private" },
    { "172.32.0.0", NULL },
    { "191.255.255.255", NULL },
    { "192.0.0.0", "reserved" },
    { "192.0.0.255", "reserved" },
    { "192.0.1.0", NULL },
    { "192.0.2.0", "documentation" },
    { "192.0.2.255", "documentation" },
    { "192.0.3.0", NULL },
    { "192.88.99.1", "reserved" },
    { "192.167.255.255", NULL },
    { "192.168.0.0", "private" },
    { "192.168.255.255", "private" },
    { "192.169.0.0", NULL },
    { "198.17.255.255", NULL },
    { "198.18.0.0", "benchmarking" },
    { "198.19.255.255", "benchmarking" },
    { "198.20.0.0", NULL },
    { "198.51.99.255", NULL },
    { "198.51.100.0", "documentation" },
    { "198.51.100.255", "documentation" },
    { "198.51.101.0", NULL },
    { "203.0.112.255", NULL },
    { "203.0.113.0", "documentation" },
    { "203.0.113.255", "documentation" },
    { "203.0.114.0", NULL },
    { "223.255.255.255", NULL },
    { "224.0.0.0", "multicast" },
    { "239.255.255.255", "multicast" },
    { "240.0.0.0", "reserved" },
    { "255.255.255.254", "reserved" },
    { "255.255.255.255", "broadcast" },
  };
  struct sr_net_policy *p = policy("");
  check_table(p, t, sizeof t / sizeof *t);
  char why[256];
  CHECK(!allowed(p, "127.0.0.1", true, why, sizeof why));
  CHECK_STR(why, "127.0.0.1 is a loopback address");
  CHECK(!allowed(p, "169.254.169.254", true, why, sizeof why));
  CHECK_STR(why, "169.254.169.254 is the cloud metadata service's address (link-local)");
  CHECK(!allowed(p, "10.1.2.3", true, why, sizeof why));
  CHECK_STR(why, "10.1.2.3 is a private address");
  sr_net_policy_free(p);
}

static void ipv6_ranges_and_the_ipv4_inside(void)
{
  static const struct verdict t[] = {
    { "::", "unspecified" },
    { "::1", "loopback" },
    { "::2", "unspecified" }, /* IPv4-compatible 0.0.0.2 */
    { "::127.0.0.1", "loopback" },
    { "::8.8.8.8", NULL },
    { "::ffff:127.0.0.1", "IPv4-mapped address of 127.0.0.1, a loopback" },
    { "::ffff:169.254.169.254", "metadata" },
    { "::ffff:10.0.0.1", "private" },
    { "::ffff:8.8.8.8", NULL },
    { "::ffff:0:0", "unspecified" },
    { "64:ff9b::10.0.0.1", "NAT64 address of 10.0.0.1, a private" },
    { "64:ff9b::127.0.0.1", "loopback" },
    { "64:ff9b::8.8.8.8", NULL },
    { "64:ff9b:1::1", "local-use NAT64" },
    { "2002:7f00:1::1", "6to4 address of 127.0.0.1, a loopback" },
    { "2002:a9fe:a9fe::", "metadata" },
    { "2002:c0a8:101::1", "private" },
    { "2002:808:808::1", NULL },
    { "fe80::1", "link-local" },
    { "febf:ffff::1", "link-local" },
    { "fec0::1", "site-local" },
    { "fbff:ffff::1", "reserved" },
    { "fc00::", "private" },
    { "fd12:3456::1", "private" },
    { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "private" },
    { "ff00::", "multicast" },
    { "ff02::1", "multicast" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast" },
    { "2001:db7:ffff::1", NULL },
    { "2001:db8::", "documentation" },
    { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation" },
    { "2001:db9::", NULL },
    { "3fff::1", "documentation" },
    { "2001:2::1", "benchmarking" },
    { "100::1", "discard" },
    { "1fff:ffff::1", "reserved" },
    { "4000::1", "reserved" },
    { "2000::", NULL },
    { "2606:4700:4700::1111", NULL },
    { "3ffe:ffff::1", NULL },
  };
  struct sr_net_policy *p = policy("");
  check_table(p, t, sizeof t / sizeof *t);
  char why[256];
  CHECK(!allowed(p, "::ffff:127.0.0.1", true, why, sizeof why));
  CHECK_STR(why, "::ffff:127.0.0.1 is an IPv4-mapped address of 127.0.0.1, a loopback address");
  CHECK(!allowed(p, "::1", true, why, sizeof why));
  CHECK_STR(why, "::1 is a loopback address");
  sr_net_policy_free(p);
}

static void allow_lists_parse_whole_or_not_at_all(void)
{
  static const char *bad[] = { "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "banana", ",", "10.0.0.0/8,", ",10.0.0.0/8",
                               "10.0.0.0/8,,127.0.0.1", "::1/129", "fe80::/10x", "1.2.3.4 /32", "10.0.0.0/-8",
                               "10.0.0.0/8/8", "127.0.0.1:80", "[::1]", "10.0.0.0/99999", NULL };
  for(int i = 0; bad[i]; i++) {
    char err[256] = "";
    struct sr_net_policy *p = sr_net_policy_new(bad[i], NULL, NULL, NULL, err, sizeof err);
    CHECK(!p);
    CHECK(strstr(err, "SEREG_WEBHOOK_ALLOW"));
    if(p || !strstr(err, "SEREG_WEBHOOK_ALLOW"))
      fprintf(stderr, "  '%s' -> %s\n", bad[i], p ? "parsed" : err);
    sr_net_policy_free(p);
  }
  char err[256] = "";
  CHECK(!sr_net_policy_new("127.0.0.0/8,banana", NULL, NULL, NULL, err, sizeof err));
  CHECK(strstr(err, "'banana'"));
  CHECK(!sr_net_policy_new("10.0.0.1/8", NULL, NULL, NULL, err, sizeof err));
  CHECK(strstr(err, "10.0.0.1/8") && strstr(err, "10.0.0.0/8"));
  /* A ceiling on the entries. */
  char many[SR_WEBHOOK_MAX_ALLOW * 16 + 32] = "";
  for(int i = 0; i <= SR_WEBHOOK_MAX_ALLOW; i++)
    sprintf(many + strlen(many), "%s10.%d.%d.0/24", i ? "," : "", i / 256, i % 256);
  CHECK(!sr_net_policy_new(many, NULL, NULL, NULL, err, sizeof err));
  CHECK(strstr(err, "more than"));
  struct sr_net_policy *p = policy(" 127.0.0.0/8 , ::1,10.20.0.0/16\t");
  CHECK(p != NULL);
  sr_net_policy_free(p);
}

static void the_allow_list_lets_through_what_it_names(void)
{
  char why[256];
  struct sr_net_policy *p = policy("10.20.0.0/16,fd00::/8,192.0.2.7,127.0.0.0/8");
  CHECK(allowed(p, "10.20.1.2", true, why, sizeof why));
  CHECK(allowed(p, "10.20.255.255", true, why, sizeof why));
  CHECK(!allowed(p, "10.21.0.1", true, why, sizeof why) && strstr(why, "private"));
  CHECK(!allowed(p, "10.19.255.255", true, why, sizeof why));
  CHECK(allowed(p, "fd12::1", true, why, sizeof why));
  CHECK(!allowed(p, "fc00::1", true, why, sizeof why) && strstr(why, "private"));
  CHECK(allowed(p, "192.0.2.7", true, why, sizeof why));
  CHECK(!allowed(p, "192.0.2.8", true, why, sizeof why) && strstr(why, "documentation"));
  CHECK(allowed(p, "127.0.0.1", false, why, sizeof why));
  /* The IPv4 address inside a mapped one is what the list is asked about. */
  CHECK(allowed(p, "::ffff:127.0.0.1", true, why, sizeof why));
  CHECK(!allowed(p, "::1", true, why, sizeof why));
  sr_net_policy_free(p);

  p = policy("0.0.0.0/0");
  CHECK(allowed(p, "127.0.0.1", false, why, sizeof why));
  CHECK(allowed(p, "169.254.169.254", true, why, sizeof why));
  CHECK(allowed(p, "255.255.255.255", true, why, sizeof why));
  CHECK(!allowed(p, "::1", true, why, sizeof why));
  sr_net_policy_free(p);
  p = policy("::/0");
  CHECK(allowed(p, "::1", false, why, sizeof why));
  CHECK(allowed(p, "fe80::1", true, why, sizeof why));
  CHECK(!allowed(p, "127.0.0.1", true, why, sizeof why));
  sr_net_policy_free(p);
  p = policy("::1");
  CHECK(allowed(p, "::1", true, why, sizeof why));
  CHECK(!allowed(p, "::2", true, why, sizeof why));
  sr_net_policy_free(p);
}

static void plain_http_goes_only_to_listed_addresses(void)
{
  char why[256];
  struct sr_net_policy *p = policy("");
  CHECK(allowed(p, "8.8.8.8", true, why, sizeof why));
  CHECK(!allowed(p, "8.8.8.8", false, why, sizeof why));
  CHECK(strstr(why, "8.8.8.8 ") == why && strstr(why, "use https"));
  CHECK(!allowed(p, "2606:4700:4700::1111", false, why, sizeof why));
  CHECK(!allowed(p, "127.0.0.1", false, why, sizeof why) && strstr(why, "loopback"));
  sr_net_policy_free(p);
  p = policy("8.8.8.0/24");
  CHECK(allowed(p, "8.8.8.8", false, why, sizeof why));
  CHECK(!allowed(p, "8.8.4.4", false, why, sizeof why));
  CHECK(allowed(p, "8.8.4.4", true, why, sizeof why));
  sr_net_policy_free(p);
}

static bool url_ok(const struct sr_net_policy *p, const char *url, const char *words)
{
  char why[512] = "";
  bool ok = sr_net_url_check(p, url, why, sizeof why);
  bool good = words ? !ok && strstr(why, words) : ok;
  if(!good)
    fprintf(stderr, "  %.80s: %s, expected %s\n", url ? url : "(null)", ok ? "accepted" : why, words ? words : "accepted");
  return good;
}

static void urls_are_refused_for_what_they_are(void)
{
  struct sr_net_policy *p = policy("");
  CHECK(url_ok(p, NULL, "is empty"));
  CHECK(url_ok(p, "", "is empty"));
  CHECK(url_ok(p, "not a url", "printable ASCII"));
  CHECK(url_ok(p, "example.com/hook", "is not a URL"));
  CHECK(url_ok(p, "https://", "is not a URL"));
  CHECK(url_ok(p, "ftp://8.8.8.8/", "scheme 'ftp'"));
  CHECK(url_ok(p, "file:///etc/passwd", "scheme 'file'"));
  CHECK(url_ok(p, "gopher://8.8.8.8:70/", "scheme 'gopher'"));
  CHECK(url_ok(p, "https://user:pass@8.8.8.8/", "user name or password"));
  CHECK(url_ok(p, "https://user@8.8.8.8/", "user name or password"));
  CHECK(url_ok(p, "https://:pass@8.8.8.8/", "user name or password"));
  CHECK(url_ok(p, "https://@8.8.8.8/", "user name or password"));
  CHECK(url_ok(p, "https://8.8.8.8/hook#part", "fragment"));
  CHECK(url_ok(p, "https://8.8.8.8/hook#", "fragment"));
  CHECK(url_ok(p, "https://8.8.8.8:0/", "port 0"));
  CHECK(url_ok(p, "https://8.8.8.8:65536/", "is not a URL"));
  CHECK(url_ok(p, "https://8.8.8.8/a b", "percent-encode"));
  CHECK(url_ok(p, "https://8.8.8.8/\x7f", "percent-encode"));
  CHECK(url_ok(p, "https://\xe4\xbe\x8b\xe5\xad\x90.cn/", "printable ASCII"));
  CHECK(url_ok(p, "https://[fe80::1%25eth0]/", "zone id"));
  char big[3001];
  memset(big, 'a', sizeof big - 1);
  memcpy(big, "https://8.8.8.8/", 16);
  big[3000] = '\0';
  CHECK(url_ok(p, big, "longer than 2048 bytes"));
  big[SR_WEBHOOK_MAX_URL] = '\0';
  CHECK(url_ok(p, big, NULL));
  big[SR_WEBHOOK_MAX_URL] = 'a';
  big[SR_WEBHOOK_MAX_URL + 1] = '\0';
  CHECK(url_ok(p, big, "longer than"));
  /* Addresses, literal or resolved. */
  CHECK(url_ok(p, "https://8.8.8.8/hook", NULL));
  CHECK(url_ok(p, "https://[2606:4700:4700::1111]:8443/hook?x=1", NULL));
  CHECK(url_ok(p, "http://8.8.8.8/hook", "use https"));
  CHECK(url_ok(p, "https://127.0.0.1/", "127.0.0.1 is a loopback address"));
  CHECK(url_ok(p, "http://127.0.0.1:8080/", "loopback"));
  CHECK(url_ok(p, "https://0x7f.1/", "127.0.0.1 is a loopback address"));
  CHECK(url_ok(p, "https://2130706433/", "loopback"));
  CHECK(url_ok(p, "https://%31%32%37.0.0.1/", "loopback"));
  CHECK(url_ok(p, "https://[::1]/", "::1 is a loopback address"));
  CHECK(url_ok(p, "https://[::ffff:127.0.0.1]/", "IPv4-mapped"));
  CHECK(url_ok(p, "https://169.254.169.254/latest/meta-data/", "metadata"));
  CHECK(url_ok(p, "https://[64:ff9b::a9fe:a9fe]/", "metadata"));
  CHECK(url_ok(p, "https://10.0.0.1/", "private"));
  CHECK(url_ok(p, "https://localhost/", "localhost resolves to"));
  CHECK(url_ok(p, "https://localhost/", "loopback"));
  CHECK(url_ok(p, "https://LocalHost/", "loopback"));
  /* A label longer than 63 bytes: no resolver can be asked, so this sends nothing. */
  char name[160];
  snprintf(name, sizeof name, "https://%064d.example/", 0);
  CHECK(url_ok(p, name, "does not resolve"));
  sr_net_policy_free(p);

  p = policy("127.0.0.0/8");
  CHECK(url_ok(p, "http://127.0.0.1:8080/hook", NULL));
  CHECK(url_ok(p, "https://127.0.0.1/", NULL));
  CHECK(url_ok(p, "https://localhost:9000/x", NULL));
  CHECK(url_ok(p, "http://[::1]:8080/", "::1 is a loopback address"));
  CHECK(url_ok(p, "http://127.0.0.1:8080/#x", "fragment"));
  CHECK(url_ok(p, "http://u:p@127.0.0.1:8080/", "user name or password"));
  sr_net_policy_free(p);
}

static void settings_are_read_and_checked(void)
{
  char err[256], path[] = "/tmp/sereg-ca.XXXXXX", dir[] = "/tmp/sereg-cadir.XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0 && mkdtemp(dir));
  if(fd >= 0)
    close(fd);
  CHECK(sr_net_timeout_ms(sr_net_policy()) == SR_WEBHOOK_TIMEOUT_MS);
  CHECK(sr_net_connect_timeout_ms(sr_net_policy()) == SR_WEBHOOK_CONNECT_TIMEOUT_MS);
  CHECK(sr_net_ca_bundle(sr_net_policy()) == NULL);

  setenv("SEREG_WEBHOOK_ALLOW", "127.0.0.0/8,::1", 1);
  setenv("SEREG_WEBHOOK_TIMEOUT", "2500ms", 1);
  setenv("SEREG_WEBHOOK_CONNECT_TIMEOUT", "3s", 1);
  setenv("SEREG_WEBHOOK_CA_BUNDLE", path, 1);
  CHECK(sr_net_setup(err, sizeof err));
  CHECK_INT(sr_net_timeout_ms(sr_net_policy()), 2500);
  CHECK_INT(sr_net_connect_timeout_ms(sr_net_policy()), 3000);
  CHECK_STR(sr_net_ca_bundle(sr_net_policy()), path);
  CHECK(url_ok(sr_net_policy(), "http://127.0.0.1:1/", NULL));

  const struct {
    const char *name, *value, *words;
  } bad[] = {
    { "SEREG_WEBHOOK_ALLOW", "127.0.0.0/8,nonsense", "'nonsense'" },
    { "SEREG_WEBHOOK_TIMEOUT", "99ms", "SEREG_WEBHOOK_TIMEOUT takes a duration" },
    { "SEREG_WEBHOOK_TIMEOUT", "11m", "SEREG_WEBHOOK_TIMEOUT" },
    { "SEREG_WEBHOOK_TIMEOUT", "", "SEREG_WEBHOOK_TIMEOUT" },
    { "SEREG_WEBHOOK_TIMEOUT", "1.5s", "SEREG_WEBHOOK_TIMEOUT" },
    { "SEREG_WEBHOOK_CONNECT_TIMEOUT", "fast", "SEREG_WEBHOOK_CONNECT_TIMEOUT" },
    { "SEREG_WEBHOOK_CA_BUNDLE", "/nonexistent/ca.pem", "SEREG_WEBHOOK_CA_BUNDLE" },
    { "SEREG_WEBHOOK_CA_BUNDLE", dir, "not a regular file" },
  };
  for(size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char *old = getenv(bad[i].name) ? strdup(getenv(bad[i].name)) : NULL;
    setenv(bad[i].name, bad[i].value, 1);
    err[0] = '\0';
    bool ok = sr_net_setup(err, sizeof err);
    CHECK(!ok && strstr(err, bad[i].words));
    if(ok || !strstr(err, bad[i].words))
      fprintf(stderr, "  %s=%s: %s\n", bad[i].name, bad[i].value, ok ? "accepted" : err);
    if(old)
      setenv(bad[i].name, old, 1);
    free(old);
  }
  /* A failed setup leaves the policy it had. */
  CHECK_INT(sr_net_timeout_ms(sr_net_policy()), 2500);
  setenv("SEREG_WEBHOOK_TIMEOUT", "10m", 1);
  setenv("SEREG_WEBHOOK_CONNECT_TIMEOUT", "100ms", 1);
  unsetenv("SEREG_WEBHOOK_CA_BUNDLE");
  unsetenv("SEREG_WEBHOOK_ALLOW");
  CHECK(sr_net_setup(err, sizeof err));
  CHECK_INT(sr_net_timeout_ms(sr_net_policy()), 600000);
  CHECK_INT(sr_net_connect_timeout_ms(sr_net_policy()), 100);
  CHECK(sr_net_ca_bundle(sr_net_policy()) == NULL);
  CHECK(url_ok(sr_net_policy(), "http://127.0.0.1:1/", "loopback"));
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  RUN(ipv4_ranges_and_their_edges);
  RUN(ipv6_ranges_and_the_ipv4_inside);
  RUN(allow_lists_parse_whole_or_not_at_all);
  RUN(the_allow_list_lets_through_what_it_names);
  RUN(plain_http_goes_only_to_listed_addresses);
  RUN(urls_are_refused_for_what_they_are);
  RUN(settings_are_read_and_checked);
  sr_net_cleanup();
  return CHECK_DONE();
}
