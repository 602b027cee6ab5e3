/* test_acceptor_catch_up.c: how one acceptor serves catch-up (acceptor.h,
 * DESIGN.md section 2): INSTALL of a leader's snapshot into a lagging
 * brick, and FETCH by learners: committed entries only, the snapshot when
 * asked for what it covers, replies capped in entries and bytes (PARTIAL)
 * yet never empty, nothing durable written.
 *
 *   [compact]  "once a prefix is committed and applied, the acceptor keeps a
 *              state snapshot and drops those entries; catch-up of a lagging
 *              brick or learner uses the snapshot plus the tail."
 *
 * The acceptor under test is acceptor_fixture.h: time
 * is the brick's virtual clock, started at T0; OPEN = T0 + LEASE. */
#include "acceptor_fixture.h"

/* ---- INSTALL [compact] ----------------------------------------------------------- */

static void test_install_sets_snapshot_and_commit_and_drops_covered_entries(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 0);
    accept1(f, OPEN, fx_ballot(1, 1), 8, 0, "eight");
    install(f, OPEN, fx_ballot(2, 1), 6, "state@6");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_int_equal(f->out.slot, 7);
    assert_int_equal(f->out.count, 0);
    assert_int_equal(f->out.commit, 6);
    assert_int_equal(f->a.snap_index, 6);
    assert_int_equal(f->a.snap_len, 7);
    assert_memory_equal(f->a.snap, "state@6", 7);
    assert_int_equal(f->a.commit, 6);
    assert_int_equal(f->a.log.base, 6);
    assert_null(agora_log_get(&f->a.log, 5));
    assert_entry(agora_log_get(&f->a.log, 8), 8, fx_ballot(1, 1), "eight");
    assert_ballot(f->a.promised, fx_ballot(2, 1));
    assert_wal_reproduces_state(f);
}

static void test_install_renews_the_lease(void **state)
{
    struct fx *f = *state;
    agora_time_t left;
    install(f, OPEN, fx_ballot(1, 3), 2, "s");
    assert_int_equal(agora_acceptor_lease(&f->a, OPEN, &left), 3);
    assert_int_equal(left, LEASE);
}

static void test_install_at_or_below_commit_changes_nothing(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 4);
    install(f, OPEN, fx_ballot(1, 1), 3, "older");
    assert_int_equal(f->out.type, AGORA_MSG_ACCEPTED);
    assert_int_equal(f->a.snap_index, 0);
    assert_null(f->a.snap);
    assert_int_equal(f->a.commit, 4);
    assert_entry(agora_log_get(&f->a.log, 1), 1, fx_ballot(1, 1), "v1");
}

static void test_install_below_the_promise_is_rejected(void **state)
{
    struct fx *f = *state;
    prepare(f, OPEN, fx_ballot(3, 3), 1);
    install(f, OPEN, fx_ballot(2, 2), 5, "s");
    assert_reject(&f->out, AGORA_REJECT_BALLOT, fx_ballot(3, 3));
    assert_int_equal(f->a.snap_index, 0);
    assert_int_equal(f->step_wal.len, 0);
}

/* ---- FETCH [compact] ------------------------------------------------------------- */

static void test_fetch_returns_only_committed_entries(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.type, AGORA_MSG_FETCHED);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 1, fx_ballot(1, 1), "v1");
    assert_entry(&f->out.entries[1], 2, fx_ballot(1, 1), "v2");
    assert_int_equal(f->out.count, 2);
    assert_int_equal(f->out.commit, 2);
    assert_int_equal(f->out.reason, 0);
    assert_null(f->out.snap);
}

static void test_fetch_from_above_commit_returns_no_entries(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    fetch(f, OPEN, 3);
    assert_int_equal(f->out.type, AGORA_MSG_FETCHED);
    assert_int_equal(f->out.n_entries, 0);
    assert_int_equal(f->out.commit, 2);
    assert_int_equal(f->out.reason, 0);
}

static void test_fetch_changes_nothing_durable(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 2);
    fetch(f, OPEN, 1);
    assert_int_equal(f->step_wal.len, 0);
    assert_ballot(f->a.promised, fx_ballot(1, 1));
}

static void test_fetch_reports_the_lease_holder(void **state)
{
    struct fx *f = *state;
    heartbeat(f, OPEN, fx_ballot(1, 4), 0);
    fetch(f, OPEN + AGORA_SEC, 1);
    assert_int_equal(f->out.lease_holder, 4);
    assert_int_equal(f->out.lease_left, LEASE - AGORA_SEC);
}

static void test_fetch_at_or_below_snapshot_returns_snapshot_then_tail(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"S3", 2, &f->image),
                     AGORA_OK);
    for (uint64_t from = 1; from <= 3; from++) {
        fetch(f, OPEN, from);
        assert_int_equal(f->out.type, AGORA_MSG_FETCHED);
        assert_true(f->out.reason & AGORA_REPLY_SNAPSHOT);
        assert_int_equal(f->out.snap_index, 3);
        assert_int_equal(f->out.snap_len, 2);
        assert_memory_equal(f->out.snap, "S3", 2);
        assert_int_equal(f->out.n_entries, 2);
        assert_entry(&f->out.entries[0], 4, fx_ballot(1, 1), "v4");
        assert_entry(&f->out.entries[1], 5, fx_ballot(1, 1), "v5");
    }
}

static void test_fetch_above_snapshot_omits_it(void **state)
{
    struct fx *f = *state;
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, (const uint8_t *)"S3", 2, &f->image),
                     AGORA_OK);
    fetch(f, OPEN, 4);
    assert_false(f->out.reason & AGORA_REPLY_SNAPSHOT);
    assert_null(f->out.snap);
    assert_int_equal(f->out.snap_len, 0);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 4, fx_ballot(1, 1), "v4");
}

static void test_fetch_marks_an_empty_snapshot_as_carried(void **state)
{
    struct fx *f = *state;
    /* a snapshot of zero bytes is still a snapshot: the flag says so */
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    assert_int_equal(agora_acceptor_compact(&f->a, 3, NULL, 0, &f->image), AGORA_OK);
    fetch(f, OPEN, 1);
    assert_true(f->out.reason & AGORA_REPLY_SNAPSHOT);
    assert_int_equal(f->out.snap_index, 3);
    assert_int_equal(f->out.snap_len, 0);
    assert_int_equal(f->out.n_entries, 2);
}

static void test_fetch_capped_by_max_reply_entries_is_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 2, 0);
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.n_entries, 2);
    assert_int_equal(f->out.count, 2);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
    fetch(f, OPEN, 3);
    assert_int_equal(f->out.n_entries, 2);
    assert_entry(&f->out.entries[0], 3, fx_ballot(1, 1), "v3");
    assert_int_equal(f->out.count, 4);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
    fetch(f, OPEN, 5);
    assert_int_equal(f->out.n_entries, 1);
    assert_int_equal(f->out.count, 5);
    assert_int_equal(f->out.reason, 0);
}

static void test_fetch_of_exactly_the_cap_is_not_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 2, 0);
    accept_five(f, OPEN, fx_ballot(1, 1), 5);
    fetch(f, OPEN, 4);
    assert_int_equal(f->out.n_entries, 2);
    assert_int_equal(f->out.count, 5);
    assert_int_equal(f->out.reason, 0);
}

static void test_fetch_capped_by_max_reply_bytes_is_partial(void **state)
{
    struct fx *f = *state;
    caps(f, 0, 5);
    static const char *const v[] = {"aaa", "bbb", "ccc"};
    accept_n(f, OPEN, fx_ballot(1, 1), 1, 3, 3, v);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.n_entries, 1);
    assert_int_equal(f->out.count, 1);
    assert_int_equal(f->out.reason, AGORA_REPLY_PARTIAL);
}

/* A capped reply carries at least one entry, however large: otherwise a
 * learner behind an entry bigger than max_reply_bytes would get an empty
 * PARTIAL reply forever (and re-poll at once: a busy loop). Regression: the
 * core of commit 99dc156 did exactly that. */
static void test_fetch_returns_an_entry_larger_than_the_byte_cap(void **state)
{
    struct fx *f = *state;
    caps(f, 0, 4);
    accept1(f, OPEN, fx_ballot(1, 1), 1, 1, "0123456789");
    assert_int_equal(f->a.commit, 1);
    fetch(f, OPEN, 1);
    assert_int_equal(f->out.n_entries, 1);
    assert_entry(&f->out.entries[0], 1, fx_ballot(1, 1), "0123456789");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_install_sets_snapshot_and_commit_and_drops_covered_entries),
        T(test_install_renews_the_lease),
        T(test_install_at_or_below_commit_changes_nothing),
        T(test_install_below_the_promise_is_rejected),
        T(test_fetch_returns_only_committed_entries),
        T(test_fetch_from_above_commit_returns_no_entries),
        T(test_fetch_changes_nothing_durable),
        T(test_fetch_reports_the_lease_holder),
        T(test_fetch_at_or_below_snapshot_returns_snapshot_then_tail),
        T(test_fetch_above_snapshot_omits_it),
        T(test_fetch_marks_an_empty_snapshot_as_carried),
        T(test_fetch_capped_by_max_reply_entries_is_partial),
        T(test_fetch_of_exactly_the_cap_is_not_partial),
        T(test_fetch_capped_by_max_reply_bytes_is_partial),
        T(test_fetch_returns_an_entry_larger_than_the_byte_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
