/* http_conn.c: requests and answers on one connection (http_conn.h); the
 * connect itself is in http_connect.c.
 *
 * A request: HC_IDLE -> (resolve, connect) -> HC_SENDING -> HC_RECEIVING
 * -> HC_READY (kept alive) or HC_IDLE (closed), then ops->done. Any
 * failure: HC_FAILED, reported by ops->done at once from an event, or at
 * the next on_time when it happened inside agl_hconn_request.
 *
 * Callbacks may free the connection: every entry point counts itself in
 * `busy`, agl_hconn_free only marks a busy connection `doomed`, and after
 * each callback the code returns at once if it was. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_conn_int.h"

#define RECV_CHUNK 16384

struct agl_hconn *agl_hconn_new(const struct agl_hconn_env *env, const char *hostport,
                                const struct agl_hconn_ops *ops, void *ctx)
{
    struct agl_hconn *h = calloc(1, sizeof *h);

    if (h == NULL)
        return NULL;
    h->env = *env;
    h->ops = ops;
    h->ctx = ctx;
    h->fd = -1;
    snprintf(h->hostport, sizeof h->hostport, "%s", hostport);
    agl_http_parser_init(&h->parser);
    return h;
}

void agl_hconn_free(struct agl_hconn *h)
{
    if (h == NULL)
        return;
    hc_close(h);
    free(h->req);
    h->req = NULL;
    h->st = HC_IDLE;
    if (h->busy > 0)
        h->doomed = true;
    else
        free(h);
}

void hc_fail(struct agl_hconn *h, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    hc_close(h);
    h->st = HC_FAILED;
}

int hc_watch(struct agl_hconn *h, short events)
{
    if (h->env.watch(h->env.ctx, h->fd, events) == 0)
        return 0;
    hc_fail(h, "connection to %s: the loop cannot watch one more descriptor", h->hostport);
    return -1;
}

/* A failed send or recv: sent again once if the request met a kept-alive
 * connection the server had closed (nothing of an answer yet). */
static void io_error(struct agl_hconn *h, const char *what, int e)
{
    bool stale = h->reused && !h->retried && h->got == 0 &&
                 (e == 0 || e == EPIPE || e == ECONNRESET);

    if (!stale) {
        hc_fail(h, "%s %s: %s", what, h->hostport,
                e == 0 ? "connection closed before any response" : strerror(e));
        return;
    }
    hc_close(h);
    h->retried = true;
    h->reused = false;
    h->req_off = 0;
    hc_start(h);
}

static void send_some(struct agl_hconn *h)
{
    while (h->req_off < h->req_len) {
        ssize_t k = send(h->fd, h->req + h->req_off, h->req_len - h->req_off, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            hc_watch(h, POLLOUT); /* fails h if it cannot */
            return;
        }
        if (k < 0) {
            io_error(h, "send to", errno);
            return;
        }
        h->req_off += (size_t)k;
    }
    h->st = HC_RECEIVING;
    hc_watch(h, POLLIN);
}

void hc_connected(struct agl_hconn *h)
{
    h->st = HC_SENDING;
    send_some(h);
}

int agl_hconn_request(struct agl_hconn *h, char *req, size_t len, agora_time_t timeout)
{
    if (h->req != NULL || h->st == HC_FAILED) {
        free(req);
        return -1;
    }
    h->req = req;
    h->req_len = len;
    h->req_off = h->got = 0;
    h->timeout = timeout;
    h->started = h->env.now(h->env.ctx);
    h->retried = h->head_seen = false;
    h->reused = h->st == HC_READY;
    h->err[0] = '\0';
    agl_http_parser_init(&h->parser);
    if (h->reused)
        hc_connected(h);
    else
        hc_start(h);
    return 0;
}

bool agl_hconn_owns(const struct agl_hconn *h, int fd)
{
    return fd >= 0 && (fd == h->fd || (h->res != NULL && fd == agl_resolve_fd(h->res)));
}

/* The request failed: the owner hears it. */
static void report(struct agl_hconn *h)
{
    struct agl_http_resp r;
    char err[sizeof h->err];

    if (h->head_seen)
        r = h->parser.resp;
    else
        memset(&r, 0, sizeof r);
    memcpy(err, h->err, sizeof err);
    free(h->req);
    h->req = NULL;
    h->st = HC_IDLE;
    h->ops->done(h->ctx, &r, err);
}

/* The answer is complete: keep the connection or close it, then tell. */
static void finish(struct agl_hconn *h, bool keep)
{
    struct agl_http_resp r = h->parser.resp;

    free(h->req);
    h->req = NULL;
    if (keep && r.keep_alive) {
        h->st = HC_READY;
        if (hc_watch(h, POLLIN) != 0) /* to see the server close it while idle */
            h->st = HC_IDLE;
    } else {
        hc_close(h);
        h->st = HC_IDLE;
    }
    h->ops->done(h->ctx, &r, "");
}

static int body_cb(void *ctx, const char *p, size_t n)
{
    struct agl_hconn *h = ctx;
    int rc = h->ops->body(h->ctx, p, n, h->stop_why, sizeof h->stop_why);

    return rc != 0 || h->doomed;
}

/* Answer bytes through the parser to the owner. */
static void feed(struct agl_hconn *h, const char *buf, size_t n)
{
    size_t off = 0, used;

    for (;;) {
        int rc = agl_http_feed(&h->parser, buf + off, n - off, &used, body_cb, h);
        off += used;
        if (h->doomed)
            return;
        if (rc == AGL_HTTP_DONE)
            finish(h, off == n); /* more bytes than one answer: not kept */
        else if (rc == AGL_HTTP_STOP)
            hc_fail(h, "%s", h->stop_why);
        else if (rc == AGL_HTTP_ERROR)
            hc_fail(h, "HTTP response from %s: %s", h->hostport, h->parser.why);
        if (rc != AGL_HTTP_HEAD)
            return;
        h->head_seen = true; /* AGL_HTTP_HEAD */
        if (h->ops->head != NULL)
            h->ops->head(h->ctx, &h->parser.resp);
        if (h->doomed)
            return;
    }
}

static void on_eof(struct agl_hconn *h)
{
    if (h->reused && !h->retried && h->got == 0)
        io_error(h, "recv from", 0);
    else if (agl_http_eof(&h->parser) == AGL_HTTP_DONE)
        finish(h, false);
    else
        hc_fail(h, "HTTP response from %s: %s", h->hostport, h->parser.why);
}

static void on_readable(struct agl_hconn *h)
{
    char buf[RECV_CHUNK];
    ssize_t k = recv(h->fd, buf, sizeof buf, 0);

    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (k < 0) {
        io_error(h, "recv from", errno);
    } else if (k == 0) {
        on_eof(h);
    } else {
        h->got += (size_t)k;
        feed(h, buf, (size_t)k);
    }
}

/* While kept alive with no request: the server closed (or talks out of
 * turn); either way the connection is done with. */
static void on_idle_readable(struct agl_hconn *h)
{
    char b;
    ssize_t k = recv(h->fd, &b, 1, MSG_PEEK);

    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    hc_close(h);
    h->st = HC_IDLE;
}

static void dispatch(struct agl_hconn *h, int fd, short revents)
{
    bool in = revents & (POLLIN | POLLERR | POLLHUP), out = revents & (POLLOUT | POLLERR | POLLHUP);

    if (h->st == HC_RESOLVING && h->res != NULL && fd == agl_resolve_fd(h->res))
        hc_on_resolved(h);
    else if (fd != h->fd)
        return;
    else if (h->st == HC_CONNECTING && out)
        hc_on_connect(h);
    else if (h->st == HC_SENDING && out)
        send_some(h);
    else if (h->st == HC_RECEIVING && in)
        on_readable(h);
    else if (h->st == HC_READY && in)
        on_idle_readable(h);
}

/* Leaves an entry point: releases a connection freed meanwhile. */
static void leave(struct agl_hconn *h)
{
    if (--h->busy == 0 && h->doomed)
        free(h);
}

void agl_hconn_on_fd(struct agl_hconn *h, int fd, short revents)
{
    h->busy++;
    dispatch(h, fd, revents);
    if (!h->doomed && h->st == HC_FAILED)
        report(h);
    leave(h);
}

agora_time_t agl_hconn_deadline(const struct agl_hconn *h)
{
    agora_time_t d = h->timeout > 0 ? h->started + h->timeout : AGL_HCONN_NEVER;

    switch (h->st) {
    case HC_FAILED:
        return 0;
    case HC_RESOLVING:
    case HC_CONNECTING:
        return h->connect_by < d ? h->connect_by : d;
    case HC_SENDING:
    case HC_RECEIVING:
        return d;
    default:
        return AGL_HCONN_NEVER;
    }
}

void agl_hconn_on_time(struct agl_hconn *h)
{
    agora_time_t now = h->env.now(h->env.ctx), d = agl_hconn_deadline(h);

    h->busy++;
    if (h->st != HC_FAILED && now >= d) {
        if (h->st == HC_RESOLVING && now >= h->connect_by)
            hc_fail(h, "resolve %s: no answer within %.0f s", h->hostport,
                    (double)AGL_HCONN_CONNECT_TIMEOUT / AGORA_SEC);
        else if (h->st == HC_CONNECTING && now >= h->connect_by)
            hc_fail(h, "connect to %s: no connection within %.0f s", h->hostport,
                    (double)AGL_HCONN_CONNECT_TIMEOUT / AGORA_SEC);
        else
            hc_fail(h, "HTTP request to %s: no complete answer within %.0f s", h->hostport,
                    (double)h->timeout / AGORA_SEC);
    }
    if (h->st == HC_FAILED)
        report(h);
    leave(h);
}
