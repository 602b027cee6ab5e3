/* http_conn_int.h: the state of one HTTP connection (http_conn.h), shared
 * by http_conn.c (requests, answers, callbacks) and http_connect.c (name,
 * address, socket, connect). Not for other callers. */
#ifndef AGL_HTTP_CONN_INT_H
#define AGL_HTTP_CONN_INT_H

#include "http_conn.h"
#include "http_req.h"
#include "http_resolve.h"

enum hc_state {
    HC_IDLE,       /* no socket */
    HC_RESOLVING,  /* res: waiting for getaddrinfo_a */
    HC_CONNECTING, /* fd: connect() in progress */
    HC_SENDING,
    HC_RECEIVING,
    HC_READY,      /* connected, kept alive, no request */
    HC_FAILED,     /* err holds what to report at the next on_time */
};

struct agl_hconn {
    struct agl_hconn_env env;
    const struct agl_hconn_ops *ops;
    void *ctx;
    char hostport[AGL_HTTP_HOST_MAX + 8];
    enum hc_state st;
    int fd;                        /* the socket, -1: none */
    struct agl_resolve *res;       /* HC_RESOLVING */
    struct agl_addrs addrs;
    int next_addr;                 /* the next address to try */
    bool named;                    /* the host is a name (messages add the address) */
    char *req;                     /* the request in progress, NULL: none */
    size_t req_len, req_off;
    agora_time_t started, timeout, connect_by;
    bool reused;                   /* sent on a kept-alive connection */
    bool retried;                  /* ... and already sent again */
    bool head_seen;
    size_t got;                    /* answer bytes received */
    char err[320];
    char stop_why[200];            /* from ops->body */
    struct agl_http_parser parser;
    int busy;                      /* inside on_fd/on_time */
    bool doomed;                   /* freed by a callback: release when busy is 0 */
};

/* http_connect.c */
/* From HC_IDLE: resolve (or not) and connect; then hc_connected. */
void hc_start(struct agl_hconn *h);
void hc_on_resolved(struct agl_hconn *h);
/* fd writable (or in error) while HC_CONNECTING. */
void hc_on_connect(struct agl_hconn *h);
/* Forgets the socket and any resolution in progress (unwatched, closed). */
void hc_close(struct agl_hconn *h);

/* http_conn.c */
/* Watches h->fd for events; on failure h is failed and -1 returned. */
int hc_watch(struct agl_hconn *h, short events);
/* The request fails: err set from fmt, the socket closed, HC_FAILED. */
void hc_fail(struct agl_hconn *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The socket is connected: the request goes out. */
void hc_connected(struct agl_hconn *h);

#endif
