/* why.h: how the validators write a one-line reason (private to lib/). */
#ifndef AGORA_WHY_H
#define AGORA_WHY_H

#include <stddef.h>

#define AGORA_QUOTE_MAX 40                        /* input bytes shown in a reason */
#define AGORA_QUOTE_BUF (AGORA_QUOTE_MAX * 4 + 4) /* every byte escaped, plus "..." */

/* Writes the reason into why[whylen] (if given). */
void agora_why_say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A printable excerpt of s[0..n): bytes outside printable ASCII, quotes and
 * backslashes become \xNN, and long input is cut with "...". */
const char *agora_why_quote(char dst[AGORA_QUOTE_BUF], const void *s, size_t n);

/* Says why, then yields rc: `return FAIL(AGORA_EINVAL, "...", ...);` in a
 * function whose reason buffer is (why, whylen). */
#define FAIL(rc, ...) (agora_why_say(why, whylen, __VA_ARGS__), (rc))

#endif
