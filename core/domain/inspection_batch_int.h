/*
 * inspection_batch_int.h -- what the two halves of a batch share: inspection_batch.c reads what
 * the results need and checks and decides them, inspection_batch_write.c writes the accepted
 * ones with one statement per table.
 */
#ifndef sr_inspection_batch_int_h
#define sr_inspection_batch_int_h

#include "db.h"
#include "inspection_int.h"

/* One unit of equipment the batch names, with the facts its results need. */
struct unit {
  long id;
  const char *code, *type, *variety, *status, *commissioned_on, *prev_date, *prev_kind, *jurisdiction;
  const char *history_ids; /* JSON list of the ids of 'history', when the batch amends stored results */
  cJSON *eq;               /* the unit as plugins see it, with regime and suspensions */
  cJSON *history;          /* its stored results as next_due() sees them, oldest first */
  bool drops;              /* an amendment of this batch supersedes one of its stored results */
  struct sr_due due;       /* what the batch leaves it with, decided once for all its results */
  int accepted;            /* results of this batch accepted for it */
};

enum item_state {
  ITEM_REFUSED,
  ITEM_NEW,       /* accepted: written by this batch */
  ITEM_REPLAY,    /* recorded before with this content: answered as then */
  ITEM_SAME_AS,   /* a repeat of an accepted item of this batch */
  ITEM_AMENDMENT, /* parsed, waiting to be checked after the batch's other results */
};

struct item {
  enum item_state state;
  struct sr_problem pb;
  struct upload u;
  struct unit *unit;
  char hash[65];
  int rank;            /* place in the order of checking: amendments after the other results */
  int run;             /* the first item, in that order, with the same report number */
  int holder;          /* on a run's first item: the item of the run that was accepted, or -1 */
  int same_as;         /* ITEM_SAME_AS: the accepted item it repeats */
  bool referenced;     /* a later ITEM_SAME_AS answers with this item's answer */
  int amends_item;     /* an accepted amendment of an item of this batch: that item, else -1 */
  int amends_row;      /* ... of a stored result: its row in 'stored', else -1 */
  int superseded_by;   /* ITEM_NEW superseded by an amendment of this batch: that item, else -1 */
  long id;             /* ITEM_NEW: the id drawn for it */
  const struct sr_conclusion *concl;
  cJSON *answer;       /* ITEM_NEW and ITEM_REPLAY: what the item answers */
  cJSON *pending;      /* ITEM_NEW with hazards: the result as hazards() saw it */
  cJSON *hazards;      /* what the type's hazards() found in it */
};

struct batch {
  struct sr_ctx *c;
  int n;
  struct item *items;
  struct unit *units;
  int nunits;
  struct unit **by_code;    /* units sorted by equipment code; units[] itself is sorted by id */
  int *order;               /* the parsed items in the order of checking */
  int norder;
  struct batch_key *reports; /* the parsed items by report number, then rank */
  struct batch_key *stored_by_report;
  int nstored;
  bool *stored_superseded;  /* per row of 'stored': superseded already, or by this batch */
  bool amendments;          /* the batch holds amendments */
  PGresult *facts, *stored, *accreditations;
};

/* A string, and where it came from, for sorting and binary search. */
struct batch_key {
  const char *s;
  int rank, index;
};

/* Writes the accepted items: results, history, audit records and notices, the units' due dates
 * and the results they supersede, then the hazards they show; fills each one's answer. */
enum sr_err sr_inspection_batch_write(struct batch *b, struct sr_problem *pb);

#endif
