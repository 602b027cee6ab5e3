/* test_validate_ssh_result.c: what agora_parse_sshkey (validate.h) gives
 * back whatever the input: a reason that escapes hostile bytes and fits any
 * buffer (or none), a result that agora_sshkey_clear clears twice safely,
 * and, for seeded random edits of real lines, only OK (with a type and a
 * blob) or EINVAL with one printable line.
 *
 * The keys (made by ssh-keygen, OpenSSH 9.2) and the line and blob builders
 * are sshkey_fixture.h; each refusal checks the return
 * code and the part of the reason that names the offending input. */
#include "sshkey_fixture.h"

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
        cmocka_unit_test(test_reason_escapes_hostile_bytes),
        cmocka_unit_test(test_reason_may_be_null_or_short),
        cmocka_unit_test(test_clear_is_idempotent),
        cmocka_unit_test(test_mutated_lines_never_misbehave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
