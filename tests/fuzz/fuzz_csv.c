/* fuzz_csv.c -- import files come from outside: any bytes, in any supposed encoding, must be
 * read row by row or refused with a reason, in bounded memory, never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64]; /* one scratch file per process, rewritten for each input */

static void remove_scratch(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if(!path[0]) {
    snprintf(path, sizeof path, "/tmp/sereg-fuzz-csv-XXXXXX");
    int fd = mkstemp(path);
    if(fd < 0)
      abort();
    close(fd);
    atexit(remove_scratch);
  }
  FILE *f = fopen(path, "wb");
  if(!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    abort();
  char err[256];
  struct sr_csv *c = sr_csv_open(path, err, sizeof err);
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
