/* view.c: the read-only virtual directory /.agora/ (DESIGN.md section 4).
 *
 * Nothing of it exists in the brick. The translator answers lookup, stat,
 * open, read, opendir and readdir(p) for the directory (its name is the
 * option view-name) and its files from an in-memory rendering of the
 * applied state, with gfids that are the same on every brick: the
 * directory's is fixed, a file's is derived from its name. Every modifying
 * fop on them fails with EROFS (creating the directory itself: EEXIST).
 *
 * A rendering ("view") is immutable and shared by reference; the worker
 * publishes a new one after each batch of requests. A file whose bytes
 * changed gets a new mtime/ctime (and usually a new size): that is what makes
 * the client caches let go (gluster-xlator-notes.md). With
 * performance.cache-invalidation on, the clients that looked a file up are
 * also sent an upcall invalidation at once. AFR's pre-op/post-op xattrop
 * on a virtual inode is answered with zeros, so AFR sees nothing pending
 * and the index translator above keeps no entry for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>

#include "agora.h"

#include <glusterfs/client_t.h>
#include <glusterfs/common-utils.h>
#include <glusterfs/defaults.h>
#include <glusterfs/iatt.h>
#include <glusterfs/iobuf.h>
#include <glusterfs/logging.h>
#include <glusterfs/upcall-utils.h>

#include "agora/crc32c.h"
#include "agora/render.h"
#include "agora/validate.h"

#define STATUS_FILE "status.json"
#define CLIENTS_MAX 512
#define CLIENT_FORGET_NS (600ull * 1000000000ull)

/* "agora" then the version/variant nibbles of a v4 UUID; last byte 1 */
const uuid_t agora_view_dir_gfid = {0x61, 0x67, 0x6f, 0x72, 0x61, 0x00, 0x40, 0x00,
                                    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
static uuid_t root_gfid = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* A file's gfid: the directory's with its last 4 bytes the CRC-32C of the
 * name and byte 14 = 0x02 (never equal to the directory's). */
static void file_gfid(const char *name, uuid_t out)
{
    uint32_t crc = agora_crc32c(0, name, strlen(name));
    memcpy(out, agora_view_dir_gfid, 16);
    out[11] = 0x02;
    out[12] = (uint8_t)(crc >> 24);
    out[13] = (uint8_t)(crc >> 16);
    out[14] = (uint8_t)(crc >> 8);
    out[15] = (uint8_t)crc;
}

static bool is_dir_gfid(const uuid_t g)
{
    return memcmp(g, agora_view_dir_gfid, 16) == 0;
}

/* ---- views ------------------------------------------------------------------- */

static void view_free(struct agora_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        GF_FREE(v->files[i].data);
    GF_FREE(v);
}

void agora_view_unref(xlator_t *this, struct agora_view *v)
{
    struct agora_priv *priv = this->private;
    if (v == NULL)
        return;
    pthread_mutex_lock(&priv->view_lock);
    bool last = --v->refs == 0;
    pthread_mutex_unlock(&priv->view_lock);
    if (last)
        view_free(v);
}

static struct agora_view *view_get(struct agora_priv *priv)
{
    pthread_mutex_lock(&priv->view_lock);
    struct agora_view *v = priv->view;
    if (v != NULL)
        v->refs++;
    pthread_mutex_unlock(&priv->view_lock);
    return v;
}

/* authorized_keys without the lines whose key carries options, when the
 * brick does not allow them (option allow-key-options). */
static int filter_key_options(struct agora_buf *in, struct agora_buf *out)
{
    struct agora_sshkey_policy pol = {.allow_options = false, .max_len = 0};
    size_t i = 0;
    int rc = AGORA_OK;
    while (i < in->len && rc == AGORA_OK) {
        const char *line = (const char *)in->data + i;
        const char *nl = memchr(line, '\n', in->len - i);
        size_t n = nl ? (size_t)(nl - line) : in->len - i;
        struct agora_sshkey k;
        bool keep = n == 0 || line[0] == '#' ||
                    agora_parse_sshkey(line, n, &pol, &k, NULL, 0) == AGORA_OK;
        if (n > 0 && line[0] != '#' && keep)
            agora_sshkey_clear(&k);
        if (keep)
            rc = agora_buf_put(out, line, nl ? n + 1 : n);
        i += nl ? n + 1 : n;
    }
    return rc;
}

static int render_one(struct agora_priv *priv, xlator_t *this, const char *name,
                      struct agora_buf *out)
{
    if (strcmp(name, STATUS_FILE) == 0)
        return agora_status_json(this, out);
    if (strcmp(name, "authorized_keys") == 0 && !priv->allow_key_options) {
        struct agora_buf raw;
        agora_buf_init(&raw);
        int rc = agora_render_file(&priv->sm, name, &raw);
        if (rc == AGORA_OK)
            rc = filter_key_options(&raw, out);
        agora_buf_free(&raw);
        return rc;
    }
    return agora_render_file(&priv->sm, name, out);
}

static void fill_file_iatt(const struct agora_vfile *f, struct iatt *ia)
{
    memset(ia, 0, sizeof(*ia));
    gf_uuid_copy(ia->ia_gfid, (unsigned char *)f->gfid);
    ia->ia_ino = gfid_to_ino(ia->ia_gfid);
    ia->ia_type = IA_IFREG;
    ia->ia_prot = ia_prot_from_st_mode(0444);
    ia->ia_nlink = 1;
    ia->ia_size = f->len;
    ia->ia_blksize = 4096;
    ia->ia_blocks = (f->len + 511) / 512;
    ia->ia_atime = ia->ia_mtime = ia->ia_ctime = ia->ia_btime = f->mtime.tv_sec;
    ia->ia_atime_nsec = ia->ia_mtime_nsec = ia->ia_ctime_nsec = ia->ia_btime_nsec =
        (uint32_t)f->mtime.tv_nsec;
    ia->ia_flags = IATT_TYPE | IATT_MODE | IATT_NLINK | IATT_UID | IATT_GID | IATT_ATIME |
                   IATT_MTIME | IATT_CTIME | IATT_INO | IATT_SIZE | IATT_BLOCKS | IATT_GFID;
}

static void fill_dir_iatt(const struct agora_view *v, struct iatt *ia)
{
    memset(ia, 0, sizeof(*ia));
    gf_uuid_copy(ia->ia_gfid, (unsigned char *)agora_view_dir_gfid);
    ia->ia_ino = gfid_to_ino(ia->ia_gfid);
    ia->ia_type = IA_IFDIR;
    ia->ia_prot = ia_prot_from_st_mode(0555);
    ia->ia_nlink = 2;
    ia->ia_size = 4096;
    ia->ia_blksize = 4096;
    ia->ia_blocks = 8;
    ia->ia_atime = ia->ia_mtime = ia->ia_ctime = ia->ia_btime = v->dir_time.tv_sec;
    ia->ia_atime_nsec = ia->ia_mtime_nsec = ia->ia_ctime_nsec = ia->ia_btime_nsec =
        (uint32_t)v->dir_time.tv_nsec;
    ia->ia_flags = IATT_TYPE | IATT_MODE | IATT_NLINK | IATT_UID | IATT_GID | IATT_ATIME |
                   IATT_MTIME | IATT_CTIME | IATT_INO | IATT_SIZE | IATT_BLOCKS | IATT_GFID;
}

/* Tells every client that looked at a changed file (performance.cache-
 * invalidation on) to drop what it caches of it. view_lock not held. */
static void send_upcalls(xlator_t *this, struct agora_priv *priv, const struct agora_view *v,
                         const bool *changed)
{
    char *uids[CLIENTS_MAX];
    size_t n = 0;
    uint64_t now = agora_now_mono();
    pthread_mutex_lock(&priv->view_lock);
    size_t keep = 0;
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

    struct iatt dir;
    fill_dir_iatt(v, &dir);
    for (size_t f = 0; f < v->n; f++) {
        if (!changed[f])
            continue;
        for (size_t i = 0; i < n; i++) {
            if (uids[i] == NULL)
                continue;
            struct gf_upcall up;
            struct gf_upcall_cache_invalidation ci;
            memset(&up, 0, sizeof(up));
            memset(&ci, 0, sizeof(ci));
            up.client_uid = uids[i];
            gf_uuid_copy(up.gfid, (unsigned char *)v->files[f].gfid);
            up.event_type = GF_UPCALL_CACHE_INVALIDATION;
            up.data = &ci;
            /* the new attributes, not UP_INVAL_ATTR: md-cache handles
             * UP_INVAL_ATTR by dropping its own copy only, so the kernel
             * kept its attributes and pages until its attribute timeout
             * (measured: 0.3-1.0 s). With UP_SIZE|UP_TIMES md-cache stores
             * the new iatt and, seeing mtime/ctime change, calls
             * inode_invalidate(), which FUSE turns into a kernel
             * invalidation at once (docs/translator.md, Freshness). */
            ci.flags = UP_SIZE | UP_TIMES;
            ci.expire_time_attr = 60;
            fill_file_iatt(&v->files[f], &ci.stat);
            ci.p_stat = dir;
            default_notify(this, GF_EVENT_UPCALL, &up);
            priv->c.upcalls++;
        }
    }
    for (size_t i = 0; i < n; i++)
        GF_FREE(uids[i]);
}

static struct timespec later(struct timespec a, struct timespec floor)
{
    if (a.tv_sec > floor.tv_sec || (a.tv_sec == floor.tv_sec && a.tv_nsec > floor.tv_nsec))
        return a;
    floor.tv_nsec += 1000;
    if (floor.tv_nsec >= 1000000000) {
        floor.tv_sec++;
        floor.tv_nsec -= 1000000000;
    }
    return floor;
}

#define STATUS_MIN_AGE_NS 1000000000ll

static bool status_due(const struct agora_vfile *f, struct timespec now)
{
    long long age = (long long)(now.tv_sec - f->mtime.tv_sec) * 1000000000ll +
                    (now.tv_nsec - f->mtime.tv_nsec);
    return age < 0 || age >= STATUS_MIN_AGE_NS;
}

int agora_view_publish(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    struct agora_view *old = view_get(priv);
    struct agora_view *v = GF_CALLOC(1, sizeof(*v), gf_agora_mt_view);
    bool changed[AGORA_VIEW_MAX_FILES] = {false};
    bool any = false;
    struct timespec now;
    int rc = AGORA_OK;
    if (v == NULL) {
        agora_view_unref(this, old);
        return -ENOMEM;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    v->refs = 1;
    v->applied = agora_sm_applied(&priv->sm);
    v->dir_time = old ? old->dir_time : now;
    size_t nr = agora_render_file_count();
    for (size_t i = 0; i <= nr && v->n < AGORA_VIEW_MAX_FILES && rc == AGORA_OK; i++) {
        const char *name = i < nr ? agora_render_file_name(i) : STATUS_FILE;
        struct agora_vfile *f = &v->files[v->n];
        struct agora_buf b;
        if (name == NULL)
            continue;
        agora_buf_init(&b);
        const struct agora_vfile *prev_f = NULL;
        if (old != NULL && v->n < old->n && strcmp(old->files[v->n].name, name) == 0)
            prev_f = &old->files[v->n];
        if (prev_f != NULL && strcmp(name, STATUS_FILE) == 0 && v->applied == old->applied &&
            !status_due(prev_f, now)) {
            /* status.json changes with every request (counters): rendered
             * again at most once a second unless the state changed, so
             * control traffic does not invalidate every client's cache */
            rc = agora_buf_put(&b, prev_f->data, prev_f->len);
        } else {
            rc = render_one(priv, this, name, &b);
        }
        snprintf(f->name, sizeof(f->name), "%s", name);
        file_gfid(f->name, f->gfid);
        f->data = GF_MALLOC(b.len ? b.len : 1, gf_agora_mt_str);
        if (rc == AGORA_OK && f->data != NULL) {
            memcpy(f->data, b.data, b.len);
            f->len = b.len;
        } else if (rc == AGORA_OK) {
            rc = AGORA_ENOMEM;
        }
        agora_buf_free(&b);
        const struct agora_vfile *of = NULL;
        if (old != NULL && v->n < old->n && strcmp(old->files[v->n].name, f->name) == 0)
            of = &old->files[v->n];
        if (of != NULL && of->len == f->len && memcmp(of->data, f->data, f->len) == 0) {
            f->mtime = of->mtime;
        } else {
            f->mtime = of ? later(now, of->mtime) : now;
            changed[v->n] = of != NULL;
            any = true;
        }
        v->n++;
    }
    if (rc != AGORA_OK || !any) {
        if (rc != AGORA_OK)
            gf_msg(this->name, GF_LOG_ERROR, 0, 0, "rendering /%s failed: %s",
                   priv->view_name, agora_strerror(rc));
        view_free(v);
        agora_view_unref(this, old);
        return rc == AGORA_OK ? 0 : -EIO;
    }
    pthread_mutex_lock(&priv->view_lock);
    struct agora_view *prev = priv->view;
    priv->view = v;
    pthread_mutex_unlock(&priv->view_lock);
    agora_view_unref(this, prev); /* the published reference */
    uint64_t pub = agora_now_real();
    uint64_t up0 = priv->c.upcalls;
    if (old != NULL)
        send_upcalls(this, priv, v, changed);
    if (old == NULL || v->applied > old->applied) {
        /* the freshness stages of a state change (status.json "fresh") */
        priv->fresh.applied = v->applied;
        uint64_t t0 = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
        priv->fresh.render_ns = pub > t0 ? pub - t0 : 0;
        priv->fresh.publish_real = pub;
        priv->fresh.upcall_real = agora_now_real();
        priv->fresh.upcalls = priv->c.upcalls - up0;
    }
    agora_view_unref(this, old);
    return 0;
}

void agora_view_fini(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    pthread_mutex_lock(&priv->view_lock);
    struct agora_view *v = priv->view;
    priv->view = NULL;
    for (size_t i = 0; i < priv->n_clients; i++)
        GF_FREE(priv->clients[i].uid);
    GF_FREE(priv->clients);
    priv->clients = NULL;
    priv->n_clients = 0;
    pthread_mutex_unlock(&priv->view_lock);
    agora_view_unref(this, v);
}

void agora_view_set_name(xlator_t *this, const char *name)
{
    struct agora_priv *priv = this->private;
    pthread_mutex_lock(&priv->view_lock);
    snprintf(priv->view_name_cur, sizeof(priv->view_name_cur), "%s", name);
    pthread_mutex_unlock(&priv->view_lock);
}

/* ---- which inode is virtual ------------------------------------------------------ */

enum { V_NONE = -2, V_DIR = -1 }; /* >= 0: file index */

static int by_gfid(const struct agora_view *v, const unsigned char *g)
{
    if (g == NULL || gf_uuid_is_null((unsigned char *)g))
        return V_NONE;
    if (is_dir_gfid(g))
        return V_DIR;
    if (memcmp(g, agora_view_dir_gfid, 11) != 0)
        return V_NONE;
    for (size_t i = 0; i < v->n; i++)
        if (memcmp(v->files[i].gfid, g, 16) == 0)
            return (int)i;
    return V_NONE;
}

static const unsigned char *parent_gfid(loc_t *loc)
{
    if (!gf_uuid_is_null(loc->pargfid))
        return loc->pargfid;
    if (loc->parent != NULL && !gf_uuid_is_null(loc->parent->gfid))
        return loc->parent->gfid;
    return NULL;
}

static bool name_is_view(struct agora_priv *priv, const char *name)
{
    bool r;
    pthread_mutex_lock(&priv->view_lock);
    r = name != NULL && strcmp(name, priv->view_name_cur) == 0;
    pthread_mutex_unlock(&priv->view_lock);
    return r;
}

/* Classifies loc. *missing is set for a name under the directory that is not
 * one of its files. */
static int classify(struct agora_priv *priv, const struct agora_view *v, loc_t *loc,
                    bool *missing)
{
    int k;
    if (missing)
        *missing = false;
    if (loc == NULL || v == NULL)
        return V_NONE;
    if (loc->inode != NULL && (k = by_gfid(v, loc->inode->gfid)) != V_NONE)
        return k;
    if ((k = by_gfid(v, loc->gfid)) != V_NONE)
        return k;
    const unsigned char *pg = parent_gfid(loc);
    if (pg == NULL || loc->name == NULL)
        return V_NONE;
    if (__is_root_gfid((unsigned char *)pg) && name_is_view(priv, loc->name))
        return V_DIR;
    if (is_dir_gfid(pg)) {
        for (size_t i = 0; i < v->n; i++)
            if (strcmp(v->files[i].name, loc->name) == 0)
                return (int)i;
        if (missing)
            *missing = true;
    }
    return V_NONE;
}

static int classify_fd(const struct agora_view *v, fd_t *fd)
{
    if (fd == NULL || fd->inode == NULL || v == NULL)
        return V_NONE;
    return by_gfid(v, fd->inode->gfid);
}

/* Remembers the client for upcalls (not the self-heal daemon or any other
 * internal client: their pids are negative). */
static void note_client(struct agora_priv *priv, call_frame_t *frame)
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

static void fill_iatt(const struct agora_view *v, int k, struct iatt *ia)
{
    if (k == V_DIR)
        fill_dir_iatt(v, ia);
    else
        fill_file_iatt(&v->files[k], ia);
}

static dict_t *mdata_reply(const struct iatt *ia)
{
    dict_t *xd = dict_new();
    struct mdata_iatt *md = GF_CALLOC(1, sizeof(*md), gf_agora_mt_str);
    if (xd == NULL || md == NULL) {
        GF_FREE(md);
        return xd;
    }
    iatt_to_mdata(md, (struct iatt *)ia);
    /* dict_set_mdata keeps the pointer: it must be a heap buffer */
    if (dict_set_mdata(xd, GF_XATTR_MDATA_KEY, md, false) != 0)
        GF_FREE(md);
    return xd;
}

static void count_erofs(struct agora_priv *priv)
{
    pthread_mutex_lock(&priv->lock);
    priv->c.erofs++;
    pthread_mutex_unlock(&priv->lock);
}

/* ---- lookup and stat --------------------------------------------------------------- */

struct lookup_local {
    inode_t *inode;
    struct iatt buf;
    dict_t *xd;
};

static int32_t dir_lookup_cbk(call_frame_t *frame, void *cookie, xlator_t *this, int32_t op_ret,
                              int32_t op_errno, inode_t *inode, struct iatt *root,
                              dict_t *xdata, struct iatt *postparent)
{
    struct lookup_local *l = frame->local;
    struct iatt parent;
    frame->local = NULL;
    memset(&parent, 0, sizeof(parent));
    if (op_ret == 0 && root != NULL)
        parent = *root; /* the root as posix reports it */
    STACK_UNWIND_STRICT(lookup, frame, 0, 0, l->inode, &l->buf, l->xd, &parent);
    inode_unref(l->inode);
    if (l->xd)
        dict_unref(l->xd);
    GF_FREE(l);
    return 0;
}

int32_t agora_lookup(call_frame_t *frame, xlator_t *this, loc_t *loc, dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    bool missing;
    int k = classify(priv, v, loc, &missing);
    struct iatt buf, parent;
    if (k == V_NONE && !missing) {
        agora_view_unref(this, v);
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->lookup, loc, xdata);
        return 0;
    }
    note_client(priv, frame);
    if (missing) {
        fill_dir_iatt(v, &parent);
        agora_view_unref(this, v);
        STACK_UNWIND_STRICT(lookup, frame, -1, ENOENT, NULL, NULL, NULL, &parent);
        return 0;
    }
    fill_iatt(v, k, &buf);
    dict_t *xd = mdata_reply(&buf);
    if (k != V_DIR) {
        fill_dir_iatt(v, &parent);
        agora_view_unref(this, v);
        STACK_UNWIND_STRICT(lookup, frame, 0, 0, loc->inode, &buf, xd, &parent);
        if (xd)
            dict_unref(xd);
        return 0;
    }
    agora_view_unref(this, v);
    /* the directory's postparent is the real root: ask posix for it */
    struct lookup_local *l = GF_CALLOC(1, sizeof(*l), gf_agora_mt_str);
    loc_t root;
    memset(&root, 0, sizeof(root));
    if (l == NULL || loc->inode == NULL) {
        GF_FREE(l);
        if (xd)
            dict_unref(xd);
        STACK_UNWIND_STRICT(lookup, frame, -1, ENOMEM, NULL, NULL, NULL, NULL);
        return 0;
    }
    l->inode = inode_ref(loc->inode);
    l->buf = buf;
    l->xd = xd;
    frame->local = l;
    root.inode = inode_ref(loc->inode->table->root);
    gf_uuid_copy(root.gfid, root_gfid);
    root.path = "/";
    STACK_WIND(frame, dir_lookup_cbk, FIRST_CHILD(this), FIRST_CHILD(this)->fops->lookup, &root,
               NULL);
    inode_unref(root.inode);
    return 0;
}

int32_t agora_stat(call_frame_t *frame, xlator_t *this, loc_t *loc, dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    struct iatt buf;
    if (k == V_NONE) {
        agora_view_unref(this, v);
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->stat, loc, xdata);
        return 0;
    }
    fill_iatt(v, k, &buf);
    agora_view_unref(this, v);
    STACK_UNWIND_STRICT(stat, frame, 0, 0, &buf, NULL);
    return 0;
}

/* The generation an fd reads: the one it opened, or the current one. */
static struct agora_view *fd_view(xlator_t *this, fd_t *fd)
{
    uint64_t val = 0;
    if (fd != NULL && fd_ctx_get(fd, this, &val) == 0 && val != 0) {
        struct agora_priv *priv = this->private;
        struct agora_view *v = (struct agora_view *)(uintptr_t)val;
        pthread_mutex_lock(&priv->view_lock);
        v->refs++;
        pthread_mutex_unlock(&priv->view_lock);
        return v;
    }
    return view_get(this->private);
}

int32_t agora_fstat(call_frame_t *frame, xlator_t *this, fd_t *fd, dict_t *xdata)
{
    struct agora_view *v = fd_view(this, fd);
    int k = classify_fd(v, fd);
    struct iatt buf;
    if (k == V_NONE) {
        agora_view_unref(this, v);
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fstat, fd, xdata);
        return 0;
    }
    fill_iatt(v, k, &buf);
    agora_view_unref(this, v);
    STACK_UNWIND_STRICT(fstat, frame, 0, 0, &buf, NULL);
    return 0;
}

int32_t agora_access(call_frame_t *frame, xlator_t *this, loc_t *loc, int32_t mask,
                     dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->access, loc, mask,
                        xdata);
        return 0;
    }
    if (mask & W_OK)
        STACK_UNWIND_STRICT(access, frame, -1, EROFS, NULL);
    else
        STACK_UNWIND_STRICT(access, frame, 0, 0, NULL);
    return 0;
}

/* ---- open and read ------------------------------------------------------------------ */

int32_t agora_open(call_frame_t *frame, xlator_t *this, loc_t *loc, int32_t flags, fd_t *fd,
                   dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    if (k == V_NONE && fd != NULL)
        k = classify_fd(v, fd);
    if (k == V_NONE) {
        agora_view_unref(this, v);
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->open, loc, flags, fd,
                        xdata);
        return 0;
    }
    note_client(priv, frame);
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND | O_CREAT))) {
        agora_view_unref(this, v);
        count_erofs(priv);
        STACK_UNWIND_STRICT(open, frame, -1, EROFS, NULL, NULL);
        return 0;
    }
    /* the fd keeps the generation it opened: reads never mix two */
    if (fd_ctx_set(fd, this, (uint64_t)(uintptr_t)v) != 0)
        agora_view_unref(this, v);
    STACK_UNWIND_STRICT(open, frame, 0, 0, fd, NULL);
    return 0;
}

int32_t agora_view_release(xlator_t *this, fd_t *fd)
{
    uint64_t val = 0;
    if (fd_ctx_del(fd, this, &val) == 0 && val != 0)
        agora_view_unref(this, (struct agora_view *)(uintptr_t)val);
    return 0;
}

int32_t agora_readv(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size, off_t offset,
                    uint32_t flags, dict_t *xdata)
{
    struct agora_view *v = fd_view(this, fd);
    int k = classify_fd(v, fd);
    if (k == V_NONE) {
        agora_view_unref(this, v);
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->readv, fd, size,
                        offset, flags, xdata);
        return 0;
    }
    if (k == V_DIR) {
        agora_view_unref(this, v);
        STACK_UNWIND_STRICT(readv, frame, -1, EISDIR, NULL, 0, NULL, NULL, NULL);
        return 0;
    }
    const struct agora_vfile *f = &v->files[k];
    struct iatt buf;
    struct iovec vec = {.iov_base = NULL, .iov_len = 0};
    struct iobref *iobref = iobref_new();
    struct iobuf *iobuf = NULL;
    size_t n = 0;
    fill_file_iatt(f, &buf);
    if (offset >= 0 && (uint64_t)offset < f->len)
        n = f->len - (size_t)offset < size ? f->len - (size_t)offset : size;
    if (iobref == NULL || (iobuf = iobuf_get2(this->ctx->iobuf_pool, n ? n : 1)) == NULL) {
        agora_view_unref(this, v);
        if (iobref)
            iobref_unref(iobref);
        STACK_UNWIND_STRICT(readv, frame, -1, ENOMEM, NULL, 0, NULL, NULL, NULL);
        return 0;
    }
    iobref_add(iobref, iobuf);
    if (n > 0)
        memcpy(iobuf_ptr(iobuf), f->data + offset, n);
    vec.iov_base = iobuf_ptr(iobuf);
    vec.iov_len = n;
    agora_view_unref(this, v);
    STACK_UNWIND_STRICT(readv, frame, (int32_t)n, 0, &vec, 1, &buf, iobref, NULL);
    iobuf_unref(iobuf);
    iobref_unref(iobref);
    return 0;
}

int32_t agora_flush(call_frame_t *frame, xlator_t *this, fd_t *fd, dict_t *xdata)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->flush, fd, xdata);
        return 0;
    }
    STACK_UNWIND_STRICT(flush, frame, 0, 0, NULL);
    return 0;
}

int32_t agora_fsync(call_frame_t *frame, xlator_t *this, fd_t *fd, int32_t datasync,
                    dict_t *xdata)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fsync, fd, datasync,
                        xdata);
        return 0;
    }
    STACK_UNWIND_STRICT(fsync, frame, 0, 0, NULL, NULL, NULL);
    return 0;
}

/* ---- the directory ------------------------------------------------------------------ */

int32_t agora_opendir(call_frame_t *frame, xlator_t *this, loc_t *loc, fd_t *fd, dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->opendir, loc, fd,
                        xdata);
        return 0;
    }
    note_client(priv, frame);
    if (k != V_DIR)
        STACK_UNWIND_STRICT(opendir, frame, -1, ENOTDIR, NULL, NULL);
    else
        STACK_UNWIND_STRICT(opendir, frame, 0, 0, fd, NULL);
    return 0;
}

static int list_dir(xlator_t *this, const struct agora_view *v, fd_t *fd, off_t offset,
                    bool plus, gf_dirent_t *entries)
{
    int count = 0;
    size_t total = v->n + 2;
    for (size_t i = offset < 0 ? 0 : (size_t)offset; i < total; i++) {
        const char *name = i == 0 ? "." : i == 1 ? ".." : v->files[i - 2].name;
        gf_dirent_t *e = gf_dirent_for_name(name);
        if (e == NULL)
            return -ENOMEM;
        e->d_off = (off_t)(i + 1);
        if (i == 0) {
            fill_dir_iatt(v, &e->d_stat);
            e->d_type = DT_DIR;
        } else if (i == 1) {
            e->d_stat.ia_type = IA_IFDIR;
            gf_uuid_copy(e->d_stat.ia_gfid, root_gfid);
            e->d_stat.ia_ino = 1;
            e->d_type = DT_DIR;
        } else {
            fill_file_iatt(&v->files[i - 2], &e->d_stat);
            e->d_type = DT_REG;
            if (plus) {
                inode_t *in = inode_find(fd->inode->table, e->d_stat.ia_gfid);
                e->inode = in ? in : inode_new(fd->inode->table);
            }
        }
        e->d_ino = e->d_stat.ia_ino;
        list_add_tail(&e->list, &entries->list);
        count++;
    }
    (void)this;
    return count;
}

static int32_t do_readdir(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size,
                          off_t offset, dict_t *xdata, bool plus)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    gf_dirent_t entries;
    if (k == V_NONE) {
        agora_view_unref(this, v);
        if (plus)
            STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->readdirp, fd,
                            size, offset, xdata);
        else
            STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->readdir, fd,
                            size, offset, xdata);
        return 0;
    }
    INIT_LIST_HEAD(&entries.list);
    int n = k == V_DIR ? list_dir(this, v, fd, offset, plus, &entries) : -ENOTDIR;
    agora_view_unref(this, v);
    int32_t op_ret = n < 0 ? -1 : n;
    int32_t op_errno = n < 0 ? -n : 0;
    if (plus)
        STACK_UNWIND_STRICT(readdirp, frame, op_ret, op_errno, &entries, NULL);
    else
        STACK_UNWIND_STRICT(readdir, frame, op_ret, op_errno, &entries, NULL);
    gf_dirent_free(&entries);
    return 0;
}

int32_t agora_readdir(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size, off_t offset,
                      dict_t *xdata)
{
    return do_readdir(frame, this, fd, size, offset, xdata, false);
}

int32_t agora_readdirp(call_frame_t *frame, xlator_t *this, fd_t *fd, size_t size, off_t offset,
                       dict_t *xdata)
{
    return do_readdir(frame, this, fd, size, offset, xdata, true);
}

/* ---- extended attributes --------------------------------------------------------------- */

static int32_t do_getxattr(call_frame_t *frame, xlator_t *this, int k, const char *name)
{
    (void)this;
    (void)k;
    if (name == NULL) {
        dict_t *empty = dict_new();
        STACK_UNWIND_STRICT(getxattr, frame, 0, 0, empty, NULL);
        if (empty)
            dict_unref(empty);
    } else {
        STACK_UNWIND_STRICT(getxattr, frame, -1, ENODATA, NULL, NULL);
    }
    return 0;
}

int32_t agora_getxattr(call_frame_t *frame, xlator_t *this, loc_t *loc, const char *name,
                       dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->getxattr, loc, name,
                        xdata);
        return 0;
    }
    return do_getxattr(frame, this, k, name);
}

int32_t agora_fgetxattr(call_frame_t *frame, xlator_t *this, fd_t *fd, const char *name,
                        dict_t *xdata)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fgetxattr, fd, name,
                        xdata);
        return 0;
    }
    if (name == NULL) {
        dict_t *empty = dict_new();
        STACK_UNWIND_STRICT(fgetxattr, frame, 0, 0, empty, NULL);
        if (empty)
            dict_unref(empty);
    } else {
        STACK_UNWIND_STRICT(fgetxattr, frame, -1, ENODATA, NULL, NULL);
    }
    return 0;
}

/* agora.call: a control request sent as an extended attribute (from a
 * mount, say). Processed like the ipc fop; the reply is dropped. */
static int call_by_xattr(call_frame_t *frame, xlator_t *this, dict_t *dict)
{
    struct agora_priv *priv = this->private;
    data_t *d = dict_get(dict, AGORA_XATTR_CALL);
    if (d == NULL)
        return 0;
    if (d->len <= 0 || (uint64_t)d->len > priv->max_request_bytes) {
        STACK_UNWIND_STRICT(setxattr, frame, -1, d->len <= 0 ? EINVAL : EFBIG, NULL);
        return 1;
    }
    struct agora_req *req = GF_CALLOC(1, sizeof(*req), gf_agora_mt_req);
    uint8_t *bytes = GF_MALLOC((size_t)d->len, gf_agora_mt_str);
    if (req == NULL || bytes == NULL) {
        GF_FREE(req);
        GF_FREE(bytes);
        STACK_UNWIND_STRICT(setxattr, frame, -1, ENOMEM, NULL);
        return 1;
    }
    memcpy(bytes, d->data, (size_t)d->len);
    INIT_LIST_HEAD(&req->list);
    req->frame = frame;
    req->kind = AGORA_REQ_XATTR;
    req->bytes = bytes;
    req->len = (size_t)d->len;
    req->arrived = agora_now_mono();
    agora_submit(this, req);
    return 1;
}

int32_t agora_setxattr(call_frame_t *frame, xlator_t *this, loc_t *loc, dict_t *dict,
                       int32_t flags, dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    if (dict != NULL && call_by_xattr(frame, this, dict))
        return 0;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->setxattr, loc, dict,
                        flags, xdata);
        return 0;
    }
    count_erofs(priv);
    STACK_UNWIND_STRICT(setxattr, frame, -1, EROFS, NULL);
    return 0;
}

int32_t agora_fsetxattr(call_frame_t *frame, xlator_t *this, fd_t *fd, dict_t *dict,
                        int32_t flags, dict_t *xdata)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fsetxattr, fd, dict,
                        flags, xdata);
        return 0;
    }
    count_erofs(this->private);
    STACK_UNWIND_STRICT(fsetxattr, frame, -1, EROFS, NULL);
    return 0;
}

int32_t agora_removexattr(call_frame_t *frame, xlator_t *this, loc_t *loc, const char *name,
                          dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->removexattr, loc,
                        name, xdata);
        return 0;
    }
    count_erofs(priv);
    STACK_UNWIND_STRICT(removexattr, frame, -1, EROFS, NULL);
    return 0;
}

int32_t agora_fremovexattr(call_frame_t *frame, xlator_t *this, fd_t *fd, const char *name,
                           dict_t *xdata)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fremovexattr, fd,
                        name, xdata);
        return 0;
    }
    count_erofs(this->private);
    STACK_UNWIND_STRICT(fremovexattr, frame, -1, EROFS, NULL);
    return 0;
}

/* AFR's changelog (pre-op/post-op) on a virtual inode: every counter reads
 * zero, nothing is stored, so no heal and no index entry ever follows. */
static int zero_value(dict_t *d, char *key, data_t *value, void *arg)
{
    dict_t *out = arg;
    if (value->len <= 0)
        return 0;
    char *z = GF_CALLOC(1, (size_t)value->len, gf_agora_mt_str);
    if (z == NULL)
        return -1;
    if (dict_set_bin(out, key, z, (size_t)value->len) != 0) {
        GF_FREE(z);
        return -1;
    }
    (void)d;
    return 0;
}

static dict_t *zeros_like(dict_t *in)
{
    dict_t *out = dict_new();
    if (out != NULL && in != NULL && dict_foreach(in, zero_value, out) != 0) {
        dict_unref(out);
        out = NULL;
    }
    return out;
}

int32_t agora_xattrop(call_frame_t *frame, xlator_t *this, loc_t *loc, gf_xattrop_flags_t op,
                      dict_t *dict, dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    int k = classify(priv, v, loc, NULL);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->xattrop, loc, op,
                        dict, xdata);
        return 0;
    }
    dict_t *z = zeros_like(dict);
    int32_t op_ret = z ? 0 : -1, op_errno = z ? 0 : ENOMEM;
    STACK_UNWIND_STRICT(xattrop, frame, op_ret, op_errno, z, NULL);
    if (z)
        dict_unref(z);
    return 0;
}

int32_t agora_fxattrop(call_frame_t *frame, xlator_t *this, fd_t *fd, gf_xattrop_flags_t op,
                       dict_t *dict, dict_t *xdata)
{
    struct agora_view *v = view_get(this->private);
    int k = classify_fd(v, fd);
    agora_view_unref(this, v);
    if (k == V_NONE) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fxattrop, fd, op,
                        dict, xdata);
        return 0;
    }
    dict_t *z = zeros_like(dict);
    int32_t op_ret = z ? 0 : -1, op_errno = z ? 0 : ENOMEM;
    STACK_UNWIND_STRICT(fxattrop, frame, op_ret, op_errno, z, NULL);
    if (z)
        dict_unref(z);
    return 0;
}

/* ---- everything that modifies: EROFS ------------------------------------------------- */

/* EROFS_LOC(fop, loc, args...) / EROFS_FD(fop, fd, args...): refuse on a
 * virtual target, wind otherwise. The unwind arguments after op_errno are
 * NULLs for every fop here. */
#define GUARD_LOC(fop, unwind_nulls, loc, ...)                                                 \
    do {                                                                                       \
        struct agora_priv *p_ = this->private;                                                 \
        struct agora_view *v_ = view_get(p_);                                                  \
        int k_ = classify(p_, v_, loc, NULL);                                                  \
        agora_view_unref(this, v_);                                                            \
        if (k_ != V_NONE) {                                                                    \
            count_erofs(p_);                                                                   \
            STACK_UNWIND_STRICT(fop, frame, -1, EROFS, unwind_nulls);                          \
            return 0;                                                                          \
        }                                                                                      \
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fop, __VA_ARGS__);  \
        return 0;                                                                              \
    } while (0)

#define GUARD_FD(fop, unwind_nulls, fd, ...)                                                   \
    do {                                                                                       \
        struct agora_view *v_ = view_get(this->private);                                       \
        int k_ = classify_fd(v_, fd);                                                          \
        agora_view_unref(this, v_);                                                            \
        if (k_ != V_NONE) {                                                                    \
            count_erofs(this->private);                                                        \
            STACK_UNWIND_STRICT(fop, frame, -1, EROFS, unwind_nulls);                          \
            return 0;                                                                          \
        }                                                                                      \
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->fop, __VA_ARGS__);  \
        return 0;                                                                              \
    } while (0)

#define N2 NULL, NULL
#define N3 NULL, NULL, NULL
#define N5 NULL, NULL, NULL, NULL, NULL

int32_t agora_setattr(call_frame_t *frame, xlator_t *this, loc_t *loc, struct iatt *st,
                      int32_t valid, dict_t *xdata)
{
    GUARD_LOC(setattr, N3, loc, loc, st, valid, xdata);
}

int32_t agora_fsetattr(call_frame_t *frame, xlator_t *this, fd_t *fd, struct iatt *st,
                       int32_t valid, dict_t *xdata)
{
    GUARD_FD(fsetattr, N3, fd, fd, st, valid, xdata);
}

int32_t agora_truncate(call_frame_t *frame, xlator_t *this, loc_t *loc, off_t off,
                       dict_t *xdata)
{
    GUARD_LOC(truncate, N3, loc, loc, off, xdata);
}

int32_t agora_ftruncate(call_frame_t *frame, xlator_t *this, fd_t *fd, off_t off, dict_t *xdata)
{
    GUARD_FD(ftruncate, N3, fd, fd, off, xdata);
}

int32_t agora_writev(call_frame_t *frame, xlator_t *this, fd_t *fd, struct iovec *vec,
                     int32_t count, off_t off, uint32_t flags, struct iobref *iobref,
                     dict_t *xdata)
{
    GUARD_FD(writev, N3, fd, fd, vec, count, off, flags, iobref, xdata);
}

int32_t agora_fallocate(call_frame_t *frame, xlator_t *this, fd_t *fd, int32_t mode, off_t off,
                        size_t len, dict_t *xdata)
{
    GUARD_FD(fallocate, N3, fd, fd, mode, off, len, xdata);
}

int32_t agora_discard(call_frame_t *frame, xlator_t *this, fd_t *fd, off_t off, size_t len,
                      dict_t *xdata)
{
    GUARD_FD(discard, N3, fd, fd, off, len, xdata);
}

int32_t agora_zerofill(call_frame_t *frame, xlator_t *this, fd_t *fd, off_t off, off_t len,
                       dict_t *xdata)
{
    GUARD_FD(zerofill, N3, fd, fd, off, len, xdata);
}

int32_t agora_unlink(call_frame_t *frame, xlator_t *this, loc_t *loc, int xflags, dict_t *xdata)
{
    GUARD_LOC(unlink, N3, loc, loc, xflags, xdata);
}

int32_t agora_rmdir(call_frame_t *frame, xlator_t *this, loc_t *loc, int flags, dict_t *xdata)
{
    GUARD_LOC(rmdir, N3, loc, loc, flags, xdata);
}

/* A new entry: inside the directory EROFS; the directory's own name in the
 * root EEXIST. */
static int new_entry_errno(xlator_t *this, loc_t *loc)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    bool missing;
    int k = classify(priv, v, loc, &missing);
    agora_view_unref(this, v);
    if (k == V_DIR)
        return EEXIST;
    if (k != V_NONE || missing) {
        count_erofs(priv);
        return EROFS;
    }
    return 0;
}

int32_t agora_create(call_frame_t *frame, xlator_t *this, loc_t *loc, int32_t flags,
                     mode_t mode, mode_t umask, fd_t *fd, dict_t *xdata)
{
    int e = new_entry_errno(this, loc);
    if (e != 0) {
        STACK_UNWIND_STRICT(create, frame, -1, e, NULL, NULL, NULL, NULL, NULL, NULL);
        return 0;
    }
    STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->create, loc, flags, mode,
                    umask, fd, xdata);
    return 0;
}

int32_t agora_mknod(call_frame_t *frame, xlator_t *this, loc_t *loc, mode_t mode, dev_t rdev,
                    mode_t umask, dict_t *xdata)
{
    int e = new_entry_errno(this, loc);
    if (e != 0) {
        STACK_UNWIND_STRICT(mknod, frame, -1, e, N5);
        return 0;
    }
    STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->mknod, loc, mode, rdev,
                    umask, xdata);
    return 0;
}

int32_t agora_mkdir(call_frame_t *frame, xlator_t *this, loc_t *loc, mode_t mode, mode_t umask,
                    dict_t *xdata)
{
    int e = new_entry_errno(this, loc);
    if (e != 0) {
        STACK_UNWIND_STRICT(mkdir, frame, -1, e, N5);
        return 0;
    }
    STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->mkdir, loc, mode, umask,
                    xdata);
    return 0;
}

int32_t agora_symlink(call_frame_t *frame, xlator_t *this, const char *linkname, loc_t *loc,
                      mode_t umask, dict_t *xdata)
{
    int e = new_entry_errno(this, loc);
    if (e != 0) {
        STACK_UNWIND_STRICT(symlink, frame, -1, e, N5);
        return 0;
    }
    STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->symlink, linkname, loc,
                    umask, xdata);
    return 0;
}

static bool any_virtual(xlator_t *this, loc_t *a, loc_t *b)
{
    struct agora_priv *priv = this->private;
    struct agora_view *v = view_get(priv);
    bool ma = false, mb = false;
    bool r = classify(priv, v, a, &ma) != V_NONE || ma ||
             classify(priv, v, b, &mb) != V_NONE || mb;
    agora_view_unref(this, v);
    if (r)
        count_erofs(priv);
    return r;
}

int32_t agora_link(call_frame_t *frame, xlator_t *this, loc_t *oldloc, loc_t *newloc,
                   dict_t *xdata)
{
    if (any_virtual(this, oldloc, newloc)) {
        STACK_UNWIND_STRICT(link, frame, -1, EROFS, N5);
        return 0;
    }
    STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->link, oldloc, newloc,
                    xdata);
    return 0;
}

int32_t agora_rename(call_frame_t *frame, xlator_t *this, loc_t *oldloc, loc_t *newloc,
                     dict_t *xdata)
{
    if (any_virtual(this, oldloc, newloc)) {
        STACK_UNWIND_STRICT(rename, frame, -1, EROFS, NULL, NULL, NULL, NULL, NULL, NULL);
        return 0;
    }
    STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->rename, oldloc, newloc,
                    xdata);
    return 0;
}
