/* agora.c: the agora brick translator's table, options and life cycle
 * (docs/translator.md). The fops it intercepts are grouped by intent:
 *
 *   control   ipc (the coordinators' request/reply), setxattr "agora.call"
 *   the view  lookup, stat, fstat, access, open, readv, flush, fsync,
 *             opendir, readdir, readdirp, getxattr, fgetxattr (view_*.c)
 *   guards    every modifying fop: EROFS on /.agora/ (view_erofs.c); xattrop
 *             answered with zeros there
 *
 * Everything else, and every intercepted fop on an ordinary inode, winds
 * straight to the child: ordinary I/O pays one gfid comparison.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glusterfs/defaults.h>
#include <glusterfs/logging.h>
#include <glusterfs/options.h>
#include <glusterfs/statedump.h>
#include <glusterfs/syscall.h>

#include "agora.h"

/* ---- the control fop ------------------------------------------------------------ */

int32_t agora_ipc(call_frame_t *frame, xlator_t *this, int32_t op, dict_t *xdata)
{
    struct agora_priv *priv = this->private;
    if (op != AGORA_IPC_OP) {
        STACK_WIND_TAIL(frame, FIRST_CHILD(this), FIRST_CHILD(this)->fops->ipc, op, xdata);
        return 0;
    }
    data_t *d = xdata ? dict_get(xdata, AGORA_IPC_REQUEST) : NULL;
    if (d == NULL || d->len <= 0) {
        STACK_UNWIND_STRICT(ipc, frame, -1, EINVAL, NULL);
        return 0;
    }
    if ((uint64_t)d->len > priv->max_request_bytes) {
        pthread_mutex_lock(&priv->lock);
        priv->c.too_big++;
        pthread_mutex_unlock(&priv->lock);
        STACK_UNWIND_STRICT(ipc, frame, -1, EFBIG, NULL);
        return 0;
    }
    struct agora_req *req = GF_CALLOC(1, sizeof(*req), gf_agora_mt_req);
    uint8_t *bytes = GF_MALLOC((size_t)d->len, gf_agora_mt_str);
    if (req == NULL || bytes == NULL) {
        GF_FREE(req);
        GF_FREE(bytes);
        STACK_UNWIND_STRICT(ipc, frame, -1, ENOMEM, NULL);
        return 0;
    }
    memcpy(bytes, d->data, (size_t)d->len);
    INIT_LIST_HEAD(&req->list);
    req->frame = frame;
    req->kind = AGORA_REQ_IPC;
    req->bytes = bytes;
    req->len = (size_t)d->len;
    req->arrived = agora_now_mono();
    agora_submit(this, req); /* the worker unwinds */
    return 0;
}

/* ---- options ------------------------------------------------------------------------ */

struct agora_opts {
    char *key_file;
    uint32_t lease_ms;
    uint64_t max_request_bytes;
    uint32_t max_entry_bytes;
    gf_boolean_t allow_key_options;
    char *view_name;
    uint32_t queue_max;
    uint32_t compact_entries;
};

#define LEASE_MIN 100
#define LEASE_MAX 600000
#define REQ_MIN 4096
#define REQ_MAX (64ull << 20)
#define ENTRY_MIN 256
#define ENTRY_MAX (16u << 20)

/* GlusterFS checks types and bounds at start, but reconfigure() is called
 * even with a value it found invalid (gluster-xlator-notes.md, Q2): check
 * everything here too. Returns a reason, or NULL. */
static const char *check_opts(const struct agora_opts *o)
{
    if (o->key_file[0] != '\0' && o->key_file[0] != '/')
        return "key-file must be an absolute path (or empty)";
    if (o->lease_ms < LEASE_MIN || o->lease_ms > LEASE_MAX)
        return "lease-ms must be within 100..600000";
    if (o->max_request_bytes < REQ_MIN || o->max_request_bytes > REQ_MAX)
        return "max-request-bytes must be within 4KB..64MB";
    if (o->max_entry_bytes < ENTRY_MIN || o->max_entry_bytes > ENTRY_MAX ||
        o->max_entry_bytes > o->max_request_bytes)
        return "max-entry-bytes must be within 256..16MB and at most max-request-bytes";
    size_t n = strlen(o->view_name);
    if (n == 0 || n > 64 || strchr(o->view_name, '/') != NULL || strcmp(o->view_name, ".") == 0 ||
        strcmp(o->view_name, "..") == 0 || strcmp(o->view_name, ".glusterfs") == 0)
        return "view-name must be 1..64 bytes, no '/', not '.', '..' or '.glusterfs'";
    if (o->queue_max < 1 || o->queue_max > 4096)
        return "queue-max must be within 1..4096";
    return NULL;
}

/* Loads the key named by key-file into priv (lock held). Without one the
 * brick still serves /.agora/ but refuses every control request. */
static void load_key(xlator_t *this, struct agora_priv *priv, bool keep_old)
{
    struct agora_key k;
    char why[256];
    memset(&k, 0, sizeof(k));
    if (keep_old && priv->key.len > 0 && priv->key_file[0] != '\0' &&
        agora_key_load(priv->key_file, &k, why, sizeof(why)) != AGORA_OK) {
        /* a bad key file at reconfigure: keep serving with the key we have */
        gf_msg(this->name, GF_LOG_ERROR, 0, 0,
               "key-file refused at reconfigure: %s; keeping the previous key", why);
        return;
    }
    memset(&k, 0, sizeof(k));
    if (priv->key_file[0] == '\0') {
        snprintf(priv->key_why, sizeof(priv->key_why), "option key-file is not set");
    } else if (agora_key_load(priv->key_file, &k, priv->key_why, sizeof(priv->key_why)) ==
               AGORA_OK) {
        priv->key = k;
        priv->key_why[0] = '\0';
        memset(&k, 0, sizeof(k));
        gf_msg(this->name, GF_LOG_INFO, 0, 0, "cluster key loaded from %s", priv->key_file);
        return;
    }
    memset(&priv->key, 0, sizeof(priv->key));
    priv->nokey_logged = false;
    gf_msg(this->name, GF_LOG_WARNING, 0, 0,
           "no cluster key: %s. /%s is served, but every control request is refused with "
           "EACCES",
           priv->key_why, priv->view_name);
}

static void set_opts(struct agora_priv *priv, const struct agora_opts *o)
{
    GF_FREE(priv->key_file);
    GF_FREE(priv->view_name);
    priv->key_file = gf_strdup(o->key_file);
    priv->view_name = gf_strdup(o->view_name);
    priv->lease_ms = o->lease_ms;
    priv->max_request_bytes = o->max_request_bytes;
    priv->max_entry_bytes = o->max_entry_bytes;
    priv->allow_key_options = o->allow_key_options;
    priv->queue_max = o->queue_max;
    priv->compact_entries = o->compact_entries;
}

/* ---- brick directory ------------------------------------------------------------------ */

/* The brick directory is posix's "directory" option. posix has not run
 * init yet (init is top-down), but its options are parsed. */
static char *find_brick_dir(xlator_t *this)
{
    xlator_t *xl = this;
    while (xl != NULL && xl->children != NULL) {
        xl = FIRST_CHILD(xl);
        if (xl->type != NULL && strcmp(xl->type, "storage/posix") == 0) {
            char *dir = NULL;
            if (dict_get_str(xl->options, "directory", &dir) == 0 && dir != NULL)
                return gf_strdup(dir);
            return NULL;
        }
    }
    return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int32_t agora_mem_acct_init(xlator_t *this)
{
    return xlator_mem_acct_init(this, gf_agora_mt_end + 1);
}

static void priv_free(xlator_t *this, struct agora_priv *priv)
{
    if (priv == NULL)
        return;
    agora_view_fini(this);
    agora_acceptor_free(&priv->acc);
    agora_groups_close(&priv->groups);
    agora_sm_free(&priv->sm);
    if (priv->wal_fd > 0)
        sys_close(priv->wal_fd);
    for (size_t i = 0; i < priv->n_members; i++)
        GF_FREE(priv->members[i].id);
    for (size_t i = 0; i < priv->n_queued; i++) {
        GF_FREE(priv->queued[i].origin);
        GF_FREE(priv->queued[i].data);
    }
    GF_FREE(priv->members);
    GF_FREE(priv->queued);
    GF_FREE(priv->senders);
    GF_FREE(priv->key_file);
    GF_FREE(priv->view_name);
    GF_FREE(priv->brick_dir);
    memset(&priv->key, 0, sizeof(priv->key));
    pthread_mutex_destroy(&priv->lock);
    pthread_mutex_destroy(&priv->view_lock);
    pthread_cond_destroy(&priv->cond);
    GF_FREE(priv);
}

static int32_t agora_init(xlator_t *this)
{
    struct agora_priv *priv = NULL;
    struct agora_opts o;
    const char *bad;
    int ret = -1;

    if (this->children == NULL || this->children->next != NULL) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "agora needs exactly one child (posix below it)");
        return -1;
    }
    memset(&o, 0, sizeof(o));
    GF_OPTION_INIT("key-file", o.key_file, str, out);
    GF_OPTION_INIT("lease-ms", o.lease_ms, uint32, out);
    GF_OPTION_INIT("max-request-bytes", o.max_request_bytes, size_uint64, out);
    GF_OPTION_INIT("max-entry-bytes", o.max_entry_bytes, uint32, out);
    GF_OPTION_INIT("allow-key-options", o.allow_key_options, bool, out);
    GF_OPTION_INIT("view-name", o.view_name, str, out);
    GF_OPTION_INIT("queue-max", o.queue_max, uint32, out);
    GF_OPTION_INIT("compact-entries", o.compact_entries, uint32, out);
    if ((bad = check_opts(&o)) != NULL) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "invalid option: %s", bad);
        goto out;
    }

    priv = GF_CALLOC(1, sizeof(*priv), gf_agora_mt_priv);
    if (priv == NULL)
        goto out;
    pthread_mutex_init(&priv->lock, NULL);
    pthread_mutex_init(&priv->view_lock, NULL);
    pthread_cond_init(&priv->cond, NULL);
    INIT_LIST_HEAD(&priv->queue);
    priv->wal_fd = -1;
    priv->started = agora_now_mono();
    set_opts(priv, &o);
    this->private = priv;

    priv->brick_dir = find_brick_dir(this);
    if (priv->brick_dir == NULL) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0,
               "no storage/posix with a 'directory' option below agora: cannot find the brick");
        goto out;
    }
    agora_view_set_name(this, priv->view_name);
    pthread_mutex_lock(&priv->lock);
    load_key(this, priv, false);
    ret = agora_store_open(this);
    if (ret == 0)
        ret = agora_view_publish(this);
    pthread_mutex_unlock(&priv->lock);
    if (ret != 0)
        goto out;
    ret = agora_worker_start(this);
    if (ret != 0) {
        gf_msg(this->name, GF_LOG_ERROR, -ret, 0, "cannot start the worker thread");
        goto out;
    }
    gf_msg(this->name, GF_LOG_INFO, 0, 0,
           "agora ready on %s: view /%s, lease %u ms, parent %s", priv->brick_dir,
           priv->view_name, priv->lease_ms,
           this->parents ? this->parents->xlator->name : "(none)");
    ret = 0;
out:
    if (ret != 0) {
        this->private = NULL;
        priv_free(this, priv);
        ret = -1;
    }
    return ret;
}

static void agora_fini(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    if (priv == NULL)
        return;
    agora_worker_stop(this);
    this->private = NULL;
    priv_free(this, priv);
}

static int agora_reconfigure(xlator_t *this, dict_t *options)
{
    struct agora_priv *priv = this->private;
    struct agora_opts o;
    const char *bad, *which = NULL;

    pthread_mutex_lock(&priv->lock);
    memset(&o, 0, sizeof(o));
    o.key_file = priv->key_file;
    o.lease_ms = priv->lease_ms;
    o.max_request_bytes = priv->max_request_bytes;
    o.max_entry_bytes = priv->max_entry_bytes;
    o.allow_key_options = priv->allow_key_options;
    o.view_name = priv->view_name;
    o.queue_max = priv->queue_max;
    o.compact_entries = priv->compact_entries;
    /* which: the option being parsed, named in the refusal */
#define RECONF(k, v, t) (which = k);                                                           \
    GF_OPTION_RECONF(k, v, options, t, bad_format)
    RECONF("key-file", o.key_file, str);
    RECONF("lease-ms", o.lease_ms, uint32);
    RECONF("max-request-bytes", o.max_request_bytes, size_uint64);
    RECONF("max-entry-bytes", o.max_entry_bytes, uint32);
    which = "allow-key-options"; /* not through RECONF: stdbool's bool would expand */
    GF_OPTION_RECONF("allow-key-options", o.allow_key_options, options, bool, bad_format);
    RECONF("view-name", o.view_name, str);
    RECONF("queue-max", o.queue_max, uint32);
    RECONF("compact-entries", o.compact_entries, uint32);
#undef RECONF
    if ((bad = check_opts(&o)) != NULL) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0,
               "reconfigure refused: %s; every option keeps its old value", bad);
        pthread_mutex_unlock(&priv->lock);
        return 0;
    }
    /* the key file is read again at every reconfigure (key rotation): a
     * file that cannot be used refuses the whole reconfigure, so the brick
     * keeps the key (and key-file) it has */
    struct agora_key newkey;
    char why[256];
    memset(&newkey, 0, sizeof(newkey));
    if (o.key_file[0] != '\0' &&
        agora_key_load(o.key_file, &newkey, why, sizeof(why)) != AGORA_OK) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0,
               "reconfigure refused: key-file %s: %s; every option keeps its old value "
               "(key-file stays %s%s)",
               o.key_file, why, priv->key_file[0] ? priv->key_file : "unset",
               priv->key.len ? ", its key still in use" : "");
        memset(&newkey, 0, sizeof(newkey));
        pthread_mutex_unlock(&priv->lock);
        return 0;
    }
    memset(&newkey, 0, sizeof(newkey));
    /* copy before set_opts frees the strings o may point at */
    char *kf = gf_strdup(o.key_file), *vn = gf_strdup(o.view_name);
    if (kf == NULL || vn == NULL) {
        GF_FREE(kf);
        GF_FREE(vn);
        pthread_mutex_unlock(&priv->lock);
        return -1;
    }
    o.key_file = kf;
    o.view_name = vn;
    set_opts(priv, &o);
    GF_FREE(kf);
    GF_FREE(vn);
    priv->acc.cfg.lease = (agora_time_t)priv->lease_ms * AGORA_MS;
    priv->groups.cfg.lease = priv->acc.cfg.lease;
    for (size_t i = 0; i < priv->groups.n; i++)
        priv->groups.g[i]->acc.cfg.lease = priv->acc.cfg.lease;
    load_key(this, priv, true); /* the key file is read again at every reconfigure */
    agora_view_set_name(this, priv->view_name);
    agora_view_publish(this);
    gf_msg(this->name, GF_LOG_INFO, 0, 0,
           "reconfigured: lease %u ms, view /%s, max-request %" PRIu64 ", max-entry %u, "
           "allow-key-options %s",
           priv->lease_ms, priv->view_name, priv->max_request_bytes, priv->max_entry_bytes,
           priv->allow_key_options ? "on" : "off");
    pthread_mutex_unlock(&priv->lock);
    return 0;
bad_format:
    gf_msg(this->name, GF_LOG_ERROR, 0, 0,
           "reconfigure refused: option %s has a value of the wrong type or out of its "
           "bounds; every option keeps its old value",
           which);
    pthread_mutex_unlock(&priv->lock);
    return 0;
}

/* ---- statedump ----------------------------------------------------------------------- */

/* One line per named lease's group: group.NAME = promise, lease, log. */
static void dump_groups(struct agora_priv *priv, uint64_t now)
{
    char key[128];
    gf_proc_dump_write("groups", "%zu", priv->groups.n);
    for (size_t i = 0; i < priv->groups.n; i++) {
        const struct agora_group *g = priv->groups.g[i];
        agora_time_t left = 0;
        uint32_t holder = agora_acceptor_lease(&g->acc, now, &left);
        snprintf(key, sizeof(key), "group.%s", g->name);
        gf_proc_dump_write(key,
                           "ok=%d promised=%" PRIu64 ".%u lease_holder=%u lease_left_ms=%" PRIu64
                           " log_bytes=%" PRIu64 " requests=%" PRIu64,
                           g->ok, g->acc.promised.round, g->acc.promised.node, holder,
                           (uint64_t)left / 1000000, g->wal_size, g->requests);
    }
}

static int32_t agora_priv_dump(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    char key_prefix[GF_DUMP_MAX_BUF_LEN];
    agora_time_t left = 0;
    if (priv == NULL)
        return 0;
    if (pthread_mutex_trylock(&priv->lock) != 0)
        return 0;
    uint64_t now = agora_now_mono();
    uint32_t holder = agora_acceptor_lease(&priv->acc, now, &left);
    const struct agora_counters *c = &priv->c;
    gf_proc_dump_build_key(key_prefix, "xlator.user.agora", "priv");
    gf_proc_dump_add_section("%s", key_prefix);
    gf_proc_dump_write("brick", "%s", priv->brick_dir);
    gf_proc_dump_write("acceptor_ok", "%d", priv->acceptor_ok);
    gf_proc_dump_write("promised", "%" PRIu64 ".%u", priv->acc.promised.round,
                       priv->acc.promised.node);
    gf_proc_dump_write("lease_holder", "%u", holder);
    gf_proc_dump_write("lease_left_ms", "%" PRIu64, (uint64_t)left / 1000000);
    gf_proc_dump_write("commit", "%" PRIu64, priv->acc.commit);
    gf_proc_dump_write("snapshot", "%" PRIu64, priv->acc.snap_index);
    gf_proc_dump_write("applied", "%" PRIu64, agora_sm_applied(&priv->sm));
    gf_proc_dump_write("log_bytes", "%" PRIu64, priv->wal_size);
    gf_proc_dump_write("key_loaded", "%d", priv->key.len != 0);
    gf_proc_dump_write("requests", "%" PRIu64, c->requests);
    gf_proc_dump_write("rejections", "%" PRIu64, c->rejections);
    gf_proc_dump_write("auth_failures", "%" PRIu64, c->auth_failures);
    gf_proc_dump_write("replays", "%" PRIu64, c->replays);
    gf_proc_dump_write("malformed", "%" PRIu64, c->malformed);
    gf_proc_dump_write("batches", "%" PRIu64, c->batches);
    gf_proc_dump_write("max_batch", "%" PRIu64, c->max_batch);
    gf_proc_dump_write("fsyncs", "%" PRIu64, c->fsyncs);
    gf_proc_dump_write("fsync_us_avg", "%" PRIu64,
                       c->fsyncs ? c->fsync_ns_total / c->fsyncs / 1000 : 0);
    gf_proc_dump_write("request_us_avg", "%" PRIu64,
                       c->requests ? c->fop_ns_total / c->requests / 1000 : 0);
    gf_proc_dump_write("members", "%zu", priv->n_members);
    gf_proc_dump_write("queued", "%zu", priv->n_queued);
    gf_proc_dump_write("erofs", "%" PRIu64, c->erofs);
    gf_proc_dump_write("upcalls", "%" PRIu64, c->upcalls);
    dump_groups(priv, now);
    pthread_mutex_unlock(&priv->lock);
    return 0;
}

/* ---- the table ------------------------------------------------------------------------ */

static struct xlator_fops agora_fops = {
    /* control */
    .ipc = agora_ipc,
    .setxattr = agora_setxattr,
    /* the view */
    .lookup = agora_lookup,
    .stat = agora_stat,
    .fstat = agora_fstat,
    .access = agora_access,
    .open = agora_open,
    .readv = agora_readv,
    .flush = agora_flush,
    .fsync = agora_fsync,
    .opendir = agora_opendir,
    .readdir = agora_readdir,
    .readdirp = agora_readdirp,
    .getxattr = agora_getxattr,
    .fgetxattr = agora_fgetxattr,
    /* guards */
    .fsetxattr = agora_fsetxattr,
    .removexattr = agora_removexattr,
    .fremovexattr = agora_fremovexattr,
    .xattrop = agora_xattrop,
    .fxattrop = agora_fxattrop,
    .setattr = agora_setattr,
    .fsetattr = agora_fsetattr,
    .truncate = agora_truncate,
    .ftruncate = agora_ftruncate,
    .writev = agora_writev,
    .fallocate = agora_fallocate,
    .discard = agora_discard,
    .zerofill = agora_zerofill,
    .create = agora_create,
    .mknod = agora_mknod,
    .mkdir = agora_mkdir,
    .symlink = agora_symlink,
    .link = agora_link,
    .unlink = agora_unlink,
    .rmdir = agora_rmdir,
    .rename = agora_rename,
};

static struct xlator_cbks agora_cbks = {
    .release = agora_view_release,
};

static struct xlator_dumpops agora_dumpops = {
    .priv = agora_priv_dump,
};

static struct volume_options agora_options[] = {
    {.key = {"key-file"},
     .type = GF_OPTION_TYPE_STR,
     .default_value = "",
     .description = "File holding the cluster key (HMAC-SHA256 of every control request); "
                    "mode 0600, read at start and at every reconfigure. Empty or unreadable: "
                    "/.agora is served but every control request is refused (EACCES).",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"lease-ms"},
     .type = GF_OPTION_TYPE_INT,
     .min = LEASE_MIN,
     .max = LEASE_MAX,
     .default_value = "5000",
     .description = "Leader lease granted by this acceptor on each ACCEPT, in ms of the "
                    "brick's monotonic clock; also how long a restarted brick refuses promises.",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"max-request-bytes"},
     .type = GF_OPTION_TYPE_SIZET,
     .min = REQ_MIN,
     .max = REQ_MAX,
     .default_value = "4MB",
     .description = "Largest control request (envelope) accepted; larger: EFBIG.",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"max-entry-bytes"},
     .type = GF_OPTION_TYPE_INT,
     .min = ENTRY_MIN,
     .max = ENTRY_MAX,
     .default_value = "65536",
     .description = "Largest log entry (or queued request) accepted; larger: EFBIG.",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"allow-key-options"},
     .type = GF_OPTION_TYPE_BOOL,
     .default_value = "off",
     .description = "Serve authorized_keys lines whose key carries options (command=...). "
                    "Off: such lines are left out of /.agora/authorized_keys.",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"view-name"},
     .type = GF_OPTION_TYPE_STR,
     .default_value = ".agora",
     .description = "Name of the read-only virtual directory at the volume root.",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"queue-max"},
     .type = GF_OPTION_TYPE_INT,
     .min = 1,
     .max = 4096,
     .default_value = "256",
     .description = "Requests from non-leaders queued on this brick at most (SUBMIT); "
                    "more: FULL.",
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {"compact-entries"},
     .type = GF_OPTION_TYPE_INT,
     .min = 0,
     .max = 100000000,
     .default_value = "4096",
     .description = "Replace the applied prefix of the log by a snapshot once it holds this "
                    "many entries (0: never).",
     .validate = GF_OPT_VALIDATE_MIN,
     .op_version = {GD_OP_VERSION_9_0},
     .flags = OPT_FLAG_SETTABLE},
    {.key = {NULL}},
};

__attribute__((visibility("default"))) xlator_api_t xlator_api = {
    .init = agora_init,
    .fini = agora_fini,
    .reconfigure = agora_reconfigure,
    .mem_acct_init = agora_mem_acct_init,
    .op_version = {GD_OP_VERSION_9_0},
    .dumpops = &agora_dumpops,
    .fops = &agora_fops,
    .cbks = &agora_cbks,
    .options = agora_options,
    .identifier = "agora",
    .category = GF_EXPERIMENTAL,
};
