/* test_http_req.c: what the Mesos client sends and where
 * (coordinator/http_req.h): the request bytes, refused header values, and
 * the split of a master's "host:port" (IPv6 included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

static void test_call_carries_the_stream_id(void **state)
{
    size_t len;
    char *r = agl_http_post("10.0.0.1:5050", "/api/v1/scheduler", "5b2f-41", "{}", 2, &len);
    (void)state;
    assert_non_null(r);
    assert_string_equal(r, "POST /api/v1/scheduler HTTP/1.1\r\nHost: 10.0.0.1:5050\r\n"
                           "Content-Type: application/json\r\nAccept: application/json\r\n"
                           "Content-Length: 2\r\nMesos-Stream-Id: 5b2f-41\r\n\r\n{}");
    assert_int_equal(len, strlen(r));
    free(r);
}

static void test_subscribe_has_no_stream_id(void **state)
{
    size_t len;
    char *r = agl_http_post("[::1]:5050", "/api/v1/scheduler", NULL, "{\"a\":1}", 7, &len);
    (void)state;
    assert_non_null(r);
    assert_null(strstr(r, "Mesos-Stream-Id"));
    assert_non_null(strstr(r, "\r\nHost: [::1]:5050\r\n"));
    assert_non_null(strstr(r, "\r\nContent-Length: 7\r\n\r\n{\"a\":1}"));
    free(r);
}

static void test_header_injection_is_refused(void **state)
{
    size_t len;
    (void)state;
    assert_null(agl_http_post("h:1", "/p", "a\r\nX-Evil: 1", "", 0, &len));
    assert_null(agl_http_post("h:1\r\nX: y", "/p", NULL, "", 0, &len));
    assert_null(agl_http_post("h:1", "/p q", NULL, "", 0, &len));
}

static void split_ok(const char *hp, const char *host, unsigned port)
{
    char h[AGL_HTTP_HOST_MAX], why[160];
    unsigned p = 0;
    assert_int_equal(agl_http_split_hostport(hp, h, sizeof h, &p, why, sizeof why), 0);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
}

static void test_split_of_names_and_addresses(void **state)
{
    (void)state;
    split_ok("10.0.0.1:5050", "10.0.0.1", 5050);
    split_ok("master.example:80", "master.example", 80);
    split_ok("[::1]:5050", "::1", 5050);
    split_ok("fe80::1:5050", "fe80::1", 5050);
}

static void split_bad(const char *hp, const char *why_part)
{
    char h[AGL_HTTP_HOST_MAX], why[160];
    unsigned p;
    assert_int_equal(agl_http_split_hostport(hp, h, sizeof h, &p, why, sizeof why), -1);
    if (strstr(why, why_part) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", why, why_part);
}

static void test_split_refuses_what_is_not_host_port(void **state)
{
    (void)state;
    split_bad("10.0.0.1", "bad address \"10.0.0.1\": expected host:port");
    split_bad("h:0", "port not in 1..65535");
    split_bad("h:65536", "port not in 1..65535");
    split_bad("h:+80", "port not in 1..65535");
    split_bad("h:80x", "port not in 1..65535");
    split_bad(":80", "no host");
    split_bad("[::1]5050:1", "expected [address]:port");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_carries_the_stream_id),
        cmocka_unit_test(test_subscribe_has_no_stream_id),
        cmocka_unit_test(test_header_injection_is_refused),
        cmocka_unit_test(test_split_of_names_and_addresses),
        cmocka_unit_test(test_split_refuses_what_is_not_host_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
