/* buf.c: growable byte buffer and bounds-checked reader; every integer is
 * little-endian and fixed-width, so encodings are identical on every host. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agora/common.h"

void agora_buf_init(struct agora_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void agora_buf_free(struct agora_buf *b)
{
    agora_free(b->data);
    agora_buf_init(b);
}

void agora_buf_reset(struct agora_buf *b)
{
    b->len = 0;
}

int agora_buf_reserve(struct agora_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len)
        return AGORA_ENOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return AGORA_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    uint8_t *d = agora_realloc(b->data, cap);
    if (d == NULL)
        return AGORA_ENOMEM;
    b->data = d;
    b->cap = cap;
    return AGORA_OK;
}

int agora_buf_put(struct agora_buf *b, const void *p, size_t n)
{
    int rc = agora_buf_reserve(b, n);
    if (rc != AGORA_OK)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return AGORA_OK;
}

static int put_le(struct agora_buf *b, uint64_t v, unsigned width)
{
    uint8_t tmp[8];
    for (unsigned i = 0; i < width; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    return agora_buf_put(b, tmp, width);
}

int agora_buf_put_u8(struct agora_buf *b, uint8_t v) { return put_le(b, v, 1); }
int agora_buf_put_u16(struct agora_buf *b, uint16_t v) { return put_le(b, v, 2); }
int agora_buf_put_u32(struct agora_buf *b, uint32_t v) { return put_le(b, v, 4); }
int agora_buf_put_u64(struct agora_buf *b, uint64_t v) { return put_le(b, v, 8); }

int agora_buf_put_blob(struct agora_buf *b, const void *p, uint32_t n)
{
    int rc = agora_buf_put_u32(b, n);
    return rc != AGORA_OK ? rc : agora_buf_put(b, p, n);
}

int agora_buf_put_str(struct agora_buf *b, const char *s, size_t n)
{
    if (n > UINT16_MAX)
        return AGORA_ETOOBIG;
    int rc = agora_buf_put_u16(b, (uint16_t)n);
    return rc != AGORA_OK ? rc : agora_buf_put(b, s, n);
}

int agora_buf_printf(struct agora_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return AGORA_EINVAL;
    int rc = agora_buf_reserve(b, (size_t)n + 1);
    if (rc != AGORA_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return AGORA_OK;
}

void agora_rd_init(struct agora_rd *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = false;
}

size_t agora_rd_left(const struct agora_rd *r)
{
    return r->err ? 0 : r->len - r->off;
}

const uint8_t *agora_rd_bytes(struct agora_rd *r, size_t n)
{
    if (r->err || n > r->len - r->off) {
        r->err = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static uint64_t get_le(struct agora_rd *r, unsigned width)
{
    const uint8_t *p = agora_rd_bytes(r, width);
    uint64_t v = 0;
    if (p == NULL)
        return 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint8_t agora_rd_u8(struct agora_rd *r) { return (uint8_t)get_le(r, 1); }
uint16_t agora_rd_u16(struct agora_rd *r) { return (uint16_t)get_le(r, 2); }
uint32_t agora_rd_u32(struct agora_rd *r) { return (uint32_t)get_le(r, 4); }
uint64_t agora_rd_u64(struct agora_rd *r) { return get_le(r, 8); }

const uint8_t *agora_rd_blob(struct agora_rd *r, uint32_t *n)
{
    *n = agora_rd_u32(r);
    const uint8_t *p = agora_rd_bytes(r, *n);
    if (p == NULL)
        *n = 0;
    return p;
}

const char *agora_rd_str(struct agora_rd *r, uint16_t *n)
{
    *n = agora_rd_u16(r);
    const uint8_t *p = agora_rd_bytes(r, *n);
    if (p == NULL)
        *n = 0;
    return (const char *)p;
}
