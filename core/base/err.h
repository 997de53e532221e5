/*
 * err.h -- the one table of sereg error codes.
 *
 * Each entry is XX(NAME, http_status, "problem type slug", "title"). The table expands into the
 * enum, the HTTP mapping and the problem+json titles, so a new error is one line here.
 */
#ifndef sr_err_h
#define sr_err_h

#define SR_ERR_MAP(XX)                                                              \
  XX(OK, 200, "ok", "OK")                                                           \
  XX(BAD_REQUEST, 400, "bad-request", "The request is malformed")                   \
  XX(UNAUTHORIZED, 401, "unauthorized", "A valid bearer token is required")         \
  XX(FORBIDDEN, 403, "forbidden", "Your role may not do this")                      \
  XX(NOT_FOUND, 404, "not-found", "No such resource")                               \
  XX(METHOD, 405, "method-not-allowed", "Method not allowed on this resource")      \
  XX(CONFLICT, 409, "conflict", "The request conflicts with the current state")     \
  XX(PRECONDITION, 412, "precondition-failed", "The resource has changed")          \
  XX(TOO_LARGE, 413, "too-large", "The request body is too large")                  \
  XX(UNSUPPORTED_MEDIA, 415, "unsupported-media-type", "Send application/json")     \
  XX(INVALID, 422, "invalid", "The request has invalid fields")                     \
  XX(PRECONDITION_REQUIRED, 428, "precondition-required", "If-Match is required")   \
  XX(TOO_MANY, 429, "too-many-requests", "Too much for now; try again later")        \
  XX(INTERNAL, 500, "internal", "Internal error")                                   \
  XX(PLUGIN, 500, "plugin-failed", "A rule plugin failed")                          \
  XX(UNAVAILABLE, 503, "unavailable", "The service is unavailable")

enum sr_err {
#define SR_ERR_ENUM(name, status, slug, title) SR_##name,
  SR_ERR_MAP(SR_ERR_ENUM)
#undef SR_ERR_ENUM
  SR_ERR__COUNT
};

int sr_err_status(enum sr_err e);
const char *sr_err_slug(enum sr_err e);
const char *sr_err_title(enum sr_err e);

#endif
