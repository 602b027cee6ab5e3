/* brick_rpc_msg.c: the native brick client's messages (brick_rpc.h):
 * PORTBYBRICK, SETVOLUME and the IPC fop, built and parsed. Pure functions
 * over buffers; replies are hostile input and every length is checked
 * (rpc_wire.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brick_rpc.h"

#define IPC_REQUEST_KEY "agora.request"
#define IPC_REPLY_KEY "agora.reply"
#define GD_OP_VERSION_MAX "100000" /* GlusterFS 10 */

/* The credential every brick call carries. */
static void call_head(struct rpcw *w, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc)
{
    uint8_t cred[20];
    size_t n = rpcw_auth_glusterfs_v2(cred, (int32_t)getpid(), 0, 0);
    rpcw_call(w, xid, prog, vers, proc, RPCW_AUTH_GLUSTERFS_V2, cred, n);
}

void brick_rpc_pmap_call(struct rpcw *w, uint32_t xid, const char *brick)
{
    call_head(w, xid, BRICK_RPC_PMAP_PROG, BRICK_RPC_PMAP_VERS, BRICK_RPC_PMAP_PORTBYBRICK);
    rpcw_string(w, brick);
    rpcw_end_record(w);
}

int brick_rpc_pmap_reply(const uint8_t *rec, size_t n, uint32_t xid, int *port)
{
    struct rpcr r;
    int rc = rpcw_parse_reply(rec, n, xid, &r);
    if (rc != RPCW_REPLY_OK)
        return rc;
    int32_t op_ret = (int32_t)rpcr_u32(&r);
    rpcr_u32(&r); /* op_errno */
    rpcr_u32(&r); /* status */
    int32_t p = (int32_t)rpcr_u32(&r);
    if (r.err != 0)
        return -EBADMSG;
    if (op_ret < 0)
        return -ENOENT; /* no such brick, or not started */
    if (p <= 0 || p > 65535)
        return -EBADMSG;
    *port = p;
    return 0;
}

void brick_rpc_setvolume_call(struct rpcw *w, uint32_t xid, const struct brick_rpc_hello *h)
{
    char num[16];
    call_head(w, xid, BRICK_RPC_HNDSK_PROG, BRICK_RPC_HNDSK_VERS, BRICK_RPC_SETVOLUME);
    size_t len_at = w->len; /* gf_setvolume_req { opaque dict<> } */
    rpcw_u32(w, 0);
    struct gfdict_w d;
    gfdict_begin(&d, w);
    gfdict_str(&d, "remote-subvolume", h->subvol);
    gfdict_str(&d, "process-uuid", h->process_uuid);
    gfdict_str(&d, "process-name", "agora");
    snprintf(num, sizeof(num), "%u", BRICK_RPC_FOP_PROG);
    gfdict_str(&d, "fops-version", num);
    snprintf(num, sizeof(num), "%u", BRICK_RPC_HNDSK_PROG);
    gfdict_str(&d, "mgmt-version", num);
    gfdict_str(&d, "client-version", "agora-native");
    gfdict_str(&d, "opversion", GD_OP_VERSION_MAX);
    if (h->username != NULL && h->password != NULL && h->username[0] != 0) {
        gfdict_str(&d, "username", h->username);
        gfdict_str(&d, "password", h->password);
    }
    gfdict_end(&d);
    if (w->err != 0)
        return;
    size_t dl = w->len - len_at - 4;
    static const uint8_t zero[4];
    rpcw_bytes(w, zero, (4 - dl % 4) % 4);
    if (w->err == 0) {
        w->p[len_at] = (uint8_t)(dl >> 24);
        w->p[len_at + 1] = (uint8_t)(dl >> 16);
        w->p[len_at + 2] = (uint8_t)(dl >> 8);
        w->p[len_at + 3] = (uint8_t)dl;
    }
    rpcw_end_record(w);
}

/* The "ERROR" text of a reply dict, printable, into why. */
static void reply_error(const uint8_t *d, uint32_t dl, char *why, size_t whylen)
{
    const uint8_t *v;
    uint32_t vl;
    if (whylen == 0)
        return;
    why[0] = 0;
    if (gfdict_find(d, dl, "ERROR", &v, &vl) != 0)
        return;
    size_t i = 0;
    for (; i < vl && i + 1 < whylen && v[i] != 0; i++)
        why[i] = v[i] >= 32 && v[i] < 127 ? (char)v[i] : '?';
    why[i] = 0;
}

/* The head every fop-style reply shares: the RPC reply, then op_ret,
 * op_errno and the xdata opaque. Returns RPCW_REPLY_OK, another
 * rpcw_parse_reply result or -EBADMSG; *fop_rc is 0 or -errno. */
static int fop_reply(const uint8_t *rec, size_t n, uint32_t xid, int *fop_rc,
                     const uint8_t **d, uint32_t *dl)
{
    struct rpcr r;
    int rc = rpcw_parse_reply(rec, n, xid, &r);
    if (rc != RPCW_REPLY_OK)
        return rc;
    int32_t op_ret = (int32_t)rpcr_u32(&r), op_errno = (int32_t)rpcr_u32(&r);
    *d = rpcr_opaque(&r, dl, (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n));
    if (r.err != 0)
        return -EBADMSG;
    *fop_rc = op_ret >= 0 ? 0 : op_errno > 0 && op_errno < 4096 ? -op_errno : -EIO;
    return RPCW_REPLY_OK;
}

int brick_rpc_setvolume_reply(const uint8_t *rec, size_t n, uint32_t xid, char *why,
                              size_t whylen)
{
    if (whylen > 0)
        why[0] = 0;
    const uint8_t *d;
    uint32_t dl;
    int fop_rc;
    int rc = fop_reply(rec, n, xid, &fop_rc, &d, &dl);
    if (rc != RPCW_REPLY_OK)
        return rc;
    reply_error(d, dl, why, whylen);
    return fop_rc;
}

void brick_rpc_ipc_call(struct rpcw *w, uint32_t xid, uint32_t op, const uint8_t *req,
                        size_t len)
{
    if (len > UINT32_MAX - 64) {
        w->err = w->err ? w->err : -EMSGSIZE;
        return;
    }
    call_head(w, xid, BRICK_RPC_FOP_PROG, BRICK_RPC_FOP_VERS, BRICK_RPC_OP_IPC);
    rpcw_u32(w, op);
    /* opaque xdata<>: the serialized dict's length is known up front */
    size_t klen = strlen(IPC_REQUEST_KEY);
    size_t dl = 4 + 8 + klen + 1 + len;
    rpcw_u32(w, (uint32_t)dl);
    struct gfdict_w d;
    gfdict_begin(&d, w);
    gfdict_bin(&d, IPC_REQUEST_KEY, req, len);
    gfdict_end(&d);
    static const uint8_t zero[4];
    rpcw_bytes(w, zero, (4 - dl % 4) % 4);
    rpcw_end_record(w);
}

int brick_rpc_ipc_reply(const uint8_t *rec, size_t n, uint32_t xid, int *fop_rc,
                        const uint8_t **val, uint32_t *len)
{
    const uint8_t *d;
    uint32_t dl;
    *fop_rc = 0;
    int rc = fop_reply(rec, n, xid, fop_rc, &d, &dl);
    if (rc != RPCW_REPLY_OK)
        return rc;
    if (*fop_rc == 0 && (dl == 0 || gfdict_find(d, dl, IPC_REPLY_KEY, val, len) != 0 || *len == 0))
        return -EBADMSG;
    return 0;
}
