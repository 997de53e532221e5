/* csv_write.c -- the CSV writer of csv.h: a file in the encoding of the file it answers. */
#include "csv.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct sr_csv_out {
  FILE *f;
  iconv_t cd; /* UTF-8 -> the file's encoding, or (iconv_t)-1 for UTF-8 */
  char delim;
  bool ok;
  bool formulas_as_text; /* sr_csv_out_formulas_as_text */
  struct sr_buf row;  /* one row as UTF-8 */
  char *conv;         /* the row converted */
  size_t convcap;
};

struct sr_csv_out *sr_csv_out_open(const char *path, const char *encoding, bool bom, char delim, char *err,
                                   size_t errsz)
{
  struct sr_csv_out *o = calloc(1, sizeof *o);
  if(!o) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  o->cd = (iconv_t)-1;
  o->delim = delim;
  o->ok = true;
  sr_buf_init(&o->row, 4 * SR_CSV_MAX_ROW);
  bool utf8 = strcmp(encoding, "UTF-8") == 0;
  if(!utf8 && (o->cd = iconv_open(encoding, "UTF-8")) == (iconv_t)-1) {
    snprintf(err, errsz, "cannot write %s: %s", encoding, strerror(errno));
    free(o);
    return NULL;
  }
  o->f = fopen(path, "wb");
  if(!o->f) {
    snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
    sr_csv_out_close(o);
    return NULL;
  }
  static const struct {
    const char *encoding, *mark;
    size_t len;
  } boms[] = { { "UTF-8", "\xEF\xBB\xBF", 3 }, { "GB18030", "\x84\x31\x95\x33", 4 },
               { "UTF-16LE", "\xFF\xFE", 2 }, { "UTF-16BE", "\xFE\xFF", 2 } };
  /* A GB18030 file is written bare unless its input had the mark: Excel reads it either way. */
  for(size_t i = 0; i < sizeof boms / sizeof *boms; i++)
    if(strcmp(boms[i].encoding, encoding) == 0 && (bom || strcmp(encoding, "GB18030") != 0))
      fwrite(boms[i].mark, 1, boms[i].len, o->f);
  return o;
}

void sr_csv_out_formulas_as_text(struct sr_csv_out *o) { o->formulas_as_text = true; }

/* A cell Excel would read as a formula (=, +, @, a tab or CR first, or '-' before anything but a
 * digit) is quoted with a "'" first, as Excel's own "'" makes a cell text: what the register
 * holds came from outside, and a file opened in a spreadsheet must not run it. */
bool sr_csv_field_text(struct sr_buf *out, const char *s, char delim)
{
  bool formula = s[0] && strchr("=+@\t\r", s[0]);
  if(s[0] == '-' && !(s[1] >= '0' && s[1] <= '9'))
    formula = true;
  if(!formula && s[0] != ' ')
    return sr_csv_field_d(out, s, delim);
  bool ok = sr_buf_append(out, formula ? "\"'" : "\"", formula ? 2 : 1);
  for(; ok && *s; s++)
    ok = *s == '"' ? sr_buf_append(out, "\"\"", 2) : sr_buf_append(out, s, 1);
  return ok && sr_buf_append(out, "\"", 1);
}

bool sr_csv_out_row(struct sr_csv_out *o, const char *const *fields, int n)
{
  o->row.len = 0;
  bool ok = true;
  for(int i = 0; ok && i < n; i++) {
    if(i)
      ok = sr_buf_append(&o->row, &o->delim, 1);
    ok = ok && (o->formulas_as_text ? sr_csv_field_text(&o->row, fields[i] ? fields[i] : "", o->delim)
                                    : sr_csv_field_d(&o->row, fields[i] ? fields[i] : "", o->delim));
  }
  ok = ok && sr_buf_append(&o->row, "\r\n", 2);
  if(!ok)
    return o->ok = false;
  if(o->cd == (iconv_t)-1)
    return o->ok = o->ok && fwrite(o->row.data, 1, o->row.len, o->f) == o->row.len;
  /* UTF-16 takes at most 4 bytes per UTF-8 byte; GB18030 at most 4 per character. */
  size_t need = o->row.len * 4 + 16;
  if(o->convcap < need) {
    char *p = realloc(o->conv, need);
    if(!p)
      return o->ok = false;
    o->conv = p;
    o->convcap = need;
  }
  char *in = o->row.data, *out = o->conv;
  size_t inleft = o->row.len, outleft = o->convcap;
  /* Every Unicode character has a GB18030 and a UTF-16 form, so nothing is left unconverted. */
  if(iconv(o->cd, &in, &inleft, &out, &outleft) == (size_t)-1)
    return o->ok = false;
  size_t len = (size_t)(out - o->conv);
  return o->ok = o->ok && fwrite(o->conv, 1, len, o->f) == len;
}

bool sr_csv_out_close(struct sr_csv_out *o)
{
  if(!o)
    return true;
  bool ok = o->ok;
  if(o->f && fclose(o->f) != 0)
    ok = false;
  if(o->cd != (iconv_t)-1)
    iconv_close(o->cd);
  sr_buf_free(&o->row);
  free(o->conv);
  free(o);
  return ok;
}
