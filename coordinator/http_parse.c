/* http_parse.c: the framing of an HTTP/1.1 response (http_parse.h): lines,
 * where the header block ends, and the body by Content-Length, by chunks
 * or until close. The status line and the header fields themselves are
 * read by http_head.c.
 *
 * States, in the order a response goes through them:
 *   STATUS -> HEADER -> LEN | CHUNK_SIZE <-> CHUNK_DATA, CHUNK_CRLF
 *                             CHUNK_SIZE (0) -> TRAILER | CLOSE -> DONE
 * A line is collected in p->line (CRLF removed) across feeds; the body is
 * handed out as slices of the caller's buffer, never copied. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http_head.h"

enum {
    S_STATUS, S_HEADER, S_LEN, S_CHUNK_SIZE, S_CHUNK_DATA, S_CHUNK_CRLF, S_TRAILER, S_CLOSE,
    S_DONE, S_ERROR
};

#define NEED 100 /* internal: the step needs more bytes */

/* 0..15 for a hex digit, else -1. */
static int hexval(char c)
{
    static const char DIGITS[] = "0123456789abcdefABCDEF"; /* A..F: 16..21 */
    const char *d = c != '\0' ? strchr(DIGITS, c) : NULL;

    if (d == NULL)
        return -1;
    return d - DIGITS < 16 ? (int)(d - DIGITS) : (int)(d - DIGITS) - 6;
}

void agl_http_parser_init(struct agl_http_parser *p)
{
    memset(&p->resp, 0, sizeof p->resp);
    p->state = S_STATUS;
    p->conn_close = p->conn_keep = p->cr = false;
    p->line_len = p->block = 0;
    p->left = 0;
    p->line[0] = p->why[0] = '\0';
}

int agl_http_fail(struct agl_http_parser *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->why, sizeof p->why, fmt, ap);
    va_end(ap);
    p->state = S_ERROR;
    return AGL_HTTP_ERROR;
}

static const char *line_name(const struct agl_http_parser *p)
{
    static const char *const NAMES[] = {"status line", "header line", "", "chunk-size line",
                                        "", "", "trailer line"};
    return NAMES[p->state];
}

/* One byte of a line that is not CR or LF. */
static int line_byte(struct agl_http_parser *p, unsigned char c, size_t limit)
{
    if (p->state == S_STATUS && p->line_len == 0 && (c == 0x15 || c == 0x16))
        return agl_http_fail(p, "not HTTP: a TLS record (only http:// is supported)");
    if (c == '\0')
        return agl_http_fail(p, "NUL byte in a %s", line_name(p));
    if ((c < 0x20 && c != '\t') || c == 0x7f)
        return agl_http_fail(p, "control byte 0x%02x in a %s", c, line_name(p));
    if (p->line_len + 1 >= limit)
        return agl_http_fail(p, "%s longer than %zu bytes", line_name(p), limit - 1);
    p->line[p->line_len++] = (char)c;
    return 0;
}

/* Collects a line up to CRLF: 1 when p->line holds one, NEED, or an error.
 * In the header block and the trailers every byte counts toward their
 * limit. */
static int take_line(struct agl_http_parser *p, const char *buf, size_t n, size_t *i,
                     size_t limit)
{
    bool block = p->state == S_STATUS || p->state == S_HEADER || p->state == S_TRAILER;

    while (*i < n) {
        char c = buf[(*i)++];
        if (block && ++p->block > AGL_HTTP_HEAD_MAX)
            return agl_http_fail(p, "%s larger than %d bytes",
                                 p->state == S_TRAILER ? "trailers" : "header block",
                                 AGL_HTTP_HEAD_MAX);
        if (p->cr && c != '\n')
            return agl_http_fail(p, "CR not followed by LF in a %s", line_name(p));
        if (p->cr) {
            p->cr = false;
            p->line[p->line_len] = '\0';
            p->line_len = 0;
            return 1;
        }
        if (c == '\n')
            return agl_http_fail(p, "%s ends in LF without CR", line_name(p));
        if (c == '\r')
            p->cr = true;
        else if (line_byte(p, (unsigned char)c, limit) != 0)
            return AGL_HTTP_ERROR;
    }
    return NEED;
}

/* The empty line after the headers: where the body is, or a 1xx skipped. */
static int end_of_head(struct agl_http_parser *p)
{
    struct agl_http_resp *r = &p->resp;

    if (r->code == 101)
        return agl_http_fail(p, "101 Switching Protocols, which was not asked for");
    if (r->code < 200) {
        agl_http_parser_init(p); /* an interim answer: the real one follows */
        return NEED;
    }
    if (r->chunked && r->has_length)
        return agl_http_fail(p, "both Content-Length and Transfer-Encoding");
    r->keep_alive = r->minor >= 1 ? !p->conn_close : p->conn_keep && !p->conn_close;
    if (r->code == 204 || r->code == 304) {
        p->state = S_LEN;
        p->left = 0;
    } else if (r->chunked) {
        p->state = S_CHUNK_SIZE;
    } else if (r->has_length) {
        p->state = S_LEN;
        p->left = r->length;
    } else {
        p->state = S_CLOSE;
        r->keep_alive = false;
    }
    return AGL_HTTP_HEAD;
}

/* "HEX[ ;ext...]": the next chunk, or the last one (0) and the trailers. */
static int chunk_size(struct agl_http_parser *p)
{
    const char *s = p->line;
    uint64_t v = 0;
    int d;

    if (hexval(*s) < 0)
        return agl_http_fail(p, "chunk-size line without a size");
    for (; (d = hexval(*s)) >= 0; s++) {
        v = v * 16 + (uint64_t)d; /* v < 2^60 before: no overflow */
        if (v >= AGL_HTTP_LENGTH_MAX)
            return agl_http_fail(p, "chunk size of 2^60 bytes or more");
    }
    s += strspn(s, " \t");
    if (*s != '\0' && *s != ';')
        return agl_http_fail(p, "bad chunk-size line");
    p->left = v;
    p->state = v > 0 ? S_CHUNK_DATA : S_TRAILER;
    p->block = 0;
    return NEED;
}

/* A complete line, by state. */
static int on_line(struct agl_http_parser *p)
{
    switch (p->state) {
    case S_STATUS:
        if (agl_http_status_line(p) != 0)
            return AGL_HTTP_ERROR;
        p->state = S_HEADER;
        return NEED;
    case S_HEADER:
        if (p->line[0] == '\0')
            return end_of_head(p);
        return agl_http_header_line(p, true) != 0 ? AGL_HTTP_ERROR : NEED;
    case S_CHUNK_SIZE:
        return chunk_size(p);
    default: /* S_TRAILER */
        if (p->line[0] == '\0') {
            p->state = S_DONE;
            return NEED;
        }
        return agl_http_header_line(p, false) != 0 ? AGL_HTTP_ERROR : NEED;
    }
}

/* Body bytes from buf[*i..n): the state moves on before fn sees them, so a
 * stop leaves the parser consistent. */
static int body(struct agl_http_parser *p, const char *buf, size_t n, size_t *i,
                agl_http_body_fn *fn, void *ctx)
{
    const char *at = buf + *i;
    size_t k = n - *i;

    if (p->state != S_CLOSE) {
        k = k < p->left ? k : (size_t)p->left;
        p->left -= k;
        if (p->left == 0)
            p->state = p->state == S_LEN ? S_DONE : S_CHUNK_CRLF;
    }
    *i += k;
    return fn != NULL && fn(ctx, at, k) != 0 ? AGL_HTTP_STOP : NEED;
}

/* The CRLF that closes a chunk's data, byte by byte. */
static int chunk_crlf(struct agl_http_parser *p, char c)
{
    if (c != (p->cr ? '\n' : '\r'))
        return agl_http_fail(p, "chunk data not followed by CRLF");
    p->cr = !p->cr;
    if (!p->cr)
        p->state = S_CHUNK_SIZE;
    return NEED;
}

/* One step from buf[*i..n): an event, or NEED when more input is needed
 * (or the step consumed what it could and another step may follow). */
static int step(struct agl_http_parser *p, const char *buf, size_t n, size_t *i,
                agl_http_body_fn *fn, void *ctx)
{
    int rc;

    switch (p->state) {
    case S_ERROR:
        return AGL_HTTP_ERROR;
    case S_DONE:
        return AGL_HTTP_DONE;
    case S_LEN:
        if (p->left == 0) {
            p->state = S_DONE;
            return AGL_HTTP_DONE;
        }
        /* fall through */
    case S_CHUNK_DATA:
    case S_CLOSE:
        return *i < n ? body(p, buf, n, i, fn, ctx) : AGL_HTTP_MORE;
    case S_CHUNK_CRLF:
        return *i < n ? chunk_crlf(p, buf[(*i)++]) : AGL_HTTP_MORE;
    default:
        rc = take_line(p, buf, n, i,
                       p->state == S_CHUNK_SIZE ? AGL_HTTP_CHUNK_LINE_MAX : AGL_HTTP_LINE_MAX);
        if (rc == NEED)
            return AGL_HTTP_MORE;
        return rc == 1 ? on_line(p) : rc;
    }
}

int agl_http_feed(struct agl_http_parser *p, const char *buf, size_t n, size_t *used,
                  agl_http_body_fn *fn, void *ctx)
{
    size_t i = 0;
    int rc;

    while ((rc = step(p, buf, n, &i, fn, ctx)) == NEED)
        ;
    *used = i;
    return rc;
}

int agl_http_eof(struct agl_http_parser *p)
{
    switch (p->state) {
    case S_CLOSE:
    case S_DONE:
        p->state = S_DONE;
        return AGL_HTTP_DONE;
    case S_ERROR:
        return AGL_HTTP_ERROR;
    case S_STATUS:
        return agl_http_fail(p, p->block == 0 ? "connection closed before any response"
                                              : "connection closed in the status line");
    case S_HEADER:
        return agl_http_fail(p, "connection closed in the header block");
    case S_LEN:
        return agl_http_fail(p, "connection closed %llu bytes before the end of the body",
                             (unsigned long long)p->left);
    case S_TRAILER:
        return agl_http_fail(p, "connection closed in the trailers");
    default:
        return agl_http_fail(p, "connection closed in the chunked body");
    }
}
