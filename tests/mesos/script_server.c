/* script_server.c: see script_server.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "script_server.h"

static void pause_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for fd to be readable; false when stopped. */
static bool readable(struct srv *s, int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    while (!atomic_load(&s->stop)) {
        if (poll(&p, 1, 20) > 0)
            return true;
    }
    return false;
}

/* Bytes of a request in buf[0..n): 0 while incomplete. */
static size_t request_size(const char *buf, size_t n)
{
    const char *end = strstr(buf, "\r\n\r\n"), *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t head;

    if (end == NULL)
        return 0;
    head = (size_t)(end + 4 - buf);
    if (cl != NULL && cl < end)
        head += strtoul(cl + 17, NULL, 10);
    return head <= n ? head : 0;
}

/* One request (head and Content-Length body); false at EOF or stop. */
static bool read_request(struct srv *s, int fd)
{
    char buf[65536];
    size_t n = 0;

    buf[0] = '\0';
    while (request_size(buf, n) == 0) {
        if (n + 1 >= sizeof buf || !readable(s, fd))
            return false;
        ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (k <= 0)
            return false;
        n += (size_t)k;
        buf[n] = '\0';
    }
    return true;
}

static void write_pieces(int fd, const char *text)
{
    for (const char *p = text; *p != '\0';) {
        size_t k = strcspn(p, "|");
        if (send(fd, p, k, MSG_NOSIGNAL) != (ssize_t)k)
            return;
        p += k;
        if (*p == '|') {
            pause_ms(20);
            p++;
        }
    }
}

static void serve_connection(struct srv *s, int fd, int *next)
{
    while (read_request(s, fd)) {
        atomic_fetch_add(&s->requests, 1);
        if (*next >= s->n) {
            while (readable(s, fd) && recv(fd, (char[64]){0}, 64, 0) > 0)
                ; /* silence until the client gives up */
            return;
        }
        const struct answer *a = &s->script[(*next)++];
        write_pieces(fd, a->text);
        if (a->close_after)
            return;
    }
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    int next = 0;

    while (readable(s, s->lfd)) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->accepts, 1);
        serve_connection(s, fd, &next);
        close(fd);
    }
    return NULL;
}

int srv_start(struct srv *s, int family, const struct answer *script, int n)
{
    struct sockaddr_storage a = {0};
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

    memset(s, 0, sizeof *s);
    s->script = script;
    s->n = n;
    a.ss_family = (sa_family_t)family;
    if (family == AF_INET6)
        ((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
    else
        ((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((s->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (bind(s->lfd, (struct sockaddr *)&a, len) != 0 || listen(s->lfd, 8) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &len) != 0) {
        close(s->lfd);
        return -1;
    }
    s->port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                       : ((struct sockaddr_in *)&a)->sin_port);
    return pthread_create(&s->thread, NULL, serve, s) == 0 ? 0 : -1;
}

void srv_stop(struct srv *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->lfd);
}
