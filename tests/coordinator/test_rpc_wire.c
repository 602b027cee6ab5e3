/* test_rpc_wire.c: the native brick client's codec (coordinator/rpc_wire.c,
 * brick_rpc_msg.c, brick_rpc.c's volfile reader): XDR and record marking
 * as built, the serialized dict both ways, reply parsing of well-formed,
 * truncated and hostile records, and one record read from a socket pair
 * (fragments, oversize, EOF, deadline); then brick_rpc.c's connection
 * against a fake brick on loopback (SETVOLUME, IPC, a server callback
 * skipped, close) and against one that never answers (the deadline, the
 * back-off). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brick_rpc.h"
#include "rpc_wire.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void opaque_pads_and_record_mark(void **state)
{
    struct rpcw w;
    (void)state;
    rpcw_init(&w);
    rpcw_u32(&w, 0); /* room for the mark */
    rpcw_opaque(&w, "abcde", 5);
    rpcw_string(&w, "");
    assert_int_equal(rpcw_end_record(&w), 0);
    assert_int_equal(w.len, 4 + 4 + 8 + 4);
    assert_int_equal(get32(w.p), RPCW_LAST_FRAGMENT | 16);
    assert_int_equal(get32(w.p + 4), 5);
    assert_memory_equal(w.p + 8, "abcde\0\0\0", 8);
    assert_int_equal(get32(w.p + 16), 0);
    rpcw_free(&w);
}

static void call_header_layout(void **state)
{
    struct rpcw w;
    uint8_t cred[20];
    (void)state;
    rpcw_init(&w);
    size_t cl = rpcw_auth_glusterfs_v2(cred, 42, 0, 0);
    rpcw_call(&w, 7, 1298437, 330, 47, RPCW_AUTH_GLUSTERFS_V2, cred, cl);
    assert_int_equal(rpcw_end_record(&w), 0);
    const uint32_t want[] = {RPCW_LAST_FRAGMENT | (uint32_t)(w.len - 4), 7, 0, 2, 1298437,
                             330, 47, RPCW_AUTH_GLUSTERFS_V2, 20, 42, 0, 0, 0, 0, 0, 0};
    assert_int_equal(w.len, sizeof(want));
    for (size_t i = 0; i < sizeof(want) / 4; i++)
        assert_int_equal(get32(w.p + 4 * i), want[i]);
    rpcw_free(&w);
}

static void dict_round_trip(void **state)
{
    struct rpcw w;
    struct gfdict_w d;
    const uint8_t *v;
    uint32_t vl;
    (void)state;
    rpcw_init(&w);
    gfdict_begin(&d, &w);
    gfdict_str(&d, "remote-subvolume", "/bricks/b1");
    gfdict_bin(&d, "agora.request", "\0\1\2", 3);
    gfdict_end(&d);
    assert_int_equal(w.err, 0);
    assert_int_equal(get32(w.p), 2);
    /* first pair: key length without its NUL, value length with it */
    assert_int_equal(get32(w.p + 4), 16);
    assert_int_equal(get32(w.p + 8), 11);
    assert_int_equal(gfdict_find(w.p, w.len, "agora.request", &v, &vl), 0);
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "\0\1\2", 3);
    assert_int_equal(gfdict_find(w.p, w.len, "remote-subvolume", &v, &vl), 0);
    assert_string_equal((const char *)v, "/bricks/b1");
    assert_int_equal(gfdict_find(w.p, w.len, "agora", &v, &vl), -ENOENT);
    /* every truncation is refused, never read past */
    for (size_t n = 0; n < w.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, w.p, n);
        int rc = gfdict_find(copy, n, "agora.request", &v, &vl);
        assert_true(rc == -EBADMSG || rc == -ENOENT);
        free(copy);
    }
    rpcw_free(&w);
}

static void dict_hostile(void **state)
{
    const uint8_t *v;
    uint32_t vl;
    (void)state;
    /* huge count */
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 'b'};
    assert_int_equal(gfdict_find(big, sizeof(big), "a", &v, &vl), -EBADMSG);
    /* key length past the end */
    const uint8_t klong[] = {0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1, 'a', 0, 'b'};
    assert_int_equal(gfdict_find(klong, sizeof(klong), "a", &v, &vl), -EBADMSG);
    /* value length past the end (would wrap a 32-bit sum) */
    const uint8_t vlong[] = {0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 'a', 0, 'b'};
    assert_int_equal(gfdict_find(vlong, sizeof(vlong), "a", &v, &vl), -EBADMSG);
    /* key without its NUL */
    const uint8_t nonul[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'a', 'x', 'b'};
    assert_int_equal(gfdict_find(nonul, sizeof(nonul), "a", &v, &vl), -EBADMSG);
    /* empty dict */
    const uint8_t empty[] = {0, 0, 0, 0};
    assert_int_equal(gfdict_find(empty, sizeof(empty), "a", &v, &vl), -ENOENT);
    assert_int_equal(gfdict_find(empty, 3, "a", &v, &vl), -EBADMSG);
}

/* A reply record (no mark): xid, REPLY, MSG_ACCEPTED, AUTH_NULL verifier,
 * accept_stat, then the results in w. */
static void reply_head(struct rpcw *w, uint32_t xid, uint32_t accept_stat)
{
    rpcw_init(w);
    const uint32_t h[] = {xid, 1, 0, 0, 0, accept_stat};
    for (size_t i = 0; i < 6; i++)
        rpcw_u32(w, h[i]);
}

static void ipc_reply(struct rpcw *w, uint32_t xid, int32_t op_ret, int32_t op_errno,
                      const char *key, const void *val, size_t vl)
{
    struct rpcw d;
    struct gfdict_w g;
    reply_head(w, xid, 0);
    rpcw_u32(w, (uint32_t)op_ret);
    rpcw_u32(w, (uint32_t)op_errno);
    rpcw_init(&d);
    if (key != NULL) {
        gfdict_begin(&g, &d);
        gfdict_bin(&g, key, val, vl);
        gfdict_end(&g);
    }
    rpcw_opaque(w, d.p, d.len);
    rpcw_free(&d);
}

static void ipc_reply_parsing(void **state)
{
    struct rpcw w;
    const uint8_t *v;
    uint32_t vl;
    int fop;
    (void)state;
    ipc_reply(&w, 9, 0, 0, "agora.reply", "envelope", 8);
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 9, &fop, &v, &vl), 0);
    assert_int_equal(fop, 0);
    assert_int_equal(vl, 8);
    assert_memory_equal(v, "envelope", 8);
    /* another xid: skipped, not an error */
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 10, &fop, &v, &vl), RPCW_OTHER_XID);
    /* every truncation: an error, never a read past the end */
    for (size_t n = 0; n < w.len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, w.p, n);
        assert_true(brick_rpc_ipc_reply(copy, n, 9, &fop, &v, &vl) < 0);
        free(copy);
    }
    rpcw_free(&w);
    /* the fop's error */
    ipc_reply(&w, 9, -1, EACCES, NULL, NULL, 0);
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 9, &fop, &v, &vl), 0);
    assert_int_equal(fop, -EACCES);
    rpcw_free(&w);
    /* success without the reply key, or with an empty one */
    ipc_reply(&w, 9, 0, 0, "other", "x", 1);
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 9, &fop, &v, &vl), -EBADMSG);
    rpcw_free(&w);
    ipc_reply(&w, 9, 0, 0, NULL, NULL, 0);
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 9, &fop, &v, &vl), -EBADMSG);
    rpcw_free(&w);
    /* program unavailable, garbage args, denied, a CALL from the server */
    reply_head(&w, 9, 1);
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 9, &fop, &v, &vl), -EPROTONOSUPPORT);
    rpcw_free(&w);
    reply_head(&w, 9, 4);
    assert_int_equal(brick_rpc_ipc_reply(w.p, w.len, 9, &fop, &v, &vl), -EBADMSG);
    rpcw_free(&w);
    const uint8_t denied[] = {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_int_equal(brick_rpc_ipc_reply(denied, sizeof(denied), 9, &fop, &v, &vl), -EPROTO);
    const uint8_t call[] = {0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2};
    assert_int_equal(brick_rpc_ipc_reply(call, sizeof(call), 9, &fop, &v, &vl),
                     RPCW_NOT_REPLY);
    /* a verifier longer than the record */
    const uint8_t verf[] = {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0};
    assert_int_equal(brick_rpc_ipc_reply(verf, sizeof(verf), 9, &fop, &v, &vl), -EPROTO);
}

static void ipc_call_carries_request(void **state)
{
    struct rpcw w;
    const uint8_t *v;
    uint32_t vl;
    (void)state;
    rpcw_init(&w);
    brick_rpc_ipc_call(&w, 5, 0x41474f52, (const uint8_t *)"abc", 3);
    assert_int_equal(w.err, 0);
    assert_int_equal(w.len % 4, 0);
    assert_int_equal(get32(w.p), RPCW_LAST_FRAGMENT | (uint32_t)(w.len - 4));
    struct rpcr r;
    rpcr_init(&r, w.p + 4, w.len - 4);
    for (int i = 0; i < 7; i++) /* xid .. cred flavor */
        rpcr_u32(&r);
    uint32_t n;
    rpcr_opaque(&r, &n, 400); /* cred */
    rpcr_u32(&r);
    rpcr_opaque(&r, &n, 400); /* verf */
    assert_int_equal(rpcr_u32(&r), 0x41474f52);
    const uint8_t *d = rpcr_opaque(&r, &n, 1000);
    assert_non_null(d);
    assert_int_equal(r.off, r.len);
    assert_int_equal(gfdict_find(d, n, "agora.request", &v, &vl), 0);
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "abc", 3);
    rpcw_free(&w);
}

static void setvolume_and_pmap(void **state)
{
    struct rpcw w;
    char why[64];
    int port = 0;
    (void)state;
    /* SETVOLUME refused: -errno and the brick's text, cleaned */
    struct rpcw d;
    struct gfdict_w g;
    rpcw_init(&d);
    gfdict_begin(&g, &d);
    gfdict_str(&g, "ERROR", "Authentication failed\n");
    gfdict_end(&g);
    reply_head(&w, 3, 0);
    rpcw_u32(&w, (uint32_t)-1);
    rpcw_u32(&w, EACCES);
    rpcw_opaque(&w, d.p, d.len);
    assert_int_equal(brick_rpc_setvolume_reply(w.p, w.len, 3, why, sizeof(why)), -EACCES);
    assert_string_equal(why, "Authentication failed?");
    rpcw_free(&w);
    rpcw_free(&d);
    /* portmap: a port, no such brick, a port out of range */
    const uint32_t cases[][3] = {{0, 49152, 0}, {(uint32_t)-1, 0, (uint32_t)-ENOENT},
                                 {0, 70000, (uint32_t)-EBADMSG}};
    for (size_t i = 0; i < 3; i++) {
        reply_head(&w, 4, 0);
        rpcw_u32(&w, cases[i][0]);
        rpcw_u32(&w, 0);
        rpcw_u32(&w, 0);
        rpcw_u32(&w, cases[i][1]);
        assert_int_equal(brick_rpc_pmap_reply(w.p, w.len, 4, &port), (int)cases[i][2]);
        assert_int_equal(brick_rpc_pmap_reply(w.p, w.len - 1, 4, &port) < 0, 1);
        rpcw_free(&w);
    }
    assert_int_equal(port, 49152);
    /* the SETVOLUME call carries the options the server demands */
    struct brick_rpc_hello h = {.subvol = "/b", .process_uuid = "u", .username = "us",
                                .password = "pw"};
    rpcw_init(&w);
    brick_rpc_setvolume_call(&w, 1, &h);
    assert_int_equal(w.err, 0);
    assert_int_equal(w.len % 4, 0);
    rpcw_free(&w);
}

static void volfile_options(void **state)
{
    struct brick_rpc_cfg c;
    char text[1024];
    (void)state;
    snprintf(text, sizeof(text), "volume agora-brick\n    type protocol/client\n"
                                 "    option remote-host 10.0.0.1\n"
                                 "    option remote-port 49152\n"
                                 "\toption remote-subvolume agora-brick  \n"
                                 "    option username u1\n    option password p w\n"
                                 "end-volume\n");
    assert_int_equal(brick_rpc_parse_volfile(text, &c), 0);
    assert_string_equal(c.host, "10.0.0.1");
    assert_int_equal(c.port, 49152);
    assert_string_equal(c.subvol, "agora-brick");
    assert_string_equal(c.username, "u1");
    assert_string_equal(c.password, "p w");
    assert_int_equal(brick_rpc_parse_volfile("option remote-host h\n", &c), -EINVAL);
    assert_int_equal(brick_rpc_parse_volfile("option remote-host h\noption remote-subvolume s\n"
                                             "option remote-port 99999\n", &c), -EINVAL);
    char longv[400];
    memset(longv, 'x', sizeof(longv));
    snprintf(text, sizeof(text), "option remote-subvolume s\noption remote-host %.*s\n",
             (int)sizeof(longv), longv);
    assert_int_equal(brick_rpc_parse_volfile(text, &c), -EINVAL);
}

static void record_from_socket(void **state)
{
    int sv[2];
    uint8_t *rec;
    size_t n;
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    /* two fragments */
    const uint8_t two[] = {0, 0, 0, 2, 'a', 'b', 0x80, 0, 0, 1, 'c'};
    assert_int_equal(rpcw_send(sv[1], two, sizeof(two), rpcw_now_ms() + 1000), 0);
    assert_int_equal(rpcw_read_record(sv[0], rpcw_now_ms() + 1000, 100, &rec, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(rec, "abc", 3);
    free(rec);
    /* nothing comes: the deadline */
    long long t0 = rpcw_now_ms();
    assert_int_equal(rpcw_read_record(sv[0], t0 + 100, 100, &rec, &n), -ETIMEDOUT);
    assert_true(rpcw_now_ms() - t0 < 1000);
    assert_null(rec);
    /* a fragment larger than allowed */
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(rpcw_send(sv[1], big, sizeof(big), rpcw_now_ms() + 1000), 0);
    assert_int_equal(rpcw_read_record(sv[0], rpcw_now_ms() + 1000, 100, &rec, &n), -EMSGSIZE);
    /* half a record, then EOF */
    const uint8_t half[] = {0x80, 0, 0, 8, 'x'};
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(rpcw_send(sv[1], half, sizeof(half), rpcw_now_ms() + 1000), 0);
    close(sv[1]);
    assert_int_equal(rpcw_read_record(sv[0], rpcw_now_ms() + 1000, 100, &rec, &n),
                     -ECONNRESET);
    close(sv[0]);
}

static void refused_connect_is_quick(void **state)
{
    int fd;
    (void)state;
    long long t0 = rpcw_now_ms();
    /* port 1 on loopback: nothing listens there in the test environment */
    int rc = rpcw_connect("127.0.0.1", 1, t0 + 2000, &fd);
    assert_true(rc == -ECONNREFUSED || rc == -EACCES);
    assert_true(rpcw_now_ms() - t0 < 1000);
    assert_int_equal(rpcw_connect("127.0.0.1", 0, t0 + 2000, &fd), -EINVAL);
}


/* --- the connection against a fake brick on loopback ---------------------- */

static int listen_any(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Answers one connection: SETVOLUME accepted, then each IPC with the
 * request's bytes reversed, a server callback (a CALL) sent first. */
static void *fake_brick(void *arg)
{
    int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
    for (int i = 0; fd >= 0; i++) {
        uint8_t *rec;
        size_t n;
        if (rpcw_read_record(fd, rpcw_now_ms() + 5000, 1 << 20, &rec, &n) != 0)
            break;
        struct rpcr r;
        rpcr_init(&r, rec, n);
        uint32_t xid = rpcr_u32(&r), v, vl = 0;
        for (int k = 0; k < 6; k++)
            rpcr_u32(&r);
        rpcr_opaque(&r, &v, 400);
        rpcr_u32(&r);
        rpcr_opaque(&r, &v, 400);
        struct rpcw w, d;
        struct gfdict_w g;
        const uint8_t *req = NULL;
        rpcw_init(&w);
        rpcw_init(&d);
        if (i > 0) { /* IPC: op, xdata */
            rpcr_u32(&r);
            const uint8_t *x = rpcr_opaque(&r, &v, 1 << 20);
            assert_int_equal(gfdict_find(x, v, "agora.request", &req, &vl), 0);
            const uint32_t cb[] = {RPCW_LAST_FRAGMENT | 8, 77, 0};
            for (int k = 0; k < 3; k++)
                rpcw_u32(&w, cb[k]);
        }
        size_t at = w.len;
        const uint32_t h[] = {0, xid, 1, 0, 0, 0, 0, 0, 0};
        for (int k = 0; k < 9; k++)
            rpcw_u32(&w, h[k]);
        gfdict_begin(&g, &d);
        uint8_t out[64];
        for (uint32_t k = 0; k < vl && k < sizeof(out); k++)
            out[k] = req[vl - 1 - k];
        if (i == 0)
            gfdict_str(&g, "ERROR", "Success");
        else
            gfdict_bin(&g, "agora.reply", out, vl);
        gfdict_end(&g);
        rpcw_opaque(&w, d.p, d.len);
        w.p[at] = 0x80; /* record mark of the reply */
        w.p[at + 1] = (uint8_t)((w.len - at - 4) >> 16);
        w.p[at + 2] = (uint8_t)((w.len - at - 4) >> 8);
        w.p[at + 3] = (uint8_t)(w.len - at - 4);
        assert_int_equal(rpcw_send(fd, w.p, w.len, rpcw_now_ms() + 5000), 0);
        rpcw_free(&w);
        rpcw_free(&d);
        free(rec);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void calls_a_fake_brick(void **state)
{
    struct brick_rpc_cfg c = {.host = "127.0.0.1", .subvol = "/b"};
    struct brick_rpc *b;
    pthread_t t;
    uint8_t *rep;
    size_t n;
    (void)state;
    int lfd = listen_any(&c.port);
    assert_int_equal(pthread_create(&t, NULL, fake_brick, &lfd), 0);
    assert_int_equal(brick_rpc_new(&c, 2000, &b), 0);
    assert_int_equal(brick_rpc_ipc(b, 1, (const uint8_t *)"abc", 3, &rep, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(rep, "cba", 3);
    free(rep);
    assert_int_equal(brick_rpc_ipc(b, 1, (const uint8_t *)"xy", 2, &rep, &n), 0);
    assert_memory_equal(rep, "yx", 2);
    free(rep);
    long long t0 = rpcw_now_ms();
    brick_rpc_free(b); /* a close() */
    assert_true(rpcw_now_ms() - t0 < 100);
    pthread_join(t, NULL);
    close(lfd);
}

static void hung_brick_fails_by_the_deadline(void **state)
{
    struct brick_rpc_cfg c = {.host = "127.0.0.1", .subvol = "/b"};
    struct brick_rpc *b;
    uint8_t *rep;
    size_t n;
    (void)state;
    /* listening, never accepting: connect succeeds, SETVOLUME gets nothing */
    int lfd = listen_any(&c.port);
    assert_int_equal(brick_rpc_new(&c, 300, &b), 0);
    long long t0 = rpcw_now_ms();
    assert_int_equal(brick_rpc_ipc(b, 1, (const uint8_t *)"a", 1, &rep, &n), -ENOTCONN);
    long long took = rpcw_now_ms() - t0;
    assert_true(took >= 290 && took < 1500);
    assert_true(strstr(brick_rpc_why(b), "SETVOLUME") != NULL);
    /* inside the back-off: fails at once */
    t0 = rpcw_now_ms();
    assert_int_equal(brick_rpc_ipc(b, 1, (const uint8_t *)"a", 1, &rep, &n), -ENOTCONN);
    assert_true(rpcw_now_ms() - t0 < 50);
    brick_rpc_free(b);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opaque_pads_and_record_mark),
        cmocka_unit_test(call_header_layout),
        cmocka_unit_test(dict_round_trip),
        cmocka_unit_test(dict_hostile),
        cmocka_unit_test(ipc_reply_parsing),
        cmocka_unit_test(ipc_call_carries_request),
        cmocka_unit_test(setvolume_and_pmap),
        cmocka_unit_test(volfile_options),
        cmocka_unit_test(record_from_socket),
        cmocka_unit_test(refused_connect_is_quick),
        cmocka_unit_test(calls_a_fake_brick),
        cmocka_unit_test(hung_brick_fails_by_the_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
