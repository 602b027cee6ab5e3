/* test_acceptor_accept.c: phase 2 at one acceptor (acceptor.h, DESIGN.md
 * section 2): which ACCEPTs are stored, durably and under which ballot, how
 * the commit index is learnt from them, and how every reply is addressed;
 * step() refuses messages an acceptor does not take.
 *
 *   [accept]   "ACCEPT(b, first_slot, entries, commit): if b >= promised,
 *              store the entries, promised = b, renew the lease of b's
 *              proposer, reply ACCEPTED; learn commit. Else reject with
 *              promised."
 *   [durable]  "durable before replying": each step returns the write-ahead
 *              bytes with the reply; the shell syncs them first.
 *
 * docs/protocol.md ("Acceptor rules"): commit learnt only over entries of
 * the ACCEPT's own ballot.
 *
 * The acceptor under test is acceptor_fixture.h: time
 * is the brick's virtual clock, started at T0; OPEN = T0 + LEASE. */
#include "acceptor_fixture.h"

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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_accept_at_the_promised_ballot_stores_entries),
        T(test_accept_above_the_promise_raises_it_durably),
        T(test_accepted_entries_are_in_the_wal_before_the_reply),
        T(test_accept_stores_entries_under_the_accept_ballot),
        T(test_accept_overwrites_uncommitted_value_of_older_ballot),
        T(test_accept_leaves_committed_slots_alone),
        T(test_accept_below_the_promise_is_rejected_with_the_promise),
        T(test_accept_reply_reports_the_acceptor_commit),
        T(test_replies_echo_tag_and_seq_and_address_the_sender),
        T(test_reply_comes_from_the_index_the_request_was_addressed_to),
        T(test_commit_is_learned_over_entries_of_the_leaders_ballot),
        T(test_commit_never_passes_the_leaders_commit),
        T(test_commit_stops_at_a_stale_entry_of_an_older_ballot),
        T(test_commit_stops_at_a_hole),
        T(test_commit_never_goes_backwards),
        T(test_step_refuses_messages_an_acceptor_does_not_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
