/*
 * session.h -- people's sessions: a login by name and password opens a session, whose cookie
 * (32 random bytes, base64url) is stored only as its SHA-256 and ends after an idle time, after
 * an absolute time, or when revoked (logout, an account disabled or reset). Failed logins are
 * slowed and then lock the account for a while; every login, failed login, lock and logout is
 * on the audit record. Every failure of a login answers the same, and costs one Argon2id
 * verification, whatever the reason (no such account, a wrong password, disabled, locked).
 * Instants are the server's clock (clock.h), so tests move them.
 */
#ifndef sr_session_h
#define sr_session_h

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctx.h"

#define SR_SESSION_COOKIE "sereg_session"
#define SR_SESSION_VALUE_LEN 43 /* 32 bytes in base64url without padding */
#define SR_CSRF_LEN 64

/* The settings in force, from the environment (defaults in sr_limits.h). */
struct sr_session_config {
  long idle_s;       /* SEREG_SESSION_IDLE: a session ends after this long without a request */
  long max_s;        /* SEREG_SESSION_MAX: and this long after its login */
  long max_failures; /* SEREG_LOGIN_MAX_FAILURES: failed logins within the window that lock */
  long window_s;     /* SEREG_LOGIN_WINDOW */
  long lock_s;       /* SEREG_LOGIN_LOCK: how long a lock lasts */
  long delay_s;      /* SEREG_LOGIN_DELAY: the first wait between tries after two failures (0: none) */
  bool secure;       /* SEREG_COOKIE_SECURE=1: the cookie is Secure whatever the request says */
};

/* Reads and checks the settings once (and the password parameters, password.h). False with the
 * reason in <err> when one is malformed: a server refuses to start on it. */
bool sr_session_setup(char *err, size_t errsz);
const struct sr_session_config *sr_session_config(void);

enum sr_login_result { SR_LOGIN_SUCCESS, SR_LOGIN_FAILURE, SR_LOGIN_LOCKED, SR_LOGIN_RESULTS };

/* A login's outcome: the new session's cookie value and its answer (contract of
 * POST /api/v1/session: account, csrf_token, expires_at, idle_expires_at), and how it went. */
struct sr_login {
  char cookie[SR_SESSION_VALUE_LEN + 1];
  cJSON *answer; /* caller owns it */
  enum sr_login_result result;
};

/* Logs <name> in with <password>. SR_OK with <out> filled; SR_UNAUTHORIZED with the one
 * problem every failure gives; SR_INTERNAL when the database fails. */
enum sr_err sr_session_login(PGconn *db, const char *request_id, const char *name, const char *password,
                             struct sr_login *out, struct sr_problem *pb);

/* The value of the session cookie in a Cookie header, into <out>; false when there is none of
 * the right shape. */
bool sr_session_cookie_value(const char *cookie_header, char out[SR_SESSION_VALUE_LEN + 1]);
/* Resolves the session whose cookie value is <value> into <who> (and notes its use, at most
 * once a minute). SR_UNAUTHORIZED when it is unknown, revoked, idle or past its end, or its
 * account disabled; SR_UNAVAILABLE when the database fails. */
enum sr_err sr_session_authenticate(PGconn *db, const char *value, struct sr_principal *who);
/* Whether <header> is the CSRF token of the session <value> (compared in constant time). */
bool sr_session_csrf_ok(const char *value, const char *header);

/* The answer of GET /api/v1/session for the session <value> of the caller of <c>: SR_UNAUTHORIZED
 * when it is not a live session of that account. */
enum sr_err sr_session_describe(struct sr_ctx *c, const char *value, cJSON **out, struct sr_problem *pb);
/* Revokes the caller's session <value> (logout), with its audit record. */
enum sr_err sr_session_logout(struct sr_ctx *c, const char *value, struct sr_problem *pb);

/* Sessions live now (not revoked, not idle, not past their end), read from the database at most
 * every SR_SESSIONS_GAUGE_S seconds and put in the metrics. */
void sr_session_gauge(PGconn *db);

#endif
