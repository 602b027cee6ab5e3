/* acceptor_fixture.h: one acceptor under test, fed one request at a time
 * (test_acceptor_*.c). Everything is static inline. Its short names (LEASE,
 * TAG, start, setup, teardown) are those of cluster_fixture.h: a test file
 * includes one or the other. */
#ifndef AGORA_TESTS_ACCEPTOR_FIXTURE_H
#define AGORA_TESTS_ACCEPTOR_FIXTURE_H

#ifdef AGORA_TESTS_CLUSTER_FIXTURE_H
#error "acceptor_fixture.h and cluster_fixture.h use the same names"
#endif

#include "core_fixture.h"

/* The acceptor of one brick (acceptor.h), as the specifications in
 * test_acceptor_*.c drive it: a request is built in f->in (prepare,
 * accept_n, heartbeat, install, fetch, release), the acceptor steps on it,
 * and the reply is in f->out, the write-ahead bytes of that step in
 * f->step_wal and all of them in f->wal (what the shell made durable before
 * replying). f->b and f->c are acceptors rebuilt from such bytes.
 *
 * Time is the brick's virtual clock: the acceptor starts at T0, so its
 * restart quiet period ends at OPEN = T0 + LEASE. */
#include "agora/acceptor.h"

#define LEASE (10 * AGORA_SEC)
#define T0 (1000 * AGORA_SEC)
#define OPEN (T0 + LEASE)
#define ACC_ID 2u
#define TAG 0xC0FFEEull

struct fx {
    struct agora_acceptor_config cfg;
    struct agora_acceptor a;   /* under test */
    struct agora_acceptor b;   /* rebuilt from a's write-ahead log */
    struct agora_acceptor c;   /* a second replay, for comparisons */
    struct agora_buf wal;      /* every byte a asked to be made durable */
    struct agora_buf step_wal; /* the bytes of the last step only */
    struct agora_buf image;    /* a compacted write-ahead log image */
    struct agora_msg in, out;
    uint64_t seq;
};

static inline void start(struct agora_acceptor *x, const struct agora_acceptor_config *cfg,
                         agora_time_t now)
{
    assert_int_equal(agora_acceptor_init(x, cfg, ACC_ID, now), AGORA_OK);
}

static inline int setup(void **state)
{
    struct fx *f = agora_calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    f->cfg.lease = LEASE;
    if (agora_acceptor_init(&f->a, &f->cfg, ACC_ID, T0) != AGORA_OK ||
        agora_acceptor_init(&f->b, &f->cfg, ACC_ID, T0) != AGORA_OK ||
        agora_acceptor_init(&f->c, &f->cfg, ACC_ID, T0) != AGORA_OK)
        return -1;
    agora_buf_init(&f->wal);
    agora_buf_init(&f->step_wal);
    agora_buf_init(&f->image);
    agora_msg_init(&f->in);
    agora_msg_init(&f->out);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    struct fx *f = *state;
    agora_acceptor_free(&f->a);
    agora_acceptor_free(&f->b);
    agora_acceptor_free(&f->c);
    agora_buf_free(&f->wal);
    agora_buf_free(&f->step_wal);
    agora_buf_free(&f->image);
    agora_msg_clear(&f->in);
    agora_msg_clear(&f->out);
    agora_free(f);
    return 0;
}

/* Restarts `a` with reply caps (0: the defaults). */
static inline void caps(struct fx *f, uint32_t entries, uint32_t bytes)
{
    agora_acceptor_free(&f->a);
    f->cfg.max_reply_entries = entries;
    f->cfg.max_reply_bytes = bytes;
    start(&f->a, &f->cfg, T0);
}

/* ---- requests -------------------------------------------------------------------- */

static inline void request(struct fx *f, uint8_t type, struct agora_ballot b, uint64_t slot)
{
    agora_msg_clear(&f->in);
    f->in.type = type;
    f->in.from = b.node;
    f->in.to = ACC_ID;
    f->in.tag = TAG;
    f->in.seq = ++f->seq;
    f->in.ballot = b;
    f->in.slot = slot;
}

/* Delivers f->in at `now`; the step's write-ahead bytes land in step_wal
 * and are appended to wal, as the shell would before replying. */
static inline void step_on(struct fx *f, struct agora_acceptor *x, agora_time_t now)
{
    agora_msg_clear(&f->out);
    agora_buf_reset(&f->step_wal);
    assert_int_equal(agora_acceptor_step(x, now, &f->in, &f->out, &f->step_wal), AGORA_OK);
    if (x == &f->a)
        assert_int_equal(agora_buf_put(&f->wal, f->step_wal.data, f->step_wal.len), AGORA_OK);
}

static inline void step(struct fx *f, agora_time_t now)
{
    step_on(f, &f->a, now);
}

static inline void prepare(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t from)
{
    request(f, AGORA_MSG_PREPARE, b, from);
    step(f, now);
}

/* ACCEPT(b, first, values[0..n), commit); a NULL value is a no-op. */
static inline void accept_n(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t first,
                            uint64_t commit, size_t n, const char *const *values)
{
    request(f, AGORA_MSG_ACCEPT, b, first);
    f->in.commit = commit;
    for (size_t i = 0; i < n; i++)
        fx_add_entry(&f->in, first + i, b, values[i]);
    step(f, now);
}

static inline void accept1(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t slot,
                           uint64_t commit, const char *value)
{
    accept_n(f, now, b, slot, commit, 1, &value);
}

static inline void heartbeat(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t commit)
{
    accept_n(f, now, b, 0, commit, 0, NULL);
}

static inline void install(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t index,
                           const char *snap)
{
    request(f, AGORA_MSG_INSTALL, b, 0);
    assert_int_equal(agora_msg_set_snap(&f->in, index, (const uint8_t *)snap,
                                        (uint32_t)strlen(snap)),
                     AGORA_OK);
    step(f, now);
}

static inline void fetch(struct fx *f, agora_time_t now, uint64_t from)
{
    request(f, AGORA_MSG_FETCH, fx_ballot(0, 7), from);
    step(f, now);
}

static inline void release(struct fx *f, agora_time_t now, struct agora_ballot b)
{
    request(f, AGORA_MSG_RELEASE, b, 0);
    step(f, now);
}

/* Slots 1..n accepted under b, nothing committed. */
static inline void accept_five(struct fx *f, agora_time_t now, struct agora_ballot b,
                               uint64_t commit)
{
    static const char *const v[] = {"v1", "v2", "v3", "v4", "v5"};
    accept_n(f, now, b, 1, commit, 5, v);
}

/* ---- checks ---------------------------------------------------------------------- */

static inline void assert_ballot(struct agora_ballot got, struct agora_ballot want)
{
    assert_int_equal(got.round, want.round);
    assert_int_equal(got.node, want.node);
}

static inline void assert_reject(const struct agora_msg *r, uint8_t reason,
                                 struct agora_ballot promised)
{
    assert_int_equal(r->type, AGORA_MSG_REJECT);
    assert_int_equal(r->reason, reason);
    assert_ballot(r->ballot, promised);
}

static inline void assert_entry(const struct agora_entry *e, uint64_t slot, struct agora_ballot b,
                                const char *value)
{
    fx_assert_value(e, slot, value);
    assert_ballot(e->ballot, b);
}

/* Same durable state: promise, commit, snapshot, log. */
static inline void assert_same_durable_state(const struct agora_acceptor *x,
                                             const struct agora_acceptor *y)
{
    assert_ballot(x->promised, y->promised);
    assert_int_equal(x->commit, y->commit);
    assert_int_equal(x->snap_index, y->snap_index);
    assert_int_equal(x->snap_len, y->snap_len);
    assert_int_equal(x->snap == NULL, y->snap == NULL);
    if (x->snap_len > 0)
        assert_memory_equal(x->snap, y->snap, x->snap_len);
    assert_int_equal(x->log.base, y->log.base);
    uint64_t last = agora_log_last(&x->log);
    assert_int_equal(agora_log_last(&y->log), last);
    for (uint64_t s = x->log.base + 1; s <= last; s++) {
        const struct agora_entry *e = agora_log_get(&x->log, s), *g = agora_log_get(&y->log, s);
        assert_int_equal(e == NULL, g == NULL);
        if (e == NULL)
            continue;
        assert_ballot(e->ballot, g->ballot);
        assert_int_equal(e->len, g->len);
        if (e->len > 0)
            assert_memory_equal(e->data, g->data, e->len);
    }
}

/* x := a fresh acceptor started at now that replayed wal[0..len). */
static inline int replay(struct fx *f, struct agora_acceptor *x, agora_time_t now,
                         const uint8_t *wal, size_t len, size_t *valid)
{
    agora_acceptor_free(x);
    start(x, &f->cfg, now);
    return agora_acceptor_recover(x, wal, len, valid);
}

/* b := replay of everything a logged; it must be whole and equal to a. */
static inline void assert_wal_reproduces_state(struct fx *f)
{
    size_t valid = 0;
    assert_int_equal(replay(f, &f->b, T0, f->wal.data, f->wal.len, &valid), AGORA_OK);
    assert_int_equal(valid, f->wal.len);
    assert_same_durable_state(&f->a, &f->b);
}

#endif
