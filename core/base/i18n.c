/* i18n.c -- see i18n.h. gettext reads a thread's LC_MESSAGES: a thread speaking Chinese uses a
 * locale whose LC_MESSAGES is zh_CN.UTF-8 and whose other categories stay "C", so numbers,
 * dates and character classes never change with the language. */
#include "i18n.h"

#include <ctype.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SR_I18N_DOMAIN "sereg"

static locale_t zh_locale = (locale_t)0;
static bool available;
static char localedir[PATH_MAX];
static _Thread_local enum sr_lang thread_lang = SR_LANG_EN;

static bool has_catalogue(const char *dir)
{
  char path[PATH_MAX + 64];
  struct stat st;
  snprintf(path, sizeof path, "%s/zh_CN/LC_MESSAGES/" SR_I18N_DOMAIN ".mo", dir);
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder of the running executable, for a catalogue beside it. */
static bool exe_dir(char *out, size_t outsz)
{
  ssize_t n = readlink("/proc/self/exe", out, outsz - 1);
  if(n <= 0)
    return false;
  out[n] = '\0';
  char *slash = strrchr(out, '/');
  if(!slash)
    return false;
  *slash = '\0';
  return true;
}

static bool find_dir(const char *dir, const char *fallback)
{
  char exe[PATH_MAX], cand[PATH_MAX + 32];
  const char *env = getenv("SEREG_LOCALEDIR");
  const char *first[] = { dir, env && env[0] ? env : NULL };
  for(size_t i = 0; i < sizeof first / sizeof first[0]; i++)
    if(first[i]) { /* named: that folder or none, so a wrong name is not hidden by another */
      snprintf(localedir, sizeof localedir, "%s", first[i]);
      return has_catalogue(localedir);
    }
  if(exe_dir(exe, sizeof exe)) {
    const char *rel[] = { "/locale", "/../share/locale" };
    for(size_t i = 0; i < 2; i++) {
      snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
      if(strlen(cand) < sizeof localedir && has_catalogue(cand)) {
        memcpy(localedir, cand, strlen(cand) + 1);
        return true;
      }
    }
  }
  if(fallback && has_catalogue(fallback)) {
    snprintf(localedir, sizeof localedir, "%s", fallback);
    return true;
  }
  return false;
}

bool sr_i18n_init(const char *dir, const char *fallback)
{
  /* gettext lets LANGUAGE override a thread's locale for the whole process; the language is
   * chosen here instead (sr_i18n_from_env reads it first). */
  unsetenv("LANGUAGE");
  if(!zh_locale) {
    const char *names[] = { "zh_CN.UTF-8", "zh_CN.utf8" };
    for(size_t i = 0; i < 2 && !zh_locale; i++)
      zh_locale = newlocale(LC_MESSAGES_MASK, names[i], (locale_t)0);
  }
  bool found = find_dir(dir, fallback);
  if(found) {
    bindtextdomain(SR_I18N_DOMAIN, localedir);
    /* The catalogue is UTF-8 and so is every answer, whatever the locale's character set. */
    bind_textdomain_codeset(SR_I18N_DOMAIN, "UTF-8");
  }
  available = found && zh_locale;
  return available;
}

bool sr_i18n_available(void) { return available; }
const char *sr_i18n_dir(void) { return localedir; }

/* The language of one tag: zh*, en*, or -1. */
static int tag_lang(const char *tag, size_t n)
{
  if(n >= 2 && (n == 2 || tag[2] == '-' || tag[2] == '_' || tag[2] == '.' || tag[2] == '@')) {
    if(tolower((unsigned char)tag[0]) == 'z' && tolower((unsigned char)tag[1]) == 'h')
      return SR_LANG_ZH;
    if(tolower((unsigned char)tag[0]) == 'e' && tolower((unsigned char)tag[1]) == 'n')
      return SR_LANG_EN;
  }
  return -1;
}

/* A q-value (RFC 9110, 12.4.2) in thousandths, or -1 when it is not one. */
static int qvalue(const char *s, size_t n)
{
  if(n == 0 || (s[0] != '0' && s[0] != '1'))
    return -1;
  int q = (s[0] - '0') * 1000;
  if(n == 1)
    return q;
  if(s[1] != '.' || n > 5)
    return -1;
  int scale = 100;
  for(size_t i = 2; i < n; i++, scale /= 10) {
    if(!isdigit((unsigned char)s[i]))
      return -1;
    q += (s[i] - '0') * scale;
  }
  return q > 1000 ? -1 : q;
}

enum sr_lang sr_i18n_from_accept(const char *header)
{
  if(!header)
    return SR_LANG_EN;
  int best = -1, best_q = 0;
  const char *p = header;
  while(*p) {
    size_t len = strcspn(p, ",");
    const char *item = p, *end = p + len;
    p = *end ? end + 1 : end;
    while(item < end && (*item == ' ' || *item == '\t'))
      item++;
    size_t tlen = strcspn(item, ";, \t");
    if(item + tlen > end)
      tlen = (size_t)(end - item);
    int lang = tag_lang(item, tlen);
    int q = 1000;
    const char *param = memchr(item, ';', (size_t)(end - item));
    while(param && param < end) { /* ;q=0.8, with optional white space */
      const char *v = param + 1;
      while(v < end && (*v == ' ' || *v == '\t'))
        v++;
      const char *next = memchr(v, ';', (size_t)(end - v));
      const char *vend = next ? next : end;
      if(vend - v >= 2 && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=') {
        const char *e = vend;
        while(e > v + 2 && (e[-1] == ' ' || e[-1] == '\t'))
          e--;
        q = qvalue(v + 2, (size_t)(e - v - 2));
      }
      param = next;
    }
    if(lang >= 0 && q > best_q) {
      best = lang;
      best_q = q;
    }
  }
  return best < 0 ? SR_LANG_EN : (enum sr_lang)best;
}

enum sr_lang sr_i18n_from_env(void)
{
  const char *names[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
  const char *locale = NULL;
  for(size_t i = 0; i < 3 && !locale; i++) {
    const char *v = getenv(names[i]);
    if(v && v[0])
      locale = v;
  }
  /* As gettext does: LANGUAGE is a list of preferences, and counts only with a locale set. */
  const char *list = getenv("LANGUAGE");
  if(list && list[0] && locale && strcmp(locale, "C") != 0 && strcmp(locale, "POSIX") != 0) {
    for(const char *p = list; *p;) {
      size_t n = strcspn(p, ":");
      int lang = tag_lang(p, n);
      if(lang >= 0)
        return (enum sr_lang)lang;
      p += n;
      if(*p)
        p++;
    }
  }
  if(locale) {
    int lang = tag_lang(locale, strlen(locale));
    if(lang >= 0)
      return (enum sr_lang)lang;
  }
  return SR_LANG_EN;
}

enum sr_lang sr_i18n_use(enum sr_lang lang)
{
  enum sr_lang was = thread_lang;
  if(lang == SR_LANG_ZH && !available)
    lang = SR_LANG_EN;
  if(lang != thread_lang)
    uselocale(lang == SR_LANG_ZH ? zh_locale : LC_GLOBAL_LOCALE);
  thread_lang = lang;
  return was;
}

enum sr_lang sr_i18n_lang(void) { return thread_lang; }
const char *sr_i18n_tag(enum sr_lang lang) { return lang == SR_LANG_ZH ? "zh" : "en"; }

const char *sr_gettext(const char *msgid)
{
  if(thread_lang != SR_LANG_ZH || !msgid || !msgid[0])
    return msgid;
  return dgettext(SR_I18N_DOMAIN, msgid);
}

const char *sr_i18n_pick(const char *zh, const char *en)
{
  bool has_zh = zh && zh[0], has_en = en && en[0];
  if(thread_lang == SR_LANG_ZH)
    return has_zh ? zh : en;
  return has_en ? en : zh;
}
