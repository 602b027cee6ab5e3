/* validate_net.c: host names (RFC 1123 section 2.1) and IP addresses (IPv4
 * dotted quad, IPv6 text per RFC 4291 section 2.2) that members and
 * containers submit for the shared hosts file, and the canonical text form
 * (RFC 5952) the renderers write. Every refusal names the offending part;
 * the accepted forms are listed in docs/validation.md. Input is (s, len),
 * never NUL-terminated text, so a NUL byte is just another refused byte. */
#include <stdio.h>
#include <string.h>

#include "agora/validate.h"
#include "why.h"

#define LABEL_MAX 63                  /* RFC 1035 2.3.4, kept by RFC 1123 */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- host names ---------------------------------------------------------- */

/* One label l[0..n), the idx-th (from 1), starting at offset off. */
static int check_label(const char *l, size_t n, unsigned idx, size_t off, char *why,
                       size_t whylen)
{
    char q[AGORA_QUOTE_BUF], c[AGORA_QUOTE_BUF];

    if (n == 0)
        return FAIL(AGORA_EINVAL, "label %u is empty (two dots in a row, or a "
                    "leading or trailing dot)", idx);
    if (n > LABEL_MAX)
        return FAIL(AGORA_EINVAL, "label %u ('%s') is %zu characters, longer "
                    "than %d", idx, agora_why_quote(q, l, n), n, LABEL_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!is_alpha(l[i]) && !is_digit(l[i]) && l[i] != '-')
            return FAIL(AGORA_EINVAL, "character '%s' at offset %zu (label %u "
                        "'%s') is not a letter, digit or hyphen", agora_why_quote(c, l + i, 1),
                        off + i, idx, agora_why_quote(q, l, n));
    }
    if (l[0] == '-')
        return FAIL(AGORA_EINVAL, "label %u ('%s') starts with a hyphen", idx,
                    agora_why_quote(q, l, n));
    if (l[n - 1] == '-')
        return FAIL(AGORA_EINVAL, "label %u ('%s') ends with a hyphen", idx,
                    agora_why_quote(q, l, n));
    return AGORA_OK;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

int agora_valid_hostname(const char *s, size_t len, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    size_t start = 0, n;
    unsigned idx = 1;

    if (len == 0)
        return FAIL(AGORA_EINVAL, "host name is empty");
    if (len > AGORA_HOSTNAME_MAX)
        return FAIL(AGORA_ETOOBIG, "host name is %zu bytes, longer than %d",
                    len, AGORA_HOSTNAME_MAX);
    for (;;) {
        const char *dot = memchr(s + start, '.', len - start);
        n = dot != NULL ? (size_t)(dot - (s + start)) : len - start;
        int rc = check_label(s + start, n, idx, start, why, whylen);
        if (rc != AGORA_OK)
            return rc;
        if (dot == NULL)
            break;
        start += n + 1;
        idx++;
    }
    /* RFC 1123 2.1: the top-level label is never all-numeric, so a name
     * can never be mistaken for a dotted-quad address. */
    if (all_digits(s + start, n))
        return FAIL(AGORA_EINVAL, "last label ('%s') is all digits, so the "
                    "name could be read as an address", agora_why_quote(q, s + start, n));
    return AGORA_OK;
}

/* ---- IPv4 ------------------------------------------------------------------ */

/* Reasons about a dotted quad name its part (`what`, "" for a plain
 * address) and offsets from the start of the whole input (`base`). */
struct quad_ctx {
    const char *what;
    size_t base;
};

/* One octet at s[*i..), the k-th (from 1); advances *i past its digits. */
static int parse_octet(const char *s, size_t len, size_t *i, int k,
                       const struct quad_ctx *cx, uint8_t *out, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    size_t st = *i;
    unsigned v = 0;

    while (*i < len && is_digit(s[*i]))
        (*i)++;
    size_t n = *i - st;
    if (n == 0 && *i < len && s[*i] != '.')
        return FAIL(AGORA_EINVAL, "%scharacter '%s' at offset %zu is not a "
                    "digit or dot", cx->what, agora_why_quote(q, s + *i, 1), cx->base + *i);
    if (n == 0)
        return FAIL(AGORA_EINVAL, "%soctet %d is empty", cx->what, k);
    if (n > 1 && s[st] == '0')
        return FAIL(AGORA_EINVAL, "%soctet %d ('%s') has a leading zero "
                    "(it could be read as octal)", cx->what, k, agora_why_quote(q, s + st, n));
    for (size_t j = st; j < *i && v <= 255; j++)
        v = v * 10 + (unsigned)(s[j] - '0');
    if (v > 255)
        return FAIL(AGORA_EINVAL, "%soctet %d ('%s') is greater than 255",
                    cx->what, k, agora_why_quote(q, s + st, n));
    *out = (uint8_t)v;
    return AGORA_OK;
}

/* Dotted quad s[0..len) into out[4]. */
static int parse_quad(const char *s, size_t len, const struct quad_ctx *cx, uint8_t out[4],
                      char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    size_t i = 0;

    if (len == 0)
        return FAIL(AGORA_EINVAL, "%saddress is empty", cx->what);
    for (int k = 1; k <= 4; k++) {
        int rc = parse_octet(s, len, &i, k, cx, &out[k - 1], why, whylen);
        if (rc != AGORA_OK)
            return rc;
        if (k == 4)
            break;
        if (i == len)
            return FAIL(AGORA_EINVAL, "%shas %d octets, needs 4", cx->what, k);
        if (s[i] != '.')
            return FAIL(AGORA_EINVAL, "%scharacter '%s' at offset %zu is not "
                        "a digit or dot", cx->what, agora_why_quote(q, s + i, 1), cx->base + i);
        i++;
    }
    if (i < len && s[i] == '.')
        return FAIL(AGORA_EINVAL, "%shas more than 4 octets", cx->what);
    if (i < len)
        return FAIL(AGORA_EINVAL, "%scharacter '%s' at offset %zu is not a "
                    "digit or dot", cx->what, agora_why_quote(q, s + i, 1), cx->base + i);
    return AGORA_OK;
}

int agora_parse_ipv4(const char *s, size_t len, struct agora_ip *out, char *why, size_t whylen)
{
    static const struct quad_ctx cx = {"", 0};
    uint8_t a[4];
    int rc = parse_quad(s, len, &cx, a, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    memset(out, 0, sizeof(*out));
    out->family = 4;
    memcpy(out->addr, a, 4);
    return AGORA_OK;
}

/* ---- IPv6 ------------------------------------------------------------------ */

/* Parser state: groups seen so far and where "::" stands (-1: nowhere). */
struct v6 {
    uint16_t g[8];
    size_t ng;
    int gap;
};

/* Forms refused before parsing, with a reason more useful than a bad byte. */
static int v6_precheck(const char *s, size_t len, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    const char *pct = memchr(s, '%', len);

    if (len == 0)
        return FAIL(AGORA_EINVAL, "address is empty");
    if (pct != NULL)
        return FAIL(AGORA_EINVAL, "zone id '%s' is not allowed (a zone only "
                    "means something on one host)",
                    agora_why_quote(q, pct, len - (size_t)(pct - s)));
    if (s[0] == '[')
        return FAIL(AGORA_EINVAL, "brackets are not part of an address");
    if (s[0] == ':' && (len == 1 || s[1] != ':'))
        return FAIL(AGORA_EINVAL, "address starts with a single ':'");
    return AGORA_OK;
}

/* The embedded dotted quad that ends s (RFC 4291 2.2 form 3), at offset st. */
static int v6_tail(const char *s, size_t len, size_t st, struct v6 *v, char *why,
                   size_t whylen)
{
    const struct quad_ctx cx = {"embedded IPv4 part: ", st};
    uint8_t a[4];

    if (v->ng > 6)
        return FAIL(AGORA_EINVAL, "embedded IPv4 part at offset %zu comes "
                    "after %zu groups; at most 6 may precede it", st, v->ng);
    int rc = parse_quad(s + st, len - st, &cx, a, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    v->g[v->ng++] = (uint16_t)(a[0] << 8 | a[1]);
    v->g[v->ng++] = (uint16_t)(a[2] << 8 | a[3]);
    return AGORA_OK;
}

/* One group of 1..4 hex digits at s[*i..); advances *i past it. */
static int v6_group(const char *s, size_t len, size_t *i, struct v6 *v, char *why,
                    size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    size_t st = *i;
    unsigned val = 0;

    if (v->ng == 8)
        return FAIL(AGORA_EINVAL, "more than 8 groups");
    while (*i < len && hex_value(s[*i]) >= 0 && *i - st <= 4)
        val = val * 16 + (unsigned)hex_value(s[(*i)++]);
    if (*i < len && s[*i] == '.') {
        *i = len; /* the dotted quad ends the address */
        return v6_tail(s, len, st, v, why, whylen);
    }
    if (*i - st > 4)
        return FAIL(AGORA_EINVAL, "group %zu ('%s...') has more than 4 hex "
                    "digits", v->ng + 1, agora_why_quote(q, s + st, 4));
    if (*i == st && s[*i] == ':')
        return FAIL(AGORA_EINVAL, "empty group at offset %zu (':::' or a "
                    "second '::')", *i);
    if (*i == st)
        return FAIL(AGORA_EINVAL, "character '%s' at offset %zu is not a hex "
                    "digit, ':' or '.'", agora_why_quote(q, s + *i, 1), *i);
    v->g[v->ng++] = (uint16_t)val;
    return AGORA_OK;
}

/* The separator after a group: ':' or '::' (recorded in v->gap). */
static int v6_sep(const char *s, size_t len, size_t *i, struct v6 *v, char *why,
                  size_t whylen)
{
    char q[AGORA_QUOTE_BUF];

    if (s[*i] != ':')
        return FAIL(AGORA_EINVAL, "character '%s' at offset %zu is not a hex "
                    "digit, ':' or '.'", agora_why_quote(q, s + *i, 1), *i);
    (*i)++;
    if (*i < len && s[*i] == ':') {
        if (v->gap >= 0)
            return FAIL(AGORA_EINVAL, "more than one '::' (second at offset "
                        "%zu)", *i - 1);
        v->gap = (int)v->ng;
        (*i)++;
    } else if (*i == len) {
        return FAIL(AGORA_EINVAL, "address ends with a single ':'");
    }
    return AGORA_OK;
}

/* Expands the groups around "::" into 16 bytes. */
static int v6_expand(const struct v6 *v, uint8_t a[16], char *why, size_t whylen)
{
    uint16_t w[8] = {0};

    if (v->gap < 0 && v->ng != 8)
        return FAIL(AGORA_EINVAL, "has %zu groups, needs 8 or a '::'", v->ng);
    if (v->gap >= 0 && v->ng == 8)
        return FAIL(AGORA_EINVAL, "'::' stands for no group: all 8 are given");
    size_t gap = v->gap < 0 ? v->ng : (size_t)v->gap;
    for (size_t k = 0; k < gap; k++)
        w[k] = v->g[k];
    for (size_t k = gap; k < v->ng; k++)
        w[8 - v->ng + k] = v->g[k];
    for (size_t k = 0; k < 8; k++) {
        a[2 * k] = (uint8_t)(w[k] >> 8);
        a[2 * k + 1] = (uint8_t)w[k];
    }
    return AGORA_OK;
}

static bool is_v4_mapped(const uint8_t a[16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

int agora_parse_ipv6(const char *s, size_t len, struct agora_ip *out, char *why, size_t whylen)
{
    struct v6 v = {.ng = 0, .gap = -1};
    uint8_t a[16];
    size_t i = 0;

    int rc = v6_precheck(s, len, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (len >= 2 && s[0] == ':') { /* leading "::" (a single ':' was refused) */
        v.gap = 0;
        i = 2;
    }
    while (i < len) {
        rc = v6_group(s, len, &i, &v, why, whylen);
        if (rc == AGORA_OK && i < len)
            rc = v6_sep(s, len, &i, &v, why, whylen);
        if (rc != AGORA_OK)
            return rc;
    }
    rc = v6_expand(&v, a, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    /* ::ffff:0:0/96 (RFC 4291 2.5.5.2) is an IPv4 host seen through an IPv6
     * socket: one host, two spellings. Members give the IPv4 address. */
    if (is_v4_mapped(a))
        return FAIL(AGORA_EINVAL, "IPv4-mapped address refused: give the IPv4 "
                    "address %u.%u.%u.%u itself", a[12], a[13], a[14], a[15]);
    memset(out, 0, sizeof(*out));
    out->family = 6;
    memcpy(out->addr, a, 16);
    return AGORA_OK;
}

int agora_parse_ip(const char *s, size_t len, struct agora_ip *out, char *why, size_t whylen)
{
    if (memchr(s, ':', len) != NULL)
        return agora_parse_ipv6(s, len, out, why, whylen);
    return agora_parse_ipv4(s, len, out, why, whylen);
}

/* ---- canonical text ------------------------------------------------------- */

/* The longest run of two or more zero groups, the first of equal ones
 * (RFC 5952 4.2.1-4.2.3); *run = 0 when there is none. */
static void longest_zero_run(const uint16_t w[8], size_t *start, size_t *run)
{
    *start = 0;
    *run = 0;
    for (size_t k = 0; k < 8;) {
        size_t n = 0;
        while (k + n < 8 && w[k + n] == 0)
            n++;
        if (n >= 2 && n > *run) {
            *start = k;
            *run = n;
        }
        k += n > 0 ? n : 1;
    }
}

/* RFC 5952 text of a[16] into d (at least 46 bytes). */
static void format_v6(const uint8_t a[16], char *d, size_t dlen)
{
    uint16_t w[8];
    size_t start, run, o = 0;

    if (is_v4_mapped(a)) { /* RFC 5952 section 5 */
        snprintf(d, dlen, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        return;
    }
    for (size_t k = 0; k < 8; k++)
        w[k] = (uint16_t)(a[2 * k] << 8 | a[2 * k + 1]);
    longest_zero_run(w, &start, &run);
    d[0] = '\0';
    for (size_t k = 0; k < 8; k++) {
        if (run > 0 && k == start) {
            o += (size_t)snprintf(d + o, dlen - o, "::");
            k += run - 1;
            continue;
        }
        bool colon = k > 0 && !(run > 0 && k == start + run);
        o += (size_t)snprintf(d + o, dlen - o, "%s%x", colon ? ":" : "", (unsigned)w[k]);
    }
}

int agora_format_ip(const struct agora_ip *ip, char *out, size_t outlen)
{
    char tmp[64];

    if (ip->family == 4)
        snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", ip->addr[0], ip->addr[1], ip->addr[2],
                 ip->addr[3]);
    else if (ip->family == 6)
        format_v6(ip->addr, tmp, sizeof(tmp));
    else
        return AGORA_EINVAL;
    size_t n = strlen(tmp);
    if (n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return AGORA_ETOOBIG;
    }
    memcpy(out, tmp, n + 1);
    return AGORA_OK;
}
