/* test_validate_net.c: host names, IPv4 and IPv6 parsing and the RFC 5952
 * text form. Hostile and boundary inputs are one test each, named for the
 * behaviour; the parsers and the formatter are also checked against the C
 * library's inet_pton/inet_ntop on many seeded random cases (the library
 * as the naive reference; the only intended difference is that we refuse
 * IPv4-mapped addresses). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agora/validate.h"

/* A reason is one line of printable ASCII (input bytes are escaped). */
static void assert_one_printable_line(const char *why)
{
    assert_true(strlen(why) > 0);
    for (const char *p = why; *p != '\0'; p++)
        assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void assert_refused_with(int got, int rc, const char *why, const char *part,
                                const char *input)
{
    if (got != rc || strstr(why, part) == NULL)
        print_error("\"%s\": rc %d, reason \"%s\"; wanted %d and \"%s\"\n", input, got, why,
                    rc, part);
    assert_int_equal(got, rc);
    assert_non_null(strstr(why, part));
    assert_one_printable_line(why);
}

/* ---- host names ----------------------------------------------------------------- */

static void host_ok(const char *s)
{
    char why[256] = "";
    int rc = agora_valid_hostname(s, strlen(s), why, sizeof(why));
    if (rc != AGORA_OK)
        print_error("\"%s\" refused: %s\n", s, why);
    assert_int_equal(rc, AGORA_OK);
}

static void host_refused_n(const char *s, size_t len, int rc, const char *part)
{
    char why[256] = "";
    assert_refused_with(agora_valid_hostname(s, len, why, sizeof(why)), rc, why, part, s);
}

static void host_refused(const char *s, const char *part)
{
    host_refused_n(s, strlen(s), AGORA_EINVAL, part);
}

/* n copies of c, NUL-terminated, into buf. */
static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void test_accepts_ordinary_host_names(void **state)
{
    (void)state;
    host_ok("localhost");
    host_ok("node-1");
    host_ok("a");
    host_ok("Node1.Example.COM");
    host_ok("xn--bcher-kva.example");
    host_ok("1node");
    host_ok("123.example");
    host_ok("a-b--c.d0");
    host_ok("cluster-0");
}

static void test_accepts_host_label_of_63_characters(void **state)
{
    char name[80];
    (void)state;
    host_ok(repeat(name, 'a', 63));
    memcpy(name, "x.", 2);
    repeat(name + 2, 'b', 63);
    host_ok(name);
}

static void test_refuses_host_label_of_64_characters(void **state)
{
    char name[80];
    (void)state;
    memcpy(name, "x.", 2);
    repeat(name + 2, 'b', 64);
    host_refused(name, "label 2 ('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...') is 64 "
                       "characters, longer than 63");
}

/* Four labels of 63 and a dot between: 255; trimmed to 253 and 254. */
static void test_accepts_host_name_of_253_characters(void **state)
{
    char name[300];
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        repeat(name + 64 * i, 'a', 63);
        name[64 * i + 63] = '.';
    }
    name[253] = '\0';
    host_ok(name);
}

static void test_refuses_host_name_of_254_characters(void **state)
{
    char name[300];
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        repeat(name + 64 * i, 'a', 63);
        name[64 * i + 63] = '.';
    }
    name[254] = '\0';
    host_refused_n(name, 254, AGORA_ETOOBIG, "host name is 254 bytes, longer than 253");
}

static void test_refuses_100kb_host_name(void **state)
{
    static char name[100 * 1024 + 1];
    (void)state;
    repeat(name, 'a', sizeof(name) - 1);
    host_refused_n(name, sizeof(name) - 1, AGORA_ETOOBIG, "host name is 102400 bytes");
}

static void test_refuses_host_label_ending_with_hyphen(void **state)
{
    (void)state;
    host_refused("bar.foo-.example", "label 2 ('foo-') ends with a hyphen");
    host_refused("node-", "label 1 ('node-') ends with a hyphen");
}

static void test_refuses_host_label_starting_with_hyphen(void **state)
{
    (void)state;
    host_refused("-node", "label 1 ('-node') starts with a hyphen");
    host_refused("a.-", "label 2 ('-') starts with a hyphen");
}

static void test_refuses_host_name_characters_outside_ldh(void **state)
{
    (void)state;
    host_refused("my_host", "character '_' at offset 2 (label 1 'my_host') is not a letter");
    host_refused("a.b c", "character ' ' at offset 3");
    host_refused("h\xc3\xa9llo", "character '\\xc3' at offset 1");
    host_refused("a;rm -rf", "character ';' at offset 1");
    host_refused("a/b", "character '/'");
    host_refused("10.0.0.1:22", "character ':'");
}

static void test_refuses_embedded_newline_in_host_name(void **state)
{
    (void)state;
    host_refused("node1\n10.0.0.66 evil", "character '\\x0a' at offset 5");
    host_refused("node1\r", "character '\\x0d' at offset 5");
}

static void test_refuses_embedded_nul_in_host_name(void **state)
{
    (void)state;
    host_refused_n("node\0evil", 9, AGORA_EINVAL, "character '\\x00' at offset 4");
}

static void test_refuses_empty_host_name_and_empty_labels(void **state)
{
    (void)state;
    host_refused("", "host name is empty");
    host_refused("a..b", "label 2 is empty");
    host_refused(".a", "label 1 is empty");
    host_refused("a.", "label 2 is empty");
    host_refused(".", "label 1 is empty");
}

static void test_refuses_all_numeric_last_label(void **state)
{
    (void)state;
    host_refused("1.2.3.4", "last label ('4') is all digits");
    host_refused("123", "last label ('123') is all digits");
    host_refused("host.123", "last label ('123') is all digits");
    host_refused("999.1.1.1", "all digits");
}

static void test_host_name_reason_may_be_null(void **state)
{
    char why[4] = "zzz";
    (void)state;
    assert_int_equal(agora_valid_hostname("-a", 2, NULL, 0), AGORA_EINVAL);
    assert_int_equal(agora_valid_hostname("-a", 2, why, sizeof(why)), AGORA_EINVAL);
    assert_string_equal(why, "lab");
}

/* ---- IPv4 ------------------------------------------------------------------------- */

static void v4_ok(const char *s, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct agora_ip ip;
    const uint8_t want[16] = {a, b, c, d};
    char why[256] = "";
    int rc = agora_parse_ipv4(s, strlen(s), &ip, why, sizeof(why));
    if (rc != AGORA_OK)
        print_error("\"%s\" refused: %s\n", s, why);
    assert_int_equal(rc, AGORA_OK);
    assert_int_equal(ip.family, 4);
    assert_memory_equal(ip.addr, want, 16); /* unused bytes are zero */
    memset(&ip, 0xee, sizeof(ip));
    assert_int_equal(agora_parse_ip(s, strlen(s), &ip, NULL, 0), AGORA_OK);
    assert_int_equal(ip.family, 4);
    assert_memory_equal(ip.addr, want, 16);
}

static void v4_refused_n(const char *s, size_t len, const char *part)
{
    struct agora_ip ip = {.family = 0};
    char why[256] = "";
    assert_refused_with(agora_parse_ipv4(s, len, &ip, why, sizeof(why)), AGORA_EINVAL, why,
                        part, s);
    assert_int_equal(ip.family, 0); /* untouched */
    assert_int_equal(agora_parse_ip(s, len, &ip, NULL, 0), AGORA_EINVAL);
}

static void v4_refused(const char *s, const char *part)
{
    v4_refused_n(s, strlen(s), part);
}

static void test_accepts_ipv4_addresses(void **state)
{
    (void)state;
    v4_ok("1.2.3.4", 1, 2, 3, 4);
    v4_ok("0.0.0.0", 0, 0, 0, 0);
    v4_ok("255.255.255.255", 255, 255, 255, 255);
    v4_ok("10.0.100.9", 10, 0, 100, 9);
    v4_ok("192.168.1.200", 192, 168, 1, 200);
}

static void test_refuses_ipv4_octet_999(void **state)
{
    (void)state;
    v4_refused("999.1.1.1", "octet 1 ('999') is greater than 255");
}

static void test_refuses_ipv4_octet_256_and_longer(void **state)
{
    (void)state;
    v4_refused("256.0.0.1", "octet 1 ('256') is greater than 255");
    v4_refused("1.2.3.256", "octet 4 ('256') is greater than 255");
    v4_refused("1.1234.1.1", "octet 2 ('1234') is greater than 255");
    v4_refused("1.99999999999999999999999.1.1", "octet 2 ('99999999999999999999999')");
}

static void test_refuses_ipv4_leading_zeros(void **state)
{
    (void)state;
    v4_refused("01.2.3.4", "octet 1 ('01') has a leading zero");
    v4_refused("1.2.3.00", "octet 4 ('00') has a leading zero");
    v4_refused("1.2.3.012", "octet 4 ('012') has a leading zero");
    v4_refused("0x1.2.3.4", "character 'x' at offset 1");
}

static void test_refuses_ipv4_wrong_octet_count(void **state)
{
    (void)state;
    v4_refused("1.2.3", "has 3 octets, needs 4");
    v4_refused("1", "has 1 octets, needs 4");
    v4_refused("1.2.3.4.5", "has more than 4 octets");
    v4_refused("16909060", "octet 1 ('16909060') is greater than 255"); /* inet_aton: ok */
}

static void test_refuses_ipv4_empty_octets(void **state)
{
    (void)state;
    v4_refused("", "address is empty");
    v4_refused("1..3.4", "octet 2 is empty");
    v4_refused(".1.2.3", "octet 1 is empty");
    v4_refused("1.2.3.", "octet 4 is empty");
}

static void test_refuses_ipv4_stray_characters(void **state)
{
    (void)state;
    v4_refused(" 1.2.3.4", "character ' ' at offset 0");
    v4_refused("1.2.3.4 ", "character ' ' at offset 7");
    v4_refused("1.2.3.4\n", "character '\\x0a' at offset 7");
    v4_refused("+1.2.3.4", "character '+' at offset 0");
    v4_refused("1.2.3.-4", "character '-' at offset 6");
    v4_refused("1.2.3.4/24", "character '/' at offset 7");
    v4_refused_n("1.2.3.4\0", 8, "character '\\x00' at offset 7");
}

/* ---- IPv6 ------------------------------------------------------------------------- */

static void v6_ok(const char *s, const char *hex32)
{
    struct agora_ip ip;
    uint8_t want[16];
    char why[256] = "";
    for (size_t i = 0; i < 16; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex32 + 2 * i, "%2x", &v), 1);
        want[i] = (uint8_t)v;
    }
    int rc = agora_parse_ipv6(s, strlen(s), &ip, why, sizeof(why));
    if (rc != AGORA_OK)
        print_error("\"%s\" refused: %s\n", s, why);
    assert_int_equal(rc, AGORA_OK);
    assert_int_equal(ip.family, 6);
    assert_memory_equal(ip.addr, want, 16);
    assert_int_equal(agora_parse_ip(s, strlen(s), &ip, NULL, 0), AGORA_OK);
    assert_int_equal(ip.family, 6);
}

static void v6_refused(const char *s, const char *part)
{
    struct agora_ip ip = {.family = 0};
    char why[256] = "";
    assert_refused_with(agora_parse_ipv6(s, strlen(s), &ip, why, sizeof(why)), AGORA_EINVAL,
                        why, part, s);
    assert_int_equal(ip.family, 0);
    assert_int_equal(agora_parse_ip(s, strlen(s), &ip, NULL, 0), AGORA_EINVAL);
}

static void test_accepts_ipv6_unspecified(void **state)
{
    (void)state;
    v6_ok("::", "00000000000000000000000000000000");
}

static void test_accepts_ipv6_loopback(void **state)
{
    (void)state;
    v6_ok("::1", "00000000000000000000000000000001");
    v6_ok("0:0:0:0:0:0:0:1", "00000000000000000000000000000001");
}

static void test_accepts_ipv6_link_local(void **state)
{
    (void)state;
    v6_ok("fe80::1", "fe800000000000000000000000000001");
    v6_ok("FE80::AbCd", "fe80000000000000000000000000abcd");
}

static void test_accepts_ipv6_full_form(void **state)
{
    (void)state;
    v6_ok("2001:0db8:0000:0000:0000:ff00:0042:8329", "20010db8000000000000ff0000428329");
    v6_ok("2001:db8:0:0:0:ff00:42:8329", "20010db8000000000000ff0000428329");
}

static void test_accepts_ipv6_double_colon_anywhere(void **state)
{
    (void)state;
    v6_ok("1::", "00010000000000000000000000000000");
    v6_ok("1:2:3:4:5:6:7::", "00010002000300040005000600070000");
    v6_ok("::2:3:4:5:6:7:8", "00000002000300040005000600070008");
    v6_ok("1:2::7:8", "00010002000000000000000000070008");
}

static void test_accepts_ipv6_embedded_ipv4(void **state)
{
    (void)state;
    v6_ok("1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304");
    v6_ok("64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221");
    v6_ok("::1.2.3.4", "00000000000000000000000001020304"); /* IPv4-compatible */
}

static void test_refuses_ipv6_too_many_groups(void **state)
{
    (void)state;
    v6_refused("1:2:3:4:5:6:7:8:9", "more than 8 groups");
    v6_refused("1:2:3:4:5:6:7:8::", "'::' stands for no group");
    v6_refused("::1:2:3:4:5:6:7:8", "'::' stands for no group");
    v6_refused("1:2:3:4::5:6:7:8", "'::' stands for no group");
    v6_refused("1:2:3:4:5:6:7:1.2.3.4", "at most 6 may precede it");
}

static void test_refuses_ipv6_too_few_groups(void **state)
{
    (void)state;
    v6_refused("1:2:3:4:5:6:7", "has 7 groups, needs 8 or a '::'");
    v6_refused("1:2:3:4:5:1.2.3.4", "has 7 groups");
    v6_refused("1", "has 1 groups");
}

static void test_refuses_ipv6_multiple_double_colons(void **state)
{
    (void)state;
    v6_refused("1::2::3", "more than one '::' (second at offset 4)");
    v6_refused("::1::", "more than one '::'");
    v6_refused(":::", "empty group at offset 2");
    v6_refused("1:::2", "empty group at offset 3");
}

static void test_refuses_ipv6_zone_ids(void **state)
{
    (void)state;
    v6_refused("fe80::1%eth0", "zone id '%eth0' is not allowed");
    v6_refused("fe80::1%1", "zone id '%1'");
    v6_refused("fe80::1%25eth0", "zone id '%25eth0'");
    v6_refused("fe80::1%", "zone id '%'");
}

static void test_refuses_ipv4_mapped_address(void **state)
{
    (void)state;
    v6_refused("::ffff:1.2.3.4", "IPv4-mapped address refused: give the IPv4 address "
                                 "1.2.3.4 itself");
    v6_refused("::FFFF:10.0.0.1", "10.0.0.1 itself");
    v6_refused("::ffff:102:304", "1.2.3.4 itself");           /* the same, in hex */
    v6_refused("0:0:0:0:0:ffff:0102:0304", "IPv4-mapped");
}

static void test_refuses_ipv6_group_of_five_digits(void **state)
{
    (void)state;
    v6_refused("12345::", "group 1 ('1234...') has more than 4 hex digits");
    v6_refused("1:2:3:4:5:6:7:00000", "group 8 ('0000...') has more than 4 hex digits");
}

static void test_refuses_ipv6_single_colon_at_either_end(void **state)
{
    (void)state;
    v6_refused(":", "starts with a single ':'");
    v6_refused(":1::", "starts with a single ':'");
    v6_refused("1::2:", "ends with a single ':'");
}

static void test_refuses_ipv6_stray_characters(void **state)
{
    (void)state;
    v6_refused("", "address is empty");
    v6_refused("[::1]", "brackets are not part of an address");
    v6_refused("g::1", "character 'g' at offset 0");
    v6_refused("::1 ", "character ' ' at offset 3");
    v6_refused("::1/128", "character '/' at offset 3");
    v6_refused("::1\n", "character '\\x0a' at offset 3");
    v6_refused("1:-2::", "character '-' at offset 2");
}

static void test_refuses_ipv6_bad_embedded_ipv4(void **state)
{
    (void)state;
    v6_refused("::1.2.3", "embedded IPv4 part: has 3 octets, needs 4");
    v6_refused("::1.2.3.256", "embedded IPv4 part: octet 4 ('256') is greater than 255");
    v6_refused("::01.2.3.4", "embedded IPv4 part: octet 1 ('01') has a leading zero");
    v6_refused("::1.2.3.4:5", "embedded IPv4 part: character ':' at offset 9");
    v6_refused("::1.2.3.4::", "embedded IPv4 part: character ':' at offset 9");
    v6_refused("::a.b.c.d", "embedded IPv4 part: character 'a' at offset 2");
}

static void test_parse_ip_picks_the_family(void **state)
{
    struct agora_ip ip;
    char why[128];
    (void)state;
    assert_int_equal(agora_parse_ip("10.1.2.3", 8, &ip, why, sizeof(why)), AGORA_OK);
    assert_int_equal(ip.family, 4);
    assert_int_equal(agora_parse_ip("fd00::3", 7, &ip, why, sizeof(why)), AGORA_OK);
    assert_int_equal(ip.family, 6);
    assert_int_equal(agora_parse_ip("node1", 5, &ip, why, sizeof(why)), AGORA_EINVAL);
    assert_int_equal(agora_parse_ip("::ffff:1.2.3.4", 14, &ip, why, sizeof(why)), AGORA_EINVAL);
}

/* ---- RFC 5952 text -------------------------------------------------------------------- */

/* parse(in), format: want. */
static void formats_as(const char *in, const char *want)
{
    struct agora_ip ip;
    char out[64];
    assert_int_equal(agora_parse_ip(in, strlen(in), &ip, NULL, 0), AGORA_OK);
    assert_int_equal(agora_format_ip(&ip, out, sizeof(out)), AGORA_OK);
    assert_string_equal(out, want);
}

static void test_format_writes_lowercase_hex(void **state)
{
    (void)state;
    formats_as("2001:DB8::AB", "2001:db8::ab");
    formats_as("FE80::ABCD:EF01", "fe80::abcd:ef01");
}

static void test_format_drops_leading_zeros(void **state)
{
    (void)state;
    formats_as("2001:0db8:0001:0010:0100:1000:000a:00b0", "2001:db8:1:10:100:1000:a:b0");
}

static void test_format_compresses_longest_zero_run(void **state)
{
    (void)state;
    formats_as("2001:0db8:0:0:0:0:2:1", "2001:db8::2:1");
    formats_as("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::");
    formats_as("1:0:0:2:0:0:0:3", "1:0:0:2::3");
    formats_as("2001:db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
}

static void test_format_compresses_first_of_equal_runs(void **state)
{
    (void)state;
    formats_as("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    formats_as("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0");
}

static void test_format_leaves_single_zero_group(void **state)
{
    (void)state;
    formats_as("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    formats_as("0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1");
    formats_as("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0");
}

static void test_format_special_addresses(void **state)
{
    (void)state;
    formats_as("0:0:0:0:0:0:0:0", "::");
    formats_as("0:0:0:0:0:0:0:1", "::1");
    formats_as("1:0:0:0:0:0:0:0", "1::");
    formats_as("fe80:0:0:0:0:0:0:1", "fe80::1");
    formats_as("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
    formats_as("::1.2.3.4", "::102:304");
}

static void test_format_ipv4(void **state)
{
    (void)state;
    formats_as("1.2.3.4", "1.2.3.4");
    formats_as("0.0.0.0", "0.0.0.0");
    formats_as("255.255.255.255", "255.255.255.255");
}

static void test_format_ipv4_mapped_in_mixed_notation(void **state)
{
    struct agora_ip ip = {.family = 6, .addr = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                                                 192, 0, 2, 1}};
    char out[64];
    (void)state;
    assert_int_equal(agora_format_ip(&ip, out, sizeof(out)), AGORA_OK);
    assert_string_equal(out, "::ffff:192.0.2.1"); /* RFC 5952 section 5 */
}

static void test_format_refuses_short_buffer(void **state)
{
    struct agora_ip ip;
    char out[64];
    const char *full = "1111:2222:3333:4444:5555:6666:7777:8888";
    (void)state;
    assert_int_equal(agora_parse_ip(full, strlen(full), &ip, NULL, 0), AGORA_OK);
    assert_int_equal(agora_format_ip(&ip, out, 40), AGORA_OK); /* 39 + NUL */
    assert_string_equal(out, full);
    assert_int_equal(agora_format_ip(&ip, out, 39), AGORA_ETOOBIG);
    assert_string_equal(out, "");
    out[0] = 'X';
    assert_int_equal(agora_format_ip(&ip, out, 0), AGORA_ETOOBIG);
    assert_int_equal(out[0], 'X');
    assert_int_equal(agora_parse_ip("1.2.3.4", 7, &ip, NULL, 0), AGORA_OK);
    assert_int_equal(agora_format_ip(&ip, out, 7), AGORA_ETOOBIG);
    assert_int_equal(agora_format_ip(&ip, out, 8), AGORA_OK);
}

static void test_format_refuses_unknown_family(void **state)
{
    struct agora_ip ip = {.family = 5};
    char out[64];
    (void)state;
    assert_int_equal(agora_format_ip(&ip, out, sizeof(out)), AGORA_EINVAL);
}

/* ---- against the C library, on seeded random cases ------------------------------------- */

static uint32_t next_rand(uint32_t *s) /* xorshift32 */
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Random text shaped like an IPv6 address, valid or nearly so. */
static size_t random_v6_text(uint32_t *seed, char *s, size_t cap)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    static const char *const seps[] = {":", ":", ":", ":", "::", ":::", ""};
    size_t o = 0, groups = next_rand(seed) % 10;
    if (next_rand(seed) % 4 == 0)
        o += (size_t)snprintf(s + o, cap - o, "::");
    for (size_t g = 0; g < groups; g++) {
        size_t n = next_rand(seed) % 16 == 0 ? 5 : 1 + next_rand(seed) % 4;
        if (next_rand(seed) % 3 == 0)
            n = 1; /* many zero-ish short groups */
        for (size_t i = 0; i < n && o + 1 < cap; i++)
            s[o++] = next_rand(seed) % 3 == 0 ? '0' : hex[next_rand(seed) % 22];
        if (g + 1 < groups)
            o += (size_t)snprintf(s + o, cap - o, "%s", seps[next_rand(seed) % 7]);
    }
    if (next_rand(seed) % 5 == 0)
        o += (size_t)snprintf(s + o, cap - o, "%s%u.%u.%u.%u", groups ? ":" : "",
                              next_rand(seed) % 300, next_rand(seed) % 256,
                              next_rand(seed) % 256, next_rand(seed) % 260);
    if (next_rand(seed) % 3 == 0)
        o += (size_t)snprintf(s + o, cap - o, "::");
    s[o] = '\0';
    return o;
}

static bool is_mapped(const uint8_t a[16])
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, 12) == 0;
}

static void test_ipv6_parser_agrees_with_inet_pton(void **state)
{
    uint32_t seed = 0x2545f491u;
    size_t valid = 0;
    (void)state;
    for (int n = 0; n < 200000; n++) {
        char s[128];
        uint8_t ref[16];
        struct agora_ip ip;
        size_t len = random_v6_text(&seed, s, sizeof(s));
        bool ref_ok = inet_pton(AF_INET6, s, ref) == 1;
        int rc = agora_parse_ipv6(s, len, &ip, NULL, 0);
        bool want = ref_ok && !is_mapped(ref);
        if ((rc == AGORA_OK) != want)
            print_error("\"%s\": ours %d, inet_pton %d\n", s, rc, ref_ok);
        assert_int_equal(rc == AGORA_OK, want);
        if (want) {
            assert_memory_equal(ip.addr, ref, 16);
            valid++;
        }
    }
    assert_true(valid > 20000); /* the generator hits both sides */
}

/* Random text shaped like a dotted quad: 3 to 5 numbers up to 299, some
 * with leading zeros or empty, and now and then a stray character. */
static size_t random_v4_text(uint32_t *seed, char *s, size_t cap)
{
    static const char stray[] = " x-+/:\n";
    size_t o = 0, parts = 3 + next_rand(seed) % 3;
    if (next_rand(seed) % 4 != 0)
        parts = 4;
    for (size_t k = 0; k < parts; k++) {
        uint32_t r = next_rand(seed);
        unsigned v = (unsigned)(r >> 8) % (r % 2 ? 300 : 10);
        if (r % 13 == 0)
            s[o++] = '0';
        if (r % 17 != 0)
            o += (size_t)snprintf(s + o, cap - o, "%u", v);
        if (k + 1 < parts)
            s[o++] = '.';
    }
    if (next_rand(seed) % 10 == 0)
        s[next_rand(seed) % (o + 1)] = stray[next_rand(seed) % 7];
    s[o] = '\0';
    return o;
}

static void test_ipv4_parser_agrees_with_inet_pton(void **state)
{
    uint32_t seed = 0x1234567u;
    size_t valid = 0;
    (void)state;
    for (int n = 0; n < 200000; n++) {
        char s[32];
        uint8_t ref[4];
        struct agora_ip ip;
        size_t len = random_v4_text(&seed, s, sizeof(s));
        bool ref_ok = inet_pton(AF_INET, s, ref) == 1;
        int rc = agora_parse_ipv4(s, len, &ip, NULL, 0);
        if ((rc == AGORA_OK) != ref_ok)
            print_error("\"%s\": ours %d, inet_pton %d\n", s, rc, ref_ok);
        assert_int_equal(rc == AGORA_OK, ref_ok);
        if (ref_ok) {
            assert_memory_equal(ip.addr, ref, 4);
            valid++;
        }
    }
    assert_true(valid > 20000);
}

/* Random addresses, zero groups likely; the library writes RFC 5952 text
 * too, except ::a.b.c.d (deprecated IPv4-compatible), skipped. */
static void test_format_agrees_with_inet_ntop(void **state)
{
    uint32_t seed = 0xdeadbeefu;
    (void)state;
    for (int n = 0; n < 100000; n++) {
        struct agora_ip ip = {.family = 6};
        char ours[64], ref[INET6_ADDRSTRLEN];
        for (size_t g = 0; g < 8; g++) {
            uint32_t r = next_rand(&seed);
            uint16_t w = r % 2 ? 0 : (uint16_t)(r >> 8) >> (r % 4 * 4);
            ip.addr[2 * g] = (uint8_t)(w >> 8);
            ip.addr[2 * g + 1] = (uint8_t)w;
        }
        static const uint8_t zero12[12] = {0};
        if (memcmp(ip.addr, zero12, 12) == 0 && (ip.addr[12] | ip.addr[13]) != 0)
            continue;
        assert_int_equal(agora_format_ip(&ip, ours, sizeof(ours)), AGORA_OK);
        assert_non_null(inet_ntop(AF_INET6, ip.addr, ref, sizeof(ref)));
        if (strcmp(ours, ref) != 0)
            print_error("ours %s, inet_ntop %s\n", ours, ref);
        assert_string_equal(ours, ref);
        if (!is_mapped(ip.addr)) { /* and it parses back */
            struct agora_ip back;
            assert_int_equal(agora_parse_ip(ours, strlen(ours), &back, NULL, 0), AGORA_OK);
            assert_memory_equal(back.addr, ip.addr, 16);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_ordinary_host_names),
        cmocka_unit_test(test_accepts_host_label_of_63_characters),
        cmocka_unit_test(test_refuses_host_label_of_64_characters),
        cmocka_unit_test(test_accepts_host_name_of_253_characters),
        cmocka_unit_test(test_refuses_host_name_of_254_characters),
        cmocka_unit_test(test_refuses_100kb_host_name),
        cmocka_unit_test(test_refuses_host_label_ending_with_hyphen),
        cmocka_unit_test(test_refuses_host_label_starting_with_hyphen),
        cmocka_unit_test(test_refuses_host_name_characters_outside_ldh),
        cmocka_unit_test(test_refuses_embedded_newline_in_host_name),
        cmocka_unit_test(test_refuses_embedded_nul_in_host_name),
        cmocka_unit_test(test_refuses_empty_host_name_and_empty_labels),
        cmocka_unit_test(test_refuses_all_numeric_last_label),
        cmocka_unit_test(test_host_name_reason_may_be_null),
        cmocka_unit_test(test_accepts_ipv4_addresses),
        cmocka_unit_test(test_refuses_ipv4_octet_999),
        cmocka_unit_test(test_refuses_ipv4_octet_256_and_longer),
        cmocka_unit_test(test_refuses_ipv4_leading_zeros),
        cmocka_unit_test(test_refuses_ipv4_wrong_octet_count),
        cmocka_unit_test(test_refuses_ipv4_empty_octets),
        cmocka_unit_test(test_refuses_ipv4_stray_characters),
        cmocka_unit_test(test_accepts_ipv6_unspecified),
        cmocka_unit_test(test_accepts_ipv6_loopback),
        cmocka_unit_test(test_accepts_ipv6_link_local),
        cmocka_unit_test(test_accepts_ipv6_full_form),
        cmocka_unit_test(test_accepts_ipv6_double_colon_anywhere),
        cmocka_unit_test(test_accepts_ipv6_embedded_ipv4),
        cmocka_unit_test(test_refuses_ipv6_too_many_groups),
        cmocka_unit_test(test_refuses_ipv6_too_few_groups),
        cmocka_unit_test(test_refuses_ipv6_multiple_double_colons),
        cmocka_unit_test(test_refuses_ipv6_zone_ids),
        cmocka_unit_test(test_refuses_ipv4_mapped_address),
        cmocka_unit_test(test_refuses_ipv6_group_of_five_digits),
        cmocka_unit_test(test_refuses_ipv6_single_colon_at_either_end),
        cmocka_unit_test(test_refuses_ipv6_stray_characters),
        cmocka_unit_test(test_refuses_ipv6_bad_embedded_ipv4),
        cmocka_unit_test(test_parse_ip_picks_the_family),
        cmocka_unit_test(test_format_writes_lowercase_hex),
        cmocka_unit_test(test_format_drops_leading_zeros),
        cmocka_unit_test(test_format_compresses_longest_zero_run),
        cmocka_unit_test(test_format_compresses_first_of_equal_runs),
        cmocka_unit_test(test_format_leaves_single_zero_group),
        cmocka_unit_test(test_format_special_addresses),
        cmocka_unit_test(test_format_ipv4),
        cmocka_unit_test(test_format_ipv4_mapped_in_mixed_notation),
        cmocka_unit_test(test_format_refuses_short_buffer),
        cmocka_unit_test(test_format_refuses_unknown_family),
        cmocka_unit_test(test_ipv6_parser_agrees_with_inet_pton),
        cmocka_unit_test(test_ipv4_parser_agrees_with_inet_pton),
        cmocka_unit_test(test_format_agrees_with_inet_ntop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
