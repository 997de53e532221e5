/* http_session.c -- see http_session.h. */
#include "http_session.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "i18n.h"
#include "session.h"

enum sr_err sr_http_session_authenticate(PGconn *db, const char *method, const char *authorization,
                                         const char *cookie, const char *csrf, struct sr_principal *who,
                                         const char **why)
{
  char value[SR_SESSION_VALUE_LEN + 1];
  *why = N_("The database is unavailable.");
  if(authorization || !sr_session_cookie_value(cookie, value)) {
    enum sr_err e = sr_authenticate(db, authorization, who);
    if(e == SR_UNAUTHORIZED)
      *why = N_("Send a valid token as 'Authorization: Bearer <token>', or log in (POST /api/v1/session).");
    return e;
  }
  enum sr_err e = sr_session_authenticate(db, value, who);
  if(e == SR_UNAUTHORIZED)
    *why = N_("The session has ended (logged out, idle too long or past its time); log in again.");
  if(e != SR_OK)
    return e;
  if(strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && !sr_session_csrf_ok(value, csrf)) {
    *why = N_("A change made with a session cookie needs the session's X-CSRF-Token header (from POST or GET "
              "/api/v1/session).");
    return SR_FORBIDDEN;
  }
  return SR_OK;
}

void sr_http_session_cookie(char *out, size_t outsz, const char *value, bool secure)
{
  snprintf(out, outsz, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", SR_SESSION_COOKIE, value ? value : "",
           value ? "" : "; Max-Age=0", secure ? "; Secure" : "");
}
