/* base64.h: strict standard base64 (RFC 4648 section 4, with padding), as
 * used by OpenSSH public keys. */
#ifndef AGORA_BASE64_H
#define AGORA_BASE64_H

#include "agora/common.h"

/* Decodes s[0..len) into out (appended). Refuses characters outside the
 * alphabet (whitespace included), a length that is not a multiple of 4, bad
 * padding, and non-zero trailing bits: AGORA_EINVAL, with out->len as it was.
 * Every byte string has exactly one accepted spelling. */
int agora_base64_decode(const char *s, size_t len, struct agora_buf *out);
/* Appends the padded encoding of p[0..len) to out (not NUL-terminated). */
int agora_base64_encode(const uint8_t *p, size_t len, struct agora_buf *out);

#endif
