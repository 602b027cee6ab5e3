/* test_acceptor_prepare.c: phase 1 at one acceptor (acceptor.h, DESIGN.md
 * section 2): which PREPAREs are promised, durably, and what a PROMISE
 * carries (accepted entries with their ballots, the commit index, caps,
 * the snapshot boundary), and how READ continues a capped promise.
 *
 *   [prepare]  "PREPARE(b, from_slot): if b > promised and no other proposer
 *              holds an unexpired lease, set promised = b, reply PROMISE with
 *              every accepted (slot, ballot, value) at or above from_slot and
 *              its commit index. Else reject with promised, the lease holder
 *              and remaining lease."
 *   [durable]  "durable before replying": each step returns the write-ahead
 *              bytes with the reply; the shell syncs them first.
 *
 * docs/protocol.md ("Acceptor rules"): strict > for PREPARE.
 *
 * The acceptor under test is acceptor_fixture.h: time
 * is the brick's virtual clock, started at T0; OPEN = T0 + LEASE. */
#include "acceptor_fixture.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
