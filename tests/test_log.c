/* test_log.c: the in-memory Paxos log (log.h): slot -> (ballot, value)
 * with holes, starting at slot 1; slots at or below `base` are compacted
 * away and silently ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agora/log.h"

static int setup(void **state)
{
    struct agora_log *l = agora_malloc(sizeof(*l));
    if (l == NULL)
        return -1;
    agora_log_init(l);
    *state = l;
    return 0;
}

static int teardown(void **state)
{
    struct agora_log *l = *state;
    agora_log_free(l);
    agora_free(l);
    return 0;
}

static struct agora_ballot B(uint64_t round, uint32_t node)
{
    struct agora_ballot b = {round, node};
    return b;
}

static void put(struct agora_log *l, uint64_t slot, struct agora_ballot b, const char *v)
{
    assert_int_equal(agora_log_put(l, slot, b, (const uint8_t *)v, (uint32_t)strlen(v)),
                     AGORA_OK);
}

static void expect(const struct agora_log *l, uint64_t slot, struct agora_ballot b, const char *v)
{
    const struct agora_entry *e = agora_log_get(l, slot);
    assert_non_null(e);
    assert_int_equal(e->slot, slot);
    assert_int_equal(e->ballot.round, b.round);
    assert_int_equal(e->ballot.node, b.node);
    assert_int_equal(e->len, strlen(v));
    assert_memory_equal(e->data, v, e->len);
}

static void test_empty_log_has_no_entries_and_last_zero(void **state)
{
    struct agora_log *l = *state;
    assert_null(agora_log_get(l, 0));
    assert_null(agora_log_get(l, 1));
    assert_null(agora_log_get(l, UINT64_MAX));
    assert_int_equal(agora_log_last(l), 0);
}

static void test_put_then_get_returns_slot_ballot_and_value(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(3, 7), "one");
    expect(l, 1, B(3, 7), "one");
    assert_int_equal(agora_log_last(l), 1);
}

static void test_put_stores_a_copy(void **state)
{
    struct agora_log *l = *state;
    char v[] = "mutable";
    put(l, 1, B(1, 1), v);
    v[0] = 'X';
    expect(l, 1, B(1, 1), "mutable");
}

static void test_slots_between_entries_are_holes(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(1, 1), "a");
    put(l, 4, B(1, 1), "d");
    assert_null(agora_log_get(l, 2));
    assert_null(agora_log_get(l, 3));
    assert_null(agora_log_get(l, 5));
    expect(l, 4, B(1, 1), "d");
    assert_int_equal(agora_log_last(l), 4);
}

static void test_first_entry_may_leave_leading_holes(void **state)
{
    struct agora_log *l = *state;
    put(l, 100, B(1, 1), "far");
    assert_null(agora_log_get(l, 1));
    assert_null(agora_log_get(l, 99));
    expect(l, 100, B(1, 1), "far");
    assert_int_equal(agora_log_last(l), 100);
}

static void test_put_overwrites_value_and_ballot(void **state)
{
    struct agora_log *l = *state;
    put(l, 2, B(1, 1), "old value");
    put(l, 2, B(2, 5), "new");
    expect(l, 2, B(2, 5), "new");
}

static void test_zero_length_value_is_a_present_noop(void **state)
{
    struct agora_log *l = *state;
    assert_int_equal(agora_log_put(l, 1, B(1, 1), NULL, 0), AGORA_OK);
    const struct agora_entry *e = agora_log_get(l, 1);
    assert_non_null(e);
    assert_int_equal(e->slot, 1);
    assert_int_equal(e->len, 0);
    assert_int_equal(agora_log_last(l), 1);
}

static void test_slot_zero_is_ignored(void **state)
{
    struct agora_log *l = *state;
    put(l, 0, B(1, 1), "nothing");
    assert_null(agora_log_get(l, 0));
    assert_int_equal(agora_log_last(l), 0);
}

static void test_slot_too_far_above_base_is_too_big(void **state)
{
    struct agora_log *l = *state;
    uint64_t far = ((uint64_t)1 << 32) + 1; /* index 2^32 */
    assert_int_equal(agora_log_put(l, far, B(1, 1), (const uint8_t *)"x", 1), AGORA_ETOOBIG);
    assert_null(agora_log_get(l, far));
    assert_int_equal(agora_log_last(l), 0);
}

static void test_many_entries_survive_growth(void **state)
{
    struct agora_log *l = *state;
    char v[16];
    for (uint64_t s = 1; s <= 1000; s++) {
        snprintf(v, sizeof(v), "v%llu", (unsigned long long)s);
        put(l, s, B(s, 1), v);
    }
    for (uint64_t s = 1; s <= 1000; s++) {
        snprintf(v, sizeof(v), "v%llu", (unsigned long long)s);
        expect(l, s, B(s, 1), v);
    }
    assert_int_equal(agora_log_last(l), 1000);
}

static void test_compact_drops_slots_at_or_below_upto(void **state)
{
    struct agora_log *l = *state;
    for (uint64_t s = 1; s <= 5; s++)
        put(l, s, B(1, 1), "v");
    agora_log_compact(l, 3);
    assert_int_equal(l->base, 3);
    assert_null(agora_log_get(l, 1));
    assert_null(agora_log_get(l, 3));
    expect(l, 4, B(1, 1), "v");
    expect(l, 5, B(1, 1), "v");
    assert_int_equal(agora_log_last(l), 5);
}

static void test_compact_keeps_values_above_upto_intact(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(1, 1), "a");
    put(l, 2, B(1, 2), "b");
    put(l, 4, B(1, 4), "d");
    agora_log_compact(l, 1);
    expect(l, 2, B(1, 2), "b");
    assert_null(agora_log_get(l, 3));
    expect(l, 4, B(1, 4), "d");
    /* and the log keeps working above the new base */
    put(l, 3, B(2, 3), "c");
    expect(l, 3, B(2, 3), "c");
    put(l, 9, B(2, 9), "i");
    expect(l, 9, B(2, 9), "i");
}

static void test_put_at_or_below_base_is_ignored(void **state)
{
    struct agora_log *l = *state;
    put(l, 5, B(1, 1), "e");
    agora_log_compact(l, 4);
    put(l, 4, B(1, 1), "ignored");
    put(l, 2, B(1, 1), "ignored");
    assert_null(agora_log_get(l, 4));
    assert_null(agora_log_get(l, 2));
    expect(l, 5, B(1, 1), "e");
}

static void test_compact_past_last_empties_and_last_is_base(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(1, 1), "a");
    put(l, 2, B(1, 1), "b");
    agora_log_compact(l, 10);
    assert_int_equal(l->base, 10);
    assert_null(agora_log_get(l, 2));
    assert_int_equal(agora_log_last(l), 10);
    put(l, 11, B(1, 1), "k");
    expect(l, 11, B(1, 1), "k");
}

static void test_compact_below_base_changes_nothing(void **state)
{
    struct agora_log *l = *state;
    put(l, 3, B(1, 1), "c");
    put(l, 4, B(1, 1), "d");
    agora_log_compact(l, 2);
    agora_log_compact(l, 1);
    assert_int_equal(l->base, 2);
    expect(l, 3, B(1, 1), "c");
    expect(l, 4, B(1, 1), "d");
}

static void test_truncate_after_drops_later_slots(void **state)
{
    struct agora_log *l = *state;
    for (uint64_t s = 1; s <= 5; s++)
        put(l, s, B(1, 1), "v");
    agora_log_truncate_after(l, 2);
    expect(l, 1, B(1, 1), "v");
    expect(l, 2, B(1, 1), "v");
    assert_null(agora_log_get(l, 3));
    assert_null(agora_log_get(l, 5));
    assert_int_equal(agora_log_last(l), 2);
}

static void test_truncate_after_last_keeps_everything(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(1, 1), "a");
    put(l, 2, B(1, 1), "b");
    agora_log_truncate_after(l, 2);
    agora_log_truncate_after(l, 50);
    agora_log_truncate_after(l, UINT64_MAX);
    expect(l, 2, B(1, 1), "b");
    assert_int_equal(agora_log_last(l), 2);
}

static void test_truncate_below_base_keeps_nothing_above_base(void **state)
{
    struct agora_log *l = *state;
    for (uint64_t s = 1; s <= 6; s++)
        put(l, s, B(1, 1), "v");
    agora_log_compact(l, 3);
    agora_log_truncate_after(l, 1);
    assert_int_equal(l->base, 3);
    assert_null(agora_log_get(l, 4));
    assert_int_equal(agora_log_last(l), 3);
}

static void test_last_ignores_trailing_holes(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(1, 1), "a");
    put(l, 5, B(1, 1), "e");
    agora_log_truncate_after(l, 4);
    assert_int_equal(agora_log_last(l), 1);
}

static void test_put_after_truncate_reuses_slots(void **state)
{
    struct agora_log *l = *state;
    put(l, 1, B(1, 1), "a");
    put(l, 2, B(1, 1), "b");
    agora_log_truncate_after(l, 1);
    assert_null(agora_log_get(l, 2));
    put(l, 2, B(2, 2), "B");
    expect(l, 2, B(2, 2), "B");
}

static void test_entry_copy_is_deep(void **state)
{
    struct agora_log *l = *state;
    put(l, 7, B(4, 2), "deep");
    struct agora_entry c;
    assert_int_equal(agora_entry_copy(&c, agora_log_get(l, 7)), AGORA_OK);
    agora_log_free(l); /* the copy must not depend on the log */
    assert_int_equal(c.slot, 7);
    assert_int_equal(c.ballot.round, 4);
    assert_int_equal(c.ballot.node, 2);
    assert_int_equal(c.len, 4);
    assert_memory_equal(c.data, "deep", 4);
    agora_entry_clear(&c);
    assert_null(c.data);
    assert_int_equal(c.len, 0);
    assert_int_equal(c.slot, 0);
}

static void test_entry_copy_of_noop_has_no_data(void **state)
{
    (void)state;
    struct agora_entry src = {3, {1, 1}, NULL, 0};
    struct agora_entry c;
    assert_int_equal(agora_entry_copy(&c, &src), AGORA_OK);
    assert_null(c.data);
    assert_int_equal(c.len, 0);
    assert_int_equal(c.slot, 3);
    agora_entry_clear(&c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_log_has_no_entries_and_last_zero),
        T(test_put_then_get_returns_slot_ballot_and_value),
        T(test_put_stores_a_copy),
        T(test_slots_between_entries_are_holes),
        T(test_first_entry_may_leave_leading_holes),
        T(test_put_overwrites_value_and_ballot),
        T(test_zero_length_value_is_a_present_noop),
        T(test_slot_zero_is_ignored),
        T(test_slot_too_far_above_base_is_too_big),
        T(test_many_entries_survive_growth),
        T(test_compact_drops_slots_at_or_below_upto),
        T(test_compact_keeps_values_above_upto_intact),
        T(test_put_at_or_below_base_is_ignored),
        T(test_compact_past_last_empties_and_last_is_base),
        T(test_compact_below_base_changes_nothing),
        T(test_truncate_after_drops_later_slots),
        T(test_truncate_after_last_keeps_everything),
        T(test_truncate_below_base_keeps_nothing_above_base),
        T(test_last_ignores_trailing_holes),
        T(test_put_after_truncate_reuses_slots),
        T(test_entry_copy_is_deep),
        T(test_entry_copy_of_noop_has_no_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
