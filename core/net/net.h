/*
 * net.h -- where sereg may send notices: the process's outbound policy (which addresses a
 * webhook may reach, the CA bundle, the timeouts) and the check of a subscriber's URL against
 * it. A webhook URL is an attacker's best way into the network behind sereg, so the answer is
 * no unless the policy says yes:
 *   - only https, and http only to an address the allow list names;
 *   - no address that is loopback, link-local (169.254.169.254, the cloud metadata service,
 *     among them), private (RFC 1918, unique-local fc00::/7), shared (100.64.0.0/10),
 *     unspecified, multicast, broadcast or reserved, whether written as a literal, reached
 *     through a name, or hidden in an IPv4-mapped or NAT64 IPv6 address, unless the allow list
 *     (SEREG_WEBHOOK_ALLOW, comma-separated CIDRs such as 127.0.0.0/8,10.20.0.0/16) names it;
 *   - no user name or password in the URL, no fragment, at most SR_WEBHOOK_MAX_URL bytes.
 * The same check runs again on the address each connection is really made to (send.h), so a
 * name that resolves elsewhere by the time of sending (DNS rebinding) is refused then too.
 *
 * The only part of sereg that sees libcurl's headers is this folder.
 */
#ifndef sr_net_h
#define sr_net_h

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The process's outbound policy, read once from the environment by sr_net_setup:
 *   SEREG_WEBHOOK_ALLOW            CIDRs that may be reached although not public ("" none)
 *   SEREG_WEBHOOK_CA_BUNDLE        a CA file to verify TLS peers with (an intranet CA)
 *   SEREG_WEBHOOK_TIMEOUT          total time of one attempt (a duration, default 15s)
 *   SEREG_WEBHOOK_CONNECT_TIMEOUT  time to connect, TLS included (default 15s) */
struct sr_net_policy;

/* Reads the policy from the environment and initializes libcurl; call once, before any thread
 * uses this folder (a later call replaces the policy, for tests; a failed one leaves it). False
 * with the reason (naming the setting and the bad entry) in <err>. */
bool sr_net_setup(char *err, size_t errsz);
/* libcurl's global cleanup, at the end of the process, once no sender is left. */
void sr_net_cleanup(void);
/* A policy of one's own from the settings' values as sr_net_setup reads them (NULL for one not
 * set), to check settings or, in tests, to run beside the process's. NULL with the reason in
 * <err>. Caller owns the result; free with sr_net_policy_free. */
struct sr_net_policy *sr_net_policy_new(const char *allow, const char *ca_bundle, const char *timeout,
                                        const char *connect_timeout, char *err, size_t errsz);
void sr_net_policy_free(struct sr_net_policy *p);
/* The process's policy (the defaults when sr_net_setup was never called). */
const struct sr_net_policy *sr_net_policy(void);
long sr_net_timeout_ms(const struct sr_net_policy *p);
long sr_net_connect_timeout_ms(const struct sr_net_policy *p);
const char *sr_net_ca_bundle(const struct sr_net_policy *p); /* NULL: the system's */

/* Whether the policy lets a connection go to <addr> (AF_INET or AF_INET6) for <scheme>
 * ("https" or "http"). False with why not, in words for the subscriber ("127.0.0.1 is a
 * loopback address"), in <why>. */
bool sr_net_addr_allowed(const struct sr_net_policy *p, const struct sockaddr *addr, bool https, char *why,
                         size_t whysz);

/* Checks subscriber URL <url>: its form (https, or http to allowed addresses; a host; no
 * credentials or fragment; a port in range), and every address its host resolves to now. False
 * with the reason in <why>, for a 422 on the field "url". Resolving may block for as long as
 * the system's resolver takes. */
bool sr_net_url_check(const struct sr_net_policy *p, const char *url, char *why, size_t whysz);

#endif
