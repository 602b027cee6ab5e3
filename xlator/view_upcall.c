/* view_upcall.c: the clients of /.agora/ and the invalidations pushed to them.
 *
 * Every client that looks up, opens or lists the view is remembered by its
 * client uid for 10 minutes (at most 512; the self-heal daemon and other
 * internal clients, whose pids are negative, never). When a published view
 * changes files, each of them gets a GF_UPCALL_CACHE_INVALIDATION per
 * changed file with UP_SIZE|UP_TIMES and the new attributes: with
 * performance.cache-invalidation on, md-cache stores them and has FUSE drop
 * the kernel's attributes and pages at once (docs/translator.md, Freshness).
 * Without it the upcall is ignored by the client.
 */
#include "view_int.h"

#include <glusterfs/client_t.h>
#include <glusterfs/defaults.h>
#include <glusterfs/upcall-utils.h>

#define CLIENTS_MAX 512
#define CLIENT_FORGET_NS (600ull * 1000000000ull)

void view_note_client(struct agora_priv *priv, call_frame_t *frame)
{
    client_t *client = frame->root->client;
    if (client == NULL || client->client_uid == NULL || frame->root->pid < 0)
        return;
    uint64_t now = agora_now_mono();
    pthread_mutex_lock(&priv->view_lock);
    for (size_t i = 0; i < priv->n_clients; i++)
        if (strcmp(priv->clients[i].uid, client->client_uid) == 0) {
            priv->clients[i].last = now;
            goto out;
        }
    if (priv->n_clients < CLIENTS_MAX) {
        struct agora_client *n =
            agora_grow(priv->clients, (priv->n_clients + 1) * sizeof(*n));
        char *uid = gf_strdup(client->client_uid);
        if (n != NULL)
            priv->clients = n;
        if (n != NULL && uid != NULL) {
            n[priv->n_clients].uid = uid;
            n[priv->n_clients].last = now;
            priv->n_clients++;
        } else {
            GF_FREE(uid);
        }
    }
out:
    pthread_mutex_unlock(&priv->view_lock);
}

/* Copies the uids of the clients seen in the last 10 minutes into uids
 * (forgetting the others); returns how many. */
static size_t recent_clients(struct agora_priv *priv, char **uids)
{
    size_t n = 0, keep = 0;
    uint64_t now = agora_now_mono();
    pthread_mutex_lock(&priv->view_lock);
    for (size_t i = 0; i < priv->n_clients; i++) {
        struct agora_client *c = &priv->clients[i];
        if (now - c->last > CLIENT_FORGET_NS) {
            GF_FREE(c->uid);
            continue;
        }
        priv->clients[keep++] = *c;
        if (n < CLIENTS_MAX)
            uids[n++] = gf_strdup(c->uid);
    }
    priv->n_clients = keep;
    pthread_mutex_unlock(&priv->view_lock);
    return n;
}

static void upcall_one(xlator_t *this, char *uid, const struct agora_vfile *f,
                       const struct iatt *dir)
{
    struct gf_upcall up;
    struct gf_upcall_cache_invalidation ci;
    memset(&up, 0, sizeof(up));
    memset(&ci, 0, sizeof(ci));
    up.client_uid = uid;
    gf_uuid_copy(up.gfid, (unsigned char *)f->gfid);
    up.event_type = GF_UPCALL_CACHE_INVALIDATION;
    up.data = &ci;
    /* the new attributes, not UP_INVAL_ATTR: md-cache handles UP_INVAL_ATTR
     * by dropping its own copy only, so the kernel kept its attributes and
     * pages until its attribute timeout (measured: 0.3-1.0 s). With
     * UP_SIZE|UP_TIMES md-cache stores the new iatt and, seeing mtime/ctime
     * change, calls inode_invalidate(), which FUSE turns into a kernel
     * invalidation at once. */
    ci.flags = UP_SIZE | UP_TIMES;
    ci.expire_time_attr = 60;
    view_file_iatt(f, &ci.stat);
    ci.p_stat = *dir;
    default_notify(this, GF_EVENT_UPCALL, &up);
}

/* Tells every recent client to drop what it caches of each changed file.
 * view_lock not held. */
void view_send_upcalls(xlator_t *this, struct agora_priv *priv, const struct agora_view *v,
                       const bool *changed)
{
    char *uids[CLIENTS_MAX];
    size_t n = recent_clients(priv, uids);
    struct iatt dir;
    view_dir_iatt(v, &dir);
    for (size_t f = 0; f < v->n; f++) {
        if (!changed[f])
            continue;
        for (size_t i = 0; i < n; i++) {
            if (uids[i] == NULL)
                continue;
            upcall_one(this, uids[i], &v->files[f], &dir);
            priv->c.upcalls++;
        }
    }
    for (size_t i = 0; i < n; i++)
        GF_FREE(uids[i]);
}
