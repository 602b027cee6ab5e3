/* test_validate_ssh_line.c: the bytes of an authorized_keys line in
 * agora_parse_sshkey (validate.h): no line feed, carriage return or NUL
 * anywhere; strict base64 (alphabet, length, padding, trailing bits); a
 * length limit; and a comment of valid UTF-8 without control characters,
 * line separators or bidirectional controls.
 *
 * The keys (made by ssh-keygen, OpenSSH 9.2) and the line and blob builders
 * are sshkey_fixture.h; each refusal checks the return
 * code and the part of the reason that names the offending input. */
#include "sshkey_fixture.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_embedded_newline),
        cmocka_unit_test(test_refuses_trailing_newline),
        cmocka_unit_test(test_refuses_carriage_return),
        cmocka_unit_test(test_refuses_nul_in_comment),
        cmocka_unit_test(test_refuses_nul_in_base64),
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
