/* util.c -- see util.h. */
#include "util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ==== dates ==== */

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
  static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

int sr_date_days_in_month(int y, int m) { return days_in_month(y, m); }

/* Howard Hinnant's days_from_civil / civil_from_days: exact for any year, no tables. */
long sr_date_to_days(struct sr_date d)
{
  long y = d.y - (d.m <= 2);
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;
  long doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct sr_date sr_date_from_days(long z)
{
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  struct sr_date d;
  d.d = (int)(doy - (153 * mp + 2) / 5 + 1);
  d.m = (int)(mp < 10 ? mp + 3 : mp - 9);
  d.y = (int)(yoe + era * 400 + (d.m <= 2));
  return d;
}

struct sr_date sr_date_add_days(struct sr_date d, long n) { return sr_date_from_days(sr_date_to_days(d) + n); }

struct sr_date sr_date_add_months(struct sr_date d, long n)
{
  long months = (long)d.y * 12 + (d.m - 1) + n;
  struct sr_date r;
  r.y = (int)(months >= 0 ? months / 12 : (months - 11) / 12);
  r.m = (int)(months - (long)r.y * 12) + 1;
  int last = days_in_month(r.y, r.m);
  r.d = d.d > last ? last : d.d;
  return r;
}

bool sr_date_parse(const char *s, struct sr_date *out)
{
  if(!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for(int i = 0; i < 10; i++)
    if(i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
      return false;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  int d = (s[8] - '0') * 10 + (s[9] - '0');
  if(y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return false;
  out->y = y;
  out->m = m;
  out->d = d;
  return true;
}

void sr_date_format(struct sr_date d, char buf[11])
{
  unsigned y = (unsigned)d.y % 10000, m = (unsigned)d.m % 100, day = (unsigned)d.d % 100;
  snprintf(buf, 11, "%04u-%02u-%02u", y, m, day);
}

int sr_date_cmp(struct sr_date a, struct sr_date b)
{
  if(a.y != b.y)
    return a.y < b.y ? -1 : 1;
  if(a.m != b.m)
    return a.m < b.m ? -1 : 1;
  return a.d < b.d ? -1 : a.d > b.d;
}

bool sr_today_check_env(const char **why)
{
  const char *now = getenv("SEREG_NOW");
  struct sr_date d;
  if(now && *now && !sr_date_parse(now, &d)) {
    *why = "SEREG_NOW must be a date YYYY-MM-DD";
    return false;
  }
  return true;
}

struct sr_date sr_today(void)
{
  struct sr_date d;
  const char *now = getenv("SEREG_NOW");
  if(now && *now && sr_date_parse(now, &d))
    return d;
  /* Asia/Shanghai has had no daylight saving since 1991: UTC+8 is exact for dates we serve. */
  time_t t = time(NULL) + 8 * 3600;
  struct tm tm;
  gmtime_r(&t, &tm);
  d.y = tm.tm_year + 1900;
  d.m = tm.tm_mon + 1;
  d.d = tm.tm_mday;
  return d;
}

/* ==== UTF-8 ==== */

bool sr_utf8_valid(const char *str, size_t len)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while(i < len) {
    unsigned c = s[i];
    if(c == 0)
      return false;
    if(c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    unsigned cp;
    if(c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    }
    else if(c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    }
    else if(c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    }
    else
      return false;
    if(i + n >= len) /* the sequence runs past the end */
      return false;
    for(size_t k = 1; k <= n; k++) {
      if((s[i + k] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
       (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

void sr_utf8_fold(char *s)
{
  unsigned char *r = (unsigned char *)s, *w = r;
  while(*r) {
    /* Everything folded is a three-byte character: EF BC 81..EF BD 9E, E3 80 80, E3 80 90/91/94/95. */
    if(r[0] == 0xEF && (r[1] == 0xBC || r[1] == 0xBD) && r[2]) {
      unsigned cp = 0xF000u | ((unsigned)(r[1] & 0x3F) << 6) | (r[2] & 0x3Fu);
      if(cp >= 0xFF01 && cp <= 0xFF5E) {
        *w++ = (unsigned char)(cp - 0xFF01 + 0x21);
        r += 3;
        continue;
      }
    }
    if(r[0] == 0xE3 && r[1] == 0x80 && r[2]) {
      static const struct {
        unsigned char b;
        char to;
      } cjk[] = { { 0x80, ' ' }, { 0x90, '[' }, { 0x91, ']' }, { 0x94, '(' }, { 0x95, ')' } };
      size_t i;
      for(i = 0; i < sizeof cjk / sizeof *cjk && cjk[i].b != r[2]; i++)
        ;
      if(i < sizeof cjk / sizeof *cjk) {
        *w++ = (unsigned char)cjk[i].to;
        r += 3;
        continue;
      }
    }
    *w++ = *r++;
  }
  *w = '\0';
}

void sr_utf8_trim(char *s)
{
  size_t n = strlen(s);
  for(int i = 0; i < 4 && n > 0 && !sr_utf8_valid(s, n); i++)
    s[--n] = '\0';
}

/* East Asian Wide and Fullwidth, the blocks a register's text draws on. */
static bool wide(unsigned cp)
{
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
         (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
         (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

int sr_utf8_display_width(const char *s)
{
  int w = 0;
  for(const unsigned char *p = (const unsigned char *)s; *p;) {
    unsigned cp = *p;
    int len = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if(len > 1) {
      cp &= 0xFF >> (len + 1);
      for(int i = 1; i < len && p[i]; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    for(int i = 0; i < len && *p; i++)
      p++;
    w += wide(cp) ? 2 : 1;
  }
  return w;
}

/* ==== hashing and tokens ==== */

void sr_sha256_hex(const void *data, size_t len, char hex[65])
{
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  for(unsigned i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  hex[64] = '\0';
}

bool sr_random_token(char out[48])
{
  static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char raw[33];
  if(RAND_bytes(raw, sizeof raw) != 1)
    return false;
  memcpy(out, "sr_", 3);
  size_t o = 3;
  for(size_t i = 0; i + 2 < sizeof raw && o + 4 <= 47; i += 3) {
    unsigned v = ((unsigned)raw[i] << 16) | ((unsigned)raw[i + 1] << 8) | raw[i + 2];
    out[o++] = b64u[(v >> 18) & 63];
    out[o++] = b64u[(v >> 12) & 63];
    out[o++] = b64u[(v >> 6) & 63];
    out[o++] = b64u[v & 63];
  }
  out[o] = '\0';
  return true;
}

/* ==== buffers and files ==== */

void sr_buf_init(struct sr_buf *b, size_t max)
{
  b->data = NULL;
  b->len = b->cap = 0;
  b->max = max;
}

bool sr_buf_append(struct sr_buf *b, const void *p, size_t n)
{
  if(n > b->max || b->len > b->max - n)
    return false;
  if(b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while(cap < b->len + n + 1)
      cap *= 2;
    char *nd = realloc(b->data, cap);
    if(!nd)
      return false;
    b->data = nd;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return true;
}

bool sr_buf_grow(struct sr_buf *b, size_t cap)
{
  if(cap <= b->cap)
    return true;
  char *nd = realloc(b->data, cap);
  if(!nd)
    return false;
  b->data = nd;
  b->cap = cap;
  return true;
}

bool sr_buf_printf(struct sr_buf *b, const char *fmt, ...)
{
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if(n < 0)
    return false;
  if((size_t)n < sizeof small)
    return sr_buf_append(b, small, (size_t)n);
  char *big = malloc((size_t)n + 1);
  if(!big)
    return false;
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  bool ok = sr_buf_append(b, big, (size_t)n);
  free(big);
  return ok;
}

void sr_buf_free(struct sr_buf *b)
{
  free(b->data);
  sr_buf_init(b, b->max);
}

bool sr_read_file(const char *path, size_t max, char **out, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if(!f)
    return false;
  struct sr_buf b;
  sr_buf_init(&b, max);
  char chunk[8192];
  size_t n;
  bool ok = true;
  while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if(!sr_buf_append(&b, chunk, n)) {
      errno = EFBIG;
      ok = false;
      break;
    }
  if(ferror(f))
    ok = false;
  fclose(f);
  if(ok && !b.data)
    ok = sr_buf_append(&b, "", 0);
  if(!ok) {
    sr_buf_free(&b);
    return false;
  }
  *out = b.data;
  if(len)
    *len = b.len;
  return true;
}

bool sr_parse_long(const char *s, long min, long max, long *out)
{
  if(!s || !*s)
    return false;
  errno = 0;
  char *end;
  long v = strtol(s, &end, 10);
  if(errno || *end || v < min || v > max || (*s != '-' && (*s < '0' || *s > '9')))
    return false;
  *out = v;
  return true;
}
