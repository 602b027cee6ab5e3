/* test_checker.c: the simulation's history checker (sim_check.c) on
 * hand-written histories, one behaviour per test, and on many random small
 * histories against a naive from-scratch evaluation of the same rules (the
 * shape of etcd-io/raft's quorum/quick_test.go). If the checker were wrong,
 * a clean simulation run would prove nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim_check.h"

static struct agora_ballot B(uint64_t round, uint32_t node)
{
    struct agora_ballot b = {round, node};
    return b;
}

static uint32_t V(struct sim_check *c, const char *s)
{
    return chk_intern(c, (const uint8_t *)s, (uint32_t)strlen(s));
}

static int setup(void **state)
{
    static struct sim_check c;
    chk_init(&c);
    chk_reset(&c, 3);
    chk_learner_name(&c, 0, "p1");
    chk_learner_name(&c, 1, "p2");
    *state = &c;
    return 0;
}

static int teardown(void **state)
{
    chk_free(*state);
    return 0;
}

/* Two acceptors durably accepting (slot, b, v) choose v at slot. */
static void accept_quorum(struct sim_check *c, uint64_t slot, struct agora_ballot b, uint32_t v,
                          int a1, int a2)
{
    assert_true(chk_durable_accept(c, a1, slot, b, v));
    assert_true(chk_durable_accept(c, a2, slot, b, v));
}

static void test_intern_returns_one_id_per_value(void **state)
{
    struct sim_check *c = *state;
    uint32_t a = V(c, "x"), b = V(c, "y"), noop = chk_intern(c, NULL, 0);
    assert_int_not_equal(a, b);
    assert_int_equal(V(c, "x"), a);
    assert_int_equal(chk_intern(c, (const uint8_t *)"", 0), noop);
    for (int i = 0; i < 5000; i++) { /* through several table growths */
        char buf[16];
        snprintf(buf, sizeof(buf), "v%d", i);
        V(c, buf);
    }
    assert_int_equal(V(c, "x"), a);
    assert_int_equal(V(c, "y"), b);
}

static void test_quorum_of_one_ballot_chooses(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v");
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), v));
    assert_int_equal(chk_chosen(c, 1), 0);
    assert_true(chk_durable_accept(c, 2, 1, B(1, 1), v));
    assert_int_equal(chk_chosen(c, 1), v + 1);
}

static void test_same_value_at_two_ballots_is_not_chosen(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v");
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), v));
    assert_true(chk_durable_accept(c, 1, 1, B(2, 2), v));
    assert_int_equal(chk_chosen(c, 1), 0);
}

static void test_two_values_chosen_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    accept_quorum(c, 1, B(2, 2), w, 1, 2); /* w chosen at (2,2) */
    /* A late ACCEPT of an older ballot taken by two acceptors. */
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), v));
    assert_false(chk_durable_accept(c, 1, 1, B(1, 1), v));
    assert_int_equal(c->kind, CHK_SINGLE_VALUE);
    assert_non_null(strstr(c->why, "two values chosen for slot 1"));
}

static void test_higher_ballot_must_carry_the_chosen_value(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    accept_quorum(c, 3, B(1, 1), v, 0, 1);
    assert_true(chk_durable_accept(c, 2, 3, B(2, 2), v)); /* re-proposed: fine */
    assert_false(chk_durable_accept(c, 2, 3, B(3, 1), w));
    assert_int_equal(c->kind, CHK_SINGLE_VALUE);
}

static void test_choice_below_an_accepted_higher_ballot_must_agree(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    assert_true(chk_durable_accept(c, 2, 1, B(5, 2), w)); /* higher ballot first */
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), v));
    assert_false(chk_durable_accept(c, 1, 1, B(1, 1), v)); /* v chosen at (1,1) < (5,2) */
    assert_int_equal(c->kind, CHK_SINGLE_VALUE);
}

static void test_one_ballot_two_values_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), V(c, "v")));
    assert_false(chk_durable_accept(c, 1, 1, B(1, 1), V(c, "w")));
    assert_int_equal(c->kind, CHK_SINGLE_VALUE);
    assert_non_null(strstr(c->why, "one ballot proposed two values"));
}

static void test_learning_the_chosen_values_in_order_passes(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    accept_quorum(c, 1, B(1, 1), v, 0, 1);
    accept_quorum(c, 2, B(1, 1), w, 0, 2);
    assert_true(chk_learn(c, 0, 1, v));
    assert_true(chk_learn(c, 0, 2, w));
    assert_true(chk_learn(c, 1, 1, v));
    assert_int_equal(chk_learner_applied(c, 0), 2);
    assert_int_equal(c->kind, CHK_OK);
}

static void test_learning_an_unchosen_value_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), V(c, "v"))); /* no quorum */
    assert_false(chk_learn(c, 0, 1, V(c, "v")));
    assert_int_equal(c->kind, CHK_AGREEMENT);
    assert_non_null(strstr(c->why, "learner p1"));
}

static void test_learning_another_value_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    accept_quorum(c, 1, B(1, 1), V(c, "v"), 0, 1);
    assert_false(chk_learn(c, 1, 1, V(c, "w")));
    assert_int_equal(c->kind, CHK_AGREEMENT);
}

static void test_learning_with_a_gap_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    accept_quorum(c, 1, B(1, 1), V(c, "v"), 0, 1);
    accept_quorum(c, 2, B(1, 1), V(c, "w"), 0, 1);
    assert_false(chk_learn(c, 0, 2, V(c, "w")));
    assert_int_equal(c->kind, CHK_AGREEMENT);
}

static void test_committed_slot_overwritten_below_quorum_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    accept_quorum(c, 1, B(1, 1), v, 0, 1);
    assert_true(chk_learn(c, 0, 1, v));
    /* a1 forgets v (a bug) by taking w at a lower ballot: check 1 does not
     * see a second choice, but the committed entry lost its quorum. */
    assert_false(chk_durable_accept(c, 1, 1, B(0, 3), w));
    assert_int_equal(c->kind, CHK_DURABLE);
}

static void test_compaction_counts_as_holding(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), noop = chk_intern(c, NULL, 0);
    accept_quorum(c, 1, B(1, 1), v, 0, 1);
    assert_true(chk_learn(c, 0, 1, v));
    assert_true(chk_durable_compact(c, 0, 1));
    assert_true(chk_durable_accept(c, 1, 2, B(1, 1), noop));
    assert_true(chk_durable_accept(c, 2, 2, B(1, 1), noop));
    /* a0 compacted slot 1 away; a1 still holds it. */
    assert_int_equal(c->kind, CHK_OK);
}

static void test_compaction_beyond_the_chosen_prefix_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    accept_quorum(c, 1, B(1, 1), V(c, "v"), 0, 1);
    assert_false(chk_durable_compact(c, 0, 2));
    assert_int_equal(c->kind, CHK_AGREEMENT);
}

static void test_recovery_keeping_everything_passes(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    chk_durable_promise(c, 0, B(2, 1));
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), v));
    assert_true(chk_durable_accept(c, 0, 2, B(2, 1), w));
    assert_true(chk_recover_begin(c, 0, 0, B(2, 1)));
    assert_true(chk_recover_entry(c, 0, 1, B(1, 1), v));
    assert_true(chk_recover_entry(c, 0, 2, B(2, 1), w));
    assert_true(chk_recover_end(c, 0));
}

static void test_recovery_losing_a_synced_slot_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    assert_true(chk_durable_accept(c, 0, 1, B(1, 1), v));
    assert_true(chk_durable_accept(c, 0, 2, B(1, 1), w));
    assert_true(chk_recover_begin(c, 0, 0, B(1, 1)));
    assert_true(chk_recover_entry(c, 0, 1, B(1, 1), v));
    assert_false(chk_recover_end(c, 0));
    assert_int_equal(c->kind, CHK_DURABLE);
    assert_non_null(strstr(c->why, "lost slot 2"));
}

static void test_recovery_losing_a_synced_promise_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    chk_durable_promise(c, 2, B(3, 2));
    assert_false(chk_recover_begin(c, 2, 0, B(2, 9)));
    assert_int_equal(c->kind, CHK_DURABLE);
}

static void test_recovery_past_a_compacted_slot_passes(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v");
    accept_quorum(c, 1, B(1, 1), v, 0, 1);
    assert_true(chk_durable_compact(c, 0, 1));
    assert_true(chk_recover_begin(c, 0, 1, B(1, 1)));
    assert_true(chk_recover_end(c, 0)); /* slot 1 is in the snapshot */
}

static void test_snapshot_with_the_chosen_digest_passes(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    accept_quorum(c, 1, B(1, 1), v, 0, 1);
    accept_quorum(c, 2, B(1, 1), w, 0, 1);
    uint64_t d = SIM_DIGEST_INIT;
    d = sim_digest_step(d, 1, (const uint8_t *)"v", 1);
    d = sim_digest_step(d, 2, (const uint8_t *)"w", 1);
    assert_true(chk_learn_snapshot(c, 0, 2, d, false));
    assert_int_equal(chk_learner_applied(c, 0), 2);
}

static void test_snapshot_with_another_digest_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    accept_quorum(c, 1, B(1, 1), V(c, "v"), 0, 1);
    uint64_t d = sim_digest_step(SIM_DIGEST_INIT, 1, (const uint8_t *)"w", 1);
    assert_false(chk_learn_snapshot(c, 0, 1, d, false));
    assert_int_equal(c->kind, CHK_AGREEMENT);
}

static void test_snapshot_behind_a_learner_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    uint32_t v = V(c, "v"), w = V(c, "w");
    accept_quorum(c, 1, B(1, 1), v, 0, 1);
    accept_quorum(c, 2, B(1, 1), w, 0, 1);
    assert_true(chk_learn(c, 0, 1, v));
    assert_true(chk_learn(c, 0, 2, w));
    uint64_t d = sim_digest_step(SIM_DIGEST_INIT, 1, (const uint8_t *)"v", 1);
    assert_true(chk_learn_snapshot(c, 1, 1, d, true)); /* an acceptor compacting */
    assert_false(chk_learn_snapshot(c, 0, 1, d, false));
    assert_int_equal(c->kind, CHK_AGREEMENT);
}

static void test_ballot_elected_twice_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    assert_true(chk_elected(c, B(1, 1), 1));
    assert_true(chk_elected(c, B(2, 2), 2));
    assert_false(chk_elected(c, B(1, 1), 1));
    assert_int_equal(c->kind, CHK_ONE_LEADER);
}

static void test_two_lease_holders_is_a_violation(void **state)
{
    struct sim_check *c = *state;
    uint32_t one[] = {3}, two[] = {1, 3};
    assert_true(chk_lease_holders(c, NULL, 0));
    assert_true(chk_lease_holders(c, one, 1));
    assert_false(chk_lease_holders(c, two, 2));
    assert_int_equal(c->kind, CHK_ONE_LEASE);
    assert_non_null(strstr(c->why, "p1 and p3"));
}

static void test_only_the_first_violation_is_kept(void **state)
{
    struct sim_check *c = *state;
    uint32_t two[] = {1, 2};
    assert_false(chk_lease_holders(c, two, 2));
    assert_false(chk_elected(c, B(1, 1), 2));
    assert_int_equal(c->kind, CHK_ONE_LEASE);
}

/* --- random histories against a naive evaluation ----------------------- */

struct acc_ev {
    int acc;
    uint64_t slot;
    struct agora_ballot b;
    uint32_t val;
};

/* The rules of check 1 evaluated from scratch over the whole prefix:
 * one value per (slot, ballot); a (slot, ballot, value) accepted by a
 * quorum is chosen; all chosen values of a slot agree, and every acceptance
 * at a ballot above a chosen one carries the chosen value. */
static bool naive_ok(const struct acc_ev *h, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (h[i].slot != h[j].slot)
                continue;
            if (agora_ballot_cmp(h[i].b, h[j].b) == 0 && h[i].val != h[j].val)
                return false;
        }
    for (int i = 0; i < n; i++) {
        uint32_t mask = 0;
        for (int j = 0; j < n; j++)
            if (h[j].slot == h[i].slot && agora_ballot_cmp(h[j].b, h[i].b) == 0)
                mask |= 1u << h[j].acc;
        if (__builtin_popcount(mask) < 2)
            continue; /* h[i] is not part of a choice */
        for (int j = 0; j < n; j++)
            if (h[j].slot == h[i].slot && h[j].val != h[i].val &&
                agora_ballot_cmp(h[j].b, h[i].b) >= 0)
                return false;
    }
    return true;
}

static uint64_t rng_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void test_random_histories_agree_with_naive_rules(void **state)
{
    struct sim_check *c = *state;
    uint64_t rng = 42;
    int violations = 0;
    for (int round = 0; round < 20000; round++) {
        chk_reset(c, 3);
        uint32_t vals[3] = {V(c, "a"), V(c, "b"), V(c, "c")};
        struct acc_ev h[12];
        int n = 1 + (int)(rng_next(&rng) % 12);
        for (int i = 0; i < n; i++) {
            h[i].acc = (int)(rng_next(&rng) % 3);
            h[i].slot = 1 + rng_next(&rng) % 2;
            h[i].b = B(1 + rng_next(&rng) % 3, 1 + (uint32_t)(rng_next(&rng) % 2));
            h[i].val = vals[rng_next(&rng) % 3];
            bool want = naive_ok(h, i + 1);
            bool got = chk_durable_accept(c, h[i].acc, h[i].slot, h[i].b, h[i].val);
            if (want != got)
                print_error("round %d event %d: naive %d, checker %d (%s)\n", round, i, want,
                            got, c->why);
            assert_int_equal(want, got);
            if (!got) {
                violations++;
                break;
            }
        }
    }
    /* The generator must reach both verdicts often. */
    assert_true(violations > 1000);
    assert_true(violations < 19000);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_intern_returns_one_id_per_value),
        T(test_quorum_of_one_ballot_chooses),
        T(test_same_value_at_two_ballots_is_not_chosen),
        T(test_two_values_chosen_is_a_violation),
        T(test_higher_ballot_must_carry_the_chosen_value),
        T(test_choice_below_an_accepted_higher_ballot_must_agree),
        T(test_one_ballot_two_values_is_a_violation),
        T(test_learning_the_chosen_values_in_order_passes),
        T(test_learning_an_unchosen_value_is_a_violation),
        T(test_learning_another_value_is_a_violation),
        T(test_learning_with_a_gap_is_a_violation),
        T(test_committed_slot_overwritten_below_quorum_is_a_violation),
        T(test_compaction_counts_as_holding),
        T(test_compaction_beyond_the_chosen_prefix_is_a_violation),
        T(test_recovery_keeping_everything_passes),
        T(test_recovery_losing_a_synced_slot_is_a_violation),
        T(test_recovery_losing_a_synced_promise_is_a_violation),
        T(test_recovery_past_a_compacted_slot_passes),
        T(test_snapshot_with_the_chosen_digest_passes),
        T(test_snapshot_with_another_digest_is_a_violation),
        T(test_snapshot_behind_a_learner_is_a_violation),
        T(test_ballot_elected_twice_is_a_violation),
        T(test_two_lease_holders_is_a_violation),
        T(test_only_the_first_violation_is_kept),
        T(test_random_histories_agree_with_naive_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
