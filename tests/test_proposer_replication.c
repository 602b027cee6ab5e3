/* test_proposer_replication.c: how a leader gets entries committed
 * (proposer.h, DESIGN.md section 2, phase 2). Proposals commit in order
 * once a quorum holds them and never without one; lost ACCEPTs are repaired
 * at once, proposals are batched while an acceptor has not answered, and
 * max_inflight / max_batch bound what is outstanding; acceptors that missed
 * entries, were compacted past, or restarted are brought up to date.
 *
 *   [compact] "catch-up of a lagging brick or learner uses the snapshot
 *             plus the tail."
 *   [restart] "After a restart an acceptor grants no promise to anyone for
 *             one lease duration".
 *
 * The in-process cluster is cluster_fixture.h. */
#include "cluster_fixture.h"

#include <stdio.h>

/* ==== committing ================================================================== */

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

/* ==== batching and flow control =================================================== */

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

/* ==== lagging acceptors [compact] ================================================= */

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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_leader_commits_proposals_in_order),
        T(test_leader_without_a_quorum_commits_nothing),
        T(test_leader_repairs_a_lost_accept_without_waiting_for_the_heartbeat),
        T(test_duplicated_replies_change_nothing_in_a_running_cluster),
        T(test_window_batches_proposals_for_an_acceptor_that_has_not_answered),
        T(test_without_a_window_every_proposal_is_its_own_round),
        T(test_leader_refuses_proposals_beyond_max_inflight_until_some_commit),
        T(test_backlog_is_sent_in_batches_of_at_most_max_batch),
        T(test_acceptor_that_missed_entries_gets_them_from_the_leaders_log),
        T(test_lagging_acceptor_catches_up_by_install_after_the_leader_compacted),
        T(test_leader_keeps_serving_through_an_acceptor_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
