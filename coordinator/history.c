/* history.c: JSON lines for the history checker (history.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "history.h"

struct agd_history {
    int fd;
    uint32_t node;
};

int agd_history_open(const char *path, uint32_t node, struct agd_history **out)
{
    *out = NULL;
    if (path == NULL)
        return 0;
    struct agd_history *h = malloc(sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    h->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (h->fd < 0) {
        int e = errno;
        free(h);
        return -e;
    }
    h->node = node;
    *out = h;
    return 0;
}

void agd_history_close(struct agd_history *h)
{
    if (h == NULL)
        return;
    close(h->fd);
    free(h);
}

int agd_history_add(struct agd_history *h, agora_time_t t, const char *event,
                    const char *extra_fmt, ...)
{
    if (h == NULL)
        return 0;
    char extra[512], line[700];
    va_list ap;
    va_start(ap, extra_fmt);
    vsnprintf(extra, sizeof(extra), extra_fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof(line), "{\"t\":%" PRIu64 ",\"node\":%" PRIu32
                     ",\"event\":\"%s\"%s}\n", t, h->node, event, extra);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -EOVERFLOW;
    ssize_t w;
    do
        w = write(h->fd, line, (size_t)n);
    while (w < 0 && errno == EINTR);
    return w == n ? 0 : w < 0 ? -errno : -EIO;
}
