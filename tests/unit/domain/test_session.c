/* test_session.c -- what logging in decides without a database: login names and their keys, the
 * password rule, Argon2id hashes and their rehashing, the session cookie in a Cookie header, and
 * CSRF tokens. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "check.h"
#include "password.h"
#include "session.h"

/* <in>'s name and key, or "!" when refused. */
static void name_of(const char *in, char name[SR_LOGIN_NAME_MAX_BYTES + 1], char key[SR_LOGIN_NAME_MAX_BYTES + 1])
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  if(!sr_account_name(in, name, key, "name", &pb)) {
    strcpy(name, "!");
    strcpy(key, "!");
  }
  sr_problem_free(&pb);
}

static void names_are_trimmed_and_keyed_by_ascii_case(void)
{
  char n[SR_LOGIN_NAME_MAX_BYTES + 1], k[SR_LOGIN_NAME_MAX_BYTES + 1];
  name_of("  WangJC\t", n, k);
  CHECK_STR(n, "WangJC");
  CHECK_STR(k, "wangjc");
  name_of("\xe3\x80\x80王监察\xe3\x80\x80", n, k); /* ideographic spaces at both ends */
  CHECK_STR(n, "王监察");
  CHECK_STR(k, "王监察");
  name_of("Wang Jian Cha", n, k);
  CHECK_STR(k, "wang jian cha");
  name_of("ＷＡＮＧ", n, k); /* full-width letters are other letters: no folding */
  CHECK_STR(k, "ＷＡＮＧ");
  const char *refused[] = { "", "   ", "a\tb", "a\nb", "a\x7f", "\xc2\x85x", "\xff\xfe", NULL };
  for(const char *const *r = refused; *r; r++) {
    name_of(*r, n, k);
    CHECK_STR(n, "!");
  }
  char longest[4 * 32 + 4] = "";
  for(int i = 0; i < 32; i++)
    strcat(longest, "长");
  name_of(longest, n, k);
  CHECK_STR(n, longest);
  strcat(longest, "长");
  name_of(longest, n, k);
  CHECK_STR(n, "!");
}

static bool rule(const char *name, const char *pw)
{
  struct sr_problem pb;
  sr_problem_init(&pb);
  bool ok = sr_password_rule(name, pw, &pb);
  sr_problem_free(&pb);
  return ok;
}

static void the_password_rule(void)
{
  CHECK(rule("wangjc", "Jinjiang-2026"));
  CHECK(rule("wangjc", "jinjiang2026锦江")); /* lower, digit, other */
  CHECK(rule("wangjc", "ABCDEFGH12!"));
  CHECK(!rule("wangjc", "Jin-2026")); /* 8 characters */
  CHECK(!rule("wangjc", "锦江区锦江区1a")); /* three kinds in 8 characters (of 20 bytes) */
  CHECK(rule("wangjc", "锦江区锦江区锦江1a"));  /* in 10 */
  CHECK(!rule("wangjc", "lowercase12345")); /* two kinds */
  CHECK(!rule("wangjc", "Abcdefghijkl")); /* two kinds */
  CHECK(!rule("wangjc", "x-WANGJC-2026")); /* the name, in other case */
  CHECK(!rule("王监察", "王监察Abc12345"));
  CHECK(!rule("wangjc", "Jinjiang\t2026"));
  char huge[SR_PASSWORD_MAX_BYTES + 2];
  memset(huge, 'a', sizeof huge - 1);
  huge[sizeof huge - 1] = '\0';
  huge[0] = 'A';
  huge[1] = '1';
  CHECK(!rule("wangjc", huge));
  huge[SR_PASSWORD_MAX_BYTES] = '\0';
  CHECK(rule("wangjc", huge));
}

static void hashes_verify_with_their_own_salt(void)
{
  setenv("SEREG_PASSWORD_OPSLIMIT", "1", 1);
  setenv("SEREG_PASSWORD_MEMLIMIT_MIB", "8", 1);
  char err[200], h[SR_PASSWORD_HASH_MAX];
  CHECK(sr_password_setup(err, sizeof err));
  CHECK_STR(sr_password_params(), "argon2id t=1 m=8MiB");
  CHECK(sr_password_hash("Jinjiang-2026", h));
  CHECK(strncmp(h, "$argon2id$v=19$m=8192,t=1,p=1$", 30) == 0);
  bool rehash = true;
  CHECK(sr_password_verify(h, "Jinjiang-2026", &rehash));
  CHECK(!rehash);
  CHECK(!sr_password_verify(h, "Jinjiang-2027", &rehash));
  CHECK(!sr_password_verify(NULL, "Jinjiang-2026", &rehash)); /* the dummy: nobody's password */
  CHECK(!sr_password_verify("not a hash", "Jinjiang-2026", &rehash));
  /* A hash of this password under other parameters is another string, and also verifies (the
   * parameters travel in it); whether it is made again is the login's, shown by test_sessions. */
  char again[SR_PASSWORD_HASH_MAX];
  CHECK(sr_password_hash("Jinjiang-2026", again));
  CHECK(strcmp(again, h) != 0); /* a salt of its own */
  CHECK(sr_password_verify(again, "Jinjiang-2026", &rehash));
}

static void the_cookie_is_found_in_its_header(void)
{
  char v[SR_SESSION_VALUE_LEN + 1];
  const char *good = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123";
  char h[200];
  snprintf(h, sizeof h, "sereg_session=%s", good);
  CHECK(sr_session_cookie_value(h, v));
  CHECK_STR(v, good);
  snprintf(h, sizeof h, "theme=dark; other_sereg_session=x; sereg_session=%s; lang=zh", good);
  CHECK(sr_session_cookie_value(h, v));
  CHECK_STR(v, good);
  CHECK(!sr_session_cookie_value(NULL, v));
  CHECK(!sr_session_cookie_value("theme=dark", v));
  CHECK(!sr_session_cookie_value("sereg_session=short", v));
  CHECK(!sr_session_cookie_value("sereg_session=abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_012!", v));
  CHECK(!sr_session_cookie_value("sereg_sessionX=abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123", v));
}

static void csrf_tokens_belong_to_their_session(void)
{
  const char *a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123", *b = "bbcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123";
  char hex[65], in[80];
  snprintf(in, sizeof in, "sereg-csrf:%s", a);
  sr_sha256_hex(in, strlen(in), hex);
  CHECK(sr_session_csrf_ok(a, hex));
  CHECK(!sr_session_csrf_ok(b, hex));
  CHECK(!sr_session_csrf_ok(a, NULL));
  CHECK(!sr_session_csrf_ok(a, ""));
  hex[63] = hex[63] == '0' ? '1' : '0';
  CHECK(!sr_session_csrf_ok(a, hex));
  hex[63] = '\0';
  CHECK(!sr_session_csrf_ok(a, hex));
}

static void settings_are_read_and_refused(void)
{
  char err[200];
  setenv("SEREG_SESSION_IDLE", "10m", 1);
  setenv("SEREG_LOGIN_MAX_FAILURES", "3", 1);
  CHECK(sr_session_setup(err, sizeof err));
  CHECK_INT(sr_session_config()->idle_s, 600);
  CHECK_INT(sr_session_config()->max_s, 12 * 3600);
  CHECK_INT(sr_session_config()->max_failures, 3);
  CHECK(!sr_session_config()->secure);
}

int main(void)
{
  RUN(names_are_trimmed_and_keyed_by_ascii_case);
  RUN(the_password_rule);
  RUN(hashes_verify_with_their_own_salt);
  RUN(the_cookie_is_found_in_its_header);
  RUN(csrf_tokens_belong_to_their_session);
  RUN(settings_are_read_and_refused);
  return CHECK_DONE();
}
