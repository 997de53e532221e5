/* args.c -- see args.h. */
#include "args.h"

#include <stdbool.h>
#include <string.h>

static bool listed(const char *arg, const char *const *list)
{
  for(; list && *list; list++)
    if(strcmp(arg, *list) == 0)
      return true;
  return false;
}

const char *sr_args_value(int argc, char **argv, int first, const char *name)
{
  for(int i = first; i < argc - 1; i++)
    if(strcmp(argv[i], name) == 0)
      return argv[i + 1];
  return NULL;
}

const char *sr_args_unknown(int argc, char **argv, int first, const char *const *names, const char *const *flags,
                            int positional)
{
  for(int i = first; i < argc; i++) {
    if(listed(argv[i], flags))
      continue;
    if(listed(argv[i], names) && i + 1 < argc) {
      i++;
      continue;
    }
    if(argv[i][0] != '-' && positional-- > 0)
      continue;
    return argv[i];
  }
  return NULL;
}
