/* ident.c -- see ident.h. The weights and alphabets are the standards' own. */
#include "ident.h"

#include <stdio.h>
#include <string.h>

/* GB 32100 alphabet: digits and capitals without I, O, Z, S, V; a character's value is its index. */
static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
static const int org_weights[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };

static int uscc_value(char c)
{
  const char *p = c ? strchr(uscc_alphabet, c) : NULL;
  return p ? (int)(p - uscc_alphabet) : -1;
}

char sr_uscc_check_char(const char *prefix17)
{
  int sum = 0;
  for(int i = 0; i < 17; i++) {
    int v = uscc_value(prefix17[i]);
    if(v < 0)
      return '\0';
    sum += v * uscc_weights[i];
  }
  int c = 31 - sum % 31;
  return uscc_alphabet[c == 31 ? 0 : c];
}

static int org_value(char c)
{
  if(c >= '0' && c <= '9')
    return c - '0';
  if(c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return -1;
}

char sr_orgcode_check_char(const char *body8)
{
  int sum = 0;
  for(int i = 0; i < 8; i++) {
    int v = org_value(body8[i]);
    if(v < 0)
      return '\0';
    sum += v * org_weights[i];
  }
  int c = 11 - sum % 11;
  return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

bool sr_orgcode_valid(const char *code9)
{
  if(!code9 || strlen(code9) != 9)
    return false;
  char want = sr_orgcode_check_char(code9);
  return want && code9[8] == want;
}

enum sr_uscc_result sr_uscc_check(const char *code)
{
  if(!code || strlen(code) != 18)
    return SR_USCC_FORMAT;
  for(int i = 0; i < 18; i++)
    if(uscc_value(code[i]) < 0)
      return SR_USCC_FORMAT;
  for(int i = 2; i < 8; i++) /* the registering authority's GB/T 2260 division code */
    if(code[i] < '0' || code[i] > '9')
      return SR_USCC_FORMAT;
  if(sr_uscc_check_char(code) != code[17])
    return SR_USCC_CHECK;
  char org[10];
  memcpy(org, code + 8, 9);
  org[9] = '\0';
  if(!sr_orgcode_valid(org))
    return SR_USCC_ORG_CHECK;
  return SR_USCC_OK;
}

const char *sr_uscc_explain(enum sr_uscc_result r)
{
  switch(r) {
  case SR_USCC_OK:
    return "valid";
  case SR_USCC_FORMAT:
    return "must be 18 characters of 0-9 and A-Y without I, O, Z, S, V, with a 6-digit division "
           "code at positions 3-8 (GB 32100-2015)";
  case SR_USCC_CHECK:
    return "check character (position 18) does not match GB 32100-2015";
  case SR_USCC_ORG_CHECK:
    return "embedded organization code (positions 9-17) fails its GB 11714-1997 check";
  }
  return "invalid";
}

bool sr_eqcode_shape(const char *code)
{
  if(!code || strlen(code) != 18)
    return false;
  for(int i = 0; i < 13; i++)
    if(code[i] < '0' || code[i] > '9')
      return false;
  if(!((code[9] == '1' && code[10] == '9') || (code[9] == '2' && code[10] == '0')))
    return false;
  for(int i = 13; i < 18; i++)
    if(!((code[i] >= '0' && code[i] <= '9') || (code[i] >= 'A' && code[i] <= 'Z')))
      return false;
  return true;
}

bool sr_regno_format(char *out, size_t outsz, const char *class_char, const char *variety,
                     const char *plate, long seq, int year)
{
  if(strlen(variety) < 3 || seq < 0)
    return false;
  int n = snprintf(out, outsz, "%s%c%c%s%05ld(%02d)", class_char, variety[1], variety[2], plate,
                   seq, year % 100);
  return n > 0 && (size_t)n < outsz;
}
