/* test_base64.c: the strict base64 codec: RFC 4648 test vectors, refusal of
 * every non-canonical spelling (bad characters, bad padding, non-zero pad
 * bits), exhaustive checks that each padded quantum has exactly one accepted
 * spelling, and encode/decode round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agora/base64.h"

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 section 10. */
static const struct {
    const char *plain, *b64;
} VECTORS[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static int decode_str(const char *s, struct agora_buf *out)
{
    return agora_base64_decode(s, strlen(s), out);
}

static void assert_refused(const char *s, size_t len)
{
    struct agora_buf b;
    agora_buf_init(&b);
    assert_int_equal(agora_buf_put(&b, "keep", 4), AGORA_OK);
    if (agora_base64_decode(s, len, &b) != AGORA_EINVAL)
        print_error("accepted \"%.*s\"\n", (int)len, s);
    assert_int_equal(agora_base64_decode(s, len, &b), AGORA_EINVAL);
    assert_int_equal(b.len, 4); /* nothing appended, nothing lost */
    assert_memory_equal(b.data, "keep", 4);
    agora_buf_free(&b);
}

static void test_encodes_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(VECTORS) / sizeof(VECTORS[0]); i++) {
        struct agora_buf b;
        agora_buf_init(&b);
        assert_int_equal(agora_base64_encode((const uint8_t *)VECTORS[i].plain,
                                             strlen(VECTORS[i].plain), &b), AGORA_OK);
        assert_int_equal(b.len, strlen(VECTORS[i].b64));
        if (b.len > 0)
            assert_memory_equal(b.data, VECTORS[i].b64, b.len);
        agora_buf_free(&b);
    }
}

static void test_decodes_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(VECTORS) / sizeof(VECTORS[0]); i++) {
        struct agora_buf b;
        agora_buf_init(&b);
        assert_int_equal(decode_str(VECTORS[i].b64, &b), AGORA_OK);
        assert_int_equal(b.len, strlen(VECTORS[i].plain));
        if (b.len > 0)
            assert_memory_equal(b.data, VECTORS[i].plain, b.len);
        agora_buf_free(&b);
    }
}

static void test_encode_and_decode_append(void **state)
{
    struct agora_buf b;
    (void)state;
    agora_buf_init(&b);
    assert_int_equal(agora_buf_put(&b, "x:", 2), AGORA_OK);
    assert_int_equal(agora_base64_encode((const uint8_t *)"foo", 3, &b), AGORA_OK);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "x:Zm9v", 6);
    assert_int_equal(decode_str("YmFy", &b), AGORA_OK);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "x:Zm9vbar", 9);
    agora_buf_free(&b);
}

static void test_refuses_characters_outside_the_alphabet(void **state)
{
    char q[5] = "AAAA";
    (void)state;
    for (int c = 0; c < 256; c++) {
        q[1] = (char)c;
        if (c == 0 || strchr(ALPHABET, c) == NULL)
            assert_refused(q, 4);
    }
    assert_refused("Zm9v YmFy", 9);   /* whitespace */
    assert_refused("Zm9v\nYmFy", 9);
    assert_refused("Zm9-", 4);        /* base64url letters */
    assert_refused("Zm9_", 4);
}

static void test_refuses_length_not_multiple_of_4(void **state)
{
    (void)state;
    assert_refused("Zg", 2);     /* unpadded */
    assert_refused("Zm8", 3);
    assert_refused("Zg=", 3);    /* short padding */
    assert_refused("Zm9vY", 5);
    assert_refused("Zm9vYg===", 9);
}

static void test_refuses_misplaced_padding(void **state)
{
    (void)state;
    assert_refused("Zg==Zg==", 8); /* padding before the last quantum */
    assert_refused("Zm=v", 4);
    assert_refused("Z===", 4);
    assert_refused("====", 4);
    assert_refused("=Zm9", 4);
    assert_refused("Zg=A", 4);
}

static void test_refuses_nonzero_trailing_bits(void **state)
{
    (void)state;
    assert_refused("Zh==", 4); /* "f" is Zg==; h sets a pad bit */
    assert_refused("Zv==", 4);
    assert_refused("Zm9=", 4); /* "fo" is Zm8= */
    assert_refused("Zm9vYh==", 8);
}

/* Of the 64*64 spellings "XY==", exactly the 256 with zero pad bits decode,
 * each to a different byte, and each re-encodes to itself. */
static void test_each_byte_has_one_spelling(void **state)
{
    bool seen[256] = {false};
    size_t ok = 0;
    char q[5] = "AA==";
    (void)state;
    for (int x = 0; x < 64; x++) {
        for (int y = 0; y < 64; y++) {
            struct agora_buf b, e;
            agora_buf_init(&b);
            agora_buf_init(&e);
            q[0] = ALPHABET[x];
            q[1] = ALPHABET[y];
            int rc = agora_base64_decode(q, 4, &b);
            assert_int_equal(rc, (y & 0x0f) == 0 ? AGORA_OK : AGORA_EINVAL);
            if (rc == AGORA_OK) {
                assert_int_equal(b.len, 1);
                assert_false(seen[b.data[0]]);
                seen[b.data[0]] = true;
                ok++;
                assert_int_equal(agora_base64_encode(b.data, 1, &e), AGORA_OK);
                assert_memory_equal(e.data, q, 4);
            }
            agora_buf_free(&b);
            agora_buf_free(&e);
        }
    }
    assert_int_equal(ok, 256);
}

/* Of the 64^3 spellings "XYZ=", exactly the 65536 with zero pad bits decode. */
static void test_each_byte_pair_has_one_spelling(void **state)
{
    struct agora_buf b;
    size_t ok = 0;
    char q[5] = "AAA=";
    (void)state;
    agora_buf_init(&b);
    for (int x = 0; x < 64; x++) {
        for (int y = 0; y < 64; y++) {
            for (int z = 0; z < 64; z++) {
                q[0] = ALPHABET[x];
                q[1] = ALPHABET[y];
                q[2] = ALPHABET[z];
                agora_buf_reset(&b);
                int rc = agora_base64_decode(q, 4, &b);
                assert_int_equal(rc, (z & 0x03) == 0 ? AGORA_OK : AGORA_EINVAL);
                if (rc == AGORA_OK) {
                    assert_int_equal(b.len, 2);
                    assert_int_equal(b.data[0], (uint8_t)(x << 2 | y >> 4));
                    assert_int_equal(b.data[1], (uint8_t)((y & 0x0f) << 4 | z >> 2));
                    ok++;
                }
            }
        }
    }
    assert_int_equal(ok, 65536);
    agora_buf_free(&b);
}

/* Deterministic pseudo-random bytes (xorshift32). */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_round_trips_every_length_to_600(void **state)
{
    uint8_t data[600];
    uint32_t seed = 0x9e3779b9u;
    (void)state;
    for (size_t len = 0; len <= sizeof(data); len++) {
        struct agora_buf e, d;
        agora_buf_init(&e);
        agora_buf_init(&d);
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)next_rand(&seed);
        assert_int_equal(agora_base64_encode(data, len, &e), AGORA_OK);
        assert_int_equal(e.len, (len + 2) / 3 * 4);
        assert_int_equal(agora_base64_decode((const char *)e.data, e.len, &d), AGORA_OK);
        assert_int_equal(d.len, len);
        if (len > 0)
            assert_memory_equal(d.data, data, len);
        agora_buf_free(&e);
        agora_buf_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodes_rfc4648_vectors),
        cmocka_unit_test(test_decodes_rfc4648_vectors),
        cmocka_unit_test(test_encode_and_decode_append),
        cmocka_unit_test(test_refuses_characters_outside_the_alphabet),
        cmocka_unit_test(test_refuses_length_not_multiple_of_4),
        cmocka_unit_test(test_refuses_misplaced_padding),
        cmocka_unit_test(test_refuses_nonzero_trailing_bits),
        cmocka_unit_test(test_each_byte_has_one_spelling),
        cmocka_unit_test(test_each_byte_pair_has_one_spelling),
        cmocka_unit_test(test_round_trips_every_length_to_600),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
