/* worker.c: the brick's Paxos acceptor behind the control protocol: the
 * request queue and the worker thread (worker_int.h lists the other parts).
 *
 * A request (an authenticated envelope, docs/wire-format.md) arrives in the
 * ipc fop (or as the virtual xattr agora.call) on a GlusterFS thread, which
 * only queues it. One worker thread per brick takes every queued request at
 * once (a batch) and handles each (worker_handle.c). The write-ahead records
 * of the whole batch are appended to BRICK/.glusterfs/agora/acceptor.wal
 * with one write and one fdatasync (group commit, worker_wal.c); only then
 * are the replies unwound, committed entries applied to the state machine
 * (worker_learn.c), and /.agora/ re-rendered. No GlusterFS epoll or
 * io-thread ever waits for the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glusterfs/common-utils.h>
#include <glusterfs/logging.h>
#include <glusterfs/syscall.h>

#include "agora.h"
#include "agora/control.h"
#include "agora/envelope.h"
#include "agora/render.h"
#include "worker_int.h"

uint64_t agora_now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t agora_now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the worker ------------------------------------------------------------------ */

static void unwind(xlator_t *this, struct agora_priv *priv, struct agora_req *req)
{
    dict_t *xd = NULL;
    uint64_t dt = agora_now_mono() - req->arrived;
    if (req->kind == AGORA_REQ_IPC) {
        if (req->op_ret == 0) {
            xd = dict_new();
            if (xd == NULL || dict_set_bin(xd, AGORA_IPC_REPLY, req->reply, req->reply_len) != 0) {
                GF_FREE(req->reply);
                agora_refuse(req, ENOMEM);
            }
            req->reply = NULL; /* owned by the dict now */
        }
        STACK_UNWIND_STRICT(ipc, req->frame, req->op_ret, req->op_errno, xd);
    } else {
        STACK_UNWIND_STRICT(setxattr, req->frame, req->op_ret, req->op_errno, NULL);
    }
    if (xd != NULL)
        dict_unref(xd);
    pthread_mutex_lock(&priv->lock);
    priv->c.fop_ns_total += dt;
    if (dt > priv->c.fop_ns_max)
        priv->c.fop_ns_max = dt;
    pthread_mutex_unlock(&priv->lock);
    GF_FREE(req->reply);
    GF_FREE(req->bytes);
    GF_FREE(req);
}

/* The named leases' records of the batch: one write and one fdatasync per
 * group that has any, without the lock (only the worker touches a group's
 * file and pending bytes); then, under the lock, the accounting, and the
 * group's replies of this batch become EIO if its log could not be
 * written. */
static void write_groups(xlator_t *this, struct agora_priv *priv, struct list_head *batch)
{
    int rc[AGORA_GROUPS_MAX] = {0};
    size_t n = priv->groups.n; /* grows only on this thread */
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        rc[i] = agora_groups_write(priv->groups.g[i]);
    pthread_mutex_lock(&priv->lock);
    for (size_t i = 0; i < n; i++) {
        struct agora_group *g = priv->groups.g[i];
        if (g->ok && g->pending.len > 0) {
            priv->c.fsyncs++;
            if (rc[i] != 0)
                gf_msg(this->name, GF_LOG_CRITICAL, -rc[i], 0,
                       "writing the log of named lease %s failed; refusing its requests "
                       "until the brick restarts",
                       g->name);
        }
        agora_groups_written(&priv->groups, g, rc[i]);
    }
    struct agora_req *req;
    list_for_each_entry(req, batch, list)
    {
        if (req->group != NULL && !req->group->ok && req->op_ret == 0) {
            GF_FREE(req->reply);
            req->reply = NULL;
            agora_refuse(req, EIO);
        }
    }
    pthread_mutex_unlock(&priv->lock);
}

static void *worker_main(void *arg)
{
    xlator_t *this = arg;
    struct agora_priv *priv = this->private;
    struct list_head batch;
    struct agora_buf wal;
    THIS = this;
    agora_buf_init(&wal);
    pthread_mutex_lock(&priv->lock);
    for (;;) {
        while (list_empty(&priv->queue) && !priv->stop)
            pthread_cond_wait(&priv->cond, &priv->lock);
        if (priv->stop)
            break;
        INIT_LIST_HEAD(&batch);
        list_splice_init(&priv->queue, &batch);
        uint32_t n = priv->n_queue;
        priv->n_queue = 0;
        priv->c.batches++;
        if (n > priv->c.max_batch)
            priv->c.max_batch = n;
        struct agora_req *req, *tmp;
        uint64_t batch_real = agora_now_real(), durable_real = 0;
        agora_buf_reset(&wal);
        list_for_each_entry(req, &batch, list) agora_handle(this, priv, req, &wal);
        pthread_mutex_unlock(&priv->lock);

        /* durable before any reply: one write and one fdatasync per batch */
        int err = wal.len > 0 ? agora_wal_append(this, priv, &wal, &durable_real) : 0;
        write_groups(this, priv, &batch);
        list_for_each_entry_safe(req, tmp, &batch, list)
        {
            list_del_init(&req->list);
            if (err != 0 && req->op_ret == 0) {
                GF_FREE(req->reply);
                req->reply = NULL;
                agora_refuse(req, EIO);
            }
            unwind(this, priv, req);
        }
        pthread_mutex_lock(&priv->lock);
        if (err == 0) {
            uint64_t before = agora_sm_applied(&priv->sm);
            agora_learn(this, priv);
            if (agora_sm_applied(&priv->sm) > before) {
                priv->fresh.batch_real = batch_real;
                priv->fresh.durable_real = durable_real ? durable_real : batch_real;
                priv->fresh.applied_real = agora_now_real();
            }
            agora_maybe_compact(this, priv);
        }
        agora_view_publish(this);
    }
    pthread_mutex_unlock(&priv->lock);
    agora_buf_free(&wal);
    return NULL;
}

void agora_submit(xlator_t *this, struct agora_req *req)
{
    struct agora_priv *priv = this->private;
    pthread_mutex_lock(&priv->lock);
    list_add_tail(&req->list, &priv->queue);
    priv->n_queue++;
    pthread_cond_signal(&priv->cond);
    pthread_mutex_unlock(&priv->lock);
}

int agora_worker_start(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    int rc = gf_thread_create(&priv->worker, NULL, worker_main, this, "agora");
    if (rc != 0)
        return -rc;
    priv->worker_started = true;
    return 0;
}

void agora_worker_stop(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    if (!priv->worker_started)
        return;
    pthread_mutex_lock(&priv->lock);
    priv->stop = true;
    pthread_cond_signal(&priv->cond);
    pthread_mutex_unlock(&priv->lock);
    pthread_join(priv->worker, NULL);
    priv->worker_started = false;
}
