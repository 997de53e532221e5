/* http_guard.c -- see http_guard.h. */
#include "http_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "sr_limits.h"
#include "util.h"

/* One tracked connection. The list and membership in it are under <lock>; a connection's
 * phase, clock and byte count are atomics its own thread writes and the guard thread reads. */
struct gconn {
  struct gconn *prev, *next;
  int fd;
  atomic_int phase;
  atomic_llong since_ms;
  atomic_llong bytes;
  bool cut;
};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  bool started, stopping;
  struct gconn *head;
  struct sr_http_limits limits;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static atomic_long open_conns, cut_by_phase[3], refused_memory;
static atomic_llong body_bytes;
static atomic_size_t body_ceiling = SR_HTTP_BODY_MEMORY;

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ==== settings ==== */

struct setting {
  const char *name;
  long min, max, def;
  long *out;
};

bool sr_http_limits_from_env(struct sr_http_limits *l, char *err, size_t errsz)
{
  long max_conn, per_ip, memory_mib;
  struct setting s[] = {
    { "SEREG_HTTP_MAX_CONNECTIONS", 8, 100000, SR_HTTP_MAX_CONNECTIONS, &max_conn },
    { "SEREG_HTTP_MAX_PER_IP", 0, 100000, SR_HTTP_MAX_PER_IP, &per_ip },
    { "SEREG_HTTP_IDLE_TIMEOUT", 1, 3600, SR_HTTP_IDLE_TIMEOUT, &l->idle_timeout },
    { "SEREG_HTTP_HEADER_TIMEOUT", 1, 600, SR_HTTP_HEADER_TIMEOUT, &l->header_timeout },
    { "SEREG_HTTP_BODY_TIMEOUT", 1, 3600, SR_HTTP_BODY_TIMEOUT, &l->body_timeout },
    { "SEREG_HTTP_MIN_BODY_RATE", 0, 1L << 30, SR_HTTP_MIN_BODY_RATE, &l->min_body_rate },
    { "SEREG_HTTP_BODY_MEMORY_MIB", 16, 1L << 20, SR_HTTP_BODY_MEMORY >> 20, &memory_mib },
  };
  for(size_t i = 0; i < sizeof s / sizeof *s; i++) {
    const char *v = getenv(s[i].name);
    *s[i].out = s[i].def;
    if(v && !sr_parse_long(v, s[i].min, s[i].max, s[i].out)) {
      snprintf(err, errsz, "%s takes a whole number from %ld to %ld", s[i].name, s[i].min, s[i].max);
      return false;
    }
  }
  l->max_connections = (unsigned)max_conn;
  l->max_per_ip = (unsigned)per_ip;
  l->body_memory = (size_t)memory_mib << 20;
  return true;
}

/* ==== connections ==== */

void sr_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
  (void)cls;
  if(toe == MHD_CONNECTION_NOTIFY_STARTED) {
    struct gconn *c = calloc(1, sizeof *c);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = c;
    if(!c)
      return; /* untracked: it still has libmicrohttpd's idle timeout */
    c->fd = ci ? ci->connect_fd : -1;
    atomic_init(&c->phase, SR_GUARD_WAIT);
    atomic_init(&c->since_ms, now_ms());
    atomic_init(&c->bytes, 0);
    pthread_mutex_lock(&g.lock);
    c->next = g.head;
    if(g.head)
      g.head->prev = c;
    g.head = c;
    pthread_mutex_unlock(&g.lock);
    atomic_fetch_add(&open_conns, 1);
    return;
  }
  /* Closed. libmicrohttpd calls this before it closes the socket, so once the entry is out
   * of the list (under the lock the guard thread cuts with) its fd is never touched again. */
  struct gconn *c = *socket_context;
  if(!c)
    return;
  pthread_mutex_lock(&g.lock);
  if(c->prev)
    c->prev->next = c->next;
  else
    g.head = c->next;
  if(c->next)
    c->next->prev = c->prev;
  pthread_mutex_unlock(&g.lock);
  atomic_fetch_sub(&open_conns, 1);
  free(c);
  *socket_context = NULL;
}

static struct gconn *conn_of(struct MHD_Connection *conn)
{
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

void sr_guard_phase(struct MHD_Connection *conn, enum sr_guard_phase phase)
{
  struct gconn *c = conn_of(conn);
  if(!c)
    return;
  atomic_store(&c->since_ms, now_ms());
  atomic_store(&c->bytes, 0);
  atomic_store(&c->phase, (int)phase);
}

void sr_guard_received(struct MHD_Connection *conn, size_t n)
{
  struct gconn *c = conn_of(conn);
  if(c)
    atomic_fetch_add(&c->bytes, (long long)n);
}

/* True when connection <c> has passed its phase's deadline at <now>. */
static bool overdue(const struct gconn *c, long long now, int *phase)
{
  *phase = atomic_load(&c->phase);
  long long age = now - atomic_load(&c->since_ms);
  const struct sr_http_limits *l = &g.limits;
  switch(*phase) {
  case SR_GUARD_WAIT:
    return age > l->idle_timeout * 1000;
  case SR_GUARD_HEADERS:
    return age > l->header_timeout * 1000;
  case SR_GUARD_BODY: {
    /* The body may take body_timeout, and then as long again as its bytes at the minimum rate
     * would: a slow link gets through, a byte every few seconds does not. */
    long long allowed = l->body_timeout * 1000;
    if(l->min_body_rate > 0)
      allowed += atomic_load(&c->bytes) * 1000 / l->min_body_rate;
    return age > allowed;
  }
  default:
    return false;
  }
}

static void *guard_run(void *arg)
{
  (void)arg;
  pthread_mutex_lock(&g.lock);
  while(!g.stopping) {
    long long now = now_ms();
    for(struct gconn *c = g.head; c; c = c->next) {
      int phase;
      if(c->cut || c->fd < 0 || !overdue(c, now, &phase))
        continue;
      /* shutdown(), not close(): the socket stays libmicrohttpd's, which sees the end of the
       * stream on its next read and closes the connection its own way. */
      shutdown(c->fd, SHUT_RDWR);
      c->cut = true;
      atomic_fetch_add(&cut_by_phase[phase], 1);
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += SR_HTTP_GUARD_TICK_MS * 1000000L;
    if(until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while(!g.stopping && pthread_cond_timedwait(&g.wake, &g.lock, &until) != ETIMEDOUT)
      ;
  }
  pthread_mutex_unlock(&g.lock);
  return NULL;
}

bool sr_guard_start(const struct sr_http_limits *l)
{
  g.limits = *l;
  atomic_store(&body_ceiling, l->body_memory);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&g.wake, &attr);
  pthread_condattr_destroy(&attr);
  g.stopping = false;
  int rc = pthread_create(&g.thread, NULL, guard_run, NULL);
  if(rc != 0) {
    sr_error("http: cannot start the connection guard (error %d)", rc);
    return false;
  }
  g.started = true;
  return true;
}

void sr_guard_stop(void)
{
  if(!g.started)
    return;
  pthread_mutex_lock(&g.lock);
  g.stopping = true;
  pthread_cond_signal(&g.wake);
  pthread_mutex_unlock(&g.lock);
  pthread_join(g.thread, NULL);
  pthread_cond_destroy(&g.wake);
  g.started = false;
}

/* ==== body memory ==== */

bool sr_guard_reserve(size_t n)
{
  long long cur = atomic_load(&body_bytes);
  long long ceiling = (long long)atomic_load(&body_ceiling);
  do {
    if(cur + (long long)n > ceiling)
      return false;
  } while(!atomic_compare_exchange_weak(&body_bytes, &cur, cur + (long long)n));
  return true;
}

void sr_guard_release(size_t n) { atomic_fetch_sub(&body_bytes, (long long)n); }

void sr_guard_count_refused(void) { atomic_fetch_add(&refused_memory, 1); }

void sr_guard_stats(struct sr_guard_stats *out)
{
  out->connections = atomic_load(&open_conns);
  out->body_bytes = atomic_load(&body_bytes);
  out->cut_wait = atomic_load(&cut_by_phase[SR_GUARD_WAIT]);
  out->cut_headers = atomic_load(&cut_by_phase[SR_GUARD_HEADERS]);
  out->cut_body = atomic_load(&cut_by_phase[SR_GUARD_BODY]);
  out->refused_memory = atomic_load(&refused_memory);
}
