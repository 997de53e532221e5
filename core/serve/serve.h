/* serve.h -- the `sereg serve` process: plugins, HTTP, the sweep thread and the signals. */
#ifndef sr_serve_h
#define sr_serve_h

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Checks the serving settings in the environment (SEREG_HTTP_*, SEREG_SHUTDOWN_GRACE); false
 * with a message naming the variable when one is malformed. */
bool sr_serve_check_env(char *err, size_t errsz);

/* Serves until SIGINT or SIGTERM; SIGHUP reloads the plugins. Returns a process exit code. */
int sr_serve(const struct sr_server_options *opt);

/* Puts the plugin set this process has just published on the record as activation <event>
 * ("serve.start", "deliver.reload", ...) when it differs from the latest recorded one, from the
 * calling thread on a connection of its own; a failure is logged, not fatal. */
void sr_serve_note_activation(const char *event);

#endif
