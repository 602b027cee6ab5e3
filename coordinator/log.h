/* log.h: agorad's log. One event a line on stderr, each line prefixed with
 * its syslog severity as "<N>" (sd-daemon(3) style), which journald turns
 * into the PRIORITY field; anywhere else the prefix is harmless. State
 * changes (became leader, lost the lease, command started/stopped) are logged
 * at NOTICE, which every log level shows. */
#ifndef AGD_LOG_H
#define AGD_LOG_H

#include <stddef.h>

enum agd_level {
    AGD_ERR = 3,
    AGD_WARNING = 4,
    AGD_NOTICE = 5, /* state changes: always shown */
    AGD_INFO = 6,
    AGD_DEBUG = 7,
};

#define AGD_LOG_LINE_MAX 2048

/* Lines above `level` are dropped. NOTICE and more severe are always shown,
 * whatever the level. Default AGD_INFO. */
void agd_log_set_level(int level);
int agd_log_level(void);

/* "error", "warning", "notice", "info", "debug" -> *level; -1 if unknown. */
int agd_log_level_parse(const char *name, int *level);
const char *agd_log_level_name(int level);

/* Where lines go (default: written to fd 2 with one write()). fn gets the
 * severity and the line without the prefix or newline. NULL restores. */
typedef void agd_log_sink_fn(void *ctx, int level, const char *line);
void agd_log_set_sink(agd_log_sink_fn *fn, void *ctx);

/* Logs one line. Control characters in the message (a newline from a
 * hostile file name, say) are escaped, so an event is always one line. */
void agd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same with a prefix such as "node 2: " (the in-process tests run three
 * nodes in one process). prefix may be NULL or "". */
void agd_logp(int level, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Escapes s (control characters and backslash as \n, \t, \xNN) into
 * out[outlen], always NUL-terminated, truncated if needed. */
void agd_log_escape(const char *s, char *out, size_t outlen);

#endif
