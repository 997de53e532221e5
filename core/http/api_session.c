/*
 * api_session.c -- people's sessions over HTTP: POST /api/v1/session logs in (public, so that
 * the body is read without a caller), GET says who the session is and gives its CSRF token,
 * DELETE logs out. The work is domain/session.c's; here the body, the cookie and its Secure.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "http_session.h"
#include "json.h"
#include "session.h"
#include "sr_limits.h"

/* Secure when the settings say always, or when the proxy in front says the client came over
 * https: X-Forwarded-Proto can only add the attribute, never take it away, so a client who sends
 * it itself harms no one but its own plain-http session. */
static bool secure(struct sr_call *call)
{
  const char *proto = sr_call_header(call, "X-Forwarded-Proto");
  return sr_session_config()->secure || (proto && strncasecmp(proto, "https", 5) == 0);
}

void sr_h_session_create(struct sr_call *call)
{
  cJSON *body = sr_api_body(call);
  if(!body)
    return;
  static const char *const fields[] = { "account", "password", NULL };
  sr_json_only(body, fields, &call->pb);
  const char *name = sr_json_string(body, "account", true, SR_LOGIN_NAME_MAX_BYTES * 2, &call->pb);
  const char *password = sr_json_string(body, "password", true, SR_PASSWORD_MAX_BYTES, &call->pb);
  if(sr_problem_nfields(&call->pb) == 0) {
    struct sr_login login;
    if(sr_session_login(call->ctx.db, call->ctx.request_id, name, password, &login, &call->pb) == SR_OK) {
      call->status = 201;
      call->json = login.answer;
      sr_http_session_cookie(call->set_cookie, sizeof call->set_cookie, login.cookie, secure(call));
    }
  }
  else if(call->pb.err == SR_OK)
    call->pb.err = SR_INVALID;
  cJSON_Delete(body);
}

static bool cookie(struct sr_call *call, char value[SR_SESSION_VALUE_LEN + 1])
{
  if(sr_session_cookie_value(sr_call_header(call, "Cookie"), value))
    return true;
  sr_problem_set(&call->pb, SR_UNAUTHORIZED, "This request carries no session cookie; log in (POST /api/v1/session).");
  return false;
}

void sr_h_session_get(struct sr_call *call)
{
  char value[SR_SESSION_VALUE_LEN + 1];
  if(cookie(call, value))
    sr_session_describe(&call->ctx, value, &call->json, &call->pb);
}

void sr_h_session_delete(struct sr_call *call)
{
  char value[SR_SESSION_VALUE_LEN + 1];
  if(!cookie(call, value) || sr_session_logout(&call->ctx, value, &call->pb) != SR_OK)
    return;
  call->status = 204;
  sr_http_session_cookie(call->set_cookie, sizeof call->set_cookie, NULL, secure(call));
}
