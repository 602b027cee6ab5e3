/* cluster_fixture.h: proposers against real acceptors in one deterministic
 * process (test_proposer_*.c). Everything is static inline. Its short names
 * (LEASE, TAG, start, setup, teardown) are those of acceptor_fixture.h: a
 * test file includes one or the other. */
#ifndef AGORA_TESTS_CLUSTER_FIXTURE_H
#define AGORA_TESTS_CLUSTER_FIXTURE_H

#ifdef AGORA_TESTS_ACCEPTOR_FIXTURE_H
#error "cluster_fixture.h and acceptor_fixture.h use the same names"
#endif

#include "core_fixture.h"

/* Proposer, leader and learner (proposer.h) of NP agorads, driven against
 * NA real acceptors in-process (test_proposer_*.c).
 *
 * The cluster below is a deterministic shell: one virtual clock, a message
 * queue with a fixed latency, links that can be cut, every message encoded
 * and decoded on its way, every acceptor's write-ahead bytes kept as its
 * "disk". After every busy step it checks safety: at most one proposer holds
 * the lease, and every applied or acceptor-committed value of a slot agrees
 * (canonical/raft's fixture does the same). */
#include "agora/acceptor.h"
#include "agora/proposer.h"

#define NA 3
#define NP 3
#define LEASE AGORA_SEC
#define DRIFT 50
#define SPAN (LEASE / 1000 * (1000 - DRIFT)) /* 950 ms */
#define HB (100 * AGORA_MS)
#define TAG(i) (0xA000u + (i) + 1)

/* What one agorad's shell did with the proposer's ready() output. */
struct shell {
    bool on;
    struct agora_proposer p;
    agora_time_t next;        /* call ready() again at this time */
    struct agora_log applied; /* every entry handed out, by slot */
    uint64_t last_applied;
    uint64_t snap_index;
    struct agora_buf snap;
    unsigned n_snap;
    uint64_t first_after_snap; /* first slot handed out with the snapshot */
    unsigned n_elected, n_lease, n_step_down;
    agora_time_t elected_at, step_down_at;
    agora_time_t round_sent; /* last time ready() sent an ACCEPT round */
    uint32_t max_batch_seen;  /* most entries in one ACCEPT */
    unsigned sent[AGORA_MSG_TYPE_MAX + 1];
};

struct flight {
    struct agora_msg m;
    agora_time_t at;
    uint32_t p; /* proposer (shell) index */
    uint32_t a; /* acceptor index */
    bool to_acceptor;
};

struct cluster {
    agora_time_t now;
    agora_time_t latency; /* one way */
    struct agora_acceptor_config acfg;
    struct agora_acceptor acc[NA];
    struct agora_buf wal[NA];
    bool acc_down[NA];
    struct shell sh[NP];
    bool cut[NP][NA];
    bool dup_accepted; /* deliver every ACCEPTED twice */
    /* a seeded unreliable network (all zero: reliable, fixed latency) */
    uint64_t rng;
    unsigned drop_pct, dup_pct;
    agora_time_t jitter; /* extra delay, uniform in [0, jitter] */
    struct flight *fl;
    size_t nfl, capfl;
    struct flight cur; /* the flight being delivered */
    /* scratch owned here so that a failing test leaks nothing */
    struct agora_ready rd;
    struct agora_msg reply, tmp[NA];
    struct agora_buf step_wal, image;
};

static inline struct agora_proposer_config pconfig(uint32_t i)
{
    struct agora_proposer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.id = i + 1;
    cfg.tag = TAG(i);
    cfg.seed = 42 + i;
    cfg.n_acceptors = NA;
    cfg.lease = LEASE;
    cfg.drift_permille = DRIFT;
    cfg.heartbeat = HB;
    cfg.rpc_timeout = 200 * AGORA_MS;
    cfg.backoff_min = 10 * AGORA_MS;
    cfg.backoff_max = 50 * AGORA_MS;
    cfg.max_batch = 64;
    cfg.campaign = true;
    return cfg;
}

/* ---- set-up ---------------------------------------------------------------------- */

/* (Re)starts every acceptor empty at c->now with the given configuration. */
static inline void start_acceptors(struct cluster *c, agora_time_t lease, uint32_t max_entries)
{
    c->acfg.lease = lease;
    c->acfg.max_reply_entries = max_entries;
    for (uint32_t a = 0; a < NA; a++) {
        agora_acceptor_free(&c->acc[a]);
        agora_buf_reset(&c->wal[a]);
        assert_int_equal(agora_acceptor_init(&c->acc[a], &c->acfg, a, c->now), AGORA_OK);
    }
}

static inline int setup(void **state)
{
    struct cluster *c = agora_calloc(1, sizeof(*c));
    if (c == NULL)
        return -1;
    c->acfg.lease = LEASE;
    for (uint32_t a = 0; a < NA; a++) {
        agora_buf_init(&c->wal[a]);
        if (agora_acceptor_init(&c->acc[a], &c->acfg, a, 0) != AGORA_OK)
            return -1;
    }
    *state = c;
    return 0;
}

static inline int teardown(void **state)
{
    struct cluster *c = *state;
    for (uint32_t a = 0; a < NA; a++) {
        agora_acceptor_free(&c->acc[a]);
        agora_buf_free(&c->wal[a]);
        agora_msg_clear(&c->tmp[a]);
    }
    for (uint32_t i = 0; i < NP; i++) {
        struct shell *s = &c->sh[i];
        if (s->on)
            agora_proposer_free(&s->p);
        agora_log_free(&s->applied);
        agora_buf_free(&s->snap);
    }
    for (size_t k = 0; k < c->nfl; k++)
        agora_msg_clear(&c->fl[k].m);
    agora_free(c->fl);
    agora_msg_clear(&c->cur.m);
    agora_ready_clear(&c->rd);
    agora_msg_clear(&c->reply);
    agora_buf_free(&c->step_wal);
    agora_buf_free(&c->image);
    agora_free(c);
    return 0;
}

/* Starts agorad i at c->now (cfg NULL: the defaults). */
static inline void start(struct cluster *c, uint32_t i, const struct agora_proposer_config *cfg)
{
    struct agora_proposer_config d = pconfig(i);
    struct shell *s = &c->sh[i];
    assert_false(s->on);
    assert_int_equal(agora_proposer_init(&s->p, cfg ? cfg : &d, c->now), AGORA_OK);
    s->on = true;
    s->next = c->now;
}

static inline struct agora_proposer_config learner_config(uint32_t i)
{
    struct agora_proposer_config cfg = pconfig(i);
    cfg.campaign = false;
    return cfg;
}

static inline void isolate(struct cluster *c, uint32_t i, bool cut)
{
    for (uint32_t a = 0; a < NA; a++)
        c->cut[i][a] = cut;
}

/* ---- the network ----------------------------------------------------------------- */

static inline bool link_up(const struct cluster *c, uint32_t p, uint32_t a)
{
    return !c->cut[p][a] && !c->acc_down[a];
}

static inline uint64_t next_rand(struct cluster *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

static inline void enqueue_one(struct cluster *c, const struct agora_msg *m, uint32_t p, uint32_t a,
                               bool to_acceptor);

/* Puts m on the wire (encoded, decoded) unless the link is down; a seeded
 * unreliable network may drop, duplicate and delay (so reorder) it. */
static inline void enqueue(struct cluster *c, const struct agora_msg *m, uint32_t p, uint32_t a,
                           bool to_acceptor)
{
    if (!link_up(c, p, a))
        return;
    if (c->drop_pct > 0 && next_rand(c) % 100 < c->drop_pct)
        return;
    enqueue_one(c, m, p, a, to_acceptor);
    if (c->dup_pct > 0 && next_rand(c) % 100 < c->dup_pct)
        enqueue_one(c, m, p, a, to_acceptor);
}

static inline void enqueue_one(struct cluster *c, const struct agora_msg *m, uint32_t p, uint32_t a,
                               bool to_acceptor)
{
    /* a message storm is a bug of its own: fail fast, do not crawl */
    if (c->nfl >= 20000)
        fail_msg("message storm: %zu messages in flight at t=%llu ns", c->nfl,
                 (unsigned long long)c->now);
    if (c->nfl == c->capfl) {
        size_t cap = c->capfl ? 2 * c->capfl : 64;
        struct flight *fl = agora_realloc(c->fl, cap * sizeof(*fl));
        assert_non_null(fl);
        c->fl = fl;
        c->capfl = cap;
    }
    struct flight *f = &c->fl[c->nfl++];
    agora_msg_init(&f->m);
    f->at = c->now + c->latency + (c->jitter ? next_rand(c) % (c->jitter + 1) : 0);
    f->p = p;
    f->a = a;
    f->to_acceptor = to_acceptor;
    fx_wire(m, &f->m);
}

/* Acceptor a handles m at c->now; the shell makes the records durable,
 * then replies ("durable before replying"). Reply in c->reply. */
static inline void acceptor_handle(struct cluster *c, uint32_t a, const struct agora_msg *m)
{
    agora_msg_clear(&c->reply);
    agora_buf_reset(&c->step_wal);
    assert_int_equal(agora_acceptor_step(&c->acc[a], c->now, m, &c->reply, &c->step_wal),
                     AGORA_OK);
    assert_int_equal(agora_buf_put(&c->wal[a], c->step_wal.data, c->step_wal.len), AGORA_OK);
}

static inline void deliver(struct cluster *c, const struct flight *f)
{
    if (!link_up(c, f->p, f->a))
        return;
    if (f->to_acceptor) {
        acceptor_handle(c, f->a, &f->m);
        enqueue(c, &c->reply, f->p, f->a, false);
        return;
    }
    struct shell *s = &c->sh[f->p];
    if (!s->on)
        return;
    assert_int_equal(agora_proposer_step(&s->p, c->now, &f->m), AGORA_OK);
    if (c->dup_accepted && f->m.type == AGORA_MSG_ACCEPTED)
        assert_int_equal(agora_proposer_step(&s->p, c->now, &f->m), AGORA_OK);
    s->next = c->now;
}

/* ---- the shell of one agorad ----------------------------------------------------- */

static inline void record_ready(struct cluster *c, struct shell *s, const struct agora_ready *rd)
{
    if (rd->events & AGORA_EV_ELECTED) {
        s->n_elected++;
        s->elected_at = c->now;
    }
    if (rd->events & AGORA_EV_LEASE)
        s->n_lease++;
    if (rd->events & AGORA_EV_STEP_DOWN) {
        s->n_step_down++;
        s->step_down_at = c->now;
    }
    if (rd->events & AGORA_EV_SNAPSHOT) {
        /* install the snapshot before applying what follows it */
        assert_true(rd->snap_index > s->last_applied);
        agora_buf_reset(&s->snap);
        assert_int_equal(agora_buf_put(&s->snap, rd->snap, rd->snap_len), AGORA_OK);
        s->snap_index = rd->snap_index;
        s->last_applied = rd->snap_index;
        s->n_snap++;
        s->first_after_snap = rd->n_committed > 0 ? rd->committed[0].slot : 0;
        agora_log_compact(&s->applied, rd->snap_index);
    }
    for (size_t k = 0; k < rd->n_committed; k++) {
        const struct agora_entry *e = &rd->committed[k];
        /* newly committed entries come in slot order, without gaps */
        assert_int_equal(e->slot, s->last_applied + 1);
        assert_int_equal(agora_log_put(&s->applied, e->slot, e->ballot, e->data, e->len),
                         AGORA_OK);
        s->last_applied = e->slot;
    }
}

/* One ready() of agorad i: apply, then send. */
static inline void shell_ready(struct cluster *c, uint32_t i)
{
    struct shell *s = &c->sh[i];
    assert_int_equal(agora_proposer_ready(&s->p, c->now, &c->rd), AGORA_OK);
    record_ready(c, s, &c->rd);
    for (size_t k = 0; k < c->rd.n_msgs; k++) {
        const struct agora_msg *m = &c->rd.msgs[k];
        assert_true(m->to < NA);
        assert_true(m->type <= AGORA_MSG_TYPE_MAX);
        s->sent[m->type]++;
        if (m->type == AGORA_MSG_ACCEPT) {
            s->round_sent = c->now;
            if (m->n_entries > s->max_batch_seen)
                s->max_batch_seen = m->n_entries;
        }
        enqueue(c, m, i, m->to, true);
    }
    s->next = c->rd.next;
    agora_ready_clear(&c->rd);
}

/* ---- safety, checked after every busy step --------------------------------------- */

static inline bool same_value(const struct agora_entry *x, const struct agora_entry *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
}

static inline void check_safety(const struct cluster *c)
{
    unsigned holders = 0;
    for (uint32_t i = 0; i < NP; i++)
        holders += c->sh[i].on && agora_proposer_holds_lease(&c->sh[i].p, c->now);
    assert_true(holders <= 1);
    for (uint32_t i = 0; i < NP; i++) {
        const struct shell *s = &c->sh[i];
        if (!s->on)
            continue;
        for (uint64_t slot = s->applied.base + 1; slot <= s->last_applied; slot++) {
            const struct agora_entry *e = agora_log_get(&s->applied, slot);
            assert_non_null(e);
            for (uint32_t j = 0; j < i; j++) {
                const struct agora_entry *g = agora_log_get(&c->sh[j].applied, slot);
                assert_true(g == NULL || same_value(e, g));
            }
            for (uint32_t a = 0; a < NA; a++) {
                const struct agora_acceptor *x = &c->acc[a];
                if (slot > x->commit)
                    continue;
                const struct agora_entry *g = agora_log_get(&x->log, slot);
                assert_true(g == NULL || same_value(e, g));
            }
        }
    }
    /* an acceptor's commit covers only entries it holds */
    for (uint32_t a = 0; a < NA; a++)
        for (uint64_t slot = c->acc[a].snap_index + 1; slot <= c->acc[a].commit; slot++)
            assert_non_null(agora_log_get(&c->acc[a].log, slot));
}

/* ---- running --------------------------------------------------------------------- */

/* Pops the first flight due at c->now into c->cur. */
static inline bool pop_due(struct cluster *c)
{
    for (size_t k = 0; k < c->nfl; k++) {
        if (c->fl[k].at > c->now)
            continue;
        c->cur = c->fl[k];
        memmove(&c->fl[k], &c->fl[k + 1], (c->nfl - k - 1) * sizeof(*c->fl));
        c->nfl--;
        return true;
    }
    return false;
}

/* Runs every agorad, acceptor and message until the clock reaches `until`. */
static inline void run_until(struct cluster *c, agora_time_t until)
{
    for (unsigned guard = 0;; guard++) {
        assert_true(guard < 1000000);
        bool busy = false;
        for (uint32_t i = 0; i < NP; i++) {
            if (c->sh[i].on && c->sh[i].next <= c->now) {
                shell_ready(c, i);
                busy = true;
            }
        }
        while (pop_due(c)) {
            deliver(c, &c->cur);
            agora_msg_clear(&c->cur.m);
            busy = true;
        }
        if (busy) {
            check_safety(c);
            continue;
        }
        if (c->now >= until)
            return;
        /* idle: jump to the next timer or arrival (all are in the future) */
        agora_time_t t = until;
        for (uint32_t i = 0; i < NP; i++)
            if (c->sh[i].on && c->sh[i].next < t)
                t = c->sh[i].next;
        for (size_t k = 0; k < c->nfl; k++)
            if (c->fl[k].at < t)
                t = c->fl[k].at;
        assert_true(t > c->now);
        c->now = t;
    }
}

static inline void run_for(struct cluster *c, agora_time_t d)
{
    run_until(c, c->now + d);
}

static inline bool holds(const struct cluster *c, uint32_t i)
{
    return c->sh[i].on && agora_proposer_holds_lease(&c->sh[i].p, c->now);
}

/* Runs until agorad i holds the lease (at most `limit` from now). */
static inline bool run_until_leader(struct cluster *c, uint32_t i, agora_time_t limit)
{
    agora_time_t end = c->now + limit;
    while (!holds(c, i) && c->now < end)
        run_for(c, AGORA_MS);
    return holds(c, i);
}

static inline int leader_index(const struct cluster *c)
{
    for (uint32_t i = 0; i < NP; i++)
        if (holds(c, i))
            return (int)i;
    return -1;
}

static inline uint64_t propose(struct cluster *c, uint32_t i, const char *value)
{
    uint64_t slot = 0;
    assert_int_equal(agora_proposer_propose(&c->sh[i].p, c->now, (const uint8_t *)value,
                                            (uint32_t)strlen(value), &slot),
                     AGORA_OK);
    c->sh[i].next = c->now;
    return slot;
}

/* agorad i applied exactly values[0..n) at slots 1..n (NULL: a no-op). */
static inline void assert_applied(const struct cluster *c, uint32_t i, size_t n,
                                  const char *const *values)
{
    const struct shell *s = &c->sh[i];
    assert_int_equal(s->last_applied, n);
    for (size_t k = 0; k < n; k++)
        fx_assert_value(agora_log_get(&s->applied, k + 1), k + 1, values[k]);
}

/* An earlier leader (not one of ours) had acceptor a accept `value` at
 * `slot` under ballot b; it is gone now. */
static inline void inject_accept(struct cluster *c, uint32_t a, struct agora_ballot b,
                                 uint64_t slot, const char *value)
{
    struct agora_msg *m = &c->tmp[a];
    agora_msg_clear(m);
    m->type = AGORA_MSG_ACCEPT;
    m->from = b.node;
    m->to = a;
    m->tag = 0xDEAD;
    m->ballot = b;
    m->slot = slot;
    fx_add_entry(m, slot, b, value);
    acceptor_handle(c, a, m);
    assert_int_equal(c->reply.type, AGORA_MSG_ACCEPTED);
    agora_msg_clear(m);
}

/* ---- manual driving, for tests that look at single messages ---------------------- */

/* Acceptor a handles m (off the wire); its reply, off the wire, in *out. */
static inline void manual_acceptor(struct cluster *c, uint32_t a, const struct agora_msg *m,
                                   struct agora_msg *out)
{
    struct agora_msg *in = &c->cur.m;
    agora_msg_clear(in);
    fx_wire(m, in);
    acceptor_handle(c, a, in);
    agora_msg_clear(in);
    agora_msg_clear(out);
    fx_wire(&c->reply, out);
}

static inline void manual_deliver(struct cluster *c, uint32_t i, const struct agora_msg *m)
{
    struct agora_msg *in = &c->cur.m;
    agora_msg_clear(in);
    fx_wire(m, in);
    assert_int_equal(agora_proposer_step(&c->sh[i].p, c->now, in), AGORA_OK);
    agora_msg_clear(in);
}

/* ready() of agorad i into c->rd; the replies of acceptors 0 and 1 to its
 * messages of `type` land in c->tmp[0..1]. */
static inline void manual_round(struct cluster *c, uint32_t i, uint8_t type)
{
    assert_int_equal(agora_proposer_ready(&c->sh[i].p, c->now, &c->rd), AGORA_OK);
    unsigned n = 0;
    for (size_t k = 0; k < c->rd.n_msgs; k++) {
        const struct agora_msg *m = &c->rd.msgs[k];
        if (m->type == type && m->to < 2) {
            manual_acceptor(c, m->to, m, &c->tmp[m->to]);
            n++;
        }
    }
    agora_ready_clear(&c->rd);
    assert_int_equal(n, 2);
}

/* Agorad 0 starts once the acceptors' quiet period is over and runs phase 1
 * by hand with acceptors 0 and 1; their PROMISEs are in c->tmp[0..1]. (If
 * they hold a higher ballot, the REJECTs teach it and it tries again.) */
static inline void manual_campaign(struct cluster *c)
{
    c->now = LEASE;
    start(c, 0, NULL);
    for (int attempt = 0; attempt < 3; attempt++) {
        c->now = c->sh[0].p.next_campaign;
        manual_round(c, 0, AGORA_MSG_PREPARE);
        if (c->tmp[0].type == AGORA_MSG_PROMISE && c->tmp[1].type == AGORA_MSG_PROMISE)
            return;
        manual_deliver(c, 0, &c->tmp[0]);
        manual_deliver(c, 0, &c->tmp[1]);
        assert_int_equal(c->sh[0].p.role, AGORA_FOLLOWER);
    }
    fail_msg("no promises from acceptors 0 and 1");
}

#endif
