/* log.h -- one-line log records to stderr, with a UTC timestamp and a level. */
#ifndef sr_log_h
#define sr_log_h

enum sr_log_level { SR_LOG_DEBUG, SR_LOG_INFO, SR_LOG_WARN, SR_LOG_ERROR };

void sr_log_set_level(enum sr_log_level min);
void sr_log(enum sr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sr_info(...) sr_log(SR_LOG_INFO, __VA_ARGS__)
#define sr_warn(...) sr_log(SR_LOG_WARN, __VA_ARGS__)
#define sr_error(...) sr_log(SR_LOG_ERROR, __VA_ARGS__)

#endif
