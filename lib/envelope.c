/* envelope.c: layout of the authenticated request/reply envelope (bytes in
 * envelope.h and docs/wire-format.md). The MAC is not computed here. */
#include <string.h>

#include "agora/envelope.h"

static bool kind_ok(uint8_t kind)
{
    return kind == AGORA_ENV_PAXOS || kind == AGORA_ENV_CONTROL || kind == AGORA_ENV_PAXOS_GROUP;
}

int agora_env_encode(const struct agora_env *e, struct agora_buf *out)
{
    if (!kind_ok(e->kind))
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
        !kind_ok(e->kind))
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

bool agora_group_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > AGORA_GROUP_NAME_MAX || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

int agora_env_group_wrap(const char *name, const uint8_t *msg, size_t len,
                         struct agora_buf *out)
{
    size_t n = strlen(name);
    if (!agora_group_name_ok(name, n))
        return AGORA_EINVAL;
    int rc = agora_buf_put_str(out, name, n);
    return rc == AGORA_OK ? agora_buf_put(out, msg, len) : rc;
}

int agora_env_group_split(const uint8_t *body, size_t len, char *name, const uint8_t **msg,
                          size_t *msg_len)
{
    struct agora_rd r;
    uint16_t n = 0;
    agora_rd_init(&r, body, len);
    const char *s = agora_rd_str(&r, &n);
    if (r.err || s == NULL || !agora_group_name_ok(s, n))
        return AGORA_EINVAL;
    memcpy(name, s, n);
    name[n] = '\0';
    *msg_len = agora_rd_left(&r);
    *msg = body + (len - *msg_len);
    return AGORA_OK;
}
