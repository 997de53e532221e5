/*
 * sr_limits.h -- every ceiling sereg enforces, in one place, so that a reviewer sees them all
 * and a test can refer to them by name.
 */
#ifndef sr_limits_h
#define sr_limits_h

#define SR_MAX_BODY (1024 * 1024)          /* HTTP request body */
#define SR_MAX_BATCH_BODY (32 * 1024 * 1024) /* a batch of up to 10,000 results */
#define SR_MAX_EVIDENCE (8 * 1024 * 1024)   /* one evidence file (photo, scanned report) */
#define SR_EVIDENCE_QUOTA (256L * 1024 * 1024) /* evidence bytes one account uploads in 24 hours */
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
#define SR_PLUGIN_CALL_MS 2000             /* wall-clock time of one plugin call or file load */
#define SR_PLUGIN_MAX_STRING (1024 * 1024) /* longest string a plugin can make, in bytes */
#define SR_PLUGIN_BYTES_PER_STEP 4         /* bytes of string work charged as one instruction */
#define SR_PLUGIN_ALLOC_BYTES_PER_STEP 64  /* bytes a call allocates, charged as one instruction */
#define SR_PLUGIN_HANDLER_TRIES 10         /* times a failing xpcall handler is given its own error */
#define SR_PATTERN_STEP_COST 1             /* instructions charged per step of the pattern matcher */
#define SR_PATTERN_MAX_DEPTH 200           /* nested items of one pattern match (as Lua's own) */
#define SR_PATTERN_MAX_CAPTURES 32         /* captures in one pattern (as Lua's own) */
#define SR_PLUGIN_MAX_ERRORS 100           /* errors one validate() may return */
/* Administrators' scripts (sereg script; defaults of SEREG_SCRIPT_*). A script runs as one call
 * of the sandbox, so its budget and time are for the whole run. */
#define SR_SCRIPT_MEMORY (256u * 1024 * 1024) /* bytes one script's state may hold */
#define SR_SCRIPT_BUDGET 20000000000L      /* VM instructions of one run (about a minute of Lua) */
#define SR_SCRIPT_MS (3600L * 1000)        /* wall-clock time of one run, host work included */
#define SR_MAX_SCRIPT_FILE (1024 * 1024)   /* one script's source */
#define SR_SCRIPT_MAX_ITEMS 100000         /* JSON values in one argument a script hands the host */
#define SR_SCRIPT_MAX_FILTERS 32           /* filters of one sereg.each */
#define SR_SCRIPT_MAX_COLUMNS 64           /* columns of a script's output */
#define SR_SCRIPT_ITEM_COST 20             /* instructions charged for each record a list hands a script */
#define SR_LIST_DEFAULT 50                 /* page size when 'limit' is not given */
#define SR_LIST_MAX 500                    /* largest page a caller may ask for */
#define SR_FIGURES_SERIES_MAX 24           /* months of figures one request may ask for (series=) */
#define SR_EXPORT_MAX_ROWS 100000          /* rows of a list exported as CSV or xlsx (SEREG_EXPORT_MAX_ROWS lowers it) */
#define SR_SHEET_MAX_COLUMNS 64            /* columns of one sheet */
#define SR_SHEET_MAX_WIDTH 60              /* widest column of an xlsx sheet, in character widths */
#define SR_SHEET_MAX_BYTES 536870912       /* one exported file read back into memory (512 MiB) */
#define SR_IF_MATCH_MAX 16                 /* entity tags one If-Match may list */
#define SR_IDEM_KEY_MAX 255                /* characters of an Idempotency-Key */
#define SR_SEARCH_MIN 2                    /* characters of a search (q): every one holds a character pair */
#define SR_SEARCH_MAX 100                  /* characters of a search (q) */

/* HTTP connections and deadlines (defaults of the SEREG_HTTP_* settings, see http_guard.h). */
#define SR_HTTP_MAX_CONNECTIONS 1024       /* open connections in all */
#define SR_HTTP_MAX_PER_IP 64              /* from one client address (0 behind a proxy) */
#define SR_HTTP_IDLE_TIMEOUT 30            /* s: a connection waits this long for a request line */
#define SR_HTTP_HEADER_TIMEOUT 10          /* s: from the request line to the end of the headers */
#define SR_HTTP_BODY_TIMEOUT 30            /* s: a body's grace before the minimum rate applies */
#define SR_HTTP_MIN_BODY_RATE (32 * 1024)  /* bytes/s a body averages after its grace */
#define SR_HTTP_BODY_MEMORY (512u * 1024 * 1024) /* all request bodies in flight together */
#define SR_HTTP_GUARD_TICK_MS 250          /* how often the deadlines are looked at */
/* Work that gives way to writers (the sweep): it waits at most this long for a lock, well under
 * PostgreSQL's deadlock_timeout, so that when it and a writer wait on each other it is always
 * this work that steps back, tries again after a pause, and so many times. */
#define SR_YIELD_LOCK_TIMEOUT "200ms"
#define SR_YIELD_RETRIES 50
#define SR_YIELD_PAUSE_US 100000
/* Rows the sweep handles per transaction: small enough that a failure costs little work,
 * large enough that a catch-up over thousands of units is a few dozen round trips. */
#define SR_SWEEP_CHUNK 200
#define SR_DIFF_CHUNK 1000 /* units a rule replay (plugins diff, apply-due) reads at once */
#define SR_TOKEN_DEFAULT_DAYS 90           /* a new token's life unless --expires says otherwise */
#define SR_TOKEN_MAX_DAYS 3650             /* the longest life a token may be given, but 'never' */
/* People who log in (core/domain/account.c, password.c, session.c; defaults of SEREG_LOGIN_*,
 * SEREG_SESSION_* and SEREG_PASSWORD_*). */
#define SR_LOGIN_NAME_MAX_CHARS 32         /* characters of a login name ('王监察', 'wangjc') */
#define SR_LOGIN_NAME_MAX_BYTES 128        /* its bytes (32 characters of four bytes at most) */
#define SR_PASSWORD_MIN_CHARS 10           /* the complexity rule's length */
#define SR_PASSWORD_MAX_BYTES 1024         /* a password's bytes; Argon2 takes any length, we do not */
#define SR_SESSION_BODY_MAX 4096           /* the body of POST /api/v1/session */
#define SR_SESSION_IDLE_S (30 * 60)        /* a session ends after this long without a request */
#define SR_SESSION_MAX_S (12 * 3600)       /* and this long after its login, whatever it did */
#define SR_SESSION_TOUCH_S 60              /* a session's last use is written at most this often */
#define SR_LOGIN_MAX_FAILURES 5            /* failed logins within the window that lock an account */
#define SR_LOGIN_WINDOW_S (15 * 60)        /* the window failures are counted in */
#define SR_LOGIN_LOCK_S (15 * 60)          /* how long a locked account stays locked */
#define SR_LOGIN_DELAY_S 1                 /* after the 2nd failure, the wait before the next try, doubled each failure */
#define SR_LOGIN_DELAY_MAX_S 60            /* and never more than this */
#define SR_PASSWORD_OPSLIMIT 3             /* Argon2id passes (libsodium's opslimit) */
#define SR_PASSWORD_MEMLIMIT_MIB 64        /* Argon2id memory per hash, MiB (libsodium's memlimit) */
#define SR_SESSIONS_GAUGE_S 10             /* /metrics reads the live sessions from the database at most this often */
#define SR_HTTP_SHUTDOWN_GRACE 15          /* s: SIGTERM waits this long for requests in flight */

/* Notices (defaults of the SEREG_WEBHOOK_* settings, see net.h and notice.h). */
#define SR_WEBHOOK_MAX_URL 2048            /* a subscriber's URL, in bytes */
#define SR_WEBHOOK_TIMEOUT_MS 15000        /* one attempt, from connecting to the end of the answer */
#define SR_WEBHOOK_CONNECT_TIMEOUT_MS 15000 /* connecting, TLS included */
#define SR_WEBHOOK_MAX_ANSWER (64 * 1024)  /* bytes of a receiver's answer read before it is cut */
#define SR_WEBHOOK_ANSWER_KEPT 1024        /* bytes of it kept in the attempt's record */
#define SR_WEBHOOK_TRANSFERS 64            /* deliveries in flight at once in one process */
#define SR_WEBHOOK_MAX_TRANSFERS 1024      /* the most one sender may be asked to run at once */
#define SR_WEBHOOK_MAX_ALLOW 256           /* ranges SEREG_WEBHOOK_ALLOW may name */
#define SR_WEBHOOK_MIN_TIMEOUT_MS 100      /* the shortest SEREG_WEBHOOK_*TIMEOUT accepted */
#define SR_WEBHOOK_MAX_TIMEOUT_MS 600000   /* the longest (10 minutes) */
#define SR_WEBHOOK_MAX_ATTEMPTS 20         /* entries of a retry schedule */
#define SR_WEBHOOK_ROTATION_OVERLAP 86400  /* s: a rotated secret still signs, beside the new one */
#define SR_NOTICE_MAX_BODY 20000           /* bytes of one notice's body, as a format renders it */
#define SR_NOTICE_MAX_FORMATS 16           /* notice formats in one plugin set */
#define SR_NOTICE_MAX_TITLE 100            /* a notice format's title, in bytes */
#define SR_NOTICE_MAX_CONTENT_TYPE 200     /* a notice format's content type, in bytes */

/* Rows of `sereg import inspections` sent to the batch at a time: a batch's cost grows with its
 * items, and a back-log of years is many batches in the run's one transaction. */
#define SR_IMPORT_INSP_CHUNK 1000

#endif
