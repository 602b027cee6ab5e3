/* test_recordio.c: the RecordIO reader against the framing of mesos
 * docs/recordio.md: records split across feeds at every byte, many records
 * in one feed, empty header lines, and every malformed header refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recordio.h"

struct got {
    char recs[16][256];
    size_t n;
};

static int collect(void *ctx, const char *rec, size_t len)
{
    struct got *g = ctx;
    assert_true(len < sizeof g->recs[0]);
    memcpy(g->recs[g->n], rec, len);
    g->recs[g->n++][len] = '\0';
    return 0;
}

static const char STREAM[] = "106\n{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":"
                             "{\"value\":\"abc-0000\"},\"heartbeat_interval_seconds\":15.0}}"
                             "20\n{\"type\":\"HEARTBEAT\"}";

static void test_two_records_one_feed(void **state)
{
    (void)state;
    struct agl_recordio r;
    struct got g = {0};
    agl_recordio_init(&r, 0);
    assert_int_equal(agl_recordio_feed(&r, STREAM, strlen(STREAM), collect, &g), 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(strlen(g.recs[0]), 106);
    assert_string_equal(g.recs[1], "{\"type\":\"HEARTBEAT\"}");
    assert_int_equal(agl_recordio_pending(&r), 0);
    agl_recordio_free(&r);
}

/* Every split point, and byte-by-byte feeding, gives the same records. */
static void test_every_split(void **state)
{
    (void)state;
    size_t n = strlen(STREAM);
    for (size_t cut = 0; cut <= n; cut++) {
        struct agl_recordio r;
        struct got g = {0};
        agl_recordio_init(&r, 0);
        assert_int_equal(agl_recordio_feed(&r, STREAM, cut, collect, &g), 0);
        assert_int_equal(agl_recordio_feed(&r, STREAM + cut, n - cut, collect, &g), 0);
        assert_int_equal(g.n, 2);
        assert_string_equal(g.recs[1], "{\"type\":\"HEARTBEAT\"}");
        agl_recordio_free(&r);
    }
    struct agl_recordio r;
    struct got g = {0};
    agl_recordio_init(&r, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(agl_recordio_feed(&r, STREAM + i, 1, collect, &g), 0);
    assert_int_equal(g.n, 2);
    agl_recordio_free(&r);
}

static void test_empty_lines_and_partial(void **state)
{
    (void)state;
    struct agl_recordio r;
    struct got g = {0};
    agl_recordio_init(&r, 0);
    assert_int_equal(agl_recordio_feed(&r, "\n3\nabc\n\n2\nx", 11, collect, &g), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.recs[0], "abc");
    assert_int_equal(agl_recordio_pending(&r), 1);
    assert_int_equal(agl_recordio_feed(&r, "y", 1, collect, &g), 0);
    assert_string_equal(g.recs[1], "xy");
    agl_recordio_free(&r);
}

static void expect_bad(const char *s, size_t max, const char *why)
{
    struct agl_recordio r;
    struct got g = {0};
    agl_recordio_init(&r, max);
    assert_int_equal(agl_recordio_feed(&r, s, strlen(s), collect, &g), -1);
    assert_non_null(strstr(r.why, why));
    /* Sticky: nothing more is accepted. */
    assert_int_equal(agl_recordio_feed(&r, "1\na", 3, collect, &g), -1);
    agl_recordio_free(&r);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_bad("0\n", 0, "length 0");
    expect_bad("1a\nx", 0, "non-digit");
    expect_bad("-5\n", 0, "non-digit");
    expect_bad("123456789012345678901\n", SIZE_MAX, "20 digits");
    expect_bad("1000\n", 100, "limit");
    expect_bad(" 3\nabc", 0, "non-digit");
}

static int stop_after_one(void *ctx, const char *rec, size_t len)
{
    (void)rec;
    (void)len;
    (*(int *)ctx)++;
    return 7;
}

static void test_callback_stops(void **state)
{
    (void)state;
    struct agl_recordio r;
    int calls = 0;
    agl_recordio_init(&r, 0);
    assert_int_equal(agl_recordio_feed(&r, "1\na1\nb", 6, stop_after_one, &calls), 7);
    assert_int_equal(calls, 1);
    assert_int_equal(agl_recordio_pending(&r), 3);
    agl_recordio_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_records_one_feed),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_empty_lines_and_partial),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_callback_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
