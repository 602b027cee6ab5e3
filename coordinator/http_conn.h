/* http_conn.h: one HTTP/1.1 client connection to one "host:port", plain
 * TCP (no TLS), non-blocking, driven by the owner's event loop through
 * one or two fds it is asked to watch and one deadline it polls
 * (agl_hconn_deadline). One request at a time; the connection is kept
 * alive between requests when the server allows it, and made again when
 * the server closed it (a request that met a closed kept-alive connection
 * before any answer byte is sent again once, on a new one).
 *
 * Connect: the address is numeric, or resolved without blocking
 * (http_resolve.h); each address in turn; 5 s for resolution and connect
 * together; TCP keepalive (idle 60 s, interval 60 s) and TCP_NODELAY.
 *
 * Callbacks are only made from agl_hconn_on_fd and agl_hconn_on_time,
 * never from agl_hconn_request (a failure found there is reported at the
 * next on_time: the deadline is then "now"). Inside a callback the owner
 * may call anything here, agl_hconn_free included: the memory is released
 * once the callback has returned, and no further callback comes. */
#ifndef AGL_HTTP_CONN_H
#define AGL_HTTP_CONN_H

#include <stdbool.h>

#include "agora/common.h"
#include "http_parse.h"

#define AGL_HCONN_CONNECT_TIMEOUT (5 * AGORA_SEC)
#define AGL_HCONN_NEVER UINT64_MAX

/* The owner's event loop. */
struct agl_hconn_env {
    void *ctx;
    /* Watch fd for events (POLLIN/POLLOUT), 0: forget it. 0 or -1. */
    int (*watch)(void *ctx, int fd, short events);
    agora_time_t (*now)(void *ctx);
};

struct agl_hconn_ops {
    /* The status line and headers of the answer (may be NULL). */
    void (*head)(void *ctx, const struct agl_http_resp *r);
    /* Body bytes. Non-zero aborts the request; the reason goes in why. */
    int (*body)(void *ctx, const char *p, size_t n, char *why, size_t whylen);
    /* The request ended: err "" and the whole answer, or err naming what
     * failed ("connect to 10.0.0.1:5050: Connection refused", "HTTP
     * response from h:p: bad status line ...") with r->code 0 if no
     * header block arrived. */
    void (*done)(void *ctx, const struct agl_http_resp *r, const char *err);
};

struct agl_hconn;

/* Nothing happens until the first request. hostport is checked then. */
struct agl_hconn *agl_hconn_new(const struct agl_hconn_env *env, const char *hostport,
                                const struct agl_hconn_ops *ops, void *ctx);
void agl_hconn_free(struct agl_hconn *h);

/* Sends req[0..len) (malloc'd, stolen) and reads its answer. timeout: for
 * the whole request, connect included; 0 for none (a stream) beyond the
 * connect's. -1 (req freed) if a request is already in progress. */
int agl_hconn_request(struct agl_hconn *h, char *req, size_t len, agora_time_t timeout);

/* Loop events: fd is one this connection asked to watch (owns). */
bool agl_hconn_owns(const struct agl_hconn *h, int fd);
void agl_hconn_on_fd(struct agl_hconn *h, int fd, short revents);
/* When to call agl_hconn_on_time (AGL_HCONN_NEVER: no need). */
agora_time_t agl_hconn_deadline(const struct agl_hconn *h);
void agl_hconn_on_time(struct agl_hconn *h);

#endif
