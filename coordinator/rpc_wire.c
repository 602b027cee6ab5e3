/* rpc_wire.c: ONC RPC / XDR encoding and decoding, GlusterFS's serialized
 * dict (rpc_wire.h). Pure functions over buffers; the socket side is
 * rpc_sock.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_wire.h"

#define RPCW_MAX_BUF (64u << 20)  /* no message we build is near this */
#define GFDICT_MAX_COUNT (1u << 16) /* dict_unserialize's sanity bound */

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void rpcw_init(struct rpcw *w)
{
    memset(w, 0, sizeof(*w));
}

void rpcw_free(struct rpcw *w)
{
    free(w->p);
    rpcw_init(w);
}

/* Room for n more bytes; false (and w->err) if there is none. */
static bool reserve(struct rpcw *w, size_t n)
{
    if (w->err != 0)
        return false;
    if (n > RPCW_MAX_BUF - w->len) {
        w->err = -EMSGSIZE;
        return false;
    }
    if (w->len + n <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n)
        cap *= 2;
    uint8_t *p = realloc(w->p, cap);
    if (p == NULL) {
        w->err = -ENOMEM;
        return false;
    }
    w->p = p;
    w->cap = cap;
    return true;
}

void rpcw_u32(struct rpcw *w, uint32_t v)
{
    if (reserve(w, 4)) {
        set32(w->p + w->len, v);
        w->len += 4;
    }
}

void rpcw_bytes(struct rpcw *w, const void *p, size_t n)
{
    if (n > 0 && reserve(w, n)) {
        memcpy(w->p + w->len, p, n);
        w->len += n;
    }
}

void rpcw_opaque(struct rpcw *w, const void *p, size_t n)
{
    static const uint8_t zero[4];
    if (n > UINT32_MAX) {
        w->err = w->err ? w->err : -EMSGSIZE;
        return;
    }
    rpcw_u32(w, (uint32_t)n);
    rpcw_bytes(w, p, n);
    rpcw_bytes(w, zero, (4 - n % 4) % 4);
}

void rpcw_string(struct rpcw *w, const char *s)
{
    rpcw_opaque(w, s, strlen(s));
}

void rpcw_call(struct rpcw *w, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
               uint32_t cred_flavor, const void *cred, size_t cred_len)
{
    const uint32_t head[] = {0 /* record mark */, xid, 0 /* CALL */, 2 /* RPC version */,
                             prog, vers, proc, cred_flavor};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        rpcw_u32(w, head[i]);
    rpcw_opaque(w, cred, cred_len);
    rpcw_u32(w, RPCW_AUTH_NULL); /* verifier */
    rpcw_u32(w, 0);
}

int rpcw_end_record(struct rpcw *w)
{
    if (w->err == 0 && w->len < 4)
        w->err = -EINVAL;
    if (w->err == 0)
        set32(w->p, RPCW_LAST_FRAGMENT | (uint32_t)(w->len - 4));
    return w->err;
}

size_t rpcw_auth_glusterfs_v2(uint8_t *buf, int32_t pid, uint32_t uid, uint32_t gid)
{
    set32(buf, (uint32_t)pid);
    set32(buf + 4, uid);
    set32(buf + 8, gid);
    set32(buf + 12, 0); /* groups<> */
    set32(buf + 16, 0); /* lk_owner<> */
    return 20;
}

/* --- serialized dict ------------------------------------------------------ */

void gfdict_begin(struct gfdict_w *d, struct rpcw *w)
{
    d->w = w;
    d->count = 0;
    d->count_at = w->len;
    rpcw_u32(w, 0);
}

void gfdict_bin(struct gfdict_w *d, const char *key, const void *val, size_t len)
{
    size_t kl = strlen(key);
    if (len > UINT32_MAX || kl > UINT32_MAX) {
        d->w->err = d->w->err ? d->w->err : -EMSGSIZE;
        return;
    }
    rpcw_u32(d->w, (uint32_t)kl);
    rpcw_u32(d->w, (uint32_t)len);
    rpcw_bytes(d->w, key, kl + 1);
    rpcw_bytes(d->w, val, len);
    d->count++;
}

void gfdict_str(struct gfdict_w *d, const char *key, const char *val)
{
    gfdict_bin(d, key, val, strlen(val) + 1);
}

void gfdict_end(struct gfdict_w *d)
{
    if (d->w->err == 0)
        set32(d->w->p + d->count_at, d->count);
}

int gfdict_find(const uint8_t *p, size_t n, const char *key, const uint8_t **val,
                uint32_t *len)
{
    if (n < 4)
        return -EBADMSG;
    uint32_t count = get32(p);
    size_t off = 4, want = strlen(key);
    if (count > GFDICT_MAX_COUNT)
        return -EBADMSG;
    for (uint32_t i = 0; i < count; i++) {
        if (n - off < 8)
            return -EBADMSG;
        uint32_t kl = get32(p + off), vl = get32(p + off + 4);
        off += 8;
        /* key, its NUL, the value: each bound checked against what is left */
        if (kl >= n - off || p[off + kl] != 0 || vl > n - off - kl - 1)
            return -EBADMSG;
        const uint8_t *k = p + off;
        off += (size_t)kl + 1;
        if (kl == want && memcmp(k, key, kl) == 0) {
            *val = p + off;
            *len = vl;
            return 0;
        }
        off += vl;
    }
    return -ENOENT;
}

/* --- decoding ----------------------------------------------------------------- */

void rpcr_init(struct rpcr *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = 0;
}

uint32_t rpcr_u32(struct rpcr *r)
{
    if (r->err != 0 || r->len - r->off < 4) {
        r->err = -EBADMSG;
        return 0;
    }
    uint32_t v = get32(r->p + r->off);
    r->off += 4;
    return v;
}

const uint8_t *rpcr_opaque(struct rpcr *r, uint32_t *n, uint32_t max)
{
    uint32_t len = rpcr_u32(r);
    size_t padded = ((size_t)len + 3) & ~(size_t)3;
    *n = 0;
    if (r->err != 0 || len > max || padded > r->len - r->off) {
        r->err = -EBADMSG;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += padded;
    *n = len;
    return p;
}

/* reply_body: MSG_ACCEPTED, verifier, accept_stat [, mismatch info] */
static int accepted(struct rpcr *r)
{
    uint32_t vl;
    rpcr_u32(r); /* verifier flavor */
    rpcr_opaque(r, &vl, 400);
    uint32_t stat = rpcr_u32(r);
    if (r->err != 0)
        return -EPROTO;
    switch (stat) {
    case 0: return RPCW_REPLY_OK;
    case 1: /* PROG_UNAVAIL */
    case 2: return -EPROTONOSUPPORT; /* PROG_MISMATCH */
    case 3: return -EOPNOTSUPP;      /* PROC_UNAVAIL */
    case 4:                          /* GARBAGE_ARGS */
    case 5: return -EBADMSG;         /* SYSTEM_ERR */
    default: return -EPROTO;
    }
}

int rpcw_parse_reply(const uint8_t *rec, size_t n, uint32_t xid, struct rpcr *body)
{
    rpcr_init(body, rec, n);
    uint32_t x = rpcr_u32(body), type = rpcr_u32(body);
    if (body->err != 0)
        return -EPROTO;
    if (type == 0)
        return RPCW_NOT_REPLY;
    if (type != 1)
        return -EPROTO;
    if (x != xid)
        return RPCW_OTHER_XID;
    uint32_t rstat = rpcr_u32(body);
    if (body->err != 0 || rstat != 0) /* MSG_DENIED: RPC_MISMATCH or AUTH_ERROR */
        return -EPROTO;
    return accepted(body);
}
