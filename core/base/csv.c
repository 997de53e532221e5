/* csv.c -- see csv.h. */
#include "csv.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define CHUNK (64 * 1024) /* read at a time; the first chunk decides the encoding */

struct sr_csv {
  FILE *f;                 /* the file being read, or NULL for an input in memory */
  const char *mem;         /* borrowed: an input in memory, and how far it has been read */
  size_t mem_len, mem_pos;
  iconv_t cd;              /* <encoding> -> UTF-8, or (iconv_t)-1 for UTF-8 input */
  const char *encoding;    /* "UTF-8", "GB18030", "UTF-16LE" or "UTF-16BE" */
  bool bom;                /* the input began with its encoding's byte-order mark */
  char delim;              /* ',' or '\t', decided from the first line; 0 until then */
  size_t chunk;            /* CHUNK, or the size of a smaller input in memory */
  char *raw;               /* chunk + 8 bytes read, not yet decoded */
  size_t raw_len;
  char *text;              /* chunk * 4 + 16 bytes of decoded UTF-8 */
  size_t pos, len;
  bool eof;
  long line, row_line;
  long long consumed, size;
  struct sr_buf row;       /* the current row's fields, NUL-separated */
  char *fields[SR_CSV_MAX_FIELDS];
  size_t offsets[SR_CSV_MAX_FIELDS + 1]; /* where each field starts, and where the last ends */
};

/* Reads up to <n> bytes of the input, from the file or from memory alike. */
static size_t source_read(struct sr_csv *c, char *to, size_t n)
{
  if(c->f)
    return fread(to, 1, n, c->f);
  size_t k = c->mem_len - c->mem_pos < n ? c->mem_len - c->mem_pos : n;
  if(k > 0)
    memcpy(to, c->mem + c->mem_pos, k);
  c->mem_pos += k;
  return k;
}

/* Valid UTF-8, except that the last few bytes may be a character cut by the sample's end. */
static bool looks_utf8(const char *s, size_t n)
{
  for(size_t cut = 0; cut < 4 && cut <= n; cut++)
    if(sr_utf8_valid(s, n - cut))
      return true;
  return false;
}

/* Opening a GB18030 converter costs more than reading a small file with it, so the last one
 * closed is kept for the next reader, reset to its initial state. */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static iconv_t spare_cd = (iconv_t)-1;

static iconv_t converter_open(const char *from)
{
  if(strcmp(from, "GB18030") != 0)
    return iconv_open("UTF-8", from);
  pthread_mutex_lock(&spare_lock);
  iconv_t cd = spare_cd;
  spare_cd = (iconv_t)-1;
  pthread_mutex_unlock(&spare_lock);
  return cd != (iconv_t)-1 ? cd : iconv_open("UTF-8", "GB18030");
}

static void converter_close(iconv_t cd, const char *from)
{
  if(strcmp(from, "GB18030") != 0) {
    iconv_close(cd);
    return;
  }
  iconv(cd, NULL, NULL, NULL, NULL);
  pthread_mutex_lock(&spare_lock);
  if(spare_cd == (iconv_t)-1) {
    spare_cd = cd;
    cd = (iconv_t)-1;
  }
  pthread_mutex_unlock(&spare_lock);
  if(cd != (iconv_t)-1)
    iconv_close(cd);
}

/* A reader with buffers for <chunk> bytes at a time. NULL with a message in <err>. */
static struct sr_csv *csv_new(size_t chunk, char *err, size_t errsz)
{
  struct sr_csv *c = calloc(1, sizeof *c);
  if(c) {
    c->cd = (iconv_t)-1;
    c->encoding = "UTF-8";
    c->line = 1;
    c->chunk = chunk;
    sr_buf_init(&c->row, SR_CSV_MAX_ROW);
    c->raw = malloc(chunk + 8);
    c->text = malloc(chunk * 4 + 16);
  }
  if(!c || !c->raw || !c->text) {
    snprintf(err, errsz, "out of memory");
    sr_csv_close(c);
    return NULL;
  }
  return c;
}

/* The byte-order marks an import file may begin with, and what each says. */
static const struct {
  const char *mark;
  size_t len;
  const char *encoding;
} boms[] = {
  { "\xEF\xBB\xBF", 3, "UTF-8" },       /* as spreadsheets write it */
  { "\x84\x31\x95\x33", 4, "GB18030" }, /* U+FEFF in GB18030 */
  { "\xFF\xFE", 2, "UTF-16LE" },         /* Excel's "Unicode text" */
  { "\xFE\xFF", 2, "UTF-16BE" },
};

/* Reads the first chunk of the input <name> and decides its encoding: its byte-order mark, or
 * else UTF-8 when the chunk is UTF-8 and GB18030 when it is not. Closes <c> on failure. */
static struct sr_csv *csv_start(struct sr_csv *c, const char *name, const char *declared, char *err, size_t errsz)
{
  c->raw_len = source_read(c, c->raw, c->chunk);
  size_t skip = 0;
  for(size_t i = 0; i < sizeof boms / sizeof *boms; i++)
    if(c->raw_len >= boms[i].len && memcmp(c->raw, boms[i].mark, boms[i].len) == 0) {
      skip = boms[i].len;
      c->encoding = boms[i].encoding;
      c->bom = true;
      break;
    }
  if(!c->bom && declared)
    c->encoding = declared;
  else if(!c->bom && !looks_utf8(c->raw, c->raw_len))
    c->encoding = "GB18030";
  if(strcmp(c->encoding, "UTF-8") != 0) {
    c->cd = converter_open(c->encoding);
    if(c->cd == (iconv_t)-1) {
      snprintf(err, errsz, "%s is not UTF-8 and %s conversion is unavailable", name, c->encoding);
      sr_csv_close(c);
      return NULL;
    }
  }
  memmove(c->raw, c->raw + skip, c->raw_len - skip);
  c->raw_len -= skip;
  c->consumed = (long long)skip;
  return c;
}

struct sr_csv *sr_csv_open(const char *path, char *err, size_t errsz)
{
  struct sr_csv *c = csv_new(CHUNK, err, errsz);
  if(!c)
    return NULL;
  c->f = fopen(path, "rb");
  if(!c->f) {
    snprintf(err, errsz, "cannot open %s: %s", path, strerror(errno));
    sr_csv_close(c);
    return NULL;
  }
  struct stat st;
  c->size = fstat(fileno(c->f), &st) == 0 ? st.st_size : 0;
  return csv_start(c, path, NULL, err, errsz);
}

struct sr_csv *sr_csv_open_mem(const char *data, size_t len, const char *name, char *err, size_t errsz)
{
  return sr_csv_open_mem_as(data, len, name, NULL, err, errsz);
}

struct sr_csv *sr_csv_open_mem_as(const char *data, size_t len, const char *name, const char *encoding, char *err,
                                  size_t errsz)
{
  /* An input smaller than a chunk is read in one go either way: its buffers need be no larger. */
  struct sr_csv *c = csv_new(len < CHUNK ? len : CHUNK, err, errsz);
  if(!c)
    return NULL;
  c->mem = data;
  c->mem_len = len;
  c->size = (long long)len;
  return csv_start(c, name, encoding, err, errsz);
}

void sr_csv_close(struct sr_csv *c)
{
  if(!c)
    return;
  if(c->f)
    fclose(c->f);
  if(c->cd != (iconv_t)-1)
    converter_close(c->cd, c->encoding);
  sr_buf_free(&c->row);
  free(c->raw);
  free(c->text);
  free(c);
}

const char *sr_csv_encoding(const struct sr_csv *c) { return c->encoding; }
bool sr_csv_bom(const struct sr_csv *c) { return c->bom; }
char sr_csv_delimiter(const struct sr_csv *c) { return c->delim ? c->delim : ','; }
long sr_csv_line(const struct sr_csv *c) { return c->row_line; }

double sr_csv_progress(const struct sr_csv *c)
{
  return c->size > 0 ? (double)c->consumed / (double)c->size : 0;
}

/* Refills the decoded text. Returns false at the end of the input or on undecodable bytes. */
static bool refill(struct sr_csv *c, char *err, size_t errsz, bool *fatal)
{
  if(c->raw_len == 0 && !c->eof) {
    c->raw_len = source_read(c, c->raw, c->chunk);
    if(c->raw_len == 0)
      c->eof = true;
  }
  if(c->raw_len == 0)
    return false;
  c->pos = 0;
  if(c->cd == (iconv_t)-1) {
    memcpy(c->text, c->raw, c->raw_len);
    c->len = c->raw_len;
    c->consumed += (long long)c->raw_len;
    c->raw_len = 0;
    return true;
  }
  char *in = c->raw, *out = c->text;
  size_t inleft = c->raw_len, outleft = c->chunk * 4 + 16;
  size_t rc = iconv(c->cd, &in, &inleft, &out, &outleft);
  if(rc == (size_t)-1 && errno == EILSEQ) {
    if(strcmp(c->encoding, "GB18030") == 0)
      snprintf(err, errsz, "line %ld: bytes that are neither UTF-8 nor GB18030", c->line);
    else
      snprintf(err, errsz, "line %ld: bytes that are not %s", c->line, c->encoding);
    *fatal = true;
    return false;
  }
  /* EINVAL: a character cut by the chunk's end; keep its bytes for the next read. */
  c->len = (size_t)(out - c->text);
  c->consumed += (long long)(c->raw_len - inleft);
  memmove(c->raw, in, inleft);
  c->raw_len = inleft;
  if(c->len == 0 && inleft > 0) {
    size_t more = source_read(c, c->raw + c->raw_len, 4);
    if(more == 0) {
      snprintf(err, errsz, "line %ld: the file ends inside a %s character", c->line, c->encoding);
      *fatal = true;
      return false;
    }
    c->raw_len += more;
    return refill(c, err, errsz, fatal);
  }
  return true;
}

/* Excel's "Unicode text" separates fields with tabs, its "CSV" with commas: the first line,
 * outside quotes, tells which, by whichever it holds more of. */
static char guess_delimiter(const char *s, size_t n)
{
  size_t tabs = 0, commas = 0;
  bool quoted = false;
  for(size_t i = 0; i < n && (quoted || s[i] != '\n'); i++) {
    if(s[i] == '"')
      quoted = !quoted;
    else if(!quoted && s[i] == '\t')
      tabs++;
    else if(!quoted && s[i] == ',')
      commas++;
  }
  return tabs > commas ? '\t' : ',';
}

/* The row being read: how many fields it has so far, and whether (and why) it is bad. */
struct row {
  int nf;
  bool bad;
  char *err;
  size_t errsz;
};

/* Marks the row bad; the first reason is the one reported. */
static void row_bad(const struct sr_csv *c, struct row *r, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static void row_bad(const struct sr_csv *c, struct row *r, const char *fmt, ...)
{
  if(!r->bad) {
    int n = snprintf(r->err, r->errsz, "line %ld: ", c->row_line);
    va_list ap;
    va_start(ap, fmt);
    if(n >= 0 && (size_t)n < r->errsz)
      vsnprintf(r->err + n, r->errsz - (size_t)n, fmt, ap);
    va_end(ap);
  }
  r->bad = true;
}

/* Adds <n> bytes to the field being read, within the row's byte ceiling. */
static void add_text(struct sr_csv *c, struct row *r, const char *s, size_t n)
{
  if(!sr_buf_append(&c->row, s, n))
    row_bad(c, r, "a row longer than %d bytes", SR_CSV_MAX_ROW);
}

/* Ends the field being read, whatever ends it (a comma, a newline or the end of the file): the
 * one place a field is added, so none goes past SR_CSV_MAX_FIELDS. */
static void end_field(struct sr_csv *c, struct row *r)
{
  if(r->nf == SR_CSV_MAX_FIELDS)
    row_bad(c, r, "more than %d fields", SR_CSV_MAX_FIELDS);
  else if(!sr_buf_append(&c->row, "", 1))
    row_bad(c, r, "a row longer than %d bytes", SR_CSV_MAX_ROW);
  else
    c->offsets[++r->nf] = c->row.len;
}

enum sr_csv_status sr_csv_next(struct sr_csv *c, char ***fields, int *n, char *err, size_t errsz)
{
  enum { START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } st = START;
  struct row r = { .nf = 0, .bad = false, .err = err, .errsz = errsz };
  bool fatal = false, any = false;
  c->row.len = 0;
  c->offsets[0] = 0;
  c->row_line = c->line;
  for(;;) {
    if(c->pos == c->len && !refill(c, err, errsz, &fatal)) {
      if(fatal)
        return SR_CSV_FATAL;
      if(st == QUOTED) {
        snprintf(err, errsz, "line %ld: a quoted field is never closed", c->row_line);
        return SR_CSV_FATAL;
      }
      if(!any)
        return SR_CSV_EOF;
      end_field(c, &r); /* the last line had no newline */
      break;
    }
    if(!c->delim)
      c->delim = guess_delimiter(c->text + c->pos, c->len - c->pos);
    /* Plain characters go in as one run: the common case costs one append per field. */
    if(st == QUOTED || st == UNQUOTED || st == START) {
      size_t end = c->pos;
      const char stops_plain[] = { c->delim, '"', '\r', '\n', '\0' };
      const char *stops = st == QUOTED ? "\"\n" : stops_plain;
      while(end < c->len && !strchr(stops, c->text[end]))
        end++;
      if(end > c->pos) {
        add_text(c, &r, c->text + c->pos, end - c->pos);
        c->pos = end;
        any = true;
        if(st == START)
          st = UNQUOTED;
        continue;
      }
    }
    char ch = c->text[c->pos++];
    any = true;
    if(ch == '\n')
      c->line++;
    if(ch == '\0') { /* fields are kept NUL-separated, and no text has a NUL */
      row_bad(c, &r, "a NUL byte");
      continue;
    }
    if(st == QUOTED) {
      if(ch == '"')
        st = QUOTE_IN_QUOTED;
      else
        add_text(c, &r, &ch, 1);
      continue;
    }
    if(st == QUOTE_IN_QUOTED) {
      if(ch == '"') { /* "" is a quote */
        add_text(c, &r, &ch, 1);
        st = QUOTED;
        continue;
      }
      st = UNQUOTED;
      if(ch != c->delim && ch != '\n' && ch != '\r') {
        row_bad(c, &r, "characters after a closing quote");
        continue;
      }
    }
    if(ch == '"' && st == START) {
      st = QUOTED;
      continue;
    }
    if(ch == '"') {
      row_bad(c, &r, "a quote inside an unquoted field");
      continue;
    }
    if(ch == '\r')
      continue;
    if(ch == c->delim || ch == '\n') {
      end_field(c, &r);
      st = START;
      if(ch == '\n')
        break;
      continue;
    }
    st = UNQUOTED;
    add_text(c, &r, &ch, 1);
  }
  if(r.bad)
    return SR_CSV_BAD_ROW;
  for(int i = 0; i < r.nf; i++) {
    c->fields[i] = c->row.data + c->offsets[i];
    if(!sr_utf8_valid(c->fields[i], strlen(c->fields[i]))) {
      snprintf(err, errsz, "line %ld: field %d is not valid UTF-8", c->row_line, i + 1);
      return SR_CSV_BAD_ROW;
    }
  }
  *fields = c->fields;
  *n = r.nf;
  return SR_CSV_ROW;
}

bool sr_csv_field(struct sr_buf *out, const char *s)
{
  return sr_csv_field_d(out, s, ',');
}

bool sr_csv_field_d(struct sr_buf *out, const char *s, char delim)
{
  const char specials[] = { delim, '"', '\r', '\n', '\0' };
  if(!strpbrk(s, specials))
    return sr_buf_append(out, s, strlen(s));
  bool ok = sr_buf_append(out, "\"", 1);
  for(; ok && *s; s++)
    ok = *s == '"' ? sr_buf_append(out, "\"\"", 2) : sr_buf_append(out, s, 1);
  return ok && sr_buf_append(out, "\"", 1);
}
