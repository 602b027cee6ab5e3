/* http_head.c: the status line and the header fields of a response
 * (http_head.h), read from the line http_parse.c collected (CRLF removed,
 * no control byte but HT left in it). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_head.h"

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The first bytes of a line, printable ASCII only, for a message. */
static const char *excerpt(const char *s, char *out, size_t outlen)
{
    size_t i = 0;

    for (; s[i] != '\0' && i + 1 < outlen; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[i] = '\0';
    return out;
}

int agl_http_status_line(struct agl_http_parser *p)
{
    const char *s = p->line;
    char ex[41];

    if (strncmp(s, "HTTP/", 5) != 0 || !digit(s[5]) || s[6] != '.' || !digit(s[7]) ||
        s[8] != ' ' || !digit(s[9]) || !digit(s[10]) || !digit(s[11]) ||
        (s[12] != ' ' && s[12] != '\0'))
        return agl_http_fail(p, "bad status line \"%s\"", excerpt(s, ex, sizeof ex));
    if (s[5] != '1')
        return agl_http_fail(p, "HTTP version %.3s is not supported", s + 5);
    p->resp.minor = s[7] - '0';
    p->resp.code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (p->resp.code < 100 || p->resp.code > 599)
        return agl_http_fail(p, "bad status code %d", p->resp.code);
    return 0;
}

/* RFC 9110 5.6.2: the bytes a field name may hold. */
static bool tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int content_length(struct agl_http_parser *p, const char *v)
{
    uint64_t n = 0;
    char ex[21];

    if (!digit(*v))
        return agl_http_fail(p, "bad Content-Length \"%s\"", excerpt(v, ex, sizeof ex));
    for (const char *s = v; *s != '\0'; s++) {
        if (!digit(*s))
            return agl_http_fail(p, "bad Content-Length \"%s\"", excerpt(v, ex, sizeof ex));
        n = n * 10 + (uint64_t)(*s - '0'); /* n < 2^60 before: no overflow */
        if (n >= AGL_HTTP_LENGTH_MAX)
            return agl_http_fail(p, "Content-Length of 2^60 bytes or more");
    }
    if (p->resp.has_length && p->resp.length != n)
        return agl_http_fail(p, "two different Content-Length values");
    p->resp.has_length = true;
    p->resp.length = n;
    return 0;
}

static int transfer_encoding(struct agl_http_parser *p, const char *v)
{
    char ex[41];

    if (strcasecmp(v, "chunked") != 0)
        return agl_http_fail(p, "Transfer-Encoding \"%s\" is not supported (only chunked)",
                             excerpt(v, ex, sizeof ex));
    if (p->resp.chunked)
        return agl_http_fail(p, "Transfer-Encoding chunked twice");
    p->resp.chunked = true;
    return 0;
}

/* "close" and "keep-alive" among the comma-separated tokens. */
static void connection(struct agl_http_parser *p, const char *v)
{
    while (*v != '\0') {
        v += strspn(v, " \t,");
        size_t n = strcspn(v, " \t,");
        if (n == 5 && strncasecmp(v, "close", 5) == 0)
            p->conn_close = true;
        else if (n == 10 && strncasecmp(v, "keep-alive", 10) == 0)
            p->conn_keep = true;
        v += n;
    }
}

/* token: the value goes back to the server in a header of our own
 * (Mesos-Stream-Id), so no space, control or non-ASCII byte. */
static int copy_value(struct agl_http_parser *p, const char *name, const char *v, char *out,
                      size_t outlen, bool token)
{
    if (strlen(v) >= outlen)
        return agl_http_fail(p, "%s longer than %zu bytes", name, outlen - 1);
    for (const char *s = v; token && *s != '\0'; s++) {
        if (*s <= 0x20 || *s >= 0x7f)
            return agl_http_fail(p, "%s with a space, control or non-ASCII byte", name);
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int use_field(struct agl_http_parser *p, const char *name, const char *v)
{
    struct agl_http_resp *r = &p->resp;

    if (strcasecmp(name, "Content-Length") == 0)
        return content_length(p, v);
    if (strcasecmp(name, "Transfer-Encoding") == 0)
        return transfer_encoding(p, v);
    if (strcasecmp(name, "Connection") == 0)
        connection(p, v);
    else if (strcasecmp(name, "Location") == 0)
        return copy_value(p, "Location", v, r->location, sizeof r->location, false);
    else if (strcasecmp(name, "Mesos-Stream-Id") == 0)
        return copy_value(p, "Mesos-Stream-Id", v, r->stream_id, sizeof r->stream_id, true);
    return 0;
}

int agl_http_header_line(struct agl_http_parser *p, bool use)
{
    char *s = p->line, *v, *end;
    size_t n = 0;

    if (*s == ' ' || *s == '\t')
        return agl_http_fail(p, "folded header line (obsolete line folding)");
    while (tchar(s[n]))
        n++;
    if (strchr(s, ':') == NULL)
        return agl_http_fail(p, "header line without a colon");
    if (n == 0)
        return agl_http_fail(p, "header line without a name");
    if (s[n] != ':')
        return agl_http_fail(p, s[n] == ' ' || s[n] == '\t'
                                    ? "space between a header name and its colon"
                                    : "header name with a byte not allowed in it");
    s[n] = '\0';
    v = s + n + 1;
    v += strspn(v, " \t");
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return use ? use_field(p, s, v) : 0;
}
