/*
 * notice_format.h -- what a notice format (sereg.notice_format) declares, as data the core
 * checks once when the plugin loads: { name, title, version, content_type }, its render()
 * function being the engine's to hold. The formats a set holds and how one is asked to render
 * are in plugin.h.
 */
#ifndef sr_notice_format_h
#define sr_notice_format_h

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The format every subscription has unless it names another: the core's own, never a plugin's. */
#define SR_NOTICE_STANDARD "standard"
/* The content type of a format that does not declare one. */
#define SR_NOTICE_DEFAULT_CONTENT_TYPE "application/json; charset=utf-8"

/* Checks a format's definition: only the known keys; a name ^[a-z][a-z0-9_]{0,31}$ other than
 * "standard"; a title of 1..SR_NOTICE_MAX_TITLE bytes of UTF-8 without control characters; a
 * version 1.2.3; a content type, if given, that is a media type; and <functions> holding
 * render. On failure the reason is in <why>. */
bool sr_notice_format_check(const cJSON *spec, unsigned functions, char *why, size_t n);

/* Whether <s> is a media type as a Content-Type header carries it (RFC 9110 §8.3.1):
 * token/token, then parameters "; name=value" whose value is a token or a quoted string; ASCII,
 * no CR, LF or other control characters, at most SR_NOTICE_MAX_CONTENT_TYPE bytes. */
bool sr_notice_format_media_type_ok(const char *s);

#endif
