/* http_connect.c: from "host:port" to a connected non-blocking socket
 * (http_conn_int.h): split the address, convert or resolve it
 * (http_resolve.h), then connect() to each address in turn until one
 * answers; the 5 s of AGL_HCONN_CONNECT_TIMEOUT cover all of it (checked
 * by http_conn.c's on_time). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_conn_int.h"

void hc_close(struct agl_hconn *h)
{
    if (h->res != NULL) {
        h->env.watch(h->env.ctx, agl_resolve_fd(h->res), 0);
        agl_resolve_free(h->res);
        h->res = NULL;
    }
    if (h->fd >= 0) {
        h->env.watch(h->env.ctx, h->fd, 0);
        close(h->fd);
        h->fd = -1;
    }
}

/* Keepalive probes after 60 s idle, every 60 s (libcurl's defaults, which
 * the client had before), and no Nagle delay on the small requests. */
static int tune(int fd)
{
    int on = 1, secs = 60;

    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof secs) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
        return -1;
    return 0;
}

/* "connect to 10.0.0.1:5050: Connection refused", with the address
 * tried when the host is a name. */
static void connect_error(struct agl_hconn *h, int i, const char *step, int e)
{
    char addr[64];

    if (h->named)
        snprintf(h->err, sizeof h->err, "connect to %s (%s): %s%s", h->hostport,
                 agl_addr_text(&h->addrs.a[i], addr, sizeof addr), step, strerror(e));
    else
        snprintf(h->err, sizeof h->err, "connect to %s: %s%s", h->hostport, step, strerror(e));
}

/* The next address: a connect in progress, or the last error reported. */
static void try_next(struct agl_hconn *h)
{
    char last[sizeof h->err];

    while (h->next_addr < h->addrs.n) {
        int i = h->next_addr++;
        int fd = socket(h->addrs.a[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            connect_error(h, i, "socket: ", errno);
            continue;
        }
        if (tune(fd) != 0) {
            connect_error(h, i, "setsockopt: ", errno);
        } else if (connect(fd, (struct sockaddr *)&h->addrs.a[i], h->addrs.len[i]) == 0 ||
                   errno == EINPROGRESS) {
            h->fd = fd;
            h->st = HC_CONNECTING;
            hc_watch(h, POLLOUT); /* writable once connected or refused; fails h if not */
            return;
        } else {
            connect_error(h, i, "", errno);
        }
        close(fd);
    }
    memcpy(last, h->err, sizeof last);
    hc_fail(h, "%s", last);
}

void hc_start(struct agl_hconn *h)
{
    char host[AGL_HTTP_HOST_MAX], why[sizeof h->err];
    unsigned port;

    h->connect_by = h->env.now(h->env.ctx) + AGL_HCONN_CONNECT_TIMEOUT;
    h->next_addr = 0;
    h->st = HC_RESOLVING;
    if (agl_http_split_hostport(h->hostport, host, sizeof host, &port, why, sizeof why) != 0) {
        hc_fail(h, "%s", why);
        return;
    }
    h->named = agl_addrs_numeric(host, port, &h->addrs) != 0;
    if (!h->named) {
        try_next(h);
        return;
    }
    if ((h->res = agl_resolve_start(host, port, why, sizeof why)) == NULL)
        hc_fail(h, "%s", why);
    else if (h->env.watch(h->env.ctx, agl_resolve_fd(h->res), POLLIN) != 0)
        hc_fail(h, "resolve %s: the loop cannot watch one more descriptor", host);
}

void hc_on_resolved(struct agl_hconn *h)
{
    char why[sizeof h->err];
    int rc = agl_resolve_result(h->res, &h->addrs, why, sizeof why);

    if (rc == 1)
        return; /* not yet */
    hc_close(h); /* the lookup (no socket yet) */
    if (rc != 0)
        hc_fail(h, "%s", why);
    else
        try_next(h);
}

void hc_on_connect(struct agl_hconn *h)
{
    struct sockaddr_storage peer;
    socklen_t n = sizeof(int), pn = sizeof peer;
    int e = 0;

    if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &n) != 0)
        e = errno;
    if (e == 0 && getpeername(h->fd, (struct sockaddr *)&peer, &pn) != 0) {
        if (errno == ENOTCONN)
            return; /* a stale wake-up: still connecting */
        e = errno;
    }
    if (e == 0) {
        hc_connected(h);
        return;
    }
    connect_error(h, h->next_addr - 1, "", e);
    hc_close(h); /* the socket (the lookup is over) */
    try_next(h);
}
