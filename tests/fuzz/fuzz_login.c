/* fuzz_login.c -- what a login reads from outside before any database: the Cookie header, the
 * account's name and its password, the X-CSRF-Token header. Any bytes are taken or refused,
 * never crash, and what is taken has the shape the rest relies on: a cookie value of 43
 * base64url characters, a name of valid UTF-8 without control characters whose key is itself
 * with ASCII letters in lower case. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "password.h"
#include "session.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = malloc(size + 1);
  if(!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  char value[SR_SESSION_VALUE_LEN + 1];
  if(sr_session_cookie_value(s, value)) {
    if(strlen(value) != SR_SESSION_VALUE_LEN || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                              "0123456789-_") != SR_SESSION_VALUE_LEN)
      abort();
    (void)sr_session_csrf_ok(value, s);
  }
  char name[SR_LOGIN_NAME_MAX_BYTES + 1], key[SR_LOGIN_NAME_MAX_BYTES + 1];
  struct sr_problem pb;
  sr_problem_init(&pb);
  if(sr_account_name(s, name, key, "name", &pb)) {
    size_t n = strlen(name);
    if(n == 0 || !sr_utf8_valid(name, n) || strlen(key) != n)
      abort();
    for(size_t i = 0; i < n; i++)
      if((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
         key[i] != (name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]))
        abort();
  }
  (void)sr_password_rule(size > 4 ? s + 4 : "", s, &pb);
  sr_problem_free(&pb);
  free(s);
  return 0;
}
