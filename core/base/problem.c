/* problem.c -- see problem.h. */
#include "problem.h"
#include "i18n.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>

void sr_problem_init(struct sr_problem *pb)
{
  pb->err = SR_OK;
  pb->detail[0] = '\0';
  pb->errors = NULL;
  pb->retry_after = 0;
}

void sr_problem_free(struct sr_problem *pb)
{
  cJSON_Delete(pb->errors);
  sr_problem_init(pb);
}

enum sr_err sr_problem_set(struct sr_problem *pb, enum sr_err err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  /* Translated here, in the thread's language, so that no call site has to. */
  vsnprintf(pb->detail, sizeof pb->detail, sr_gettext(fmt), ap);
  va_end(ap);
  sr_utf8_trim(pb->detail); /* a long detail may have been cut inside a character */
  pb->err = err;
  return err;
}

void sr_problem_field(struct sr_problem *pb, const char *field, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, sr_gettext(fmt), ap);
  va_end(ap);
  sr_utf8_trim(msg);
  if(pb->err == SR_OK) {
    pb->err = SR_INVALID;
    if(!pb->detail[0])
      snprintf(pb->detail, sizeof pb->detail, "%s", _("Some fields are invalid; see errors."));
  }
  if(!pb->errors)
    pb->errors = cJSON_CreateArray();
  if(!pb->errors || cJSON_GetArraySize(pb->errors) >= 100) /* enough to act on; bounded */
    return;
  cJSON *e = cJSON_CreateObject();
  if(!e)
    return;
  cJSON_AddStringToObject(e, "field", field);
  cJSON_AddStringToObject(e, "message", msg);
  cJSON_AddItemToArray(pb->errors, e);
}

int sr_problem_nfields(const struct sr_problem *pb)
{
  return pb->errors ? cJSON_GetArraySize(pb->errors) : 0;
}

cJSON *sr_problem_json(const struct sr_problem *pb, const char *instance)
{
  enum sr_err err = pb->err == SR_OK ? SR_INTERNAL : pb->err;
  cJSON *j = cJSON_CreateObject();
  if(!j)
    return NULL;
  char type[128];
  snprintf(type, sizeof type, "urn:sereg:problem:%s", sr_err_slug(err));
  cJSON_AddStringToObject(j, "type", type);
  cJSON_AddStringToObject(j, "title", _(sr_err_title(err)));
  cJSON_AddNumberToObject(j, "status", sr_err_status(err));
  cJSON_AddStringToObject(j, "detail", pb->detail[0] ? pb->detail : _(sr_err_title(err)));
  if(instance)
    cJSON_AddStringToObject(j, "instance", instance);
  cJSON_AddItemToObject(j, "errors", pb->errors ? cJSON_Duplicate(pb->errors, 1) : cJSON_CreateArray());
  return j;
}
