/*
 * i18n.h -- the language of what sereg says to people: English, or Chinese from the GNU gettext
 * catalogue (po/zh_CN.po, compiled to <localedir>/zh_CN/LC_MESSAGES/sereg.mo). The language is
 * the calling thread's: the HTTP edge sets it per request from Accept-Language, the CLI from the
 * locale's environment. Codes, field names and logs stay English whatever the language.
 */
#ifndef sr_i18n_h
#define sr_i18n_h

#include <stdbool.h>

enum sr_lang { SR_LANG_EN, SR_LANG_ZH };

/* Binds the catalogue and prepares the Chinese locale. The folder is the first of: <dir> when
 * not NULL, $SEREG_LOCALEDIR, "locale" beside the executable (the build tree),
 * "../share/locale" from it (an installed prefix), <fallback>. Call once, before threads
 * start. False (and English only) when no zh_CN.UTF-8 locale or no catalogue is found. */
bool sr_i18n_init(const char *dir, const char *fallback);
/* Whether Chinese can be spoken: the locale and the catalogue were found. */
bool sr_i18n_available(void);
/* The catalogue's folder in use ("" before sr_i18n_init). */
const char *sr_i18n_dir(void);

/* The language an Accept-Language header asks for: the supported one (zh*, en*) of highest
 * q-value, the earlier on a tie; English for NULL, garbage, "*" or nothing supported. */
enum sr_lang sr_i18n_from_accept(const char *header);
/* The language of the environment, as gettext reads it: LANGUAGE (a list), then LC_ALL,
 * LC_MESSAGES, LANG. */
enum sr_lang sr_i18n_from_env(void);

/* Makes <lang> the calling thread's language (English when Chinese is not available) and
 * returns the one it had. */
enum sr_lang sr_i18n_use(enum sr_lang lang);
enum sr_lang sr_i18n_lang(void);
/* "zh" or "en", for Content-Language. */
const char *sr_i18n_tag(enum sr_lang lang);

/* <msgid> in the thread's language. */
const char *sr_gettext(const char *msgid) __attribute__((format_arg(1)));
/* <zh> or <en> by the thread's language, whichever is there when the other is NULL or empty. */
const char *sr_i18n_pick(const char *zh, const char *en);

#define _(s) sr_gettext(s)
/* Marks a string for the catalogue where it is translated later, with _(). */
#define N_(s) s

#endif
