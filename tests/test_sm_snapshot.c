/* test_sm_snapshot.c: snapshots of the state machine are deterministic, round
 * trip exactly, compose with the log tail, and restore refuses anything that
 * apply could not have produced (docs/state-machine.md, "Snapshots"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sm_fixture.h"

/* ---- a log of encoded entries ---------------------------------------------- */

#define MAX_ENTRIES 64

struct entries {
    struct agora_buf e[MAX_ENTRIES];
    size_t n;
};

static void add(struct entries *l, struct agora_cmd c)
{
    assert_true(l->n < MAX_ENTRIES);
    agora_buf_init(&l->e[l->n]);
    assert_int_equal(agora_cmd_encode(&c, &l->e[l->n], NULL, 0), AGORA_OK);
    l->n++;
}

static void add_noop(struct entries *l)
{
    assert_true(l->n < MAX_ENTRIES);
    agora_buf_init(&l->e[l->n++]);
}

static void free_entries(struct entries *l)
{
    for (size_t i = 0; i < l->n; i++)
        agora_buf_free(&l->e[i]);
    l->n = 0;
}

/* Every kind, and rejected, stale and no-op slots among them. */
static void history(struct entries *l)
{
    l->n = 0;
    add(l, fx_from(fx_join("a", "node-a", "10.0.0.1", KEY1), "a", 1));
    add(l, fx_from(fx_join("b", "node-b", "2001:db8::2", KEY2), "b", 1));
    add(l, fx_config("allow_key_options", "true"));
    add(l, fx_from(fx_join("c", "node-c", "10.0.0.3", "no-pty " KEY3), "c", 1));
    add(l, fx_from(fx_join("d", "node-a", "10.0.0.4", KEY4), "d", 1)); /* rejected */
    add(l, fx_leader(1, 1, "a"));
    add_noop(l);
    add(l, fx_from(fx_framework("fw-1"), "a", 2));
    add(l, fx_from(fx_framework("fw-x"), "a", 2)); /* stale */
    add(l, fx_task("web-1", "web1", "10.20.0.11"));
    add(l, fx_task("web-2", "", ""));
    add(l, fx_observed("web-1", AGORA_TASK_RUNNING, "MID-S4", "r\xc3\xa9sum\xc3\xa9 \"ok\""));
    add(l, fx_config("alias_prefix", "n"));
    add(l, fx_from(fx_member(AGORA_CMD_MEMBER_EXPIRE, "b"), "a", 3));
    add(l, fx_from(fx_join("e", "node-e", "10.0.0.5", KEY5), "e", 7));
    add(l, fx_leader(2, 3, "c"));
    add(l, fx_observed("web-1", AGORA_TASK_FAILED, "MID-S4", "exit 1"));
    add(l, fx_config("leader_alias", "boss"));
    add(l, fx_config("cluster", "down"));
}

static void apply_range(struct agora_sm *sm, const struct entries *l, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        int rc = agora_sm_apply(sm, agora_sm_applied(sm) + 1, l->e[i].data,
                                (uint32_t)l->e[i].len, NULL, 0);
        assert_int_not_equal(rc, AGORA_ENOMEM);
        assert_int_equal(agora_sm_applied(sm), i + 1);
    }
    assert_int_equal(agora_sm_applied(sm), to);
}

static void snapshot(const struct agora_sm *sm, struct agora_buf *b)
{
    agora_buf_init(b);
    assert_int_equal(agora_sm_snapshot(sm, b), AGORA_OK);
}

static void assert_bufs_equal(const struct agora_buf *a, const struct agora_buf *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
}

/* b: a new sm restored from a's snapshot (which must restore). */
static void restore_copy(const struct agora_sm *a, struct agora_sm *b)
{
    struct agora_buf s;
    snapshot(a, &s);
    agora_sm_init(b);
    assert_int_equal(agora_sm_restore(b, s.data, s.len), AGORA_OK);
    agora_buf_free(&s);
}

static void assert_same_snapshot(const struct agora_sm *a, const struct agora_sm *b)
{
    struct agora_buf s1, s2;
    snapshot(a, &s1);
    snapshot(b, &s2);
    assert_bufs_equal(&s1, &s2);
    agora_buf_free(&s1);
    agora_buf_free(&s2);
}

/* An sm with the whole history applied. */
static void full_state(struct agora_sm *sm)
{
    struct entries l;
    history(&l);
    agora_sm_init(sm);
    apply_range(sm, &l, 0, l.n);
    free_entries(&l);
}

/* ---- a hand-written snapshot, for states apply cannot produce ----------------------- */

struct rec {
    const char *id, *host, *ip, *opts, *type, *blob;
    uint32_t alias;
    uint64_t since;
};

static void put_s(struct agora_buf *b, const char *s)
{
    assert_int_equal(agora_buf_put_str(b, s, strlen(s)), AGORA_OK);
}

static void put_head(struct agora_buf *b, uint64_t applied, uint64_t ok)
{
    agora_buf_init(b);
    assert_int_equal(agora_buf_put(b, "AGSM", 4), AGORA_OK);
    assert_int_equal(agora_buf_put_u8(b, 1), AGORA_OK);
    assert_int_equal(agora_buf_put_u64(b, applied), AGORA_OK);
    const uint64_t counters[5] = {ok, applied - ok, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        assert_int_equal(agora_buf_put_u64(b, counters[i]), AGORA_OK);
    assert_int_equal(agora_buf_put_u16(b, 3), AGORA_OK);
    put_s(b, "alias_prefix");
    put_s(b, "cluster-");
    put_s(b, "allow_key_options");
    put_s(b, "false");
    put_s(b, "leader_alias");
    put_s(b, "leader");
    assert_int_equal(agora_buf_put_u64(b, 0), AGORA_OK); /* no leader */
    assert_int_equal(agora_buf_put_u32(b, 0), AGORA_OK);
    put_s(b, "");
    assert_int_equal(agora_buf_put_u64(b, 0), AGORA_OK);
    put_s(b, ""); /* framework id */
}

static void put_members(struct agora_buf *b, const struct rec *r, uint32_t n)
{
    assert_int_equal(agora_buf_put_u32(b, n), AGORA_OK);
    for (uint32_t i = 0; i < n; i++) {
        put_s(b, r[i].id);
        assert_int_equal(agora_buf_put_u8(b, AGORA_MEMBER_HOST), AGORA_OK);
        put_s(b, r[i].host);
        put_s(b, r[i].ip);
        put_s(b, r[i].opts);
        put_s(b, r[i].type);
        put_s(b, r[i].blob);
        assert_int_equal(agora_buf_put_u32(b, r[i].alias), AGORA_OK);
        assert_int_equal(agora_buf_put_u64(b, r[i].since), AGORA_OK);
        assert_int_equal(agora_buf_put_u64(b, r[i].since), AGORA_OK);
    }
}

/* A version 1 snapshot: two members as given, no tasks, one origin as
 * given (none if NULL). */
static void craft(struct agora_buf *b, const struct rec r[2], const char *origin, uint64_t seq)
{
    put_head(b, 5, 2);
    put_members(b, r, 2);
    assert_int_equal(agora_buf_put_u32(b, 0), AGORA_OK);
    assert_int_equal(agora_buf_put_u32(b, origin != NULL), AGORA_OK);
    if (origin != NULL) {
        put_s(b, origin);
        assert_int_equal(agora_buf_put_u64(b, seq), AGORA_OK);
        assert_int_equal(agora_buf_put_u64(b, 1), AGORA_OK);
    }
}

static int restore_crafted(const struct rec r[2], const char *origin, uint64_t seq)
{
    struct agora_buf b;
    struct agora_sm sm;
    craft(&b, r, origin, seq);
    agora_sm_init(&sm);
    int rc = agora_sm_restore(&sm, b.data, b.len);
    agora_sm_free(&sm);
    agora_buf_free(&b);
    return rc;
}

static const struct rec GOOD_A = {"a", "node-a", "10.0.0.1", "", "ssh-ed25519", KEY1_BLOB, 0, 1};
static const struct rec GOOD_B = {"b", "node-b", "2001:db8::2", "", "ssh-ed25519", KEY2_BLOB, 1, 2};

/* ---- tests ------------------------------------------------------------------------ */

static void test_empty_state_snapshot_restores_to_empty_state(void **state)
{
    (void)state;
    struct agora_sm a, b;
    agora_sm_init(&a);
    restore_copy(&a, &b);
    assert_same_snapshot(&a, &b);
    assert_int_equal(agora_sm_applied(&b), 0);
    agora_sm_free(&a);
    agora_sm_free(&b);
}

static void test_snapshot_restore_roundtrip_is_identical(void **state)
{
    (void)state;
    struct agora_sm a, b;
    full_state(&a);
    restore_copy(&a, &b);
    assert_same_snapshot(&a, &b);
    agora_sm_free(&a);
    agora_sm_free(&b);
}

static void test_restored_state_answers_queries_like_the_original(void **state)
{
    (void)state;
    struct agora_sm a, b;
    full_state(&a);
    restore_copy(&a, &b);
    assert_int_equal(agora_sm_applied(&b), agora_sm_applied(&a));
    assert_memory_equal(agora_sm_counters(&b), agora_sm_counters(&a),
                        sizeof(struct agora_sm_counters));
    assert_string_equal(agora_sm_leader(&b).id, "c");
    assert_string_equal(agora_sm_framework_id(&b), "fw-1");
    assert_string_equal(agora_sm_config(&b, AGORA_CFG_ALIAS_PREFIX), "n");
    assert_string_equal(agora_sm_member_find(&b, "c")->key_options, "no-pty");
    assert_int_equal(agora_sm_member_find(&b, "e")->alias, 1);
    assert_int_equal(agora_sm_task_find(&b, "web-1")->state, AGORA_TASK_FAILED);
    assert_int_equal(agora_sm_last_seq(&b, "e"), 7);
    agora_sm_free(&a);
    agora_sm_free(&b);
}

static void test_snapshot_is_identical_in_two_instances(void **state)
{
    (void)state;
    struct agora_sm a, b;
    full_state(&a);
    full_state(&b);
    fx_assert_same_state(&a, &b);
    agora_sm_free(&a);
    agora_sm_free(&b);
}

static void test_restoring_then_applying_the_tail_equals_applying_everything(void **state)
{
    (void)state;
    struct entries l;
    struct agora_sm full;
    history(&l);
    agora_sm_init(&full);
    apply_range(&full, &l, 0, l.n);
    for (size_t cut = 0; cut <= l.n; cut++) {
        struct agora_sm head, tail;
        struct agora_buf s;
        agora_sm_init(&head);
        agora_sm_init(&tail);
        apply_range(&head, &l, 0, cut);
        snapshot(&head, &s);
        assert_int_equal(agora_sm_restore(&tail, s.data, s.len), AGORA_OK);
        apply_range(&tail, &l, cut, l.n);
        fx_assert_same_state(&full, &tail);
        agora_buf_free(&s);
        agora_sm_free(&head);
        agora_sm_free(&tail);
    }
    agora_sm_free(&full);
    free_entries(&l);
}

static void test_restored_exactly_once_table_still_refuses_retries(void **state)
{
    (void)state;
    struct agora_sm a, b;
    full_state(&a);
    restore_copy(&a, &b);
    assert_int_equal(fx_apply(&b, fx_from(fx_framework("again"), "a", 2)), AGORA_ESTALE);
    assert_string_equal(agora_sm_framework_id(&b), "fw-1");
    agora_sm_free(&a);
    agora_sm_free(&b);
}

static void test_restore_rejects_truncated_snapshot(void **state)
{
    (void)state;
    struct agora_sm a, b;
    struct agora_buf s;
    full_state(&a);
    snapshot(&a, &s);
    agora_sm_init(&b);
    for (size_t n = 0; n < s.len; n++)
        assert_int_equal(agora_sm_restore(&b, s.data, n), AGORA_ETRUNC);
    assert_int_equal(agora_sm_applied(&b), 0);
    agora_buf_free(&s);
    agora_sm_free(&a);
    agora_sm_free(&b);
}

static void test_restore_rejects_trailing_bytes(void **state)
{
    (void)state;
    struct agora_sm a;
    struct agora_buf s;
    agora_sm_init(&a);
    snapshot(&a, &s);
    assert_int_equal(agora_buf_put_u8(&s, 0), AGORA_OK);
    assert_int_equal(agora_sm_restore(&a, s.data, s.len), AGORA_ECORRUPT);
    agora_buf_free(&s);
    agora_sm_free(&a);
}

static void test_restore_rejects_bad_magic_and_unknown_version(void **state)
{
    (void)state;
    struct agora_sm a;
    struct agora_buf s;
    agora_sm_init(&a);
    snapshot(&a, &s);
    s.data[0] = 'X';
    assert_int_equal(agora_sm_restore(&a, s.data, s.len), AGORA_ECORRUPT);
    s.data[0] = 'A';
    s.data[4] = AGORA_SM_SNAPSHOT_VERSION + 1;
    assert_int_equal(agora_sm_restore(&a, s.data, s.len), AGORA_EINVAL);
    agora_buf_free(&s);
    agora_sm_free(&a);
}

static void test_failed_restore_leaves_state_unchanged(void **state)
{
    (void)state;
    struct agora_sm a, empty;
    struct agora_buf before, after, s;
    full_state(&a);
    snapshot(&a, &before);
    agora_sm_init(&empty);
    fx_three(&empty);
    snapshot(&empty, &s);
    s.len -= 3;
    assert_int_not_equal(agora_sm_restore(&a, s.data, s.len), AGORA_OK);
    snapshot(&a, &after);
    assert_bufs_equal(&before, &after);
    agora_buf_free(&before);
    agora_buf_free(&after);
    agora_buf_free(&s);
    agora_sm_free(&a);
    agora_sm_free(&empty);
}

static void test_restore_rejects_counters_that_do_not_add_up(void **state)
{
    (void)state;
    struct agora_sm a;
    struct agora_buf s;
    full_state(&a);
    snapshot(&a, &s);
    s.data[5] ^= 1; /* applied */
    assert_int_equal(agora_sm_restore(&a, s.data, s.len), AGORA_ECORRUPT);
    agora_buf_free(&s);
    agora_sm_free(&a);
}

static void test_restore_accepts_a_hand_written_snapshot(void **state)
{
    (void)state;
    const struct rec r[2] = {GOOD_A, GOOD_B};
    assert_int_equal(restore_crafted(r, "a", 1), AGORA_OK);
}

static void test_cluster_down_survives_snapshot_and_restore(void **state)
{
    (void)state;
    struct agora_sm a, b;
    agora_sm_init(&a);
    fx_ok(&a, fx_config("cluster", "down"));
    restore_copy(&a, &b);
    assert_true(agora_sm_cluster_down(&b));
    assert_same_snapshot(&a, &b);
    agora_sm_free(&a);
    agora_sm_free(&b);
}

/* put_head writes version 1: three config keys, no "cluster". */
static void test_version_1_snapshot_restores_with_cluster_up(void **state)
{
    (void)state;
    const struct rec r[2] = {GOOD_A, GOOD_B};
    struct agora_buf b, again;
    struct agora_sm sm;
    craft(&b, r, NULL, 0);
    agora_sm_init(&sm);
    assert_int_equal(agora_sm_restore(&sm, b.data, b.len), AGORA_OK);
    assert_false(agora_sm_cluster_down(&sm));
    assert_string_equal(agora_sm_config(&sm, AGORA_CFG_CLUSTER), "up");
    snapshot(&sm, &again);
    assert_int_equal(again.data[4], AGORA_SM_SNAPSHOT_VERSION);
    agora_buf_free(&again);
    agora_buf_free(&b);
    agora_sm_free(&sm);
}

static void test_version_2_snapshot_without_cluster_key_is_corrupt(void **state)
{
    (void)state;
    const struct rec r[2] = {GOOD_A, GOOD_B};
    struct agora_buf b;
    struct agora_sm sm;
    craft(&b, r, NULL, 0);
    b.data[4] = 2; /* claims version 2 but holds version 1's three keys */
    agora_sm_init(&sm);
    assert_int_equal(agora_sm_restore(&sm, b.data, b.len), AGORA_ECORRUPT);
    agora_buf_free(&b);
    agora_sm_free(&sm);
}

static void test_restore_rejects_unsorted_members(void **state)
{
    (void)state;
    const struct rec r[2] = {GOOD_B, GOOD_A};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_non_canonical_ip(void **state)
{
    (void)state;
    struct rec b = GOOD_B;
    b.ip = "2001:DB8::2";
    const struct rec r[2] = {GOOD_A, b};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_upper_case_hostname(void **state)
{
    (void)state;
    struct rec b = GOOD_B;
    b.host = "Node-B";
    const struct rec r[2] = {GOOD_A, b};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_duplicate_alias(void **state)
{
    (void)state;
    struct rec b = GOOD_B;
    b.alias = 0;
    const struct rec r[2] = {GOOD_A, b};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_duplicate_key(void **state)
{
    (void)state;
    struct rec b = GOOD_B;
    b.blob = KEY1_BLOB;
    const struct rec r[2] = {GOOD_A, b};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_key_options_that_config_forbids(void **state)
{
    (void)state;
    struct rec b = GOOD_B;
    b.opts = "command=\"/bin/sh\"";
    const struct rec r[2] = {GOOD_A, b};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_member_newer_than_applied(void **state)
{
    (void)state;
    struct rec b = GOOD_B;
    b.since = 6;
    const struct rec r[2] = {GOOD_A, b};
    assert_int_equal(restore_crafted(r, NULL, 0), AGORA_ECORRUPT);
}

static void test_restore_rejects_origin_with_seq_zero(void **state)
{
    (void)state;
    const struct rec r[2] = {GOOD_A, GOOD_B};
    assert_int_equal(restore_crafted(r, "a", 0), AGORA_ECORRUPT);
}

/* Flipping any bits of a snapshot either fails cleanly (state unchanged) or
 * gives a state that is itself a fixed point of snapshot/restore. */
static void test_restore_of_corrupted_bytes_fails_or_gives_a_consistent_state(void **state)
{
    (void)state;
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    struct agora_sm a, target;
    struct agora_buf s, before;
    full_state(&a);
    snapshot(&a, &s);
    agora_sm_init(&target);
    fx_three(&target);
    snapshot(&target, &before);
    for (size_t i = 0; i < s.len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            s.data[i] ^= masks[m];
            if (agora_sm_restore(&target, s.data, s.len) == AGORA_OK) {
                struct agora_sm again;
                struct agora_buf s1, s2;
                snapshot(&target, &s1);
                agora_sm_init(&again);
                assert_int_equal(agora_sm_restore(&again, s1.data, s1.len), AGORA_OK);
                snapshot(&again, &s2);
                assert_bufs_equal(&s1, &s2);
                agora_buf_free(&s1);
                agora_buf_free(&s2);
                agora_sm_free(&again);
                assert_int_equal(agora_sm_restore(&target, before.data, before.len), AGORA_OK);
            } else {
                struct agora_buf now;
                snapshot(&target, &now);
                assert_bufs_equal(&before, &now);
                agora_buf_free(&now);
            }
            s.data[i] ^= masks[m];
        }
    }
    agora_buf_free(&s);
    agora_buf_free(&before);
    agora_sm_free(&a);
    agora_sm_free(&target);
}

/* Restore is never stricter than apply: every state that random entries
 * reach restores, and round-trips to the same bytes. */
static void test_every_state_reached_by_apply_restores_identically(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    struct agora_sm sm, copy;
    agora_sm_init(&sm);
    agora_sm_init(&copy);
    for (int step = 0; step < 3000; step++) {
        struct agora_buf s1, s2;
        assert_int_not_equal(fx_apply(&sm, fx_random_cmd(&seed)), AGORA_ENOMEM);
        snapshot(&sm, &s1);
        assert_int_equal(agora_sm_restore(&copy, s1.data, s1.len), AGORA_OK);
        snapshot(&copy, &s2);
        assert_bufs_equal(&s1, &s2);
        agora_buf_free(&s1);
        agora_buf_free(&s2);
    }
    assert_true(agora_sm_counters(&sm)->ok > 500);
    assert_true(agora_sm_counters(&sm)->rejected > 100);
    assert_true(agora_sm_counters(&sm)->stale > 10);
    agora_sm_free(&sm);
    agora_sm_free(&copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_state_snapshot_restores_to_empty_state),
        cmocka_unit_test(test_snapshot_restore_roundtrip_is_identical),
        cmocka_unit_test(test_restored_state_answers_queries_like_the_original),
        cmocka_unit_test(test_snapshot_is_identical_in_two_instances),
        cmocka_unit_test(test_restoring_then_applying_the_tail_equals_applying_everything),
        cmocka_unit_test(test_restored_exactly_once_table_still_refuses_retries),
        cmocka_unit_test(test_restore_rejects_truncated_snapshot),
        cmocka_unit_test(test_restore_rejects_trailing_bytes),
        cmocka_unit_test(test_restore_rejects_bad_magic_and_unknown_version),
        cmocka_unit_test(test_failed_restore_leaves_state_unchanged),
        cmocka_unit_test(test_restore_rejects_counters_that_do_not_add_up),
        cmocka_unit_test(test_restore_accepts_a_hand_written_snapshot),
        cmocka_unit_test(test_cluster_down_survives_snapshot_and_restore),
        cmocka_unit_test(test_version_1_snapshot_restores_with_cluster_up),
        cmocka_unit_test(test_version_2_snapshot_without_cluster_key_is_corrupt),
        cmocka_unit_test(test_restore_rejects_unsorted_members),
        cmocka_unit_test(test_restore_rejects_non_canonical_ip),
        cmocka_unit_test(test_restore_rejects_upper_case_hostname),
        cmocka_unit_test(test_restore_rejects_duplicate_alias),
        cmocka_unit_test(test_restore_rejects_duplicate_key),
        cmocka_unit_test(test_restore_rejects_key_options_that_config_forbids),
        cmocka_unit_test(test_restore_rejects_member_newer_than_applied),
        cmocka_unit_test(test_restore_rejects_origin_with_seq_zero),
        cmocka_unit_test(test_restore_of_corrupted_bytes_fails_or_gives_a_consistent_state),
        cmocka_unit_test(test_every_state_reached_by_apply_restores_identically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
