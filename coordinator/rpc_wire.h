/* rpc_wire.h: the ONC RPC pieces GlusterFS speaks on TCP (RFC 5531 with
 * record marking, XDR), as used by discover_fetch.c (GETSPEC at glusterd)
 * and brick_rpc.c (portmap, SETVOLUME, the IPC fop), plus GlusterFS's
 * serialized dict. Encoding into a growing buffer, decoding from a bounded
 * one (every length checked: the input comes from the network), and
 * blocking socket I/O under a monotonic deadline. No global state. */
#ifndef AGORA_RPC_WIRE_H
#define AGORA_RPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPCW_LAST_FRAGMENT 0x80000000u
#define RPCW_AUTH_NULL 0u
#define RPCW_AUTH_GLUSTERFS_V2 390039u /* rpc-lib auth-glusterfs.c */

/* --- encoding ------------------------------------------------------------ */

struct rpcw {
    uint8_t *p;
    size_t len, cap;
    int err; /* sticky: -ENOMEM or -EMSGSIZE */
};

void rpcw_init(struct rpcw *w);
void rpcw_free(struct rpcw *w);
void rpcw_u32(struct rpcw *w, uint32_t v);
void rpcw_bytes(struct rpcw *w, const void *p, size_t n); /* raw, no pad */
/* XDR opaque<>, string<>: length, bytes, zero padding to 4. */
void rpcw_opaque(struct rpcw *w, const void *p, size_t n);
void rpcw_string(struct rpcw *w, const char *s);

/* Starts a record: the record mark (filled in by rpcw_end_record) and a
 * CALL header with the credential (flavor, body) and an AUTH_NULL
 * verifier. */
void rpcw_call(struct rpcw *w, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc,
               uint32_t cred_flavor, const void *cred, size_t cred_len);
/* Fills in the record mark (one last fragment); returns w->err or 0. */
int rpcw_end_record(struct rpcw *w);

/* The AUTH_GLUSTERFS v2 credential (auth_glusterfs_parms_v2: pid, uid,
 * gid, no groups, no lock owner) into buf (>= 20 bytes); returns its
 * length. */
size_t rpcw_auth_glusterfs_v2(uint8_t *buf, int32_t pid, uint32_t uid, uint32_t gid);

/* GlusterFS's serialized dict (dict_serialize, libglusterfs dict.c):
 *   u32 count, then per pair u32 key length (no NUL), u32 value length,
 *   the key with a NUL, the value.
 * All big-endian. Strings travel with their NUL (dict_set_str); integers
 * as decimal text with a NUL. Build with gfdict_begin, _str/_bin per pair,
 * gfdict_end (patches the count). */
struct gfdict_w {
    struct rpcw *w;
    size_t count_at;
    uint32_t count;
};
void gfdict_begin(struct gfdict_w *d, struct rpcw *w);
void gfdict_str(struct gfdict_w *d, const char *key, const char *val);
void gfdict_bin(struct gfdict_w *d, const char *key, const void *val, size_t len);
void gfdict_end(struct gfdict_w *d);

/* Finds key in a serialized dict of n bytes: 0 with *val, *len pointing
 * into it, -ENOENT, or -EBADMSG if the dict is malformed (a length running
 * past the end, a key without its NUL, an absurd count). */
int gfdict_find(const uint8_t *p, size_t n, const char *key, const uint8_t **val,
                uint32_t *len);

/* --- decoding ------------------------------------------------------------ */

struct rpcr {
    const uint8_t *p;
    size_t len, off;
    int err; /* sticky -EBADMSG once anything ran past the end */
};

void rpcr_init(struct rpcr *r, const uint8_t *p, size_t len);
uint32_t rpcr_u32(struct rpcr *r);
/* opaque<> of at most max bytes; NULL (and r->err) if longer or past the
 * end. *n receives the length. An empty opaque returns a non-NULL pointer. */
const uint8_t *rpcr_opaque(struct rpcr *r, uint32_t *n, uint32_t max);

/* What a record is. RPCW_REPLY_OK: an accepted, successful reply to xid,
 * *body set to its results. Otherwise the record is a CALL from the peer
 * (RPCW_NOT_REPLY: GlusterFS servers send callbacks), a reply to another
 * xid (RPCW_OTHER_XID), or a refusal: -EPROTO (malformed, denied: RPC
 * version or auth), -EPROTONOSUPPORT (program or version unavailable),
 * -EOPNOTSUPP (procedure unavailable), -EBADMSG (garbage args / system
 * error). */
#define RPCW_REPLY_OK 0
#define RPCW_NOT_REPLY 1
#define RPCW_OTHER_XID 2
int rpcw_parse_reply(const uint8_t *rec, size_t n, uint32_t xid, struct rpcr *body);

/* --- socket I/O under a deadline (CLOCK_MONOTONIC, ms) ------------------ */

long long rpcw_now_ms(void);
/* Non-blocking TCP connect to host:port (TCP_NODELAY, close-on-exec).
 * 0 and *fd, or -errno (-ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH...). */
int rpcw_connect(const char *host, int port, long long deadline, int *fd);
int rpcw_send(int fd, const uint8_t *p, size_t n, long long deadline);
/* One record (all its fragments), at most max bytes: malloc'd into *out.
 * -EMSGSIZE past max, -ECONNRESET at EOF, -ETIMEDOUT. */
int rpcw_read_record(int fd, long long deadline, size_t max, uint8_t **out, size_t *len);

#endif
