/* rpc_sock.c: TCP for ONC RPC under a deadline (rpc_wire.h): connect,
 * send, read one record. Every wait is a poll() bounded by the deadline, so
 * a peer that stops answering fails the call, never blocks it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc_wire.h"

long long rpcw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        long long left = deadline - rpcw_now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        int rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -errno;
    }
}

static int connect_ai(const struct addrinfo *ai, long long deadline, int *out)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int one = 1, rc = 0;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* latency only */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        rc = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, deadline) : -errno;
    int err = 0;
    socklen_t el = sizeof(err);
    if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
        rc = -errno;
    else if (rc == 0 && err != 0)
        rc = -err;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

int rpcw_connect(const char *host, int port, long long deadline, int *fd)
{
    char service[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    *fd = -1;
    if (port <= 0 || port > 65535)
        return -EINVAL;
    snprintf(service, sizeof(service), "%d", port);
    if (getaddrinfo(host, service, &hints, &ai) != 0 || ai == NULL)
        return -EHOSTUNREACH;
    int rc = -EHOSTUNREACH;
    for (const struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        rc = connect_ai(a, deadline, fd);
        if (rc == 0 || rc == -ETIMEDOUT)
            break;
    }
    freeaddrinfo(ai);
    return rc;
}

/* Sends (out) or receives all n bytes of p, waiting for the socket under
 * the deadline; a peer that closes first is -ECONNRESET. */
static int xfer_all(int fd, uint8_t *p, size_t n, bool out, long long deadline)
{
    while (n > 0) {
        ssize_t r = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
            if (rc != 0)
                return rc;
            continue;
        }
        if (r <= 0)
            return r == 0 ? -ECONNRESET : -errno;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int rpcw_send(int fd, const uint8_t *p, size_t n, long long deadline)
{
    return xfer_all(fd, (uint8_t *)p, n, true, deadline);
}

static int recv_all(int fd, uint8_t *p, size_t n, long long deadline)
{
    return xfer_all(fd, p, n, false, deadline);
}

int rpcw_read_record(int fd, long long deadline, size_t max, uint8_t **out, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    *out = NULL;
    *len = 0;
    for (;;) {
        uint8_t mark[4];
        int rc = recv_all(fd, mark, 4, deadline);
        uint32_t m = (uint32_t)mark[0] << 24 | (uint32_t)mark[1] << 16 |
                     (uint32_t)mark[2] << 8 | mark[3];
        size_t flen = m & ~RPCW_LAST_FRAGMENT;
        if (rc == 0 && flen > max - n)
            rc = -EMSGSIZE;
        uint8_t *nb = rc == 0 ? realloc(buf, n + flen + 1) : NULL;
        if (rc == 0 && nb == NULL)
            rc = -ENOMEM;
        if (rc == 0) {
            buf = nb;
            rc = recv_all(fd, buf + n, flen, deadline);
        }
        if (rc != 0) {
            free(buf);
            return rc;
        }
        n += flen;
        if (m & RPCW_LAST_FRAGMENT)
            break;
    }
    *out = buf;
    *len = n;
    return 0;
}
