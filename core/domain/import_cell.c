/* import_cell.c -- an office's cells and header titles as the import reads them (import_int.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_int.h"

void sr_import_fold(char *s)
{
  sr_utf8_fold(s);
  size_t lead = strspn(s, " ");
  if(lead)
    memmove(s, s + lead, strlen(s + lead) + 1);
  size_t len = strlen(s);
  while(len > 0 && s[len - 1] == ' ')
    s[--len] = '\0';
}

char *sr_import_title_key(const char *s)
{
  char *k = strdup(s ? s : "");
  if(!k)
    return NULL;
  sr_utf8_fold(k);
  char *w = k;
  for(const char *r = k; *r; r++)
    if(*r != ' ' && *r != '\t')
      *w++ = (char)tolower((unsigned char)*r);
  *w = '\0';
  return k;
}

bool sr_import_title_eq(const char *h, const char *title)
{
  if(!h || !title || !h[0])
    return false;
  char *t = sr_import_title_key(title);
  if(!t)
    return false;
  bool eq = strcmp(h, t) == 0;
  /* "额定载重量" names "额定载重量 (kg)": a unit in brackets at the end may be left off. */
  char *open = strrchr(t, '(');
  size_t tl = strlen(t);
  if(!eq && open && open > t && tl > 0 && t[tl - 1] == ')') {
    *open = '\0';
    eq = strcmp(h, t) == 0;
  }
  free(t);
  return eq;
}

/* Reads 1..<max> digits at *<s> into *<v>; advances *<s>. */
static bool digits(const char **s, int max, int *v)
{
  int n = 0;
  *v = 0;
  while(n < max && isdigit((unsigned char)**s)) {
    *v = *v * 10 + (**s - '0');
    (*s)++;
    n++;
  }
  return n > 0;
}

/* A time of day after a date, as Excel adds it to a date cell: " 0:00", " 00:00:00". */
static bool time_of_day(const char *s)
{
  if(!*s)
    return true;
  if(*s != ' ')
    return false;
  s += strspn(s, " ");
  int h, m, sec;
  if(!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &m) || h > 23 || m > 59)
    return false;
  if(*s == ':' && (s++, !digits(&s, 2, &sec) || sec > 59))
    return false;
  return *s == '\0';
}

bool sr_import_date(const char *in, char out[11])
{
  char s[64];
  snprintf(s, sizeof s, "%s", in);
  sr_import_fold(s);
  const char *p = s;
  int y, m, d;
  if(strlen(s) >= 8 && strspn(s, "0123456789") == 8) { /* 20190305 */
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[4] - '0') * 10 + (s[5] - '0');
    d = (s[6] - '0') * 10 + (s[7] - '0');
    p = s + 8;
  }
  else {
    if(strlen(s) < 8 || strspn(s, "0123456789") != 4 || !digits(&p, 4, &y))
      return false;
    static const char *const seps[] = { "-", "/", ".", "年" };
    size_t k;
    for(k = 0; k < 4 && strncmp(p, seps[k], strlen(seps[k])) != 0; k++)
      ;
    if(k == 4)
      return false;
    p += strlen(seps[k]);
    if(!digits(&p, 2, &m))
      return false;
    const char *sep2 = k == 3 ? "月" : seps[k];
    if(strncmp(p, sep2, strlen(sep2)) != 0)
      return false;
    p += strlen(sep2);
    if(!digits(&p, 2, &d))
      return false;
    if(k == 3 && strncmp(p, "日", strlen("日")) == 0)
      p += strlen("日");
    else if(k == 3 && strncmp(p, "号", strlen("号")) == 0)
      p += strlen("号");
  }
  if(!time_of_day(p) || y < 1900 || m < 1 || m > 12 || d < 1 || d > sr_date_days_in_month(y, m))
    return false;
  char text[48];
  snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
  memcpy(out, text, 11);
  out[10] = '\0';
  return true;
}

const char *sr_import_jurisdiction(const struct importer *im, const char *s)
{
  const PGresult *j = im->jurisdictions;
  for(int i = 0; s && j && i < PQntuples(j); i++)
    if(strcmp(PQgetvalue(j, i, 0), s) == 0 || strcmp(PQgetvalue(j, i, 1), s) == 0)
      return PQgetvalue(j, i, 0);
  return s;
}
