/* test_sm_cluster.c: the cluster-wide records of the replicated state
 * machine (sm.h, docs/state-machine.md): the leader (only ever a higher
 * ballot), the framework id, and the configuration keys with their
 * defaults, their allowed values, and the conflicts they may not create
 * with members, aliases or each other; cluster down/up.
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

/* ---- leader and framework -------------------------------------------------------- */

static void test_leader_records_ballot_id_and_slot(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_leader(3, 2, "b"));
    struct agora_sm_leader l = agora_sm_leader(sm);
    assert_string_equal(l.id, "b");
    assert_int_equal(l.ballot.round, 3);
    assert_int_equal(l.ballot.node, 2);
    assert_int_equal(l.since, 4);
    assert_string_equal(agora_sm_leader_member(sm)->id, "b");
}

static void test_no_leader_before_any_leader_entry(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_sm_leader l = agora_sm_leader(sm);
    assert_string_equal(l.id, "");
    assert_true(agora_ballot_is_zero(l.ballot));
    assert_null(agora_sm_leader_member(sm));
}

static void test_leader_with_lower_or_equal_ballot_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_leader(3, 2, "b"));
    assert_int_equal(fx_apply(sm, fx_leader(3, 2, "c")), AGORA_EINVAL);
    assert_int_equal(fx_apply(sm, fx_leader(3, 1, "c")), AGORA_EINVAL);
    assert_int_equal(fx_apply(sm, fx_leader(2, 9, "c")), AGORA_EINVAL);
    assert_string_equal(agora_sm_leader(sm).id, "b");
    fx_ok(sm, fx_leader(3, 3, "c"));
    assert_string_equal(agora_sm_leader(sm).id, "c");
}

static void test_leader_that_is_not_a_member_has_no_member_record(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_leader(1, 1, "ghost"));
    assert_string_equal(agora_sm_leader(sm).id, "ghost");
    assert_null(agora_sm_leader_member(sm));
}

static void test_framework_id_is_set_and_cleared(void **state)
{
    struct agora_sm *sm = *state;
    assert_string_equal(agora_sm_framework_id(sm), "");
    fx_ok(sm, fx_framework("5c1e0b3a-0000"));
    assert_string_equal(agora_sm_framework_id(sm), "5c1e0b3a-0000");
    fx_ok(sm, fx_framework(""));
    assert_string_equal(agora_sm_framework_id(sm), "");
}

/* ---- configuration --------------------------------------------------------------- */

static void test_config_defaults(void **state)
{
    struct agora_sm *sm = *state;
    assert_string_equal(agora_sm_config(sm, AGORA_CFG_ALIAS_PREFIX), "cluster-");
    assert_string_equal(agora_sm_config(sm, AGORA_CFG_LEADER_ALIAS), "leader");
    assert_false(agora_sm_allow_key_options(sm));
}

static void test_config_with_bad_value_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(fx_apply(sm, fx_config("allow_key_options", "yes")), AGORA_EINVAL);
    assert_int_equal(fx_apply(sm, fx_config("alias_prefix", "Node")), AGORA_EINVAL);
    assert_int_equal(fx_apply(sm, fx_config("leader_alias", "boss-")), AGORA_EINVAL);
    assert_false(agora_sm_allow_key_options(sm));
}

static void test_cluster_is_up_by_default(void **state)
{
    struct agora_sm *sm = *state;
    assert_string_equal(agora_sm_config(sm, AGORA_CFG_CLUSTER), "up");
    assert_false(agora_sm_cluster_down(sm));
}

static void test_cluster_down_then_up_is_applied(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_config("cluster", "down"));
    assert_true(agora_sm_cluster_down(sm));
    fx_ok(sm, fx_config("cluster", "up"));
    assert_false(agora_sm_cluster_down(sm));
}

static void test_cluster_value_other_than_up_or_down_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(fx_apply(sm, fx_config("cluster", "off")), AGORA_EINVAL);
    assert_int_equal(fx_apply(sm, fx_config("cluster", "Down")), AGORA_EINVAL);
    assert_false(agora_sm_cluster_down(sm));
}

static void test_cluster_down_from_a_requester_is_applied_once(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_from(fx_config("cluster", "down"), "ctl:h1", 10));
    fx_ok(sm, fx_config("cluster", "up"));
    assert_int_equal(fx_apply(sm, fx_from(fx_config("cluster", "down"), "ctl:h1", 10)),
                     AGORA_ESTALE);
    assert_false(agora_sm_cluster_down(sm));
}

static void test_disabling_key_options_while_a_member_uses_them_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char why[256];
    fx_ok(sm, fx_config("allow_key_options", "true"));
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", "no-pty " KEY1));
    assert_int_equal(fx_apply_why(sm, fx_config("allow_key_options", "false"), why, sizeof why),
                     AGORA_EINVAL);
    assert_non_null(strstr(why, "member a"));
    assert_true(agora_sm_allow_key_options(sm));
}

static void test_alias_prefix_colliding_with_a_hostname_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_join("a", "node1", "10.0.0.1", KEY1));
    assert_int_equal(fx_apply(sm, fx_config("alias_prefix", "node")), AGORA_EEXIST);
    assert_string_equal(agora_sm_config(sm, AGORA_CFG_ALIAS_PREFIX), "cluster-");
}

static void test_leader_alias_colliding_with_alias_prefix_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(fx_apply(sm, fx_config("leader_alias", "cluster-0")), AGORA_EINVAL);
    fx_ok(sm, fx_config("leader_alias", "master"));
    assert_int_equal(fx_apply(sm, fx_config("alias_prefix", "maste")), AGORA_OK);
    assert_int_equal(fx_apply(sm, fx_config("leader_alias", "maste1")), AGORA_EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup_sm, fx_teardown_sm)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_leader_records_ballot_id_and_slot),
        T(test_no_leader_before_any_leader_entry),
        T(test_leader_with_lower_or_equal_ballot_is_rejected),
        T(test_leader_that_is_not_a_member_has_no_member_record),
        T(test_framework_id_is_set_and_cleared),
        T(test_config_defaults),
        T(test_config_with_bad_value_is_rejected),
        T(test_cluster_is_up_by_default),
        T(test_cluster_down_then_up_is_applied),
        T(test_cluster_value_other_than_up_or_down_is_rejected),
        T(test_cluster_down_from_a_requester_is_applied_once),
        T(test_disabling_key_options_while_a_member_uses_them_is_rejected),
        T(test_alias_prefix_colliding_with_a_hostname_is_rejected),
        T(test_leader_alias_colliding_with_alias_prefix_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
