/* inbox_req.c: parsing and validating one inbox request (inbox_req.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inbox_req.h"

static int say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

int agd_inbox_name_ok(const char *name, char *why, size_t whylen)
{
    char inner[256];
    if (strlen(name) > AGD_INBOX_NAME_MAX)
        return say(why, whylen, "the file name is longer than %u bytes", AGD_INBOX_NAME_MAX);
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_MEMBER_LEAVE;
    c.u.leave.id = name;
    if (agora_cmd_check_shape(&c, inner, sizeof(inner)) != AGORA_OK)
        return say(why, whylen, "the file name is not a valid member id: %s", inner);
    return 0;
}

static int field_host(struct agd_inbox_req *r, const char *v, size_t n, int line, char *why,
                      size_t whylen)
{
    char inner[256];
    if (agora_valid_hostname(v, n, inner, sizeof(inner)) != AGORA_OK)
        return say(why, whylen, "line %d: host: %s", line, inner);
    memcpy(r->host, v, n);
    r->host[n] = '\0';
    return 0;
}

static int field_ip(struct agd_inbox_req *r, const char *v, size_t n, int line, char *why,
                    size_t whylen)
{
    char inner[256];
    struct agora_ip ip;
    if (agora_parse_ip(v, n, &ip, inner, sizeof(inner)) != AGORA_OK)
        return say(why, whylen, "line %d: ip: %s", line, inner);
    if (agora_format_ip(&ip, r->ip, sizeof(r->ip)) != AGORA_OK)
        return say(why, whylen, "line %d: ip: cannot format the address", line);
    return 0;
}

static int field_key(struct agd_inbox_req *r, const char *v, size_t n, int line, char *why,
                     size_t whylen)
{
    char inner[256];
    struct agora_sshkey_policy pol = {.allow_options = false, .max_len = 0};
    struct agora_sshkey k;
    memset(&k, 0, sizeof(k));
    int rc = agora_parse_sshkey(v, n, &pol, &k, inner, sizeof(inner));
    agora_sshkey_clear(&k);
    if (rc != AGORA_OK)
        return say(why, whylen, "line %d: key: %s", line, inner);
    memcpy(r->key, v, n);
    r->key[n] = '\0';
    return 0;
}

static int field_seq(struct agd_inbox_req *r, const char *v, size_t n, int line, char *why,
                     size_t whylen)
{
    char buf[32], *end;
    if (n == 0 || n >= sizeof(buf) || v[0] < '0' || v[0] > '9')
        return say(why, whylen, "line %d: seq: not a number", line);
    memcpy(buf, v, n);
    buf[n] = '\0';
    errno = 0;
    unsigned long long s = strtoull(buf, &end, 10);
    if (errno != 0 || *end != '\0' || s == 0 || s > (1ull << 62))
        return say(why, whylen, "line %d: seq: must be a number from 1 to 2^62", line);
    r->seq = s;
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct agd_inbox_req *, const char *, size_t, int, char *, size_t);
} FIELDS[] = {{"host", field_host}, {"ip", field_ip}, {"key", field_key}, {"seq", field_seq}};
#define N_FIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))

static int one_line(struct agd_inbox_req *r, const char *l, size_t n, int line,
                    unsigned *seen, char *why, size_t whylen)
{
    if (n == 0 || l[0] == '#')
        return 0;
    const char *colon = memchr(l, ':', n);
    if (colon == NULL || colon + 1 >= l + n || colon[1] != ' ')
        return say(why, whylen, "line %d: not a 'field: value' line", line);
    size_t klen = (size_t)(colon - l);
    const char *v = colon + 2;
    size_t vlen = n - klen - 2;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strlen(FIELDS[i].name) != klen || memcmp(FIELDS[i].name, l, klen) != 0)
            continue;
        if (*seen & (1u << i))
            return say(why, whylen, "line %d: %s: given twice", line, FIELDS[i].name);
        *seen |= 1u << i;
        return FIELDS[i].fn(r, v, vlen, line, why, whylen);
    }
    return say(why, whylen, "line %d: unknown field '%.*s' (host, ip, key, seq)", line,
               (int)(klen > 32 ? 32 : klen), l);
}

int agd_inbox_parse(const char *text, size_t len, struct agd_inbox_req *r, char *why,
                    size_t whylen)
{
    memset(r, 0, sizeof(*r));
    r->seq = 1;
    if (len > AGD_INBOX_REQ_MAX)
        return say(why, whylen, "the request is %zu bytes, at most %u allowed", len,
                   AGD_INBOX_REQ_MAX);
    unsigned seen = 0;
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\r')
            return say(why, whylen, "line %d: carriage return (lines end with \\n only)", line);
        if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
            return say(why, whylen, "line %d: control character 0x%02x", line, ch);
        line += ch == '\n';
    }
    line = 1;
    for (const char *p = text, *end = text + len; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (one_line(r, p, n, line, &seen, why, whylen) != 0)
            return -1;
        p += n + (nl != NULL);
    }
    for (size_t i = 0; i < 3; i++)
        if (!(seen & (1u << i)))
            return say(why, whylen, "missing field '%s'", FIELDS[i].name);
    return 0;
}
