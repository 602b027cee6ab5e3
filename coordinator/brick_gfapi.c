/* brick_gfapi.c: the libgfapi brick client (brick_gfapi.h): one gfapi
 * instance per brick built from the one-client volfile, glfs_ipc() per
 * request. Compiled with the translator's GlusterFS flags
 * ($(XLATOR_CPPFLAGS)): dict.h needs them. Selected with
 * AGORA_BRICK_CLIENT=gfapi (brick_client.c). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glusterfs/api/glfs.h>
#include <glusterfs/dict.h>

#include "brick_gfapi.h"

/* Exported by libgfapi 10.3 as GFAPI_PRIVATE_3.12.0, not in glfs.h. */
int glfs_ipc(glfs_t *fs, int opcode, void *xd_in, void **xd_out);

#define AGORA_IPC_REQUEST "agora.request"
#define AGORA_IPC_REPLY "agora.reply"

struct brick_gfapi {
    glfs_t *fs;
};

struct init_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    glfs_t *fs;
    int done, ret, err, abandoned;
};

static void *init_thread(void *arg)
{
    struct init_wait *w = arg;
    glfs_t *fs = w->fs;
    int ret = glfs_init(fs);
    int err = errno;
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    w->ret = ret;
    w->err = err;
    int abandoned = w->abandoned;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (abandoned) {
        /* The caller gave up. glfs_init has returned after all (a host
         * that dropped our SYNs answers after the TCP timeout, ~2 min):
         * release the instance, as the caller does after a failure.
         * Left alone it would keep its threads and memory, and its
         * protocol/client would keep reconnecting and connect once the
         * brick is back (measured: agorad started during a partition grew
         * from 18 to 32 MiB and 56 threads). A glfs_init that never
         * returns (wrong password) still leaks its instance. */
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        glfs_fini(fs);
    }
    return NULL;
}

/* Is this glfs_init failure "the brick is not there" (its host, glusterd or
 * brick process down, connection refused), after which the instance
 * connects by itself once the brick is back? */
static bool unreachable_errno(int err)
{
    return err == EIO || err == ENOTCONN || err == ECONNREFUSED || err == EHOSTUNREACH ||
           err == ENETUNREACH;
}

int brick_gfapi_open(const char *volfile_path, const char *logfile, int timeout_ms, bool keep,
                     struct brick_gfapi **out)
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
    struct brick_gfapi *b = calloc(1, sizeof(*b));
    struct init_wait *w = calloc(1, sizeof(*w));
    if (b == NULL || w == NULL) {
        free(b);
        free(w);
        glfs_fini(fs);
        return -ENOMEM;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->fs = fs;
    pthread_t t;
    if (pthread_create(&t, NULL, init_thread, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        free(b);
        glfs_fini(fs);
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
        w->abandoned = 1; /* the thread frees w, and fs if glfs_init returns */
        pthread_mutex_unlock(&w->lock);
        free(b);
        return -ETIMEDOUT;
    }
    int ret = w->ret, err = w->err;
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
    if (ret != 0)
        err = err ? err : EIO;
    if (ret != 0 && !(keep && unreachable_errno(err))) {
        free(b);
        glfs_fini(fs);
        return -err;
    }
    b->fs = fs;
    *out = b;
    return ret != 0 ? -err : 0;
}

int brick_gfapi_call(struct brick_gfapi *b, uint32_t op, const uint8_t *req, size_t len,
                     uint8_t **reply, size_t *reply_len)
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
    int ret = glfs_ipc(b->fs, (int)op, in, (void **)&out);
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

static void *fini_thread(void *arg)
{
    glfs_fini(arg);
    return NULL;
}

void brick_gfapi_close(struct brick_gfapi *b, int wait)
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
