/* net_int.h -- what net.c shares with send.c alone. */
#ifndef sr_net_int_h
#define sr_net_int_h

#include <stdbool.h>
#include <stddef.h>

/* curl_global_init, once; sr_net_setup calls it, and a sender made without it calls it too. */
bool sr_net_init_curl(char *err, size_t errsz);

#endif
