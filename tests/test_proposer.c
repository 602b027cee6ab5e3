/* test_proposer.c: proposer, leader and learner (proposer.h) driven against
 * real acceptors in-process, as specifications of DESIGN.md section 2:
 *
 *   [phase1]   "a leader runs phase 1 once for all future slots, then phase 2
 *              per batch of entries"; the acceptors' PROMISEs carry "every
 *              accepted (slot, ballot, value) at or above from_slot".
 *   [restart]  "After a restart an acceptor grants no promise to anyone for
 *              one lease duration".
 *   [lease]    "The leader counts its lease from the moment it *sent* the
 *              renewing ACCEPT, and stops acting as leader at
 *              sent + lease * (1 - drift_margin)."
 *   [compact]  "catch-up of a lagging brick or learner uses the snapshot
 *              plus the tail."
 *
 * The cluster below is a deterministic shell: one virtual clock, a message
 * queue with a fixed latency, links that can be cut, every message encoded
 * and decoded on its way, every acceptor's write-ahead bytes kept as its
 * "disk". After every busy step it checks safety: at most one proposer holds
 * the lease, and every applied or acceptor-committed value of a slot agrees
 * (canonical/raft's fixture does the same). */
#include "core_fixture.h"

#include <stdio.h>

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

static struct agora_proposer_config pconfig(uint32_t i)
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
static void start_acceptors(struct cluster *c, agora_time_t lease, uint32_t max_entries)
{
    c->acfg.lease = lease;
    c->acfg.max_reply_entries = max_entries;
    for (uint32_t a = 0; a < NA; a++) {
        agora_acceptor_free(&c->acc[a]);
        agora_buf_reset(&c->wal[a]);
        assert_int_equal(agora_acceptor_init(&c->acc[a], &c->acfg, a, c->now), AGORA_OK);
    }
}

static int setup(void **state)
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

static int teardown(void **state)
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
static void start(struct cluster *c, uint32_t i, const struct agora_proposer_config *cfg)
{
    struct agora_proposer_config d = pconfig(i);
    struct shell *s = &c->sh[i];
    assert_false(s->on);
    assert_int_equal(agora_proposer_init(&s->p, cfg ? cfg : &d, c->now), AGORA_OK);
    s->on = true;
    s->next = c->now;
}

static struct agora_proposer_config learner_config(uint32_t i)
{
    struct agora_proposer_config cfg = pconfig(i);
    cfg.campaign = false;
    return cfg;
}

static void isolate(struct cluster *c, uint32_t i, bool cut)
{
    for (uint32_t a = 0; a < NA; a++)
        c->cut[i][a] = cut;
}

/* ---- the network ----------------------------------------------------------------- */

static bool link_up(const struct cluster *c, uint32_t p, uint32_t a)
{
    return !c->cut[p][a] && !c->acc_down[a];
}

static uint64_t next_rand(struct cluster *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

static void enqueue_one(struct cluster *c, const struct agora_msg *m, uint32_t p, uint32_t a,
                        bool to_acceptor);

/* Puts m on the wire (encoded, decoded) unless the link is down; a seeded
 * unreliable network may drop, duplicate and delay (so reorder) it. */
static void enqueue(struct cluster *c, const struct agora_msg *m, uint32_t p, uint32_t a,
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

static void enqueue_one(struct cluster *c, const struct agora_msg *m, uint32_t p, uint32_t a,
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
static void acceptor_handle(struct cluster *c, uint32_t a, const struct agora_msg *m)
{
    agora_msg_clear(&c->reply);
    agora_buf_reset(&c->step_wal);
    assert_int_equal(agora_acceptor_step(&c->acc[a], c->now, m, &c->reply, &c->step_wal),
                     AGORA_OK);
    assert_int_equal(agora_buf_put(&c->wal[a], c->step_wal.data, c->step_wal.len), AGORA_OK);
}

static void deliver(struct cluster *c, const struct flight *f)
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

static void record_ready(struct cluster *c, struct shell *s, const struct agora_ready *rd)
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
static void shell_ready(struct cluster *c, uint32_t i)
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

static bool same_value(const struct agora_entry *x, const struct agora_entry *y)
{
    return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
}

static void check_safety(const struct cluster *c)
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
static bool pop_due(struct cluster *c)
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
static void run_until(struct cluster *c, agora_time_t until)
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

static void run_for(struct cluster *c, agora_time_t d)
{
    run_until(c, c->now + d);
}

static bool holds(const struct cluster *c, uint32_t i)
{
    return c->sh[i].on && agora_proposer_holds_lease(&c->sh[i].p, c->now);
}

/* Runs until agorad i holds the lease (at most `limit` from now). */
static bool run_until_leader(struct cluster *c, uint32_t i, agora_time_t limit)
{
    agora_time_t end = c->now + limit;
    while (!holds(c, i) && c->now < end)
        run_for(c, AGORA_MS);
    return holds(c, i);
}

static int leader_index(const struct cluster *c)
{
    for (uint32_t i = 0; i < NP; i++)
        if (holds(c, i))
            return (int)i;
    return -1;
}

static uint64_t propose(struct cluster *c, uint32_t i, const char *value)
{
    uint64_t slot = 0;
    assert_int_equal(agora_proposer_propose(&c->sh[i].p, c->now, (const uint8_t *)value,
                                            (uint32_t)strlen(value), &slot),
                     AGORA_OK);
    c->sh[i].next = c->now;
    return slot;
}

/* agorad i applied exactly values[0..n) at slots 1..n (NULL: a no-op). */
static void assert_applied(const struct cluster *c, uint32_t i, size_t n,
                           const char *const *values)
{
    const struct shell *s = &c->sh[i];
    assert_int_equal(s->last_applied, n);
    for (size_t k = 0; k < n; k++)
        fx_assert_value(agora_log_get(&s->applied, k + 1), k + 1, values[k]);
}

/* An earlier leader (not one of ours) had acceptor a accept `value` at
 * `slot` under ballot b; it is gone now. */
static void inject_accept(struct cluster *c, uint32_t a, struct agora_ballot b, uint64_t slot,
                          const char *value)
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
static void manual_acceptor(struct cluster *c, uint32_t a, const struct agora_msg *m,
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

static void manual_deliver(struct cluster *c, uint32_t i, const struct agora_msg *m)
{
    struct agora_msg *in = &c->cur.m;
    agora_msg_clear(in);
    fx_wire(m, in);
    assert_int_equal(agora_proposer_step(&c->sh[i].p, c->now, in), AGORA_OK);
    agora_msg_clear(in);
}

/* ready() of agorad i into c->rd; the replies of acceptors 0 and 1 to its
 * messages of `type` land in c->tmp[0..1]. */
static void manual_round(struct cluster *c, uint32_t i, uint8_t type)
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
static void manual_campaign(struct cluster *c)
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

/* ==== election ==================================================================== */

static void test_lone_proposer_is_elected_only_after_the_acceptors_quiet_period(void **state)
{
    struct cluster *c = *state;
    /* [restart] the acceptors started at 0 and promise nothing before LEASE */
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    assert_int_equal(c->sh[0].n_elected, 1);
    assert_true(c->sh[0].elected_at >= LEASE);
    assert_true(c->sh[0].elected_at < 2 * LEASE);
    /* it asked before, was told to wait, and asked again */
    assert_true(c->sh[0].sent[AGORA_MSG_PREPARE] >= 2 * NA);
    assert_int_equal(c->sh[0].p.role, AGORA_LEADER);
}

static void test_leader_commits_proposals_in_order(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    assert_int_equal(propose(c, 0, "a"), 1);
    assert_int_equal(propose(c, 0, "b"), 2);
    assert_int_equal(propose(c, 0, "c"), 3);
    run_for(c, 10 * AGORA_MS);
    static const char *const want[] = {"a", "b", "c"};
    assert_applied(c, 0, 3, want);
    /* the acceptors learn the commit index from the following rounds */
    run_for(c, 2 * HB);
    for (uint32_t a = 0; a < NA; a++)
        assert_int_equal(c->acc[a].commit, 3);
}

static void test_proposal_on_a_follower_is_refused_with_ENOTLEADER(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    uint64_t slot;
    assert_int_equal(agora_proposer_propose(&c->sh[0].p, c->now, (const uint8_t *)"x", 1, &slot),
                     AGORA_ENOTLEADER);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    start(c, 1, NULL);
    run_for(c, HB);
    assert_int_equal(agora_proposer_propose(&c->sh[1].p, c->now, (const uint8_t *)"x", 1, &slot),
                     AGORA_ENOTLEADER);
}

static void test_proposal_before_the_first_lease_renewal_is_refused(void **state)
{
    struct cluster *c = *state;
    c->latency = 5 * AGORA_MS;
    start(c, 0, NULL);
    while (c->sh[0].p.role != AGORA_LEADER && c->now < 5 * LEASE)
        run_for(c, AGORA_MS);
    assert_int_equal(c->sh[0].p.role, AGORA_LEADER);
    /* elected, but no ACCEPT round has come back from a quorum yet */
    assert_false(holds(c, 0));
    uint64_t slot;
    assert_int_equal(agora_proposer_propose(&c->sh[0].p, c->now, (const uint8_t *)"x", 1, &slot),
                     AGORA_ENOTLEADER);
    run_for(c, 20 * AGORA_MS);
    assert_true(holds(c, 0));
    assert_int_equal(propose(c, 0, "x"), 1);
}

static void test_follower_does_not_campaign_while_it_sees_a_live_lease(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    start(c, 1, NULL);
    run_for(c, 5 * LEASE);
    assert_int_equal(c->sh[1].sent[AGORA_MSG_PREPARE], 0);
    assert_true(c->sh[1].sent[AGORA_MSG_FETCH] > 0);
    assert_int_equal(c->sh[0].n_step_down, 0);
}

static void test_follower_ignores_one_acceptor_reporting_no_lease(void **state)
{
    struct cluster *c = *state;
    /* docs/protocol.md: "a single acceptor saying so (it restarted, or lost
     * touch with the leader) changes nothing" */
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    start(c, 1, NULL);
    c->cut[0][2] = true; /* acceptor 2 no longer hears the leader */
    run_for(c, 5 * LEASE);
    assert_true(holds(c, 0));
    assert_int_equal(c->sh[1].sent[AGORA_MSG_PREPARE], 0);
    assert_int_equal(c->sh[0].n_step_down, 0);
}

/* ==== leases [lease] ============================================================== */

static void test_lease_ends_at_round_send_time_plus_lease_less_drift(void **state)
{
    struct cluster *c = *state;
    /* lease*(1 - 50/1000) = 1000000123 * 0.95 = 950000116.85 ns: the leader
     * must not round up past the real value. */
    const agora_time_t lease = 1000000123;
    start_acceptors(c, lease, 0);
    struct agora_proposer_config cfg = pconfig(0);
    cfg.lease = lease;
    start(c, 0, &cfg);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    /* From now on each message takes 7 ms each way: the lease must count
     * from the send time of the renewing round, not from the replies. */
    c->latency = 7 * AGORA_MS;
    agora_time_t before = c->sh[0].round_sent;
    while (c->sh[0].round_sent == before)
        run_for(c, AGORA_MS);
    agora_time_t sent = c->sh[0].round_sent;
    run_for(c, 20 * AGORA_MS);
    assert_int_equal(c->sh[0].p.lease_end, sent + 950000116u);
}

static void test_leader_steps_down_when_it_cannot_renew_within_the_lease(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    run_for(c, 3 * HB + 7 * AGORA_MS);
    agora_time_t last = c->sh[0].round_sent; /* answered at once (no latency) */
    assert_int_equal(c->sh[0].p.lease_end, last + SPAN);
    isolate(c, 0, true);
    agora_time_t end = c->now + 2 * LEASE;
    while (c->now < end) {
        run_for(c, AGORA_MS);
        if (holds(c, 0))
            assert_true(c->now < last + SPAN);
    }
    assert_false(holds(c, 0));
    assert_int_equal(c->sh[0].n_step_down, 1);
    assert_true(c->sh[0].step_down_at <= last + SPAN);
    assert_int_not_equal(c->sh[0].p.role, AGORA_LEADER);
}

static void test_leader_without_a_quorum_commits_nothing(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    c->acc_down[1] = c->acc_down[2] = true;
    propose(c, 0, "x");
    run_for(c, 50 * AGORA_MS);
    assert_int_equal(c->sh[0].last_applied, 0);
    c->acc_down[1] = false;
    run_for(c, 2 * HB);
    static const char *const want[] = {"x"};
    assert_applied(c, 0, 1, want);
}

/* An ACCEPT lost on the way to one acceptor leaves a gap there; while the
 * other two form a quorum it costs nothing. When one of those dies, the
 * leader must resend the missing entries at once (its next reply from the
 * gapped acceptor starts past match + 1), not at the next heartbeat: commits
 * go on without a pause (test_brick_pause.sh). */
static void test_leader_repairs_a_lost_accept_without_waiting_for_the_heartbeat(void **state)
{
    struct cluster *c = *state;
    c->latency = AGORA_MS;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    run_for(c, 5 * AGORA_MS);
    c->cut[0][1] = true; /* the ACCEPT of "a" to acceptor 1 is lost */
    propose(c, 0, "a");
    run_for(c, AGORA_MS / 2);
    c->cut[0][1] = false;
    run_for(c, 5 * AGORA_MS);
    static const char *const want[] = {"a", "b"};
    assert_applied(c, 0, 1, want);
    c->acc_down[2] = true;
    agora_time_t t0 = c->now;
    propose(c, 0, "b");
    while (c->sh[0].last_applied < 2 && c->now < t0 + HB)
        run_for(c, AGORA_MS);
    assert_applied(c, 0, 2, want);
    assert_true(c->now - t0 <= 10 * AGORA_MS);
}

/* window: an acceptor with `window` ACCEPTs unanswered is skipped; once it
 * answers, the next ACCEPT carries everything proposed meanwhile. Five
 * proposals made while the first round is on the wire reach each acceptor
 * in one message (without a window: one message each). */
static unsigned accepts_for_a_burst(struct cluster *c, uint32_t window, uint32_t *biggest)
{
    struct agora_proposer_config cfg = pconfig(0);
    cfg.window = window;
    c->latency = 10 * AGORA_MS;
    start(c, 0, &cfg);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    run_for(c, 50 * AGORA_MS); /* the LEADER round and its commit are answered */
    unsigned before = c->sh[0].sent[AGORA_MSG_ACCEPT];
    c->sh[0].max_batch_seen = 0;
    propose(c, 0, "a");
    run_for(c, AGORA_MS);
    static const char *const more[] = {"b", "c", "d", "e", "f"};
    for (size_t k = 0; k < 5; k++) {
        propose(c, 0, more[k]);
        run_for(c, AGORA_MS);
    }
    run_for(c, 60 * AGORA_MS); /* less than a heartbeat: no heartbeat round here */
    static const char *const want[] = {"a", "b", "c", "d", "e", "f"};
    assert_applied(c, 0, 6, want);
    *biggest = c->sh[0].max_batch_seen;
    return c->sh[0].sent[AGORA_MSG_ACCEPT] - before;
}

static void test_window_batches_proposals_for_an_acceptor_that_has_not_answered(void **state)
{
    uint32_t biggest = 0;
    unsigned n = accepts_for_a_burst(*state, 1, &biggest);
    print_message("window 1: %u ACCEPTs, biggest %u\n", n, biggest);
    assert_int_equal(biggest, 5);
    /* rounds of 3: a; b..f with a's commit; f's commit; maybe a heartbeat */
    assert_true(n <= 12);
}

static void test_without_a_window_every_proposal_is_its_own_round(void **state)
{
    uint32_t biggest = 0;
    unsigned n = accepts_for_a_burst(*state, 0, &biggest);
    print_message("no window: %u ACCEPTs, biggest %u\n", n, biggest);
    assert_int_equal(biggest, 1);
    assert_true(n >= 18);
}

/* docs/protocol.md, flow control: "a leader refuses new proposals
 * (AGORA_ETOOBIG) while it holds max_inflight uncommitted entries". */
static void test_leader_refuses_proposals_beyond_max_inflight_until_some_commit(void **state)
{
    struct cluster *c = *state;
    struct agora_proposer_config cfg = pconfig(0);
    cfg.max_inflight = 3;
    start(c, 0, &cfg);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    c->acc_down[1] = c->acc_down[2] = true; /* nothing commits for now */
    propose(c, 0, "a");
    propose(c, 0, "b");
    propose(c, 0, "c");
    uint64_t slot;
    assert_int_equal(agora_proposer_propose(&c->sh[0].p, c->now, (const uint8_t *)"d", 1, &slot),
                     AGORA_ETOOBIG);
    run_for(c, 10 * AGORA_MS);
    assert_int_equal(agora_proposer_propose(&c->sh[0].p, c->now, (const uint8_t *)"d", 1, &slot),
                     AGORA_ETOOBIG);
    c->acc_down[1] = false;
    run_for(c, 2 * HB);
    assert_int_equal(propose(c, 0, "d"), 4);
    run_for(c, 10 * AGORA_MS);
    static const char *const want[] = {"a", "b", "c", "d"};
    assert_applied(c, 0, 4, want);
}

static void test_duplicated_accepted_is_counted_once_for_the_lease_quorum(void **state)
{
    struct cluster *c = *state;
    manual_campaign(c);
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    assert_int_equal(c->sh[0].p.role, AGORA_LEADER);
    agora_time_t sent = c->now;
    manual_round(c, 0, AGORA_MSG_ACCEPT); /* the first renewal */
    c->now += AGORA_MS;
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[0]); /* the network duplicated it */
    assert_false(holds(c, 0));
    manual_deliver(c, 0, &c->tmp[1]);
    assert_true(holds(c, 0));
    assert_int_equal(c->sh[0].p.lease_end, sent + SPAN);
}

static void test_duplicated_replies_change_nothing_in_a_running_cluster(void **state)
{
    struct cluster *c = *state;
    c->dup_accepted = true;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    propose(c, 0, "a");
    propose(c, 0, "b");
    run_for(c, 3 * HB);
    static const char *const want[] = {"a", "b"};
    assert_applied(c, 0, 2, want);
}

/* ==== incarnations ================================================================ */

static void test_promise_from_another_incarnation_is_ignored(void **state)
{
    struct cluster *c = *state;
    manual_campaign(c);
    c->tmp[0].tag ^= 1;
    c->tmp[1].tag ^= 1;
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    assert_int_equal(c->sh[0].p.role, AGORA_CANDIDATE);
    assert_int_equal(c->sh[0].p.promises, 0);
    c->tmp[0].tag ^= 1;
    c->tmp[1].tag ^= 1;
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    assert_int_equal(c->sh[0].p.role, AGORA_LEADER);
}

static void test_accepted_from_another_incarnation_does_not_renew_the_lease(void **state)
{
    struct cluster *c = *state;
    manual_campaign(c);
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    manual_round(c, 0, AGORA_MSG_ACCEPT);
    c->tmp[0].tag ^= 1;
    c->tmp[1].tag ^= 1;
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    assert_false(holds(c, 0));
    c->tmp[0].tag ^= 1;
    c->tmp[1].tag ^= 1;
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    assert_true(holds(c, 0));
}

/* ==== phase 1 recovery [phase1] =================================================== */

static void test_new_leader_adopts_a_value_accepted_by_one_acceptor_of_its_quorum(void **state)
{
    struct cluster *c = *state;
    /* "old" may have been chosen (acceptor 2 may have accepted it too: here
     * it has), so the new leader must propose it, not its own value. */
    inject_accept(c, 0, fx_ballot(1, 9), 1, "old");
    inject_accept(c, 2, fx_ballot(1, 9), 1, "old");
    c->cut[0][2] = true; /* its quorum is acceptors 0 and 1 */
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    assert_int_equal(propose(c, 0, "mine"), 2);
    run_for(c, 10 * AGORA_MS);
    static const char *const want[] = {"old", "mine"};
    assert_applied(c, 0, 2, want);
}

static void test_new_leader_fills_gaps_with_noops(void **state)
{
    struct cluster *c = *state;
    inject_accept(c, 0, fx_ballot(1, 9), 1, "x");
    inject_accept(c, 0, fx_ballot(1, 9), 3, "z");
    c->cut[0][2] = true;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    run_for(c, 10 * AGORA_MS);
    static const char *const want[] = {"x", NULL, "z"};
    assert_applied(c, 0, 3, want);
    assert_int_equal(propose(c, 0, "next"), 4);
}

static void test_new_leader_prefers_the_value_of_the_highest_ballot(void **state)
{
    struct cluster *c = *state;
    inject_accept(c, 0, fx_ballot(1, 9), 1, "low");
    inject_accept(c, 1, fx_ballot(2, 8), 1, "high");
    c->cut[0][2] = true;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    run_for(c, 10 * AGORA_MS);
    static const char *const want[] = {"high"};
    assert_applied(c, 0, 1, want);
    /* and its ballot is above every ballot it was told of */
    assert_true(agora_ballot_cmp(c->sh[0].p.ballot, fx_ballot(2, 8)) > 0);
}

/* A PROMISE capped by max_reply_entries/bytes is PARTIAL; the candidate
 * must read the rest (READ) before counting it. Catching up as a learner
 * cannot help: the missing entries are accepted, not committed, and only a
 * new leader can commit them. Regression: on the core of commit 99dc156 the
 * candidate gave up on every partial promise, so once the acceptors held
 * more uncommitted entries than one PROMISE carries, nobody could ever be
 * elected again. */
static void test_election_succeeds_with_an_uncommitted_tail_longer_than_a_promise(void **state)
{
    struct cluster *c = *state;
    start_acceptors(c, LEASE, 2);
    for (uint32_t a = 0; a < NA; a++) {
        inject_accept(c, a, fx_ballot(1, 9), 1, "u1");
        inject_accept(c, a, fx_ballot(1, 9), 2, "u2");
        inject_accept(c, a, fx_ballot(1, 9), 3, "u3");
    }
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 10 * LEASE));
    assert_true(c->sh[0].sent[AGORA_MSG_READ] >= 2);
    run_for(c, 2 * HB);
    static const char *const want[] = {"u1", "u2", "u3"};
    assert_applied(c, 0, 3, want);
}

static void test_candidate_gives_up_only_when_refusals_put_a_quorum_out_of_reach(void **state)
{
    struct cluster *c = *state;
    start_acceptors(c, LEASE, 2);
    for (uint32_t a = 0; a < 2; a++) {
        inject_accept(c, a, fx_ballot(1, 9), 1, "u1");
        inject_accept(c, a, fx_ballot(1, 9), 2, "u2");
        inject_accept(c, a, fx_ballot(1, 9), 3, "u3");
    }
    manual_campaign(c);
    assert_true(c->tmp[0].reason & AGORA_REPLY_PARTIAL);
    assert_true(c->tmp[1].reason & AGORA_REPLY_PARTIAL);
    /* before our READ reaches it, acceptor 1 promises a higher ballot */
    struct agora_msg *m = &c->tmp[2];
    agora_msg_clear(m);
    m->type = AGORA_MSG_PREPARE;
    m->from = 7;
    m->to = 1;
    m->ballot = fx_ballot(50, 7);
    m->slot = 1;
    acceptor_handle(c, 1, m);
    agora_msg_clear(m);
    assert_int_equal(c->reply.type, AGORA_MSG_PROMISE);
    manual_deliver(c, 0, &c->tmp[0]);
    manual_deliver(c, 0, &c->tmp[1]);
    assert_int_equal(c->sh[0].p.role, AGORA_CANDIDATE); /* partial: not counted */
    manual_round(c, 0, AGORA_MSG_READ);
    assert_int_equal(c->tmp[0].type, AGORA_MSG_PROMISE);
    assert_int_equal(c->tmp[1].type, AGORA_MSG_REJECT);
    manual_deliver(c, 0, &c->tmp[1]);
    /* one refusal: a quorum is still within reach through acceptor 2 */
    assert_int_equal(c->sh[0].p.role, AGORA_CANDIDATE);
    assert_true(c->sh[0].p.max_round >= 50);
    manual_deliver(c, 0, &c->tmp[0]); /* acceptor 0's promise is now complete */
    assert_int_equal(c->sh[0].p.role, AGORA_CANDIDATE);
    /* a second refusal puts a quorum out of reach: it gives up */
    struct agora_msg *second = &c->tmp[2];
    agora_msg_clear(second);
    assert_int_equal(agora_msg_copy(second, &c->tmp[1]), AGORA_OK);
    second->from = 2;
    manual_deliver(c, 0, second);
    assert_int_equal(c->sh[0].p.role, AGORA_FOLLOWER);
}

/* ==== stepping down =============================================================== */

static void test_leader_steps_down_on_a_reject_with_a_higher_ballot(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    /* Acceptor 2 stops hearing from us; once our lease lapses there it
     * promises a higher ballot to someone else. */
    c->cut[0][2] = true;
    run_for(c, 2 * LEASE);
    assert_true(holds(c, 0));
    struct agora_msg *m = &c->tmp[2];
    agora_msg_clear(m);
    m->type = AGORA_MSG_PREPARE;
    m->from = 7;
    m->to = 2;
    m->ballot = fx_ballot(50, 7);
    m->slot = 1;
    acceptor_handle(c, 2, m);
    agora_msg_clear(m);
    assert_int_equal(c->reply.type, AGORA_MSG_PROMISE);
    c->cut[0][2] = false;
    agora_time_t healed = c->now;
    run_for(c, HB + AGORA_MS);
    assert_int_equal(c->sh[0].n_step_down, 1);
    assert_true(c->sh[0].step_down_at <= healed + HB);
    /* and when it campaigns again, it goes above the ballot it was told of */
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    assert_true(c->sh[0].p.ballot.round > 50);
}

/* docs/protocol.md: "RELEASE ... lets the acceptors drop the lease so the
 * next leader need not wait for it". The followers must notice too: they had
 * pushed their campaign to "lease_left + back-off" when the lease was live.
 * (Failed on the core of commit 99dc156, where watch_lease never brought the
 * campaign forward and the resigning node re-won the election itself.) */
static void test_resign_releases_the_lease_so_another_proposer_leads_without_waiting(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    start(c, 1, NULL);
    run_for(c, 5 * HB + 3 * AGORA_MS);
    /* Without a release, the acceptors would refuse others until: */
    agora_time_t lease_until = 0;
    for (uint32_t a = 0; a < NA; a++)
        if (c->acc[a].lease_until > lease_until)
            lease_until = c->acc[a].lease_until;
    assert_true(lease_until > c->now + LEASE / 2);
    agora_proposer_resign(&c->sh[0].p, c->now);
    assert_false(holds(c, 0));
    c->sh[0].next = c->now;
    run_for(c, AGORA_MS);
    assert_int_equal(c->sh[0].sent[AGORA_MSG_RELEASE], NA);
    assert_int_equal(c->sh[0].n_step_down, 1);
    for (uint32_t a = 0; a < NA; a++) {
        agora_time_t left;
        assert_int_equal(agora_acceptor_lease(&c->acc[a], c->now, &left), 0);
    }
    assert_true(run_until_leader(c, 1, 5 * LEASE));
    assert_true(c->sh[1].elected_at < lease_until);
}

static void test_failover_keeps_committed_entries(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    start(c, 1, NULL);
    run_until(c, 3 * LEASE);
    int l = leader_index(c);
    assert_true(l >= 0);
    uint32_t old = (uint32_t)l, other = 1 - old;
    propose(c, old, "one");
    propose(c, old, "two");
    run_for(c, 2 * HB);
    agora_time_t lease_end = c->sh[old].p.lease_end;
    isolate(c, old, true);
    assert_true(run_until_leader(c, other, 5 * LEASE));
    /* [lease] nobody else led before the isolated leader's lease ended */
    assert_true(c->sh[other].elected_at >= lease_end);
    propose(c, other, "three");
    run_for(c, 10 * AGORA_MS);
    static const char *const want[] = {"one", "two", "three"};
    assert_applied(c, other, 3, want);
}

static void test_three_proposers_agree_on_one_log(void **state)
{
    struct cluster *c = *state;
    for (uint32_t i = 0; i < NP; i++)
        start(c, i, NULL);
    char v[32];
    unsigned n = 0;
    /* whoever leads proposes; every 2 s the leader is cut off for 1.6 s */
    for (unsigned step = 0; step < 100; step++) {
        run_for(c, HB);
        int l = leader_index(c);
        if (l >= 0) {
            snprintf(v, sizeof(v), "p%d-%u", l, n++);
            propose(c, (uint32_t)l, v);
            if (step % 20 == 19)
                isolate(c, (uint32_t)l, true);
        }
        if (step % 20 == 15)
            for (uint32_t i = 0; i < NP; i++)
                isolate(c, i, false);
    }
    for (uint32_t i = 0; i < NP; i++)
        isolate(c, i, false);
    run_for(c, 3 * LEASE);
    assert_true(n > 0);
    unsigned elections = 0;
    for (uint32_t i = 0; i < NP; i++)
        elections += c->sh[i].n_elected;
    assert_true(elections >= 3); /* the leadership did move */
    assert_true(c->sh[0].last_applied > 0);
    for (uint32_t i = 1; i < NP; i++)
        assert_int_equal(c->sh[i].last_applied, c->sh[0].last_applied);
    /* (check_safety compared every slot of every log along the way) */
}

/* agorad i crashes and starts again as a new incarnation (new tag), with
 * nothing: the proposer keeps nothing durable, its shell re-learns. */
static void restart_proposer(struct cluster *c, uint32_t i, uint64_t incarnation)
{
    struct shell *s = &c->sh[i];
    agora_proposer_free(&s->p);
    s->on = false;
    agora_log_free(&s->applied);
    s->last_applied = 0;
    agora_buf_reset(&s->snap);
    s->snap_index = 0;
    struct agora_proposer_config cfg = pconfig(i);
    cfg.tag = TAG(i) + (incarnation << 16);
    cfg.seed = incarnation;
    start(c, i, &cfg);
}

static void restart_acceptor(struct cluster *c, uint32_t a)
{
    agora_acceptor_free(&c->acc[a]);
    assert_int_equal(agora_acceptor_init(&c->acc[a], &c->acfg, a, c->now), AGORA_OK);
    size_t valid;
    assert_int_equal(agora_acceptor_recover(&c->acc[a], c->wal[a].data, c->wal[a].len, &valid),
                     AGORA_OK);
    assert_int_equal(valid, c->wal[a].len);
}

/* Seeded chaos: 10% loss, 5% duplicates, up to 30 ms of reordering delay,
 * crashes of agorads and bricks, partitions; whoever leads keeps proposing.
 * check_safety runs after every step; at the end, with a healed network,
 * everyone converges on one log. `cap` > 0 caps every PROMISE and FETCHED
 * at that many entries. */
static void chaos(void **state, uint64_t seed, uint32_t cap)
{
    char v[32];
    teardown(state);
    assert_int_equal(setup(state), 0);
    struct cluster *c = *state;
    if (cap > 0)
        start_acceptors(c, LEASE, cap);
    c->rng = 0x9E3779B97F4A7C15ull * seed;
    c->latency = AGORA_MS;
    c->drop_pct = 10;
    c->dup_pct = 5;
    c->jitter = 30 * AGORA_MS;
    for (uint32_t i = 0; i < NP; i++)
        start(c, i, NULL);
    unsigned proposed = 0;
    uint64_t incarnation = 1;
    for (unsigned step = 0; step < 300; step++) {
        run_for(c, 37 * AGORA_MS);
        int l = leader_index(c);
        if (l >= 0) {
            snprintf(v, sizeof(v), "s%llu-%u", (unsigned long long)seed, proposed++);
            propose(c, (uint32_t)l, v);
        }
        uint64_t r = next_rand(c) % 100;
        if (r < 2)
            restart_proposer(c, (uint32_t)(next_rand(c) % NP), ++incarnation);
        else if (r < 4)
            restart_acceptor(c, (uint32_t)(next_rand(c) % NA));
        else if (r < 7)
            c->cut[next_rand(c) % NP][next_rand(c) % NA] ^= true;
    }
    memset(c->cut, 0, sizeof(c->cut));
    c->drop_pct = c->dup_pct = 0;
    c->jitter = 0;
    run_for(c, 4 * LEASE);
    int l = leader_index(c);
    assert_true(l >= 0);
    for (uint32_t i = 0; i < NP; i++)
        assert_int_equal(c->sh[i].last_applied, c->sh[l].last_applied);
    assert_true(c->sh[l].last_applied > 0);
}

static void test_safety_and_convergence_under_seeded_faults(void **state)
{
    for (uint64_t seed = 1; seed <= 12; seed++)
        chaos(state, seed, 0);
}

/* The same with every reply capped at 2 entries: phase 1 needs READ, and
 * learners catch up in many small replies. */
static void test_safety_and_convergence_under_seeded_faults_with_capped_replies(void **state)
{
    for (uint64_t seed = 1; seed <= 12; seed++)
        chaos(state, seed, 2);
}

/* ==== learners and catch-up [compact] ============================================= */

static void test_lagging_follower_learns_committed_entries_via_fetch(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    struct agora_proposer_config cfg = learner_config(1);
    start(c, 1, &cfg);
    isolate(c, 1, true);
    propose(c, 0, "a");
    propose(c, 0, "b");
    propose(c, 0, "c");
    run_for(c, 2 * HB);
    assert_int_equal(c->sh[1].last_applied, 0);
    isolate(c, 1, false);
    run_for(c, 2 * HB);
    static const char *const want[] = {"a", "b", "c"};
    assert_applied(c, 1, 3, want);
}

static void test_learner_polls_again_at_once_after_a_partial_reply(void **state)
{
    struct cluster *c = *state;
    start_acceptors(c, LEASE, 2);
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    static const char *const want[] = {"1", "2", "3", "4", "5", "6", "7"};
    for (size_t k = 0; k < 7; k++)
        propose(c, 0, want[k]);
    run_for(c, 2 * HB);
    struct agora_proposer_config cfg = learner_config(1);
    start(c, 1, &cfg);
    run_for(c, AGORA_MS); /* far less than one poll interval */
    assert_applied(c, 1, 7, want);
}

/* A learner far behind catches up in replies of max_reply_entries. Each
 * PARTIAL reply may ask for more, but the requests must not multiply: here
 * 40 entries in replies of 2 need 20 rounds, of at most one FETCH per
 * acceptor each (28 here).
 *
 * Regression: on the core of commit bef55db every PARTIAL FETCHED, even a
 * stale one, made the next ready() broadcast a FETCH to every acceptor; with
 * replies arriving at different times the FETCHes multiplied by up to n per
 * round trip (123 for a backlog of 8 entries, 609 for 12, 2319 for 16, 8742
 * for 20; the harness's storm guard stops this test long before 40). */
static void test_learner_catch_up_sends_a_bounded_number_of_fetches(void **state)
{
    struct cluster *c = *state;
    start_acceptors(c, LEASE, 2);
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    char v[16];
    for (unsigned k = 1; k <= 40; k++) {
        snprintf(v, sizeof(v), "e%u", k);
        propose(c, 0, v);
    }
    run_for(c, 2 * HB);
    /* replies now come back in a different order from each acceptor */
    c->latency = AGORA_MS;
    c->rng = 12345;
    c->jitter = 2 * AGORA_MS;
    struct agora_proposer_config cfg = learner_config(1);
    start(c, 1, &cfg);
    run_for(c, 2 * HB);
    assert_int_equal(c->sh[1].last_applied, 40);
    assert_true(c->sh[1].sent[AGORA_MSG_FETCH] <= NA * (40 / 2 + 2));
}

static void test_lagging_acceptor_catches_up_by_install_after_the_leader_compacted(void **state)
{
    struct cluster *c = *state;
    c->acc_down[2] = true;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    static const char *const v[] = {"v1", "v2", "v3", "v4", "v5"};
    for (size_t k = 0; k < 5; k++)
        propose(c, 0, v[k]);
    run_for(c, 10 * AGORA_MS);
    assert_int_equal(c->sh[0].last_applied, 5);
    assert_int_equal(agora_proposer_compact(&c->sh[0].p, 5, (const uint8_t *)"S5", 2), AGORA_OK);
    c->acc_down[2] = false;
    run_for(c, 2 * HB);
    assert_true(c->sh[0].sent[AGORA_MSG_INSTALL] >= 1);
    assert_int_equal(c->acc[2].snap_index, 5);
    assert_int_equal(c->acc[2].snap_len, 2);
    assert_memory_equal(c->acc[2].snap, "S5", 2);
    assert_int_equal(c->acc[2].commit, 5);
    /* and the tail follows */
    propose(c, 0, "six");
    run_for(c, 2 * HB);
    fx_assert_value(agora_log_get(&c->acc[2].log, 6), 6, "six");
    assert_int_equal(c->acc[2].commit, 6);
}

static void test_learner_behind_compacted_acceptors_gets_the_snapshot_then_the_tail(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    static const char *const v[] = {"v1", "v2", "v3", "v4", "v5", "v6"};
    for (size_t k = 0; k < 6; k++)
        propose(c, 0, v[k]);
    run_for(c, 2 * HB);
    for (uint32_t a = 0; a < NA; a++) {
        assert_int_equal(c->acc[a].commit, 6);
        agora_buf_reset(&c->image);
        assert_int_equal(agora_acceptor_compact(&c->acc[a], 4, (const uint8_t *)"S4", 2,
                                                &c->image),
                         AGORA_OK);
        agora_buf_reset(&c->wal[a]);
        assert_int_equal(agora_buf_put(&c->wal[a], c->image.data, c->image.len), AGORA_OK);
    }
    struct agora_proposer_config cfg = learner_config(1);
    start(c, 1, &cfg);
    run_for(c, 2 * HB);
    const struct shell *s = &c->sh[1];
    assert_int_equal(s->n_snap, 1);
    assert_int_equal(s->snap_index, 4);
    assert_int_equal(s->snap.len, 2);
    assert_memory_equal(s->snap.data, "S4", 2);
    assert_int_equal(s->first_after_snap, 5);
    assert_int_equal(s->last_applied, 6);
    fx_assert_value(agora_log_get(&s->applied, 5), 5, "v5");
    fx_assert_value(agora_log_get(&s->applied, 6), 6, "v6");
}

static void test_candidate_behind_compacted_acceptors_installs_the_snapshot_then_leads(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    static const char *const v[] = {"v1", "v2", "v3", "v4", "v5", "v6"};
    for (size_t k = 0; k < 6; k++)
        propose(c, 0, v[k]);
    run_for(c, 2 * HB);
    for (uint32_t a = 0; a < NA; a++) {
        agora_buf_reset(&c->image);
        assert_int_equal(agora_acceptor_compact(&c->acc[a], 4, (const uint8_t *)"S4", 2,
                                                &c->image),
                         AGORA_OK);
    }
    /* agorad 1 dies; agorad 2 starts from nothing and must take over */
    agora_proposer_free(&c->sh[0].p);
    c->sh[0].on = false;
    start(c, 1, NULL);
    assert_true(run_until_leader(c, 1, 5 * LEASE));
    const struct shell *s = &c->sh[1];
    assert_int_equal(s->n_snap, 1);
    assert_int_equal(s->snap_index, 4);
    assert_int_equal(s->last_applied, 6);
    assert_int_equal(propose(c, 1, "v7"), 7);
    run_for(c, 10 * AGORA_MS);
    fx_assert_value(agora_log_get(&s->applied, 7), 7, "v7");
}

static void test_acceptor_that_missed_entries_gets_them_from_the_leaders_log(void **state)
{
    struct cluster *c = *state;
    c->acc_down[2] = true;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    static const char *const v[] = {"v1", "v2", "v3"};
    for (size_t k = 0; k < 3; k++)
        propose(c, 0, v[k]);
    run_for(c, 10 * AGORA_MS);
    c->acc_down[2] = false;
    run_for(c, 3 * HB);
    assert_int_equal(c->sh[0].sent[AGORA_MSG_INSTALL], 0);
    for (uint64_t slot = 1; slot <= 3; slot++)
        fx_assert_value(agora_log_get(&c->acc[2].log, slot), slot, v[slot - 1]);
    assert_int_equal(c->acc[2].commit, 3);
}

static void test_backlog_is_sent_in_batches_of_at_most_max_batch(void **state)
{
    struct cluster *c = *state;
    struct agora_proposer_config cfg = pconfig(0);
    cfg.max_batch = 4;
    start(c, 0, &cfg);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    c->latency = AGORA_MS;
    char v[16];
    for (unsigned k = 1; k <= 30; k++) {
        snprintf(v, sizeof(v), "e%u", k);
        assert_int_equal(propose(c, 0, v), k);
    }
    run_for(c, 50 * AGORA_MS);
    assert_int_equal(c->sh[0].max_batch_seen, 4);
    assert_int_equal(c->sh[0].last_applied, 30);
    fx_assert_value(agora_log_get(&c->sh[0].applied, 30), 30, "e30");
}

/* A snapshot of zero bytes is still a snapshot (AGORA_REPLY_SNAPSHOT says
 * so; the bytes alone cannot, as set_snap and the decoder store NULL for
 * length 0). Regression: on the core of commit 99dc156 such a learner never
 * installed it and never caught up. */
static void test_learner_behind_an_empty_snapshot_still_catches_up(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    static const char *const v[] = {"v1", "v2", "v3", "v4"};
    for (size_t k = 0; k < 3; k++)
        propose(c, 0, v[k]);
    run_for(c, 2 * HB);
    for (uint32_t a = 0; a < NA; a++) {
        agora_buf_reset(&c->image);
        assert_int_equal(agora_acceptor_compact(&c->acc[a], 3, NULL, 0, &c->image), AGORA_OK);
    }
    struct agora_proposer_config cfg = learner_config(1);
    start(c, 1, &cfg);
    propose(c, 0, v[3]);
    run_for(c, 3 * HB);
    assert_int_equal(c->sh[1].n_snap, 1);
    assert_int_equal(c->sh[1].snap_index, 3);
    assert_int_equal(c->sh[1].snap.len, 0);
    assert_int_equal(c->sh[1].last_applied, 4);
}

/* ==== acceptor restarts [restart] ================================================= */

static void test_leader_keeps_serving_through_an_acceptor_restart(void **state)
{
    struct cluster *c = *state;
    start(c, 0, NULL);
    assert_true(run_until_leader(c, 0, 5 * LEASE));
    propose(c, 0, "before");
    run_for(c, 2 * HB);
    /* acceptor 0 crashes and comes back from its write-ahead log */
    agora_acceptor_free(&c->acc[0]);
    assert_int_equal(agora_acceptor_init(&c->acc[0], &c->acfg, 0, c->now), AGORA_OK);
    size_t valid;
    assert_int_equal(agora_acceptor_recover(&c->acc[0], c->wal[0].data, c->wal[0].len, &valid),
                     AGORA_OK);
    assert_int_equal(valid, c->wal[0].len);
    propose(c, 0, "after");
    run_for(c, 2 * HB);
    assert_true(holds(c, 0));
    assert_int_equal(c->sh[0].n_step_down, 0);
    static const char *const want[] = {"before", "after"};
    assert_applied(c, 0, 2, want);
    fx_assert_value(agora_log_get(&c->acc[0].log, 2), 2, "after");
    assert_int_equal(c->acc[0].commit, 2);
}

static void test_init_refuses_an_unusable_configuration(void **state)
{
    struct cluster *c = *state;
    struct agora_proposer p;
    struct agora_proposer_config cfg = pconfig(0);
    cfg.id = 0;
    assert_int_equal(agora_proposer_init(&p, &cfg, 0), AGORA_EINVAL);
    cfg = pconfig(0);
    cfg.n_acceptors = AGORA_MAX_ACCEPTORS + 1;
    assert_int_equal(agora_proposer_init(&p, &cfg, 0), AGORA_EINVAL);
    cfg = pconfig(0);
    cfg.heartbeat = cfg.lease;
    assert_int_equal(agora_proposer_init(&p, &cfg, 0), AGORA_EINVAL);
    cfg = pconfig(0);
    cfg.drift_permille = 1000;
    assert_int_equal(agora_proposer_init(&p, &cfg, 0), AGORA_EINVAL);
    cfg = pconfig(0);
    cfg.backoff_min = cfg.backoff_max + 1;
    assert_int_equal(agora_proposer_init(&p, &cfg, 0), AGORA_EINVAL);
    (void)c;
}

/* The leader's lease ends at sent + lease*(1 - m): with a heartbeat at or
 * past that span an idle leader steps down before every renewal (on the core
 * of commit 99dc156, which accepted it: elected 10 times, stepped down 9
 * times in 10 s in this harness). */
static void test_init_refuses_a_heartbeat_that_cannot_renew_within_the_lease(void **state)
{
    struct cluster *c = *state;
    struct agora_proposer_config cfg = pconfig(0);
    cfg.heartbeat = SPAN + 10 * AGORA_MS; /* < lease, > lease*(1 - m) */
    int rc = agora_proposer_init(&c->sh[0].p, &cfg, c->now);
    c->sh[0].on = rc == AGORA_OK; /* (so that the teardown frees it) */
    assert_int_equal(rc, AGORA_EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lone_proposer_is_elected_only_after_the_acceptors_quiet_period),
        T(test_leader_commits_proposals_in_order),
        T(test_proposal_on_a_follower_is_refused_with_ENOTLEADER),
        T(test_proposal_before_the_first_lease_renewal_is_refused),
        T(test_follower_does_not_campaign_while_it_sees_a_live_lease),
        T(test_follower_ignores_one_acceptor_reporting_no_lease),
        T(test_lease_ends_at_round_send_time_plus_lease_less_drift),
        T(test_leader_steps_down_when_it_cannot_renew_within_the_lease),
        T(test_leader_without_a_quorum_commits_nothing),
        T(test_leader_repairs_a_lost_accept_without_waiting_for_the_heartbeat),
        T(test_window_batches_proposals_for_an_acceptor_that_has_not_answered),
        T(test_without_a_window_every_proposal_is_its_own_round),
        T(test_leader_refuses_proposals_beyond_max_inflight_until_some_commit),
        T(test_duplicated_accepted_is_counted_once_for_the_lease_quorum),
        T(test_duplicated_replies_change_nothing_in_a_running_cluster),
        T(test_promise_from_another_incarnation_is_ignored),
        T(test_accepted_from_another_incarnation_does_not_renew_the_lease),
        T(test_new_leader_adopts_a_value_accepted_by_one_acceptor_of_its_quorum),
        T(test_new_leader_fills_gaps_with_noops),
        T(test_new_leader_prefers_the_value_of_the_highest_ballot),
        T(test_election_succeeds_with_an_uncommitted_tail_longer_than_a_promise),
        T(test_candidate_gives_up_only_when_refusals_put_a_quorum_out_of_reach),
        T(test_leader_steps_down_on_a_reject_with_a_higher_ballot),
        T(test_resign_releases_the_lease_so_another_proposer_leads_without_waiting),
        T(test_failover_keeps_committed_entries),
        T(test_three_proposers_agree_on_one_log),
        T(test_safety_and_convergence_under_seeded_faults),
        T(test_safety_and_convergence_under_seeded_faults_with_capped_replies),
        T(test_lagging_follower_learns_committed_entries_via_fetch),
        T(test_learner_polls_again_at_once_after_a_partial_reply),
        T(test_learner_catch_up_sends_a_bounded_number_of_fetches),
        T(test_lagging_acceptor_catches_up_by_install_after_the_leader_compacted),
        T(test_learner_behind_compacted_acceptors_gets_the_snapshot_then_the_tail),
        T(test_candidate_behind_compacted_acceptors_installs_the_snapshot_then_leads),
        T(test_acceptor_that_missed_entries_gets_them_from_the_leaders_log),
        T(test_backlog_is_sent_in_batches_of_at_most_max_batch),
        T(test_learner_behind_an_empty_snapshot_still_catches_up),
        T(test_leader_keeps_serving_through_an_acceptor_restart),
        T(test_init_refuses_an_unusable_configuration),
        T(test_init_refuses_a_heartbeat_that_cannot_renew_within_the_lease),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
