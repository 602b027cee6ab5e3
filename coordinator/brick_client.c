/* brick_client.c: per-brick gfapi connection and the control round trip
 * (brick_client.h). Compiled with the translator's GlusterFS flags
 * ($(XLATOR_CPPFLAGS)): dict.h needs them. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glusterfs/api/glfs.h>
#include <glusterfs/dict.h>

#include "brick_client.h"

/* Exported by libgfapi 10.3 as GFAPI_PRIVATE_3.12.0, not in glfs.h. */
int glfs_ipc(glfs_t *fs, int opcode, void *xd_in, void **xd_out);

#define AGORA_IPC_OP 0x41474f52
#define AGORA_IPC_REQUEST "agora.request"
#define AGORA_IPC_REPLY "agora.reply"

struct agora_brick {
    glfs_t *fs;
};

int agora_brick_volfile(char *buf, size_t len, const char *host, const char *subvol, int port,
                        const char *username, const char *password)
{
    char port_line[64] = "", auth[600] = "";
    if (port > 0)
        snprintf(port_line, sizeof(port_line), "    option remote-port %d\n", port);
    if (username != NULL && password != NULL)
        snprintf(auth, sizeof(auth), "    option username %s\n    option password %s\n", username,
                 password);
    return snprintf(buf, len,
                    "volume agora-brick\n"
                    "    type protocol/client\n"
                    "    option remote-host %s\n"
                    "%s"
                    "    option remote-subvolume %s\n"
                    "    option transport-type tcp\n"
                    "    option transport.address-family inet\n"
                    "    option ping-timeout 5\n"
                    "%s"
                    "end-volume\n",
                    host, port_line, subvol, auth);
}

struct init_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    glfs_t *fs;
    int done, ret, err, abandoned;
};

static void *init_thread(void *arg)
{
    struct init_wait *w = arg;
    int ret = glfs_init(w->fs);
    int err = errno;
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    w->ret = ret;
    w->err = err;
    int abandoned = w->abandoned;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (abandoned) {
        /* the caller gave up; the instance may be half-initialised */
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
    }
    return NULL;
}

int agora_brick_open(const char *volfile_path, const char *logfile, int timeout_ms,
                     struct agora_brick **out)
{
    *out = NULL;
    glfs_t *fs = glfs_new("agora-brick");
    if (fs == NULL)
        return -ENOMEM;
    if (glfs_set_volfile(fs, volfile_path) != 0 ||
        glfs_set_logging(fs, logfile ? logfile : "/dev/null", 4) != 0) {
        int e = errno ? errno : EINVAL;
        glfs_fini(fs);
        return -e;
    }
    struct init_wait *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->fs = fs;
    pthread_t t;
    if (pthread_create(&t, NULL, init_thread, w) != 0) {
        free(w);
        return -EAGAIN;
    }
    pthread_detach(t);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
            break;
    if (!w->done) {
        w->abandoned = 1; /* the thread frees w; fs is leaked on purpose */
        pthread_mutex_unlock(&w->lock);
        return -ETIMEDOUT;
    }
    int ret = w->ret, err = w->err;
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    if (ret != 0) {
        glfs_fini(fs);
        return -(err ? err : EIO);
    }
    struct agora_brick *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return -ENOMEM;
    b->fs = fs;
    *out = b;
    return 0;
}

int agora_brick_call(struct agora_brick *b, const uint8_t *req, size_t len, uint8_t **reply,
                     size_t *reply_len)
{
    *reply = NULL;
    *reply_len = 0;
    dict_t *in = dict_new();
    dict_t *out = NULL;
    if (in == NULL)
        return -ENOMEM;
    if (dict_set_static_bin(in, AGORA_IPC_REQUEST, (void *)req, len) != 0) {
        dict_unref(in);
        return -ENOMEM;
    }
    errno = 0;
    int ret = glfs_ipc(b->fs, AGORA_IPC_OP, in, (void **)&out);
    int err = errno;
    dict_unref(in);
    if (ret != 0) {
        if (out != NULL)
            dict_unref(out);
        return -(err ? err : EIO);
    }
    void *p = NULL;
    int n = 0;
    if (out == NULL || dict_get_ptr_and_len(out, AGORA_IPC_REPLY, &p, &n) != 0 || n <= 0) {
        if (out != NULL)
            dict_unref(out);
        return -EBADMSG;
    }
    *reply = malloc((size_t)n);
    if (*reply == NULL) {
        dict_unref(out);
        return -ENOMEM;
    }
    memcpy(*reply, p, (size_t)n);
    *reply_len = (size_t)n;
    dict_unref(out);
    return 0;
}

/* Seals body as (kind, sender, tag, seq), calls, opens the reply. On
 * success *rbody and *rlen point into *raw (caller frees *raw). */
static int sealed_call(struct agora_brick *b, const struct agora_key *key, uint8_t kind,
                       uint32_t sender, uint64_t tag, uint64_t *seq, const struct agora_buf *body,
                       uint8_t **raw, const uint8_t **rbody, uint32_t *rlen)
{
    struct agora_env e = {.kind = kind, .sender = sender, .tag = tag, .seq = ++*seq,
                          .body = body->data, .body_len = (uint32_t)body->len};
    struct agora_buf req;
    agora_buf_init(&req);
    int src;
    if (key->len == 0) {
        /* no key: an all-zero MAC, which every brick refuses (tests) */
        uint8_t zero[AGORA_ENV_MAC] = {0};
        src = agora_env_encode(&e, &req);
        if (src == AGORA_OK)
            src = agora_buf_put(&req, zero, sizeof(zero));
    } else {
        src = agora_env_seal(key, &e, &req);
    }
    if (src != AGORA_OK) {
        agora_buf_free(&req);
        return -ENOMEM;
    }
    size_t n = 0;
    int rc = agora_brick_call(b, req.data, req.len, raw, &n);
    agora_buf_free(&req);
    if (rc != 0)
        return rc;
    struct agora_env r;
    if (agora_env_open(key, *raw, n, 0, &r) != AGORA_OK || r.kind != kind || r.sender != 0 ||
        r.tag != tag || r.seq != e.seq) {
        free(*raw);
        *raw = NULL;
        return -EBADMSG;
    }
    *rbody = r.body;
    *rlen = r.body_len;
    return 0;
}

int agora_brick_paxos(struct agora_brick *b, const struct agora_key *key, uint32_t sender,
                      uint64_t tag, uint64_t *seq, const struct agora_msg *req,
                      struct agora_msg *reply)
{
    struct agora_buf body;
    uint8_t *raw = NULL;
    const uint8_t *rb;
    uint32_t rl;
    agora_msg_init(reply);
    agora_buf_init(&body);
    if (agora_msg_encode(req, &body) != AGORA_OK) {
        agora_buf_free(&body);
        return -ENOMEM;
    }
    int rc = sealed_call(b, key, AGORA_ENV_PAXOS, sender, tag, seq, &body, &raw, &rb, &rl);
    agora_buf_free(&body);
    if (rc == 0 && agora_msg_decode(rb, rl, reply) != AGORA_OK)
        rc = -EBADMSG;
    free(raw);
    return rc;
}

int agora_brick_control(struct agora_brick *b, const struct agora_key *key, uint32_t sender,
                        uint64_t tag, uint64_t *seq, const struct agora_ctl *req,
                        struct agora_ctl *reply)
{
    struct agora_buf body;
    uint8_t *raw = NULL;
    const uint8_t *rb;
    uint32_t rl;
    agora_ctl_init(reply);
    agora_buf_init(&body);
    if (agora_ctl_encode(req, &body) != AGORA_OK) {
        agora_buf_free(&body);
        return -ENOMEM;
    }
    int rc = sealed_call(b, key, AGORA_ENV_CONTROL, sender, tag, seq, &body, &raw, &rb, &rl);
    agora_buf_free(&body);
    if (rc == 0 && agora_ctl_decode(rb, rl, reply) != AGORA_OK)
        rc = -EBADMSG;
    free(raw);
    return rc;
}

static void *fini_thread(void *arg)
{
    glfs_fini(arg);
    return NULL;
}

void agora_brick_close(struct agora_brick *b, int wait)
{
    pthread_t t;
    if (b == NULL)
        return;
    if (wait || pthread_create(&t, NULL, fini_thread, b->fs) != 0)
        glfs_fini(b->fs);
    else
        pthread_detach(t);
    free(b);
}
