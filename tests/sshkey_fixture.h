/* sshkey_fixture.h: keys made by ssh-keygen and SSH wire-format builders
 * (test_validate_ssh_*.c). Everything is static inline or a static const
 * table. */
#ifndef AGORA_TESTS_SSHKEY_FIXTURE_H
#define AGORA_TESTS_SSHKEY_FIXTURE_H

#include "core_fixture.h"

/* What test_validate_ssh_*.c feed agora_parse_sshkey: real keys, lines
 * built around them, and key blobs built from the SSH wire format. */
#include <stdlib.h>

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

/* ---- helpers --------------------------------------------------------------------- */

static const struct agora_sshkey_policy ALLOW_OPTIONS = {.allow_options = true, .max_len = 0};

/* A reason is one line of printable ASCII (input bytes are escaped). */
static inline void assert_one_printable_line(const char *why)
{
    assert_true(strlen(why) > 0);
    for (const char *p = why; *p != '\0'; p++)
        assert_true(*p >= 0x20 && *p <= 0x7e);
}

static inline void assert_key_empty(const struct agora_sshkey *k)
{
    assert_null(k->options);
    assert_null(k->type);
    assert_null(k->blob_b64);
    assert_null(k->comment);
}

/* line[0..len) is refused with rc and a reason containing `part`. */
static inline void refused_n(const char *line, size_t len, const struct agora_sshkey_policy *pol,
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

static inline void refused(const char *line, const char *part)
{
    refused_n(line, strlen(line), NULL, AGORA_EINVAL, part);
}

static inline void refused_allowing_options(const char *line, const char *part)
{
    refused_n(line, strlen(line), &ALLOW_OPTIONS, AGORA_EINVAL, part);
}

/* line is accepted; k must be cleared by the caller. */
static inline void accepted(const char *line, const struct agora_sshkey_policy *pol,
                            struct agora_sshkey *k)
{
    char why[256] = "";

    int rc = agora_parse_sshkey(line, strlen(line), pol, k, why, sizeof(why));
    if (rc != AGORA_OK)
        print_error("refused: %s\n", why);
    assert_int_equal(rc, AGORA_OK);
}

/* The second field of a generated line, as a NUL-terminated copy. */
static inline char *field2(const char *line)
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
static inline void blob_of(const char *line, struct agora_buf *out)
{
    char *b64 = field2(line);
    agora_buf_init(out);
    assert_int_equal(agora_base64_decode(b64, strlen(b64), out), AGORA_OK);
    free(b64);
}

/* SSH wire format writers (RFC 4251 5: big-endian). */
static inline void put_be32(struct agora_buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    assert_int_equal(agora_buf_put(b, p, 4), AGORA_OK);
}

static inline void put_string(struct agora_buf *b, const void *p, size_t n)
{
    put_be32(b, (uint32_t)n);
    assert_int_equal(agora_buf_put(b, p, n), AGORA_OK);
}

static inline void put_cstring(struct agora_buf *b, const char *s)
{
    put_string(b, s, strlen(s));
}

/* "prefix base64(blob)suffix" as a malloc'd string. */
static inline char *make_line(const char *prefix, const struct agora_buf *blob, const char *suffix)
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

/* The 32-byte Ed25519 key and the 65-byte P-256 point of the real keys. */
static inline void ed25519_pk(uint8_t pk[32])
{
    struct agora_buf b;
    blob_of(KEY_ED25519, &b);
    memcpy(pk, b.data + b.len - 32, 32);
    agora_buf_free(&b);
}

static inline void p256_point(uint8_t pt[65])
{
    struct agora_buf b;
    blob_of(KEY_ECDSA256, &b);
    memcpy(pt, b.data + b.len - 65, 65);
    agora_buf_free(&b);
}

/* PROTOCOL.u2f: string type, string key, string application. */
static inline void sk_ed25519_blob(struct agora_buf *b, size_t keylen, const char *app)
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
static inline void sk_ecdsa_blob(struct agora_buf *b, const char *curve, const char *app)
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
static inline char *with_comment(const char *comment)
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

#endif
