/* test_http_parse.c: the Mesos client's HTTP/1.1 response parser
 * (coordinator/http_parse.h). Every accepted response is fed three ways,
 * in one piece, byte by byte and cut in two at every point, and must give
 * the same result; every hostile input is refused, fed in one piece and
 * byte by byte, with the reason it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

struct got {
    char body[4096];
    size_t len;
    int heads;
};

static int collect(void *ctx, const char *p, size_t n)
{
    struct got *g = ctx;
    assert_true(g->len + n < sizeof g->body);
    memcpy(g->body + g->len, p, n);
    g->len += n;
    g->body[g->len] = '\0';
    return 0;
}

/* Feeds s[0..n) in pieces of `step` bytes (0: one piece); returns the last
 * event (AGL_HTTP_DONE, AGL_HTTP_ERROR or AGL_HTTP_MORE). */
static int feed_steps(struct agl_http_parser *p, const char *s, size_t n, size_t step,
                      struct got *g)
{
    int rc = AGL_HTTP_MORE;

    for (size_t at = 0; at < n && rc != AGL_HTTP_DONE && rc != AGL_HTTP_ERROR;) {
        size_t k = step == 0 || n - at < step ? n - at : step, used;
        rc = agl_http_feed(p, s + at, k, &used, collect, g);
        at += used;
        g->heads += rc == AGL_HTTP_HEAD;
        if (rc == AGL_HTTP_HEAD) /* again with the rest, even if none */
            rc = agl_http_feed(p, s + at, 0, &used, collect, g);
    }
    return rc;
}

/* The same response in one piece, byte by byte and cut at every point. */
static int parse_all_ways(const char *s, struct agl_http_parser *out, struct got *gout)
{
    size_t n = strlen(s);
    int rc0;

    agl_http_parser_init(out);
    memset(gout, 0, sizeof *gout);
    rc0 = feed_steps(out, s, n, 0, gout);
    for (size_t cut = 0; cut <= n; cut++) {
        struct agl_http_parser p;
        struct got g = {0};
        agl_http_parser_init(&p);
        int rc = feed_steps(&p, s, cut, 0, &g);
        if (rc != AGL_HTTP_DONE && rc != AGL_HTTP_ERROR)
            rc = feed_steps(&p, s + cut, n - cut, 0, &g);
        assert_int_equal(rc, rc0);
        assert_int_equal(g.len, gout->len);
        assert_memory_equal(g.body, gout->body, g.len);
        assert_int_equal(p.resp.code, out->resp.code);
    }
    struct agl_http_parser p;
    struct got g = {0};
    agl_http_parser_init(&p);
    assert_int_equal(feed_steps(&p, s, n, 1, &g), rc0);
    assert_string_equal(g.body, gout->body);
    assert_int_equal(g.heads, gout->heads);
    return rc0;
}

static void test_content_length_body(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello",
                                    &p, &g), AGL_HTTP_DONE);
    assert_int_equal(p.resp.code, 202);
    assert_string_equal(g.body, "hello");
    assert_int_equal(g.heads, 1);
    assert_true(p.resp.keep_alive);
}

static void test_chunked_body_with_extensions_and_trailers(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "4;name=value\r\n20\n{\r\n"
                                    "0000000F ; a=\"b c\"\r\n\"type\":\"HEART\"}\r\n"
                                    "0\r\nX-Trailer: 1\r\nAnother: two\r\n\r\n", &p, &g),
                     AGL_HTTP_DONE);
    assert_string_equal(g.body, "20\n{\"type\":\"HEART\"}");
    assert_true(p.resp.chunked);
}

static void test_307_gives_its_location(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 307 Temporary Redirect\r\n"
                                    "Location: //10.0.0.2:5050/api/v1/scheduler\r\n"
                                    "Content-Length: 0\r\n\r\n", &p, &g), AGL_HTTP_DONE);
    assert_int_equal(p.resp.code, 307);
    assert_string_equal(p.resp.location, "//10.0.0.2:5050/api/v1/scheduler");
    assert_int_equal(g.len, 0);
}

static void test_header_names_are_case_insensitive(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 200 OK\r\nmesos-stream-id:  5b2f-41 \t\r\n"
                                    "TRANSFER-ENCODING: Chunked\r\n\r\n0\r\n\r\n", &p, &g),
                     AGL_HTTP_DONE);
    assert_string_equal(p.resp.stream_id, "5b2f-41");
    assert_true(p.resp.chunked);
}

static void test_connection_close_is_not_kept_alive(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    parse_all_ways("HTTP/1.1 200 OK\r\nConnection: Upgrade, close\r\nContent-Length: 0\r\n\r\n",
                   &p, &g);
    assert_false(p.resp.keep_alive);
    parse_all_ways("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &p, &g);
    assert_false(p.resp.keep_alive);
    parse_all_ways("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", &p,
                   &g);
    assert_true(p.resp.keep_alive);
}

static void test_body_without_length_ends_when_the_server_closes(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 400 Bad Request\r\n\r\nno stream", &p, &g),
                     AGL_HTTP_MORE);
    assert_false(p.resp.keep_alive);
    assert_int_equal(agl_http_eof(&p), AGL_HTTP_DONE);
    assert_string_equal(g.body, "no stream");
}

static void test_interim_100_is_skipped(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\n"
                                    "Content-Length: 0\r\n\r\n", &p, &g), AGL_HTTP_DONE);
    assert_int_equal(p.resp.code, 202);
    assert_int_equal(g.heads, 1);
}

static void test_204_has_no_body(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    assert_int_equal(parse_all_ways("HTTP/1.1 204 No Content\r\n\r\n", &p, &g), AGL_HTTP_DONE);
    assert_true(p.resp.keep_alive);
}

static void test_nothing_is_consumed_after_the_end(void **state)
{
    struct agl_http_parser p;
    size_t used;
    (void)state;
    agl_http_parser_init(&p);
    const char *s = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200";
    assert_int_equal(agl_http_feed(&p, s, strlen(s), &used, NULL, NULL), AGL_HTTP_HEAD);
    assert_int_equal(agl_http_feed(&p, s + used, strlen(s) - used, &used, NULL, NULL),
                     AGL_HTTP_DONE);
    assert_int_equal(used, 0);
}

static int stop_at_once(void *ctx, const char *p, size_t n)
{
    (void)p;
    *(size_t *)ctx += n;
    return 1;
}

/* A body callback that stops: the parser resumes where it was. */
static void test_stopped_feed_resumes(void **state)
{
    struct agl_http_parser p;
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    size_t at = 0, used, seen = 0;
    int rc, stops = 0;
    (void)state;
    agl_http_parser_init(&p);
    do {
        rc = agl_http_feed(&p, s + at, strlen(s) - at, &used, stop_at_once, &seen);
        at += used;
        stops += rc == AGL_HTTP_STOP;
    } while (rc != AGL_HTTP_DONE && rc != AGL_HTTP_ERROR);
    assert_int_equal(rc, AGL_HTTP_DONE);
    assert_int_equal(stops, 2);
    assert_int_equal(seen, 5);
    assert_int_equal(at, strlen(s));
}

static void test_eof_inside_the_body_is_an_error(void **state)
{
    struct agl_http_parser p;
    struct got g;
    (void)state;
    parse_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", &p, &g);
    assert_int_equal(agl_http_eof(&p), AGL_HTTP_ERROR);
    assert_string_equal(p.why, "connection closed 7 bytes before the end of the body");
    parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", &p, &g);
    assert_int_equal(agl_http_eof(&p), AGL_HTTP_ERROR);
    assert_string_equal(p.why, "connection closed in the chunked body");
    agl_http_parser_init(&p);
    assert_int_equal(agl_http_eof(&p), AGL_HTTP_ERROR);
    assert_string_equal(p.why, "connection closed before any response");
}

/* Refused in one piece and byte by byte, p.why containing `why`; the error
 * is sticky. */
static void expect_refused(const char *s, size_t n, const char *why)
{
    for (size_t step = 0; step <= 1; step++) {
        struct agl_http_parser p;
        struct got g = {0};
        size_t used;
        agl_http_parser_init(&p);
        assert_int_equal(feed_steps(&p, s, n, step, &g), AGL_HTTP_ERROR);
        if (strstr(p.why, why) == NULL)
            fail_msg("\"%s\" does not contain \"%s\"", p.why, why);
        assert_int_equal(agl_http_feed(&p, "0\r\n", 3, &used, collect, &g), AGL_HTTP_ERROR);
    }
}
#define REFUSED(s, why) expect_refused(s, sizeof(s) - 1, why)

static void test_huge_chunk_size_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
            "chunk size of 2^60 bytes or more");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n",
            "chunk size of 2^60 bytes or more");
}

static void test_long_chunk_size_line_is_refused(void **state)
{
    char s[600];
    (void)state;
    int n = snprintf(s, sizeof s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;%0300d",
                     0);
    expect_refused(s, (size_t)n, "chunk-size line longer than 255 bytes");
}

static void test_bad_chunk_size_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
            "chunk-size line without a size");
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", "bad chunk-size line");
}

static void test_negative_content_length_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length \"-1\"");
}

static void test_overflowing_content_length_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551617\r\n\r\n",
            "Content-Length of 2^60 bytes or more");
}

static void test_conflicting_lengths_are_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "two different Content-Length values");
    REFUSED("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "both Content-Length and Transfer-Encoding");
}

static void test_other_transfer_codings_are_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "Transfer-Encoding \"gzip, chunked\" is not supported");
}

static void test_chunk_without_crlf_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n",
            "chunk data not followed by CRLF");
}

static void test_line_without_cr_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "status line ends in LF without CR");
    REFUSED("HTTP/1.1 200 OK\r\nA: b\rC: d\r\n\r\n", "CR not followed by LF in a header line");
}

static void test_header_block_too_big_is_refused(void **state)
{
    static char s[AGL_HTTP_HEAD_MAX + 200];
    size_t n = (size_t)snprintf(s, sizeof s, "HTTP/1.1 200 OK\r\n");
    (void)state;
    while (n < AGL_HTTP_HEAD_MAX + 100)
        n += (size_t)snprintf(s + n, sizeof s - n, "X-Padding: %060d\r\n", 0);
    expect_refused(s, n, "header block larger than 16384 bytes");
}

static void test_header_line_too_long_is_refused(void **state)
{
    static char s[AGL_HTTP_LINE_MAX + 100];
    (void)state;
    size_t n = (size_t)snprintf(s, sizeof s, "HTTP/1.1 200 OK\r\nX: ");
    memset(s + n, 'a', AGL_HTTP_LINE_MAX);
    expect_refused(s, n + AGL_HTTP_LINE_MAX, "header line longer than 8191 bytes");
}

static void test_nul_byte_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nLocation: //a\0b\r\n\r\n", "NUL byte in a header line");
    REFUSED("HTTP/1.1 200\0OK\r\n\r\n", "NUL byte in a status line");
}

static void test_bad_status_line_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 20 OK\r\n\r\n", "bad status line \"HTTP/1.1 20 OK\"");
    REFUSED("ICY 200 OK\r\n\r\n", "bad status line");
    REFUSED("HTTP/2.0 200 OK\r\n\r\n", "HTTP version 2.0 is not supported");
    REFUSED("HTTP/1.1 099 Odd\r\n\r\n", "bad status code 99");
}

static void test_tls_answer_is_named(void **state)
{
    (void)state;
    REFUSED("\x15\x03\x03\x00\x02\x02\x46", "a TLS record (only http:// is supported)");
}

static void test_malformed_header_lines_are_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nA: b\r\n  folded\r\n\r\n", "folded header line");
    REFUSED("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "without a colon");
    REFUSED("HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "space between a header name and its colon");
    REFUSED("HTTP/1.1 200 OK\r\n: v\r\n\r\n", "header line without a name");
    REFUSED("HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n", "control byte 0x01 in a header line");
}

static void test_stream_id_unfit_for_a_request_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 200 OK\r\nMesos-Stream-Id: a b\r\n\r\n",
            "Mesos-Stream-Id with a space, control or non-ASCII byte");
}

static void test_101_is_refused(void **state)
{
    (void)state;
    REFUSED("HTTP/1.1 101 Switching Protocols\r\n\r\n", "101 Switching Protocols");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length_body),
        cmocka_unit_test(test_chunked_body_with_extensions_and_trailers),
        cmocka_unit_test(test_307_gives_its_location),
        cmocka_unit_test(test_header_names_are_case_insensitive),
        cmocka_unit_test(test_connection_close_is_not_kept_alive),
        cmocka_unit_test(test_body_without_length_ends_when_the_server_closes),
        cmocka_unit_test(test_interim_100_is_skipped),
        cmocka_unit_test(test_204_has_no_body),
        cmocka_unit_test(test_nothing_is_consumed_after_the_end),
        cmocka_unit_test(test_stopped_feed_resumes),
        cmocka_unit_test(test_eof_inside_the_body_is_an_error),
        cmocka_unit_test(test_huge_chunk_size_is_refused),
        cmocka_unit_test(test_long_chunk_size_line_is_refused),
        cmocka_unit_test(test_bad_chunk_size_is_refused),
        cmocka_unit_test(test_negative_content_length_is_refused),
        cmocka_unit_test(test_overflowing_content_length_is_refused),
        cmocka_unit_test(test_conflicting_lengths_are_refused),
        cmocka_unit_test(test_other_transfer_codings_are_refused),
        cmocka_unit_test(test_chunk_without_crlf_is_refused),
        cmocka_unit_test(test_line_without_cr_is_refused),
        cmocka_unit_test(test_header_block_too_big_is_refused),
        cmocka_unit_test(test_header_line_too_long_is_refused),
        cmocka_unit_test(test_nul_byte_is_refused),
        cmocka_unit_test(test_bad_status_line_is_refused),
        cmocka_unit_test(test_tls_answer_is_named),
        cmocka_unit_test(test_malformed_header_lines_are_refused),
        cmocka_unit_test(test_stream_id_unfit_for_a_request_is_refused),
        cmocka_unit_test(test_101_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
