/* discover_fetch.c: fetching a volume's client volfile from glusterd
 * (discover.h): one GETSPEC call of glusterd's handshake program, the call
 * every GlusterFS client makes first, spoken here directly over TCP
 * (ONC RPC with record marking, XDR, AUTH_NULL: rpc_wire.h, shared with the
 * native brick client), under a deadline.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover.h"
#include "rpc_wire.h"

#define GLUSTERD_PORT 24007
#define HNDSK_PROGRAM 14398633u
#define HNDSK_VERSION 2u
#define HNDSK_GETSPEC 2u
#define GLUSTER_OP_VERSION_MAX "100000" /* GD_OP_VERSION_10_0 */

/* The CALL record (rpc_wire.h). xdata: a serialized GlusterFS dict holding
 * the client's op-version range, which glusterd demands (EOPNOTSUPP
 * without). */
static int build_call(struct rpcw *w, const char *volume, uint32_t xid)
{
    rpcw_call(w, xid, HNDSK_PROGRAM, HNDSK_VERSION, HNDSK_GETSPEC, RPCW_AUTH_NULL, NULL, 0);
    rpcw_u32(w, 0); /* flags */
    rpcw_string(w, volume);
    struct rpcw xd;
    struct gfdict_w d;
    rpcw_init(&xd);
    gfdict_begin(&d, &xd);
    gfdict_str(&d, "min-op-version", "1");
    gfdict_str(&d, "max-op-version", GLUSTER_OP_VERSION_MAX);
    gfdict_end(&d);
    rpcw_opaque(w, xd.p, xd.len);
    int rc = xd.err;
    rpcw_free(&xd);
    return rc != 0 ? rc : rpcw_end_record(w);
}

/* Checks the REPLY and takes gf_getspec_rsp.spec out of it. */
static int parse_reply(const uint8_t *p, size_t n, uint32_t xid, char **spec, char *err,
                       size_t errlen)
{
    struct rpcr r;
    int rc = rpcw_parse_reply(p, n, xid, &r);
    if (rc != RPCW_REPLY_OK) {
        if (rc == -EPROTO || rc > 0)
            snprintf(err, errlen, "glusterd refused the call (not an accepted RPC reply)");
        else
            snprintf(err, errlen, "glusterd did not run GETSPEC (%s)", strerror(-rc));
        return -1;
    }
    int32_t op_ret = (int32_t)rpcr_u32(&r), op_errno = (int32_t)rpcr_u32(&r);
    uint32_t slen = 0;
    const uint8_t *sp = rpcr_opaque(&r, &slen, AGD_VOLFILE_MAX);
    if (op_ret < 0 || sp == NULL || slen == 0) {
        snprintf(err, errlen, "glusterd has no volfile for it (%s)",
                 op_ret < 0 ? strerror(op_errno) : sp == NULL ? "malformed answer"
                                                              : "empty answer");
        return -1;
    }
    *spec = strndup((const char *)sp, slen);
    if (*spec == NULL)
        snprintf(err, errlen, "out of memory");
    return *spec != NULL ? 0 : -1;
}

static int fetch_one(const char *server, const char *volume, int timeout_ms, char **out,
                     char *err, size_t errlen)
{
    long long deadline = rpcw_now_ms() + timeout_ms;
    uint8_t *rec = NULL;
    size_t rlen = 0;
    uint32_t xid = (uint32_t)rpcw_now_ms() | 1u;
    struct rpcw w;
    rpcw_init(&w);
    int fd = -1, rc = build_call(&w, volume, xid);
    if (rc == 0)
        rc = rpcw_connect(server, GLUSTERD_PORT, deadline, &fd);
    if (rc == 0) {
        rc = rpcw_send(fd, w.p, w.len, deadline);
        if (rc == 0)
            rc = rpcw_read_record(fd, deadline, AGD_VOLFILE_MAX * 2, &rec, &rlen);
        close(fd);
    }
    rpcw_free(&w);
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: %s", server, GLUSTERD_PORT,
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
