/*
 * check.h -- the unit tests' assertions: each failing check prints where and both values, and
 * the test program's exit status is the number of failures (0 = pass).
 */
#ifndef sr_check_h
#define sr_check_h

#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    check_count++;                                                                   \
    if(!(cond)) {                                                                    \
      check_failures++;                                                              \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);       \
    }                                                                                \
  } while(0)

#define CHECK_INT(a, b)                                                              \
  do {                                                                               \
    long long a_ = (long long)(a), b_ = (long long)(b);                              \
    check_count++;                                                                   \
    if(a_ != b_) {                                                                   \
      check_failures++;                                                              \
      fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
              #a, a_, #b, b_);                                                       \
    }                                                                                \
  } while(0)

#define CHECK_STR(a, b)                                                              \
  do {                                                                               \
    const char *a_ = (a), *b_ = (b);                                                 \
    check_count++;                                                                   \
    if(!a_ || !b_ || strcmp(a_, b_) != 0) {                                          \
      check_failures++;                                                              \
      fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__,  \
              #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                           \
    }                                                                                \
  } while(0)

#define RUN(fn)                                                                      \
  do {                                                                               \
    int before_ = check_failures;                                                    \
    fn();                                                                            \
    printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #fn);             \
  } while(0)

#define CHECK_DONE()                                                                 \
  (printf("%d checks, %d failed\n", check_count, check_failures),                    \
   check_count == 0 ? 1 : check_failures > 0)

#endif
