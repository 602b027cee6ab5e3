/* worker_wal.c: the acceptor's write-ahead log file,
 * BRICK/.glusterfs/agora/acceptor.wal (frames of lib/frame.c holding records
 * of lib/acceptor.c), worker_int.h. At start it is replayed, a torn or
 * corrupt tail is cut (logged), and the restart rule holds promises back
 * for one lease; the named leases' folders are opened too. Each batch's
 * records are appended with one write and one fdatasync (group commit). A
 * compacted image is written to acceptor.wal.new, synced, renamed over the
 * log, and the directory synced. (The file steps: wal_file.c, shared with
 * the named leases' logs.)
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
#include "wal_file.h"
#include "worker_int.h"

static int mkdir_private(const char *path)
{
    if (sys_mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

/* The named leases' groups (group_table.h): a folder that cannot be read
 * refuses their requests only, the main log is served. */
static void open_groups(xlator_t *this, struct agora_priv *priv,
                        const struct agora_acceptor_config *cfg)
{
    char why[512] = "";
    int rc = agora_groups_open(&priv->groups, priv->state_dir, cfg, priv->started,
                               agora_now_mono(), why, sizeof(why));
    priv->groups_ok = rc == 0;
    if (rc != 0)
        gf_msg(this->name, GF_LOG_ERROR, -rc, 0,
               "named leases unavailable (%s): their requests get EIO", why);
    for (size_t i = 0; i < priv->groups.n; i++) {
        const struct agora_group *g = priv->groups.g[i];
        gf_msg(this->name, g->ok ? GF_LOG_INFO : GF_LOG_CRITICAL, 0, 0,
               "named lease %s: %s (log %" PRIu64 " bytes, promised %" PRIu64 ".%u)", g->name,
               g->ok ? "recovered" : "log unusable, refusing its requests", g->wal_size,
               g->acc.promised.round, g->acc.promised.node);
    }
}

int agora_store_open(xlator_t *this)
{
    struct agora_priv *priv = this->private;
    struct agora_acceptor_config cfg = {.lease = (agora_time_t)priv->lease_ms * AGORA_MS};
    char gfdir[4200];
    size_t len = 0, valid = 0;
    int rc, why = AGORA_OK;

    snprintf(gfdir, sizeof(gfdir), "%s/.glusterfs", priv->brick_dir);
    snprintf(priv->state_dir, sizeof(priv->state_dir), "%s/.glusterfs/agora", priv->brick_dir);
    snprintf(priv->wal_path, sizeof(priv->wal_path), "%s/acceptor.wal", priv->state_dir);
    agora_sm_init(&priv->sm);
    /* the restart rule: every start holds promises back for one lease */
    rc = agora_acceptor_init(&priv->acc, &cfg, 0, agora_now_mono());
    if (rc != AGORA_OK)
        return -EINVAL;
    if ((rc = mkdir_private(gfdir)) != 0 || (rc = mkdir_private(priv->state_dir)) != 0) {
        gf_msg(this->name, GF_LOG_ERROR, -rc, 0, "cannot create %s", priv->state_dir);
        return rc;
    }
    priv->wal_fd = sys_open(priv->wal_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (priv->wal_fd < 0) {
        rc = -errno;
        gf_msg(this->name, GF_LOG_ERROR, errno, 0, "cannot open %s", priv->wal_path);
        return rc;
    }
    rc = agora_wal_file_recover(priv->wal_fd, &priv->acc, &len, &valid, &why);
    if (rc == -EBADMSG) {
        /* a record with a valid checksum that does not decode: not a torn
         * write. Serving would risk forgetting a promise, so refuse. */
        gf_msg(this->name, GF_LOG_CRITICAL, 0, 0,
               "%s: undecodable record inside a valid frame (%s); the acceptor refuses every "
               "control request until the file is repaired or removed",
               priv->wal_path, agora_strerror(why));
        priv->acceptor_ok = false;
        return 0;
    }
    if (valid < len)
        gf_msg(this->name, GF_LOG_WARNING, 0, 0,
               "%s: cut a torn or corrupt tail of %zu bytes (kept %zu of %zu)", priv->wal_path,
               len - valid, valid, len);
    if (rc != 0) {
        gf_msg(this->name, GF_LOG_ERROR, -rc, 0, "cannot read or truncate %s", priv->wal_path);
        return rc;
    }
    priv->wal_size = valid;
    priv->acceptor_ok = true;
    open_groups(this, priv, &cfg);
    agora_learn(this, priv);
    gf_msg(this->name, GF_LOG_INFO, 0, 0,
           "acceptor recovered from %s (%zu bytes): promised %" PRIu64 ".%u, commit %" PRIu64
           ", snapshot %" PRIu64 ", applied %" PRIu64 "; no promise for %u ms (restart rule)",
           priv->wal_path, valid, priv->acc.promised.round, priv->acc.promised.node,
           priv->acc.commit, priv->acc.snap_index, agora_sm_applied(&priv->sm), priv->lease_ms);
    return 0;
}

int agora_wal_append(xlator_t *this, struct agora_priv *priv, const struct agora_buf *wal,
                     uint64_t *durable_real)
{
    uint64_t t0 = agora_now_mono();
    int err = agora_wal_file_append(priv->wal_fd, wal->data, wal->len);
    uint64_t dt = agora_now_mono() - t0;
    *durable_real = agora_now_real();
    pthread_mutex_lock(&priv->lock);
    priv->c.fsyncs++;
    priv->c.fsync_ns_total += dt;
    if (dt > priv->c.fsync_ns_max)
        priv->c.fsync_ns_max = dt;
    if (err == 0) {
        priv->wal_size += wal->len;
    } else {
        /* the memory state is ahead of the disk: stop serving rather than
         * reply to anything unsaved (a restart recovers from the file) */
        priv->acceptor_ok = false;
        gf_msg(this->name, GF_LOG_CRITICAL, -err, 0,
               "writing the acceptor log %s failed; refusing control requests until "
               "the brick restarts",
               priv->wal_path);
    }
    pthread_mutex_unlock(&priv->lock);
    return err;
}

int agora_wal_replace(xlator_t *this, struct agora_priv *priv, const struct agora_buf *image)
{
    int fd = agora_wal_file_replace(priv->state_dir, priv->wal_path, image->data, image->len);
    if (fd < 0) {
        /* the old file still replays to the same state; keep appending to it */
        gf_msg(this->name, GF_LOG_ERROR, errno, 0, "writing the compacted log %s.new failed",
               priv->wal_path);
        return -1;
    }
    sys_close(priv->wal_fd);
    priv->wal_fd = fd;
    priv->wal_size = image->len;
    return 0;
}
