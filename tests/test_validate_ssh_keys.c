/* test_validate_ssh_keys.c: which keys agora_parse_sshkey (validate.h)
 * accepts: real keys of every supported type (Ed25519, RSA, ECDSA, and
 * security keys built from the wire format), with or without a comment,
 * with blanks around the fields, up to the length limit; and which key
 * types it refuses (DSA, certificates, anything unknown or missing).
 *
 * The keys (made by ssh-keygen, OpenSSH 9.2) and the line and blob builders
 * are sshkey_fixture.h; each refusal checks the return
 * code and the part of the reason that names the offending input. */
#include "sshkey_fixture.h"

#include <stdio.h>

/* ---- real keys are accepted ------------------------------------------------------ */

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

/* ---- the key type ---------------------------------------------------------------- */

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
        cmocka_unit_test(test_refuses_unsupported_key_types),
        cmocka_unit_test(test_refuses_bare_base64_without_type),
        cmocka_unit_test(test_refuses_empty_or_blank_line),
        cmocka_unit_test(test_refuses_type_without_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
