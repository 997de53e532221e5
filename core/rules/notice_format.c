/* notice_format.c -- see notice_format.h. */
#include "notice_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eqtype.h"
#include "sr_limits.h"
#include "util.h"

static bool fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t n, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
  return false;
}

/* RFC 9110 §5.6.2: tchar. */
static bool tchar(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The length of the token at <s> (0: none). */
static size_t token(const char *s)
{
  size_t i = 0;
  while(tchar((unsigned char)s[i]))
    i++;
  return i;
}

/* The length of the quoted string at <s>, quotes included (0: none, or not closed). Only ASCII:
 * a header value has no business with obs-text. */
static size_t quoted(const char *s)
{
  if(s[0] != '"')
    return 0;
  for(size_t i = 1; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if(c == '"')
      return i + 1;
    if(c == '\\') {
      c = (unsigned char)s[++i];
      if(!(c == '\t' || (c >= 0x20 && c < 0x7f)))
        return 0;
    }
    else if(!(c == '\t' || (c >= 0x20 && c < 0x7f)))
      return 0;
  }
  return 0;
}

static const char *ows(const char *s)
{
  while(*s == ' ' || *s == '\t')
    s++;
  return s;
}

bool sr_notice_format_media_type_ok(const char *s)
{
  if(!s || strlen(s) > SR_NOTICE_MAX_CONTENT_TYPE)
    return false;
  size_t k = token(s);
  if(k == 0 || s[k] != '/')
    return false;
  s += k + 1;
  if((k = token(s)) == 0)
    return false;
  s += k;
  for(;;) {
    s = ows(s);
    if(*s == '\0')
      return true;
    if(*s != ';')
      return false;
    s = ows(s + 1);
    if(*s == ';' || *s == '\0') /* an empty parameter, as the grammar allows */
      continue;
    if((k = token(s)) == 0 || s[k] != '=')
      return false;
    s += k + 1;
    if((k = token(s)) == 0 && (k = quoted(s)) == 0)
      return false;
    s += k;
  }
}

static const char *str_of(const cJSON *spec, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool title_ok(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  if(n == 0 || n > SR_NOTICE_MAX_TITLE || !sr_utf8_valid(s, n))
    return false;
  for(size_t i = 0; i < n; i++)
    if((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

bool sr_notice_format_check(const cJSON *spec, unsigned functions, char *why, size_t n)
{
  static const char *const keys[] = { "name", "title", "version", "content_type", NULL };
  if(!cJSON_IsObject(spec))
    return fail(why, n, "a notice format must be a table of named values");
  for(const cJSON *c = spec->child; c; c = c->next) {
    const char *const *k = keys;
    while(*k && strcmp(*k, c->string) != 0)
      k++;
    if(!*k)
      return fail(why, n, "unknown key '%s' (a notice format has name, title, version, content_type, render)",
                  c->string);
  }
  const char *name = str_of(spec, "name"), *version = str_of(spec, "version");
  const cJSON *ct = cJSON_GetObjectItemCaseSensitive(spec, "content_type");
  if(!name || !sr_eqtype_name_ok(name, 32))
    return fail(why, n, "'name' must match ^[a-z][a-z0-9_]{0,31}$");
  if(strcmp(name, SR_NOTICE_STANDARD) == 0)
    return fail(why, n, "'name' may not be \"%s\": that format is the core's own", SR_NOTICE_STANDARD);
  if(!title_ok(str_of(spec, "title")))
    return fail(why, n, "'title' must be 1..%d bytes of UTF-8 without control characters", SR_NOTICE_MAX_TITLE);
  if(!version || !sr_eqtype_version_ok(version))
    return fail(why, n, "'version' must look like 1.2.3");
  if(ct && !(cJSON_IsString(ct) && sr_notice_format_media_type_ok(ct->valuestring)))
    return fail(why, n, "'content_type' must be a media type such as \"%s\" (type/subtype; name=value; at "
                        "most %d bytes, no line breaks)", SR_NOTICE_DEFAULT_CONTENT_TYPE, SR_NOTICE_MAX_CONTENT_TYPE);
  if(!(functions & SR_FN_BIT(SR_FN_RENDER)))
    return fail(why, n, "'render' is required: a function render(event) that answers the body");
  return true;
}
