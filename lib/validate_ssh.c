/* validate_ssh.c: validates one OpenSSH authorized_keys line before it can
 * reach the shared authorized_keys file. The line is
 *
 *     [options] type base64-blob [comment]
 *
 * (sshd(8), AUTHORIZED_KEYS FILE FORMAT). The blob is decoded and parsed as
 * the SSH wire format (RFC 4251 section 5: uint32 big-endian lengths,
 * strings, mpints) and its structure checked per key type:
 *
 *     ssh-ed25519                         string type, string key[32]
 *     ssh-rsa                             string type, mpint e, mpint n
 *     ecdsa-sha2-nistpN                   string type, string curve, string point
 *     sk-ssh-ed25519@openssh.com          string type, string key[32], string application
 *     sk-ecdsa-sha2-nistp256@openssh.com  string type, string curve, string point,
 *                                         string application
 *
 * (RFC 4253 6.6, RFC 8709 4, RFC 5656 3.1, OpenSSH PROTOCOL.u2f.) What is
 * accepted and why: docs/validation.md. */
#include <stdio.h>
#include <string.h>

#include "agora/base64.h"
#include "agora/validate.h"
#include "why.h"

#define RSA_MIN_BITS 1024             /* OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE */
#define RSA_MAX_BITS 16384            /* OpenSSH's largest bignum, SSHBUF_MAX_BIGNUM */
#define RSA_MAX_E_BYTES 8             /* e < 2^64, OPENSSL_RSA_MAX_PUBEXP_BITS */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ---- text: printable UTF-8 ------------------------------------------------ */

/* Decodes one UTF-8 sequence (RFC 3629: shortest form, no surrogates, at
 * most U+10FFFF) from s[0..n): its length, or 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0; /* continuation byte, or a lead byte of an overlong/too big form */
    }
    if (n < len)
        return 0;
    *cp = s[0] & (0x7fu >> len); /* the lead byte's payload bits */
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

/* Code points that are valid UTF-8 but not printable text: controls, and
 * characters that break lines or reorder what a reader of the file sees. */
static const struct {
    uint32_t lo, hi;
    const char *what;
} refused_cps[] = {
    {0x0000, 0x001f, "a control character"},
    {0x007f, 0x009f, "a control character"},
    {0x061c, 0x061c, "a bidirectional mark"},
    {0x200e, 0x200f, "a bidirectional mark"},
    {0x2028, 0x2029, "a line or paragraph separator"},
    {0x202a, 0x202e, "a bidirectional control"},
    {0x2066, 0x2069, "a bidirectional control"},
};

/* s[0..n) must be printable UTF-8; `what` names it, base is its offset. */
static int check_text(const char *s, size_t n, size_t base, const char *what, char *why,
                      size_t whylen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t l = utf8_next(u + i, n - i, &cp);
        if (l == 0)
            return FAIL(AGORA_EINVAL, "%s is not valid UTF-8 at offset %zu "
                        "(byte 0x%02x)", what, base + i, u[i]);
        for (size_t k = 0; k < sizeof(refused_cps) / sizeof(refused_cps[0]); k++) {
            if (cp >= refused_cps[k].lo && cp <= refused_cps[k].hi)
                return FAIL(AGORA_EINVAL, "%s has %s (U+%04X) at offset %zu",
                            what, refused_cps[k].what, (unsigned)cp, base + i);
        }
        i += l;
    }
    return AGORA_OK;
}

/* ---- the key blob: SSH wire format --------------------------------------- */

struct wire {
    const uint8_t *p;
    size_t len;
    size_t off;
};

/* Reads the string (uint32 big-endian length, bytes) named `field`. */
static int get_string(struct wire *w, const char *field, const uint8_t **s, size_t *n,
                      char *why, size_t whylen)
{
    size_t left = w->len - w->off;

    *s = NULL; /* set on every path, so no caller reads garbage */
    *n = 0;
    if (left < 4)
        return FAIL(AGORA_EINVAL, "key blob ends before the %s", field);
    const uint8_t *p = w->p + w->off;
    uint32_t l = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (l > left - 4)
        return FAIL(AGORA_EINVAL, "key blob truncated: the %s claims %lu "
                    "bytes, %zu are left", field, (unsigned long)l, left - 4);
    *s = p + 4;
    *n = l;
    w->off += 4 + (size_t)l;
    return AGORA_OK;
}

/* Reads an mpint (RFC 4251 5) that must be positive and minimally encoded;
 * *mag, *n get its magnitude without the sign byte (first byte non-zero). */
static int get_positive_mpint(struct wire *w, const char *field, const uint8_t **mag,
                              size_t *n, char *why, size_t whylen)
{
    int rc = get_string(w, field, mag, n, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    const uint8_t *p = *mag;
    if (*n == 0)
        return FAIL(AGORA_EINVAL, "the %s is zero", field);
    if (p[0] & 0x80)
        return FAIL(AGORA_EINVAL, "the %s is negative", field);
    if (p[0] == 0 && (*n == 1 || !(p[1] & 0x80)))
        return FAIL(AGORA_EINVAL, "the %s has a superfluous leading zero "
                    "byte", field);
    if (p[0] == 0) {
        (*mag)++;
        (*n)--;
    }
    return AGORA_OK;
}

static size_t bit_length(const uint8_t *mag, size_t n)
{
    size_t bits = (n - 1) * 8;
    for (uint8_t top = mag[0]; top != 0; top >>= 1)
        bits++;
    return bits;
}

struct key_type;
typedef int (*body_check)(struct wire *w, const struct key_type *t, char *why,
                          size_t whylen);

/* A supported key type: its name, the check of the blob after the inner
 * type string, and for ECDSA the curve and uncompressed point length. */
struct key_type {
    const char *name;
    body_check check;
    const char *curve;
    size_t point_len;
};

/* ssh-rsa (RFC 4253 6.6): e odd, 3 <= e < 2^64; n odd, 1024..16384 bits. */
static int check_rsa(struct wire *w, const struct key_type *t, char *why, size_t whylen)
{
    const uint8_t *e, *n;
    size_t elen, nlen;
    uint64_t ev = 0;
    (void)t;

    int rc = get_positive_mpint(w, "RSA exponent e", &e, &elen, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    rc = get_positive_mpint(w, "RSA modulus n", &n, &nlen, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (elen > RSA_MAX_E_BYTES)
        return FAIL(AGORA_EINVAL, "RSA exponent e has %zu bits, more than 64",
                    bit_length(e, elen));
    for (size_t i = 0; i < elen; i++)
        ev = ev << 8 | e[i];
    if (ev % 2 == 0 || ev < 3)
        return FAIL(AGORA_EINVAL, "RSA exponent e is %llu; it must be odd and "
                    "at least 3", (unsigned long long)ev);
    size_t bits = bit_length(n, nlen);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
        return FAIL(AGORA_EINVAL, "RSA modulus n has %zu bits, outside %d..%d",
                    bits, RSA_MIN_BITS, RSA_MAX_BITS);
    if (n[nlen - 1] % 2 == 0)
        return FAIL(AGORA_EINVAL, "RSA modulus n is even");
    return AGORA_OK;
}

/* Ed25519 public key (RFC 8709 4): exactly 32 bytes. */
static int check_ed25519(struct wire *w, const struct key_type *t, char *why, size_t whylen)
{
    const uint8_t *k;
    size_t n;
    (void)t;

    int rc = get_string(w, "Ed25519 public key", &k, &n, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (n != 32)
        return FAIL(AGORA_EINVAL, "Ed25519 public key is %zu bytes, not 32", n);
    return AGORA_OK;
}

/* ECDSA (RFC 5656 3.1): the curve named in the blob is the type's curve,
 * and the point is uncompressed (SEC 1 2.3.3: 0x04 || x || y). */
static int check_ecdsa(struct wire *w, const struct key_type *t, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    const uint8_t *c, *pt;
    size_t clen, plen;

    int rc = get_string(w, "curve name", &c, &clen, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (clen != strlen(t->curve) || memcmp(c, t->curve, clen) != 0)
        return FAIL(AGORA_EINVAL, "curve '%s' inside the key does not match "
                    "the type '%s'", agora_why_quote(q, c, clen), t->name);
    rc = get_string(w, "ECDSA point", &pt, &plen, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (plen == 0 || pt[0] != 0x04)
        return FAIL(AGORA_EINVAL, "ECDSA point is not in uncompressed form "
                    "(first byte 0x04)");
    if (plen != t->point_len)
        return FAIL(AGORA_EINVAL, "ECDSA point is %zu bytes, %s needs %zu",
                    plen, t->curve, t->point_len);
    return AGORA_OK;
}

/* Security-key types end with the FIDO application string (PROTOCOL.u2f),
 * "ssh:" unless chosen otherwise: non-empty printable ASCII. */
static int check_application(struct wire *w, char *why, size_t whylen)
{
    const uint8_t *a;
    size_t n;

    int rc = get_string(w, "security-key application", &a, &n, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (n == 0)
        return FAIL(AGORA_EINVAL, "security-key application is empty");
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0x20 || a[i] > 0x7e)
            return FAIL(AGORA_EINVAL, "security-key application has byte "
                        "0x%02x, not printable ASCII", a[i]);
    }
    return AGORA_OK;
}

static int check_sk_ed25519(struct wire *w, const struct key_type *t, char *why,
                            size_t whylen)
{
    int rc = check_ed25519(w, t, why, whylen);
    return rc != AGORA_OK ? rc : check_application(w, why, whylen);
}

static int check_sk_ecdsa(struct wire *w, const struct key_type *t, char *why,
                          size_t whylen)
{
    int rc = check_ecdsa(w, t, why, whylen);
    return rc != AGORA_OK ? rc : check_application(w, why, whylen);
}

static const struct key_type key_types[] = {
    {"ssh-ed25519", check_ed25519, NULL, 0},
    {"ssh-rsa", check_rsa, NULL, 0},
    {"ecdsa-sha2-nistp256", check_ecdsa, "nistp256", 65},
    {"ecdsa-sha2-nistp384", check_ecdsa, "nistp384", 97},
    {"ecdsa-sha2-nistp521", check_ecdsa, "nistp521", 133},
    {"sk-ssh-ed25519@openssh.com", check_sk_ed25519, NULL, 0},
    {"sk-ecdsa-sha2-nistp256@openssh.com", check_sk_ecdsa, "nistp256", 65},
};

static const struct key_type *find_type(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
        if (strlen(key_types[i].name) == n && memcmp(key_types[i].name, s, n) == 0)
            return &key_types[i];
    }
    return NULL;
}

/* The decoded blob b[0..n) is a well-formed key of type t, nothing after. */
static int check_blob(const uint8_t *b, size_t n, const struct key_type *t, char *why,
                      size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    struct wire w = {b, n, 0};
    const uint8_t *inner;
    size_t ilen;

    int rc = get_string(&w, "key type", &inner, &ilen, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (ilen != strlen(t->name) || memcmp(inner, t->name, ilen) != 0)
        return FAIL(AGORA_EINVAL, "key type '%s' does not match the type '%s' "
                    "inside the key", t->name, agora_why_quote(q, inner, ilen));
    rc = t->check(&w, t, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (w.off != w.len)
        return FAIL(AGORA_EINVAL, "%zu trailing bytes after the %s key",
                    w.len - w.off, t->name);
    return AGORA_OK;
}

/* ---- the base64 field ----------------------------------------------------- */

static bool is_b64_char(char c) { return is_alnum(c) || c == '+' || c == '/'; }

/* Says why agora_base64_decode refused s[0..n) (at line offset base). */
static int base64_reason(const char *s, size_t n, size_t base, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    const char *pad = memchr(s, '=', n);

    for (size_t i = 0; i < n; i++) {
        if (!is_b64_char(s[i]) && s[i] != '=')
            return FAIL(AGORA_EINVAL, "invalid base64: character '%s' at "
                        "offset %zu is not in the alphabet", agora_why_quote(q, s + i, 1), base + i);
    }
    if (n % 4 != 0)
        return FAIL(AGORA_EINVAL, "invalid base64: length %zu is not a "
                    "multiple of 4", n);
    if (pad != NULL) {
        size_t at = (size_t)(pad - s);
        for (size_t i = at; i < n; i++) {
            if (s[i] != '=' || n - at > 2)
                return FAIL(AGORA_EINVAL, "invalid base64: misplaced '=' "
                            "padding at offset %zu", base + at);
        }
    }
    return FAIL(AGORA_EINVAL, "invalid base64: non-zero bits after the last "
                "byte (not the canonical encoding)");
}

/* Decodes the base64 field s[0..n) and checks the blob against type t. */
static int check_key(const char *s, size_t n, size_t base, const struct key_type *t,
                     char *why, size_t whylen)
{
    struct agora_buf blob;

    agora_buf_init(&blob);
    int rc = agora_base64_decode(s, n, &blob);
    if (rc == AGORA_EINVAL)
        rc = base64_reason(s, n, base, why, whylen);
    else if (rc == AGORA_OK)
        rc = check_blob(blob.data, blob.len, t, why, whylen);
    agora_buf_free(&blob);
    return rc;
}

/* ---- options (sshd(8) AUTHORIZED_KEYS FILE FORMAT) ------------------------ */

/* The options sshd knows. A flag takes no value (and `negatable` ones also
 * come as "no-NAME"); the others take a double-quoted value, and sshd
 * refuses a `once` option given twice. Names are case-insensitive. */
static const struct key_option {
    const char *name;
    bool value, negatable, once;
} key_options[] = {
    {"agent-forwarding", false, true, false}, {"cert-authority", false, false, false},
    {"command", true, false, true},           {"environment", true, false, false},
    {"expiry-time", true, false, false},      {"from", true, false, true},
    {"permitlisten", true, false, false},     {"permitopen", true, false, false},
    {"port-forwarding", false, true, false},  {"principals", true, false, true},
    {"pty", false, true, false},              {"restrict", false, false, false},
    {"touch-required", false, true, false},   {"tunnel", true, false, false},
    {"user-rc", false, true, false},          {"verify-required", false, true, false},
    {"x11-forwarding", false, true, false},
};

_Static_assert(sizeof(key_options) / sizeof(key_options[0]) <= 32,
               "one_option keeps the options seen in a uint32_t");

static bool eq_nocase(const char *s, size_t n, const char *name)
{
    if (strlen(name) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return true;
}

/* The option named s[0..n), or -1. */
static int find_option(const char *s, size_t n)
{
    bool neg = n > 3 && eq_nocase(s, 3, "no-");

    for (size_t i = 0; i < sizeof(key_options) / sizeof(key_options[0]); i++) {
        if (eq_nocase(s, n, key_options[i].name) ||
            (neg && key_options[i].negatable && eq_nocase(s + 3, n - 3, key_options[i].name)))
            return (int)i;
    }
    return -1;
}

/* The quoted value at s[*i] (on the opening quote), for option `name`. Only
 * \" is an escape (as sshd reads it); the text must be printable UTF-8. */
static int option_value(const char *s, size_t n, size_t *i, size_t base, const char *name,
                        char *why, size_t whylen)
{
    char what[64];

    if (*i >= n || s[*i] != '=' || *i + 1 >= n || s[*i + 1] != '"')
        return FAIL(AGORA_EINVAL, "option '%s' needs a value: %s=\"...\"",
                    name, name);
    *i += 2;
    size_t st = *i;
    while (*i < n && s[*i] != '"')
        *i += (s[*i] == '\\' && *i + 1 < n && s[*i + 1] == '"') ? 2 : 1;
    if (*i >= n)
        return FAIL(AGORA_EINVAL, "value of option '%s' has no closing '\"'",
                    name);
    snprintf(what, sizeof(what), "value of option '%s'", name);
    int rc = check_text(s + st, *i - st, base + st, what, why, whylen);
    (*i)++;
    return rc;
}

/* One option at s[*i..); `seen` records the `once` options met so far. */
static int one_option(const char *s, size_t n, size_t *i, size_t base, uint32_t *seen,
                      char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    size_t st = *i;

    while (*i < n && (is_alnum(s[*i]) || s[*i] == '-'))
        (*i)++;
    if (*i == st)
        return FAIL(AGORA_EINVAL, "options: expected an option name at offset "
                    "%zu, found '%s'", base + st, agora_why_quote(q, s + st, *i < n ? 1 : 0));
    int k = find_option(s + st, *i - st);
    if (k < 0)
        return FAIL(AGORA_EINVAL, "unknown key option '%s'",
                    agora_why_quote(q, s + st, *i - st));
    const struct key_option *o = &key_options[k];
    if (!o->value && *i < n && s[*i] == '=')
        return FAIL(AGORA_EINVAL, "option '%s' takes no value", o->name);
    if (!o->value)
        return AGORA_OK;
    if (o->once && (*seen & (1u << k)))
        return FAIL(AGORA_EINVAL, "option '%s' is given twice", o->name);
    *seen |= 1u << k;
    return option_value(s, n, i, base, o->name, why, whylen);
}

/* The options field s[0..n) at line offset base: option{,option}. */
static int check_options(const char *s, size_t n, size_t base, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    uint32_t seen = 0;
    size_t i = 0;

    for (;;) {
        int rc = one_option(s, n, &i, base, &seen, why, whylen);
        if (rc != AGORA_OK)
            return rc;
        if (i == n)
            return AGORA_OK;
        if (s[i] != ',')
            return FAIL(AGORA_EINVAL, "options: unexpected '%s' at offset %zu "
                        "(options are separated by ',')", agora_why_quote(q, s + i, 1), base + i);
        if (++i == n)
            return FAIL(AGORA_EINVAL, "options field ends with ','");
    }
}

/* ---- the line --------------------------------------------------------------- */

struct span {
    size_t off, len;
};

/* The fields of a line; opt.len == 0 when there are no options. */
struct fields {
    struct span opt, type, b64, comment;
    const struct key_type *kt;
};

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len && is_blank(s[i]))
        i++;
    return i;
}

/* End of the field at s[i..): the first blank outside double quotes, as
 * sshd finds the end of the options (\" does not toggle quoting). */
static size_t field_end(const char *s, size_t len, size_t i, bool *unclosed)
{
    bool quoted = false;

    for (; i < len && (quoted || !is_blank(s[i])); i++) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
            i++;
        else if (s[i] == '"')
            quoted = !quoted;
    }
    *unclosed = quoted;
    return i;
}

/* NUL, CR and LF are refused anywhere: each could end or split the line
 * in the rendered file. */
static int check_line_bytes(const char *s, size_t len, char *why, size_t whylen)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0')
            return FAIL(AGORA_EINVAL, "NUL byte at offset %zu", i);
        if (s[i] == '\n')
            return FAIL(AGORA_EINVAL, "line feed at offset %zu (one key, one "
                        "line, no newline)", i);
        if (s[i] == '\r')
            return FAIL(AGORA_EINVAL, "carriage return at offset %zu", i);
    }
    return AGORA_OK;
}

/* Whether the field o[0..n) reads as options rather than as a key type:
 * it has quotes or commas, or starts with the name of an option. */
static bool options_shaped(const char *o, size_t n, bool unclosed)
{
    size_t name = 0;

    while (name < n && (is_alnum(o[name]) || o[name] == '-'))
        name++;
    return unclosed || memchr(o, '"', n) != NULL || memchr(o, ',', n) != NULL ||
           find_option(o, name) >= 0;
}

/* The first field is not a key type: it is options if it reads as options
 * or a key type follows it, else an unsupported type. */
static int split_options(const char *s, size_t len, size_t e1, bool unclosed,
                         bool allow, struct fields *f, char *why, size_t whylen)
{
    char q[AGORA_QUOTE_BUF];
    const char *o = s + f->opt.off;
    bool u2;
    size_t j = skip_blanks(s, len, e1), e2 = field_end(s, len, j, &u2);
    const struct key_type *kt = find_type(s + j, e2 - j);

    if (kt == NULL && !options_shaped(o, f->opt.len, unclosed))
        return FAIL(AGORA_EINVAL, "unsupported key type '%s'",
                    agora_why_quote(q, o, f->opt.len));
    if (!allow)
        return FAIL(AGORA_EINVAL, "key options ('%s') are not allowed",
                    agora_why_quote(q, o, f->opt.len));
    if (unclosed)
        return FAIL(AGORA_EINVAL, "options field has an unclosed '\"'");
    int rc = check_options(o, f->opt.len, f->opt.off, why, whylen);
    if (rc != AGORA_OK)
        return rc;
    if (j == len)
        return FAIL(AGORA_EINVAL, "no key type after the options");
    if (kt == NULL)
        return FAIL(AGORA_EINVAL, "unsupported key type '%s'",
                    agora_why_quote(q, s + j, e2 - j));
    f->type = (struct span){j, e2 - j};
    f->kt = kt;
    return AGORA_OK;
}

/* Splits the line into [options] type base64 [comment]. */
static int split_line(const char *s, size_t len, bool allow, struct fields *f, char *why,
                      size_t whylen)
{
    bool unclosed;
    size_t i = skip_blanks(s, len, 0), e;

    if (i == len)
        return FAIL(AGORA_EINVAL, "line is empty");
    e = field_end(s, len, i, &unclosed);
    f->kt = find_type(s + i, e - i);
    if (f->kt != NULL) {
        f->type = (struct span){i, e - i};
    } else {
        f->opt = (struct span){i, e - i};
        int rc = split_options(s, len, e, unclosed, allow, f, why, whylen);
        if (rc != AGORA_OK)
            return rc;
    }
    i = skip_blanks(s, len, f->type.off + f->type.len);
    if (i == len)
        return FAIL(AGORA_EINVAL, "no base64 key after the type '%s'",
                    f->kt->name);
    for (e = i; e < len && !is_blank(s[e]); e++)
        ;
    f->b64 = (struct span){i, e - i};
    i = skip_blanks(s, len, e);
    for (e = len; e > i && is_blank(s[e - 1]); e--)
        ;
    f->comment = (struct span){i, e - i};
    return AGORA_OK;
}

/* Copies the accepted fields into k. */
static int fill_key(const char *s, const struct fields *f, struct agora_sshkey *k)
{
    if (f->opt.len > 0 && (k->options = agora_strndup(s + f->opt.off, f->opt.len)) == NULL)
        return AGORA_ENOMEM;
    if ((k->type = agora_strndup(f->kt->name, strlen(f->kt->name))) == NULL)
        return AGORA_ENOMEM;
    if ((k->blob_b64 = agora_strndup(s + f->b64.off, f->b64.len)) == NULL)
        return AGORA_ENOMEM;
    if (f->comment.len > 0 &&
        (k->comment = agora_strndup(s + f->comment.off, f->comment.len)) == NULL)
        return AGORA_ENOMEM;
    return AGORA_OK;
}

/* The checks after the line is split (split_options checked the options):
 * the key, then the comment. */
static int check_fields(const char *s, const struct fields *f, char *why, size_t whylen)
{
    int rc = check_key(s + f->b64.off, f->b64.len, f->b64.off, f->kt, why, whylen);
    if (rc == AGORA_OK)
        rc = check_text(s + f->comment.off, f->comment.len, f->comment.off, "comment", why,
                        whylen);
    return rc;
}

int agora_parse_sshkey(const char *line, size_t len, const struct agora_sshkey_policy *pol,
                       struct agora_sshkey *out, char *why, size_t whylen)
{
    size_t max = pol != NULL && pol->max_len > 0 ? pol->max_len : AGORA_SSHKEY_MAX_DEFAULT;
    bool allow = pol != NULL && pol->allow_options;
    struct fields f;

    memset(out, 0, sizeof(*out));
    memset(&f, 0, sizeof(f));
    if (len > max)
        return FAIL(AGORA_ETOOBIG, "line is %zu bytes, longer than the limit %zu",
                    len, max);
    int rc = check_line_bytes(line, len, why, whylen);
    if (rc == AGORA_OK)
        rc = split_line(line, len, allow, &f, why, whylen);
    if (rc == AGORA_OK)
        rc = check_fields(line, &f, why, whylen);
    if (rc == AGORA_OK)
        rc = fill_key(line, &f, out);
    if (rc == AGORA_ENOMEM)
        agora_why_say(why, whylen, "out of memory");
    if (rc != AGORA_OK)
        agora_sshkey_clear(out);
    return rc;
}

void agora_sshkey_clear(struct agora_sshkey *k)
{
    agora_free(k->options);
    agora_free(k->type);
    agora_free(k->blob_b64);
    agora_free(k->comment);
    memset(k, 0, sizeof(*k));
}
