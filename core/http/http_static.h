/*
 * http_static.h -- the dashboard's files: the pages of web/ served at "/" (index.html) and
 * "/assets/<name>", and Chart.js from where Debian's libjs-chart.js keeps it. Only the files
 * found when the server started are known; a path is one of them byte for byte or it is not
 * theirs (it goes on to the API's router, and its 404). Each answer carries the pages' Content-
 * Security-Policy and the other headers of docs/architecture.md ("The dashboard").
 */
#ifndef sr_http_static_h
#define sr_http_static_h

#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;
struct sr_static_file;

/* The Content-Security-Policy of every page and asset: nothing inline, nothing from elsewhere,
 * never in a frame. */
#define SR_STATIC_CSP                                                                                     \
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
  "font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* Reads the folder's files into memory: the first of $SEREG_WEBDIR (named: that folder or none),
 * "web" beside the executable (the build tree), "../share/sereg/web" from it (an installed
 * prefix), <fallback>; then Chart.js from $SEREG_CHARTJS or <chartjs> unless the folder has its
 * own chart.min.js. Call once, before serving. A folder not found, or a file not readable, is
 * logged and leaves the pages out (the API serves on); returns whether index.html was found. */
bool sr_static_load(const char *fallback, const char *chartjs);
/* Frees what sr_static_load read. */
void sr_static_unload(void);
/* The folder the pages were read from ("" when none). */
const char *sr_static_dir(void);

/* The file whose path is the raw request target <uri> (as sent, before unescaping; a query
 * after '?' is ignored): "/" for index.html, "/assets/<name>" for the others. NULL otherwise,
 * so that %-escapes, dot segments, doubled slashes and unknown names are never a file. */
const struct sr_static_file *sr_static_find(const char *uri);

/* Queues the answer to GET or HEAD of <f>: 200 with the file, or 304 when <if_none_match>
 * names its ETag. Returns libmicrohttpd's result; *status gets the status sent. */
int sr_static_answer(struct MHD_Connection *conn, const struct sr_static_file *f, const char *if_none_match,
                     const char *request_id, int *status);

#endif
