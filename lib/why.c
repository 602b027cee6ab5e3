/* why.c: the validators' one-line reasons and input excerpts (why.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "why.h"

void agora_why_say(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

const char *agora_why_quote(char dst[AGORA_QUOTE_BUF], const void *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0;

    for (size_t i = 0; i < n && i < AGORA_QUOTE_MAX; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\'' || s[i] == '\\') {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[s[i] >> 4];
            dst[o++] = hex[s[i] & 0xf];
        } else {
            dst[o++] = (char)s[i];
        }
    }
    if (n > AGORA_QUOTE_MAX) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}
