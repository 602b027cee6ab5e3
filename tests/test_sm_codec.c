/* test_sm_codec.c: the entry codec of the replicated state machine (sm.h,
 * docs/state-machine.md): every kind of command round-trips through
 * encode and decode with every field, the entry's header is fixed, decode
 * refuses truncated, trailing, unknown or malformed bytes, and encode
 * refuses commands that apply could never accept.
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

/* ---- codec ----------------------------------------------------------------------- */

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

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup_sm, fx_teardown_sm)

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
