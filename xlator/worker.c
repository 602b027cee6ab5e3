/* worker.c: the brick's Paxos acceptor behind the control protocol.
 *
 * A request (an authenticated envelope, docs/wire-format.md) arrives in the
 * ipc fop (or as the virtual xattr agora.call) on a GlusterFS thread, which
 * only queues it. One worker thread per brick takes every queued request at
 * once (a batch) and, for each: checks the MAC under the cluster key and the
 * sender's (tag, seq) freshness, then steps the core acceptor or the
 * membership registers. The write-ahead records of the whole batch are
 * appended to BRICK/.glusterfs/agora/acceptor.wal with one write and one
 * fdatasync (group commit); only then are the replies unwound, committed
 * entries applied to the state machine, and /.agora/ re-rendered. No
 * GlusterFS epoll or io-thread ever waits for the disk.
 *
 * The file is the acceptor's write-ahead log (frames of lib/frame.c holding
 * records of lib/acceptor.c). At start it is replayed, a torn or corrupt
 * tail is cut (logged), and the restart rule holds promises back for one
 * lease. When the committed and applied prefix grows past compact-entries,
 * the state machine's snapshot replaces it: a new image is written to
 * acceptor.wal.new, synced, renamed over the log, and the directory synced.
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

#define REG_MAX_MEMBERS AGORA_CTL_MAX_MEMBERS
#define SENDERS_MAX 4096

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

/* ---- the write-ahead log file ---------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = sys_write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = sys_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = sys_fsync(fd) ? -errno : 0;
    sys_close(fd);
    return rc;
}

static int mkdir_private(const char *path)
{
    if (sys_mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

/* Reads the whole file into a GF_MALLOC'd buffer. */
static int read_file(int fd, uint8_t **out, size_t *len)
{
    struct stat st;
    if (sys_fstat(fd, &st) != 0)
        return -errno;
    size_t size = (size_t)st.st_size;
    uint8_t *buf = GF_MALLOC(size ? size : 1, gf_agora_mt_str);
    if (buf == NULL)
        return -ENOMEM;
    size_t got = 0;
    while (got < size) {
        ssize_t r = sys_pread(fd, buf + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    *out = buf;
    *len = got;
    return 0;
}

/* Applies every committed entry not yet applied (and a newer snapshot the
 * acceptor holds, from INSTALL or recovery). Lock held. */
static void learn(xlator_t *this, struct agora_priv *priv)
{
    struct agora_acceptor *a = &priv->acc;
    char why[256];
    if (a->snap_index > agora_sm_applied(&priv->sm) && a->snap != NULL) {
        int rc = agora_sm_restore(&priv->sm, a->snap, a->snap_len);
        if (rc != AGORA_OK)
            gf_msg(this->name, GF_LOG_ERROR, 0, 0,
                   "cannot restore the state machine from the snapshot at index %" PRIu64
                   ": %s",
                   a->snap_index, agora_strerror(rc));
    }
    while (agora_sm_applied(&priv->sm) < a->commit) {
        uint64_t slot = agora_sm_applied(&priv->sm) + 1;
        const struct agora_entry *e = agora_log_get(&a->log, slot);
        if (e == NULL) {
            gf_msg(this->name, GF_LOG_ERROR, 0, 0,
                   "committed slot %" PRIu64 " is missing from the log (commit %" PRIu64
                   "): applying stops there",
                   slot, a->commit);
            break;
        }
        why[0] = '\0';
        int rc = agora_sm_apply(&priv->sm, slot, e->data, e->len, why, sizeof(why));
        if (rc == AGORA_ENOMEM)
            break;
        if (rc == AGORA_OK || rc == AGORA_ESTALE) {
            priv->c.applied_ok++;
        } else {
            priv->c.applied_rejected++;
            gf_msg(this->name, GF_LOG_INFO, 0, 0, "slot %" PRIu64 " rejected by the state machine: %s",
                   slot, why);
        }
    }
    /* queued requests are dropped once the state shows them applied */
    size_t keep = 0;
    for (size_t i = 0; i < priv->n_queued; i++) {
        struct agora_queued *q = &priv->queued[i];
        if (agora_sm_last_seq(&priv->sm, q->origin) >= q->seq) {
            GF_FREE(q->origin);
            GF_FREE(q->data);
            continue;
        }
        priv->queued[keep++] = *q;
    }
    priv->n_queued = keep;
}

/* Replaces the log by SNAPSHOT + tail once enough is committed and applied.
 * Lock held (the worker is the only writer of the file). */
static void maybe_compact(xlator_t *this, struct agora_priv *priv)
{
    struct agora_acceptor *a = &priv->acc;
    uint64_t upto = agora_sm_applied(&priv->sm);
    if (upto > a->commit)
        upto = a->commit;
    if (priv->compact_entries == 0 || upto < a->snap_index + priv->compact_entries)
        return;
    struct agora_buf snap, image;
    agora_buf_init(&snap);
    agora_buf_init(&image);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.new", priv->wal_path);
    int fd = -1, rc = agora_sm_snapshot(&priv->sm, &snap);
    if (rc == AGORA_OK)
        rc = agora_acceptor_compact(a, upto, snap.data, (uint32_t)snap.len, &image);
    if (rc != AGORA_OK) {
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "compaction at %" PRIu64 " failed: %s", upto,
               agora_strerror(rc));
        goto out;
    }
    fd = sys_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, image.data, image.len) != 0 || sys_fsync(fd) != 0 ||
        sys_rename(tmp, priv->wal_path) != 0 || fsync_dir(priv->state_dir) != 0) {
        /* the old file still replays to the same state; keep appending to it */
        gf_msg(this->name, GF_LOG_ERROR, errno, 0, "writing the compacted log %s failed", tmp);
        if (fd >= 0)
            sys_close(fd);
        sys_unlink(tmp);
        goto out;
    }
    sys_close(priv->wal_fd);
    priv->wal_fd = fd;
    priv->wal_size = image.len;
    priv->c.compactions++;
    gf_msg(this->name, GF_LOG_INFO, 0, 0,
           "compacted the log: snapshot at %" PRIu64 " (%zu bytes), new log %zu bytes", upto,
           snap.len, image.len);
out:
    agora_buf_free(&snap);
    agora_buf_free(&image);
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
    uint8_t *buf = NULL;
    size_t len = 0, valid = 0;
    int rc;

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
    if ((rc = read_file(priv->wal_fd, &buf, &len)) != 0)
        return rc;
    rc = agora_acceptor_recover(&priv->acc, buf, len, &valid);
    GF_FREE(buf);
    if (rc != AGORA_OK) {
        /* a record with a valid checksum that does not decode: not a torn
         * write. Serving would risk forgetting a promise, so refuse. */
        gf_msg(this->name, GF_LOG_CRITICAL, 0, 0,
               "%s: undecodable record inside a valid frame (%s); the acceptor refuses every "
               "control request until the file is repaired or removed",
               priv->wal_path, agora_strerror(rc));
        priv->acceptor_ok = false;
        return 0;
    }
    if (valid < len) {
        gf_msg(this->name, GF_LOG_WARNING, 0, 0,
               "%s: cut a torn or corrupt tail of %zu bytes (kept %zu of %zu)", priv->wal_path,
               len - valid, valid, len);
        if (sys_ftruncate(priv->wal_fd, (off_t)valid) != 0 || sys_fsync(priv->wal_fd) != 0) {
            gf_msg(this->name, GF_LOG_ERROR, errno, 0, "cannot truncate %s", priv->wal_path);
            return -EIO;
        }
    }
    priv->wal_size = valid;
    if (sys_lseek(priv->wal_fd, 0, SEEK_END) < 0)
        return -errno;
    priv->acceptor_ok = true;
    open_groups(this, priv, &cfg);
    learn(this, priv);
    gf_msg(this->name, GF_LOG_INFO, 0, 0,
           "acceptor recovered from %s (%zu bytes): promised %" PRIu64 ".%u, commit %" PRIu64
           ", snapshot %" PRIu64 ", applied %" PRIu64 "; no promise for %u ms (restart rule)",
           priv->wal_path, valid, priv->acc.promised.round, priv->acc.promised.node,
           priv->acc.commit, priv->acc.snap_index, agora_sm_applied(&priv->sm), priv->lease_ms);
    return 0;
}

/* ---- authentication and freshness ------------------------------------------- */

/* True when (tag, seq) is above everything accepted from sender; records it.
 * Lock held. */
static bool fresh(struct agora_priv *priv, uint32_t sender, uint64_t tag, uint64_t seq)
{
    for (size_t i = 0; i < priv->n_senders; i++) {
        struct agora_sender *s = &priv->senders[i];
        if (s->id != sender)
            continue;
        if (agora_env_cmp_seq(tag, seq, s->tag, s->seq) <= 0)
            return false;
        s->tag = tag;
        s->seq = seq;
        return true;
    }
    if (priv->n_senders >= SENDERS_MAX)
        return false;
    struct agora_sender *n =
        agora_grow(priv->senders, (priv->n_senders + 1) * sizeof(*n));
    if (n == NULL)
        return false;
    priv->senders = n;
    n[priv->n_senders++] = (struct agora_sender){.id = sender, .tag = tag, .seq = seq};
    return true;
}

/* ---- the registers ------------------------------------------------------------ */

static int on_heartbeat(struct agora_priv *priv, const struct agora_env *env,
                        const struct agora_ctl *in, struct agora_ctl *out, uint64_t now)
{
    out->type = AGORA_CTL_ACK;
    out->ballot = priv->acc.promised;
    if (in->member == NULL || in->member[0] == '\0') {
        out->status = AGORA_CTL_INVALID;
        return agora_ctl_set_text(out, "empty member id", 15);
    }
    struct agora_member_reg *m = NULL;
    for (size_t i = 0; i < priv->n_members; i++)
        if (strcmp(priv->members[i].id, in->member) == 0)
            m = &priv->members[i];
    if (m == NULL) {
        if (priv->n_members >= REG_MAX_MEMBERS) {
            /* evict the member silent the longest */
            size_t old = 0;
            for (size_t i = 1; i < priv->n_members; i++)
                if (priv->members[i].last < priv->members[old].last)
                    old = i;
            GF_FREE(priv->members[old].id);
            priv->members[old] = priv->members[--priv->n_members];
        }
        struct agora_member_reg *n =
            agora_grow(priv->members, (priv->n_members + 1) * sizeof(*n));
        char *id = gf_strdup(in->member);
        if (n == NULL || id == NULL) {
            GF_FREE(id);
            if (n != NULL)
                priv->members = n;
            return AGORA_ENOMEM;
        }
        priv->members = n;
        m = &n[priv->n_members++];
        memset(m, 0, sizeof(*m));
        m->id = id;
    }
    m->sender = env->sender;
    m->last = now;
    m->beats++;
    m->tag = env->tag;
    m->seq = env->seq;
    priv->c.heartbeats++;
    out->status = AGORA_CTL_OK;
    return AGORA_OK;
}

static int on_submit(struct agora_priv *priv, const struct agora_ctl *in, struct agora_ctl *out,
                     uint64_t now)
{
    struct agora_cmd cmd;
    char why[256] = "";
    out->type = AGORA_CTL_ACK;
    out->ballot = priv->acc.promised;
    priv->c.submits++;
    if (in->len == 0 || in->len > priv->max_entry_bytes) {
        out->status = AGORA_CTL_INVALID;
        snprintf(why, sizeof(why), "request of %u bytes (1 to %u allowed)", in->len,
                 priv->max_entry_bytes);
        return agora_ctl_set_text(out, why, strlen(why));
    }
    int rc = agora_cmd_decode(&cmd, in->data, in->len, why, sizeof(why));
    if (rc == AGORA_ENOMEM)
        return rc;
    if (rc != AGORA_OK || cmd.origin == NULL || cmd.origin[0] == '\0' || cmd.seq == 0) {
        if (rc == AGORA_OK)
            snprintf(why, sizeof(why), "a queued request needs an origin and a sequence number");
        agora_cmd_clear(&cmd);
        out->status = AGORA_CTL_INVALID;
        return agora_ctl_set_text(out, why, strlen(why));
    }
    if (agora_sm_last_seq(&priv->sm, cmd.origin) >= cmd.seq) {
        out->status = AGORA_CTL_APPLIED;
    } else {
        out->status = AGORA_CTL_OK;
        for (size_t i = 0; i < priv->n_queued; i++)
            if (priv->queued[i].seq == cmd.seq && strcmp(priv->queued[i].origin, cmd.origin) == 0)
                out->status = AGORA_CTL_DUPLICATE;
        if (out->status == AGORA_CTL_OK && priv->n_queued >= priv->queue_max)
            out->status = AGORA_CTL_FULL;
    }
    if (out->status == AGORA_CTL_OK) {
        struct agora_queued *n = agora_grow(priv->queued, (priv->n_queued + 1) * sizeof(*n));
        char *origin = gf_strdup(cmd.origin);
        uint8_t *data = GF_MALLOC(in->len, gf_agora_mt_str);
        if (n != NULL)
            priv->queued = n;
        if (n == NULL || origin == NULL || data == NULL) {
            GF_FREE(origin);
            GF_FREE(data);
            agora_cmd_clear(&cmd);
            return AGORA_ENOMEM;
        }
        memcpy(data, in->data, in->len);
        n[priv->n_queued++] = (struct agora_queued){
            .origin = origin, .seq = cmd.seq, .at = now, .data = data, .len = in->len};
    }
    agora_cmd_clear(&cmd);
    return AGORA_OK;
}

static int on_poll(struct agora_priv *priv, const struct agora_ctl *in, struct agora_ctl *out,
                   uint64_t now)
{
    priv->c.polls++;
    /* fencing: a leader's duty carries its ballot; below our promise it is
     * a deposed leader (DESIGN.md section 2) */
    if (agora_ballot_cmp(in->ballot, priv->acc.promised) < 0) {
        out->type = AGORA_CTL_ACK;
        out->status = AGORA_CTL_FENCED;
        out->ballot = priv->acc.promised;
        priv->c.rejections++;
        return AGORA_OK;
    }
    out->type = AGORA_CTL_REGISTERS;
    out->ballot = priv->acc.promised;
    out->applied = agora_sm_applied(&priv->sm);
    out->commit = priv->acc.commit;
    int rc = AGORA_OK;
    for (size_t i = 0; i < priv->n_members && rc == AGORA_OK; i++) {
        struct agora_member_reg *m = &priv->members[i];
        rc = agora_ctl_add_member(out, m->id, m->sender, now - m->last, m->beats);
    }
    for (size_t i = 0; i < priv->n_queued && rc == AGORA_OK; i++) {
        struct agora_queued *q = &priv->queued[i];
        rc = agora_ctl_add_queued(out, now - q->at, q->data, q->len);
    }
    return rc;
}

/* ---- one request ------------------------------------------------------------------ */

static void refuse(struct agora_req *req, int err)
{
    req->op_ret = -1;
    req->op_errno = err;
}

/* Seals a reply envelope into req. Lock held. */
static void seal_reply(struct agora_priv *priv, struct agora_req *req,
                       const struct agora_env *in, const struct agora_buf *body)
{
    struct agora_env e = {.kind = in->kind,
                          .sender = 0,
                          .tag = in->tag,
                          .seq = in->seq,
                          .body = body->data,
                          .body_len = (uint32_t)body->len};
    struct agora_buf out;
    agora_buf_init(&out);
    if (agora_env_seal(&priv->key, &e, &out) != AGORA_OK) {
        agora_buf_free(&out);
        refuse(req, ENOMEM);
        return;
    }
    req->reply = GF_MALLOC(out.len, gf_agora_mt_reply);
    if (req->reply == NULL) {
        refuse(req, ENOMEM);
    } else {
        memcpy(req->reply, out.data, out.len);
        req->reply_len = out.len;
        req->op_ret = 0;
    }
    agora_buf_free(&out);
}

/* Decodes msg, checks it and steps acc; the encoded reply goes to body.
 * Returns 0 or the errno to refuse with. Lock held. */
static int paxos_step(xlator_t *this, struct agora_priv *priv, struct agora_acceptor *acc,
                      const struct agora_env *env, const uint8_t *msg, size_t len, uint64_t now,
                      struct agora_buf *wal, struct agora_buf *body)
{
    struct agora_msg in, reply;
    if (agora_msg_decode(msg, len, &in) != AGORA_OK) {
        priv->c.malformed++;
        return EINVAL;
    }
    priv->c.paxos++;
    /* a proposer speaks for itself only: its ballots carry its node id */
    bool bad = in.from != env->sender ||
               (in.type != AGORA_MSG_FETCH && in.ballot.node != env->sender);
    for (uint32_t i = 0; i < in.n_entries && !bad; i++)
        if (in.entries[i].len > priv->max_entry_bytes) {
            priv->c.too_big++;
            agora_msg_clear(&in);
            return EFBIG;
        }
    if (bad || (in.type != AGORA_MSG_PREPARE && in.type != AGORA_MSG_ACCEPT &&
                in.type != AGORA_MSG_INSTALL && in.type != AGORA_MSG_FETCH &&
                in.type != AGORA_MSG_RELEASE)) {
        priv->c.malformed++;
        agora_msg_clear(&in);
        return EINVAL;
    }
    size_t mark = wal->len;
    int rc = agora_acceptor_step(acc, now, &in, &reply, wal);
    if (rc != AGORA_OK) {
        wal->len = mark;
        gf_msg(this->name, GF_LOG_ERROR, 0, 0, "acceptor step %s failed: %s",
               agora_msg_type_name(in.type), agora_strerror(rc));
        agora_msg_clear(&in);
        return rc == AGORA_ENOMEM ? ENOMEM : EINVAL;
    }
    if (reply.type == AGORA_MSG_REJECT)
        priv->c.rejections++;
    reply.from = in.to; /* the acceptor index, as the coordinator numbers bricks */
    rc = agora_msg_encode(&reply, body) == AGORA_OK ? 0 : ENOMEM;
    agora_msg_clear(&reply);
    agora_msg_clear(&in);
    return rc;
}

static void do_paxos(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                     const struct agora_env *env, uint64_t now, struct agora_buf *wal)
{
    struct agora_buf body;
    agora_buf_init(&body);
    int err = paxos_step(this, priv, &priv->acc, env, env->body, env->body_len, now, wal, &body);
    if (err != 0)
        refuse(req, err);
    else
        seal_reply(priv, req, env, &body);
    agora_buf_free(&body);
}

/* A named lease's message (kind PAXOS_GROUP): the same acceptor step on the
 * group's own acceptor and log; the reply echoes the name. */
static void do_group(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                     const struct agora_env *env, uint64_t now)
{
    char name[AGORA_GROUP_NAME_MAX + 1];
    const uint8_t *msg;
    size_t len;
    int err = 0;
    if (agora_env_group_split(env->body, env->body_len, name, &msg, &len) != AGORA_OK) {
        priv->c.malformed++;
        refuse(req, EINVAL);
        return;
    }
    struct agora_group *g =
        priv->groups_ok ? agora_groups_get(&priv->groups, name, now, &err) : NULL;
    if (g == NULL || !g->ok) {
        if (err == -ENOSPC)
            gf_msg(this->name, GF_LOG_WARNING, 0, 0,
                   "named lease %s refused: the brick holds %d already", name,
                   AGORA_GROUPS_MAX);
        refuse(req, err == -ENOSPC ? ENOSPC : EIO);
        return;
    }
    g->requests++;
    struct agora_buf body, wrapped;
    agora_buf_init(&body);
    agora_buf_init(&wrapped);
    err = paxos_step(this, priv, &g->acc, env, msg, len, now, &g->pending, &body);
    if (err == 0 && agora_env_group_wrap(name, body.data, body.len, &wrapped) != AGORA_OK)
        err = ENOMEM;
    if (err != 0) {
        refuse(req, err);
    } else {
        req->group = g;
        seal_reply(priv, req, env, &wrapped);
    }
    agora_buf_free(&body);
    agora_buf_free(&wrapped);
}

static void do_control(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                       const struct agora_env *env, uint64_t now)
{
    struct agora_ctl in, out;
    struct agora_buf body;
    int rc;
    if (agora_ctl_decode(env->body, env->body_len, &in) != AGORA_OK) {
        priv->c.malformed++;
        refuse(req, EINVAL);
        return;
    }
    priv->c.control++;
    agora_ctl_init(&out);
    agora_buf_init(&body);
    switch (in.type) {
    case AGORA_CTL_HEARTBEAT: rc = on_heartbeat(priv, env, &in, &out, now); break;
    case AGORA_CTL_SUBMIT: rc = on_submit(priv, &in, &out, now); break;
    case AGORA_CTL_POLL: rc = on_poll(priv, &in, &out, now); break;
    case AGORA_CTL_STATUS:
        out.type = AGORA_CTL_STATUS_REPLY;
        rc = agora_status_json(this, &body);
        if (rc == AGORA_OK)
            rc = agora_ctl_set_data(&out, body.data, (uint32_t)body.len);
        agora_buf_reset(&body);
        break;
    default:
        rc = AGORA_EINVAL;
        break;
    }
    if (rc == AGORA_OK)
        rc = agora_ctl_encode(&out, &body);
    if (rc == AGORA_OK)
        seal_reply(priv, req, env, &body);
    else
        refuse(req, rc == AGORA_ENOMEM ? ENOMEM : EINVAL);
    if (rc == AGORA_EINVAL)
        priv->c.malformed++;
    agora_buf_free(&body);
    agora_ctl_clear(&out);
    agora_ctl_clear(&in);
}

/* Authenticates and executes one request; write-ahead bytes go to wal.
 * Lock held. */
static void handle(xlator_t *this, struct agora_priv *priv, struct agora_req *req,
                   struct agora_buf *wal)
{
    struct agora_env env;
    uint64_t now = agora_now_mono();
    priv->c.requests++;
    if (priv->key.len == 0) {
        priv->c.auth_failures++;
        refuse(req, EACCES);
        if (!priv->nokey_logged) {
            /* said once (and again after each reconfigure): not per request */
            priv->nokey_logged = true;
            gf_msg(this->name, GF_LOG_WARNING, 0, 0,
                   "refusing control requests with EACCES: no cluster key (%s)",
                   priv->key_why);
        }
        return;
    }
    if (!priv->acceptor_ok) {
        refuse(req, EIO);
        return;
    }
    int rc = agora_env_open(&priv->key, req->bytes, req->len,
                            (uint32_t)priv->max_request_bytes, &env);
    if (rc == AGORA_EAUTH) {
        priv->c.auth_failures++;
        gf_msg(this->name, GF_LOG_WARNING, 0, 0,
               "refused a control request with a wrong MAC (%" PRIu64 " authentication "
               "failures so far)",
               priv->c.auth_failures);
        refuse(req, EACCES);
        return;
    }
    if (rc != AGORA_OK || env.sender == 0) {
        priv->c.malformed++;
        refuse(req, rc == AGORA_ETOOBIG ? EFBIG : EINVAL);
        return;
    }
    if (!fresh(priv, env.sender, env.tag, env.seq)) {
        /* a replay, or an old request overtaken by a newer one */
        priv->c.replays++;
        refuse(req, EALREADY);
        return;
    }
    if (env.kind == AGORA_ENV_PAXOS)
        do_paxos(this, priv, req, &env, now, wal);
    else if (env.kind == AGORA_ENV_PAXOS_GROUP)
        do_group(this, priv, req, &env, now);
    else
        do_control(this, priv, req, &env, now);
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
                refuse(req, ENOMEM);
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
            refuse(req, EIO);
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
        list_for_each_entry(req, &batch, list) handle(this, priv, req, &wal);
        pthread_mutex_unlock(&priv->lock);

        /* durable before any reply: one write and one fdatasync per batch */
        int err = 0;
        if (wal.len > 0) {
            uint64_t t0 = agora_now_mono();
            err = write_all(priv->wal_fd, wal.data, wal.len);
            if (err == 0 && sys_fdatasync(priv->wal_fd) != 0)
                err = -errno;
            uint64_t dt = agora_now_mono() - t0;
            durable_real = agora_now_real();
            pthread_mutex_lock(&priv->lock);
            priv->c.fsyncs++;
            priv->c.fsync_ns_total += dt;
            if (dt > priv->c.fsync_ns_max)
                priv->c.fsync_ns_max = dt;
            if (err == 0) {
                priv->wal_size += wal.len;
            } else {
                /* the memory state is ahead of the disk: stop serving
                 * rather than reply to anything unsaved (a restart
                 * recovers from the file) */
                priv->acceptor_ok = false;
                gf_msg(this->name, GF_LOG_CRITICAL, -err, 0,
                       "writing the acceptor log %s failed; refusing control requests until "
                       "the brick restarts",
                       priv->wal_path);
            }
            pthread_mutex_unlock(&priv->lock);
        }
        write_groups(this, priv, &batch);
        list_for_each_entry_safe(req, tmp, &batch, list)
        {
            list_del_init(&req->list);
            if (err != 0 && req->op_ret == 0) {
                GF_FREE(req->reply);
                req->reply = NULL;
                refuse(req, EIO);
            }
            unwind(this, priv, req);
        }
        pthread_mutex_lock(&priv->lock);
        if (err == 0) {
            uint64_t before = agora_sm_applied(&priv->sm);
            learn(this, priv);
            if (agora_sm_applied(&priv->sm) > before) {
                priv->fresh.batch_real = batch_real;
                priv->fresh.durable_real = durable_real ? durable_real : batch_real;
                priv->fresh.applied_real = agora_now_real();
            }
            maybe_compact(this, priv);
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

/* ---- status.json -------------------------------------------------------------------- */

int agora_status_json(xlator_t *this, struct agora_buf *out)
{
    struct agora_priv *priv = this->private;
    struct agora_acceptor *a = &priv->acc;
    uint64_t now = agora_now_mono();
    agora_time_t left = 0;
    uint32_t holder = agora_acceptor_lease(a, now, &left);
    uint64_t quiet = a->quiet_until > now ? a->quiet_until - now : 0;
    const struct agora_counters *c = &priv->c;
    int rc = agora_buf_printf(
        out,
        "{\n  \"brick\": ");
    rc |= agora_json_put_str(out, priv->brick_dir, strlen(priv->brick_dir));
    rc |= agora_buf_printf(out, ",\n  \"options\": {\"key_file\": ");
    rc |= agora_json_put_str(out, priv->key_file, strlen(priv->key_file));
    rc |= agora_buf_printf(out,
                           ", \"lease_ms\": %u, \"max_request_bytes\": %" PRIu64
                           ", \"max_entry_bytes\": %u, \"allow_key_options\": %s, "
                           "\"view_name\": ",
                           priv->lease_ms, priv->max_request_bytes, priv->max_entry_bytes,
                           priv->allow_key_options ? "true" : "false");
    rc |= agora_json_put_str(out, priv->view_name, strlen(priv->view_name));
    rc |= agora_buf_printf(out, ", \"queue_max\": %u, \"compact_entries\": %u}",
                           priv->queue_max, priv->compact_entries);
    rc |= agora_buf_printf(
        out,
        ",\n  \"acceptor\": {\"ok\": %s, \"promised\": {\"round\": %" PRIu64 ", \"node\": %u}, "
        "\"commit\": %" PRIu64 ", \"snapshot\": %" PRIu64 ", \"last_slot\": %" PRIu64
        ", \"log_bytes\": %" PRIu64 ", \"restart_quiet_ms\": %" PRIu64 "},\n"
        "  \"lease\": {\"holder\": %u, \"left_ms\": %" PRIu64 ", \"duration_ms\": %u},\n"
        "  \"applied\": %" PRIu64 ",\n"
        "  \"key\": %s,\n"
        "  \"registers\": {\"members\": %zu, \"queued\": %zu},\n"
        "  \"counters\": {\"requests\": %" PRIu64 ", \"rejections\": %" PRIu64
        ", \"auth_failures\": %" PRIu64 ", \"replays\": %" PRIu64 ", \"malformed\": %" PRIu64
        ", \"too_big\": %" PRIu64 ", \"paxos\": %" PRIu64 ", \"control\": %" PRIu64
        ", \"heartbeats\": %" PRIu64 ", \"submits\": %" PRIu64 ", \"polls\": %" PRIu64
        ", \"batches\": %" PRIu64 ", \"max_batch\": %" PRIu64 ", \"fsyncs\": %" PRIu64
        ", \"fsync_us_avg\": %" PRIu64 ", \"fsync_us_max\": %" PRIu64
        ", \"request_us_avg\": %" PRIu64 ", \"request_us_max\": %" PRIu64
        ", \"applied_ok\": %" PRIu64 ", \"applied_rejected\": %" PRIu64
        ", \"compactions\": %" PRIu64 ", \"upcalls\": %" PRIu64 ", \"erofs\": %" PRIu64 "},\n"
        "  \"fresh\": {\"applied\": %" PRIu64 ", \"batch_real_ns\": %" PRIu64
        ", \"durable_real_ns\": %" PRIu64 ", \"applied_real_ns\": %" PRIu64
        ", \"publish_real_ns\": %" PRIu64 ", \"upcall_real_ns\": %" PRIu64
        ", \"render_us\": %" PRIu64 ", \"upcalls\": %" PRIu64 "},\n"
        "  \"uptime_ms\": %" PRIu64 "\n}\n",
        priv->acceptor_ok ? "true" : "false", a->promised.round, a->promised.node, a->commit,
        a->snap_index, agora_log_last(&a->log), priv->wal_size, quiet / 1000000, holder,
        (uint64_t)left / 1000000, priv->lease_ms, agora_sm_applied(&priv->sm),
        priv->key.len ? "true" : "false", priv->n_members, priv->n_queued, c->requests,
        c->rejections, c->auth_failures, c->replays, c->malformed, c->too_big, c->paxos,
        c->control, c->heartbeats, c->submits, c->polls, c->batches, c->max_batch, c->fsyncs,
        c->fsyncs ? c->fsync_ns_total / c->fsyncs / 1000 : 0, c->fsync_ns_max / 1000,
        c->requests ? c->fop_ns_total / c->requests / 1000 : 0, c->fop_ns_max / 1000,
        c->applied_ok, c->applied_rejected, c->compactions, c->upcalls, c->erofs,
        priv->fresh.applied, priv->fresh.batch_real, priv->fresh.durable_real,
        priv->fresh.applied_real, priv->fresh.publish_real, priv->fresh.upcall_real,
        priv->fresh.render_ns / 1000, priv->fresh.upcalls, (now - priv->started) / 1000000);
    return rc ? AGORA_ENOMEM : AGORA_OK;
}
