/*
 * outcome.h -- what became of one call into plugin code, named, and the one place where each
 * outcome is put into the words that callers, logs and HTTP answers have always shown.
 *
 * Every engine call returns one of these (as HAProxy's enum hlua_exec names each way a Lua call
 * can end) instead of a bool and a sentence; the sentence still comes with it, for the problem's
 * detail and the log.
 */
#ifndef sr_outcome_h
#define sr_outcome_h

#include <stddef.h>

enum sr_outcome {
  SR_OUTCOME_OK,        /* it ran, and answered (an answer of nothing, nil, included) */
  SR_OUTCOME_ABSENT,    /* the plugin has no such function */
  SR_OUTCOME_RAISED,    /* the plugin raised an error; the sentence is its message */
  SR_OUTCOME_MALFORMED, /* the answer has no JSON form, or not the shape the contract asks */
  SR_OUTCOME_BUDGET,    /* it spent its instruction budget */
  SR_OUTCOME_TIME,      /* it ran past its wall-clock limit */
  SR_OUTCOME_MEMORY,    /* it ran into its memory cap */
  SR_OUTCOME_STRING,    /* it tried to make a string past the string ceiling */
  SR_OUTCOME_STOPPING,  /* the process is stopping (sr_plugins_interrupt): it was not run, or cut */
  SR_OUTCOME_HOST,      /* the host failed it: out of memory or stack on the C side */
};

/* The bounds a call ran under, which the words of a stop name. */
struct sr_outcome_limits {
  long budget;   /* instructions */
  int ms;        /* wall-clock milliseconds */
  size_t memory; /* bytes */
};

/* Puts a stop (SR_OUTCOME_BUDGET, _TIME, _MEMORY, _STRING, _STOPPING) into words, e.g.
 * "instruction budget of 20000000 exceeded"; any other outcome is "stopped". */
void sr_outcome_describe(enum sr_outcome o, const struct sr_outcome_limits *l, char *buf, size_t n);
/* A short fixed name for logs and tests: "ok", "raised", "budget", ... */
const char *sr_outcome_name(enum sr_outcome o);

#endif
