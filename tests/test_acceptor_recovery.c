/* test_acceptor_recovery.c: one acceptor's write-ahead log (acceptor.h,
 * DESIGN.md section 2): replaying it restores the promise, the log, the
 * commit and the snapshot but not the lease; a torn tail is cut at any
 * length, a corrupt frame ends the replay, a corrupt record inside a valid
 * frame is an error; a compacted image (plus later records) replays to the
 * same state.
 *
 *   [durable]  "durable before replying": each step returns the write-ahead
 *              bytes with the reply; the shell syncs them first.
 *   [torn]     "Records are length-prefixed and CRC32C-checked; a torn tail
 *              is detected and cut."
 *   [compact]  "once a prefix is committed and applied, the acceptor keeps a
 *              state snapshot and drops those entries ..."
 *
 * The acceptor under test is acceptor_fixture.h: time
 * is the brick's virtual clock, started at T0; OPEN = T0 + LEASE. */
#include "acceptor_fixture.h"

#include "agora/frame.h"

/* ---- recovery [durable] [torn] --------------------------------------------------- */

/* A history that touches every kind of record. */
static void history(struct fx *f)
{
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    static const char *const v[] = {"a", NULL, "c", "d"};
    accept_n(f, OPEN, fx_ballot(1, 1), 1, 0, 4, v);
    heartbeat(f, OPEN, fx_ballot(1, 1), 2);
    /* node 1's lease lapsed: node 3 takes over */
    prepare(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 1);
    accept1(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 3, 3, "C");
    accept1(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 8, 3, "h");
    install(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 5, "snap@5");
    accept1(f, OPEN + 2 * LEASE, fx_ballot(2, 3), 6, 5, "f");
    prepare(f, OPEN + 4 * LEASE, fx_ballot(4, 2), 1);
}

static void test_recover_reproduces_promise_log_commit_and_snapshot(void **state)
{
    struct fx *f = *state;
    history(f);
    assert_wal_reproduces_state(f);
    assert_ballot(f->b.promised, fx_ballot(4, 2));
    assert_int_equal(f->b.commit, 5);
    assert_int_equal(f->b.snap_index, 5);
    assert_int_equal(f->b.snap_len, 6);
    assert_memory_equal(f->b.snap, "snap@5", 6);
    assert_null(agora_log_get(&f->b.log, 4));
    assert_entry(agora_log_get(&f->b.log, 6), 6, fx_ballot(2, 3), "f");
    assert_null(agora_log_get(&f->b.log, 7));
    assert_entry(agora_log_get(&f->b.log, 8), 8, fx_ballot(2, 3), "h");
}

static void test_recover_does_not_restore_the_lease(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 1), 0);
    size_t valid;
    assert_int_equal(replay(f, &f->b, OPEN + 1, f->wal.data, f->wal.len, &valid), AGORA_OK);
    agora_time_t left;
    /* The lease is volatile; the restart rule stands in for it. */
    assert_int_equal(agora_acceptor_lease(&f->b, OPEN + 1, &left), 0);
    assert_int_equal(f->b.quiet_until, OPEN + 1 + LEASE);
}

static void test_recover_of_an_empty_log_is_the_initial_state(void **state)
{
    struct fx *f = *state;
    size_t valid = 99;
    assert_int_equal(replay(f, &f->b, T0, NULL, 0, &valid), AGORA_OK);
    assert_int_equal(valid, 0);
    assert_same_durable_state(&f->a, &f->b);
}

static void test_recover_cuts_a_torn_tail_at_every_length(void **state)
{
    struct fx *f = *state;
    history(f);
    for (size_t len = 0; len <= f->wal.len; len++) {
        /* Exactly len bytes, so a read past them is caught by ASan. */
        uint8_t *copy = agora_malloc(len);
        assert_non_null(copy);
        if (len > 0)
            memcpy(copy, f->wal.data, len);
        size_t valid = 99, whole;
        int rc = replay(f, &f->b, T0, copy, len, &valid);
        agora_free(copy);
        assert_int_equal(rc, AGORA_OK);
        /* [torn] the trusted prefix is the whole frames, nothing more */
        whole = agora_frame_valid_prefix(f->wal.data, len);
        assert_int_equal(valid, whole);
        assert_true(valid <= len);
        /* and the state is that prefix's */
        assert_int_equal(replay(f, &f->c, T0, f->wal.data, whole, &valid), AGORA_OK);
        assert_same_durable_state(&f->b, &f->c);
    }
}

static void test_recover_stops_at_a_corrupt_frame_and_ignores_later_ones(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    size_t keep = f->wal.len;
    accept1(f, OPEN, fx_ballot(1, 1), 1, 0, "lost");
    accept1(f, OPEN, fx_ballot(1, 1), 2, 0, "also lost");
    f->wal.data[keep + AGORA_FRAME_HDR + 3] ^= 0x40; /* inside the first ACCEPTED record */
    size_t valid;
    assert_int_equal(replay(f, &f->b, T0, f->wal.data, f->wal.len, &valid), AGORA_OK);
    assert_int_equal(valid, keep);
    assert_true(valid < f->wal.len);
    assert_ballot(f->b.promised, fx_ballot(1, 1));
    assert_null(agora_log_get(&f->b.log, 1));
    assert_null(agora_log_get(&f->b.log, 2));
}

static void test_corrupt_record_inside_a_valid_frame_is_ECORRUPT(void **state)
{
    struct fx *f = *state;
    static const uint8_t unknown_kind[] = {99, 0, 0, 0};
    static const uint8_t short_promise[] = {1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0}; /* node: 2 of 4 */
    static const uint8_t long_commit[] = {3, 1, 0, 0, 0, 0, 0, 0, 0, 0xEE};   /* trailing byte */
    static const uint8_t accepted_blob_too_long[] = {
        2, 1, 0, 0, 0, 0, 0, 0, 0, /* slot 1 */
        1, 0, 0, 0, 0, 0, 0, 0,    /* round 1 */
        1, 0, 0, 0,                /* node 1 */
        9, 0, 0, 0, 'x',           /* says 9 bytes, has 1 */
    };
    static const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {
        {unknown_kind, sizeof(unknown_kind)},
        {short_promise, sizeof(short_promise)},
        {long_commit, sizeof(long_commit)},
        {accepted_blob_too_long, sizeof(accepted_blob_too_long)},
    };
    prepare(f, OPEN, fx_ballot(1, 1), 1);
    size_t good = f->wal.len;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f->wal.len = good;
        assert_int_equal(agora_frame_put(&f->wal, bad[i].p, bad[i].n), AGORA_OK);
        size_t valid = 99;
        assert_int_equal(replay(f, &f->b, T0, f->wal.data, f->wal.len, &valid), AGORA_ECORRUPT);
        assert_int_equal(valid, good);
    }
}

/* ---- compaction [compact] -------------------------------------------------------- */

static void test_compaction_image_replays_to_the_same_state(void **state)
{
    struct fx *f = *state;
    history(f);
    static const char *const v[] = {"F", "G", "H"};
    accept_n(f, OPEN + 4 * LEASE, fx_ballot(4, 2), 6, 7, 3, v);
    assert_int_equal(f->a.commit, 7);
    assert_int_equal(agora_acceptor_compact(&f->a, 7, (const uint8_t *)"snap@7", 6, &f->image),
                     AGORA_OK);
    assert_int_equal(f->a.snap_index, 7);
    assert_null(agora_log_get(&f->a.log, 7));
    assert_entry(agora_log_get(&f->a.log, 8), 8, fx_ballot(4, 2), "H");
    size_t valid;
    assert_int_equal(replay(f, &f->b, T0, f->image.data, f->image.len, &valid), AGORA_OK);
    assert_int_equal(valid, f->image.len);
    assert_same_durable_state(&f->a, &f->b);
}

static void test_compaction_image_plus_later_records_replays_to_live_state(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    assert_int_equal(agora_acceptor_compact(&f->a, 4, (const uint8_t *)"S4", 2, &f->image),
                     AGORA_OK);
    /* The shell renames the image over the log and appends from there. */
    agora_buf_reset(&f->wal);
    assert_int_equal(agora_buf_put(&f->wal, f->image.data, f->image.len), AGORA_OK);
    accept1(f, OPEN, fx_ballot(2, 2), 6, 5, "six");
    prepare(f, OPEN + 2 * LEASE, fx_ballot(3, 3), 1);
    assert_wal_reproduces_state(f);
    assert_int_equal(f->b.commit, 4); /* slot 5 holds (1,1): not covered by (2,2)'s commit */
}

static void test_compact_refuses_beyond_commit_or_below_snapshot(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 3);
    assert_int_equal(agora_acceptor_compact(&f->a, 4, (const uint8_t *)"s", 1, &f->image),
                     AGORA_EINVAL);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"s", 1, &f->image),
                     AGORA_OK);
    agora_buf_reset(&f->image);
    assert_int_equal(agora_acceptor_compact(&f->a, 2, (const uint8_t *)"s", 1, &f->image),
                     AGORA_EINVAL);
    assert_int_equal(f->a.snap_index, 3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_recover_reproduces_promise_log_commit_and_snapshot),
        T(test_recover_does_not_restore_the_lease),
        T(test_recover_of_an_empty_log_is_the_initial_state),
        T(test_recover_cuts_a_torn_tail_at_every_length),
        T(test_recover_stops_at_a_corrupt_frame_and_ignores_later_ones),
        T(test_corrupt_record_inside_a_valid_frame_is_ECORRUPT),
        T(test_compaction_image_replays_to_the_same_state),
        T(test_compaction_image_plus_later_records_replays_to_live_state),
        T(test_compact_refuses_beyond_commit_or_below_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
