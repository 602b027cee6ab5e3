/* http_req.c: the address split and the request of http_req.h. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

static int split_fail(char *why, size_t whylen, const char *hostport, const char *what)
{
    snprintf(why, whylen, "bad address \"%.80s\": %s", hostport, what);
    return -1;
}

int agl_http_split_hostport(const char *hostport, char *host, size_t hostlen,
                            unsigned *port, char *why, size_t whylen)
{
    const char *h = hostport, *colon = strrchr(hostport, ':'), *end = colon;
    char *stop;

    if (colon == NULL)
        return split_fail(why, whylen, hostport, "expected host:port");
    if (h[0] == '[') { /* [v6]:port */
        h++;
        end = strchr(h, ']');
        if (end == NULL || end + 1 != colon)
            return split_fail(why, whylen, hostport, "expected [address]:port");
    }
    if (end == h)
        return split_fail(why, whylen, hostport, "no host");
    if ((size_t)(end - h) >= hostlen)
        return split_fail(why, whylen, hostport, "host name too long");
    unsigned long p = colon[1] >= '0' && colon[1] <= '9' ? strtoul(colon + 1, &stop, 10) : 0;
    if (p == 0 || p > 65535 || *stop != '\0')
        return split_fail(why, whylen, hostport, "port not in 1..65535");
    memcpy(host, h, (size_t)(end - h));
    host[end - h] = '\0';
    *port = (unsigned)p;
    return 0;
}

/* Printable ASCII without space: safe inside a request or header line. */
static bool header_safe(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s <= 0x20 || *s >= 0x7f)
            return false;
    }
    return true;
}

char *agl_http_post(const char *hostport, const char *path, const char *stream_id,
                    const char *body, size_t body_len, size_t *len)
{
    static const char FMT[] = "POST %s HTTP/1.1\r\nHost: %s\r\n"
                              "Content-Type: application/json\r\nAccept: application/json\r\n"
                              "Content-Length: %zu\r\n%s%s%s\r\n";
    bool sid = stream_id != NULL && stream_id[0] != '\0';
    char *out;

    if (!header_safe(hostport) || !header_safe(path) || (sid && !header_safe(stream_id)))
        return NULL;
    int n = snprintf(NULL, 0, FMT, path, hostport, body_len, sid ? "Mesos-Stream-Id: " : "",
                     sid ? stream_id : "", sid ? "\r\n" : "");
    if (n < 0 || (out = malloc((size_t)n + body_len + 1)) == NULL)
        return NULL;
    snprintf(out, (size_t)n + 1, FMT, path, hostport, body_len, sid ? "Mesos-Stream-Id: " : "",
             sid ? stream_id : "", sid ? "\r\n" : "");
    if (body_len > 0)
        memcpy(out + n, body, body_len);
    out[(size_t)n + body_len] = '\0';
    *len = (size_t)n + body_len;
    return out;
}
