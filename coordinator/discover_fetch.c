/* discover_fetch.c: fetching a volume's client volfile from glusterd
 * (discover.h): one GETSPEC call of glusterd's handshake program, the call
 * every GlusterFS client makes first, spoken here directly over TCP
 * (ONC RPC with record marking, XDR, AUTH_NULL), under a deadline.
 *
 * Why not libgfapi: glfs_get_volfile() waits until glfs_init() has brought
 * the whole volume up, so one hung brick holds it for the volume's
 * network.ping-timeout (42 s by default), and glfs_fini() takes ~11 s
 * (gluster-xlator-notes.md, Q4). GETSPEC needs glusterd alone.
 *
 * Wire (rpc/xdr/src/glusterfs3-xdr.x, rpc/rpc-lib/src/protocol-common.h):
 *   program GLUSTER_HNDSK_PROGRAM 14398633, version 2, procedure GETSPEC 2
 *   gf_getspec_req { u32 flags; string key<>; opaque xdata<>; }
 *     (xdata: the client's min-op-version and max-op-version, see below)
 *   gf_getspec_rsp { i32 op_ret; i32 op_errno; string spec<>; opaque xdata<>; }
 * glusterd answers a client on one of its own addresses (or a peer) with the
 * "trusted" volfile, which carries the bricks' username and password. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "discover.h"

#define GLUSTERD_PORT "24007"
#define HNDSK_PROGRAM 14398633u
#define HNDSK_VERSION 2u
#define HNDSK_GETSPEC 2u
#define LAST_FRAGMENT 0x80000000u
#define GLUSTER_OP_VERSION_MAX "100000" /* GD_OP_VERSION_10_0 */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* xdata: a serialized GlusterFS dict (dict_serialize: u32 count, then per
 * pair u32 key length, u32 value length, key, NUL, value) holding the
 * client's op-version range, which glusterd demands (EOPNOTSUPP without).
 * Integers travel as decimal text with a NUL. */
static size_t put_pair(uint8_t *p, const char *k, const char *v)
{
    size_t kl = strlen(k), vl = strlen(v) + 1, n = 0;
    n += put32(p + n, (uint32_t)kl);
    n += put32(p + n, (uint32_t)vl);
    memcpy(p + n, k, kl + 1);
    n += kl + 1;
    memcpy(p + n, v, vl);
    return n + vl;
}

static size_t build_xdata(uint8_t *p)
{
    size_t n = put32(p, 2);
    n += put_pair(p + n, "min-op-version", "1");
    n += put_pair(p + n, "max-op-version", GLUSTER_OP_VERSION_MAX);
    return n;
}

/* The CALL message with its record mark; returns its length. */
static size_t build_call(uint8_t *buf, const char *volume, uint32_t xid)
{
    size_t klen = strlen(volume), n = 4;
    const uint32_t head[] = {xid, 0 /* CALL */, 2 /* RPC v2 */, HNDSK_PROGRAM, HNDSK_VERSION,
                             HNDSK_GETSPEC, 0, 0 /* cred AUTH_NULL */, 0, 0 /* verf */,
                             0 /* flags */, (uint32_t)klen};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        n += put32(buf + n, head[i]);
    memcpy(buf + n, volume, klen);
    n += klen;
    while (n % 4 != 0)
        buf[n++] = 0;
    uint8_t xd[128];
    size_t xl = build_xdata(xd);
    n += put32(buf + n, (uint32_t)xl);
    memcpy(buf + n, xd, xl);
    n += xl;
    while (n % 4 != 0)
        buf[n++] = 0;
    put32(buf, LAST_FRAGMENT | (uint32_t)(n - 4));
    return n;
}

/* Waits for fd to be ready for `events` until the deadline. */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    long long left = deadline - now_ms();
    if (left <= 0)
        return -ETIMEDOUT;
    int rc = poll(&p, 1, (int)left);
    return rc > 0 ? 0 : rc == 0 ? -ETIMEDOUT : -errno;
}

static int connect_to(const char *server, long long deadline, int *out)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(server, GLUSTERD_PORT, &hints, &ai);
    if (rc != 0)
        return -EHOSTUNREACH;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    rc = fd < 0 ? -errno : 0;
    if (rc == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        rc = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, deadline) : -errno;
    freeaddrinfo(ai);
    int err = 0;
    socklen_t el = sizeof(err);
    if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0)
        rc = -err;
    if (rc != 0 && fd >= 0)
        close(fd);
    *out = fd;
    return rc;
}

static int io_all(int fd, uint8_t *p, size_t n, bool writing, long long deadline)
{
    while (n > 0) {
        int rc = wait_fd(fd, writing ? POLLOUT : POLLIN, deadline);
        if (rc != 0)
            return rc;
        ssize_t r = writing ? write(fd, p, n) : read(fd, p, n);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return r == 0 ? -ECONNRESET : -errno;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one record (all its fragments) into a malloc'd buffer. */
static int read_record(int fd, long long deadline, uint8_t **out, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    for (;;) {
        uint8_t mark[4];
        int rc = io_all(fd, mark, 4, false, deadline);
        uint32_t flen = get32(mark) & ~LAST_FRAGMENT;
        uint8_t *nb = rc == 0 && n + flen <= AGD_VOLFILE_MAX * 2 ? realloc(buf, n + flen + 1)
                                                                  : NULL;
        if (nb == NULL) {
            free(buf);
            return rc != 0 ? rc : -EMSGSIZE;
        }
        buf = nb;
        if ((rc = io_all(fd, buf + n, flen, false, deadline)) != 0) {
            free(buf);
            return rc;
        }
        n += flen;
        if (get32(mark) & LAST_FRAGMENT)
            break;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Checks the REPLY and takes gf_getspec_rsp.spec out of it. */
static int parse_reply(const uint8_t *p, size_t n, uint32_t xid, char **spec, char *err,
                       size_t errlen)
{
    if (n < 24 || get32(p) != xid || get32(p + 4) != 1 || get32(p + 8) != 0) {
        snprintf(err, errlen, "glusterd refused the call (not an accepted RPC reply)");
        return -1;
    }
    /* xid, REPLY, MSG_ACCEPTED, verifier (flavor, length, body), accept_stat */
    size_t off = 20 + ((get32(p + 16) + 3) & ~3u);
    if (off + 16 > n || get32(p + off) != 0) {
        snprintf(err, errlen, "glusterd did not run GETSPEC (accept status %u)",
                 off + 4 <= n ? get32(p + off) : 0);
        return -1;
    }
    int32_t op_ret = (int32_t)get32(p + off + 4), op_errno = (int32_t)get32(p + off + 8);
    uint32_t slen = get32(p + off + 12);
    if (op_ret < 0 || slen == 0 || off + 16 + slen > n) {
        snprintf(err, errlen, "glusterd has no volfile for it (%s)",
                 op_ret < 0 ? strerror(op_errno) : "empty answer");
        return -1;
    }
    *spec = strndup((const char *)p + off + 16, slen);
    if (*spec == NULL)
        snprintf(err, errlen, "out of memory");
    return *spec != NULL ? 0 : -1;
}

static int fetch_one(const char *server, const char *volume, int timeout_ms, char **out,
                     char *err, size_t errlen)
{
    long long deadline = now_ms() + timeout_ms;
    uint8_t call[64 + 256 + 8 + 128], *rec = NULL;
    size_t rlen = 0;
    uint32_t xid = (uint32_t)now_ms() | 1u;
    int fd, rc = connect_to(server, deadline, &fd);
    if (rc == 0) {
        size_t n = build_call(call, volume, xid);
        rc = io_all(fd, call, n, true, deadline);
        if (rc == 0)
            rc = read_record(fd, deadline, &rec, &rlen);
        close(fd);
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s:%s: %s", server, GLUSTERD_PORT,
                 rc == -ETIMEDOUT ? "no answer in time" : strerror(-rc));
        return -1;
    }
    char why[256];
    rc = parse_reply(rec, rlen, xid, out, why, sizeof(why));
    free(rec);
    if (rc != 0)
        snprintf(err, errlen, "%s: volume %s: %s", server, volume, why);
    return rc;
}

int agd_volfile_fetch(char *const *servers, size_t n, const char *volume, int timeout_ms,
                      const char *logfile, char **out, char *err, size_t errlen)
{
    (void)logfile;
    *out = NULL;
    snprintf(err, errlen, "no volfile server given");
    if (strlen(volume) > 255) {
        snprintf(err, errlen, "volume name longer than 255 bytes");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (fetch_one(servers[i], volume, timeout_ms, out, err, errlen) == 0)
            return 0;
    }
    return -1;
}
