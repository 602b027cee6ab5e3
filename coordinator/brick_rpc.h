/* brick_rpc.h: the native brick client. It speaks GlusterFS's RPC to one
 * brick itself, without libgfapi (docs/coordinator.md, Transport):
 *
 *   1. portmap at glusterd (host:24007): GLUSTER_PMAP_PROGRAM 34123456 v1,
 *      PORTBYBRICK(brick path) -> port; skipped when the port is given
 *   2. TCP to the brick; SETVOLUME (GLUSTER_HNDSK_PROGRAM 14398633 v2) with
 *      a serialized dict: remote-subvolume, process-uuid, fops-version,
 *      mgmt-version, client-version, opversion, username/password
 *   3. per call: IPC (GLUSTER_FOP_PROGRAM 1298437 v330 "GlusterFS 3.3",
 *      procedure GFS3_OP_IPC 47): gfs3_ipc_req { int op; opaque xdata<> }
 *      with the envelope under "agora.request" in a serialized dict; the
 *      answer gf_common_rsp { int op_ret; int op_errno; opaque xdata<> }
 *      carries the reply envelope under "agora.reply".
 *
 * Credentials AUTH_GLUSTERFS v2 (pid, uid 0, gid 0). Every step runs under
 * the caller's deadline; a failure closes the socket and the next call
 * reconnects, after a back-off of 100 ms doubling to 2 s while reconnecting
 * fails. brick_rpc_msg.c builds and parses the messages (pure, unit
 * tested); brick_rpc.c owns the socket. One thread at a time per
 * connection. */
#ifndef AGORA_BRICK_RPC_H
#define AGORA_BRICK_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_wire.h"

#define BRICK_RPC_GLUSTERD_PORT 24007
#define BRICK_RPC_PMAP_PROG 34123456u
#define BRICK_RPC_PMAP_VERS 1u
#define BRICK_RPC_PMAP_PORTBYBRICK 1u
#define BRICK_RPC_HNDSK_PROG 14398633u
#define BRICK_RPC_HNDSK_VERS 2u
#define BRICK_RPC_SETVOLUME 1u
#define BRICK_RPC_FOP_PROG 1298437u
#define BRICK_RPC_FOP_VERS 330u
#define BRICK_RPC_OP_IPC 47u
#define BRICK_RPC_REPLY_MAX ((size_t)80 << 20) /* 64 MiB request limit + room */

/* What the one-client volfile (agora_brick_volfile) says. */
struct brick_rpc_cfg {
    char host[256];
    int port; /* 0: ask glusterd's portmapper */
    char subvol[1024];
    char username[256], password[256]; /* "" when absent */
};

/* Reads the protocol/client options of a volfile's text (remote-host,
 * remote-port, remote-subvolume, username, password). 0 or -EINVAL (no
 * host or subvolume, a value too long). */
int brick_rpc_parse_volfile(const char *text, struct brick_rpc_cfg *cfg);

/* --- messages (brick_rpc_msg.c): each call builds one record into w ----- */

void brick_rpc_pmap_call(struct rpcw *w, uint32_t xid, const char *brick);
/* 0 and *port, or -errno (-ENOENT: glusterd knows no such brick). */
int brick_rpc_pmap_reply(const uint8_t *rec, size_t n, uint32_t xid, int *port);

struct brick_rpc_hello {
    const char *subvol, *process_uuid, *username, *password; /* user/pass may be NULL */
};
void brick_rpc_setvolume_call(struct rpcw *w, uint32_t xid, const struct brick_rpc_hello *h);
/* 0, or -errno from the brick (-EACCES: authentication failed) with the
 * brick's "ERROR" text in why. */
int brick_rpc_setvolume_reply(const uint8_t *rec, size_t n, uint32_t xid, char *why,
                              size_t whylen);

void brick_rpc_ipc_call(struct rpcw *w, uint32_t xid, uint32_t op, const uint8_t *req,
                        size_t len);
/* 0 for a well-formed reply to xid: *fop_rc 0 with *val, *len pointing into
 * rec (the "agora.reply" value), or *fop_rc -errno of the fop. Negative: the
 * record is no usable reply (-EBADMSG malformed or no reply key, -EPROTO,
 * -EPROTONOSUPPORT...); the connection is out of step. */
int brick_rpc_ipc_reply(const uint8_t *rec, size_t n, uint32_t xid, int *fop_rc,
                        const uint8_t **val, uint32_t *len);

/* Any of the parsers above, on a record that is not the reply to xid
 * (a server callback, a stale reply): RPCW_NOT_REPLY / RPCW_OTHER_XID,
 * positive, to be skipped. */

/* --- the connection (brick_rpc.c) --------------------------------------- */

struct brick_rpc;

/* A connection object, not yet connected. call_ms bounds every call
 * (reconnect included). */
int brick_rpc_new(const struct brick_rpc_cfg *cfg, int call_ms, struct brick_rpc **out);
/* Portmap, connect, SETVOLUME before the deadline. 0 or -errno. */
int brick_rpc_connect(struct brick_rpc *b, long long deadline_ms);
/* One IPC round trip; reconnects first if needed (and the back-off allows:
 * else -ENOTCONN at once). Reply malloc'd. */
int brick_rpc_ipc(struct brick_rpc *b, uint32_t op, const uint8_t *req, size_t len,
                  uint8_t **reply, size_t *reply_len);
/* The last failure's text ("" if none). */
const char *brick_rpc_why(const struct brick_rpc *b);
void brick_rpc_free(struct brick_rpc *b);

#endif
