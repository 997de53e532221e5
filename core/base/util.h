/*
 * util.h -- small helpers with no domain knowledge: calendar dates, "today", UTF-8 checks,
 * hashing and random tokens, a growable byte buffer with a ceiling.
 */
#ifndef sr_util_h
#define sr_util_h

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A calendar date (Asia/Shanghai civil date; no time of day). */
struct sr_date {
  int y, m, d;
};

/* Parse exactly "YYYY-MM-DD" with a real day of a real month (leap years included). */
bool sr_date_parse(const char *s, struct sr_date *out);
/* Writes "YYYY-MM-DD" and a NUL into <buf>, which holds at least 11 bytes. */
void sr_date_format(struct sr_date d, char buf[11]);
int sr_date_cmp(struct sr_date a, struct sr_date b);
/* Day arithmetic on the proleptic Gregorian calendar. */
long sr_date_to_days(struct sr_date d);   /* days since 1970-01-01 */
struct sr_date sr_date_from_days(long days);
struct sr_date sr_date_add_days(struct sr_date d, long n);
/* Adds <n> months; a day past the end of the target month becomes its last day (01-31 + 1 = 02-28/29). */
struct sr_date sr_date_add_months(struct sr_date d, long n);
int sr_date_days_in_month(int y, int m);
/* Today in Asia/Shanghai, or SEREG_NOW (YYYY-MM-DD) when it is set and valid. */
struct sr_date sr_today(void);
/* Validates SEREG_NOW once; returns false with a message when it is set but malformed. */
bool sr_today_check_env(const char **why);

/* True when <s>[0..len) is well-formed UTF-8 without NUL bytes, overlongs or surrogates. */
bool sr_utf8_valid(const char *s, size_t len);

/* Folds valid UTF-8 <s> in place to the forms a code or a number is compared in, as a Chinese
 * keyboard's full-width mode types them: U+FF01..U+FF5E to their ASCII twins, the ideographic
 * space U+3000 to a space, 【】 to [] and 〔〕 to (). Every fold is shorter than its source. */
void sr_utf8_fold(char *s);

/* Cuts a character that a fixed-size snprintf split in two off the end of <s>. */
void sr_utf8_trim(char *s);

/* The columns a terminal gives valid UTF-8 <s>: two for a wide (CJK, full-width) character, one
 * for any other. */
int sr_utf8_display_width(const char *s);

/* Lower-case hex SHA-256 of <data> into <hex> (65 bytes with the NUL). */
void sr_sha256_hex(const void *data, size_t len, char hex[65]);
/* A new random API token "sr_" + 43 base64url characters into <out> (at least 48 bytes).
 * Returns false when the system random source fails. */
bool sr_random_token(char out[48]);

/* Growable buffer with a hard ceiling; the append that would cross it fails and changes nothing. */
struct sr_buf {
  char *data;
  size_t len, cap, max;
};
void sr_buf_init(struct sr_buf *b, size_t max);
bool sr_buf_append(struct sr_buf *b, const void *p, size_t n);
/* Makes room for <cap> bytes (the terminating NUL included) at once, so that appends up to it
 * allocate nothing; for callers that account for the memory they hold. */
bool sr_buf_grow(struct sr_buf *b, size_t cap);
bool sr_buf_printf(struct sr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sr_buf_free(struct sr_buf *b);

/* Reads a whole file into a malloced, NUL-terminated buffer of at most <max> bytes.
 * Caller owns *out; free with free(). Returns false (errno set) on failure or when too large. */
bool sr_read_file(const char *path, size_t max, char **out, size_t *len);

/* Strict integer parse of the whole string into [min, max]. */
bool sr_parse_long(const char *s, long min, long max, long *out);

/* The text of a macro's value: SR_STR(SR_SWEEP_CHUNK) is "200". */
#define SR_STR_(x) #x
#define SR_STR(x) SR_STR_(x)

#endif
