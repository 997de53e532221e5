/* demo.h -- the demo city: Chengdu's units with a handful of organizations and about a hundred
 * units of equipment, loaded through the same domain functions as the API. Idempotent. */
#ifndef sr_demo_h
#define sr_demo_h

#include "ctx.h"

/* Loads what is missing; prints a summary. Returns false with <pb> filled on the first error. */
bool sr_demo_load(struct sr_ctx *c, struct sr_problem *pb);
/* A valid credit code for demo organization <n> registered in division <div> ("510104"). */
void sr_demo_credit_code(int n, const char *div, char out[19]);

#endif
