/* mesos_conn.h: the HTTP side of the Mesos scheduler, on Agora's own
 * HTTP/1.1 client (http_conn.h; plain http://, no TLS: docs/launchers.md,
 * "HTTP client"), driven by the launcher's host loop through the fds it
 * watches and one deadline (AGL_DL_BACKEND1): one subscription stream
 * (POST SUBSCRIBE, chunked RecordIO body, fed to recordio.c) and, on a
 * second keep-alive connection, the calls, sent one at a time in order
 * with Mesos-Stream-Id (mesos-v1-notes.md 1.1-1.2, 5.3). Redirects are not
 * followed: a 307's Location is handed up, so the scheduler learns the
 * leader's address and re-subscribes there. The callbacks run only from
 * agl_mconn_on_fd and agl_mconn_on_timer; inside them every function here
 * may be called but agl_mconn_free. */
#ifndef AGL_MESOS_CONN_H
#define AGL_MESOS_CONN_H

#include <jansson.h>
#include <stdbool.h>

#include "launcher_int.h"

struct agl_mconn;

struct agl_mconn_ops {
    /* 200 on SUBSCRIBE: records follow. */
    void (*stream_open)(void *ctx, const char *stream_id);
    /* One RecordIO record of the stream; non-zero stops the stream. */
    int (*record)(void *ctx, const char *rec, size_t len);
    /* The stream ended (any reason). code 0: no HTTP answer (err says). */
    void (*stream_end)(void *ctx, long code, const char *location, const char *body,
                       const char *err);
    /* A call finished (code 202 expected). */
    void (*call_done)(void *ctx, const char *type, long code, const char *location,
                      const char *body, const char *err);
};

struct agl_mconn *agl_mconn_new(struct agl_launcher *l, const struct agl_mconn_ops *ops,
                                void *ctx);
void agl_mconn_free(struct agl_mconn *c);

/* Starts a SUBSCRIBE to http://hostport/api/v1/scheduler (any previous
 * stream and queued calls are dropped first). call is not stolen. */
int agl_mconn_subscribe(struct agl_mconn *c, const char *hostport, json_t *call);
/* Drops the stream and every queued call (no callbacks). */
void agl_mconn_close(struct agl_mconn *c);
/* Queues a call (stolen) for the current stream's master and stream id. */
int agl_mconn_call(struct agl_mconn *c, json_t *call);

/* Host loop events; on_timer is called when AGL_DL_BACKEND1 passes. */
void agl_mconn_on_fd(struct agl_mconn *c, int fd, short revents);
void agl_mconn_on_timer(struct agl_mconn *c);

#endif
