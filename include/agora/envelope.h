/* envelope.h: the authenticated envelope around every control request a
 * coordinator sends to a brick, and around every reply (DESIGN.md,
 * Security; byte layout in docs/wire-format.md). Pure: this module lays out
 * and checks the bytes; the MAC itself (HMAC-SHA256 under the cluster key)
 * is computed by lib/auth.c, outside the core.
 *
 * Layout, little-endian:
 *
 *   offset  0  u32  magic 0x31474741 ("AGG1" read as bytes 'A' 'G' 'G' '1')
 *   offset  4  u8   kind (enum agora_env_kind)
 *   offset  5  u8   flags (0)
 *   offset  6  u16  reserved (0)
 *   offset  8  u32  sender: node id of the coordinator, 0 for a brick's reply
 *   offset 12  u64  tag: sender incarnation (replies echo the request's)
 *   offset 20  u64  seq: per-sender sequence number (replies echo it)
 *   offset 28  u32  N = body length
 *   offset 32  N    body (kind PAXOS: agora_msg_encode bytes;
 *                         kind CONTROL: agora_ctl_encode bytes;
 *                         kind PAXOS_GROUP: str group name, then
 *                         agora_msg_encode bytes to the end)
 *   offset 32+N 32  MAC = HMAC-SHA256(key, bytes [0, 32+N))
 *
 * A request is fresh when (tag, seq) is above the highest pair the brick has
 * seen from that sender, compared lexicographically. */
#ifndef AGORA_ENVELOPE_H
#define AGORA_ENVELOPE_H

#include "agora/common.h"

#define AGORA_ENV_MAGIC 0x31474741u
#define AGORA_ENV_HDR 32u
#define AGORA_ENV_MAC 32u
#define AGORA_ENV_OVERHEAD (AGORA_ENV_HDR + AGORA_ENV_MAC)

enum agora_env_kind {
    AGORA_ENV_PAXOS = 1,   /* body: struct agora_msg (msg.h) */
    AGORA_ENV_CONTROL = 2, /* body: struct agora_ctl (control.h) */
    AGORA_ENV_PAXOS_GROUP = 3, /* body: str name, then struct agora_msg: a
                                  named lease's own Paxos group (agoractl
                                  elect); replies echo the name */
};

/* A group name: 1..AGORA_GROUP_NAME_MAX bytes of [A-Za-z0-9_.-], not
 * starting with '.' (it names a file on the bricks). */
#define AGORA_GROUP_NAME_MAX 64
bool agora_group_name_ok(const char *name, size_t len);

/* Body of a PAXOS_GROUP envelope: appends `str name` then msg to out.
 * AGORA_EINVAL for a bad name. */
int agora_env_group_wrap(const char *name, const uint8_t *msg, size_t len,
                         struct agora_buf *out);

/* Splits such a body: name (NUL-terminated) into name[AGORA_GROUP_NAME_MAX
 * + 1], *msg and *msg_len the message (pointing into body). AGORA_EINVAL for a
 * short body or a bad name. */
int agora_env_group_split(const uint8_t *body, size_t len, char *name, const uint8_t **msg,
                          size_t *msg_len);

struct agora_env {
    uint8_t kind;
    uint32_t sender;
    uint64_t tag;
    uint64_t seq;
    const uint8_t *body;   /* decode: points into the input */
    uint32_t body_len;
    const uint8_t *mac;    /* decode: points into the input (AGORA_ENV_MAC bytes) */
    size_t signed_len;     /* decode: bytes covered by the MAC (AGORA_ENV_HDR + body_len) */
};

/* Appends header and body to out; the caller then appends the MAC of
 * out->data[start .. out->len), where start is out->len before the call. */
int agora_env_encode(const struct agora_env *e, struct agora_buf *out);

/* Splits an envelope. AGORA_EINVAL for a wrong magic, kind, flags, length or
 * trailing bytes; AGORA_ETOOBIG if the body exceeds max_body (0: no limit). */
int agora_env_decode(const uint8_t *p, size_t len, uint32_t max_body, struct agora_env *e);

/* (tag, seq) ordering: <0, 0, >0. */
int agora_env_cmp_seq(uint64_t tag_a, uint64_t seq_a, uint64_t tag_b, uint64_t seq_b);

#endif
