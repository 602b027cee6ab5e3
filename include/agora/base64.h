/* base64.h: strict standard base64 (RFC 4648 section 4, with padding), as
 * used by OpenSSH public keys. */
#ifndef AGORA_BASE64_H
#define AGORA_BASE64_H

#include "agora/common.h"

/* Decodes s[0..len) into out (appended). Refuses characters outside the
 * alphabet, bad padding, and non-zero trailing bits: AGORA_EINVAL. */
int agora_base64_decode(const char *s, size_t len, struct agora_buf *out);
int agora_base64_encode(const uint8_t *p, size_t len, struct agora_buf *out);

#endif
