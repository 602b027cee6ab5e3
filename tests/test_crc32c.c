/* test_crc32c.c: CRC-32C (Castagnoli) against published check values
 * (the CRC catalogue's "123456789", RFC 3720 appendix B.4), against a
 * naive bit-at-a-time reference on seeded pseudo-random inputs, and for
 * the continuation contract: crc(crc(0, a), b) == crc(0, a || b). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "agora/crc32c.h"

/* The definition, one bit at a time (reflected polynomial 0x82F63B78). */
static uint32_t naive_crc32c(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

/* xorshift64, fixed seed: the same bytes on every run. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_check_value_of_123456789(void **state)
{
    (void)state;
    assert_int_equal(agora_crc32c(0, "123456789", 9), 0xE3069283u);
}

static void test_empty_input_is_zero(void **state)
{
    (void)state;
    assert_int_equal(agora_crc32c(0, "", 0), 0);
    assert_int_equal(agora_crc32c(0, NULL, 0), 0);
}

static void test_empty_continuation_leaves_crc_unchanged(void **state)
{
    (void)state;
    uint32_t c = agora_crc32c(0, "abc", 3);
    assert_int_equal(agora_crc32c(c, "", 0), c);
}

static void test_rfc3720_32_zero_bytes(void **state)
{
    (void)state;
    uint8_t buf[32];
    memset(buf, 0, sizeof(buf));
    assert_int_equal(agora_crc32c(0, buf, sizeof(buf)), 0x8A9136AAu);
}

static void test_rfc3720_32_ff_bytes(void **state)
{
    (void)state;
    uint8_t buf[32];
    memset(buf, 0xFF, sizeof(buf));
    assert_int_equal(agora_crc32c(0, buf, sizeof(buf)), 0x62A8AB43u);
}

static void test_rfc3720_32_incrementing_bytes(void **state)
{
    (void)state;
    uint8_t buf[32];
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(agora_crc32c(0, buf, sizeof(buf)), 0x46DD794Eu);
}

static void test_rfc3720_32_decrementing_bytes(void **state)
{
    (void)state;
    uint8_t buf[32];
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(agora_crc32c(0, buf, sizeof(buf)), 0x113FDB5Cu);
}

static void test_rfc3720_iscsi_read_pdu(void **state)
{
    (void)state;
    static const uint8_t pdu[48] = {
        0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    assert_int_equal(agora_crc32c(0, pdu, sizeof(pdu)), 0xD9963A56u);
}

static void test_incremental_equals_one_shot_at_every_split(void **state)
{
    (void)state;
    static const char msg[] = "The quick brown fox jumps over the lazy dog";
    const size_t n = sizeof(msg) - 1;
    uint32_t whole = agora_crc32c(0, msg, n);
    for (size_t cut = 0; cut <= n; cut++) {
        uint32_t c = agora_crc32c(0, msg, cut);
        assert_int_equal(agora_crc32c(c, msg + cut, n - cut), whole);
    }
}

static void test_byte_at_a_time_equals_one_shot(void **state)
{
    (void)state;
    uint8_t buf[257];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    uint32_t c = 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        c = agora_crc32c(c, buf + i, 1);
    assert_int_equal(c, agora_crc32c(0, buf, sizeof(buf)));
}

static void test_matches_bitwise_reference_on_seeded_random_inputs(void **state)
{
    (void)state;
    uint64_t seed = 0x5EEDC0FFEEull;
    uint8_t buf[300];
    for (int round = 0; round < 500; round++) {
        size_t n = (size_t)(next_rand(&seed) % sizeof(buf));
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)next_rand(&seed);
        assert_int_equal(agora_crc32c(0, buf, n), naive_crc32c(buf, n));
    }
}

static void test_every_single_bit_flip_changes_the_crc(void **state)
{
    (void)state;
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i ^ 0x5A);
    uint32_t good = agora_crc32c(0, buf, sizeof(buf));
    for (size_t bit = 0; bit < 8 * sizeof(buf); bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(agora_crc32c(0, buf, sizeof(buf)), good);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_value_of_123456789),
        cmocka_unit_test(test_empty_input_is_zero),
        cmocka_unit_test(test_empty_continuation_leaves_crc_unchanged),
        cmocka_unit_test(test_rfc3720_32_zero_bytes),
        cmocka_unit_test(test_rfc3720_32_ff_bytes),
        cmocka_unit_test(test_rfc3720_32_incrementing_bytes),
        cmocka_unit_test(test_rfc3720_32_decrementing_bytes),
        cmocka_unit_test(test_rfc3720_iscsi_read_pdu),
        cmocka_unit_test(test_incremental_equals_one_shot_at_every_split),
        cmocka_unit_test(test_byte_at_a_time_equals_one_shot),
        cmocka_unit_test(test_matches_bitwise_reference_on_seeded_random_inputs),
        cmocka_unit_test(test_every_single_bit_flip_changes_the_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
