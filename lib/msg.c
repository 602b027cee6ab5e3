/* msg.c: protocol messages between proposers and acceptors: ownership
 * helpers and the binary wire encoding. Layout (little-endian), version 1:
 *
 *   u8 version=1, u8 type, u8 reason,
 *   u32 from, u32 to, u64 tag, u64 seq,
 *   u64 ballot.round, u32 ballot.node,
 *   u64 slot, u64 count, u64 commit, u64 snap_index,
 *   u32 lease_holder, u64 lease_left,
 *   u32 n_entries, then per entry: u64 slot, u64 round, u32 node, u32 len, len bytes,
 *   u32 snap_len, snap_len bytes.
 *
 * Nothing may follow. docs/wire-format.md describes the same bytes. */
#include <string.h>

#include "agora/msg.h"

#define MSG_VERSION 1
#define ENTRY_MIN_BYTES 24u

void agora_msg_init(struct agora_msg *m)
{
    memset(m, 0, sizeof(*m));
}

void agora_msg_clear(struct agora_msg *m)
{
    for (uint32_t i = 0; i < m->n_entries; i++)
        agora_entry_clear(&m->entries[i]);
    agora_free(m->entries);
    agora_free(m->snap);
    agora_msg_init(m);
}

int agora_msg_add_entry(struct agora_msg *m, const struct agora_entry *e)
{
    struct agora_entry *ents = agora_realloc(m->entries, (m->n_entries + 1) * sizeof(*ents));
    if (ents == NULL)
        return AGORA_ENOMEM;
    m->entries = ents;
    int rc = agora_entry_copy(&ents[m->n_entries], e);
    if (rc != AGORA_OK)
        return rc;
    m->n_entries++;
    return AGORA_OK;
}

int agora_msg_set_snap(struct agora_msg *m, uint64_t index, const uint8_t *p, uint32_t len)
{
    uint8_t *copy = NULL;
    if (len > 0) {
        copy = agora_malloc(len);
        if (copy == NULL)
            return AGORA_ENOMEM;
        memcpy(copy, p, len);
    }
    agora_free(m->snap);
    m->snap = copy;
    m->snap_len = len;
    m->snap_index = index;
    return AGORA_OK;
}

int agora_msg_copy(struct agora_msg *dst, const struct agora_msg *src)
{
    *dst = *src;
    dst->entries = NULL;
    dst->n_entries = 0;
    dst->snap = NULL;
    dst->snap_len = 0;
    for (uint32_t i = 0; i < src->n_entries; i++) {
        int rc = agora_msg_add_entry(dst, &src->entries[i]);
        if (rc != AGORA_OK) {
            agora_msg_clear(dst);
            return rc;
        }
    }
    int rc = agora_msg_set_snap(dst, src->snap_index, src->snap, src->snap_len);
    if (rc != AGORA_OK)
        agora_msg_clear(dst);
    return rc;
}

const char *agora_msg_type_name(uint8_t type)
{
    static const char *const names[] = {
        "?", "PREPARE", "PROMISE", "ACCEPT", "ACCEPTED", "INSTALL",
        "REJECT", "FETCH", "FETCHED", "RELEASE", "RELEASED", "READ",
    };
    return type <= AGORA_MSG_TYPE_MAX ? names[type] : "?";
}

static int put_header(const struct agora_msg *m, struct agora_buf *o)
{
    int rc = 0;
    rc |= agora_buf_put_u8(o, MSG_VERSION);
    rc |= agora_buf_put_u8(o, m->type);
    rc |= agora_buf_put_u8(o, m->reason);
    rc |= agora_buf_put_u32(o, m->from);
    rc |= agora_buf_put_u32(o, m->to);
    rc |= agora_buf_put_u64(o, m->tag);
    rc |= agora_buf_put_u64(o, m->seq);
    rc |= agora_buf_put_u64(o, m->ballot.round);
    rc |= agora_buf_put_u32(o, m->ballot.node);
    rc |= agora_buf_put_u64(o, m->slot);
    rc |= agora_buf_put_u64(o, m->count);
    rc |= agora_buf_put_u64(o, m->commit);
    rc |= agora_buf_put_u64(o, m->snap_index);
    rc |= agora_buf_put_u32(o, m->lease_holder);
    rc |= agora_buf_put_u64(o, m->lease_left);
    return rc ? AGORA_ENOMEM : AGORA_OK;
}

int agora_msg_encode(const struct agora_msg *m, struct agora_buf *out)
{
    int rc = put_header(m, out);
    rc |= agora_buf_put_u32(out, m->n_entries);
    for (uint32_t i = 0; i < m->n_entries && rc == 0; i++) {
        const struct agora_entry *e = &m->entries[i];
        rc |= agora_buf_put_u64(out, e->slot);
        rc |= agora_buf_put_u64(out, e->ballot.round);
        rc |= agora_buf_put_u32(out, e->ballot.node);
        rc |= agora_buf_put_blob(out, e->data, e->len);
    }
    rc |= agora_buf_put_blob(out, m->snap, m->snap_len);
    return rc ? AGORA_ENOMEM : AGORA_OK;
}

static void get_header(struct agora_rd *r, struct agora_msg *m)
{
    m->type = agora_rd_u8(r);
    m->reason = agora_rd_u8(r);
    m->from = agora_rd_u32(r);
    m->to = agora_rd_u32(r);
    m->tag = agora_rd_u64(r);
    m->seq = agora_rd_u64(r);
    m->ballot.round = agora_rd_u64(r);
    m->ballot.node = agora_rd_u32(r);
    m->slot = agora_rd_u64(r);
    m->count = agora_rd_u64(r);
    m->commit = agora_rd_u64(r);
    m->snap_index = agora_rd_u64(r);
    m->lease_holder = agora_rd_u32(r);
    m->lease_left = agora_rd_u64(r);
}

static int get_entries(struct agora_rd *r, struct agora_msg *m)
{
    uint32_t n = agora_rd_u32(r);
    if (r->err || n > agora_rd_left(r) / ENTRY_MIN_BYTES)
        return AGORA_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        struct agora_entry e;
        e.slot = agora_rd_u64(r);
        e.ballot.round = agora_rd_u64(r);
        e.ballot.node = agora_rd_u32(r);
        const uint8_t *p = agora_rd_blob(r, &e.len);
        if (r->err)
            return AGORA_EINVAL;
        e.data = (uint8_t *)p;
        int rc = agora_msg_add_entry(m, &e);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

int agora_msg_decode(const uint8_t *p, size_t len, struct agora_msg *m)
{
    struct agora_rd r;
    agora_msg_init(m);
    agora_rd_init(&r, p, len);
    if (agora_rd_u8(&r) != MSG_VERSION)
        return AGORA_EINVAL;
    get_header(&r, m);
    if (r.err || m->type < 1 || m->type > AGORA_MSG_TYPE_MAX)
        return AGORA_EINVAL;
    int rc = get_entries(&r, m);
    if (rc == AGORA_OK) {
        uint32_t n;
        const uint8_t *s = agora_rd_blob(&r, &n);
        rc = r.err ? AGORA_EINVAL : agora_msg_set_snap(m, m->snap_index, s, n);
    }
    if (rc == AGORA_OK && agora_rd_left(&r) != 0)
        rc = AGORA_EINVAL;
    if (rc != AGORA_OK)
        agora_msg_clear(m);
    return rc;
}
