/*
 * deliver.h -- the notice worker, in two threads. One does the database's work: it fans
 * committed outbox events out into deliveries, leases the due ones into a queue, and records
 * every attempt. The other renders each body (the Standard Webhooks JSON, or the subscription's
 * format plugin), signs it, and sends up to SR_WEBHOOK_TRANSFERS at once through the libcurl
 * multi sender (send.h). It runs inside `sereg serve` and on its own as `sereg deliver`; any
 * number of them share the work through the database (delivery.h), and a delivery whose worker
 * died is attempted again once its lease runs out.
 */
#ifndef sr_deliver_h
#define sr_deliver_h

#include <stdbool.h>
#include <stddef.h>

/* Reads the settings the worker and the subscriptions need (net.h, notice.h, seal.h); false
 * with the reason, naming the setting, in <err>. */
bool sr_deliver_setup(char *err, size_t errsz);
/* Starts the worker's threads; false (and logged) when it cannot, or when there is no key to
 * open the subscriptions' secrets with (nothing could be signed). */
bool sr_deliver_start(void);
/* Stops taking new work, waits up to <grace_ms> for the attempts in flight, records them, gives
 * back the leases it still holds, and joins the threads. Safe when it was never started. */
void sr_deliver_stop(long grace_ms);

#endif
