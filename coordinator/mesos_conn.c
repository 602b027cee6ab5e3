/* mesos_conn.c: the scheduler's two connections (mesos_conn.h) on the
 * native HTTP client (http_conn.h): `stream`, one per SUBSCRIBE, whose
 * 200 body goes through the RecordIO reader to ops->record; `call`, kept
 * alive for the calls of that subscription, one in flight (`inflight`),
 * the rest queued in order until the stream id is known. Their deadlines
 * are folded into AGL_DL_BACKEND1.
 *
 * Closing from a callback is allowed (the scheduler re-subscribes from
 * inside record and stream_end): http_conn.c releases a connection only
 * once its callback returned, a record stops the RecordIO feed when its
 * stream is no longer the current one, and the reader is reset only when
 * the next stream's answer arrives, never while it is being fed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_conn.h"
#include "http_req.h"
#include "mesos_conn.h"
#include "recordio.h"

#define BODY_MAX 4096 /* of an answer that is not a stream: kept for the messages */
#define API_PATH "/api/v1/scheduler"

struct mbody {
    char text[BODY_MAX];
    size_t len;
};

struct qcall {
    char *payload;
    char type[32];
    struct qcall *next;
};

struct agl_mconn {
    struct agl_launcher *l;
    const struct agl_mconn_ops *ops;
    void *ctx;
    struct agl_hconn_env env;
    struct agl_hconn *stream, *call;
    struct qcall *head, *tail, *inflight;
    char hostport[256];
    char stream_id[AGL_HTTP_STREAM_ID_MAX];
    struct agl_recordio rio;
    bool opened;                   /* the stream's 200 came: its body is records */
    struct mbody sbody, cbody;     /* the stream's (not 200) and the call's answers */
};

static void next_call(struct agl_mconn *c);

static int env_watch(void *ctx, int fd, short events)
{
    return agl_watch(ctx, fd, events);
}

static agora_time_t env_now(void *ctx)
{
    return agl_now(ctx);
}

static void rearm(struct agl_mconn *c)
{
    agora_time_t d = AGL_NEVER, t;

    if (c->stream != NULL && (t = agl_hconn_deadline(c->stream)) < d)
        d = t;
    if (c->call != NULL && (t = agl_hconn_deadline(c->call)) < d)
        d = t;
    agl_deadline(c->l, AGL_DL_BACKEND1, d);
}

static void mbody_clear(struct mbody *b)
{
    b->len = 0;
    b->text[0] = '\0';
}

static void keep(struct mbody *b, const char *p, size_t n)
{
    size_t room = sizeof b->text - 1 - b->len;

    n = n < room ? n : room;
    memcpy(b->text + b->len, p, n);
    b->len += n;
    b->text[b->len] = '\0';
}

static void qcall_free(struct qcall *q)
{
    if (q != NULL)
        free(q->payload);
    free(q);
}

/* ---- the stream ---------------------------------------------------------------------------- */

static void stream_head(void *ctx, const struct agl_http_resp *r)
{
    struct agl_mconn *c = ctx;

    if (r->code != 200)
        return;
    c->opened = true;
    agl_recordio_reset(&c->rio);
    snprintf(c->stream_id, sizeof c->stream_id, "%s", r->stream_id);
    c->ops->stream_open(c->ctx, r->stream_id);
    next_call(c);
}

struct feed {
    struct agl_mconn *c;
    struct agl_hconn *h;           /* the stream being fed */
};

static int feed_record(void *ctx, const char *rec, size_t len)
{
    struct feed *f = ctx;
    int rc = f->c->ops->record(f->c->ctx, rec, len);

    return rc != 0 ? rc : f->c->stream != f->h; /* closed or replaced: stop */
}

static int stream_body(void *ctx, const char *p, size_t n, char *why, size_t whylen)
{
    struct agl_mconn *c = ctx;
    struct feed f = {c, c->stream};
    int rc;

    if (!c->opened) {
        keep(&c->sbody, p, n);
        return 0;
    }
    rc = agl_recordio_feed(&c->rio, p, n, feed_record, &f);
    if (rc < 0)
        snprintf(why, whylen, "RecordIO from %s: %s", c->hostport, c->rio.why);
    else if (rc > 0)
        snprintf(why, whylen, "stream from %s: stopped by the scheduler", c->hostport);
    return rc;
}

static void stream_done(void *ctx, const struct agl_http_resp *r, const char *err)
{
    struct agl_mconn *c = ctx;
    char body[BODY_MAX];

    memcpy(body, c->sbody.text, c->sbody.len + 1);
    agl_hconn_free(c->stream); /* released once this callback returns */
    c->stream = NULL;
    c->opened = false;
    c->ops->stream_end(c->ctx, r->code, r->location, body, err);
}

static const struct agl_hconn_ops STREAM_OPS = {stream_head, stream_body, stream_done};

/* ---- the calls ----------------------------------------------------------------------------- */

static int call_body(void *ctx, const char *p, size_t n, char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    keep(&((struct agl_mconn *)ctx)->cbody, p, n);
    return 0;
}

static void call_done(void *ctx, const struct agl_http_resp *r, const char *err)
{
    struct agl_mconn *c = ctx;
    char body[BODY_MAX], type[sizeof c->inflight->type];

    memcpy(body, c->cbody.text, c->cbody.len + 1);
    snprintf(type, sizeof type, "%s", c->inflight != NULL ? c->inflight->type : "?");
    qcall_free(c->inflight);
    c->inflight = NULL;
    c->ops->call_done(c->ctx, type, r->code, r->location, body, err);
    next_call(c);
}

static const struct agl_hconn_ops CALL_OPS = {NULL, call_body, call_done};

/* The queue's first call goes out, once the stream id is known. */
static void next_call(struct agl_mconn *c)
{
    struct qcall *q = c->head;
    char *req;
    size_t len;

    if (c->inflight != NULL || q == NULL || c->stream_id[0] == '\0')
        return;
    if (c->call == NULL && (c->call = agl_hconn_new(&c->env, c->hostport, &CALL_OPS, c)) == NULL) {
        agl_log(c->l, 3, "mesos: %s call waits: out of memory", q->type);
        return;
    }
    c->head = q->next;
    c->tail = c->head != NULL ? c->tail : NULL;
    mbody_clear(&c->cbody);
    req = agl_http_post(c->hostport, API_PATH, c->stream_id, q->payload, strlen(q->payload), &len);
    c->inflight = q;
    if (req == NULL || agl_hconn_request(c->call, req, len,
                                         (agora_time_t)(c->l->cfg.call_timeout_s * AGORA_SEC)) != 0) {
        agl_log(c->l, 3, "mesos: %s call to %s dropped: out of memory", q->type, c->hostport);
        c->inflight = NULL;
        qcall_free(q);
        next_call(c);
    }
}

/* ---- the interface ------------------------------------------------------------------------- */

struct agl_mconn *agl_mconn_new(struct agl_launcher *l, const struct agl_mconn_ops *ops,
                                void *ctx)
{
    struct agl_mconn *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    c->l = l;
    c->ops = ops;
    c->ctx = ctx;
    c->env = (struct agl_hconn_env){l, env_watch, env_now};
    agl_recordio_init(&c->rio, 0);
    return c;
}

static void drop_queue(struct agl_mconn *c)
{
    while (c->head != NULL) {
        struct qcall *q = c->head;
        c->head = q->next;
        qcall_free(q);
    }
    c->tail = NULL;
}

void agl_mconn_close(struct agl_mconn *c)
{
    agl_hconn_free(c->stream);
    agl_hconn_free(c->call);
    c->stream = c->call = NULL;
    qcall_free(c->inflight);
    c->inflight = NULL;
    drop_queue(c);
    c->stream_id[0] = '\0';
    c->opened = false;
    rearm(c);
}

void agl_mconn_free(struct agl_mconn *c)
{
    if (c == NULL)
        return;
    agl_mconn_close(c);
    agl_recordio_free(&c->rio);
    agl_deadline(c->l, AGL_DL_BACKEND1, AGL_NEVER);
    free(c);
}

int agl_mconn_subscribe(struct agl_mconn *c, const char *hostport, json_t *call)
{
    char *payload = json_dumps(call, JSON_COMPACT), *req = NULL;
    size_t len = 0;

    agl_mconn_close(c);
    snprintf(c->hostport, sizeof c->hostport, "%s", hostport);
    mbody_clear(&c->sbody);
    if (payload != NULL)
        req = agl_http_post(hostport, API_PATH, NULL, payload, strlen(payload), &len);
    free(payload);
    if (req == NULL || (c->stream = agl_hconn_new(&c->env, hostport, &STREAM_OPS, c)) == NULL) {
        free(req);
        return -1;
    }
    if (agl_hconn_request(c->stream, req, len, 0) != 0) {
        agl_hconn_free(c->stream);
        c->stream = NULL;
        return -1;
    }
    rearm(c);
    return 0;
}

int agl_mconn_call(struct agl_mconn *c, json_t *call)
{
    struct qcall *q = calloc(1, sizeof *q);
    const char *type = json_string_value(json_object_get(call, "type"));

    if (q == NULL || (q->payload = json_dumps(call, JSON_COMPACT)) == NULL) {
        free(q);
        json_decref(call);
        return -1;
    }
    snprintf(q->type, sizeof q->type, "%s", type ? type : "?");
    json_decref(call);
    if (c->tail != NULL)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    next_call(c);
    rearm(c);
    return 0;
}

void agl_mconn_on_fd(struct agl_mconn *c, int fd, short revents)
{
    if (c->stream != NULL && agl_hconn_owns(c->stream, fd))
        agl_hconn_on_fd(c->stream, fd, revents);
    else if (c->call != NULL && agl_hconn_owns(c->call, fd))
        agl_hconn_on_fd(c->call, fd, revents);
    rearm(c);
}

void agl_mconn_on_timer(struct agl_mconn *c)
{
    if (c->stream != NULL)
        agl_hconn_on_time(c->stream);
    if (c->call != NULL) /* re-read: the stream's callbacks may have replaced it */
        agl_hconn_on_time(c->call);
    rearm(c);
}
