/* test_sm_members.c: membership in the replicated state machine (sm.h,
 * docs/state-machine.md): a join is stored in canonical form and refused
 * for an invalid or duplicate host name, address or key, for key options
 * unless allowed, for a name an alias could take, or beyond the member
 * limit; a re-join updates; leave and expire free what the member held;
 * each member's alias is the lowest free number, kept while it stays.
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

/* ---- members --------------------------------------------------------------------- */

static void test_join_adds_member_in_canonical_form(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_cmd c = fx_join("a", "Node-A.Example", "2001:DB8:0:0::1", KEY1);
    c.u.join.kind = AGORA_MEMBER_CONTAINER;
    fx_ok(sm, c);
    const struct agora_member *m = agora_sm_member_find(sm, "a");
    assert_non_null(m);
    assert_string_equal(m->hostname, "node-a.example");
    assert_string_equal(m->ip, "2001:db8::1");
    assert_string_equal(m->key_type, "ssh-ed25519");
    assert_string_equal(m->key_blob, KEY1_BLOB);
    assert_string_equal(m->key_options, "");
    assert_int_equal(m->kind, AGORA_MEMBER_CONTAINER);
    assert_int_equal(m->alias, 0);
    assert_int_equal(m->since, 1);
    assert_int_equal(m->updated, 1);
}

static void test_members_iterate_in_id_order(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_join("c", "node-c", "10.0.0.3", KEY3));
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", KEY1));
    fx_ok(sm, fx_join("b", "node-b", "10.0.0.2", KEY2));
    assert_int_equal(agora_sm_member_count(sm), 3);
    assert_string_equal(agora_sm_member_at(sm, 0)->id, "a");
    assert_string_equal(agora_sm_member_at(sm, 1)->id, "b");
    assert_string_equal(agora_sm_member_at(sm, 2)->id, "c");
    assert_null(agora_sm_member_at(sm, 3));
}

static void test_join_with_invalid_hostname_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char why[256];
    assert_int_equal(fx_apply_why(sm, fx_join("a", "-bad-", "10.0.0.1", KEY1), why, sizeof why),
                     AGORA_EINVAL);
    assert_non_null(strstr(why, "host name"));
    assert_int_equal(agora_sm_member_count(sm), 0);
    assert_int_equal(agora_sm_counters(sm)->rejected, 1);
}

static void test_join_with_invalid_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char why[256];
    assert_int_equal(fx_apply_why(sm, fx_join("a", "node-a", "10.0.0.256", KEY1), why, sizeof why),
                     AGORA_EINVAL);
    assert_non_null(strstr(why, "ip"));
    assert_int_equal(agora_sm_member_count(sm), 0);
}

static void test_join_with_unspecified_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(fx_apply(sm, fx_join("a", "node-a", "0.0.0.0", KEY1)), AGORA_EINVAL);
    assert_int_equal(fx_apply(sm, fx_join("a", "node-a", "::", KEY1)), AGORA_EINVAL);
    assert_int_equal(agora_sm_member_count(sm), 0);
}

static void test_join_with_invalid_key_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char why[256];
    int rc = fx_apply_why(sm, fx_join("a", "node-a", "10.0.0.1", "ssh-ed25519 AAAA!!!! x"), why,
                          sizeof why);
    assert_int_equal(rc, AGORA_EINVAL);
    assert_non_null(strstr(why, "ssh key"));
    assert_int_equal(agora_sm_member_count(sm), 0);
}

static void test_join_with_key_options_is_rejected_by_default(void **state)
{
    struct agora_sm *sm = *state;
    int rc = fx_apply(sm, fx_join("a", "node-a", "10.0.0.1", "command=\"/bin/sh\" " KEY1));
    assert_int_not_equal(rc, AGORA_OK);
    assert_int_equal(agora_sm_member_count(sm), 0);
}

static void test_join_with_key_options_is_accepted_when_allowed(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_config("allow_key_options", "true"));
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", "no-pty,command=\"uptime\" " KEY1));
    assert_string_equal(agora_sm_member_find(sm, "a")->key_options, "no-pty,command=\"uptime\"");
}

static void test_join_with_duplicate_key_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char why[256];
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", KEY1));
    /* the same key with another comment is the same key */
    int rc = fx_apply_why(sm, fx_join("b", "node-b", "10.0.0.2", "ssh-ed25519 " KEY1_BLOB " other"),
                          why, sizeof why);
    assert_int_equal(rc, AGORA_EEXIST);
    assert_non_null(strstr(why, "ssh key"));
    assert_null(agora_sm_member_find(sm, "b"));
}

static void test_join_with_duplicate_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_join("a", "node-a", "2001:db8::1", KEY1));
    /* another spelling of the same address */
    int rc = fx_apply(sm, fx_join("b", "node-b", "2001:0db8:0000::0001", KEY2));
    assert_int_equal(rc, AGORA_EEXIST);
    assert_null(agora_sm_member_find(sm, "b"));
}

static void test_join_with_duplicate_hostname_in_other_case_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", KEY1));
    assert_int_equal(fx_apply(sm, fx_join("b", "NODE-A", "10.0.0.2", KEY2)), AGORA_EEXIST);
}

static void test_join_with_alias_like_hostname_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char why[256];
    int rc = fx_apply_why(sm, fx_join("a", "cluster-7", "10.0.0.1", KEY1), why, sizeof why);
    assert_int_equal(rc, AGORA_EINVAL);
    assert_non_null(strstr(why, "reserved"));
    assert_int_equal(fx_apply(sm, fx_join("a", "Leader", "10.0.0.1", KEY1)), AGORA_EINVAL);
    fx_ok(sm, fx_join("a", "cluster-x", "10.0.0.1", KEY1));
}

static void test_rejoin_updates_member_and_keeps_alias_and_since(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_join("a", "node-a", "10.0.0.1", KEY1));
    fx_ok(sm, fx_join("b", "node-b", "10.0.0.2", KEY2));
    fx_ok(sm, fx_join("a", "node-a2", "10.0.0.9", KEY4));
    const struct agora_member *m = agora_sm_member_find(sm, "a");
    assert_int_equal(agora_sm_member_count(sm), 2);
    assert_string_equal(m->hostname, "node-a2");
    assert_string_equal(m->ip, "10.0.0.9");
    assert_int_equal(m->alias, 0);
    assert_int_equal(m->since, 1);
    assert_int_equal(m->updated, 3);
}

static void test_join_beyond_max_members_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char id[16], host[32], ip[32], key[128];
    for (unsigned i = 0; i <= AGORA_SM_MAX_MEMBERS; i++) {
        snprintf(id, sizeof id, "m%u", i);
        snprintf(host, sizeof host, "host-%u", i);
        snprintf(ip, sizeof ip, "10.1.%u.%u", i / 200, i % 200 + 1);
        fx_key(i, key, sizeof key);
        int rc = fx_apply(sm, fx_join(id, host, ip, key));
        assert_int_equal(rc, i < AGORA_SM_MAX_MEMBERS ? AGORA_OK : AGORA_ETOOBIG);
    }
    assert_int_equal(agora_sm_member_count(sm), AGORA_SM_MAX_MEMBERS);
}

static void test_member_leave_removes_member(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_LEAVE, "b"));
    assert_null(agora_sm_member_find(sm, "b"));
    assert_int_equal(agora_sm_member_count(sm), 2);
    assert_int_equal(agora_sm_counters(sm)->expired, 0);
}

static void test_member_expire_removes_member_and_is_counted(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_EXPIRE, "a"));
    assert_null(agora_sm_member_find(sm, "a"));
    assert_int_equal(agora_sm_counters(sm)->expired, 1);
}

static void test_leave_of_unknown_member_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    assert_int_equal(fx_apply(sm, fx_member(AGORA_CMD_MEMBER_LEAVE, "z")), AGORA_ENOENT);
    assert_int_equal(agora_sm_member_count(sm), 3);
}

static void test_freed_key_ip_and_hostname_can_be_taken_after_leave(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_LEAVE, "a"));
    fx_ok(sm, fx_join("d", "node-a", "10.0.0.1", KEY1));
}

/* ---- aliases --------------------------------------------------------------------- */

static void test_alias_is_lowest_free_number(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    assert_int_equal(agora_sm_member_find(sm, "a")->alias, 0);
    assert_int_equal(agora_sm_member_find(sm, "b")->alias, 1);
    assert_int_equal(agora_sm_member_find(sm, "c")->alias, 2);
}

static void test_alias_is_kept_when_others_leave(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_LEAVE, "a"));
    assert_int_equal(agora_sm_member_find(sm, "c")->alias, 2);
}

static void test_alias_is_reused_after_leave(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_member(AGORA_CMD_MEMBER_LEAVE, "b"));
    fx_ok(sm, fx_join("d", "node-d", "10.0.0.4", KEY4));
    assert_int_equal(agora_sm_member_find(sm, "d")->alias, 1);
    fx_ok(sm, fx_join("e", "node-e", "10.0.0.5", KEY5));
    assert_int_equal(agora_sm_member_find(sm, "e")->alias, 3);
}

static void test_alias_formats_with_configured_prefix(void **state)
{
    struct agora_sm *sm = *state;
    char alias[AGORA_SM_ALIAS_LEN];
    assert_int_equal(agora_sm_alias(sm, 4, alias, sizeof alias), AGORA_OK);
    assert_string_equal(alias, "cluster-4");
    fx_ok(sm, fx_config("alias_prefix", "node"));
    assert_int_equal(agora_sm_alias(sm, 12, alias, sizeof alias), AGORA_OK);
    assert_string_equal(alias, "node12");
    assert_int_equal(agora_sm_alias(sm, 12, alias, 4), AGORA_ETOOBIG);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup_sm, fx_teardown_sm)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_join_adds_member_in_canonical_form),
        T(test_members_iterate_in_id_order),
        T(test_join_with_invalid_hostname_is_rejected),
        T(test_join_with_invalid_ip_is_rejected),
        T(test_join_with_unspecified_ip_is_rejected),
        T(test_join_with_invalid_key_is_rejected),
        T(test_join_with_key_options_is_rejected_by_default),
        T(test_join_with_key_options_is_accepted_when_allowed),
        T(test_join_with_duplicate_key_is_rejected),
        T(test_join_with_duplicate_ip_is_rejected),
        T(test_join_with_duplicate_hostname_in_other_case_is_rejected),
        T(test_join_with_alias_like_hostname_is_rejected),
        T(test_rejoin_updates_member_and_keeps_alias_and_since),
        T(test_join_beyond_max_members_is_rejected),
        T(test_member_leave_removes_member),
        T(test_member_expire_removes_member_and_is_counted),
        T(test_leave_of_unknown_member_is_rejected),
        T(test_freed_key_ip_and_hostname_can_be_taken_after_leave),
        T(test_alias_is_lowest_free_number),
        T(test_alias_is_kept_when_others_leave),
        T(test_alias_is_reused_after_leave),
        T(test_alias_formats_with_configured_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
