/* fuzz_http_parse.c: libFuzzer target for the HTTP response parser
 * (coordinator/http_parse.h). The input (after its first byte) is parsed
 * twice: in one piece, and in pieces whose size comes from the first byte.
 * Both must end the same way (same event, same body bytes, same status),
 * body bytes must lie inside what was fed, and nothing may be consumed
 * after the end. Built without -fsanitize=fuzzer it is a plain program
 * that replays the files named on its command line, a few seeds and a
 * pseudo-random sweep of HTTP-like inputs (what make check runs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_replay.h"
#include "http_parse.h"


struct out {
    uint64_t sum, len;             /* of the body bytes: a cheap fingerprint */
    const char *lo, *hi;           /* what was fed */
};

static int body(void *ctx, const char *p, size_t n)
{
    struct out *o = ctx;
    if (n > 0 && (p < o->lo || p + n > o->hi))
        abort();
    for (size_t i = 0; i < n; i++)
        o->sum = o->sum * 31 + (uint8_t)p[i];
    o->len += n;
    return 0;
}

/* Parses in pieces of `step` bytes; returns the final event. */
static int run(const char *s, size_t n, size_t step, struct out *o, int *code)
{
    struct agl_http_parser p;
    int rc = AGL_HTTP_MORE;
    size_t at = 0, used;

    agl_http_parser_init(&p);
    o->lo = s;
    o->hi = s + n;
    while (rc != AGL_HTTP_DONE && rc != AGL_HTTP_ERROR && at < n) {
        size_t k = n - at < step ? n - at : step;
        rc = agl_http_feed(&p, s + at, k, &used, body, o);
        if (used > k)
            abort();
        at += used;
        if (rc == AGL_HTTP_HEAD)
            rc = agl_http_feed(&p, s + at, 0, &used, body, o);
    }
    if (rc == AGL_HTTP_DONE && (agl_http_feed(&p, s, n, &used, body, o) != AGL_HTTP_DONE ||
                                used != 0))
        abort();
    if (rc == AGL_HTTP_MORE)
        rc = agl_http_eof(&p);
    *code = p.resp.code;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct out a = {0}, b = {0};
    int ca, cb;

    if (size == 0)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1, step = (size_t)(data[0] % 23) + 1;
    int ra = run(s, n, n + 1, &a, &ca), rb = run(s, n, step, &b, &cb);
    if (ra != rb || a.len != b.len || a.sum != b.sum || (ra == AGL_HTTP_DONE && ca != cb))
        abort();
    return 0;
}

#ifndef AGL_LIBFUZZER
static const char *const PIECES[] = {
    "HTTP/1.1 ", "HTTP/1.0 ", "200 OK", "307 X", "100 C", "204 N", "\r\n", "\n", "\r",
    "Content-Length: ", "Transfer-Encoding: chunked", "Connection: close", "Location: //h:1",
    "Mesos-Stream-Id: x", "5", "0", "ff", ";e=v", "abcde", ": ", " ", "\t", "\0", "-",
    "99999999999999999999",
};

/* The k-th input of the sweep: a piece-size byte, mostly a valid status
 * line (so that the rest gets parsed), then random pieces. */
static size_t sweep_input(int k, uint32_t *x, uint8_t *buf, size_t cap)
{
    static const char *const ST[] = {"HTTP/1.1 200 OK\r\n", "HTTP/1.1 307 T\r\n",
                                     "HTTP/1.0 400 B\r\n"};
    size_t n = 0;

    buf[n++] = (uint8_t)fuzz_rand(x);
    if (k % 4 != 0) {
        memcpy(buf + n, ST[k % 3], strlen(ST[k % 3]));
        n += strlen(ST[k % 3]);
    }
    for (int j = k % 40; j > 0; j--) {
        const char *p = PIECES[fuzz_rand(x) % (sizeof PIECES / sizeof *PIECES)];
        size_t m = p[0] == '\0' ? 1 : strlen(p);
        if (n + m > cap)
            break;
        memcpy(buf + n, p, m);
        n += m;
    }
    return n;
}

int main(int argc, char **argv)
{
    static const char *const seeds[] = {
        "\x03HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        "\x01HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
        "\x07HTTP/1.1 307 TR\r\nLocation: //a:1/x\r\n\r\nbody until close",
    };
    uint32_t x = 12345;
    uint8_t buf[512];

    if (fuzz_replay(seeds, sizeof seeds / sizeof *seeds, argc, argv) != 0)
        return 1;
    for (int k = 0; k < 20000; k++)
        LLVMFuzzerTestOneInput(buf, sweep_input(k, &x, buf, sizeof buf));
    return 0;
}
#endif
