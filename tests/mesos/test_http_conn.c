/* test_http_conn.c: the Mesos client's HTTP connection
 * (coordinator/http_conn.h) against a scripted server of the test's own
 * (script_server.h, a thread on a loopback port): answers by length, chunked in pieces and
 * until close; keep-alive and what happens when the server closes; the
 * error texts (refused, bad status line, timeout, unknown name); a name
 * resolved without blocking; IPv6; freeing from inside a callback. The
 * test plays the event loop with poll(). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_conn.h"
#include "http_req.h"
#include "script_server.h"

/* ---- the client's loop --------------------------------------------------------------------- */

struct cl {
    struct pollfd fds[8];
    int n;
    struct agl_hconn *h;
    bool done;
    int code, heads;
    char err[400], body[4096], location[AGL_HTTP_LOCATION_MAX];
    size_t len;
    bool free_in_done;             /* the done callback frees the connection */
    char *again;                   /* the done callback sends this request */
};

static int cl_watch(void *ctx, int fd, short events)
{
    struct cl *c = ctx;
    for (int i = 0; i < c->n; i++) {
        if (c->fds[i].fd != fd)
            continue;
        if (events == 0)
            c->fds[i] = c->fds[--c->n];
        else
            c->fds[i].events = events;
        return 0;
    }
    if (events == 0 || c->n == 8)
        return events == 0 ? 0 : -1;
    c->fds[c->n++] = (struct pollfd){fd, events, 0};
    return 0;
}

static agora_time_t cl_now(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (agora_time_t)ts.tv_sec * AGORA_SEC + (agora_time_t)ts.tv_nsec;
}

static void cl_head(void *ctx, const struct agl_http_resp *r)
{
    (void)r;
    ((struct cl *)ctx)->heads++;
}

static int cl_body(void *ctx, const char *p, size_t n, char *why, size_t whylen)
{
    struct cl *c = ctx;
    (void)why;
    (void)whylen;
    assert_true(c->len + n < sizeof c->body);
    memcpy(c->body + c->len, p, n);
    c->len += n;
    c->body[c->len] = '\0';
    return 0;
}

static void cl_done(void *ctx, const struct agl_http_resp *r, const char *err)
{
    struct cl *c = ctx;
    c->done = true;
    c->code = r->code;
    snprintf(c->err, sizeof c->err, "%s", err);
    snprintf(c->location, sizeof c->location, "%s", r->location);
    if (c->again != NULL) {
        char *req = c->again;
        c->again = NULL;
        c->done = false;
        c->len = 0;
        assert_int_equal(agl_hconn_request(c->h, req, strlen(req), 0), 0);
    }
    if (c->free_in_done) {
        agl_hconn_free(c->h);
        c->h = NULL;
    }
}

static const struct agl_hconn_ops OPS = {cl_head, cl_body, cl_done};

static void cl_init(struct cl *c, const char *hostport)
{
    static struct agl_hconn_env env;
    memset(c, 0, sizeof *c);
    env = (struct agl_hconn_env){c, cl_watch, cl_now};
    c->h = agl_hconn_new(&env, hostport, &OPS, c);
    assert_non_null(c->h);
}

/* Turns the loop until the request is done (true) or ms pass. */
static bool cl_run(struct cl *c, int ms)
{
    agora_time_t end = cl_now(NULL) + (agora_time_t)ms * AGORA_MS;

    while (!c->done && c->h != NULL && cl_now(NULL) < end) {
        struct pollfd fds[8];
        int n = c->n;
        memcpy(fds, c->fds, sizeof fds);
        if (poll(fds, (nfds_t)n, 5) > 0) {
            for (int i = 0; i < n && c->h != NULL; i++) {
                if (fds[i].revents != 0)
                    agl_hconn_on_fd(c->h, fds[i].fd, fds[i].revents);
            }
        }
        if (c->h != NULL && cl_now(NULL) >= agl_hconn_deadline(c->h))
            agl_hconn_on_time(c->h);
    }
    return c->done;
}

static char *post(const char *hostport)
{
    size_t len;
    char *r = agl_http_post(hostport, "/api/v1/scheduler", "sid-1", "{}", 2, &len);
    assert_non_null(r);
    return r;
}

/* Sends a request and turns the loop until its answer (5 s at most). */
static void request(struct cl *c, agora_time_t timeout)
{
    char *r = post("h:1");
    c->done = false;
    c->len = 0;
    assert_int_equal(agl_hconn_request(c->h, r, strlen(r), timeout), 0);
    assert_true(cl_run(c, 5000));
}

/* ---- the tests: each has a server (maybe) and a client, freed after it ---------------------- */

struct fx {
    struct srv s;
    bool up;
    struct cl c;
    char hostport[64];
};

static int fx_setup(void **state)
{
    *state = calloc(1, sizeof(struct fx));
    return *state != NULL ? 0 : -1;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    agl_hconn_free(f->c.h);
    if (f->up)
        srv_stop(&f->s);
    free(f);
    return 0;
}

/* A server on 127.0.0.1 (or ::1) with the script, a client for it. */
static bool serve_to(struct fx *f, int family, const struct answer *script, int n)
{
    if (srv_start(&f->s, family, script, n) != 0)
        return false;
    f->up = true;
    snprintf(f->hostport, sizeof f->hostport, family == AF_INET6 ? "[::1]:%d" : "127.0.0.1:%d",
             f->s.port);
    cl_init(&f->c, f->hostport);
    return true;
}

static const struct answer ACCEPTED[] = {{"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", false},
                                         {"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", false}};

static void test_answer_by_content_length(void **state)
{
    static const struct answer A[] = {{"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok", false}};
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, A, 1));
    request(&f->c, 5 * AGORA_SEC);
    assert_int_equal(f->c.code, 202);
    assert_string_equal(f->c.err, "");
    assert_string_equal(f->c.body, "ok");
}

static void test_chunked_answer_in_pieces(void **state)
{
    static const struct answer A[] = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                       "Mesos-Stream-Id: s1\r\n\r\n|3\r\nab|c\r\n|4\r\ndefg\r\n|0\r\n\r\n",
                                       false}};
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, A, 1));
    request(&f->c, 0);
    assert_int_equal(f->c.code, 200);
    assert_int_equal(f->c.heads, 1);
    assert_string_equal(f->c.body, "abcdefg");
}

static void test_body_until_close(void **state)
{
    static const struct answer A[] = {{"HTTP/1.1 400 Bad Request\r\n\r\nno|thing", true}};
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, A, 1));
    request(&f->c, 5 * AGORA_SEC);
    assert_int_equal(f->c.code, 400);
    assert_string_equal(f->c.body, "nothing");
    assert_string_equal(f->c.err, "");
}

static void test_keep_alive_reuses_the_connection(void **state)
{
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, ACCEPTED, 2));
    request(&f->c, 5 * AGORA_SEC);
    request(&f->c, 5 * AGORA_SEC);
    assert_int_equal(f->c.code, 202);
    assert_int_equal(atomic_load(&f->s.accepts), 1);
}

static void test_connection_close_answer_is_not_reused(void **state)
{
    static const struct answer A[] = {
        {"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true},
        {"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", false}};
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, A, 2));
    request(&f->c, 5 * AGORA_SEC);
    request(&f->c, 5 * AGORA_SEC);
    assert_string_equal(f->c.err, "");
    assert_int_equal(atomic_load(&f->s.accepts), 2);
}

/* The server closes a kept-alive connection without saying so, and the
 * next request goes out at once (from the callback, before the loop could
 * notice the close): it is sent again on a new connection and succeeds. */
static void test_request_after_a_silent_close_is_sent_again(void **state)
{
    static const struct answer A[] = {{"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", true},
                                      {"HTTP/1.1 202 Accepted\r\nContent-Length: 3\r\n\r\nyes", false}};
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, A, 2));
    f->c.again = post(f->hostport);
    request(&f->c, 5 * AGORA_SEC);
    assert_string_equal(f->c.err, "");
    assert_string_equal(f->c.body, "yes");
    assert_int_equal(atomic_load(&f->s.accepts), 2);
}

static void test_refused_connect_names_the_address(void **state)
{
    struct fx *f = *state;
    char want[128];
    assert_true(serve_to(f, AF_INET, NULL, 0));
    srv_stop(&f->s); /* the port is free again: nothing listens */
    f->up = false;
    request(&f->c, 5 * AGORA_SEC);
    snprintf(want, sizeof want, "connect to %s: Connection refused", f->hostport);
    assert_string_equal(f->c.err, want);
    assert_int_equal(f->c.code, 0);
}

static void test_bad_status_line_names_the_server(void **state)
{
    static const struct answer A[] = {{"SSH-2.0-OpenSSH_9.2\r\n", true}};
    struct fx *f = *state;
    char want[160];
    assert_true(serve_to(f, AF_INET, A, 1));
    request(&f->c, 5 * AGORA_SEC);
    snprintf(want, sizeof want, "HTTP response from %s: bad status line \"SSH-2.0-OpenSSH_9.2\"",
             f->hostport);
    assert_string_equal(f->c.err, want);
}

static void test_silent_server_times_out(void **state)
{
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, NULL, 0));
    request(&f->c, 300 * AGORA_MS);
    assert_non_null(strstr(f->c.err, "no complete answer within"));
    assert_int_equal(atomic_load(&f->s.requests), 1);
}

static void test_name_is_resolved(void **state)
{
    struct fx *f = *state;
    char name[64];
    assert_true(serve_to(f, AF_INET, ACCEPTED, 1));
    agl_hconn_free(f->c.h);
    snprintf(name, sizeof name, "localhost:%d", f->s.port);
    cl_init(&f->c, name);
    request(&f->c, 5 * AGORA_SEC);
    assert_string_equal(f->c.err, "");
    assert_int_equal(f->c.code, 202);
}

static void test_unknown_name_is_a_resolve_error(void **state)
{
    struct fx *f = *state;
    cl_init(&f->c, "no-such-host.invalid:5050");
    request(&f->c, 5 * AGORA_SEC);
    assert_int_equal(strncmp(f->c.err, "resolve no-such-host.invalid", 28), 0);
}

static void test_ipv6_literal(void **state)
{
    struct fx *f = *state;
    if (!serve_to(f, AF_INET6, ACCEPTED, 1))
        skip(); /* no IPv6 loopback here */
    request(&f->c, 5 * AGORA_SEC);
    assert_string_equal(f->c.err, "");
    assert_int_equal(f->c.code, 202);
}

static void test_free_from_the_callback(void **state)
{
    static const struct answer A[] = {{"HTTP/1.1 307 TR\r\nLocation: //127.0.0.1:1/x\r\n"
                                       "Content-Length: 0\r\n\r\n", false}};
    struct fx *f = *state;
    assert_true(serve_to(f, AF_INET, A, 1));
    f->c.free_in_done = true;
    request(&f->c, 5 * AGORA_SEC);
    assert_null(f->c.h);
    assert_int_equal(f->c.code, 307);
    assert_string_equal(f->c.location, "//127.0.0.1:1/x");
    assert_int_equal(f->c.n, 0); /* nothing left watched */
}

static void test_bad_address_fails_at_the_next_tick(void **state)
{
    struct fx *f = *state;
    char *r = post("h:1");
    cl_init(&f->c, "10.0.0.1");
    assert_int_equal(agl_hconn_request(f->c.h, r, strlen(r), 5 * AGORA_SEC), 0);
    assert_false(f->c.done); /* never from inside agl_hconn_request */
    assert_int_equal(agl_hconn_deadline(f->c.h), 0);
    assert_true(cl_run(&f->c, 1000));
    assert_string_equal(f->c.err, "bad address \"10.0.0.1\": expected host:port");
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_answer_by_content_length),
        T(test_chunked_answer_in_pieces),
        T(test_body_until_close),
        T(test_keep_alive_reuses_the_connection),
        T(test_connection_close_answer_is_not_reused),
        T(test_request_after_a_silent_close_is_sent_again),
        T(test_refused_connect_names_the_address),
        T(test_bad_status_line_names_the_server),
        T(test_silent_server_times_out),
        T(test_name_is_resolved),
        T(test_unknown_name_is_a_resolve_error),
        T(test_ipv6_literal),
        T(test_free_from_the_callback),
        T(test_bad_address_fails_at_the_next_tick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
