/* recordio.c: the RecordIO reader (recordio.h). State: `want` == 0 while a
 * header is being read; then the body of `want` bytes. Consumed bytes are
 * dropped from the front of the buffer after each feed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recordio.h"

#define HEADER_MAX 20 /* digits of a uint64 */

void agl_recordio_init(struct agl_recordio *r, size_t max_record)
{
    memset(r, 0, sizeof *r);
    r->max = max_record ? max_record : AGL_RECORDIO_DEFAULT_MAX;
}

void agl_recordio_reset(struct agl_recordio *r)
{
    r->len = 0;
    r->want = 0;
    r->failed = false;
    r->why[0] = '\0';
}

void agl_recordio_free(struct agl_recordio *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

size_t agl_recordio_pending(const struct agl_recordio *r)
{
    return r->len;
}

static int fail(struct agl_recordio *r, const char *why)
{
    r->failed = true;
    snprintf(r->why, sizeof r->why, "%s", why);
    return -1;
}

static int append(struct agl_recordio *r, const char *p, size_t n)
{
    if (n == 0)
        return 0; /* p may be NULL: memcpy must not see it */
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (b == NULL)
            return fail(r, "out of memory");
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    return 0;
}

/* Parses a header at buf[*off..]; 1 = need more bytes, 0 = done, -1 bad. */
static int header(struct agl_recordio *r, size_t *off)
{
    size_t i = *off;
    uint64_t v = 0;

    while (i < r->len && r->buf[i] == '\n')
        i++; /* empty lines between records are tolerated */
    *off = i;
    for (size_t d = 0; i < r->len; i++, d++) {
        char c = r->buf[i];
        if (c == '\n') {
            if (d == 0)
                return fail(r, "empty record length");
            if (v == 0)
                return fail(r, "record length 0");
            r->want = v;
            *off = i + 1;
            return 0;
        }
        if (c < '0' || c > '9')
            return fail(r, "non-digit in a record length");
        if (d >= HEADER_MAX)
            return fail(r, "record length longer than 20 digits");
        v = v * 10 + (uint64_t)(c - '0');
        if (v > r->max)
            return fail(r, "record longer than the limit");
    }
    return 1;
}

int agl_recordio_feed(struct agl_recordio *r, const char *p, size_t n, agl_record_fn *fn,
                      void *ctx)
{
    size_t off = 0;
    int rc = 0;

    if (r->failed || append(r, p, n) != 0)
        return -1;
    while (rc == 0) {
        if (r->want == 0) {
            int h = header(r, &off);
            if (h < 0)
                return -1;
            if (h > 0)
                break;
        }
        if (r->len - off < r->want)
            break;
        size_t len = (size_t)r->want;
        r->want = 0;
        rc = fn(ctx, r->buf + off, len);
        off += len;
    }
    if (off > 0 && r->len > off)
        memmove(r->buf, r->buf + off, r->len - off);
    r->len -= off;
    return rc;
}
