/*
 * ident.h -- validation of the identifiers the registry keys on: the unified social credit code
 * (GB 32100-2015), the organization code embedded in it (GB 11714-1997), the 18-character
 * equipment code (TSG 08-2017 annex) and the registration-certificate number (使用登记证编号).
 */
#ifndef sr_ident_h
#define sr_ident_h

#include <stdbool.h>
#include <stddef.h>

enum sr_uscc_result {
  SR_USCC_OK = 0,
  SR_USCC_FORMAT,      /* wrong length or a character outside the GB 32100 set */
  SR_USCC_CHECK,       /* the 18th character does not match */
  SR_USCC_ORG_CHECK    /* positions 9-17 are not a valid GB 11714 organization code */
};

enum sr_uscc_result sr_uscc_check(const char *code);
/* A sentence that explains <r> to a person. */
const char *sr_uscc_explain(enum sr_uscc_result r);
/* Computes the check character for the first 17 characters of <prefix17>; '\0' if invalid. */
char sr_uscc_check_char(const char *prefix17);

/* GB 11714: 8 body characters [0-9A-Z] and a check character [0-9X]. */
bool sr_orgcode_valid(const char *code9);
char sr_orgcode_check_char(const char *body8);

/* Equipment code: 4-digit variety, 5-digit manufacturer, 4-digit year (19xx/20xx), 5-character
 * serial. Only the shape; the variety and the year against today are the caller's checks. */
bool sr_eqcode_shape(const char *code);

/* Formats a registration-certificate number: <class char><variety digits 2-3><plate><seq>(yy),
 * e.g. "梯11川A00012(26)". Returns false when <out> is too small. */
bool sr_regno_format(char *out, size_t outsz, const char *class_char, const char *variety,
                     const char *plate, long seq, int year);

#endif
