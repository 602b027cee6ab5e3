/* crc32c.c: CRC-32C (Castagnoli), table-driven, one byte at a time. The
 * table is computed at compile time into a const array, so there is no
 * initialisation step and no mutable global. */
#include "agora/crc32c.h"

#define P 0x82F63B78u
#define B1(c) (((c) & 1u) ? ((c) >> 1) ^ P : (c) >> 1)
#define B8(c) B1(B1(B1(B1(B1(B1(B1(B1((uint32_t)(c)))))))))
#define R4(n) B8(n), B8((n) + 1), B8((n) + 2), B8((n) + 3)
#define R16(n) R4(n), R4((n) + 4), R4((n) + 8), R4((n) + 12)
#define R64(n) R16(n), R16((n) + 16), R16((n) + 32), R16((n) + 48)

static const uint32_t crc_table[256] = {R64(0), R64(64), R64(128), R64(192)};

uint32_t agora_crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len-- > 0)
        crc = crc_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}
