/* test_buf.c: the growable byte buffer and the bounds-checked reader of
 * common.h, and the allocator helpers beside them. Every integer is
 * little-endian and fixed-width; a reader that runs short sets `err` once
 * and returns zeros from then on, so callers check at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "agora/common.h"

/* Each test owns one buffer, freed by the teardown even when it fails. */
static int setup(void **state)
{
    struct agora_buf *b = agora_malloc(sizeof(*b));
    if (b == NULL)
        return -1;
    agora_buf_init(b);
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    struct agora_buf *b = *state;
    agora_buf_free(b);
    agora_free(b);
    return 0;
}

/* ---- writing --------------------------------------------------------------------- */

static void test_integers_are_written_little_endian_fixed_width(void **state)
{
    struct agora_buf *b = *state;
    static const uint8_t want[] = {
        0xAB,                                           /* u8 */
        0x34, 0x12,                                     /* u16 0x1234 */
        0x78, 0x56, 0x34, 0x12,                         /* u32 0x12345678 */
        0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01, /* u64 0x0123456789ABCDEF */
        0x01, 0x00, 0x00, 0x00,                         /* u32 1: still 4 bytes */
    };
    assert_int_equal(agora_buf_put_u8(b, 0xAB), AGORA_OK);
    assert_int_equal(agora_buf_put_u16(b, 0x1234), AGORA_OK);
    assert_int_equal(agora_buf_put_u32(b, 0x12345678u), AGORA_OK);
    assert_int_equal(agora_buf_put_u64(b, 0x0123456789ABCDEFull), AGORA_OK);
    assert_int_equal(agora_buf_put_u32(b, 1), AGORA_OK);
    assert_int_equal(b->len, sizeof(want));
    assert_memory_equal(b->data, want, sizeof(want));
}

static void test_blob_is_u32_length_then_bytes(void **state)
{
    struct agora_buf *b = *state;
    static const uint8_t want[] = {3, 0, 0, 0, 'a', 'b', 'c'};
    assert_int_equal(agora_buf_put_blob(b, "abc", 3), AGORA_OK);
    assert_int_equal(b->len, sizeof(want));
    assert_memory_equal(b->data, want, sizeof(want));
}

static void test_str_is_u16_length_then_bytes(void **state)
{
    struct agora_buf *b = *state;
    static const uint8_t want[] = {2, 0, 'h', 'i'};
    assert_int_equal(agora_buf_put_str(b, "hi", 2), AGORA_OK);
    assert_int_equal(b->len, sizeof(want));
    assert_memory_equal(b->data, want, sizeof(want));
}

static void test_str_of_65535_bytes_is_accepted(void **state)
{
    struct agora_buf *b = *state;
    char *s = agora_calloc(1, UINT16_MAX);
    assert_non_null(s);
    int rc = agora_buf_put_str(b, s, UINT16_MAX);
    agora_free(s);
    assert_int_equal(rc, AGORA_OK);
    assert_int_equal(b->len, 2u + UINT16_MAX);
    assert_int_equal(b->data[0], 0xFF);
    assert_int_equal(b->data[1], 0xFF);
}

static void test_str_of_65536_bytes_is_too_big_and_writes_nothing(void **state)
{
    struct agora_buf *b = *state;
    char *s = agora_calloc(1, (size_t)UINT16_MAX + 1);
    assert_non_null(s);
    int rc = agora_buf_put_str(b, s, (size_t)UINT16_MAX + 1);
    agora_free(s);
    assert_int_equal(rc, AGORA_ETOOBIG);
    assert_int_equal(b->len, 0);
}

static void test_empty_blob_is_just_a_zero_length(void **state)
{
    struct agora_buf *b = *state;
    static const uint8_t want[] = {0, 0, 0, 0};
    assert_int_equal(agora_buf_put_blob(b, NULL, 0), AGORA_OK);
    assert_int_equal(b->len, sizeof(want));
    assert_memory_equal(b->data, want, sizeof(want));
}

static void test_growth_keeps_earlier_bytes(void **state)
{
    struct agora_buf *b = *state;
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(agora_buf_put_u32(b, i * 2654435761u), AGORA_OK);
    assert_int_equal(b->len, 40000);
    assert_true(b->cap >= b->len);
    struct agora_rd r;
    agora_rd_init(&r, b->data, b->len);
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(agora_rd_u32(&r), i * 2654435761u);
    assert_false(r.err);
}

static void test_reset_empties_but_keeps_memory(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put(b, "hello", 5), AGORA_OK);
    uint8_t *data = b->data;
    size_t cap = b->cap;
    agora_buf_reset(b);
    assert_int_equal(b->len, 0);
    assert_ptr_equal(b->data, data);
    assert_int_equal(b->cap, cap);
}

static void test_reserve_refuses_impossible_size_and_keeps_buffer(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put(b, "x", 1), AGORA_OK);
    assert_int_equal(agora_buf_reserve(b, SIZE_MAX), AGORA_ENOMEM);
    assert_int_equal(agora_buf_reserve(b, SIZE_MAX / 2), AGORA_ENOMEM);
    assert_int_equal(b->len, 1);
    assert_int_equal(b->data[0], 'x');
}

static void test_printf_appends_without_terminator_in_len(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put(b, ">", 1), AGORA_OK);
    assert_int_equal(agora_buf_printf(b, "%s=%d", "n", 42), AGORA_OK);
    assert_int_equal(b->len, 5);
    assert_memory_equal(b->data, ">n=42", 5);
}

static void test_free_returns_buffer_to_empty(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put(b, "abc", 3), AGORA_OK);
    agora_buf_free(b);
    assert_null(b->data);
    assert_int_equal(b->len, 0);
    assert_int_equal(b->cap, 0);
}

/* ---- reading --------------------------------------------------------------------- */

static void test_reader_decodes_little_endian(void **state)
{
    (void)state;
    static const uint8_t in[] = {
        0xAB, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
        0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01,
    };
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    assert_int_equal(agora_rd_u8(&r), 0xAB);
    assert_int_equal(agora_rd_u16(&r), 0x1234);
    assert_int_equal(agora_rd_u32(&r), 0x12345678u);
    assert_int_equal(agora_rd_u64(&r), 0x0123456789ABCDEFull);
    assert_false(r.err);
    assert_int_equal(agora_rd_left(&r), 0);
}

static void test_reader_round_trips_writer_extremes(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put_u8(b, UINT8_MAX), AGORA_OK);
    assert_int_equal(agora_buf_put_u16(b, UINT16_MAX), AGORA_OK);
    assert_int_equal(agora_buf_put_u32(b, UINT32_MAX), AGORA_OK);
    assert_int_equal(agora_buf_put_u64(b, UINT64_MAX), AGORA_OK);
    assert_int_equal(agora_buf_put_u64(b, 0), AGORA_OK);
    struct agora_rd r;
    agora_rd_init(&r, b->data, b->len);
    assert_int_equal(agora_rd_u8(&r), UINT8_MAX);
    assert_int_equal(agora_rd_u16(&r), UINT16_MAX);
    assert_int_equal(agora_rd_u32(&r), UINT32_MAX);
    assert_int_equal(agora_rd_u64(&r), UINT64_MAX);
    assert_int_equal(agora_rd_u64(&r), 0);
    assert_false(r.err);
}

static void test_short_read_sets_err_and_returns_zero(void **state)
{
    (void)state;
    static const uint8_t in[] = {1, 2, 3};
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    assert_int_equal(agora_rd_u32(&r), 0);
    assert_true(r.err);
}

static void test_reads_after_err_return_zero_even_if_bytes_remain(void **state)
{
    (void)state;
    static const uint8_t in[] = {7, 8, 9};
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    (void)agora_rd_u64(&r);
    assert_true(r.err);
    /* Three bytes are still there, but the reader is poisoned. */
    assert_int_equal(agora_rd_u8(&r), 0);
    assert_int_equal(agora_rd_u16(&r), 0);
    assert_null(agora_rd_bytes(&r, 1));
    assert_int_equal(agora_rd_left(&r), 0);
    assert_true(r.err);
}

static void test_exact_length_read_is_not_an_error(void **state)
{
    (void)state;
    static const uint8_t in[] = {1, 0, 0, 0};
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    assert_int_equal(agora_rd_u32(&r), 1);
    assert_false(r.err);
    assert_int_equal(agora_rd_left(&r), 0);
    assert_int_equal(agora_rd_u8(&r), 0);
    assert_true(r.err);
}

static void test_rd_bytes_points_into_input(void **state)
{
    (void)state;
    static const uint8_t in[] = {'a', 'b', 'c', 'd'};
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    assert_ptr_equal(agora_rd_bytes(&r, 1), in);
    assert_ptr_equal(agora_rd_bytes(&r, 3), in + 1);
    assert_false(r.err);
}

static void test_rd_bytes_beyond_input_fails_without_moving(void **state)
{
    (void)state;
    static const uint8_t in[] = {1, 2};
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    assert_null(agora_rd_bytes(&r, 3));
    assert_true(r.err);
    assert_int_equal(r.off, 0);
}

static void test_rd_bytes_rejects_length_that_would_wrap(void **state)
{
    (void)state;
    static const uint8_t in[] = {1, 2};
    struct agora_rd r;
    agora_rd_init(&r, in, sizeof(in));
    (void)agora_rd_u8(&r);
    assert_null(agora_rd_bytes(&r, SIZE_MAX));
    assert_true(r.err);
}

static void test_blob_round_trips(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put_blob(b, "payload", 7), AGORA_OK);
    struct agora_rd r;
    uint32_t n;
    agora_rd_init(&r, b->data, b->len);
    const uint8_t *p = agora_rd_blob(&r, &n);
    assert_non_null(p);
    assert_int_equal(n, 7);
    assert_memory_equal(p, "payload", 7);
    assert_int_equal(agora_rd_left(&r), 0);
}

static void test_blob_longer_than_input_sets_err_and_zero_length(void **state)
{
    (void)state;
    static const uint8_t in[] = {5, 0, 0, 0, 'a', 'b', 'c', 'd'}; /* says 5, has 4 */
    struct agora_rd r;
    uint32_t n = 99;
    agora_rd_init(&r, in, sizeof(in));
    assert_null(agora_rd_blob(&r, &n));
    assert_int_equal(n, 0);
    assert_true(r.err);
}

static void test_blob_with_huge_length_sets_err(void **state)
{
    (void)state;
    static const uint8_t in[] = {0xFF, 0xFF, 0xFF, 0xFF, 'a'};
    struct agora_rd r;
    uint32_t n = 99;
    agora_rd_init(&r, in, sizeof(in));
    assert_null(agora_rd_blob(&r, &n));
    assert_int_equal(n, 0);
    assert_true(r.err);
}

static void test_blob_with_truncated_length_sets_err(void **state)
{
    (void)state;
    static const uint8_t in[] = {1, 0};
    struct agora_rd r;
    uint32_t n = 99;
    agora_rd_init(&r, in, sizeof(in));
    assert_null(agora_rd_blob(&r, &n));
    assert_int_equal(n, 0);
    assert_true(r.err);
}

static void test_empty_blob_reads_as_zero_length_without_err(void **state)
{
    (void)state;
    static const uint8_t in[] = {0, 0, 0, 0};
    struct agora_rd r;
    uint32_t n = 99;
    agora_rd_init(&r, in, sizeof(in));
    (void)agora_rd_blob(&r, &n);
    assert_int_equal(n, 0);
    assert_false(r.err);
    assert_int_equal(agora_rd_left(&r), 0);
}

static void test_str_round_trips_without_terminator(void **state)
{
    struct agora_buf *b = *state;
    assert_int_equal(agora_buf_put_str(b, "node-1xyz", 6), AGORA_OK);
    struct agora_rd r;
    uint16_t n;
    agora_rd_init(&r, b->data, b->len);
    const char *s = agora_rd_str(&r, &n);
    assert_non_null(s);
    assert_int_equal(n, 6);
    assert_memory_equal(s, "node-1", 6);
    assert_int_equal(agora_rd_left(&r), 0);
}

static void test_str_longer_than_input_sets_err_and_zero_length(void **state)
{
    (void)state;
    static const uint8_t in[] = {0xFF, 0xFF, 'a', 'b'};
    struct agora_rd r;
    uint16_t n = 99;
    agora_rd_init(&r, in, sizeof(in));
    assert_null(agora_rd_str(&r, &n));
    assert_int_equal(n, 0);
    assert_true(r.err);
}

/* ---- allocator helpers and error strings ----------------------------------------- */

static void test_strndup_copies_n_bytes_and_terminates(void **state)
{
    (void)state;
    char *s = agora_strndup("abcdef", 3);
    assert_non_null(s);
    assert_string_equal(s, "abc");
    agora_free(s);
}

static void test_strerror_names_every_code_distinctly(void **state)
{
    (void)state;
    static const int codes[] = {
        AGORA_OK, AGORA_ENOMEM, AGORA_EINVAL, AGORA_ECORRUPT, AGORA_ETRUNC,
        AGORA_ENOTLEADER, AGORA_ETOOBIG, AGORA_ENOENT, AGORA_EEXIST, AGORA_ESTALE,
    };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    const char *unknown = agora_strerror(12345);
    assert_non_null(unknown);
    for (size_t i = 0; i < n; i++) {
        const char *s = agora_strerror(codes[i]);
        assert_non_null(s);
        assert_string_not_equal(s, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, agora_strerror(codes[j]));
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_integers_are_written_little_endian_fixed_width),
        T(test_blob_is_u32_length_then_bytes),
        T(test_str_is_u16_length_then_bytes),
        T(test_str_of_65535_bytes_is_accepted),
        T(test_str_of_65536_bytes_is_too_big_and_writes_nothing),
        T(test_empty_blob_is_just_a_zero_length),
        T(test_growth_keeps_earlier_bytes),
        T(test_reset_empties_but_keeps_memory),
        T(test_reserve_refuses_impossible_size_and_keeps_buffer),
        T(test_printf_appends_without_terminator_in_len),
        T(test_free_returns_buffer_to_empty),
        T(test_reader_decodes_little_endian),
        T(test_reader_round_trips_writer_extremes),
        T(test_short_read_sets_err_and_returns_zero),
        T(test_reads_after_err_return_zero_even_if_bytes_remain),
        T(test_exact_length_read_is_not_an_error),
        T(test_rd_bytes_points_into_input),
        T(test_rd_bytes_beyond_input_fails_without_moving),
        T(test_rd_bytes_rejects_length_that_would_wrap),
        T(test_blob_round_trips),
        T(test_blob_longer_than_input_sets_err_and_zero_length),
        T(test_blob_with_huge_length_sets_err),
        T(test_blob_with_truncated_length_sets_err),
        T(test_empty_blob_reads_as_zero_length_without_err),
        T(test_str_round_trips_without_terminator),
        T(test_str_longer_than_input_sets_err_and_zero_length),
        T(test_strndup_copies_n_bytes_and_terminates),
        T(test_strerror_names_every_code_distinctly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
