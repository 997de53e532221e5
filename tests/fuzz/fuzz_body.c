/* fuzz_body.c -- every request body meets sr_json_parse_object first: arbitrary bytes must give
 * an object or a problem, never a crash, a leak or undefined behaviour. The typed getters run on
 * whatever parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *body = malloc(size + 1);
  if(!body)
    return 0;
  memcpy(body, data, size);
  body[size] = '\0';
  static const char *const allowed[] = { "a", "d", NULL };
  struct sr_problem pb;
  sr_problem_init(&pb);
  cJSON *j = sr_json_parse_object(body, size, &pb);
  if(j) {
    struct sr_date d;
    sr_json_only(j, allowed, &pb);
    sr_json_string(j, "a", false, 64, &pb);
    sr_json_date(j, "d", false, &d, &pb);
    cJSON *problem = sr_problem_json(&pb, "/fuzz");
    cJSON_Delete(problem);
    cJSON_Delete(j);
  }
  sr_problem_free(&pb);
  sr_problem_init(&pb);
  cJSON_Delete(sr_json_parse_array(body, size, &pb));
  sr_problem_free(&pb);
  free(body);
  return 0;
}
