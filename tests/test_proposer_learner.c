/* test_proposer_learner.c: how a proposer that does not lead learns the log
 * (proposer.h, DESIGN.md section 2). A lagging follower or learner fetches
 * the committed entries, polls again at once after a partial reply without
 * multiplying its FETCHes, and behind compacted acceptors installs the
 * snapshot (even an empty one) before the tail; a candidate in that state
 * does the same, then leads.
 *
 *   [compact] "catch-up of a lagging brick or learner uses the snapshot
 *             plus the tail."
 *
 * The in-process cluster is cluster_fixture.h. */
#include "cluster_fixture.h"

#include <stdio.h>

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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lagging_follower_learns_committed_entries_via_fetch),
        T(test_learner_polls_again_at_once_after_a_partial_reply),
        T(test_learner_catch_up_sends_a_bounded_number_of_fetches),
        T(test_learner_behind_compacted_acceptors_gets_the_snapshot_then_the_tail),
        T(test_candidate_behind_compacted_acceptors_installs_the_snapshot_then_leads),
        T(test_learner_behind_an_empty_snapshot_still_catches_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
