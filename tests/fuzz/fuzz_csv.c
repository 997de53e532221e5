/* fuzz_csv.c -- import files come from outside: any bytes, in any supposed encoding, must be
 * read row by row or refused with a reason, in bounded memory, never crash. The input is read
 * from memory, through the same reader (encoding, chunks, rows) that reads a file. */
#include <stdint.h>
#include <stdlib.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char err[256];
  struct sr_csv *c = sr_csv_open_mem((const char *)data, size, "fuzz input", err, sizeof err);
  if(!c)
    return 0;
  char **fields;
  int n, rows = 0;
  enum sr_csv_status st;
  while((st = sr_csv_next(c, &fields, &n, err, sizeof err)) == SR_CSV_ROW || st == SR_CSV_BAD_ROW) {
    for(int i = 0; st == SR_CSV_ROW && i < n; i++)
      if(!fields[i])
        abort(); /* a row's fields are always strings */
    if(++rows > 100000)
      break;
    (void)sr_csv_line(c);
    (void)sr_csv_progress(c);
  }
  sr_csv_close(c);
  return 0;
}
