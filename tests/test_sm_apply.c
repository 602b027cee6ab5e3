/* test_sm_apply.c: the rules every entry is applied under, whatever its
 * kind (sm.h, docs/state-machine.md): slots in order, empty values as
 * no-ops, undecodable entries rejected and counted; requests applied
 * exactly once per origin and sequence number; the same entries giving the
 * same state in every instance, and check() predicting apply().
 *
 * One behaviour per test; each starts from a fresh state (sm_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sm_fixture.h"

/* Applies raw bytes as the next slot. */
static int apply_raw(struct agora_sm *sm, const uint8_t *p, size_t n, char *why, size_t whylen)
{
    return agora_sm_apply(sm, agora_sm_applied(sm) + 1, p, (uint32_t)n, why, whylen);
}

/* ---- slots and no-ops ------------------------------------------------------------ */

static void test_empty_value_applies_as_noop(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(agora_sm_apply(sm, 1, NULL, 0, NULL, 0), AGORA_OK);
    assert_int_equal(agora_sm_applied(sm), 1);
    assert_int_equal(agora_sm_counters(sm)->noop, 1);
    assert_int_equal(agora_sm_member_count(sm), 0);
}

static void test_slot_out_of_order_changes_nothing(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_buf a;
    char why[256];
    encode(fx_join("a", "node-a", "10.0.0.1", KEY1), &a);
    assert_int_equal(agora_sm_apply(sm, 2, a.data, (uint32_t)a.len, why, sizeof why), AGORA_EINVAL);
    assert_non_null(strstr(why, "out of order"));
    assert_int_equal(agora_sm_apply(sm, 0, a.data, (uint32_t)a.len, NULL, 0), AGORA_EINVAL);
    assert_int_equal(agora_sm_applied(sm), 0);
    assert_int_equal(agora_sm_member_count(sm), 0);
    assert_int_equal(agora_sm_counters(sm)->rejected, 0);
    agora_buf_free(&a);
}

static void test_undecodable_entry_is_rejected_and_counted(void **state)
{
    struct agora_sm *sm = *state;
    const uint8_t junk[] = {1, 1, 0xff};
    char why[256];
    assert_int_equal(apply_raw(sm, junk, sizeof junk, why, sizeof why), AGORA_ETRUNC);
    assert_int_equal(agora_sm_applied(sm), 1);
    assert_int_equal(agora_sm_counters(sm)->rejected, 1);
    assert_true(strlen(why) > 0);
}

/* ---- exactly once ---------------------------------------------------------------- */

static void test_retried_request_is_applied_once(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_cmd c = fx_from(fx_join("a", "node-a", "10.0.0.1", KEY1), "a", 1);
    char why[256];
    fx_ok(sm, c);
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_LEAVE, "a"));
    assert_int_equal(fx_apply_why(sm, c, why, sizeof why), AGORA_ESTALE);
    assert_non_null(strstr(why, "already applied"));
    assert_null(agora_sm_member_find(sm, "a"));
    assert_int_equal(agora_sm_applied(sm), 3);
    assert_int_equal(agora_sm_counters(sm)->stale, 1);
    assert_int_equal(agora_sm_last_seq(sm, "a"), 1);
}

static void test_request_with_lower_seq_is_stale(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_from(fx_framework("f5"), "a", 5));
    assert_int_equal(fx_apply(sm, fx_from(fx_framework("f3"), "a", 3)), AGORA_ESTALE);
    assert_string_equal(agora_sm_framework_id(sm), "f5");
    fx_ok(sm, fx_from(fx_framework("f9"), "a", 9));
    assert_int_equal(agora_sm_last_seq(sm, "a"), 9);
}

static void test_sequences_of_different_origins_are_independent(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_from(fx_framework("f1"), "a", 5));
    fx_ok(sm, fx_from(fx_framework("f2"), "b", 1));
    assert_int_equal(agora_sm_last_seq(sm, "a"), 5);
    assert_int_equal(agora_sm_last_seq(sm, "b"), 1);
    assert_int_equal(agora_sm_last_seq(sm, "c"), 0);
}

static void test_rejected_request_consumes_its_seq(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_cmd bad = fx_from(fx_member(AGORA_CMD_MEMBER_LEAVE, "nobody"), "a", 1);
    assert_int_equal(fx_apply(sm, bad), AGORA_ENOENT);
    assert_int_equal(agora_sm_last_seq(sm, "a"), 1);
    assert_int_equal(fx_apply(sm, bad), AGORA_ESTALE);
}

static void test_requests_without_seq_are_never_deduplicated(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_from(fx_framework("f1"), "a", 0));
    fx_ok(sm, fx_from(fx_framework("f1"), "a", 0));
    assert_int_equal(agora_sm_last_seq(sm, "a"), 0);
    assert_int_equal(agora_sm_counters(sm)->ok, 2);
}

static void test_full_origin_table_evicts_oldest_origin_that_is_not_a_member(void **state)
{
    struct agora_sm *sm = *state;
    char origin[16];
    fx_ok(sm, fx_from(fx_join("m0", "node-0", "10.0.0.1", KEY1), "m0", 1));
    for (unsigned i = 0; i + 1 < AGORA_SM_MAX_ORIGINS; i++) {
        snprintf(origin, sizeof origin, "x%04u", i);
        fx_ok(sm, fx_from(fx_framework("f"), origin, 1));
    }
    fx_ok(sm, fx_from(fx_framework("g"), "y", 1));
    assert_int_equal(agora_sm_last_seq(sm, "m0"), 1);
    assert_int_equal(agora_sm_last_seq(sm, "x0000"), 0);
    assert_int_equal(agora_sm_last_seq(sm, "x0001"), 1);
    assert_int_equal(agora_sm_last_seq(sm, "y"), 1);
}

/* ---- determinism and dry runs ---------------------------------------------------- */

static void scenario(struct agora_sm *sm)
{
    fx_three(sm);
    (void)fx_apply(sm, fx_join("d", "node-a", "10.0.0.4", KEY4)); /* rejected */
    fx_ok(sm, fx_leader(1, 1, "a"));
    fx_ok(sm, fx_from(fx_framework("fw"), "a", 1));
    (void)fx_apply(sm, fx_from(fx_framework("fw2"), "a", 1)); /* stale */
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_observed("web-1", AGORA_TASK_RUNNING, "S1", "up"));
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_EXPIRE, "b"));
    assert_int_equal(agora_sm_apply(sm, agora_sm_applied(sm) + 1, NULL, 0, NULL, 0), AGORA_OK);
    fx_ok(sm, fx_join("e", "node-e", "10.0.0.5", KEY5));
}

static void test_same_entries_give_identical_state_in_two_instances(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_sm other;
    agora_sm_init(&other);
    scenario(sm);
    scenario(&other);
    fx_assert_same_state(sm, &other);
    agora_sm_free(&other);
}

static void test_check_predicts_apply_without_changing_state(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    struct agora_cmd dup = fx_join("d", "node-d", "10.0.0.2", KEY4);
    struct agora_cmd good = fx_join("d", "node-d", "10.0.0.4", KEY4);
    char why[256];
    assert_int_equal(agora_sm_check(sm, &dup, why, sizeof why), AGORA_EEXIST);
    assert_non_null(strstr(why, "ip"));
    assert_int_equal(agora_sm_check(sm, &good, NULL, 0), AGORA_OK);
    assert_int_equal(agora_sm_applied(sm), 3);
    assert_null(agora_sm_member_find(sm, "d"));
    assert_int_equal(fx_apply(sm, dup), AGORA_EEXIST);
    assert_int_equal(fx_apply(sm, good), AGORA_OK);
}

/* Random entries, some with random bytes flipped, applied to two instances:
 * nothing crashes, every slot advances, and both end in the same state. */
static void test_mutated_entries_apply_identically_in_two_instances(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_sm other;
    uint64_t seed = 0x2545f4914f6cdd1dull;
    agora_sm_init(&other);
    for (int step = 0; step < 5000; step++) {
        struct agora_buf b;
        encode(fx_random_cmd(&seed), &b);
        if (fx_rand(&seed) % 2) {
            for (uint64_t k = fx_rand(&seed) % 3 + 1; k > 0; k--)
                b.data[fx_rand(&seed) % b.len] ^= (uint8_t)(1u << (fx_rand(&seed) % 8));
        }
        int rc = apply_raw(sm, b.data, b.len, NULL, 0);
        assert_int_equal(apply_raw(&other, b.data, b.len, NULL, 0), rc);
        assert_int_not_equal(rc, AGORA_ENOMEM);
        assert_int_equal(agora_sm_applied(sm), (uint64_t)step + 1);
        agora_buf_free(&b);
    }
    fx_assert_same_state(sm, &other);
    agora_sm_free(&other);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup_sm, fx_teardown_sm)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_value_applies_as_noop),
        T(test_slot_out_of_order_changes_nothing),
        T(test_undecodable_entry_is_rejected_and_counted),
        T(test_retried_request_is_applied_once),
        T(test_request_with_lower_seq_is_stale),
        T(test_sequences_of_different_origins_are_independent),
        T(test_rejected_request_consumes_its_seq),
        T(test_requests_without_seq_are_never_deduplicated),
        T(test_full_origin_table_evicts_oldest_origin_that_is_not_a_member),
        T(test_same_entries_give_identical_state_in_two_instances),
        T(test_check_predicts_apply_without_changing_state),
        T(test_mutated_entries_apply_identically_in_two_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
