/*
 * http_guard.h -- what keeps one client, or many slow ones, from taking the server: limits on
 * connections (in all and per client address), deadlines for a request to arrive (its request
 * line, its headers, its body at a minimum rate), and a ceiling on the memory that all request
 * bodies in flight may hold. libmicrohttpd enforces the connection counts; a guard thread cuts
 * the connections that pass a deadline, because libmicrohttpd's own timeout is an idle timeout
 * that a client trickling a byte at a time never reaches.
 */
#ifndef sr_http_guard_h
#define sr_http_guard_h

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct sr_http_limits {
  unsigned max_connections; /* in all */
  unsigned max_per_ip;      /* from one client address; 0: no limit (behind a proxy) */
  long idle_timeout;        /* seconds a connection may wait for its next request line */
  long header_timeout;      /* seconds from the request line to the end of the headers */
  long body_timeout;        /* seconds a body may take before the minimum rate applies */
  long min_body_rate;       /* bytes per second a body must average after that */
  size_t body_memory;       /* bytes all buffered request bodies may hold together */
};

/* The limits from SEREG_HTTP_* in the environment, or their defaults. False, with a message
 * naming the variable in <err>, when one is set to something that is not a valid value. */
bool sr_http_limits_from_env(struct sr_http_limits *l, char *err, size_t errsz);

/* Starts and stops the thread that cuts connections past their deadline. */
bool sr_guard_start(const struct sr_http_limits *l);
void sr_guard_stop(void);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback: tracks each connection. */
void sr_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);

/* Where a connection's current request stands; each phase has its own deadline. */
enum sr_guard_phase {
  SR_GUARD_WAIT,    /* waiting for a request line (a new or a kept-alive connection) */
  SR_GUARD_HEADERS, /* the request line is in; the headers are not */
  SR_GUARD_BODY,    /* the headers are in; the body is being read */
  SR_GUARD_SERVING  /* the request is complete: handler and answer have no deadline here */
};

/* Moves <conn>'s connection to <phase>, starting that phase's clock now. */
void sr_guard_phase(struct MHD_Connection *conn, enum sr_guard_phase phase);
/* Counts <n> body bytes received on <conn>'s connection (for the minimum rate). */
void sr_guard_received(struct MHD_Connection *conn, size_t n);

/* Reserves <n> bytes of the shared body memory; false (nothing reserved) when that would pass
 * the ceiling. Each successful reservation is given back with sr_guard_release. */
bool sr_guard_reserve(size_t n);
void sr_guard_release(size_t n);

/* For /metrics: connections open now, body bytes held now, and the totals of connections cut
 * by phase and of bodies refused for memory. */
struct sr_guard_stats {
  long connections;
  long long body_bytes;
  long cut_wait, cut_headers, cut_body;
  long refused_memory;
};
void sr_guard_stats(struct sr_guard_stats *out);
void sr_guard_count_refused(void);

#endif
