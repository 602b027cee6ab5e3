/* frame.c: length + CRC-32C framing of durable records (layout in frame.h).
 * The decoder trusts nothing past the first bad frame. */
#include "agora/frame.h"

#include "agora/crc32c.h"

int agora_frame_put(struct agora_buf *out, const void *payload, size_t len)
{
    if (len == 0 || len > AGORA_FRAME_MAX)
        return AGORA_EINVAL;
    int rc = agora_buf_reserve(out, AGORA_FRAME_HDR + len);
    if (rc != AGORA_OK)
        return rc;
    agora_buf_put_u32(out, (uint32_t)len);
    agora_buf_put_u32(out, agora_crc32c(0, payload, len));
    return agora_buf_put(out, payload, len);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static enum agora_frame_status torn(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return AGORA_FRAME_TORN;
}

enum agora_frame_status agora_frame_next(const uint8_t *buf, size_t len, size_t *off,
                                         const uint8_t **payload, uint32_t *plen,
                                         const char **why)
{
    size_t at = *off;
    if (at == len)
        return AGORA_FRAME_END;
    if (at > len || len - at < AGORA_FRAME_HDR)
        return torn(why, "truncated frame header");
    uint32_t n = le32(buf + at);
    uint32_t crc = le32(buf + at + 4);
    if (n == 0 || n > AGORA_FRAME_MAX)
        return torn(why, "impossible frame length");
    if (len - at - AGORA_FRAME_HDR < n)
        return torn(why, "truncated frame payload");
    const uint8_t *p = buf + at + AGORA_FRAME_HDR;
    if (agora_crc32c(0, p, n) != crc)
        return torn(why, "frame checksum mismatch");
    *payload = p;
    *plen = n;
    *off = at + AGORA_FRAME_HDR + n;
    return AGORA_FRAME_OK;
}

size_t agora_frame_valid_prefix(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    const uint8_t *p;
    uint32_t n;
    while (agora_frame_next(buf, len, &off, &p, &n, NULL) == AGORA_FRAME_OK)
        ;
    return off;
}
