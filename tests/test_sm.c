/* test_sm.c: the entry codec and the apply rules of the replicated state
 * machine (docs/state-machine.md). One behaviour per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sm_fixture.h"

/* ---- helpers ------------------------------------------------------------ */

static int setup_sm(void **state)
{
    static struct agora_sm sm;
    agora_sm_init(&sm);
    *state = &sm;
    return 0;
}

static int teardown_sm(void **state)
{
    agora_sm_free(*state);
    return 0;
}

static void encode(struct agora_cmd c, struct agora_buf *b)
{
    char why[256];
    agora_buf_init(b);
    assert_int_equal(agora_cmd_encode(&c, b, why, sizeof why), AGORA_OK);
}

/* Applies raw bytes as the next slot. */
static int apply_raw(struct agora_sm *sm, const uint8_t *p, size_t n, char *why, size_t whylen)
{
    return agora_sm_apply(sm, agora_sm_applied(sm) + 1, p, (uint32_t)n, why, whylen);
}

/* One command of every kind, every field set. */
static struct agora_cmd sample(enum agora_cmd_kind kind)
{
    struct agora_cmd c;
    switch (kind) {
    case AGORA_CMD_MEMBER_JOIN: c = fx_join("a", "node-a", "10.0.0.1", KEY1); break;
    case AGORA_CMD_LEADER: c = fx_leader(7, 2, "a"); break;
    case AGORA_CMD_FRAMEWORK_ID: c = fx_framework("fw-0001"); break;
    case AGORA_CMD_TASK_DESIRED: c = fx_task("web-1", "web1", "10.20.0.11"); break;
    case AGORA_CMD_TASK_OBSERVED:
        c = fx_observed("web-1", AGORA_TASK_RUNNING, "agent-S1", "it \"runs\"\n");
        break;
    case AGORA_CMD_CONFIG: c = fx_config("allow_key_options", "true"); break;
    default: c = fx_member(kind, "a"); break;
    }
    return fx_from(c, "origin-1", 42);
}

/* ---- codec ------------------------------------------------------------------- */

static void test_every_kind_roundtrips_through_encode_and_decode(void **state)
{
    (void)state;
    for (int k = AGORA_CMD_MEMBER_JOIN; k <= AGORA_CMD_CONFIG; k++) {
        struct agora_buf a, b;
        struct agora_cmd d;
        char why[256];
        encode(sample((enum agora_cmd_kind)k), &a);
        assert_int_equal(agora_cmd_decode(&d, a.data, a.len, why, sizeof why), AGORA_OK);
        assert_int_equal(d.kind, k);
        assert_string_equal(d.origin, "origin-1");
        assert_int_equal(d.seq, 42);
        encode(d, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        agora_cmd_clear(&d);
        agora_buf_free(&a);
        agora_buf_free(&b);
    }
}

static void test_decoded_task_keeps_every_field(void **state)
{
    (void)state;
    struct agora_buf a;
    struct agora_cmd d;
    encode(sample(AGORA_CMD_TASK_DESIRED), &a);
    assert_int_equal(agora_cmd_decode(&d, a.data, a.len, NULL, 0), AGORA_OK);
    assert_string_equal(d.u.task.id, "web-1");
    assert_string_equal(d.u.task.group, "web");
    assert_string_equal(d.u.task.hostname, "web1");
    assert_string_equal(d.u.task.ip, "10.20.0.11");
    assert_int_equal(d.u.task.goal, AGORA_GOAL_RUN);
    assert_string_equal(d.u.task.image, "registry.example/web:1.2");
    assert_string_equal(d.u.task.network, "calico-net");
    assert_int_equal(d.u.task.cpus_milli, 500);
    assert_int_equal(d.u.task.mem_mb, 256);
    assert_string_equal(d.u.task.spec, "{\"volumes\":[]}");
    agora_cmd_clear(&d);
    agora_buf_free(&a);
}

static void test_entry_starts_with_kind_version_origin_and_seq(void **state)
{
    (void)state;
    struct agora_buf a;
    encode(fx_from(fx_member(AGORA_CMD_MEMBER_LEAVE, "a"), "ab", 0x0102030405060708ull), &a);
    const uint8_t want[] = {2, 1, 2, 0, 'a', 'b', 8, 7, 6, 5, 4, 3, 2, 1, 1, 0, 'a'};
    assert_int_equal(a.len, sizeof want);
    assert_memory_equal(a.data, want, sizeof want);
    agora_buf_free(&a);
}

static void test_decode_rejects_every_truncation(void **state)
{
    (void)state;
    struct agora_buf a;
    encode(sample(AGORA_CMD_MEMBER_JOIN), &a);
    for (size_t n = 1; n < a.len; n++) {
        struct agora_cmd d;
        assert_int_equal(agora_cmd_decode(&d, a.data, n, NULL, 0), AGORA_ETRUNC);
        assert_null(d.store_);
    }
    agora_buf_free(&a);
}

static void test_decode_rejects_trailing_bytes(void **state)
{
    (void)state;
    struct agora_buf a;
    struct agora_cmd d;
    char why[256];
    encode(sample(AGORA_CMD_LEADER), &a);
    assert_int_equal(agora_buf_put_u8(&a, 0), AGORA_OK);
    assert_int_equal(agora_cmd_decode(&d, a.data, a.len, why, sizeof why), AGORA_ECORRUPT);
    assert_non_null(strstr(why, "trailing"));
    agora_buf_free(&a);
}

static void test_decode_rejects_unknown_kind(void **state)
{
    (void)state;
    const uint8_t e[] = {200, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct agora_cmd d;
    assert_int_equal(agora_cmd_decode(&d, e, sizeof e, NULL, 0), AGORA_EINVAL);
}

static void test_decode_rejects_unknown_version(void **state)
{
    (void)state;
    struct agora_buf a;
    struct agora_cmd d;
    encode(sample(AGORA_CMD_MEMBER_LEAVE), &a);
    a.data[1] = 2;
    assert_int_equal(agora_cmd_decode(&d, a.data, a.len, NULL, 0), AGORA_EINVAL);
    agora_buf_free(&a);
}

static void test_decode_rejects_nul_inside_a_string(void **state)
{
    (void)state;
    /* member_leave, origin "", seq 0, id "a\0b" */
    const uint8_t e[] = {2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 'a', 0, 'b'};
    struct agora_cmd d;
    assert_int_equal(agora_cmd_decode(&d, e, sizeof e, NULL, 0), AGORA_EINVAL);
}

static void test_encode_refuses_overlong_message_and_appends_nothing(void **state)
{
    (void)state;
    char msg[AGORA_SM_MESSAGE_MAX + 2];
    memset(msg, 'x', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    struct agora_cmd c = fx_observed("t", AGORA_TASK_FAILED, "", msg);
    struct agora_buf b;
    agora_buf_init(&b);
    assert_int_equal(agora_buf_put_u8(&b, 9), AGORA_OK);
    assert_int_equal(agora_cmd_encode(&c, &b, NULL, 0), AGORA_ETOOBIG);
    assert_int_equal(b.len, 1);
    agora_buf_free(&b);
}

static void test_encode_refuses_malformed_member_id(void **state)
{
    (void)state;
    struct agora_buf b;
    agora_buf_init(&b);
    struct agora_cmd c = fx_member(AGORA_CMD_MEMBER_LEAVE, "-a");
    assert_int_equal(agora_cmd_encode(&c, &b, NULL, 0), AGORA_EINVAL);
    c = fx_member(AGORA_CMD_MEMBER_LEAVE, "a b");
    assert_int_equal(agora_cmd_encode(&c, &b, NULL, 0), AGORA_EINVAL);
    c = fx_member(AGORA_CMD_MEMBER_LEAVE, "");
    assert_int_equal(agora_cmd_encode(&c, &b, NULL, 0), AGORA_EINVAL);
    agora_buf_free(&b);
}

static void test_encode_refuses_seq_without_origin(void **state)
{
    (void)state;
    struct agora_buf b;
    agora_buf_init(&b);
    struct agora_cmd c = fx_from(fx_framework("f"), "", 3);
    assert_int_equal(agora_cmd_encode(&c, &b, NULL, 0), AGORA_EINVAL);
    agora_buf_free(&b);
}

static void test_encode_refuses_unknown_config_key(void **state)
{
    (void)state;
    struct agora_buf b;
    agora_buf_init(&b);
    struct agora_cmd c = fx_config("allow_everything", "true");
    assert_int_equal(agora_cmd_encode(&c, &b, NULL, 0), AGORA_EINVAL);
    agora_buf_free(&b);
}

static void test_clearing_a_built_cmd_is_harmless(void **state)
{
    (void)state;
    struct agora_cmd c = fx_join("a", "node-a", "10.0.0.1", KEY1);
    agora_cmd_clear(&c);
    assert_int_equal(c.kind, AGORA_CMD_NOOP);
    assert_null(c.u.join.id);
}

static void test_task_state_names_parse_back(void **state)
{
    (void)state;
    assert_null(agora_task_state_name(AGORA_TASK_NONE));
    for (int s = AGORA_TASK_STAGING; s <= AGORA_TASK_STATE_LAST; s++) {
        enum agora_task_state got;
        const char *n = agora_task_state_name(s);
        assert_non_null(n);
        assert_int_equal(agora_task_state_parse(n, strlen(n), &got), AGORA_OK);
        assert_int_equal(got, s);
    }
    enum agora_task_state got;
    assert_int_equal(agora_task_state_parse("TASK_RUN", 8, &got), AGORA_EINVAL);
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

/* ---- members ------------------------------------------------------------------------ */

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

/* ---- aliases ---------------------------------------------------------------------------- */

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

/* ---- exactly once ---------------------------------------------------------------------- */

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

/* ---- leader and framework ------------------------------------------------------------------- */

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

/* ---- tasks ------------------------------------------------------------------------------------- */

static void test_task_desired_creates_unobserved_task(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "Web1", "10.20.0.11"));
    const struct agora_task *t = agora_sm_task_find(sm, "web-1");
    assert_non_null(t);
    assert_string_equal(t->hostname, "web1");
    assert_int_equal(t->goal, AGORA_GOAL_RUN);
    assert_int_equal(t->state, AGORA_TASK_NONE);
    assert_string_equal(t->agent_id, "");
    assert_int_equal(t->desired_slot, 1);
    assert_int_equal(t->observed_slot, 0);
}

static void test_task_without_address_is_accepted(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("batch-1", "", ""));
    assert_string_equal(agora_sm_task_find(sm, "batch-1")->ip, "");
}

static void test_task_with_hostname_but_no_ip_is_refused(void **state)
{
    struct agora_sm *sm = *state;
    struct agora_cmd c = fx_task("web-1", "web1", "");
    assert_int_equal(agora_sm_check(sm, &c, NULL, 0), AGORA_EINVAL);
}

static void test_task_observed_records_state_agent_and_message(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_observed("web-1", AGORA_TASK_RUNNING, "MID-S4", "started"));
    const struct agora_task *t = agora_sm_task_find(sm, "web-1");
    assert_int_equal(t->state, AGORA_TASK_RUNNING);
    assert_string_equal(t->agent_id, "MID-S4");
    assert_string_equal(t->message, "started");
    assert_int_equal(t->observed_slot, 2);
}

static void test_task_desired_update_keeps_observed_state(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_observed("web-1", AGORA_TASK_RUNNING, "MID-S4", "started"));
    struct agora_cmd c = fx_task("web-1", "web1", "10.20.0.11");
    c.u.task.goal = AGORA_GOAL_STOP;
    fx_ok(sm, c);
    const struct agora_task *t = agora_sm_task_find(sm, "web-1");
    assert_int_equal(t->goal, AGORA_GOAL_STOP);
    assert_int_equal(t->state, AGORA_TASK_RUNNING);
    assert_string_equal(t->agent_id, "MID-S4");
    assert_int_equal(t->desired_slot, 3);
    assert_int_equal(t->observed_slot, 2);
}

static void test_task_observed_for_unknown_task_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    assert_int_equal(fx_apply(sm, fx_observed("nope", AGORA_TASK_RUNNING, "", "")), AGORA_ENOENT);
    assert_int_equal(agora_sm_task_count(sm), 0);
}

static void test_task_remove_deletes_task(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    fx_ok(sm, fx_task("web-2", "web2", "10.20.0.12"));
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_TASK_REMOVE;
    c.u.remove.id = "web-1";
    fx_ok(sm, c);
    assert_null(agora_sm_task_find(sm, "web-1"));
    assert_string_equal(agora_sm_task_at(sm, 0)->id, "web-2");
    assert_int_equal(fx_apply(sm, c), AGORA_ENOENT);
}

static void test_task_with_member_hostname_at_other_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    assert_int_equal(fx_apply(sm, fx_task("t", "node-a", "10.9.9.9")), AGORA_EEXIST);
}

static void test_task_with_member_hostname_at_same_ip_is_accepted(void **state)
{
    struct agora_sm *sm = *state;
    fx_three(sm);
    fx_ok(sm, fx_task("t", "node-a", "10.0.0.1"));
}

static void test_task_hostname_held_by_other_task_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web", "10.20.0.11"));
    assert_int_equal(fx_apply(sm, fx_task("web-2", "web", "10.20.0.11")), AGORA_EEXIST);
}

static void test_join_with_task_hostname_at_other_ip_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    fx_ok(sm, fx_task("web-1", "web1", "10.20.0.11"));
    assert_int_equal(fx_apply(sm, fx_join("w", "web1", "10.0.0.5", KEY1)), AGORA_EEXIST);
    fx_ok(sm, fx_join("w", "web1", "10.20.0.11", KEY1));
}

static void test_task_beyond_max_tasks_is_rejected(void **state)
{
    struct agora_sm *sm = *state;
    char id[16];
    for (unsigned i = 0; i <= AGORA_SM_MAX_TASKS; i++) {
        snprintf(id, sizeof id, "t%u", i);
        int rc = fx_apply(sm, fx_task(id, "", ""));
        assert_int_equal(rc, i < AGORA_SM_MAX_TASKS ? AGORA_OK : AGORA_ETOOBIG);
    }
    assert_int_equal(agora_sm_task_count(sm), AGORA_SM_MAX_TASKS);
}

/* ---- configuration ------------------------------------------------------------------------------ */

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

/* ---- determinism and dry runs ------------------------------------------------------------------- */

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

#define T(f) cmocka_unit_test_setup_teardown(f, setup_sm, teardown_sm)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_every_kind_roundtrips_through_encode_and_decode),
        T(test_decoded_task_keeps_every_field),
        T(test_entry_starts_with_kind_version_origin_and_seq),
        T(test_decode_rejects_every_truncation),
        T(test_decode_rejects_trailing_bytes),
        T(test_decode_rejects_unknown_kind),
        T(test_decode_rejects_unknown_version),
        T(test_decode_rejects_nul_inside_a_string),
        T(test_encode_refuses_overlong_message_and_appends_nothing),
        T(test_encode_refuses_malformed_member_id),
        T(test_encode_refuses_seq_without_origin),
        T(test_encode_refuses_unknown_config_key),
        T(test_clearing_a_built_cmd_is_harmless),
        T(test_task_state_names_parse_back),
        T(test_empty_value_applies_as_noop),
        T(test_slot_out_of_order_changes_nothing),
        T(test_undecodable_entry_is_rejected_and_counted),
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
        T(test_retried_request_is_applied_once),
        T(test_request_with_lower_seq_is_stale),
        T(test_sequences_of_different_origins_are_independent),
        T(test_rejected_request_consumes_its_seq),
        T(test_requests_without_seq_are_never_deduplicated),
        T(test_full_origin_table_evicts_oldest_origin_that_is_not_a_member),
        T(test_leader_records_ballot_id_and_slot),
        T(test_no_leader_before_any_leader_entry),
        T(test_leader_with_lower_or_equal_ballot_is_rejected),
        T(test_leader_that_is_not_a_member_has_no_member_record),
        T(test_framework_id_is_set_and_cleared),
        T(test_task_desired_creates_unobserved_task),
        T(test_task_without_address_is_accepted),
        T(test_task_with_hostname_but_no_ip_is_refused),
        T(test_task_observed_records_state_agent_and_message),
        T(test_task_desired_update_keeps_observed_state),
        T(test_task_observed_for_unknown_task_is_rejected),
        T(test_task_remove_deletes_task),
        T(test_task_with_member_hostname_at_other_ip_is_rejected),
        T(test_task_with_member_hostname_at_same_ip_is_accepted),
        T(test_task_hostname_held_by_other_task_is_rejected),
        T(test_join_with_task_hostname_at_other_ip_is_rejected),
        T(test_task_beyond_max_tasks_is_rejected),
        T(test_config_defaults),
        T(test_config_with_bad_value_is_rejected),
        T(test_cluster_is_up_by_default),
        T(test_cluster_down_then_up_is_applied),
        T(test_cluster_value_other_than_up_or_down_is_rejected),
        T(test_cluster_down_from_a_requester_is_applied_once),
        T(test_disabling_key_options_while_a_member_uses_them_is_rejected),
        T(test_alias_prefix_colliding_with_a_hostname_is_rejected),
        T(test_leader_alias_colliding_with_alias_prefix_is_rejected),
        T(test_same_entries_give_identical_state_in_two_instances),
        T(test_check_predicts_apply_without_changing_state),
        T(test_mutated_entries_apply_identically_in_two_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
