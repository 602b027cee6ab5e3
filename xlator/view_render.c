/* view_render.c: the renderings of the virtual directory /.agora/ (DESIGN.md
 * section 4, docs/translator.md "/.agora/").
 *
 * A rendering ("view") is immutable and shared by reference; the worker
 * publishes a new one after each batch of requests. The files are those of
 * lib/render.c rendered from the applied state, plus the brick-local
 * status.json. Gfids are the same on every brick: the directory's is fixed,
 * a file's is derived from its name.
 *
 * A file whose bytes changed gets a new mtime, strictly later than the
 * previous one (what the attributes of view_attr.c make the client caches
 * notice); status.json alone is rendered again at most once a second while
 * the applied state stays the same.
 */
#include <errno.h>
#include <time.h>

#include "view_int.h"

#include <glusterfs/common-utils.h>
#include <glusterfs/logging.h>

#include "agora/crc32c.h"
#include "agora/render.h"
#include "agora/validate.h"

#define STATUS_FILE "status.json"
/* status.json alone is rendered again at most this often while the applied
 * state stays the same: its counters change with every request */
#define STATUS_MIN_AGE_NS 1000000000ll

/* "agora" then the version/variant nibbles of a v4 UUID; last byte 1 */
const uuid_t agora_view_dir_gfid = {0x61, 0x67, 0x6f, 0x72, 0x61, 0x00, 0x40, 0x00,
                                    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
const uuid_t view_root_gfid = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* A file's gfid: the directory's with byte 11 = 0x02 (never equal to the
 * directory's) and its last 4 bytes the CRC-32C of the name. */
void view_file_gfid(const char *name, uuid_t out)
{
    uint32_t crc = agora_crc32c(0, name, strlen(name));
    memcpy(out, agora_view_dir_gfid, 16);
    out[11] = 0x02;
    out[12] = (uint8_t)(crc >> 24);
    out[13] = (uint8_t)(crc >> 16);
    out[14] = (uint8_t)(crc >> 8);
    out[15] = (uint8_t)crc;
}

bool view_is_dir_gfid(const unsigned char *g)
{
    return memcmp(g, agora_view_dir_gfid, 16) == 0;
}

/* ---- references ------------------------------------------------------------------------ */

void view_free(struct agora_view *v)
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

struct agora_view *view_get(struct agora_priv *priv)
{
    pthread_mutex_lock(&priv->view_lock);
    struct agora_view *v = priv->view;
    if (v != NULL)
        v->refs++;
    pthread_mutex_unlock(&priv->view_lock);
    return v;
}

/* ---- rendering ------------------------------------------------------------------------- */

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

static bool status_due(const struct agora_vfile *f, struct timespec now)
{
    long long age = (long long)(now.tv_sec - f->mtime.tv_sec) * 1000000000ll +
                    (now.tv_nsec - f->mtime.tv_nsec);
    return age < 0 || age >= STATUS_MIN_AGE_NS;
}

/* Renders file `name` into v->files[v->n] (prev: the same file in the
 * previous view, or NULL) and stamps it: the previous mtime if the bytes
 * are the same, else now (strictly later than the previous). */
static int render_file(xlator_t *this, struct agora_view *v, const struct agora_view *old,
                       const struct agora_vfile *prev, const char *name, struct timespec now)
{
    struct agora_priv *priv = this->private;
    struct agora_vfile *f = &v->files[v->n];
    struct agora_buf b;
    int rc;
    agora_buf_init(&b);
    if (prev != NULL && strcmp(name, STATUS_FILE) == 0 && v->applied == old->applied &&
        !status_due(prev, now))
        rc = agora_buf_put(&b, prev->data, prev->len); /* once a second at most */
    else
        rc = render_one(priv, this, name, &b);
    snprintf(f->name, sizeof(f->name), "%s", name);
    view_file_gfid(f->name, f->gfid);
    f->data = GF_MALLOC(b.len ? b.len : 1, gf_agora_mt_str);
    if (rc == AGORA_OK && f->data != NULL) {
        memcpy(f->data, b.data, b.len);
        f->len = b.len;
    } else if (rc == AGORA_OK) {
        rc = AGORA_ENOMEM;
    }
    agora_buf_free(&b);
    if (prev != NULL && prev->len == f->len && memcmp(prev->data, f->data, f->len) == 0)
        f->mtime = prev->mtime;
    else
        f->mtime = prev ? later(now, prev->mtime) : now;
    v->n++;
    return rc;
}

/* Renders every file into v; changed[i]: file i differs from old's. */
static int render_all(xlator_t *this, struct agora_view *v, const struct agora_view *old,
                      struct timespec now, bool *changed, bool *any)
{
    size_t nr = agora_render_file_count();
    int rc = AGORA_OK;
    for (size_t i = 0; i <= nr && v->n < AGORA_VIEW_MAX_FILES && rc == AGORA_OK; i++) {
        const char *name = i < nr ? agora_render_file_name(i) : STATUS_FILE;
        const struct agora_vfile *prev = NULL;
        if (name == NULL)
            continue;
        if (old != NULL && v->n < old->n && strcmp(old->files[v->n].name, name) == 0)
            prev = &old->files[v->n];
        size_t at = v->n;
        rc = render_file(this, v, old, prev, name, now);
        if (prev == NULL || prev->mtime.tv_sec != v->files[at].mtime.tv_sec ||
            prev->mtime.tv_nsec != v->files[at].mtime.tv_nsec) {
            changed[at] = prev != NULL;
            *any = true;
        }
    }
    return rc;
}

/* status.json "fresh": the stages of a change of the applied state */
static void note_fresh(struct agora_priv *priv, const struct agora_view *v, struct timespec now,
                       uint64_t pub, uint64_t upcalls_before)
{
    uint64_t t0 = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    priv->fresh.applied = v->applied;
    priv->fresh.render_ns = pub > t0 ? pub - t0 : 0;
    priv->fresh.publish_real = pub;
    priv->fresh.upcall_real = agora_now_real();
    priv->fresh.upcalls = priv->c.upcalls - upcalls_before;
}

int agora_view_publish(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    struct agora_view *old = view_get(priv);
    struct agora_view *v = GF_CALLOC(1, sizeof(*v), gf_agora_mt_view);
    bool changed[AGORA_VIEW_MAX_FILES] = {false};
    bool any = false;
    struct timespec now;
    if (v == NULL) {
        agora_view_unref(this, old);
        return -ENOMEM;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    v->refs = 1;
    v->applied = agora_sm_applied(&priv->sm);
    v->dir_time = old ? old->dir_time : now;
    int rc = render_all(this, v, old, now, changed, &any);
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
        view_send_upcalls(this, priv, v, changed);
    if (old == NULL || v->applied > old->applied)
        note_fresh(priv, v, now, pub, up0);
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
