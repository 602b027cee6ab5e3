/* test_msg.c: protocol messages (msg.h) and their wire encoding, version 1
 * (layout in lib/msg.c): every type round-trips with its entries and
 * snapshot; the decoder refuses anything that is not exactly one message:
 * trailing bytes, another version, an unknown type, every truncation, and
 * counts that the remaining bytes cannot hold. */
#include "core_fixture.h"

/* Size of a message with no entries and no snapshot:
 * 3 (version, type, reason) + 8 (from, to) + 16 (tag, seq) + 12 (ballot)
 * + 32 (slot, count, commit, snap_index) + 12 (lease) + 4 (n_entries)
 * + 4 (snap_len). */
#define EMPTY_SIZE 91u
/* Per entry: u64 slot, u64 round, u32 node, u32 len, then the bytes. */
#define ENTRY_SIZE 24u

struct fx {
    struct agora_msg a, b;
    struct agora_buf buf;
};

static int setup(void **state)
{
    struct fx *f = agora_calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    agora_msg_init(&f->a);
    agora_msg_init(&f->b);
    agora_buf_init(&f->buf);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    agora_msg_clear(&f->a);
    agora_msg_clear(&f->b);
    agora_buf_free(&f->buf);
    agora_free(f);
    return 0;
}

/* Every field set to a distinct value, two entries (one a no-op) and a
 * snapshot. */
static void fill(struct agora_msg *m, uint8_t type)
{
    agora_msg_clear(m);
    m->type = type;
    m->reason = 2;
    m->from = 0x01020304u;
    m->to = 0x05060708u;
    m->tag = 0x1112131415161718ull;
    m->seq = 0x2122232425262728ull;
    m->ballot = fx_ballot(0x3132333435363738ull, 0x41424344u);
    m->slot = 0x5152535455565758ull;
    m->count = 0x6162636465666768ull;
    m->commit = 0x7172737475767778ull;
    m->lease_holder = 0x81828384u;
    m->lease_left = 0x9192939495969798ull;
    fx_add_entry(m, 7, fx_ballot(3, 9), "seven");
    fx_add_entry(m, 8, fx_ballot(4, 1), NULL);
    assert_int_equal(agora_msg_set_snap(m, 0xA1A2A3A4A5A6A7A8ull, (const uint8_t *)"snap!", 5),
                     AGORA_OK);
}

static void assert_same_msg(const struct agora_msg *x, const struct agora_msg *y)
{
    assert_int_equal(x->type, y->type);
    assert_int_equal(x->reason, y->reason);
    assert_int_equal(x->from, y->from);
    assert_int_equal(x->to, y->to);
    assert_int_equal(x->tag, y->tag);
    assert_int_equal(x->seq, y->seq);
    assert_int_equal(x->ballot.round, y->ballot.round);
    assert_int_equal(x->ballot.node, y->ballot.node);
    assert_int_equal(x->slot, y->slot);
    assert_int_equal(x->count, y->count);
    assert_int_equal(x->commit, y->commit);
    assert_int_equal(x->snap_index, y->snap_index);
    assert_int_equal(x->lease_holder, y->lease_holder);
    assert_int_equal(x->lease_left, y->lease_left);
    assert_int_equal(x->n_entries, y->n_entries);
    for (uint32_t i = 0; i < x->n_entries; i++) {
        const struct agora_entry *e = &x->entries[i], *g = &y->entries[i];
        assert_int_equal(e->slot, g->slot);
        assert_int_equal(e->ballot.round, g->ballot.round);
        assert_int_equal(e->ballot.node, g->ballot.node);
        assert_int_equal(e->len, g->len);
        if (e->len > 0)
            assert_memory_equal(e->data, g->data, e->len);
    }
    assert_int_equal(x->snap_len, y->snap_len);
    if (x->snap_len > 0)
        assert_memory_equal(x->snap, y->snap, x->snap_len);
}

static void assert_empty_msg(const struct agora_msg *m)
{
    assert_null(m->entries);
    assert_int_equal(m->n_entries, 0);
    assert_null(m->snap);
    assert_int_equal(m->snap_len, 0);
}

static void encode(struct fx *f)
{
    agora_buf_reset(&f->buf);
    assert_int_equal(agora_msg_encode(&f->a, &f->buf), AGORA_OK);
}

static int decode(struct fx *f, size_t len)
{
    agora_msg_clear(&f->b);
    return agora_msg_decode(f->buf.data, len, &f->b);
}

static void put_u32_at(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- round trips ----------------------------------------------------------------- */

static void test_every_type_round_trips_with_entries_and_snapshot(void **state)
{
    struct fx *f = *state;
    for (uint8_t t = 1; t <= AGORA_MSG_TYPE_MAX; t++) {
        fill(&f->a, t);
        encode(f);
        assert_int_equal(f->buf.len, EMPTY_SIZE + 2 * ENTRY_SIZE + 5 + 5);
        assert_int_equal(decode(f, f->buf.len), AGORA_OK);
        assert_same_msg(&f->a, &f->b);
    }
}

static void test_empty_message_round_trips(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_FETCH;
    encode(f);
    assert_int_equal(f->buf.len, EMPTY_SIZE);
    assert_int_equal(decode(f, f->buf.len), AGORA_OK);
    assert_same_msg(&f->a, &f->b);
    assert_empty_msg(&f->b);
}

static void test_extreme_field_values_round_trip(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_REJECT;
    f->a.reason = UINT8_MAX;
    f->a.from = f->a.to = f->a.lease_holder = UINT32_MAX;
    f->a.tag = f->a.seq = f->a.slot = f->a.count = f->a.commit = UINT64_MAX;
    f->a.snap_index = f->a.lease_left = UINT64_MAX;
    f->a.ballot = fx_ballot(UINT64_MAX, UINT32_MAX);
    encode(f);
    assert_int_equal(decode(f, f->buf.len), AGORA_OK);
    assert_same_msg(&f->a, &f->b);
}

static void test_header_layout_is_little_endian_at_documented_offsets(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_ACCEPT;
    f->a.reason = 1;
    f->a.from = 2;
    f->a.to = 0x0A0B0C0Du;
    f->a.ballot = fx_ballot(5, 6);
    fx_add_entry(&f->a, 9, fx_ballot(7, 8), "xy");
    encode(f);
    const uint8_t *d = f->buf.data;
    assert_int_equal(d[0], 1); /* version */
    assert_int_equal(d[1], AGORA_MSG_ACCEPT);
    assert_int_equal(d[2], 1);                        /* reason */
    assert_memory_equal(d + 3, "\x02\0\0\0", 4);      /* from */
    assert_memory_equal(d + 7, "\x0D\x0C\x0B\x0A", 4); /* to */
    assert_int_equal(d[27], 5);                       /* ballot.round at 27 */
    assert_int_equal(d[35], 6);                       /* ballot.node at 35 */
    assert_memory_equal(d + 83, "\x01\0\0\0", 4);     /* n_entries at 83 */
    assert_int_equal(d[87], 9);                       /* entry slot */
    assert_int_equal(d[95], 7);                       /* entry round */
    assert_int_equal(d[103], 8);                      /* entry node */
    assert_memory_equal(d + 107, "\x02\0\0\0xy", 6);  /* entry blob */
    assert_memory_equal(d + 113, "\0\0\0\0", 4);      /* no snapshot */
    assert_int_equal(f->buf.len, 117);
}

static void test_encode_appends_to_buffer(void **state)
{
    struct fx *f = *state;
    assert_int_equal(agora_buf_put(&f->buf, "pre", 3), AGORA_OK);
    f->a.type = AGORA_MSG_PREPARE;
    assert_int_equal(agora_msg_encode(&f->a, &f->buf), AGORA_OK);
    assert_int_equal(f->buf.len, 3 + EMPTY_SIZE);
    assert_memory_equal(f->buf.data, "pre", 3);
    assert_int_equal(agora_msg_decode(f->buf.data + 3, EMPTY_SIZE, &f->b), AGORA_OK);
}

/* ---- refusals -------------------------------------------------------------------- */

static void test_decode_rejects_trailing_byte(void **state)
{
    struct fx *f = *state;
    fill(&f->a, AGORA_MSG_PROMISE);
    encode(f);
    assert_int_equal(agora_buf_put_u8(&f->buf, 0), AGORA_OK);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    assert_empty_msg(&f->b);
}

static void test_decode_rejects_unknown_version(void **state)
{
    struct fx *f = *state;
    static const uint8_t versions[] = {0, 2, 0x81, 0xFF};
    fill(&f->a, AGORA_MSG_ACCEPT);
    encode(f);
    for (size_t i = 0; i < sizeof(versions); i++) {
        f->buf.data[0] = versions[i];
        assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
        assert_empty_msg(&f->b);
    }
}

static void test_decode_rejects_unknown_type(void **state)
{
    struct fx *f = *state;
    static const uint8_t types[] = {0, AGORA_MSG_TYPE_MAX + 1, 0xFF};
    fill(&f->a, AGORA_MSG_ACCEPT);
    encode(f);
    for (size_t i = 0; i < sizeof(types); i++) {
        f->buf.data[1] = types[i];
        assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
        assert_empty_msg(&f->b);
    }
}

static void test_decode_rejects_every_truncation(void **state)
{
    struct fx *f = *state;
    fill(&f->a, AGORA_MSG_FETCHED);
    encode(f);
    for (size_t len = 0; len < f->buf.len; len++) {
        /* A private copy of exactly len bytes, so a read past it is caught. */
        uint8_t *p = agora_malloc(len);
        assert_non_null(p);
        if (len > 0)
            memcpy(p, f->buf.data, len);
        agora_msg_clear(&f->b);
        int rc = agora_msg_decode(p, len, &f->b);
        agora_free(p);
        assert_int_equal(rc, AGORA_EINVAL);
        assert_empty_msg(&f->b);
    }
}

static void test_decode_rejects_huge_entry_count(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_PROMISE;
    encode(f);
    put_u32_at(f->buf.data + 83, UINT32_MAX);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    assert_empty_msg(&f->b);
}

static void test_decode_rejects_entry_count_one_above_what_bytes_can_hold(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_PROMISE;
    fx_add_entry(&f->a, 1, fx_ballot(1, 1), NULL);
    fx_add_entry(&f->a, 2, fx_ballot(1, 1), NULL);
    encode(f);
    put_u32_at(f->buf.data + 83, 3);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    assert_empty_msg(&f->b);
}

static void test_decode_rejects_entry_length_beyond_input(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_ACCEPT;
    fx_add_entry(&f->a, 1, fx_ballot(1, 1), "abc");
    encode(f);
    put_u32_at(f->buf.data + 87 + 20, 1000);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    put_u32_at(f->buf.data + 87 + 20, UINT32_MAX);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    assert_empty_msg(&f->b);
}

static void test_decode_rejects_snapshot_length_beyond_input(void **state)
{
    struct fx *f = *state;
    f->a.type = AGORA_MSG_INSTALL;
    assert_int_equal(agora_msg_set_snap(&f->a, 4, (const uint8_t *)"ab", 2), AGORA_OK);
    encode(f);
    put_u32_at(f->buf.data + 87, 3);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    put_u32_at(f->buf.data + 87, UINT32_MAX);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    assert_empty_msg(&f->b);
}

static void test_failed_decode_after_some_entries_frees_them(void **state)
{
    struct fx *f = *state;
    fill(&f->a, AGORA_MSG_PROMISE);
    encode(f);
    /* Corrupt the snapshot length so the entries decode, then it fails;
     * ASan reports any entry left behind. */
    put_u32_at(f->buf.data + f->buf.len - 5 - 4, 6);
    assert_int_equal(decode(f, f->buf.len), AGORA_EINVAL);
    assert_empty_msg(&f->b);
}

/* ---- ownership helpers ----------------------------------------------------------- */

static void test_add_entry_stores_a_copy(void **state)
{
    struct fx *f = *state;
    char v[] = "orig";
    struct agora_entry e = {3, {1, 2}, (uint8_t *)v, 4};
    assert_int_equal(agora_msg_add_entry(&f->a, &e), AGORA_OK);
    v[0] = 'X';
    fx_assert_value(&f->a.entries[0], 3, "orig");
    assert_int_equal(f->a.entries[0].ballot.node, 2);
}

static void test_set_snap_copies_and_replaces(void **state)
{
    struct fx *f = *state;
    char v[] = "first";
    assert_int_equal(agora_msg_set_snap(&f->a, 3, (const uint8_t *)v, 5), AGORA_OK);
    v[0] = 'X';
    assert_memory_equal(f->a.snap, "first", 5);
    assert_int_equal(agora_msg_set_snap(&f->a, 9, (const uint8_t *)"2nd", 3), AGORA_OK);
    assert_int_equal(f->a.snap_index, 9);
    assert_int_equal(f->a.snap_len, 3);
    assert_memory_equal(f->a.snap, "2nd", 3);
}

static void test_copy_is_deep_and_equal(void **state)
{
    struct fx *f = *state;
    fill(&f->a, AGORA_MSG_FETCHED);
    assert_int_equal(agora_msg_copy(&f->b, &f->a), AGORA_OK);
    assert_ptr_not_equal(f->b.entries, f->a.entries);
    assert_ptr_not_equal(f->b.snap, f->a.snap);
    assert_same_msg(&f->a, &f->b);
    agora_msg_clear(&f->a);
    fx_assert_value(&f->b.entries[0], 7, "seven");
    assert_memory_equal(f->b.snap, "snap!", 5);
}

static void test_clear_leaves_an_empty_initialised_message(void **state)
{
    struct fx *f = *state;
    fill(&f->a, AGORA_MSG_ACCEPT);
    agora_msg_clear(&f->a);
    assert_empty_msg(&f->a);
    assert_int_equal(f->a.type, 0);
    assert_int_equal(f->a.seq, 0);
    agora_msg_clear(&f->a); /* idempotent */
    assert_empty_msg(&f->a);
}

static void test_type_names_cover_every_type(void **state)
{
    (void)state;
    static const char *const want[] = {
        "?", "PREPARE", "PROMISE", "ACCEPT", "ACCEPTED", "INSTALL",
        "REJECT", "FETCH", "FETCHED", "RELEASE", "RELEASED", "READ",
    };
    /* a new type needs its name here too */
    assert_int_equal(sizeof(want) / sizeof(want[0]), AGORA_MSG_TYPE_MAX + 1);
    for (uint8_t t = 1; t <= AGORA_MSG_TYPE_MAX; t++)
        assert_string_equal(agora_msg_type_name(t), want[t]);
    assert_string_equal(agora_msg_type_name(0), "?");
    assert_string_equal(agora_msg_type_name(AGORA_MSG_TYPE_MAX + 1), "?");
    assert_string_equal(agora_msg_type_name(0xFF), "?");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_every_type_round_trips_with_entries_and_snapshot),
        T(test_empty_message_round_trips),
        T(test_extreme_field_values_round_trip),
        T(test_header_layout_is_little_endian_at_documented_offsets),
        T(test_encode_appends_to_buffer),
        T(test_decode_rejects_trailing_byte),
        T(test_decode_rejects_unknown_version),
        T(test_decode_rejects_unknown_type),
        T(test_decode_rejects_every_truncation),
        T(test_decode_rejects_huge_entry_count),
        T(test_decode_rejects_entry_count_one_above_what_bytes_can_hold),
        T(test_decode_rejects_entry_length_beyond_input),
        T(test_decode_rejects_snapshot_length_beyond_input),
        T(test_failed_decode_after_some_entries_frees_them),
        T(test_add_entry_stores_a_copy),
        T(test_set_snap_copies_and_replaces),
        T(test_copy_is_deep_and_equal),
        T(test_clear_leaves_an_empty_initialised_message),
        T(test_type_names_cover_every_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
