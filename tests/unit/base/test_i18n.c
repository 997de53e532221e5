/* test_i18n.c -- the language a request asks for, and the environment's; the lookup in a
 * catalogue that is not there. */
#include <stdlib.h>

#include "check.h"
#include "i18n.h"

static void accept_language_picks_by_q_value(void)
{
  const struct {
    const char *header;
    enum sr_lang want;
  } cases[] = {
    { "zh", SR_LANG_ZH }, { "zh-CN", SR_LANG_ZH }, { "zh-Hans-CN", SR_LANG_ZH }, { "ZH-tw", SR_LANG_ZH },
    { "en", SR_LANG_EN }, { "en-GB", SR_LANG_EN }, { "fr", SR_LANG_EN }, { "*", SR_LANG_EN }, { "", SR_LANG_EN },
    { "en;q=0.5, zh;q=0.9", SR_LANG_ZH }, { "zh;q=0.5, en;q=0.9", SR_LANG_EN },
    { "en, zh", SR_LANG_EN }, { "zh, en", SR_LANG_ZH }, /* a tie: the earlier */
    { "zh;q=0, en", SR_LANG_EN }, { "zh;q=0", SR_LANG_EN }, { "zh;q=0.000", SR_LANG_EN },
    { "en;q=0.001,zh;q=0.002", SR_LANG_ZH }, { "zh-CN,zh;q=0.9,en;q=0.8", SR_LANG_ZH },
    { "en ; q=0.2 , zh ;q=0.1", SR_LANG_EN }, { "de,zh-TW;Q=0.3", SR_LANG_ZH },
    /* q-values that are none: the range is ignored */
    { "zh;q=2", SR_LANG_EN }, { "zh;q=1.5", SR_LANG_EN }, { "zh;q=0.0001", SR_LANG_EN }, { "zh;q=", SR_LANG_EN },
    { "zh;q=abc", SR_LANG_EN }, { "zh;q=-1", SR_LANG_EN }, { "zh;q=1.001, en;q=0.1", SR_LANG_EN },
    /* not Chinese although they start so, and garbage */
    { "zhx", SR_LANG_EN }, { "z", SR_LANG_EN }, { ",,,;;;===", SR_LANG_EN }, { ";q=1", SR_LANG_EN },
    { "zh;;;q=0.5;foo=bar", SR_LANG_ZH }, { "\xff\xfe", SR_LANG_EN },
  };
  for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    enum sr_lang got = sr_i18n_from_accept(cases[i].header);
    CHECK_INT(got, cases[i].want);
    if(got != cases[i].want)
      fprintf(stderr, "  Accept-Language: '%s'\n", cases[i].header);
  }
  CHECK_INT(sr_i18n_from_accept(NULL), SR_LANG_EN);
  char big[8192];
  memset(big, ',', sizeof big - 4);
  memcpy(big + sizeof big - 4, "zh", 3);
  CHECK_INT(sr_i18n_from_accept(big), SR_LANG_ZH);
}

static void environment_follows_gettext(void)
{
  const struct {
    const char *language, *lc_all, *lc_messages, *lang;
    enum sr_lang want;
  } cases[] = {
    { NULL, NULL, NULL, "zh_CN.UTF-8", SR_LANG_ZH }, { NULL, NULL, NULL, "en_US.UTF-8", SR_LANG_EN },
    { NULL, "zh_CN.UTF-8", NULL, "en_US.UTF-8", SR_LANG_ZH }, { NULL, NULL, "zh_CN.UTF-8", "C", SR_LANG_ZH },
    { "zh_CN:en", NULL, NULL, "C.UTF-8", SR_LANG_ZH }, { "en", NULL, NULL, "zh_CN.UTF-8", SR_LANG_EN },
    { "fr:zh", NULL, NULL, "en_US.UTF-8", SR_LANG_ZH },
    { "zh_CN", NULL, NULL, "C", SR_LANG_EN }, /* gettext ignores LANGUAGE in the C locale */
    { NULL, NULL, NULL, NULL, SR_LANG_EN },
  };
  for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *names[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };
    const char *values[] = { cases[i].language, cases[i].lc_all, cases[i].lc_messages, cases[i].lang };
    for(int k = 0; k < 4; k++)
      values[k] ? setenv(names[k], values[k], 1) : unsetenv(names[k]);
    CHECK_INT(sr_i18n_from_env(), cases[i].want);
  }
}

static void without_a_catalogue_it_speaks_english(void)
{
  CHECK(!sr_i18n_init("/nonexistent/locale", NULL));
  CHECK(!sr_i18n_available());
  CHECK_INT(sr_i18n_use(SR_LANG_ZH), SR_LANG_EN);
  CHECK_INT(sr_i18n_lang(), SR_LANG_EN); /* Chinese cannot be spoken: it says so by staying English */
  CHECK_STR(sr_gettext("is required"), "is required");
  CHECK_STR(sr_i18n_pick("中文", "English"), "English");
  CHECK_STR(sr_i18n_pick(NULL, "English"), "English");
  CHECK_STR(sr_i18n_pick("中文", ""), "中文");
  CHECK_STR(sr_i18n_tag(SR_LANG_ZH), "zh");
  CHECK_STR(sr_i18n_tag(SR_LANG_EN), "en");
}

int main(void)
{
  RUN(accept_language_picks_by_q_value);
  RUN(environment_follows_gettext);
  RUN(without_a_catalogue_it_speaks_english);
  return CHECK_DONE();
}
