/* test_control.c: the membership register messages (control.h): every type
 * round-trips, the layout of a heartbeat byte by byte, malformed input and
 * the limits are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "agora/control.h"

static void roundtrip(const struct agora_ctl *c, struct agora_ctl *d)
{
    struct agora_buf b;
    agora_buf_init(&b);
    assert_int_equal(agora_ctl_encode(c, &b), AGORA_OK);
    assert_int_equal(agora_ctl_decode(b.data, b.len, d), AGORA_OK);
    /* any strict prefix is refused */
    for (size_t n = 0; n < b.len; n++) {
        struct agora_ctl x;
        assert_int_not_equal(agora_ctl_decode(b.data, n, &x), AGORA_OK);
    }
    agora_buf_free(&b);
}

static void heartbeat_layout(void **state)
{
    (void)state;
    struct agora_ctl c, d;
    struct agora_buf b;
    agora_ctl_init(&c);
    agora_buf_init(&b);
    c.type = AGORA_CTL_HEARTBEAT;
    assert_int_equal(agora_ctl_set_member(&c, "m1", 2), AGORA_OK);
    assert_int_equal(agora_ctl_encode(&c, &b), AGORA_OK);
    const uint8_t want[] = {1, AGORA_CTL_HEARTBEAT, 0, 0, 2, 0, 'm', '1'};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    roundtrip(&c, &d);
    assert_string_equal(d.member, "m1");
    agora_ctl_clear(&d);
    agora_ctl_clear(&c);
    agora_buf_free(&b);
}

static void registers(void **state)
{
    (void)state;
    struct agora_ctl c, d;
    agora_ctl_init(&c);
    c.type = AGORA_CTL_REGISTERS;
    c.ballot = (struct agora_ballot){5, 7};
    c.applied = 10;
    c.commit = 12;
    assert_int_equal(agora_ctl_add_member(&c, "a", 1, 100, 3), AGORA_OK);
    assert_int_equal(agora_ctl_add_member(&c, "b", 2, 200, 4), AGORA_OK);
    assert_int_equal(agora_ctl_add_queued(&c, 50, (const uint8_t *)"xyz", 3), AGORA_OK);
    roundtrip(&c, &d);
    assert_int_equal(d.type, AGORA_CTL_REGISTERS);
    assert_int_equal(d.ballot.round, 5);
    assert_int_equal(d.ballot.node, 7);
    assert_int_equal(d.applied, 10);
    assert_int_equal(d.commit, 12);
    assert_int_equal(d.n_members, 2);
    assert_string_equal(d.members[1].id, "b");
    assert_int_equal(d.members[1].sender, 2);
    assert_int_equal(d.members[1].age, 200);
    assert_int_equal(d.members[1].beats, 4);
    assert_int_equal(d.n_queued, 1);
    assert_int_equal(d.queued[0].len, 3);
    assert_memory_equal(d.queued[0].data, "xyz", 3);
    agora_ctl_clear(&d);
    agora_ctl_clear(&c);
}

static void other_types(void **state)
{
    (void)state;
    struct agora_ctl c, d;
    agora_ctl_init(&c);
    c.type = AGORA_CTL_ACK;
    c.status = AGORA_CTL_FENCED;
    c.ballot = (struct agora_ballot){9, 1};
    assert_int_equal(agora_ctl_set_text(&c, "why", 3), AGORA_OK);
    roundtrip(&c, &d);
    assert_int_equal(d.status, AGORA_CTL_FENCED);
    assert_string_equal(d.text, "why");
    assert_int_equal(d.ballot.round, 9);
    agora_ctl_clear(&d);
    agora_ctl_clear(&c);

    c.type = AGORA_CTL_SUBMIT;
    assert_int_equal(agora_ctl_set_data(&c, (const uint8_t *)"\0\1\2", 3), AGORA_OK);
    roundtrip(&c, &d);
    assert_int_equal(d.len, 3);
    agora_ctl_clear(&d);
    agora_ctl_clear(&c);

    c.type = AGORA_CTL_POLL;
    c.ballot = (struct agora_ballot){4, 2};
    roundtrip(&c, &d);
    assert_int_equal(d.ballot.node, 2);
    agora_ctl_clear(&d);
    c.type = AGORA_CTL_STATUS;
    roundtrip(&c, &d);
    agora_ctl_clear(&d);
    agora_ctl_clear(&c);
}

static void malformed(void **state)
{
    (void)state;
    struct agora_ctl d;
    const uint8_t badver[] = {2, AGORA_CTL_STATUS, 0, 0};
    const uint8_t badtype[] = {1, 99, 0, 0};
    const uint8_t badstatus[] = {1, AGORA_CTL_STATUS, 9, 0};
    const uint8_t trailing[] = {1, AGORA_CTL_STATUS, 0, 0, 0};
    const uint8_t nul[] = {1, AGORA_CTL_HEARTBEAT, 0, 0, 2, 0, 'a', 0};
    assert_int_equal(agora_ctl_decode(badver, sizeof(badver), &d), AGORA_EINVAL);
    assert_int_equal(agora_ctl_decode(badtype, sizeof(badtype), &d), AGORA_EINVAL);
    assert_int_equal(agora_ctl_decode(badstatus, sizeof(badstatus), &d), AGORA_EINVAL);
    assert_int_equal(agora_ctl_decode(trailing, sizeof(trailing), &d), AGORA_EINVAL);
    assert_int_equal(agora_ctl_decode(nul, sizeof(nul), &d), AGORA_EINVAL);
    /* a member id over the limit */
    char big[AGORA_CTL_ID_MAX + 2];
    memset(big, 'x', sizeof(big));
    struct agora_ctl c;
    agora_ctl_init(&c);
    assert_int_equal(agora_ctl_set_member(&c, big, sizeof(big)), AGORA_EINVAL);
    /* a count larger than the limit */
    const uint8_t many[] = {1, AGORA_CTL_REGISTERS, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    assert_int_equal(agora_ctl_decode(many, sizeof(many), &d), AGORA_ETOOBIG);
    agora_ctl_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heartbeat_layout),
        cmocka_unit_test(registers),
        cmocka_unit_test(other_types),
        cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
