/* http_parse.h: the HTTP/1.1 response parser of the Mesos client
 * (mesos_conn.c, through http_conn.c). Pure: no I/O, no clock, no
 * allocation; fed any fragment sizes, one byte at a time included.
 *
 * What it accepts (RFC 9112, as a client that sends one POST at a time):
 *   status line  "HTTP/1.x NNN reason" (HTTP/1.0 and 1.1; a 1xx other
 *                than 101 is skipped, as an interim answer);
 *   header lines "Name: value", names case-insensitive; read:
 *                Content-Length, Transfer-Encoding, Connection, Location,
 *                Mesos-Stream-Id; the others are checked and skipped;
 *   body         Content-Length bytes; or chunked (extensions skipped,
 *                trailers checked and skipped); or, with neither, every
 *                byte until the server closes (agl_http_eof). 204 and 304
 *                have none.
 * Every line must end in CRLF. Refused, each with its own reason in
 * p->why: a header block (or the trailers) over AGL_HTTP_HEAD_MAX, a line
 * over AGL_HTTP_LINE_MAX, a chunk-size line over AGL_HTTP_CHUNK_LINE_MAX,
 * a chunk size or Content-Length of 2^60 or more, a NUL or other control
 * byte in a line, a bare CR or LF, folded header lines, both
 * Content-Length and Transfer-Encoding, two different Content-Lengths, a
 * transfer coding other than chunked, chunk data not followed by CRLF. */
#ifndef AGL_HTTP_PARSE_H
#define AGL_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGL_HTTP_HEAD_MAX 16384      /* status line and headers, or the trailers */
#define AGL_HTTP_LINE_MAX 8192       /* one line of them */
#define AGL_HTTP_CHUNK_LINE_MAX 256  /* a chunk-size line with its extensions */
#define AGL_HTTP_LENGTH_MAX (UINT64_C(1) << 60)
#define AGL_HTTP_LOCATION_MAX 512    /* buffer sizes, NUL included */
#define AGL_HTTP_STREAM_ID_MAX 160

enum agl_http_rc {
    AGL_HTTP_ERROR = -1, /* malformed: p->why says why; sticky */
    AGL_HTTP_MORE = 0,   /* every byte consumed; the response is not complete */
    AGL_HTTP_HEAD = 1,   /* the header block ended: p->resp is filled */
    AGL_HTTP_DONE = 2,   /* the response ended */
    AGL_HTTP_STOP = 3,   /* the body callback returned non-zero */
};

struct agl_http_resp {
    int code;                      /* 100..599 */
    int minor;                     /* HTTP/1.minor */
    bool keep_alive;               /* false: the server closes after this response */
    bool chunked;
    bool has_length;
    uint64_t length;               /* Content-Length */
    char location[AGL_HTTP_LOCATION_MAX];
    char stream_id[AGL_HTTP_STREAM_ID_MAX];
};

struct agl_http_parser {
    int state;
    struct agl_http_resp resp;
    bool conn_close, conn_keep;    /* Connection tokens seen */
    bool cr;                       /* the last byte of the line so far was CR */
    size_t line_len;
    size_t block;                  /* bytes of the header block (or trailers) so far */
    uint64_t left;                 /* of the body or the current chunk */
    char line[AGL_HTTP_LINE_MAX];
    char why[160];
};

/* Body bytes, a slice of what was fed. Non-zero stops the feed
 * (AGL_HTTP_STOP); the parser stays consistent and may be fed on. */
typedef int agl_http_body_fn(void *ctx, const char *p, size_t n);

void agl_http_parser_init(struct agl_http_parser *p);

/* Consumes buf[0..n) up to the next event and sets *used to the bytes
 * taken. After AGL_HTTP_HEAD call it again with the rest, even if empty
 * (a body of length 0 then gives AGL_HTTP_DONE). After AGL_HTTP_DONE
 * nothing more is consumed. fn may be NULL (the body is skipped). */
int agl_http_feed(struct agl_http_parser *p, const char *buf, size_t n, size_t *used,
                  agl_http_body_fn *fn, void *ctx);

/* The server closed the connection: AGL_HTTP_DONE if that ends a body
 * read until close (or the response was complete), else AGL_HTTP_ERROR
 * with p->why saying where it was cut. */
int agl_http_eof(struct agl_http_parser *p);

#endif
