/* envelope.c: layout of the authenticated request/reply envelope (bytes in
 * envelope.h and docs/wire-format.md). The MAC is not computed here. */
#include "agora/envelope.h"

int agora_env_encode(const struct agora_env *e, struct agora_buf *out)
{
    if (e->kind != AGORA_ENV_PAXOS && e->kind != AGORA_ENV_CONTROL)
        return AGORA_EINVAL;
    int rc = agora_buf_reserve(out, AGORA_ENV_OVERHEAD + (size_t)e->body_len);
    if (rc != AGORA_OK)
        return rc;
    agora_buf_put_u32(out, AGORA_ENV_MAGIC);
    agora_buf_put_u8(out, e->kind);
    agora_buf_put_u8(out, 0);
    agora_buf_put_u16(out, 0);
    agora_buf_put_u32(out, e->sender);
    agora_buf_put_u64(out, e->tag);
    agora_buf_put_u64(out, e->seq);
    return agora_buf_put_blob(out, e->body, e->body_len);
}

int agora_env_decode(const uint8_t *p, size_t len, uint32_t max_body, struct agora_env *e)
{
    struct agora_rd r;
    agora_rd_init(&r, p, len);
    uint32_t magic = agora_rd_u32(&r);
    e->kind = agora_rd_u8(&r);
    uint8_t flags = agora_rd_u8(&r);
    uint16_t reserved = agora_rd_u16(&r);
    e->sender = agora_rd_u32(&r);
    e->tag = agora_rd_u64(&r);
    e->seq = agora_rd_u64(&r);
    e->body_len = agora_rd_u32(&r);
    if (r.err || magic != AGORA_ENV_MAGIC || flags != 0 || reserved != 0 ||
        (e->kind != AGORA_ENV_PAXOS && e->kind != AGORA_ENV_CONTROL))
        return AGORA_EINVAL;
    if (max_body != 0 && e->body_len > max_body)
        return AGORA_ETOOBIG;
    e->body = agora_rd_bytes(&r, e->body_len);
    e->mac = agora_rd_bytes(&r, AGORA_ENV_MAC);
    if (r.err || agora_rd_left(&r) != 0)
        return AGORA_EINVAL;
    e->signed_len = AGORA_ENV_HDR + (size_t)e->body_len;
    return AGORA_OK;
}

int agora_env_cmp_seq(uint64_t tag_a, uint64_t seq_a, uint64_t tag_b, uint64_t seq_b)
{
    if (tag_a != tag_b)
        return tag_a < tag_b ? -1 : 1;
    if (seq_a != seq_b)
        return seq_a < seq_b ? -1 : 1;
    return 0;
}
