/* base64.c: strict standard base64 (RFC 4648 section 4) for OpenSSH key
 * blobs. The decoder accepts exactly one spelling of every byte string:
 * the alphabet only (no whitespace, no URL-safe letters), length a multiple
 * of 4, '=' only as the last one or two characters, and zero pad bits
 * (RFC 4648 section 3.5). So equal blobs always have equal text, which is
 * what duplicate-key detection compares. */
#include <string.h>

#include "agora/base64.h"

/* The 64 digits, then the pad character. */
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
#define PAD 64 /* index of '=' */

/* Value of one alphabet character, or -1 (also for '='). */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes one 4-character quantum q into bytes[], sets *nbytes (1..3).
 * `last` says whether padding is allowed here. */
static int decode_quantum(const unsigned char *q, bool last, uint8_t bytes[3],
                          size_t *nbytes)
{
    int v[4];
    size_t pad = 0;

    if (last && q[3] == '=')
        pad = (q[2] == '=') ? 2 : 1;
    for (size_t i = 0; i < 4 - pad; i++) {
        v[i] = b64_value(q[i]);
        if (v[i] < 0)
            return AGORA_EINVAL;
    }
    for (size_t i = 4 - pad; i < 4; i++)
        v[i] = 0;
    /* The pad bits that no output byte carries must be zero (3.5). */
    if ((pad == 1 && (v[2] & 0x03) != 0) || (pad == 2 && (v[1] & 0x0f) != 0))
        return AGORA_EINVAL;
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
                 (uint32_t)v[2] << 6 | (uint32_t)v[3];
    bytes[0] = (uint8_t)(w >> 16);
    bytes[1] = (uint8_t)(w >> 8);
    bytes[2] = (uint8_t)w;
    *nbytes = 3 - pad;
    return AGORA_OK;
}

int agora_base64_decode(const char *s, size_t len, struct agora_buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = out->len;

    if (len % 4 != 0)
        return AGORA_EINVAL;
    int rc = agora_buf_reserve(out, len / 4 * 3);
    if (rc != AGORA_OK)
        return rc;
    for (size_t i = 0; i < len; i += 4) {
        uint8_t bytes[3];
        size_t n;
        rc = decode_quantum(u + i, i + 4 == len, bytes, &n);
        if (rc != AGORA_OK) {
            out->len = start; /* leave out as it was */
            return rc;
        }
        memcpy(out->data + out->len, bytes, n);
        out->len += n;
    }
    return AGORA_OK;
}

int agora_base64_encode(const uint8_t *p, size_t len, struct agora_buf *out)
{
    size_t quanta = len / 3 + (len % 3 != 0);

    if (quanta > SIZE_MAX / 4)
        return AGORA_ENOMEM;
    int rc = agora_buf_reserve(out, quanta * 4);
    if (rc != AGORA_OK)
        return rc;
    for (size_t i = 0; i < len; i += 3) {
        size_t n = len - i < 3 ? len - i : 3;
        uint32_t w = (uint32_t)p[i] << 16;
        if (n > 1)
            w |= (uint32_t)p[i + 1] << 8;
        if (n > 2)
            w |= p[i + 2];
        char *d = (char *)out->data + out->len;
        d[0] = b64_alphabet[(w >> 18) & 0x3f];
        d[1] = b64_alphabet[(w >> 12) & 0x3f];
        d[2] = b64_alphabet[n > 1 ? (w >> 6) & 0x3f : PAD];
        d[3] = b64_alphabet[n > 2 ? w & 0x3f : PAD];
        out->len += 4;
    }
    return AGORA_OK;
}
