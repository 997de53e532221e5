/*
 * sr_limits.h -- every ceiling sereg enforces, in one place, so that a reviewer sees them all
 * and a test can refer to them by name.
 */
#ifndef sr_limits_h
#define sr_limits_h

#define SR_MAX_BODY (1024 * 1024)          /* HTTP request body */
#define SR_MAX_BATCH_BODY (32 * 1024 * 1024) /* a batch of up to 10,000 results */
#define SR_MAX_EVIDENCE (8 * 1024 * 1024)   /* one evidence file (photo, scanned report) */
#define SR_MAX_JSON_DEPTH 16               /* nesting accepted in request bodies */
#define SR_MAX_JSON_MEMBERS 100000         /* members of one object or array (a batch holds 10,000) */
#define SR_MAX_STRING 1000                 /* any single free-text string field, in bytes */
#define SR_CSV_MAX_ROW (1024 * 1024)       /* one row of an import file, in bytes */
#define SR_CSV_MAX_FIELDS 256              /* fields in one row of an import file */
#define SR_MAX_PLUGIN_FILE (256 * 1024)    /* one plugin source file */
#define SR_MAX_PLUGINS 64                  /* plugin files in a folder */
#define SR_PLUGIN_MEMORY (32u * 1024 * 1024) /* bytes one plugin Lua state may hold */
#define SR_PLUGIN_CALL_BUDGET 20000000L    /* VM instructions per plugin call */
#define SR_PLUGIN_LOAD_BUDGET 20000000L    /* VM instructions to load one plugin file */
#define SR_PLUGIN_MAX_ERRORS 100           /* errors one validate() may return */
#define SR_LIST_DEFAULT 50                 /* page size when 'limit' is not given */
#define SR_LIST_MAX 500                    /* largest page a caller may ask for */

#endif
