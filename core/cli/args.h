/* args.h -- the command line's options, as every command reads them: an option is a known name
 * followed by its value, a flag a known name alone, anything else one of a few plain words. */
#ifndef sr_args_h
#define sr_args_h

/* The value of option <name> in argv[first..], or NULL. */
const char *sr_args_value(int argc, char **argv, int first, const char *name);
/* The first argument of argv[first..] that is none of option <names> (each with its value),
 * <flags> (NULL: none) or at most <positional> plain words; NULL when every one is known. */
const char *sr_args_unknown(int argc, char **argv, int first, const char *const *names, const char *const *flags,
                            int positional);

#endif
