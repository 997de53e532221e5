/* test_ident.c -- identifiers against real and derived vectors (REGULATIONS §2, §6). */
#include "check.h"
#include "ident.h"

static void uscc_accepts_published_vectors(void)
{
  CHECK_INT(sr_uscc_check("91350100M000100Y43"), SR_USCC_OK); /* GB 32100 worked example */
  CHECK_INT(sr_uscc_check("91310115591693856A"), SR_USCC_OK);
  CHECK_INT(sr_uscc_check("91310110666007217T"), SR_USCC_OK);
}

static void uscc_refuses_wrong_check_and_shape(void)
{
  CHECK_INT(sr_uscc_check("91350100M000100Y4Z"), SR_USCC_FORMAT); /* Z is not in the alphabet */
  CHECK_INT(sr_uscc_check("91350100M000100Y44"), SR_USCC_CHECK);
  CHECK_INT(sr_uscc_check("91350211M00013FA1N"), SR_USCC_CHECK); /* early pilot code, fails */
  CHECK_INT(sr_uscc_check("91350100M000100Y4"), SR_USCC_FORMAT);
  CHECK_INT(sr_uscc_check("91350100M000100Y433"), SR_USCC_FORMAT);
  CHECK_INT(sr_uscc_check("9135010OM000100Y43"), SR_USCC_FORMAT); /* O in the division code */
  CHECK_INT(sr_uscc_check("91350100I000100Y43"), SR_USCC_FORMAT); /* I excluded */
  CHECK_INT(sr_uscc_check(""), SR_USCC_FORMAT);
  CHECK_INT(sr_uscc_check(NULL), SR_USCC_FORMAT);
}

static void uscc_check_char_matches_worked_example(void)
{
  CHECK_INT(sr_uscc_check_char("91350100M000100Y4"), '3');
}

static void orgcode_covers_x_and_zero_check_values(void)
{
  /* 11 - (sum mod 11) == 10 gives X, == 11 gives 0: find bodies for both and check round trips. */
  int seen_x = 0, seen_0 = 0;
  char body[9];
  for(int n = 0; n < 2000 && !(seen_x && seen_0); n++) {
    snprintf(body, sizeof body, "%08d", n);
    char c = sr_orgcode_check_char(body);
    char code[10];
    memcpy(code, body, 8);
    code[8] = c;
    code[9] = '\0';
    CHECK(sr_orgcode_valid(code));
    if(c == 'X')
      seen_x = 1;
    if(c == '0')
      seen_0 = 1;
  }
  CHECK(seen_x);
  CHECK(seen_0);
  CHECK(sr_orgcode_valid("59169385" "6"));
  CHECK(!sr_orgcode_valid("591693857"));
  CHECK(sr_orgcode_valid("M000100Y4"));
  CHECK(!sr_orgcode_valid("m000100Y4"));
}

static void uscc_refuses_embedded_org_code_failure(void)
{
  /* A code whose 18th character is right but whose positions 9-17 fail GB 11714. */
  char code[19] = "91350100M000100Y5";
  code[17] = sr_uscc_check_char(code);
  code[18] = '\0';
  CHECK_INT(sr_uscc_check(code), SR_USCC_ORG_CHECK);
}

static void equipment_code_shape(void)
{
  CHECK(sr_eqcode_shape("311051123200800100"));
  CHECK(sr_eqcode_shape("215010890201500098"));
  CHECK(sr_eqcode_shape("21501089020150A09Z"));
  CHECK(!sr_eqcode_shape("21501089018150009Z")); /* year 1815 */
  CHECK(!sr_eqcode_shape("2150108902015000981"));
  CHECK(!sr_eqcode_shape("215010890201500a98"));
  CHECK(!sr_eqcode_shape("2150X0890201500098"));
}

static void registration_number_pattern(void)
{
  char out[64];
  CHECK(sr_regno_format(out, sizeof out, "梯", "3110", "川A", 12, 2026));
  CHECK_STR(out, "梯11川A00012(26)");
  CHECK(sr_regno_format(out, sizeof out, "容", "2150", "川A", 123456, 2016));
  CHECK_STR(out, "容15川A123456(16)");
  CHECK(!sr_regno_format(out, 8, "梯", "3110", "川A", 1, 2026));
}

int main(void)
{
  RUN(uscc_accepts_published_vectors);
  RUN(uscc_refuses_wrong_check_and_shape);
  RUN(uscc_check_char_matches_worked_example);
  RUN(orgcode_covers_x_and_zero_check_values);
  RUN(uscc_refuses_embedded_org_code_failure);
  RUN(equipment_code_shape);
  RUN(registration_number_pattern);
  return CHECK_DONE();
}
