/* test_proposer_election.c: who leads (proposer.h, DESIGN.md section 2). A
 * proposer is elected only after the acceptors' quiet period and never
 * against a live lease; a new leader re-proposes what its quorum may have
 * chosen; a leader steps down before a higher ballot or when it resigns, and
 * what was committed survives the change of leader.
 *
 *   [phase1]  "a leader runs phase 1 once for all future slots, then phase 2
 *             per batch of entries"; the acceptors' PROMISEs carry "every
 *             accepted (slot, ballot, value) at or above from_slot".
 *   [restart] "After a restart an acceptor grants no promise to anyone for
 *             one lease duration".
 *
 * The in-process cluster is cluster_fixture.h. */
#include "cluster_fixture.h"

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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lone_proposer_is_elected_only_after_the_acceptors_quiet_period),
        T(test_proposal_on_a_follower_is_refused_with_ENOTLEADER),
        T(test_follower_does_not_campaign_while_it_sees_a_live_lease),
        T(test_follower_ignores_one_acceptor_reporting_no_lease),
        T(test_promise_from_another_incarnation_is_ignored),
        T(test_new_leader_adopts_a_value_accepted_by_one_acceptor_of_its_quorum),
        T(test_new_leader_fills_gaps_with_noops),
        T(test_new_leader_prefers_the_value_of_the_highest_ballot),
        T(test_election_succeeds_with_an_uncommitted_tail_longer_than_a_promise),
        T(test_candidate_gives_up_only_when_refusals_put_a_quorum_out_of_reach),
        T(test_leader_steps_down_on_a_reject_with_a_higher_ballot),
        T(test_resign_releases_the_lease_so_another_proposer_leads_without_waiting),
        T(test_failover_keeps_committed_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
