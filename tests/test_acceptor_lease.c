/* test_acceptor_lease.c: the lease as one acceptor keeps it (acceptor.h,
 * DESIGN.md section 2): no promise for one lease after a start, none to
 * another proposer while a lease is live; ACCEPT grants and renews the
 * lease on the acceptor's own clock, RELEASE from its holder drops it.
 *
 *   [restart]  "After a restart an acceptor grants no promise to anyone for
 *              one lease duration (it cannot know which lease it granted)."
 *   [prepare]  "... if b > promised and no other proposer holds an unexpired
 *              lease ... Else reject with promised, the lease holder and
 *              remaining lease."
 *   [accept]   "... renew the lease of b's proposer ..."
 *   [lease]    "an acceptor measures a lease on its own monotonic clock from
 *              the moment it grants it."
 *
 * The acceptor under test is acceptor_fixture.h: time
 * is the brick's virtual clock, started at T0; OPEN = T0 + LEASE. */
#include "acceptor_fixture.h"

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

/* ---- renewal by ACCEPT [accept] [lease] ------------------------------------------ */

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

/* ---- configuration --------------------------------------------------------------- */

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
        T(test_no_promise_within_one_lease_of_start),
        T(test_promise_granted_exactly_one_lease_after_start),
        T(test_no_promise_within_one_lease_of_start_even_after_recover),
        T(test_restart_rule_holds_back_promises_not_accepts),
        T(test_restart_reject_reports_remaining_quiet_time_as_lease_left),
        T(test_prepare_from_another_proposer_is_rejected_while_lease_is_live),
        T(test_prepare_from_the_lease_holder_is_promised),
        T(test_prepare_from_another_proposer_is_promised_once_lease_expires),
        T(test_lease_query_reports_holder_and_time_left),
        T(test_accept_renews_the_lease_from_its_arrival),
        T(test_accept_from_a_higher_ballot_moves_the_lease_to_its_proposer),
        T(test_release_from_the_lease_holder_drops_the_lease),
        T(test_release_from_another_node_keeps_the_lease),
        T(test_release_from_an_older_term_keeps_the_lease),
        T(test_release_writes_nothing_durable),
        T(test_init_refuses_a_zero_lease),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
