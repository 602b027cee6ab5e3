/* transport_brick.c: per-brick threads around brick_client.h
 * (transport_brick.h). The only state shared between threads is in the
 * queues, each under its own mutex. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agora/auth.h"
#include "brick_client.h"
#include "log.h"
#include "transport_brick.h"

struct job {
    struct job *next;
    uint32_t to;
    uint8_t kind;
    uint64_t cookie;
    int status;
    uint8_t *data;     /* request, then reply body */
    size_t len;
};

struct jobq {
    struct job *head, *tail;
    size_t n;
};

struct bt;

struct brick {
    struct bt *bt;
    uint32_t index;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct jobq q;             /* requests, under lock */
    bool stop;
    char volfile[512];
    char name[128];
    /* thread-private */
    uint64_t seq;
    /* under lock: the connection is made by a connector thread, so that a
     * slow attempt (up to the 5 s connect timeout) never holds the brick's
     * requests: meanwhile they are answered UNREACHABLE */
    struct agora_brick *conn;
    bool connecting;
    agora_time_t retry_at;          /* monotonic */
    agora_time_t backoff;
    int last_err;
    /* counters, under lock */
    uint64_t sent, answered, dropped;
    int reachable;
};

struct bt {
    struct agd_transport tr;
    struct agd_loop *loop;
    struct agora_key key;
    uint32_t sender;
    uint64_t tag;
    int efd;
    pthread_mutex_t done_lock;
    struct jobq done;          /* results, under done_lock */
    struct brick b[AGD_MAX_BRICKS];
    agora_time_t last_ok[AGD_MAX_BRICKS]; /* loop thread only */
};

static void q_push(struct jobq *q, struct job *j)
{
    j->next = NULL;
    if (q->tail != NULL)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->n++;
}

static struct job *q_pop(struct jobq *q)
{
    struct job *j = q->head;
    if (j == NULL)
        return NULL;
    q->head = j->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->n--;
    return j;
}

static void job_free(struct job *j)
{
    if (j != NULL)
        free(j->data);
    free(j);
}

/* --- the brick thread ------------------------------------------------------------------- */

static void *connector(void *arg)
{
    struct brick *b = arg;
    struct agora_brick *conn = NULL;
    agora_time_t t0 = agd_clock_monotonic(NULL);
    int rc = agora_brick_open_kept(b->volfile, AGD_BRICK_CONNECT_TIMEOUT_MS, &conn);
    agora_time_t now = agd_clock_monotonic(NULL);
    pthread_mutex_lock(&b->lock);
    b->connecting = false;
    if (rc == 0) {
        b->conn = conn;
        b->backoff = 0;
        agd_log(AGD_INFO, "brick %s: connected in %llu ms", b->name,
                (unsigned long long)((now - t0) / AGORA_MS));
    } else if (conn != NULL) {
        /* brick not reachable now: the connection is kept and reconnects
         * on the next call (brick_client.h) */
        b->conn = conn;
        b->backoff = 0;
        const char *why = agora_brick_why(conn);
        agd_log(AGD_WARNING, "brick %s: cannot connect: %s (%s%sretried on the next call)",
                b->name, strerror(-rc), why, why[0] ? "; " : "");
    } else {
        /* 1 s, doubling to 8 s: a bad volfile or a refused password
         * will not mend by itself; do not retry it every second */
        b->backoff = b->backoff == 0 ? AGD_BRICK_RETRY_MS * AGORA_MS : 2 * b->backoff;
        if (b->backoff > 8 * AGD_BRICK_RETRY_MS * AGORA_MS)
            b->backoff = 8 * AGD_BRICK_RETRY_MS * AGORA_MS;
        b->retry_at = now + b->backoff;
        if (rc != b->last_err)
            agd_log(AGD_WARNING, "brick %s: cannot connect: %s (retrying)", b->name,
                    strerror(-rc));
    }
    b->last_err = rc;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

/* Returns the connection, or NULL (and starts a connector if due). Lock held. */
static struct agora_brick *connection(struct brick *b)
{
    if (b->conn != NULL || b->connecting)
        return b->conn;
    if (agd_clock_monotonic(NULL) < b->retry_at)
        return NULL;
    pthread_t t;
    b->connecting = true;
    if (pthread_create(&t, NULL, connector, b) != 0) {
        b->connecting = false;
        return NULL;
    }
    pthread_detach(t);
    return NULL;
}

/* Seals the body, makes the call, opens and checks the reply; the reply
 * body replaces j->data. */
static int call(struct brick *b, struct agora_brick *conn, struct job *j)
{
    struct bt *bt = b->bt;
    struct agora_env e = {.kind = j->kind, .sender = bt->sender, .tag = bt->tag,
                          .seq = ++b->seq, .body = j->data, .body_len = (uint32_t)j->len};
    struct agora_buf req;
    agora_buf_init(&req);
    if (agora_env_seal(&bt->key, &e, &req) != AGORA_OK) {
        agora_buf_free(&req);
        return AGD_TR_ERROR;
    }
    uint8_t *raw = NULL;
    size_t n = 0;
    int rc = agora_brick_call(conn, req.data, req.len, &raw, &n);
    agora_buf_free(&req);
    if (rc == -EACCES)
        return AGD_TR_AUTH;
    if (rc == -ENOTCONN || rc == -ETIMEDOUT || rc == -EIO)
        return AGD_TR_UNREACHABLE;
    if (rc != 0)
        return AGD_TR_ERROR;
    struct agora_env r;
    int orc = agora_env_open(&bt->key, raw, n, 0, &r);
    if (orc != AGORA_OK || r.kind != j->kind || r.tag != bt->tag || r.seq != e.seq) {
        free(raw);
        return orc == AGORA_EAUTH ? AGD_TR_AUTH : AGD_TR_ERROR;
    }
    memmove(raw, r.body, r.body_len);
    free(j->data);
    j->data = raw;
    j->len = r.body_len;
    return AGD_TR_OK;
}

static void finish(struct brick *b, struct job *j, int status)
{
    struct bt *bt = b->bt;
    j->status = status;
    pthread_mutex_lock(&b->lock);
    b->reachable = status == AGD_TR_OK;
    b->answered += status == AGD_TR_OK;
    pthread_mutex_unlock(&b->lock);
    pthread_mutex_lock(&bt->done_lock);
    q_push(&bt->done, j);
    pthread_mutex_unlock(&bt->done_lock);
    uint64_t one = 1;
    if (write(bt->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        agd_log(AGD_WARNING, "brick %s: eventfd: %s", b->name, strerror(errno));
}

static void *brick_thread(void *arg)
{
    struct brick *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        while (b->q.head == NULL && !b->stop)
            pthread_cond_wait(&b->cond, &b->lock);
        struct job *j = b->stop ? NULL : q_pop(&b->q);
        /* A connection is kept for good once made: it reconnects on the
         * next call (brick_client.h). */
        struct agora_brick *conn = j != NULL ? connection(b) : NULL;
        pthread_mutex_unlock(&b->lock);
        if (j == NULL)
            return NULL;
        finish(b, j, conn != NULL ? call(b, conn, j) : AGD_TR_UNREACHABLE);
    }
}

/* --- the loop side ------------------------------------------------------------------------ */

static void on_done(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct bt *bt = ctx;
    uint64_t v;
    (void)revents;
    if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        agd_log(AGD_WARNING, "brick transport: eventfd: %s", strerror(errno));
    pthread_mutex_lock(&bt->done_lock);
    struct jobq done = bt->done;
    memset(&bt->done, 0, sizeof(bt->done));
    pthread_mutex_unlock(&bt->done_lock);
    for (struct job *j; (j = q_pop(&done)) != NULL; job_free(j)) {
        if (j->status == AGD_TR_OK)
            bt->last_ok[j->to] = agd_loop_now(l);
        struct agd_reply r = {.acceptor = j->to, .kind = j->kind, .cookie = j->cookie,
                              .status = j->status, .data = j->data, .len = j->len};
        if (bt->tr.on_reply != NULL)
            bt->tr.on_reply(bt->tr.reply_ctx, &r);
    }
}

static int bt_send(struct agd_transport *t, uint32_t to, uint8_t kind, const uint8_t *req,
                   size_t len, uint64_t cookie)
{
    struct bt *bt = (struct bt *)t;
    if (to >= t->n)
        return -1;
    struct job *j = calloc(1, sizeof(*j));
    if (j == NULL || (j->data = malloc(len ? len : 1)) == NULL) {
        free(j);
        return -1;
    }
    memcpy(j->data, req, len);
    j->len = len;
    j->to = to;
    j->kind = kind;
    j->cookie = cookie;
    struct brick *b = &bt->b[to];
    struct job *old = NULL;
    pthread_mutex_lock(&b->lock);
    if (b->q.n >= AGD_TR_QUEUE_MAX) { /* hung brick: newest requests matter most */
        old = q_pop(&b->q);
        b->dropped++;
    }
    q_push(&b->q, j);
    b->sent++;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    job_free(old);
    return 0;
}

static void bt_info(struct agd_transport *t, uint32_t i, struct agd_brick_info *out)
{
    struct bt *bt = (struct bt *)t;
    struct brick *b = &bt->b[i];
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", b->name);
    pthread_mutex_lock(&b->lock);
    out->reachable = b->reachable;
    out->sent = b->sent;
    out->answered = b->answered;
    out->dropped = b->dropped;
    pthread_mutex_unlock(&b->lock);
    out->last_ok = bt->last_ok[i];
}

/* Threads in a call are not waited for (a call ends by its deadline):
 * they are detached and their brick struct leaked (the process is exiting
 * anyway). */
static void bt_close(struct agd_transport *t)
{
    struct bt *bt = (struct bt *)t;
    for (uint32_t i = 0; i < t->n; i++) {
        struct brick *b = &bt->b[i];
        pthread_mutex_lock(&b->lock);
        b->stop = true;
        pthread_cond_signal(&b->cond);
        pthread_mutex_unlock(&b->lock);
        pthread_detach(b->thread);
    }
    agd_loop_del_fd(bt->loop, bt->efd);
    /* bt stays allocated: detached threads may still touch it. */
}

static const struct agd_transport_ops brick_ops = {.send = bt_send, .info = bt_info,
                                                   .close = bt_close};

/* --- set-up ---------------------------------------------------------------------------- */

static int write_volfile(struct brick *b, const struct agd_brick *cfg, const char *dir,
                         char *err, size_t errlen)
{
    char text[2048];
    int n = agora_brick_volfile(text, sizeof(text), cfg->host, cfg->path, 0, cfg->username,
                                cfg->password);
    snprintf(b->volfile, sizeof(b->volfile), "%s/brick%u.vol", dir, b->index);
    snprintf(b->name, sizeof(b->name), "%s:%s", cfg->host, cfg->path);
    /* the volfile may hold the bricks' password: private to us */
    int fd = n > 0 && (size_t)n < sizeof(text)
                 ? open(b->volfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
                 : -1;
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL && fd >= 0)
        close(fd);
    if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", b->volfile, strerror(errno));
        return -1;
    }
    return 0;
}

int agd_brick_transport_new(const struct agd_config *cfg, struct agd_loop *loop, uint64_t tag,
                            const char *volfile_dir, struct agd_transport **out, char *err,
                            size_t errlen)
{
    char why[512];
    if (cfg->n_bricks == 0) {
        snprintf(err, errlen, "%s: no bricks (agd_discover_bricks not called)", cfg->file);
        return -1;
    }
    struct bt *bt = calloc(1, sizeof(*bt));
    if (bt == NULL || agora_key_load(cfg->key_file, &bt->key, why, sizeof(why)) != AGORA_OK) {
        snprintf(err, errlen, "%s: field 'key_file': %s", cfg->file, bt ? why : "out of memory");
        free(bt);
        return -1;
    }
    bt->tr.ops = &brick_ops;
    bt->tr.n = (uint32_t)cfg->n_bricks;
    bt->loop = loop;
    bt->sender = cfg->id;
    bt->tag = tag;
    pthread_mutex_init(&bt->done_lock, NULL);
    if (mkdir(volfile_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", volfile_dir, strerror(errno));
        return -1; /* bt leaks: start-up fails anyway */
    }
    bt->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (bt->efd < 0 || agd_loop_add_fd(loop, bt->efd, POLLIN, on_done, bt) != 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    for (uint32_t i = 0; i < bt->tr.n; i++) {
        struct brick *b = &bt->b[i];
        b->bt = bt;
        b->index = i;
        pthread_mutex_init(&b->lock, NULL);
        pthread_cond_init(&b->cond, NULL);
        if (write_volfile(b, &cfg->bricks[i], volfile_dir, err, errlen) != 0)
            return -1;
        int rc = pthread_create(&b->thread, NULL, brick_thread, b);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start the thread of brick %s: %s", b->name,
                     strerror(rc));
            return -1;
        }
    }
    *out = &bt->tr;
    return 0;
}
