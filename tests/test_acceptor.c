/* test_acceptor.c: the acceptor of one brick (acceptor.h) as a
 * specification of the rules in DESIGN.md section 2, quoted before the
 * tests that check them:
 *
 *   [prepare]  "PREPARE(b, from_slot): if b > promised and no other proposer
 *              holds an unexpired lease, set promised = b, reply PROMISE with
 *              every accepted (slot, ballot, value) at or above from_slot and
 *              its commit index. Else reject with promised, the lease holder
 *              and remaining lease."
 *   [accept]   "ACCEPT(b, first_slot, entries, commit): if b >= promised,
 *              store the entries, promised = b, renew the lease of b's
 *              proposer, reply ACCEPTED; learn commit. Else reject with
 *              promised."
 *   [restart]  "After a restart an acceptor grants no promise to anyone for
 *              one lease duration (it cannot know which lease it granted)."
 *   [durable]  "durable before replying": each step returns the write-ahead
 *              bytes with the reply; the shell syncs them first.
 *   [lease]    "an acceptor measures a lease on its own monotonic clock from
 *              the moment it grants it."
 *   [torn]     "Records are length-prefixed and CRC32C-checked; a torn tail
 *              is detected and cut."
 *   [compact]  "once a prefix is committed and applied, the acceptor keeps a
 *              state snapshot and drops those entries; catch-up of a lagging
 *              brick or learner uses the snapshot plus the tail."
 *
 * docs/protocol.md ("Acceptor rules") settles the details: strict > for
 * PREPARE, commit learnt only over entries of the ACCEPT's own ballot.
 *
 * Time is the brick's virtual clock: the acceptor starts at T0, so its
 * restart quiet period ends at OPEN = T0 + LEASE. */
#include "core_fixture.h"

#include "agora/acceptor.h"
#include "agora/frame.h"

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

static void start(struct agora_acceptor *x, const struct agora_acceptor_config *cfg,
                  agora_time_t now)
{
    assert_int_equal(agora_acceptor_init(x, cfg, ACC_ID, now), AGORA_OK);
}

static int setup(void **state)
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

static int teardown(void **state)
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
static void caps(struct fx *f, uint32_t entries, uint32_t bytes)
{
    agora_acceptor_free(&f->a);
    f->cfg.max_reply_entries = entries;
    f->cfg.max_reply_bytes = bytes;
    start(&f->a, &f->cfg, T0);
}

/* ---- requests -------------------------------------------------------------------- */

static void request(struct fx *f, uint8_t type, struct agora_ballot b, uint64_t slot)
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
static void step_on(struct fx *f, struct agora_acceptor *x, agora_time_t now)
{
    agora_msg_clear(&f->out);
    agora_buf_reset(&f->step_wal);
    assert_int_equal(agora_acceptor_step(x, now, &f->in, &f->out, &f->step_wal), AGORA_OK);
    if (x == &f->a)
        assert_int_equal(agora_buf_put(&f->wal, f->step_wal.data, f->step_wal.len), AGORA_OK);
}

static void step(struct fx *f, agora_time_t now)
{
    step_on(f, &f->a, now);
}

static void prepare(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t from)
{
    request(f, AGORA_MSG_PREPARE, b, from);
    step(f, now);
}

/* ACCEPT(b, first, values[0..n), commit); a NULL value is a no-op. */
static void accept_n(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t first,
                     uint64_t commit, size_t n, const char *const *values)
{
    request(f, AGORA_MSG_ACCEPT, b, first);
    f->in.commit = commit;
    for (size_t i = 0; i < n; i++)
        fx_add_entry(&f->in, first + i, b, values[i]);
    step(f, now);
}

static void accept1(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t slot,
                    uint64_t commit, const char *value)
{
    accept_n(f, now, b, slot, commit, 1, &value);
}

static void heartbeat(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t commit)
{
    accept_n(f, now, b, 0, commit, 0, NULL);
}

static void install(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t index,
                    const char *snap)
{
    request(f, AGORA_MSG_INSTALL, b, 0);
    assert_int_equal(agora_msg_set_snap(&f->in, index, (const uint8_t *)snap,
                                        (uint32_t)strlen(snap)),
                     AGORA_OK);
    step(f, now);
}

static void fetch(struct fx *f, agora_time_t now, uint64_t from)
{
    request(f, AGORA_MSG_FETCH, fx_ballot(0, 7), from);
    step(f, now);
}

static void release(struct fx *f, agora_time_t now, struct agora_ballot b)
{
    request(f, AGORA_MSG_RELEASE, b, 0);
    step(f, now);
}

/* Slots 1..n accepted under b, nothing committed. */
static void accept_five(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t commit)
{
    static const char *const v[] = {"v1", "v2", "v3", "v4", "v5"};
    accept_n(f, now, b, 1, commit, 5, v);
}

/* ---- checks ---------------------------------------------------------------------- */

static void assert_ballot(struct agora_ballot got, struct agora_ballot want)
{
    assert_int_equal(got.round, want.round);
    assert_int_equal(got.node, want.node);
}

static void assert_reject(const struct agora_msg *r, uint8_t reason, struct agora_ballot promised)
{
    assert_int_equal(r->type, AGORA_MSG_REJECT);
    assert_int_equal(r->reason, reason);
    assert_ballot(r->ballot, promised);
}

static void assert_entry(const struct agora_entry *e, uint64_t slot, struct agora_ballot b,
                         const char *value)
{
    fx_assert_value(e, slot, value);
    assert_ballot(e->ballot, b);
}

/* Same durable state: promise, commit, snapshot, log. */
static void assert_same_durable_state(const struct agora_acceptor *x,
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
static int replay(struct fx *f, struct agora_acceptor *x, agora_time_t now, const uint8_t *wal,
                  size_t len, size_t *valid)
{
    agora_acceptor_free(x);
    start(x, &f->cfg, now);
    return agora_acceptor_recover(x, wal, len, valid);
}

/* b := replay of everything a logged; it must be whole and equal to a. */
static void assert_wal_reproduces_state(struct fx *f)
{
    size_t valid = 0;
    assert_int_equal(replay(f, &f->b, T0, f->wal.data, f->wal.len, &valid), AGORA_OK);
    assert_int_equal(valid, f->wal.len);
    assert_same_durable_state(&f->a, &f->b);
}

/* ---- PREPARE [prepare] ----------------------------------------------------------- */

static void test_prepare_above_promise_is_promised(void **state)
{
    struct fx *f = *state;
    /* [prepare] "if b > promised ... set promised = b, reply PROMISE" */
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_ballot(f->out.ballot, fx_ballot(1, 1));
    assert_ballot(f->a.promised, fx_ballot(1, 1));
    prepare(f, OPEN, fx_ballot(2, 3), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_ballot(f->a.promised, fx_ballot(2, 3));
}

static void test_promise_is_in_the_wal_before_the_reply(void **state)
{
    struct fx *f = *state;
    /* [durable] the PROMISE comes with the bytes that make it durable:
     * replaying just those bytes yields the promise. */
    prepare(f, OPEN, fx_ballot(4, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_true(f->step_wal.len > 0);
    size_t valid;
    assert_int_equal(replay(f, &f->b, T0, f->step_wal.data, f->step_wal.len, &valid), AGORA_OK);
    assert_int_equal(valid, f->step_wal.len);
    assert_ballot(f->b.promised, fx_ballot(4, 1));
}

static void test_prepare_with_equal_ballot_is_rejected_with_the_promise(void **state)
{
    struct fx *f = *state;
    /* [prepare] promise only b > promised; "Else reject with promised" */
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(2, 1));
    assert_int_equal(f->step_wal.len, 0);
}

static void test_prepare_with_lower_ballot_is_rejected_with_the_promise(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(3, 2), 1);
    prepare(f, OPEN, fx_ballot(2, 9), 1);
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(3, 2));
    assert_int_equal(f->step_wal.len, 0);
    assert_ballot(f->a.promised, fx_ballot(3, 2));
}

static void test_ballots_compare_by_round_then_node(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(5, 2), 1);
    prepare(f, OPEN, fx_ballot(5, 1), 1); /* same round, lower node */
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(5, 2));
    prepare(f, OPEN, fx_ballot(5, 3), 1); /* same round, higher node */
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    prepare(f, OPEN, fx_ballot(4, 99), 1); /* lower round, any node */
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(5, 3));
}

static void test_promise_carries_accepted_entries_at_or_above_from_slot(void **state)
{
    struct fx *f = *state;
    /* [prepare] "reply PROMISE with every accepted (slot, ballot, value) at
     * or above from_slot" */
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN + LEASE, fx_ballot(2, 2), 3);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_int_equal(f->out.n_entries, 3);
    assert_entry(&f->out.entries[0], 3, fx_ballot(1, 1), "v3");
    assert_entry(&f->out.entries[1], 4, fx_ballot(1, 1), "v4");
    assert_entry(&f->out.entries[2], 5, fx_ballot(1, 1), "v5");
    assert_int_equal(f->out.count, 5); /* complete up to slot 5 */
    assert_int_equal(f->out.reason, 0);
}

static void test_promise_carries_each_entry_with_its_own_ballot(void **state)
{
    struct fx *f = *state;
    accept1(f, OPEN, fx_ballot(1, 1), 1, 0, "old");
    accept1(f, OPEN, fx_ballot(2, 1), 2, 0, "new");
    prepare(f, OPEN, fx_ballot(3, 1), 1);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 1, fx_ballot(1, 1), "old");
    assert_entry(&f->out.entries[1], 2, fx_ballot(2, 1), "new");
}

static void test_promise_carries_committed_entries_too_and_the_commit_index(void **state)
{
    struct fx *f = *state;
    /* [prepare] "... and its commit index" */
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    assert_int_equal(f->a.commit, 2);
    prepare(f, OPEN + 1, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_int_equal(f->out.commit, 2);
    assert_int_equal(f->out.n_entries, 5);
    assert_entry(&f->out.entries[0], 1, fx_ballot(1, 1), "v1");
}

static void test_promise_skips_holes(void **state)
{
    struct fx *f = *state;
    accept1(f, OPEN, fx_ballot(1, 1), 2, 0, "two");
    accept1(f, OPEN, fx_ballot(1, 1), 5, 0, "five");
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 2, fx_ballot(1, 1), "two");
    assert_entry(&f->out.entries[1], 5, fx_ballot(1, 1), "five");
    assert_int_equal(f->out.count, 5);
}

static void test_promise_capped_by_max_reply_entries_is_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 2, 0);
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_int_equal(f->out.n_entries, 2);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
    assert_int_equal(f->out.count, 2);
}

static void test_promise_above_snapshot_reports_snapshot_index_and_tail_only(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"S3", 2, &f->image),
                     AGORA_OK);
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_int_equal(f->out.snap_index, 3);
    assert_int_equal(f->out.slot, 4);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 4, fx_ballot(1, 1), "v4");
}

/* ---- READ ------------------------------------------------------------------------ */

/* lib/acceptor.c: "READ(b, from): more of a PROMISE that was capped.
 * Read-only, and only for the ballot we promised". */

static void read_req(struct fx *f, agora_time_t now, struct agora_ballot b, uint64_t from)
{
    request(f, AGORA_MSG_READ, b, from);
    step(f, now);
}

static void test_read_continues_a_capped_promise_from_the_given_slot(void **state)
{
    struct fx *f = *state;
    caps(f, 2, 0);
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.count, 2);
    read_req(f, OPEN, fx_ballot(2, 1), 3);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_ballot(f->out.ballot, fx_ballot(2, 1));
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 3, fx_ballot(1, 1), "v3");
    assert_entry(&f->out.entries[1], 4, fx_ballot(1, 1), "v4");
    assert_int_equal(f->out.count, 4);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
    read_req(f, OPEN, fx_ballot(2, 1), 5);
    assert_int_equal(f->out.n_entries, 1);
    assert_entry(&f->out.entries[0], 5, fx_ballot(1, 1), "v5");
    assert_int_equal(f->out.count, 5);
    assert_int_equal(f->out.reason, 0);
}

static void test_read_for_a_ballot_other_than_the_promise_is_rejected(void **state)
{
    struct fx *f = *state;
    /* READ only continues the promise already made: a higher ballot must
     * PREPARE, and a lower one lost its promise. */
    prepare(f, OPEN, fx_ballot(2, 1), 1);
    read_req(f, OPEN, fx_ballot(3, 3), 1);
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(2, 1));
    read_req(f, OPEN, fx_ballot(1, 1), 1);
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(2, 1));
    assert_ballot(f->a.promised, fx_ballot(2, 1));
}

static void test_read_changes_nothing_durable_nor_the_lease(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN + 1, fx_ballot(2, 1), 1);
    read_req(f, OPEN + 2, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_int_equal(f->step_wal.len, 0);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 2, &left), 1);
    assert_int_equal(left, LEASE - 2);
}

/* ---- restart rule [restart] ------------------------------------------------------ */

static void test_no_promise_within_one_lease_of_start(void **state)
{
    struct fx *f = *state;
    /* [restart] "grants no promise to anyone for one lease duration" */
    prepare(f, T0, fx_ballot(1, 1), 1);
    assert_reject(&f->out, AGORA_REJECT_RESTART, fx_ballot(0, 0));
    assert_int_equal(f->out.lease_left, LEASE);
    prepare(f, OPEN - 1, fx_ballot(1, 1), 1);
    assert_reject(&f->out, AGORA_REJECT_RESTART, fx_ballot(0, 0));
    assert_int_equal(f->out.lease_left, 1);
    assert_int_equal(f->wal.len, 0);
    assert_true(agora_ballot_is_zero(f->a.promised));
}

static void test_promise_granted_exactly_one_lease_after_start(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
}

static void test_no_promise_within_one_lease_of_start_even_after_recover(void **state)
{
    struct fx *f = *state;
    /* [restart] the rule holds after a replay: the log says what was
     * promised and accepted, not which lease was granted. */
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    accept_five(f, OPEN, fx_ballot(1, 1), 3);
    const agora_time_t t1 = OPEN + 500 * AGORA_SEC;
    size_t valid;
    assert_int_equal(replay(f, &f->b, t1, f->wal.data, f->wal.len, &valid), AGORA_OK);
    request(f, AGORA_MSG_PREPARE, fx_ballot(9, 9), 1);
    step_on(f, &f->b, t1 + LEASE - 1);
    assert_reject(&f->out, AGORA_REJECT_RESTART, fx_ballot(1, 1)); /* the recovered promise */
    assert_int_equal(f->out.lease_left, 1);
    assert_int_equal(f->step_wal.len, 0);
    step_on(f, &f->b, t1 + LEASE);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
}

static void test_restart_rule_holds_back_promises_not_accepts(void **state)
{
    struct fx *f = *state;
    /* The restart rule is about promises; the leader that held the lease
     * keeps working through a restarted acceptor ([accept] b >= promised). */
    accept1(f, T0 + 1, fx_ballot(1, 1), 1, 0, "x");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_entry(agora_log_get(&f->a.log, 1), 1, fx_ballot(1, 1), "x");
}

static void test_restart_reject_reports_remaining_quiet_time_as_lease_left(void **state)
{
    struct fx *f = *state;
    prepare(f, T0 + 3 * AGORA_SEC, fx_ballot(1, 1), 1);
    assert_reject(&f->out, AGORA_REJECT_RESTART, fx_ballot(0, 0));
    assert_int_equal(f->out.lease_left, LEASE - 3 * AGORA_SEC);
}

/* ---- leases [prepare] [lease] ---------------------------------------------------- */

static void test_prepare_from_another_proposer_is_rejected_while_lease_is_live(void **state)
{
    struct fx *f = *state;
    /* [prepare] "... and no other proposer holds an unexpired lease ...
     * Else reject with promised, the lease holder and remaining lease." */
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN + 3 * AGORA_SEC, fx_ballot(2, 2), 1);
    assert_reject(&f->out, AGORA_REJECT_LEASE, fx_ballot(1, 1));
    assert_int_equal(f->out.lease_holder, 1);
    assert_int_equal(f->out.lease_left, LEASE - 3 * AGORA_SEC);
    assert_int_equal(f->step_wal.len, 0);
    assert_ballot(f->a.promised, fx_ballot(1, 1));
}

static void test_prepare_from_the_lease_holder_is_promised(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN + 1, fx_ballot(2, 1), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_ballot(f->a.promised, fx_ballot(2, 1));
}

static void test_prepare_from_another_proposer_is_promised_once_lease_expires(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    prepare(f, OPEN + LEASE - 1, fx_ballot(2, 2), 1);
    assert_reject(&f->out, AGORA_REJECT_LEASE, fx_ballot(1, 1));
    assert_int_equal(f->out.lease_left, 1);
    prepare(f, OPEN + LEASE, fx_ballot(2, 2), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
    assert_int_equal(f->out.lease_holder, 0);
}

static void test_lease_query_reports_holder_and_time_left(void **state)
{
    struct fx *f = *state;
    agora_time_t left = 123;
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN, &left), 0);
    assert_int_equal(left, 0);
    heartbeat(f, OPEN, fx_ballot(1, 4), 0);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 2, &left), 4);
    assert_int_equal(left, LEASE - 2);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + LEASE, &left), 0);
    assert_int_equal(left, 0);
}

/* ---- ACCEPT [accept] ------------------------------------------------------------- */

static void test_accept_at_the_promised_ballot_stores_entries(void **state)
{
    struct fx *f = *state;
    /* [accept] "if b >= promised, store the entries ... reply ACCEPTED" */
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    static const char *const v[] = {"a", NULL, "c"};
    accept_n(f, OPEN, fx_ballot(1, 1), 1, 0, 3, v);
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_ballot(f->out.ballot, fx_ballot(1, 1));
    assert_int_equal(f->out.slot, 1);
    assert_int_equal(f->out.count, 3);
    assert_entry(agora_log_get(&f->a.log, 1), 1, fx_ballot(1, 1), "a");
    assert_entry(agora_log_get(&f->a.log, 2), 2, fx_ballot(1, 1), NULL);
    assert_entry(agora_log_get(&f->a.log, 3), 3, fx_ballot(1, 1), "c");
}

static void test_accept_above_the_promise_raises_it_durably(void **state)
{
    struct fx *f = *state;
    /* [accept] "promised = b" */
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    accept1(f, OPEN, fx_ballot(3, 2), 1, 0, "x");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_ballot(f->a.promised, fx_ballot(3, 2));
    prepare(f, OPEN + 2 * LEASE, fx_ballot(2, 5), 1);
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(3, 2));
    assert_wal_reproduces_state(f);
}

static void test_accepted_entries_are_in_the_wal_before_the_reply(void **state)
{
    struct fx *f = *state;
    /* [durable] replaying the bytes of the ACCEPT step alone yields the
     * entries and the promise. */
    static const char *const v[] = {"one", "two"};
    accept_n(f, OPEN, fx_ballot(2, 1), 1, 0, 2, v);
    size_t valid;
    assert_int_equal(replay(f, &f->b, T0, f->step_wal.data, f->step_wal.len, &valid), AGORA_OK);
    assert_int_equal(valid, f->step_wal.len);
    assert_ballot(f->b.promised, fx_ballot(2, 1));
    assert_entry(agora_log_get(&f->b.log, 1), 1, fx_ballot(2, 1), "one");
    assert_entry(agora_log_get(&f->b.log, 2), 2, fx_ballot(2, 1), "two");
}

static void test_accept_stores_entries_under_the_accept_ballot(void **state)
{
    struct fx *f = *state;
    /* An accepted value is (slot, b, value) for the ACCEPT's b, whatever
     * ballot the sender left in the entry. */
    request(f, AGORA_MSG_ACCEPT, fx_ballot(4, 2), 1);
    fx_add_entry(&f->in, 1, fx_ballot(1, 9), "v");
    step(f, OPEN);
    assert_entry(agora_log_get(&f->a.log, 1), 1, fx_ballot(4, 2), "v");
}

static void test_accept_overwrites_uncommitted_value_of_older_ballot(void **state)
{
    struct fx *f = *state;
    accept1(f, OPEN, fx_ballot(1, 1), 1, 0, "old");
    accept1(f, OPEN, fx_ballot(2, 2), 1, 0, "new");
    assert_entry(agora_log_get(&f->a.log, 1), 1, fx_ballot(2, 2), "new");
    assert_wal_reproduces_state(f);
}

static void test_accept_leaves_committed_slots_alone(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 3);
    accept1(f, OPEN, fx_ballot(2, 2), 2, 0, "other");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_entry(agora_log_get(&f->a.log, 2), 2, fx_ballot(1, 1), "v2");
    assert_wal_reproduces_state(f);
}

static void test_accept_below_the_promise_is_rejected_with_the_promise(void **state)
{
    struct fx *f = *state;
    /* [accept] "Else reject with promised." */
    prepare(f, OPEN, fx_ballot(2, 2), 1);
    accept1(f, OPEN, fx_ballot(1, 1), 1, 0, "late");
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(2, 2));
    assert_null(agora_log_get(&f->a.log, 1));
    assert_int_equal(f->step_wal.len, 0);
    agora_time_t left;
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN, &left), 0); /* no lease for it */
}

static void test_accept_renews_the_lease_from_its_arrival(void **state)
{
    struct fx *f = *state;
    /* [accept] "renew the lease of b's proposer"; [lease] measured from the
     * moment it is granted, on the acceptor's clock. */
    agora_time_t left;
    heartbeat(f, OPEN, fx_ballot(1, 3), 0);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN, &left), 3);
    assert_int_equal(left, LEASE);
    heartbeat(f, OPEN + 4 * AGORA_SEC, fx_ballot(1, 3), 0);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + LEASE, &left), 3);
    assert_int_equal(left, 4 * AGORA_SEC);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 4 * AGORA_SEC + LEASE, &left), 0);
}

static void test_accept_from_a_higher_ballot_moves_the_lease_to_its_proposer(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    heartbeat(f, OPEN + 1, fx_ballot(2, 2), 0);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 1, &left), 2);
    assert_int_equal(left, LEASE);
}

static void test_accept_reply_reports_the_acceptor_commit(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    assert_int_equal(f->out.commit, 4);
}

static void test_replies_echo_tag_and_seq_and_address_the_sender(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 5), 0);
    assert_int_equal(f->out.from, ACC_ID);
    assert_int_equal(f->out.to, 5);
    assert_int_equal(f->out.tag, TAG);
    assert_int_equal(f->out.seq, f->seq);
    prepare(f, OPEN, fx_ballot(1, 6), 1); /* a reject echoes them too */
    assert_int_equal(f->out.type, AGORA_MSG_REJECT);
    assert_int_equal(f->out.to, 6);
    assert_int_equal(f->out.tag, TAG);
    assert_int_equal(f->out.seq, f->seq);
}

static void test_reply_comes_from_the_index_the_request_was_addressed_to(void **state)
{
    struct fx *f = *state;
    /* docs/protocol.md: "A brick answers as the acceptor index the request
     * was addressed to: a brick cannot know its own index." */
    request(f, AGORA_MSG_ACCEPT, fx_ballot(1, 5), 0);
    f->in.to = 0;
    step(f, OPEN);
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_int_equal(f->out.from, 0);
    request(f, AGORA_MSG_PREPARE, fx_ballot(1, 6), 1);
    f->in.to = 1;
    step(f, OPEN);
    assert_int_equal(f->out.type, AGORA_MSG_REJECT);
    assert_int_equal(f->out.from, 1);
}

/* ---- learning the commit [accept] "learn commit" --------------------------------- */

static void test_commit_is_learned_over_entries_of_the_leaders_ballot(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    assert_int_equal(f->a.commit, 0);
    heartbeat(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(f->a.commit, 5);
    assert_int_equal(f->out.commit, 5);
    assert_wal_reproduces_state(f); /* the commit is durable too */
}

static void test_commit_never_passes_the_leaders_commit(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    assert_int_equal(f->a.commit, 2);
}

static void test_commit_stops_at_a_stale_entry_of_an_older_ballot(void **state)
{
    struct fx *f = *state;
    /* Slot 2 still holds a value of ballot (1,1); the leader of (2,2) may
     * have chosen another value there, so its commit index does not cover
     * what this acceptor holds. */
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    accept1(f, OPEN, fx_ballot(2, 2), 1, 5, "new1");
    assert_int_equal(f->a.commit, 1);
}

static void test_commit_stops_at_a_hole(void **state)
{
    struct fx *f = *state;
    accept1(f, OPEN, fx_ballot(1, 1), 1, 0, "a");
    accept1(f, OPEN, fx_ballot(1, 1), 3, 3, "c");
    assert_int_equal(f->a.commit, 1);
}

static void test_commit_never_goes_backwards(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    heartbeat(f, OPEN, fx_ballot(1, 1), 2);
    assert_int_equal(f->a.commit, 4);
}

/* ---- INSTALL [compact] ----------------------------------------------------------- */

static void test_install_sets_snapshot_and_commit_and_drops_covered_entries(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    accept1(f, OPEN, fx_ballot(1, 1), 8, 0, "eight");
    install(f, OPEN, fx_ballot(2, 1), 6, "state@6");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_int_equal(f->out.slot, 7);
    assert_int_equal(f->out.count, 0);
    assert_int_equal(f->out.commit, 6);
    assert_int_equal(f->a.snap_index, 6);
    assert_int_equal(f->a.snap_len, 7);
    assert_memory_equal(f->a.snap, "state@6", 7);
    assert_int_equal(f->a.commit, 6);
    assert_int_equal(f->a.log.base, 6);
    assert_null(agora_log_get(&f->a.log, 5));
    assert_entry(agora_log_get(&f->a.log, 8), 8, fx_ballot(1, 1), "eight");
    assert_ballot(f->a.promised, fx_ballot(2, 1));
    assert_wal_reproduces_state(f);
}

static void test_install_renews_the_lease(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    install(f, OPEN, fx_ballot(1, 3), 2, "s");
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN, &left), 3);
    assert_int_equal(left, LEASE);
}

static void test_install_at_or_below_commit_changes_nothing(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    install(f, OPEN, fx_ballot(1, 1), 3, "older");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_int_equal(f->a.snap_index, 0);
    assert_null(f->a.snap);
    assert_int_equal(f->a.commit, 4);
    assert_entry(agora_log_get(&f->a.log, 1), 1, fx_ballot(1, 1), "v1");
}

static void test_install_below_the_promise_is_rejected(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(3, 3), 1);
    install(f, OPEN, fx_ballot(2, 2), 5, "s");
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(3, 3));
    assert_int_equal(f->a.snap_index, 0);
    assert_int_equal(f->step_wal.len, 0);
}

/* ---- FETCH [compact] ------------------------------------------------------------- */

static void test_fetch_returns_only_committed_entries(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.type, AGORA_MSG_FETCHED);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 1, fx_ballot(1, 1), "v1");
    assert_entry(&f->out.entries[1], 2, fx_ballot(1, 1), "v2");
    assert_int_equal(f->out.count, 2);
    assert_int_equal(f->out.commit, 2);
    assert_int_equal(f->out.reason, 0);
    assert_null(f->out.snap);
}

static void test_fetch_from_above_commit_returns_no_entries(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    fetch(f, OPEN, 3);
    assert_int_equal(f->out.type, AGORA_MSG_FETCHED);
    assert_int_equal(f->out.n_entries, 0);
    assert_int_equal(f->out.commit, 2);
    assert_int_equal(f->out.reason, 0);
}

static void test_fetch_changes_nothing_durable(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    fetch(f, OPEN, 1);
    assert_int_equal(f->step_wal.len, 0);
    assert_ballot(f->a.promised, fx_ballot(1, 1));
}

static void test_fetch_reports_the_lease_holder(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 4), 0);
    fetch(f, OPEN + AGORA_SEC, 1);
    assert_int_equal(f->out.lease_holder, 4);
    assert_int_equal(f->out.lease_left, LEASE - AGORA_SEC);
}

static void test_fetch_at_or_below_snapshot_returns_snapshot_then_tail(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"S3", 2, &f->image),
                     AGORA_OK);
    for (uint64_t from = 1; from <= 3; from++) {
        fetch(f, OPEN, from);
        assert_int_equal(f->out.type, AGORA_MSG_FETCHED);
        assert_true(f->out.reason & AGORA_REPLY_SNAPSHOT);
        assert_int_equal(f->out.snap_index, 3);
        assert_int_equal(f->out.snap_len, 2);
        assert_memory_equal(f->out.snap, "S3", 2);
        assert_int_equal(f->out.n_entries, 2);
        assert_entry(&f->out.entries[0], 4, fx_ballot(1, 1), "v4");
        assert_entry(&f->out.entries[1], 5, fx_ballot(1, 1), "v5");
    }
}

static void test_fetch_above_snapshot_omits_it(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"S3", 2, &f->image),
                     AGORA_OK);
    fetch(f, OPEN, 4);
    assert_false(f->out.reason & AGORA_REPLY_SNAPSHOT);
    assert_null(f->out.snap);
    assert_int_equal(f->out.snap_len, 0);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 4, fx_ballot(1, 1), "v4");
}

static void test_fetch_marks_an_empty_snapshot_as_carried(void **state)
{
    struct fx *f = *state;
    /* a snapshot of zero bytes is still a snapshot: the flag says so */
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, NULL, 0, &f->image), AGORA_OK);
    fetch(f, OPEN, 1);
    assert_true(f->out.reason & AGORA_REPLY_SNAPSHOT);
    assert_int_equal(f->out.snap_index, 3);
    assert_int_equal(f->out.snap_len, 0);
    assert_int_equal(f->out.n_entries, 2);
}

static void test_fetch_capped_by_max_reply_entries_is_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 2, 0);
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.n_entries, 2);
    assert_int_equal(f->out.count, 2);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
    fetch(f, OPEN, 3);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 3, fx_ballot(1, 1), "v3");
    assert_int_equal(f->out.count, 4);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
    fetch(f, OPEN, 5);
    assert_int_equal(f->out.n_entries, 1);
    assert_int_equal(f->out.count, 5);
    assert_int_equal(f->out.reason, 0);
}

static void test_fetch_of_exactly_the_cap_is_not_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 2, 0);
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    fetch(f, OPEN, 4);
    assert_int_equal(f->out.n_entries, 2);
    assert_int_equal(f->out.count, 5);
    assert_int_equal(f->out.reason, 0);
}

static void test_fetch_capped_by_max_reply_bytes_is_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 0, 5);
    static const char *const v[] = {"aaa", "bbb", "ccc"};
    accept_n(f, OPEN, fx_ballot(1, 1), 1, 3, 3, v);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.n_entries, 1);
    assert_int_equal(f->out.count, 1);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
}

/* A capped reply carries at least one entry, however large: otherwise a
 * learner behind an entry bigger than max_reply_bytes would get an empty
 * PARTIAL reply forever (and re-poll at once: a busy loop). Regression: the
 * core of commit 99dc156 did exactly that. */
static void test_fetch_returns_an_entry_larger_than_the_byte_cap(void **state)
{
    struct fx *f = *state;
    caps(f, 0, 4);
    accept1(f, OPEN, fx_ballot(1, 1), 1, 1, "0123456789");
    assert_int_equal(f->a.commit, 1);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.n_entries, 1);
    assert_entry(&f->out.entries[0], 1, fx_ballot(1, 1), "0123456789");
}

/* ---- RELEASE --------------------------------------------------------------------- */

static void test_release_from_the_lease_holder_drops_the_lease(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    release(f, OPEN + 1, fx_ballot(1, 1));
    assert_int_equal(f->out.type, AGORA_MSG_RELEASED);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 1, &left), 0);
    prepare(f, OPEN + 2, fx_ballot(2, 2), 1);
    assert_int_equal(f->out.type, AGORA_MSG_PROMISE);
}

static void test_release_from_another_node_keeps_the_lease(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    release(f, OPEN + 1, fx_ballot(1, 2));
    assert_int_equal(f->out.type, AGORA_MSG_RELEASED);
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 1, &left), 1);
}

static void test_release_from_an_older_term_keeps_the_lease(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    /* A delayed RELEASE of node 1's previous term must not end its current one. */
    heartbeat(f, OPEN, fx_ballot(3, 1), 0);
    release(f, OPEN + 1, fx_ballot(2, 1));
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN + 1, &left), 1);
}

static void test_release_writes_nothing_durable(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    release(f, OPEN + 1, fx_ballot(1, 1));
    assert_int_equal(f->step_wal.len, 0);
    assert_ballot(f->a.promised, fx_ballot(1, 1));
}

/* ---- recovery [durable] [torn] --------------------------------------------------- */

/* A history that touches every kind of record. */
static void history(struct fx *f)
{
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    static const char *const v[] = {"a", NULL, "c", "d"};
    accept_n(f, OPEN, fx_ballot(1, 1), 1, 0, 4, v);
    heartbeat(f, OPEN, fx_ballot(1, 1), 2);
    /* node 1's lease lapsed: node 3 takes over */
    prepare(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 1);
    accept1(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 3, 3, "C");
    accept1(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 8, 3, "h");
    install(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 5, "snap@5");
    accept1(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 6, 5, "f");
    prepare(f, OPEN + 4 * LEASE, fx_ballot(4, 2), 1);
}

static void test_recover_reproduces_promise_log_commit_and_snapshot(void **state)
{
    struct fx *f = *state;
    history(f);
    assert_wal_reproduces_state(f);
    assert_ballot(f->b.promised, fx_ballot(4, 2));
    assert_int_equal(f->b.commit, 5);
    assert_int_equal(f->b.snap_index, 5);
    assert_int_equal(f->b.snap_len, 6);
    assert_memory_equal(f->b.snap, "snap@5", 6);
    assert_null(agora_log_get(&f->b.log, 4));
    assert_entry(agora_log_get(&f->b.log, 6), 6, fx_ballot(2, 3), "f");
    assert_null(agora_log_get(&f->b.log, 7));
    assert_entry(agora_log_get(&f->b.log, 8), 8, fx_ballot(2, 3), "h");
}

static void test_recover_does_not_restore_the_lease(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    size_t valid;
    assert_int_equal(replay(f, &f->b, OPEN + 1, f->wal.data, f->wal.len, &valid), AGORA_OK);
    agora_time_t left;
    /* The lease is volatile; the restart rule stands in for it. */
    assert_int_equal(agora_acceptor_lease(&f->b, OPEN + 1, &left), 0);
    assert_int_equal(f->b.quiet_until, OPEN + 1 + LEASE);
}

static void test_recover_of_an_empty_log_is_the_initial_state(void **state)
{
    struct fx *f = *state;
    size_t valid = 99;
    assert_int_equal(replay(f, &f->b, T0, NULL, 0, &valid), AGORA_OK);
    assert_int_equal(valid, 0);
    assert_same_durable_state(&f->a, &f->b);
}

static void test_recover_cuts_a_torn_tail_at_every_length(void **state)
{
    struct fx *f = *state;
    history(f);
    for (size_t len = 0; len <= f->wal.len; len++) {
        /* Exactly len bytes, so a read past them is caught by ASan. */
        uint8_t *copy = agora_malloc(len);
        assert_non_null(copy);
        if (len > 0)
            memcpy(copy, f->wal.data, len);
        size_t valid = 99, whole;
        int rc = replay(f, &f->b, T0, copy, len, &valid);
        agora_free(copy);
        assert_int_equal(rc, AGORA_OK);
        /* [torn] the trusted prefix is the whole frames, nothing more */
        whole = agora_frame_valid_prefix(f->wal.data, len);
        assert_int_equal(valid, whole);
        assert_true(valid <= len);
        /* and the state is that prefix's */
        assert_int_equal(replay(f, &f->c, T0, f->wal.data, whole, &valid), AGORA_OK);
        assert_same_durable_state(&f->b, &f->c);
    }
}

static void test_recover_stops_at_a_corrupt_frame_and_ignores_later_ones(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    size_t keep = f->wal.len;
    accept1(f, OPEN, fx_ballot(1, 1), 1, 0, "lost");
    accept1(f, OPEN, fx_ballot(1, 1), 2, 0, "also lost");
    f->wal.data[keep + AGORA_FRAME_HDR + 3] ^= 0x40; /* inside the first ACCEPTED record */
    size_t valid;
    assert_int_equal(replay(f, &f->b, T0, f->wal.data, f->wal.len, &valid), AGORA_OK);
    assert_int_equal(valid, keep);
    assert_true(valid < f->wal.len);
    assert_ballot(f->b.promised, fx_ballot(1, 1));
    assert_null(agora_log_get(&f->b.log, 1));
    assert_null(agora_log_get(&f->b.log, 2));
}

static void test_corrupt_record_inside_a_valid_frame_is_ECORRUPT(void **state)
{
    struct fx *f = *state;
    static const uint8_t unknown_kind[] = {99, 0, 0, 0};
    static const uint8_t short_promise[] = {1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0}; /* node: 2 of 4 */
    static const uint8_t long_commit[] = {3, 1, 0, 0, 0, 0, 0, 0, 0, 0xEE};   /* trailing byte */
    static const uint8_t accepted_blob_too_long[] = {
        2, 1, 0, 0, 0, 0, 0, 0, 0, /* slot 1 */
        1, 0, 0, 0, 0, 0, 0, 0,    /* round 1 */
        1, 0, 0, 0,                /* node 1 */
        9, 0, 0, 0, 'x',           /* says 9 bytes, has 1 */
    };
    static const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {
        {unknown_kind, sizeof(unknown_kind)},
        {short_promise, sizeof(short_promise)},
        {long_commit, sizeof(long_commit)},
        {accepted_blob_too_long, sizeof(accepted_blob_too_long)},
    };
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    size_t good = f->wal.len;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f->wal.len = good;
        assert_int_equal(agora_frame_put(&f->wal, bad[i].p, bad[i].n), AGORA_OK);
        size_t valid = 99;
        assert_int_equal(replay(f, &f->b, T0, f->wal.data, f->wal.len, &valid), AGORA_ECORRUPT);
        assert_int_equal(valid, good);
    }
}

/* ---- compaction [compact] -------------------------------------------------------- */

static void test_compaction_image_replays_to_the_same_state(void **state)
{
    struct fx *f = *state;
    history(f);
    static const char *const v[] = {"F", "G", "H"};
    accept_n(f, OPEN + 4 * LEASE, fx_ballot(4, 2), 6, 7, 3, v);
    assert_int_equal(f->a.commit, 7);
    assert_int_equal(agora_acceptor_compact(&f->a, 7, (const uint8_t *)"snap@7", 6, &f->image),
                     AGORA_OK);
    assert_int_equal(f->a.snap_index, 7);
    assert_null(agora_log_get(&f->a.log, 7));
    assert_entry(agora_log_get(&f->a.log, 8), 8, fx_ballot(4, 2), "H");
    size_t valid;
    assert_int_equal(replay(f, &f->b, T0, f->image.data, f->image.len, &valid), AGORA_OK);
    assert_int_equal(valid, f->image.len);
    assert_same_durable_state(&f->a, &f->b);
}

static void test_compaction_image_plus_later_records_replays_to_live_state(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    assert_int_equal(agora_acceptor_compact(&f->a, 4, (const uint8_t *)"S4", 2, &f->image),
                     AGORA_OK);
    /* The shell renames the image over the log and appends from there. */
    agora_buf_reset(&f->wal);
    assert_int_equal(agora_buf_put(&f->wal, f->image.data, f->image.len), AGORA_OK);
    accept1(f, OPEN, fx_ballot(2, 2), 6, 5, "six");
    prepare(f, OPEN + 2 * LEASE, fx_ballot(3, 3), 1);
    assert_wal_reproduces_state(f);
    assert_int_equal(f->b.commit, 4); /* slot 5 holds (1,1): not covered by (2,2)'s commit */
}

static void test_compact_refuses_beyond_commit_or_below_snapshot(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 3);
    assert_int_equal(agora_acceptor_compact(&f->a, 4, (const uint8_t *)"s", 1, &f->image),
                     AGORA_EINVAL);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"s", 1, &f->image),
                     AGORA_OK);
    agora_buf_reset(&f->image);
    assert_int_equal(agora_acceptor_compact(&f->a, 2, (const uint8_t *)"s", 1, &f->image),
                     AGORA_EINVAL);
    assert_int_equal(f->a.snap_index, 3);
}

/* ---- the interface --------------------------------------------------------------- */

static void test_step_refuses_messages_an_acceptor_does_not_take(void **state)
{
    struct fx *f = *state;
    static const uint8_t types[] = {
        0, AGORA_MSG_PROMISE, AGORA_MSG_ACCEPTED, AGORA_MSG_REJECT,
        AGORA_MSG_FETCHED, AGORA_MSG_RELEASED, AGORA_MSG_TYPE_MAX + 1,
    };
    for (size_t i = 0; i < sizeof(types); i++) {
        request(f, types[i], fx_ballot(1, 1), 1);
        agora_msg_clear(&f->out);
        agora_buf_reset(&f->step_wal);
        assert_int_equal(agora_acceptor_step(&f->a, OPEN, &f->in, &f->out, &f->step_wal),
                         AGORA_EINVAL);
        assert_int_equal(f->step_wal.len, 0);
    }
}

static void test_init_refuses_a_zero_lease(void **state)
{
    struct fx *f = *state;
    struct agora_acceptor_config cfg = {0, 0, 0};
    agora_acceptor_free(&f->b);
    assert_int_equal(agora_acceptor_init(&f->b, &cfg, 0, T0), AGORA_EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_prepare_above_promise_is_promised),
        T(test_promise_is_in_the_wal_before_the_reply),
        T(test_prepare_with_equal_ballot_is_rejected_with_the_promise),
        T(test_prepare_with_lower_ballot_is_rejected_with_the_promise),
        T(test_ballots_compare_by_round_then_node),
        T(test_promise_carries_accepted_entries_at_or_above_from_slot),
        T(test_promise_carries_each_entry_with_its_own_ballot),
        T(test_promise_carries_committed_entries_too_and_the_commit_index),
        T(test_promise_skips_holes),
        T(test_promise_capped_by_max_reply_entries_is_partial),
        T(test_promise_above_snapshot_reports_snapshot_index_and_tail_only),
        T(test_read_continues_a_capped_promise_from_the_given_slot),
        T(test_read_for_a_ballot_other_than_the_promise_is_rejected),
        T(test_read_changes_nothing_durable_nor_the_lease),
        T(test_no_promise_within_one_lease_of_start),
        T(test_promise_granted_exactly_one_lease_after_start),
        T(test_no_promise_within_one_lease_of_start_even_after_recover),
        T(test_restart_rule_holds_back_promises_not_accepts),
        T(test_restart_reject_reports_remaining_quiet_time_as_lease_left),
        T(test_prepare_from_another_proposer_is_rejected_while_lease_is_live),
        T(test_prepare_from_the_lease_holder_is_promised),
        T(test_prepare_from_another_proposer_is_promised_once_lease_expires),
        T(test_lease_query_reports_holder_and_time_left),
        T(test_accept_at_the_promised_ballot_stores_entries),
        T(test_accept_above_the_promise_raises_it_durably),
        T(test_accepted_entries_are_in_the_wal_before_the_reply),
        T(test_accept_stores_entries_under_the_accept_ballot),
        T(test_accept_overwrites_uncommitted_value_of_older_ballot),
        T(test_accept_leaves_committed_slots_alone),
        T(test_accept_below_the_promise_is_rejected_with_the_promise),
        T(test_accept_renews_the_lease_from_its_arrival),
        T(test_accept_from_a_higher_ballot_moves_the_lease_to_its_proposer),
        T(test_accept_reply_reports_the_acceptor_commit),
        T(test_replies_echo_tag_and_seq_and_address_the_sender),
        T(test_reply_comes_from_the_index_the_request_was_addressed_to),
        T(test_commit_is_learned_over_entries_of_the_leaders_ballot),
        T(test_commit_never_passes_the_leaders_commit),
        T(test_commit_stops_at_a_stale_entry_of_an_older_ballot),
        T(test_commit_stops_at_a_hole),
        T(test_commit_never_goes_backwards),
        T(test_install_sets_snapshot_and_commit_and_drops_covered_entries),
        T(test_install_renews_the_lease),
        T(test_install_at_or_below_commit_changes_nothing),
        T(test_install_below_the_promise_is_rejected),
        T(test_fetch_returns_only_committed_entries),
        T(test_fetch_from_above_commit_returns_no_entries),
        T(test_fetch_changes_nothing_durable),
        T(test_fetch_reports_the_lease_holder),
        T(test_fetch_at_or_below_snapshot_returns_snapshot_then_tail),
        T(test_fetch_above_snapshot_omits_it),
        T(test_fetch_marks_an_empty_snapshot_as_carried),
        T(test_fetch_capped_by_max_reply_entries_is_partial),
        T(test_fetch_of_exactly_the_cap_is_not_partial),
        T(test_fetch_capped_by_max_reply_bytes_is_partial),
        T(test_fetch_returns_an_entry_larger_than_the_byte_cap),
        T(test_release_from_the_lease_holder_drops_the_lease),
        T(test_release_from_another_node_keeps_the_lease),
        T(test_release_from_an_older_term_keeps_the_lease),
        T(test_release_writes_nothing_durable),
        T(test_recover_reproduces_promise_log_commit_and_snapshot),
        T(test_recover_does_not_restore_the_lease),
        T(test_recover_of_an_empty_log_is_the_initial_state),
        T(test_recover_cuts_a_torn_tail_at_every_length),
        T(test_recover_stops_at_a_corrupt_frame_and_ignores_later_ones),
        T(test_corrupt_record_inside_a_valid_frame_is_ECORRUPT),
        T(test_compaction_image_replays_to_the_same_state),
        T(test_compaction_image_plus_later_records_replays_to_live_state),
        T(test_compact_refuses_beyond_commit_or_below_snapshot),
        T(test_step_refuses_messages_an_acceptor_does_not_take),
        T(test_init_refuses_a_zero_lease),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
