/* test_validate_ssh_blob.c: the decoded key blob in agora_parse_sshkey
 * (validate.h): its inner type must match the line's, and each key type's
 * fields must be well formed: ECDSA curve and uncompressed point, Ed25519
 * key length, RSA modulus size and parity and exponent, canonical mpints,
 * security-key application; no field may run past the blob, and no bytes
 * may follow the last one.
 *
 * The keys (made by ssh-keygen, OpenSSH 9.2) and the line and blob builders
 * are sshkey_fixture.h; each refusal checks the return
 * code and the part of the reason that names the offending input. */
#include "sshkey_fixture.h"

#include <stdio.h>

/* A positive mpint from its magnitude (a sign byte added when needed). */
static void put_mpint(struct agora_buf *b, const uint8_t *mag, size_t n)
{
    bool sign = n > 0 && (mag[0] & 0x80);
    put_be32(b, (uint32_t)(n + sign));
    if (sign)
        assert_int_equal(agora_buf_put_u8(b, 0), AGORA_OK);
    assert_int_equal(agora_buf_put(b, mag, n), AGORA_OK);
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

/* ---- the key type and the blob --------------------------------------------------- */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
