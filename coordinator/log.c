/* log.c: one event a line on stderr with "<N>" severity prefixes (log.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_level = AGD_INFO;
static agd_log_sink_fn *log_sink;
static void *log_sink_ctx;

static const char *const level_names[] = {
    [AGD_ERR] = "error",   [AGD_WARNING] = "warning", [AGD_NOTICE] = "notice",
    [AGD_INFO] = "info",   [AGD_DEBUG] = "debug",
};

void agd_log_set_level(int level)
{
    log_level = level;
}

int agd_log_level(void)
{
    return log_level;
}

int agd_log_level_parse(const char *name, int *level)
{
    for (int i = AGD_ERR; i <= AGD_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = i;
            return 0;
        }
    }
    return -1;
}

const char *agd_log_level_name(int level)
{
    if (level < AGD_ERR || level > AGD_DEBUG)
        return "?";
    return level_names[level];
}

void agd_log_set_sink(agd_log_sink_fn *fn, void *ctx)
{
    log_sink = fn;
    log_sink_ctx = ctx;
}

void agd_log_escape(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[5];
        if (c == '\n')
            strcpy(esc, "\\n");
        else if (c == '\t')
            strcpy(esc, "\\t");
        else if (c == '\r')
            strcpy(esc, "\\r");
        else if (c == '\\')
            strcpy(esc, "\\\\");
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof(esc), "\\x%02x", c);
        else
            esc[0] = (char)c, esc[1] = '\0';
        size_t n = strlen(esc);
        if (o + n >= outlen)
            break;
        memcpy(out + o, esc, n);
        o += n;
    }
    out[o] = '\0';
}

/* One write() per line, so lines of concurrent writers (the leader
 * command's relay, other processes sharing stderr) never interleave. */
static void emit(int level, const char *line)
{
    if (log_sink != NULL) {
        log_sink(log_sink_ctx, level, line);
        return;
    }
    char buf[AGD_LOG_LINE_MAX + 32], stamp[32] = "";
    /* AGORAD_LOG_MONOTONIC=1: each line also carries CLOCK_MONOTONIC (the
     * history logs' clock), for reading several agorads' logs side by side */
    static int stamps = -1;
    if (stamps < 0)
        stamps = getenv("AGORAD_LOG_MONOTONIC") != NULL;
    if (stamps) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(stamp, sizeof(stamp), "[%lld.%03ld] ", (long long)ts.tv_sec,
                 ts.tv_nsec / 1000000);
    }
    int n = snprintf(buf, sizeof(buf), "<%d>%s%s\n", level, stamp, line);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf)) {
        n = (int)sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    int saved = errno;
    ssize_t w;
    do
        w = write(STDERR_FILENO, buf, (size_t)n);
    while (w < 0 && errno == EINTR);
    errno = saved;
}

__attribute__((format(printf, 3, 0))) static void vlog(int level, const char *prefix,
                                                     const char *fmt, va_list ap)
{
    if (level > log_level && level > AGD_NOTICE)
        return;
    char raw[AGD_LOG_LINE_MAX], line[AGD_LOG_LINE_MAX];
    vsnprintf(raw, sizeof(raw), fmt, ap);
    agd_log_escape(raw, line, sizeof(line));
    if (prefix != NULL && *prefix != '\0') {
        char full[AGD_LOG_LINE_MAX];
        snprintf(full, sizeof(full), "%s%s", prefix, line);
        emit(level, full);
        return;
    }
    emit(level, line);
}

void agd_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

void agd_logp(int level, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, prefix, fmt, ap);
    va_end(ap);
}
