/* acceptor.c: the Paxos acceptor of one brick (DESIGN.md section 2), pure.
 *
 * Write-ahead log records, one per frame (frame.h), first byte the kind:
 *   1 PROMISED  u64 round, u32 node
 *   2 ACCEPTED  u64 slot, u64 round, u32 node, u32 len, len bytes
 *   3 COMMIT    u64 commit
 *   4 SNAPSHOT  u64 index, u32 len, len bytes
 * Replaying them in order rebuilds the durable state; a compacted image is
 * SNAPSHOT, PROMISED, the remaining ACCEPTED, COMMIT. */
#include <string.h>

#include "agora/acceptor.h"
#include "agora/frame.h"

enum { REC_PROMISED = 1, REC_ACCEPTED = 2, REC_COMMIT = 3, REC_SNAPSHOT = 4 };

#define DEFAULT_REPLY_ENTRIES 1024u
#define DEFAULT_REPLY_BYTES (1024u * 1024u)

/* --- write-ahead records ------------------------------------------------ */

static int rec_emit(struct agora_buf *wal, struct agora_buf *tmp)
{
    int rc = agora_frame_put(wal, tmp->data, tmp->len);
    agora_buf_free(tmp);
    return rc;
}

static int rec_promised(struct agora_buf *wal, struct agora_ballot b)
{
    struct agora_buf t;
    agora_buf_init(&t);
    int rc = agora_buf_put_u8(&t, REC_PROMISED) | agora_buf_put_u64(&t, b.round) |
             agora_buf_put_u32(&t, b.node);
    if (rc != AGORA_OK) {
        agora_buf_free(&t);
        return AGORA_ENOMEM;
    }
    return rec_emit(wal, &t);
}

static int rec_accepted(struct agora_buf *wal, const struct agora_entry *e)
{
    struct agora_buf t;
    agora_buf_init(&t);
    int rc = agora_buf_put_u8(&t, REC_ACCEPTED) | agora_buf_put_u64(&t, e->slot) |
             agora_buf_put_u64(&t, e->ballot.round) | agora_buf_put_u32(&t, e->ballot.node) |
             agora_buf_put_blob(&t, e->data, e->len);
    if (rc != AGORA_OK) {
        agora_buf_free(&t);
        return AGORA_ENOMEM;
    }
    return rec_emit(wal, &t);
}

static int rec_u64(struct agora_buf *wal, uint8_t kind, uint64_t v, const uint8_t *blob,
                   uint32_t len)
{
    struct agora_buf t;
    agora_buf_init(&t);
    int rc = agora_buf_put_u8(&t, kind) | agora_buf_put_u64(&t, v);
    if (kind == REC_SNAPSHOT)
        rc |= agora_buf_put_blob(&t, blob, len);
    if (rc != AGORA_OK) {
        agora_buf_free(&t);
        return AGORA_ENOMEM;
    }
    return rec_emit(wal, &t);
}

/* --- state helpers -------------------------------------------------------- */

static int set_snapshot(struct agora_acceptor *a, uint64_t index, const uint8_t *p, uint32_t len)
{
    uint8_t *copy = agora_malloc(len);
    if (copy == NULL)
        return AGORA_ENOMEM;
    if (len > 0)
        memcpy(copy, p, len);
    agora_free(a->snap);
    a->snap = copy;
    a->snap_len = len;
    a->snap_index = index;
    agora_log_compact(&a->log, index);
    if (a->commit < index)
        a->commit = index;
    return AGORA_OK;
}

int agora_acceptor_init(struct agora_acceptor *a, const struct agora_acceptor_config *cfg,
                        uint32_t id, agora_time_t now)
{
    memset(a, 0, sizeof(*a));
    a->cfg = *cfg;
    if (a->cfg.max_reply_entries == 0)
        a->cfg.max_reply_entries = DEFAULT_REPLY_ENTRIES;
    if (a->cfg.max_reply_bytes == 0)
        a->cfg.max_reply_bytes = DEFAULT_REPLY_BYTES;
    if (cfg->lease == 0)
        return AGORA_EINVAL;
    a->id = id;
    agora_log_init(&a->log);
    /* Restart rule: we cannot know which lease we granted before we went
     * down, so we promise nothing for one lease duration. */
    a->quiet_until = now + cfg->lease;
    return AGORA_OK;
}

void agora_acceptor_free(struct agora_acceptor *a)
{
    agora_log_free(&a->log);
    agora_free(a->snap);
    a->snap = NULL;
}

uint32_t agora_acceptor_lease(const struct agora_acceptor *a, agora_time_t now, agora_time_t *left)
{
    if (a->lease_holder == 0 || now >= a->lease_until) {
        *left = 0;
        return 0;
    }
    *left = a->lease_until - now;
    return a->lease_holder;
}

/* --- recovery ------------------------------------------------------------ */

static int replay(struct agora_acceptor *a, const uint8_t *p, uint32_t n)
{
    struct agora_rd r;
    agora_rd_init(&r, p, n);
    uint8_t kind = agora_rd_u8(&r);
    struct agora_ballot b;
    uint64_t v;
    const uint8_t *blob;
    uint32_t len;
    int rc = AGORA_OK;
    switch (kind) {
    case REC_PROMISED:
        b.round = agora_rd_u64(&r);
        b.node = agora_rd_u32(&r);
        if (!r.err && agora_ballot_cmp(b, a->promised) > 0)
            a->promised = b;
        break;
    case REC_ACCEPTED:
        v = agora_rd_u64(&r);
        b.round = agora_rd_u64(&r);
        b.node = agora_rd_u32(&r);
        blob = agora_rd_blob(&r, &len);
        if (!r.err && v > a->commit)
            rc = agora_log_put(&a->log, v, b, blob, len);
        break;
    case REC_COMMIT:
        v = agora_rd_u64(&r);
        if (!r.err && v > a->commit)
            a->commit = v;
        break;
    case REC_SNAPSHOT:
        v = agora_rd_u64(&r);
        blob = agora_rd_blob(&r, &len);
        if (!r.err && v >= a->snap_index)
            rc = set_snapshot(a, v, blob, len);
        break;
    default:
        return AGORA_ECORRUPT;
    }
    if (r.err || agora_rd_left(&r) != 0)
        return AGORA_ECORRUPT;
    return rc;
}

int agora_acceptor_recover(struct agora_acceptor *a, const uint8_t *wal, size_t len,
                           size_t *valid)
{
    size_t off = 0;
    const uint8_t *p;
    uint32_t n;
    *valid = 0;
    while (agora_frame_next(wal, len, &off, &p, &n, NULL) == AGORA_FRAME_OK) {
        int rc = replay(a, p, n);
        if (rc != AGORA_OK)
            return rc;
        *valid = off;
    }
    return AGORA_OK;
}

/* --- replies --------------------------------------------------------------- */

static void reply_init(const struct agora_acceptor *a, agora_time_t now,
                       const struct agora_msg *in, struct agora_msg *r, uint8_t type)
{
    agora_time_t left;
    agora_msg_init(r);
    r->type = type;
    r->from = in->to; /* a brick answers as the index it was addressed by */
    r->to = in->from;
    r->tag = in->tag;
    r->seq = in->seq;
    r->ballot = in->ballot;
    r->commit = a->commit;
    r->snap_index = a->snap_index;
    r->lease_holder = agora_acceptor_lease(a, now, &left);
    r->lease_left = left;
}

static int reject(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                  struct agora_msg *r, uint8_t reason)
{
    reply_init(a, now, in, r, AGORA_MSG_REJECT);
    r->reason = reason;
    r->ballot = a->promised;
    if (reason == AGORA_REJECT_RESTART && r->lease_left < a->quiet_until - now)
        r->lease_left = a->quiet_until - now;
    a->n_reject++;
    return AGORA_OK;
}

/* Copies entries from..a's last slot (or commit if committed_only) into r,
 * bounded by the reply caps. r->count is the slot up to which the reply is
 * complete; a capped reply is marked AGORA_REPLY_PARTIAL. */
static int add_entries(const struct agora_acceptor *a, struct agora_msg *r, uint64_t from,
                       bool committed_only)
{
    uint64_t last = committed_only ? a->commit : agora_log_last(&a->log);
    size_t bytes = 0;
    if (from <= a->snap_index)
        from = a->snap_index + 1;
    r->slot = from;
    r->count = last;
    for (uint64_t s = from; s <= last; s++) {
        const struct agora_entry *e = agora_log_get(&a->log, s);
        if (e == NULL)
            continue;
        /* The first entry always goes, however large: a learner must never
         * be stuck behind one entry bigger than the byte cap. */
        if (r->n_entries >= a->cfg.max_reply_entries ||
            (r->n_entries > 0 && bytes + e->len > a->cfg.max_reply_bytes)) {
            r->count = s - 1;
            r->reason |= AGORA_REPLY_PARTIAL;
            break;
        }
        int rc = agora_msg_add_entry(r, e);
        if (rc != AGORA_OK)
            return rc;
        bytes += e->len;
    }
    return AGORA_OK;
}

/* --- requests ---------------------------------------------------------------- */

/* PREPARE(b, from): DESIGN.md section 2. */
static int on_prepare(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                      struct agora_msg *r, struct agora_buf *wal)
{
    agora_time_t left;
    a->n_prepare++;
    /* Restart rule: no promise within one lease of starting. */
    if (now < a->quiet_until)
        return reject(a, now, in, r, AGORA_REJECT_RESTART);
    /* Promise only a ballot strictly above the promise. */
    if (agora_ballot_cmp(in->ballot, a->promised) <= 0)
        return reject(a, now, in, r, AGORA_REJECT_BALLOT);
    /* ... and only if no other proposer holds an unexpired lease. */
    uint32_t holder = agora_acceptor_lease(a, now, &left);
    if (holder != 0 && holder != in->ballot.node)
        return reject(a, now, in, r, AGORA_REJECT_LEASE);
    a->promised = in->ballot;
    int rc = rec_promised(wal, a->promised);
    if (rc != AGORA_OK)
        return rc;
    reply_init(a, now, in, r, AGORA_MSG_PROMISE);
    return add_entries(a, r, in->slot, false);
}

/* READ(b, from): more of a PROMISE that was capped. Read-only, and only for
 * the ballot we promised: it changes nothing, so it needs no quorum rule. */
static int on_read(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                   struct agora_msg *r)
{
    if (agora_ballot_cmp(in->ballot, a->promised) != 0)
        return reject(a, now, in, r, AGORA_REJECT_BALLOT);
    reply_init(a, now, in, r, AGORA_MSG_PROMISE);
    return add_entries(a, r, in->slot, false);
}

/* Accepting (or installing) for ballot b >= promised: raise the promise and
 * renew b's proposer's lease, measured from now on our own clock. */
static int adopt(struct agora_acceptor *a, agora_time_t now, struct agora_ballot b,
                 struct agora_buf *wal)
{
    a->lease_holder = b.node;
    a->lease_until = now + a->cfg.lease;
    if (agora_ballot_cmp(b, a->promised) == 0)
        return AGORA_OK;
    a->promised = b;
    return rec_promised(wal, b);
}

/* Entries accepted under the leader's ballot hold the leader's values, so the
 * leader's commit index covers them; older entries may be stale. */
static int learn_commit(struct agora_acceptor *a, struct agora_ballot b, uint64_t commit,
                        struct agora_buf *wal)
{
    uint64_t c = a->commit;
    while (c < commit) {
        const struct agora_entry *e = agora_log_get(&a->log, c + 1);
        if (e == NULL || agora_ballot_cmp(e->ballot, b) != 0)
            break;
        c++;
    }
    if (c == a->commit)
        return AGORA_OK;
    a->commit = c;
    return rec_u64(wal, REC_COMMIT, c, NULL, 0);
}

/* ACCEPT(b, first, entries, commit): DESIGN.md section 2. */
static int on_accept(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                     struct agora_msg *r, struct agora_buf *wal)
{
    a->n_accept++;
    if (agora_ballot_cmp(in->ballot, a->promised) < 0)
        return reject(a, now, in, r, AGORA_REJECT_BALLOT);
    int rc = adopt(a, now, in->ballot, wal);
    for (uint32_t i = 0; i < in->n_entries && rc == AGORA_OK; i++) {
        struct agora_entry e = in->entries[i];
        if (e.slot <= a->commit)
            continue; /* already chosen and held here */
        e.ballot = in->ballot;
        rc = agora_log_put(&a->log, e.slot, e.ballot, e.data, e.len);
        if (rc == AGORA_OK)
            rc = rec_accepted(wal, &e);
    }
    if (rc == AGORA_OK)
        rc = learn_commit(a, in->ballot, in->commit, wal);
    if (rc != AGORA_OK)
        return rc;
    reply_init(a, now, in, r, AGORA_MSG_ACCEPTED);
    r->slot = in->slot;
    r->count = in->n_entries;
    return AGORA_OK;
}

/* INSTALL(b, snapshot): a leader brings a lagging acceptor past its own
 * compacted prefix. */
static int on_install(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                      struct agora_msg *r, struct agora_buf *wal)
{
    if (agora_ballot_cmp(in->ballot, a->promised) < 0)
        return reject(a, now, in, r, AGORA_REJECT_BALLOT);
    int rc = adopt(a, now, in->ballot, wal);
    if (rc == AGORA_OK && in->snap_index > a->commit) {
        rc = set_snapshot(a, in->snap_index, in->snap, in->snap_len);
        if (rc == AGORA_OK)
            rc = rec_u64(wal, REC_SNAPSHOT, in->snap_index, in->snap, in->snap_len);
        if (rc == AGORA_OK)
            rc = rec_u64(wal, REC_COMMIT, a->commit, NULL, 0);
    }
    if (rc != AGORA_OK)
        return rc;
    reply_init(a, now, in, r, AGORA_MSG_ACCEPTED);
    r->slot = in->snap_index + 1;
    r->count = 0;
    return AGORA_OK;
}

/* FETCH(from): committed entries (and the snapshot if from is below it). */
static int on_fetch(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                    struct agora_msg *r)
{
    a->n_fetch++;
    reply_init(a, now, in, r, AGORA_MSG_FETCHED);
    if (in->slot <= a->snap_index && a->snap != NULL) {
        int rc = agora_msg_set_snap(r, a->snap_index, a->snap, a->snap_len);
        if (rc != AGORA_OK)
            return rc;
        r->reason |= AGORA_REPLY_SNAPSHOT;
    }
    return add_entries(a, r, in->slot, true);
}

/* RELEASE(b): the lease holder steps down; let others campaign at once. */
static int on_release(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                      struct agora_msg *r)
{
    if (a->lease_holder == in->ballot.node && agora_ballot_cmp(a->promised, in->ballot) == 0)
        a->lease_until = now;
    reply_init(a, now, in, r, AGORA_MSG_RELEASED);
    return AGORA_OK;
}

int agora_acceptor_step(struct agora_acceptor *a, agora_time_t now, const struct agora_msg *in,
                        struct agora_msg *reply, struct agora_buf *wal)
{
    agora_msg_init(reply);
    int rc;
    switch (in->type) {
    case AGORA_MSG_PREPARE: rc = on_prepare(a, now, in, reply, wal); break;
    case AGORA_MSG_ACCEPT: rc = on_accept(a, now, in, reply, wal); break;
    case AGORA_MSG_INSTALL: rc = on_install(a, now, in, reply, wal); break;
    case AGORA_MSG_FETCH: rc = on_fetch(a, now, in, reply); break;
    case AGORA_MSG_RELEASE: rc = on_release(a, now, in, reply); break;
    case AGORA_MSG_READ: rc = on_read(a, now, in, reply); break;
    default: return AGORA_EINVAL;
    }
    if (rc != AGORA_OK)
        agora_msg_clear(reply);
    return rc;
}

/* --- compaction ---------------------------------------------------------------- */

int agora_acceptor_compact(struct agora_acceptor *a, uint64_t upto, const uint8_t *snap,
                           uint32_t len, struct agora_buf *image)
{
    if (upto > a->commit || upto < a->snap_index)
        return AGORA_EINVAL;
    int rc = set_snapshot(a, upto, snap, len);
    if (rc == AGORA_OK)
        rc = rec_u64(image, REC_SNAPSHOT, upto, snap, len);
    if (rc == AGORA_OK && !agora_ballot_is_zero(a->promised))
        rc = rec_promised(image, a->promised);
    uint64_t last = agora_log_last(&a->log);
    for (uint64_t s = upto + 1; s <= last && rc == AGORA_OK; s++) {
        const struct agora_entry *e = agora_log_get(&a->log, s);
        if (e != NULL)
            rc = rec_accepted(image, e);
    }
    if (rc == AGORA_OK)
        rc = rec_u64(image, REC_COMMIT, a->commit, NULL, 0);
    return rc;
}
