/* test_frame.c: the durable record frame (frame.h): u32 length, u32
 * CRC-32C, payload. The decoder stops at the first frame that is short,
 * has an impossible length or a wrong checksum, and reports TORN at the
 * exact offset where the valid data ends; nothing after it is returned,
 * even frames that would be valid on their own (DESIGN.md section 2: "a
 * torn tail is detected and cut"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "agora/crc32c.h"
#include "agora/frame.h"

static const char *const PAYLOADS[] = {"alpha", "bravo!", "charlie-12"};
#define N_PAYLOADS 3

struct fx {
    struct agora_buf b;
    size_t end[N_PAYLOADS]; /* offset just past frame i */
};

static int setup(void **state)
{
    struct fx *f = agora_calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    agora_buf_init(&f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    agora_buf_free(&f->b);
    agora_free(f);
    return 0;
}

/* Three frames, one per PAYLOADS entry. */
static void put_three(struct fx *f)
{
    for (int i = 0; i < N_PAYLOADS; i++) {
        assert_int_equal(agora_frame_put(&f->b, PAYLOADS[i], strlen(PAYLOADS[i])), AGORA_OK);
        f->end[i] = f->b.len;
    }
}

static size_t start_of(const struct fx *f, int i)
{
    return i == 0 ? 0 : f->end[i - 1];
}

/* Decodes frames from 0, expecting `n_ok` good ones (PAYLOADS order) and
 * then `last` at offset `at`. */
static void expect_frames(const uint8_t *buf, size_t len, int n_ok,
                          enum agora_frame_status last, size_t at)
{
    size_t off = 0;
    const uint8_t *p = NULL;
    uint32_t n = 0;
    for (int i = 0; i < n_ok; i++) {
        assert_int_equal(agora_frame_next(buf, len, &off, &p, &n, NULL), AGORA_FRAME_OK);
        assert_int_equal(n, strlen(PAYLOADS[i]));
        assert_memory_equal(p, PAYLOADS[i], n);
    }
    const char *why = NULL;
    assert_int_equal(agora_frame_next(buf, len, &off, &p, &n, &why), last);
    assert_int_equal(off, at);
    if (last == AGORA_FRAME_TORN)
        assert_non_null(why);
}

static void put_u32_at(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- encoding -------------------------------------------------------------------- */

static void test_frame_layout_is_length_crc_payload_little_endian(void **state)
{
    struct fx *f = *state;
    assert_int_equal(agora_frame_put(&f->b, "123456789", 9), AGORA_OK);
    static const uint8_t want[] = {
        9, 0, 0, 0,             /* length */
        0x83, 0x92, 0x06, 0xE3, /* CRC-32C("123456789") = 0xE3069283 */
        '1', '2', '3', '4', '5', '6', '7', '8', '9',
    };
    assert_int_equal(f->b.len, sizeof(want));
    assert_memory_equal(f->b.data, want, sizeof(want));
}

static void test_put_appends_to_existing_bytes(void **state)
{
    struct fx *f = *state;
    assert_int_equal(agora_buf_put(&f->b, "xy", 2), AGORA_OK);
    assert_int_equal(agora_frame_put(&f->b, "z", 1), AGORA_OK);
    assert_int_equal(f->b.len, 2 + AGORA_FRAME_HDR + 1);
    assert_memory_equal(f->b.data, "xy", 2);
}

static void test_put_refuses_empty_payload(void **state)
{
    struct fx *f = *state;
    assert_int_equal(agora_frame_put(&f->b, "", 0), AGORA_EINVAL);
    assert_int_equal(f->b.len, 0);
}

static void test_put_refuses_payload_above_max(void **state)
{
    struct fx *f = *state;
    /* The length is checked before the payload is read. */
    static const uint8_t tiny[1];
    assert_int_equal(agora_frame_put(&f->b, tiny, (size_t)AGORA_FRAME_MAX + 1), AGORA_EINVAL);
    assert_int_equal(f->b.len, 0);
}

/* ---- decoding -------------------------------------------------------------------- */

static void test_round_trip_returns_each_payload_in_order(void **state)
{
    struct fx *f = *state;
    put_three(f);
    expect_frames(f->b.data, f->b.len, N_PAYLOADS, AGORA_FRAME_END, f->b.len);
}

static void test_payload_points_into_input(void **state)
{
    struct fx *f = *state;
    put_three(f);
    size_t off = 0;
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, NULL), AGORA_FRAME_OK);
    assert_ptr_equal(p, f->b.data + AGORA_FRAME_HDR);
    assert_int_equal(off, f->end[0]);
}

static void test_empty_input_is_clean_end(void **state)
{
    (void)state;
    size_t off = 0;
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(NULL, 0, &off, &p, &n, NULL), AGORA_FRAME_END);
    assert_int_equal(off, 0);
    assert_int_equal(agora_frame_valid_prefix(NULL, 0), 0);
}

static void test_truncated_header_is_torn_where_the_frame_starts(void **state)
{
    struct fx *f = *state;
    put_three(f);
    size_t at = start_of(f, 2);
    for (size_t k = 1; k < AGORA_FRAME_HDR; k++)
        expect_frames(f->b.data, at + k, 2, AGORA_FRAME_TORN, at);
}

static void test_truncated_payload_is_torn_where_the_frame_starts(void **state)
{
    struct fx *f = *state;
    put_three(f);
    size_t at = start_of(f, 2);
    for (size_t len = at + AGORA_FRAME_HDR; len < f->end[2]; len++)
        expect_frames(f->b.data, len, 2, AGORA_FRAME_TORN, at);
}

static void test_cut_at_every_length_is_torn_at_last_frame_boundary(void **state)
{
    struct fx *f = *state;
    put_three(f);
    for (size_t len = 0; len <= f->b.len; len++) {
        int whole = 0;
        while (whole < N_PAYLOADS && f->end[whole] <= len)
            whole++;
        size_t boundary = start_of(f, whole);
        expect_frames(f->b.data, len, whole,
                      boundary == len ? AGORA_FRAME_END : AGORA_FRAME_TORN, boundary);
        assert_int_equal(agora_frame_valid_prefix(f->b.data, len), boundary);
    }
}

static void test_every_bit_flip_in_a_frame_is_torn_at_its_start(void **state)
{
    struct fx *f = *state;
    put_three(f);
    size_t at = start_of(f, 1);
    /* Length, CRC or payload: any single flipped bit is caught. */
    for (size_t bit = 8 * at; bit < 8 * f->end[1]; bit++) {
        f->b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_frames(f->b.data, f->b.len, 1, AGORA_FRAME_TORN, at);
        assert_int_equal(agora_frame_valid_prefix(f->b.data, f->b.len), at);
        f->b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    expect_frames(f->b.data, f->b.len, N_PAYLOADS, AGORA_FRAME_END, f->b.len);
}

static void test_payload_bit_flip_reports_checksum_mismatch(void **state)
{
    struct fx *f = *state;
    put_three(f);
    f->b.data[AGORA_FRAME_HDR + 2] ^= 0x10;
    size_t off = 0;
    const uint8_t *p;
    uint32_t n;
    const char *why = NULL;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, &why), AGORA_FRAME_TORN);
    assert_int_equal(off, 0);
    assert_string_equal(why, "frame checksum mismatch");
}

static void test_crc_bit_flip_is_torn(void **state)
{
    struct fx *f = *state;
    put_three(f);
    f->b.data[4] ^= 0x01;
    expect_frames(f->b.data, f->b.len, 0, AGORA_FRAME_TORN, 0);
}

static void test_zero_length_frame_is_torn(void **state)
{
    struct fx *f = *state;
    put_three(f);
    uint8_t *hdr = f->b.data + start_of(f, 1);
    put_u32_at(hdr, 0);
    put_u32_at(hdr + 4, agora_crc32c(0, "", 0)); /* even with the "right" CRC */
    const char *why = NULL;
    size_t off = start_of(f, 1);
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, &why), AGORA_FRAME_TORN);
    assert_int_equal(off, start_of(f, 1));
    assert_string_equal(why, "impossible frame length");
    assert_int_equal(agora_frame_valid_prefix(f->b.data, f->b.len), start_of(f, 1));
}

static void test_length_above_max_is_torn_even_with_bytes_present(void **state)
{
    struct fx *f = *state;
    put_three(f);
    put_u32_at(f->b.data, AGORA_FRAME_MAX + 1);
    expect_frames(f->b.data, f->b.len, 0, AGORA_FRAME_TORN, 0);
}

static void test_all_ones_length_is_torn(void **state)
{
    struct fx *f = *state;
    put_three(f);
    uint8_t *hdr = f->b.data + start_of(f, 2);
    put_u32_at(hdr, 0xFFFFFFFFu);
    const char *why = NULL;
    size_t off = start_of(f, 2);
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, &why), AGORA_FRAME_TORN);
    assert_string_equal(why, "impossible frame length");
    assert_int_equal(agora_frame_valid_prefix(f->b.data, f->b.len), start_of(f, 2));
}

static void test_max_length_beyond_input_is_truncated_payload(void **state)
{
    struct fx *f = *state;
    put_three(f);
    put_u32_at(f->b.data, AGORA_FRAME_MAX);
    const char *why = NULL;
    size_t off = 0;
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, &why), AGORA_FRAME_TORN);
    assert_string_equal(why, "truncated frame payload");
}

static void test_nothing_past_a_bad_frame_is_returned(void **state)
{
    struct fx *f = *state;
    put_three(f);
    /* Frame 1 is bad; frames 0 and 2 are fine on their own. */
    f->b.data[start_of(f, 1) + AGORA_FRAME_HDR] ^= 0x80;
    expect_frames(f->b.data, f->b.len, 1, AGORA_FRAME_TORN, start_of(f, 1));
    /* Asking again at the same offset gives the same answer: no skipping. */
    size_t off = start_of(f, 1);
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, NULL), AGORA_FRAME_TORN);
    assert_int_equal(off, start_of(f, 1));
    assert_int_equal(agora_frame_valid_prefix(f->b.data, f->b.len), start_of(f, 1));
}

static void test_valid_prefix_after_garbage_tail(void **state)
{
    struct fx *f = *state;
    put_three(f);
    size_t good = f->b.len;
    assert_int_equal(agora_buf_put(&f->b, "\x05\x00\x00\x00garbage!!", 13), AGORA_OK);
    assert_int_equal(agora_frame_valid_prefix(f->b.data, f->b.len), good);
}

static void test_valid_prefix_of_whole_frames_is_everything(void **state)
{
    struct fx *f = *state;
    put_three(f);
    assert_int_equal(agora_frame_valid_prefix(f->b.data, f->b.len), f->b.len);
}

static void test_offset_past_end_is_torn(void **state)
{
    struct fx *f = *state;
    put_three(f);
    size_t off = f->b.len + 1;
    const uint8_t *p;
    uint32_t n;
    assert_int_equal(agora_frame_next(f->b.data, f->b.len, &off, &p, &n, NULL), AGORA_FRAME_TORN);
    assert_int_equal(off, f->b.len + 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_frame_layout_is_length_crc_payload_little_endian),
        T(test_put_appends_to_existing_bytes),
        T(test_put_refuses_empty_payload),
        T(test_put_refuses_payload_above_max),
        T(test_round_trip_returns_each_payload_in_order),
        T(test_payload_points_into_input),
        T(test_empty_input_is_clean_end),
        T(test_truncated_header_is_torn_where_the_frame_starts),
        T(test_truncated_payload_is_torn_where_the_frame_starts),
        T(test_cut_at_every_length_is_torn_at_last_frame_boundary),
        T(test_every_bit_flip_in_a_frame_is_torn_at_its_start),
        T(test_payload_bit_flip_reports_checksum_mismatch),
        T(test_crc_bit_flip_is_torn),
        T(test_zero_length_frame_is_torn),
        T(test_length_above_max_is_torn_even_with_bytes_present),
        T(test_all_ones_length_is_torn),
        T(test_max_length_beyond_input_is_truncated_payload),
        T(test_nothing_past_a_bad_frame_is_returned),
        T(test_valid_prefix_after_garbage_tail),
        T(test_valid_prefix_of_whole_frames_is_everything),
        T(test_offset_past_end_is_torn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
