/*
 * http_session.h -- who a request is, for the edge: the bearer token of the Authorization header
 * when one is sent (it wins), else the session cookie, which on any method but GET and HEAD
 * needs the session's X-CSRF-Token (a page of another site can make the browser send the
 * cookie, never that header). And the Set-Cookie of a session.
 */
#ifndef sr_http_session_h
#define sr_http_session_h

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "role.h"

/* The caller of a request of <method> with these headers (each NULL when absent) into <who>.
 * SR_OK; SR_UNAUTHORIZED or SR_FORBIDDEN (no CSRF token, or a wrong one) with the sentence to
 * say in *why; SR_UNAVAILABLE when the database fails. */
enum sr_err sr_http_session_authenticate(PGconn *db, const char *method, const char *authorization,
                                         const char *cookie, const char *csrf, struct sr_principal *who,
                                         const char **why);

/* The Set-Cookie value of a session cookie of <value> (NULL: the cookie cleared), Secure when
 * <secure>: SEREG_COOKIE_SECURE=1, or the request came through a proxy that says it was https. */
void sr_http_session_cookie(char *out, size_t outsz, const char *value, bool secure);

#endif
