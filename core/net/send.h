/*
 * send.h -- many HTTP POSTs at once on libcurl's multi interface, for the notice worker: each
 * request is submitted with a tag, runs with the others (connections kept alive and reused per
 * host), and comes back as a result with that tag. The sender follows no redirect, uses no
 * proxy, speaks only http and https, verifies TLS peers, and connects only to addresses the
 * policy allows (net.h), checked on the address each connection is really made to. An answer
 * is read up to SR_WEBHOOK_MAX_ANSWER bytes and then cut; its first SR_WEBHOOK_ANSWER_KEPT
 * bytes are kept for the attempt's record.
 *
 * A sender belongs to one thread.
 *
 *   struct sr_net_sender *s = sr_net_sender_new(sr_net_policy(), 64, err, sizeof err);
 *   sr_net_sender_submit(s, &(struct sr_net_request){ .tag = 7, .url = u, .headers = h, .body = b, .len = n });
 *   struct sr_net_result r[64];
 *   int n = sr_net_sender_poll(s, 100, r, 64);   ... n results, in any order
 *   sr_net_sender_free(s);                       ... transfers still running are abandoned
 */
#ifndef sr_send_h
#define sr_send_h

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "sr_limits.h"

struct sr_net_request {
  uint64_t tag;               /* the caller's, given back with the result */
  const char *url;
  const char *const *headers; /* "Name: value" lines, NULL-terminated; Content-Type among them */
  const char *body;
  size_t len;
};

struct sr_net_result {
  uint64_t tag;
  int status;          /* the HTTP status, or 0 when no answer's headers came whole (a refused
                        * connection, a timeout, a receiver trickling its status line); kept when
                        * the body broke off after it, with <error> saying how */
  long duration_ms;    /* from submission to the end of the transfer */
  long retry_after_s;  /* the answer's Retry-After in seconds (delta or HTTP date), or -1 */
  bool cut;            /* the answer was longer than SR_WEBHOOK_MAX_ANSWER and was cut */
  char error[256];     /* "" when an HTTP answer came in full (or cut); else what went wrong, in
                        * words: "timed out after 15000 ms", "connection refused", "connection
                        * reset by peer", "127.0.0.1 is a loopback address", "TLS: ...". A delivery
                        * succeeded when <error> is "" and <status> is 2xx. */
  size_t head_len;
  char head[SR_WEBHOOK_ANSWER_KEPT + 1]; /* the answer's first bytes, NUL-terminated */
};

/* A sender that runs at most <max_transfers> (1..SR_WEBHOOK_MAX_TRANSFERS) at once, under <p>
 * (which must outlive it); NULL with the reason in <err>. */
struct sr_net_sender *sr_net_sender_new(const struct sr_net_policy *p, int max_transfers, char *err, size_t errsz);
void sr_net_sender_free(struct sr_net_sender *s);
/* Starts <rq> (its strings are copied; "Expect:" is added so a large body goes at once). False
 * when the sender is full, out of memory, or a header holds a line break. A URL curl cannot use
 * is no refusal here: it comes back as a result with its error. */
bool sr_net_sender_submit(struct sr_net_sender *s, const struct sr_net_request *rq);
/* The transfers submitted and not yet given back. */
int sr_net_sender_inflight(const struct sr_net_sender *s);
/* Moves the transfers on, waiting up to <timeout_ms> for something to happen (returning early
 * when a transfer ends, or when sr_net_sender_wakeup is called), and gives back up to <max>
 * finished ones in <out>; returns how many. */
int sr_net_sender_poll(struct sr_net_sender *s, int timeout_ms, struct sr_net_result *out, int max);
/* Wakes a sr_net_sender_poll waiting in another thread (for shutdown). */
void sr_net_sender_wakeup(struct sr_net_sender *s);

#endif
