/* mesos_conn.c: libcurl multi behind the launcher's host loop
 * (mesos_conn.h). curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION);
 * we map both onto host->watch_fd and the AGL_DL_BACKEND1 deadline and
 * hand events back with curl_multi_socket_action. Nothing blocks. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mesos_conn.h"
#include "mesos_dl.h"
#include "recordio.h"

#define BODY_MAX 4096

struct xfer {                      /* one easy handle in flight */
    CURL *easy;
    struct curl_slist *hdrs;
    char *payload;
    char type[32];
    long code;
    char location[512];
    char stream_id[160];
    char body[BODY_MAX];
    size_t body_len;
    char err[CURL_ERROR_SIZE];
    bool is_stream, opened;
    bool dead;                     /* closed from a callback: aborted, unreported */
    struct agl_mconn *c;
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
    CURLM *multi;
    struct xfer *stream, *call;
    struct qcall *head, *tail;
    size_t queued;
    char hostport[256];
    char stream_id[160];
    struct agl_recordio rio;
    /* libcurl forbids adding or removing handles from its callbacks
     * (CURLM_RECURSIVE_API_CALL): what a record asks for there is done
     * once curl_multi_socket_action has returned. */
    bool in_cb;
    bool want_close;
    char *want_payload;            /* a SUBSCRIBE to start */
};

static int sock_cb(CURL *e, curl_socket_t s, int what, void *ctx, void *sockp)
{
    struct agl_mconn *c = ctx;
    short ev = what == CURL_POLL_IN ? POLLIN : what == CURL_POLL_OUT ? POLLOUT
             : what == CURL_POLL_INOUT ? (POLLIN | POLLOUT) : 0;
    (void)e;
    (void)sockp;
    agl_watch(c->l, s, what == CURL_POLL_REMOVE ? 0 : ev);
    return 0;
}

static int timer_cb(CURLM *m, long ms, void *ctx)
{
    struct agl_mconn *c = ctx;
    (void)m;
    agl_deadline(c->l, AGL_DL_BACKEND1,
                 ms < 0 ? AGL_NEVER : agl_now(c->l) + (agora_time_t)ms * AGORA_MS);
    return 0;
}

struct agl_mconn *agl_mconn_new(struct agl_launcher *l, const struct agl_mconn_ops *ops,
                                void *ctx)
{
    struct agl_mconn *c = calloc(1, sizeof *c);

    if (c == NULL || (c->multi = agl_curl.multi_init()) == NULL) {
        free(c);
        return NULL;
    }
    c->l = l;
    c->ops = ops;
    c->ctx = ctx;
    agl_recordio_init(&c->rio, 0);
    agl_curl.multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    agl_curl.multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    agl_curl.multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    agl_curl.multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

static void xfer_free(struct agl_mconn *c, struct xfer *x)
{
    if (x == NULL)
        return;
    agl_curl.multi_remove_handle(c->multi, x->easy);
    agl_curl.easy_cleanup(x->easy);
    agl_curl.slist_free_all(x->hdrs);
    free(x->payload);
    free(x);
}

static void drop_queue(struct agl_mconn *c)
{
    while (c->head != NULL) {
        struct qcall *q = c->head;
        c->head = q->next;
        free(q->payload);
        free(q);
    }
    c->tail = NULL;
    c->queued = 0;
}

static void really_close(struct agl_mconn *c)
{
    xfer_free(c, c->stream);
    xfer_free(c, c->call);
    c->stream = c->call = NULL;
    c->stream_id[0] = '\0';
    drop_queue(c);
    agl_recordio_reset(&c->rio);
}

void agl_mconn_close(struct agl_mconn *c)
{
    free(c->want_payload);
    c->want_payload = NULL;
    if (!c->in_cb) {
        really_close(c);
        return;
    }
    if (c->stream != NULL)
        c->stream->dead = true;
    if (c->call != NULL)
        c->call->dead = true;
    c->stream_id[0] = '\0';
    drop_queue(c);
    c->want_close = true;
}

void agl_mconn_free(struct agl_mconn *c)
{
    if (c == NULL)
        return;
    agl_mconn_close(c);
    agl_curl.multi_cleanup(c->multi);
    agl_recordio_free(&c->rio);
    agl_deadline(c->l, AGL_DL_BACKEND1, AGL_NEVER);
    free(c);
}

/* Copies the value of a "Name: value\r\n" header line, trimmed. */
static void header_value(const char *buf, size_t len, size_t name_len, char *out, size_t outlen)
{
    const char *v = buf + name_len;
    size_t n = len - name_len;

    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    snprintf(out, outlen, "%.*s", (int)n, v);
}

static size_t header_cb(char *buf, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    size_t len = size * n;

    if (len > 5 && strncmp(buf, "HTTP/", 5) == 0)
        x->location[0] = '\0'; /* a new response (after a 100, say) */
    else if (len > 9 && strncasecmp(buf, "Location:", 9) == 0)
        header_value(buf, len, 9, x->location, sizeof x->location);
    else if (len > 16 && strncasecmp(buf, "Mesos-Stream-Id:", 16) == 0)
        header_value(buf, len, 16, x->stream_id, sizeof x->stream_id);
    return len;
}

static int feed_record(void *ctx, const char *rec, size_t len)
{
    struct agl_mconn *c = ctx;
    return c->ops->record(c->ctx, rec, len);
}

static size_t write_cb(char *buf, size_t size, size_t n, void *ctx)
{
    struct xfer *x = ctx;
    struct agl_mconn *c = x->c;
    size_t len = size * n;

    if (x->dead)
        return 0; /* aborts the transfer */
    agl_curl.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->code);
    if (x->is_stream && x->code == 200) {
        if (!x->opened) {
            x->opened = true;
            snprintf(c->stream_id, sizeof c->stream_id, "%s", x->stream_id);
            c->ops->stream_open(c->ctx, x->stream_id);
        }
        return agl_recordio_feed(&c->rio, buf, len, feed_record, c) == 0 ? len : 0;
    }
    size_t room = sizeof x->body - 1 - x->body_len;
    memcpy(x->body + x->body_len, buf, len < room ? len : room);
    x->body_len += len < room ? len : room;
    x->body[x->body_len] = '\0';
    return len;
}

static struct xfer *xfer_new(struct agl_mconn *c, char *payload, const char *type, bool stream)
{
    struct xfer *x = calloc(1, sizeof *x);
    char url[320], sid[200];

    if (x == NULL || (x->easy = agl_curl.easy_init()) == NULL) {
        free(x);
        free(payload);
        return NULL;
    }
    x->c = c;
    x->payload = payload;
    x->is_stream = stream;
    snprintf(x->type, sizeof x->type, "%s", type);
    snprintf(url, sizeof url, "http://%s/api/v1/scheduler", c->hostport);
    x->hdrs = agl_curl.slist_append(NULL, "Content-Type: application/json");
    x->hdrs = agl_curl.slist_append(x->hdrs, "Accept: application/json");
    x->hdrs = agl_curl.slist_append(x->hdrs, "Expect:");
    if (!stream) {
        snprintf(sid, sizeof sid, "Mesos-Stream-Id: %s", c->stream_id);
        x->hdrs = agl_curl.slist_append(x->hdrs, sid);
    }
    agl_curl.easy_setopt(x->easy, CURLOPT_URL, url);
    agl_curl.easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
    agl_curl.easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->payload);
    agl_curl.easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(x->payload));
    agl_curl.easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, header_cb);
    agl_curl.easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    agl_curl.easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
    agl_curl.easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    agl_curl.easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->err);
    agl_curl.easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    agl_curl.easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    agl_curl.easy_setopt(x->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    agl_curl.easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    if (!stream)
        agl_curl.easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)(c->l->cfg.call_timeout_s * 1000));
    agl_curl.multi_add_handle(c->multi, x->easy);
    return x;
}

static void next_call(struct agl_mconn *c)
{
    struct qcall *q = c->head;

    if (c->in_cb || c->call != NULL || q == NULL || c->stream_id[0] == '\0')
        return;
    c->head = q->next;
    if (c->head == NULL)
        c->tail = NULL;
    c->queued--;
    c->call = xfer_new(c, q->payload, q->type, false);
    free(q);
}

int agl_mconn_subscribe(struct agl_mconn *c, const char *hostport, json_t *call)
{
    char *payload = json_dumps(call, JSON_COMPACT);

    agl_mconn_close(c);
    snprintf(c->hostport, sizeof c->hostport, "%s", hostport);
    if (payload == NULL)
        return -1;
    if (c->in_cb) {
        c->want_payload = payload;
        return 0;
    }
    c->stream = xfer_new(c, payload, "SUBSCRIBE", true);
    return c->stream != NULL ? 0 : -1;
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
    c->queued++;
    next_call(c);
    return 0;
}

bool agl_mconn_streaming(const struct agl_mconn *c)
{
    return c->stream != NULL;
}

size_t agl_mconn_queued(const struct agl_mconn *c)
{
    return c->queued + (c->call != NULL);
}

/* Reports finished transfers; callbacks run after the handle is gone. */
static void harvest(struct agl_mconn *c)
{
    CURLMsg *m;
    int left;

    while ((m = agl_curl.multi_info_read(c->multi, &left)) != NULL) {
        struct xfer *x = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        agl_curl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        agl_curl.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->code);
        if (m->data.result != CURLE_OK && x->err[0] == '\0')
            snprintf(x->err, sizeof x->err, "%s", agl_curl.easy_strerror(m->data.result));
        if (x == c->stream)
            c->stream = NULL;
        else if (x == c->call)
            c->call = NULL;
        agl_curl.multi_remove_handle(c->multi, x->easy);
        if (x->dead)
            ;
        else if (x->is_stream)
            c->ops->stream_end(c->ctx, x->code, x->location, x->body, x->err);
        else
            c->ops->call_done(c->ctx, x->type, x->code, x->location, x->body, x->err);
        xfer_free(c, x);
        next_call(c);
    }
}

/* After curl's callbacks: what they asked for, then finished transfers. */
static void settle(struct agl_mconn *c)
{
    c->in_cb = false;
    if (c->want_close) {
        c->want_close = false;
        xfer_free(c, c->stream);
        xfer_free(c, c->call);
        c->stream = c->call = NULL;
        agl_recordio_reset(&c->rio);
    }
    if (c->want_payload != NULL) {
        c->stream = xfer_new(c, c->want_payload, "SUBSCRIBE", true);
        c->want_payload = NULL;
    }
    harvest(c);
    next_call(c);
}

void agl_mconn_on_fd(struct agl_mconn *c, int fd, short revents)
{
    int running, mask = (revents & POLLIN ? CURL_CSELECT_IN : 0) |
                        (revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
                        (revents & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);

    c->in_cb = true;
    agl_curl.multi_socket_action(c->multi, fd, mask, &running);
    settle(c);
}

void agl_mconn_on_timer(struct agl_mconn *c)
{
    int running;

    c->in_cb = true;
    agl_curl.multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    settle(c);
}
