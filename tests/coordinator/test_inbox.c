/* test_inbox.c: the inbox request format (coordinator/inbox_req.c) and the
 * volfile parser of brick discovery (coordinator/discover.c): valid input,
 * and each hostile input refused with a reason that names the problem. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "inbox_req.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOAK1OJnniKMUyRdoUAlcNUIa/dYo/5rDfzXnLMGUysL c1"

static int parse(const char *text, struct agd_inbox_req *r, char *why)
{
    return agd_inbox_parse(text, strlen(text), r, why, 512);
}

static void valid_request(void **state)
{
    struct agd_inbox_req r;
    char why[512] = "";
    (void)state;
    assert_int_equal(parse("# a comment\nhost: web-1\nip: 2001:DB8::1\n\nkey: " KEY "\n"
                           "seq: 7\n", &r, why), 0);
    assert_string_equal(r.host, "web-1");
    assert_string_equal(r.ip, "2001:db8::1"); /* canonical */
    assert_string_equal(r.key, KEY);
    assert_int_equal(r.seq, 7);
    assert_int_equal(parse("host: a\nip: 10.0.0.1\nkey: " KEY, &r, why), 0);
    assert_int_equal(r.seq, 1); /* default; no final newline needed */
}

static void bad_requests(void **state)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"host: a\nip: 10.0.0.1\n", "missing field 'key'"},
        {"host: a\nip: 10.0.0.300\nkey: " KEY "\n", "line 2: ip:"},
        {"host: -bad\nip: 10.0.0.1\nkey: " KEY "\n", "line 1: host:"},
        {"host: a\nip: 10.0.0.1\nkey: ssh-ed25519 AAAA!!\n", "line 3: key:"},
        {"host: a\nip: 10.0.0.1\nkey: command=\"sh\" " KEY "\n", "line 3: key: key options"},
        {"host: a\nip: 10.0.0.1\nkey: " KEY "\nssh-rsa AAAAB3 evil\n",
         "line 4: not a 'field: value' line"},
        {"host: a\r\nip: 10.0.0.1\nkey: " KEY "\n", "line 1: carriage return"},
        {"host: a\nhost: b\nip: 10.0.0.1\nkey: " KEY "\n", "line 2: host: given twice"},
        {"host: a\nip: 10.0.0.1\nkey: " KEY "\nuser: root\n", "line 4: unknown field 'user'"},
        {"host: a\nip: 10.0.0.1\nkey: " KEY "\nseq: 0\n", "line 4: seq:"},
        {"host: a\x01\nip: 10.0.0.1\nkey: " KEY "\n", "line 1: control character 0x01"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agd_inbox_req r;
        char why[512] = "";
        assert_int_equal(parse(cases[i].text, &r, why), -1);
        if (strstr(why, cases[i].why) == NULL)
            fail_msg("case %zu: '%s' does not contain '%s'", i, why, cases[i].why);
    }
}

static void oversize_and_names(void **state)
{
    struct agd_inbox_req r;
    char why[512] = "", *big = malloc(AGD_INBOX_REQ_MAX + 2);
    (void)state;
    memset(big, '#', AGD_INBOX_REQ_MAX + 1);
    big[AGD_INBOX_REQ_MAX + 1] = '\0';
    assert_int_equal(parse(big, &r, why), -1);
    assert_non_null(strstr(why, "at most 4096"));
    free(big);
    assert_int_equal(agd_inbox_name_ok("web-1", why, sizeof(why)), 0);
    assert_int_equal(agd_inbox_name_ok("-x", why, sizeof(why)), -1);
    assert_int_equal(agd_inbox_name_ok("a/b", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not a valid member id"));
}

static const char VOLFILE[] =
    "volume av-client-0\n"
    "    type protocol/client\n"
    "    option remote-host 10.77.0.1\n"
    "    option remote-subvolume /bricks/b1\n"
    "    option username u1\n"
    "    option password p1  \n"
    "end-volume\n\n"
    "volume av-client-1\n"
    "    type protocol/client\n"
    "    option remote-subvolume /bricks/b2\n"
    "    option remote-host 10.77.0.2\n"
    "end-volume\n"
    "volume av-replicate-0\n"
    "    type cluster/replicate\n"
    "    option remote-host not-a-brick\n"
    "    subvolumes av-client-0 av-client-1\n"
    "end-volume\n";

static void volfile_bricks(void **state)
{
    struct agd_brick b[AGD_MAX_BRICKS];
    char err[256];
    (void)state;
    assert_int_equal(agd_volfile_bricks(VOLFILE, b, AGD_MAX_BRICKS, err, sizeof(err)), 2);
    assert_string_equal(b[0].host, "10.77.0.1");
    assert_string_equal(b[0].path, "/bricks/b1");
    assert_string_equal(b[0].username, "u1");
    assert_string_equal(b[0].password, "p1");
    assert_string_equal(b[1].host, "10.77.0.2");
    assert_null(b[1].password);
    for (int i = 0; i < 2; i++) {
        free(b[i].host);
        free(b[i].path);
        free(b[i].username);
        free(b[i].password);
    }
    assert_int_equal(agd_volfile_bricks("volume x\n type protocol/client\n"
                                        " option remote-host h\nend-volume\n",
                                        b, AGD_MAX_BRICKS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "without remote-subvolume"));
    assert_int_equal(agd_volfile_bricks("", b, AGD_MAX_BRICKS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no protocol/client"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_request),
        cmocka_unit_test(bad_requests),
        cmocka_unit_test(oversize_and_names),
        cmocka_unit_test(volfile_bricks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
