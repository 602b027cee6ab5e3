/* crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of every durable record. */
#ifndef AGORA_CRC32C_H
#define AGORA_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0. crc32c("123456789") == 0xE3069283. */
uint32_t agora_crc32c(uint32_t crc, const void *data, size_t len);

#endif
