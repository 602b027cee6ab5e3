/* test_config.c: every rule of agorad.json (coordinator/conf*.c,
 * agorad.json(5)). Each case patches one field of a valid file and checks
 * the exact message: file, field path and reason. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "log.h"

#define KEY1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOAK1OJnniKMUyRdoUAlcNUIa/dYo/5rDfzXnLMGUysL user1@host"

static char dir[256];
static char cfg_path[300];

static void put_file(const char *name, const char *text, mode_t mode)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    unlink(p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/agd-config-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(cfg_path, sizeof(cfg_path), "%s/agorad.json", dir);
    put_file("id.pub", KEY1 "\n", 0644);
    put_file("opts.pub", "command=\"/bin/sh\" " KEY1 "\n", 0644);
    put_file("two.pub", KEY1 "\n" KEY1 "\n", 0644);
    put_file("bad.pub", "ssh-ed25519 AAAA!!!\n", 0644);
    put_file("cluster.key", "0123456789abcdef0123456789abcdef\n", 0600);
    put_file("open.key", "0123456789abcdef0123456789abcdef\n", 0644);
    put_file("short.key", "short\n", 0600);
    put_file("notexec", "#!/bin/sh\n", 0644);
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/cluster.key", dir);
    snprintf(b, sizeof(b), "%s/link.key", dir);
    unlink(b);
    assert_int_equal(symlink(a, b), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"id.pub", "opts.pub", "two.pub", "bad.pub", "cluster.key",
                           "open.key", "short.key", "link.key", "notexec", "agorad.json"};
    char p[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

/* A valid file; relative paths are relative to its folder. */
static const char *BASE =
    "{\"id\": 1, \"name\": \"host1\", \"hostname\": \"host1.example\", \"ip\": \"10.0.0.1\","
    " \"ssh_public_key_file\": \"id.pub\", \"key_file\": \"cluster.key\","
    " \"volume\": {\"name\": \"agora\", \"servers\": [\"host1\", \"10.0.0.2\"]}}";

/* Writes BASE with patch merged in (top-level keys replaced) and `drop`
 * (comma-separated top-level keys) removed, then loads it. */
static int load(const char *patch, const char *drop, struct agd_config *c, char *err, size_t n)
{
    json_error_t je;
    json_t *root = json_loads(BASE, 0, &je);
    assert_non_null(root);
    if (patch != NULL) {
        json_t *p = json_loads(patch, 0, &je);
        if (p == NULL)
            fail_msg("bad patch %s: %s", patch, je.text);
        json_object_update(root, p);
        json_decref(p);
    }
    char keys[256];
    snprintf(keys, sizeof(keys), "%s", drop != NULL ? drop : "");
    for (char *k = strtok(keys, ","); k != NULL; k = strtok(NULL, ","))
        json_object_del(root, k);
    assert_int_equal(json_dump_file(root, cfg_path, 0), 0);
    json_decref(root);
    return agd_config_load(cfg_path, c, err, n);
}

static void expect_error(const char *patch, const char *drop, const char *want)
{
    struct agd_config c;
    char err[AGD_CONFIG_ERR_MAX] = "";
    int rc = load(patch, drop, &c, err, sizeof(err));
    char full[1024];
    snprintf(full, sizeof(full), "%s: %s", cfg_path, want);
    if (rc == 0 || strcmp(err, full) != 0)
        fail_msg("patch %s\n  want: %s\n  got:  %s", patch ? patch : "-", full,
                 rc == 0 ? "(accepted)" : err);
    agd_config_free(&c);
}

static void test_defaults(void **state)
{
    (void)state;
    struct agd_config c;
    char err[AGD_CONFIG_ERR_MAX] = "";
    if (load(NULL, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(c.id, 1);
    assert_string_equal(c.name, "host1");
    assert_string_equal(c.ip, "10.0.0.1");
    assert_string_equal(c.ssh_key, KEY1);
    assert_int_equal(c.lease_ms, AGD_DEF_LEASE_MS);
    assert_int_equal(c.heartbeat_ms, AGD_DEF_HEARTBEAT_MS);
    assert_int_equal(c.member_ttl_ms, 5000);
    assert_int_equal(c.drift_permille, AGD_DEF_DRIFT_PERMILLE);
    assert_int_equal(c.launcher, AGD_LAUNCHER_LOCAL);
    assert_int_equal(c.log_level, AGD_INFO);
    assert_null(c.leader_argv);
    assert_null(c.cluster_spec);
    assert_string_equal(c.volume, "agora");
    assert_int_equal(c.n_servers, 2);
    assert_string_equal(c.servers[1], "10.0.0.2");
    char want[512];
    snprintf(want, sizeof(want), "%s/cluster.key", dir);
    assert_string_equal(c.key_file, want);
    agd_config_free(&c);
}

static void test_full(void **state)
{
    (void)state;
    struct agd_config c;
    char err[AGD_CONFIG_ERR_MAX] = "";
    int rc = load("{\"ip\": \"2001:DB8:0:0:0:0:0:1\", \"lease_ms\": 2000, \"heartbeat_ms\": 200,"
                  " \"member_ttl_ms\": 1000, \"drift_permille\": 20,"
                  " \"leader_command\": {\"argv\": [\"sleep\", \"1000\"], \"grace_ms\": 500,"
                  " \"margin_ms\": 100}, \"cluster_spec\": \"/etc/agora/cluster.json\","
                  " \"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m1:5050,m2:5050\","
                  " \"role\": \"ops/agora\", \"failover_timeout_s\": 3600},"
                  " \"log_level\": \"debug\", \"history_log\": \"h.jsonl\","
                  " \"bricks\": [{\"host\": \"h1\", \"path\": \"/b/1\"},"
                  " {\"host\": \"10.0.0.2\", \"path\": \"/b/2\"}, {\"host\": \"h1\", \"path\": \"/b/3\"}]}",
                  "volume", &c, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_string_equal(c.ip, "2001:db8::1");
    assert_int_equal(c.lease_ms, 2000);
    assert_int_equal(agd_config_lease_span_ms(&c), 1960);
    assert_string_equal(c.leader_argv[0], "sleep");
    assert_string_equal(c.leader_argv[1], "1000");
    assert_null(c.leader_argv[2]);
    assert_int_equal(c.grace_ms, 500);
    assert_int_equal(c.margin_ms, 100);
    assert_int_equal(c.launcher, AGD_LAUNCHER_MESOS);
    assert_string_equal(c.mesos.masters, "http://m1:5050,m2:5050");
    assert_string_equal(c.mesos.role, "ops/agora");
    assert_null(c.mesos.user);
    assert_int_equal(c.mesos.failover_timeout_s, 3600);
    assert_int_equal(c.log_level, AGD_DEBUG);
    assert_null(c.volume);
    assert_int_equal(agd_config_n_bricks(&c), 3);
    assert_string_equal(c.bricks[2].path, "/b/3");
    char want[512];
    snprintf(want, sizeof(want), "%s/h.jsonl", dir);
    assert_string_equal(c.history_log, want);
    agd_config_free(&c);
}

static void test_syntax(void **state)
{
    (void)state;
    struct agd_config c;
    char err[AGD_CONFIG_ERR_MAX], want[600];
    FILE *f = fopen(cfg_path, "w");
    fputs("{\"id\": 1,\n \"name\": }\n", f);
    fclose(f);
    assert_int_equal(agd_config_load(cfg_path, &c, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: line 2 column 10: not valid JSON:", cfg_path);
    assert_memory_equal(err, want, strlen(want));
    f = fopen(cfg_path, "w");
    fputs("{\"id\": 1, \"id\": 2}", f);
    fclose(f);
    assert_int_equal(agd_config_load(cfg_path, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "duplicate object key"));
    f = fopen(cfg_path, "w");
    fputs("{\"name\": \"a\\u0000b\"}", f); /* a NUL would cut the string */
    fclose(f);
    assert_int_equal(agd_config_load(cfg_path, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not valid JSON: "));
    assert_non_null(strstr(err, "u0000 is not allowed"));
    f = fopen(cfg_path, "w");
    fputs("[1]", f);
    fclose(f);
    assert_int_equal(agd_config_load(cfg_path, &c, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: the top level must be a JSON object", cfg_path);
    assert_string_equal(err, want);
    snprintf(want, sizeof(want), "%s/none.json", dir);
    assert_int_equal(agd_config_load(want, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "none.json: cannot open"));
    assert_non_null(strstr(err, "No such file"));
}

struct bad {
    const char *patch;
    const char *drop;
    const char *want;
};

static const struct bad BAD[] = {
    /* unknown fields, at every level */
    {"{\"lease\": 3000}", NULL, "field 'lease': unknown field"},
    {"{\"volume\": {\"name\": \"v\", \"servers\": [\"h\"], \"replica\": 3}}", NULL,
     "field 'volume.replica': unknown field"},
    {"{\"bricks\": [{\"host\": \"h\", \"path\": \"/b\", \"port\": 1}]}", "volume",
     "field 'bricks[0].port': unknown field"},
    {"{\"leader_command\": {\"argv\": [\"true\"], \"timeout\": 1}}", NULL,
     "field 'leader_command.timeout': unknown field"},
    /* id */
    {NULL, "id", "field 'id': missing (an integer between 1 and 4294967295)"},
    {"{\"id\": 0}", NULL, "field 'id': must be between 1 and 4294967295, got 0"},
    {"{\"id\": 4294967296}", NULL, "field 'id': must be between 1 and 4294967295, got 4294967296"},
    {"{\"id\": \"1\"}", NULL, "field 'id': must be an integer between 1 and 4294967295, got \"1\""},
    {"{\"id\": 1.5}", NULL, "field 'id': must be an integer between 1 and 4294967295, got 1.5"},
    /* name */
    {NULL, "name", "field 'name': missing (a string)"},
    {"{\"name\": \"\"}", NULL, "field 'name': must not be empty"},
    {"{\"name\": 7}", NULL, "field 'name': must be a string, got 7"},
    {"{\"name\": \"-x\"}", NULL, NULL},
    /* hostname, ip */
    {NULL, "hostname", "field 'hostname': missing (a string)"},
    {"{\"hostname\": \"bad_host\"}", NULL, NULL},
    {"{\"ip\": \"10.0.0.256\"}", NULL, NULL},
    {"{\"ip\": \"host1\"}", NULL, NULL},
    /* ssh key */
    {NULL, "ssh_public_key_file", "field 'ssh_public_key_file': missing (a string)"},
    {"{\"ssh_public_key_file\": \"none.pub\"}", NULL, NULL},
    {"{\"ssh_public_key_file\": \"opts.pub\"}", NULL, NULL},
    {"{\"ssh_public_key_file\": \"two.pub\"}", NULL, NULL},
    {"{\"ssh_public_key_file\": \"bad.pub\"}", NULL, NULL},
    /* cluster key */
    {NULL, "key_file", "field 'key_file': missing (a string)"},
    {"{\"key_file\": \"open.key\"}", NULL, NULL},
    {"{\"key_file\": \"short.key\"}", NULL, NULL},
    {"{\"key_file\": \"link.key\"}", NULL, NULL},
    {"{\"key_file\": \".\"}", NULL, NULL},
    {"{\"key_file\": \"none.key\"}", NULL, NULL},
    /* volume / bricks */
    {"{\"bricks\": [{\"host\": \"h\", \"path\": \"/b\"}]}", NULL,
     "field 'bricks': give either 'volume' or 'bricks', not both"},
    {NULL, "volume", "field 'volume': missing (or give 'bricks')"},
    {"{\"volume\": \"agora\"}", NULL,
     "field 'volume': must be an object with \"name\" and \"servers\", got \"agora\""},
    {"{\"volume\": {\"servers\": [\"h\"]}}", NULL, "field 'volume.name': missing (a string)"},
    {"{\"volume\": {\"name\": \"a/b\", \"servers\": [\"h\"]}}", NULL,
     "field 'volume.name': must be letters, digits, '-', '_' or '.', starting with a letter or digit"},
    {"{\"volume\": {\"name\": \"v\"}}", NULL,
     "field 'volume.servers': missing (an array of host names or IPs)"},
    {"{\"volume\": {\"name\": \"v\", \"servers\": []}}", NULL,
     "field 'volume.servers': must be an array of 1 to 16 host names or IPs, got []"},
    {"{\"volume\": {\"name\": \"v\", \"servers\": [\"h\", 5]}}", NULL,
     "field 'volume.servers[1]': must be a string, got 5"},
    {"{\"volume\": {\"name\": \"v\", \"servers\": [\"h\", \"-h\"]}}", NULL, NULL},
    {"{\"bricks\": []}", "volume", "field 'bricks': must be an array of 1 to 7 bricks, got []"},
    {"{\"bricks\": [1,2,3,4,5,6,7,8]}", "volume",
     "field 'bricks': must be an array of 1 to 7 bricks, got [1,2,3,4,5,6,7,8]"},
    {"{\"bricks\": [\"h:/b\"]}", "volume",
     "field 'bricks[0]': must be an object with \"host\" and \"path\", got \"h:/b\""},
    {"{\"bricks\": [{\"path\": \"/b\"}]}", "volume", "field 'bricks[0].host': missing (a string)"},
    {"{\"bricks\": [{\"host\": \"h\"}]}", "volume", "field 'bricks[0].path': missing (a string)"},
    {"{\"bricks\": [{\"host\": \"h\", \"path\": \"b\"}]}", "volume",
     "field 'bricks[0].path': must be an absolute path"},
    {"{\"bricks\": [{\"host\": \"h\", \"path\": \"/b/../c\"}]}", "volume",
     "field 'bricks[0].path': must not contain a '..' component"},
    {"{\"bricks\": [{\"host\": \"h\", \"path\": \"/b\\n\"}]}", "volume",
     "field 'bricks[0].path': must not contain control characters"},
    {"{\"bricks\": [{\"host\": \"h\", \"path\": \"/b\"}, {\"host\": \"h\", \"path\": \"/b\"}]}",
     "volume", "field 'bricks[1]': the same brick as bricks[0]"},
    {"{\"bricks\": [{\"host\": \"h..x\", \"path\": \"/b\"}]}", "volume", NULL},
    /* timing */
    {"{\"lease_ms\": 5}", NULL, "field 'lease_ms': must be between 100 and 60000, got 5"},
    {"{\"lease_ms\": 60001}", NULL, "field 'lease_ms': must be between 100 and 60000, got 60001"},
    {"{\"lease_ms\": -1}", NULL, "field 'lease_ms': must be between 100 and 60000, got -1"},
    {"{\"heartbeat_ms\": 5}", NULL, "field 'heartbeat_ms': must be between 10 and 30000, got 5"},
    {"{\"heartbeat_ms\": 1600}", NULL,
     "field 'heartbeat_ms': must be at most half of lease_ms (1500), got 1600"},
    {"{\"member_ttl_ms\": 99}", NULL,
     "field 'member_ttl_ms': must be between 100 and 3600000, got 99"},
    {"{\"member_ttl_ms\": 900}", NULL,
     "field 'member_ttl_ms': must be at least twice heartbeat_ms (1000), got 900"},
    {"{\"drift_permille\": 0}", NULL, "field 'drift_permille': must be between 1 and 500, got 0"},
    {"{\"drift_permille\": 501}", NULL,
     "field 'drift_permille': must be between 1 and 500, got 501"},
    {"{\"lease_ms\": true}", NULL,
     "field 'lease_ms': must be an integer between 100 and 60000, got true"},
    /* leader command */
    {"{\"leader_command\": [\"sleep\"]}", NULL,
     "field 'leader_command': must be an object with \"argv\", got [\"sleep\"]"},
    {"{\"leader_command\": {}}", NULL, "field 'leader_command.argv': missing (an array of strings)"},
    {"{\"leader_command\": {\"argv\": []}}", NULL,
     "field 'leader_command.argv': must be an array of 1 to 256 strings, got []"},
    {"{\"leader_command\": {\"argv\": [\"\"]}}", NULL,
     "field 'leader_command.argv[0]': must not be empty"},
    {"{\"leader_command\": {\"argv\": [\"sleep\", 1]}}", NULL,
     "field 'leader_command.argv[1]': must be a string, got 1"},
    {"{\"leader_command\": {\"argv\": [\"/nonexistent/jupyter\"]}}", NULL,
     "field 'leader_command.argv[0]': /nonexistent/jupyter is not an executable file"},
    {"{\"leader_command\": {\"argv\": [\"sleep\"], \"grace_ms\": 60001}}", NULL,
     "field 'leader_command.grace_ms': must be between 0 and 60000, got 60001"},
    {"{\"leader_command\": {\"argv\": [\"sleep\"], \"margin_ms\": 5}}", NULL,
     "field 'leader_command.margin_ms': must be between 10 and 10000, got 5"},
    {"{\"leader_command\": {\"argv\": [\"sleep\"], \"grace_ms\": 2200}}", NULL,
     "field 'leader_command.grace_ms': grace_ms + margin_ms + heartbeat_ms must be below the "
     "lease less the drift margin (2850 ms), got 2900 ms"},
    /* the rest */
    {"{\"launcher\": \"docker\"}", NULL, "field 'launcher': must be \"local\" or \"mesos\""},
    /* mesos (the masters' syntax is agl_masters_check's: test_agorad_config.sh) */
    {"{\"launcher\": \"mesos\"}", NULL,
     "field 'mesos.masters': missing: \"launcher\": \"mesos\" needs \"mesos\": {\"masters\": "
     "\"http://host:port,...\" or \"zk://host:port,.../path\"}"},
    {"{\"launcher\": \"mesos\", \"mesos\": {}}", NULL,
     "field 'mesos.masters': missing (a string: \"http://host:port,...\" or "
     "\"zk://host:port,.../path\")"},
    {"{\"mesos\": {\"masters\": \"http://m:5050\"}}", NULL,
     "field 'mesos': given, but \"launcher\" is \"local\": set \"launcher\": \"mesos\", or "
     "remove \"mesos\""},
    {"{\"launcher\": \"mesos\", \"mesos\": \"http://m:5050\"}", NULL,
     "field 'mesos': must be an object with \"masters\", got \"http://m:5050\""},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": [\"m:5050\"]}}", NULL,
     "field 'mesos.masters': must be a string, got [\"m:5050\"]"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\", \"zk\": 1}}", NULL,
     "field 'mesos.zk': unknown field"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m :5050\"}}", NULL,
     "field 'mesos.masters': must not contain spaces"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\", \"user\": \"a:b\"}}",
     NULL, "field 'mesos.user': must not contain ':'"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\", \"role\": \"a//b\"}}",
     NULL, "field 'mesos.role': \"a//b\": a role path has an empty component"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\", \"role\": \"-a\"}}",
     NULL, "field 'mesos.role': \"-a\": a role must not start with '-'"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\", \"role\": \"a/..\"}}",
     NULL, "field 'mesos.role': \"a/..\": '.' and '..' are not roles"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\", \"role\": \"a*\"}}",
     NULL, "field 'mesos.role': \"a*\": '*' is only valid as the whole role"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\","
     " \"framework_name\": \"a\\tb\"}}", NULL,
     "field 'mesos.framework_name': must not contain control characters"},
    {"{\"launcher\": \"mesos\", \"mesos\": {\"masters\": \"http://m:5050\","
     " \"failover_timeout_s\": 59}}", NULL,
     "field 'mesos.failover_timeout_s': must be between 60 and 31536000, got 59"},
    {"{\"launcher\": \"mesos\", \"lease_ms\": 40000, \"heartbeat_ms\": 500,"
     " \"mesos\": {\"masters\": \"http://m:5050\", \"failover_timeout_s\": 60}}", NULL,
     "field 'mesos.failover_timeout_s': must be at least twice lease_ms (80 s), got 60"},
    {"{\"log_level\": \"verbose\"}", NULL,
     "field 'log_level': must be one of \"error\", \"warning\", \"notice\", \"info\", \"debug\""},
    {"{\"cluster_spec\": \"\"}", NULL, "field 'cluster_spec': must not be empty"},
    {"{\"history_log\": []}", NULL, "field 'history_log': must be a string, got []"},
};

/* Cases whose reason comes from a validator or the OS: only the field is
 * fixed here (the reason is the validator's own, tested with it). */
static const struct {
    const char *patch;
    const char *prefix;
} BAD_PREFIX[] = {
    {"{\"name\": \"-x\"}", "field 'name': "},
    {"{\"hostname\": \"bad_host\"}", "field 'hostname': "},
    {"{\"ip\": \"10.0.0.256\"}", "field 'ip': "},
    {"{\"ip\": \"host1\"}", "field 'ip': "},
    {"{\"ssh_public_key_file\": \"none.pub\"}", "field 'ssh_public_key_file': cannot open "},
    {"{\"ssh_public_key_file\": \"opts.pub\"}", "field 'ssh_public_key_file': "},
    {"{\"ssh_public_key_file\": \"two.pub\"}", "field 'ssh_public_key_file': "},
    {"{\"ssh_public_key_file\": \"bad.pub\"}", "field 'ssh_public_key_file': "},
    {"{\"key_file\": \"open.key\"}", "field 'key_file': "},
    {"{\"key_file\": \"short.key\"}", "field 'key_file': "},
    {"{\"key_file\": \"link.key\"}", "field 'key_file': "},
    {"{\"key_file\": \".\"}", "field 'key_file': "},
    {"{\"key_file\": \"none.key\"}", "field 'key_file': "},
    {"{\"volume\": {\"name\": \"v\", \"servers\": [\"h\", \"-h\"]}}", "field 'volume.servers[1]': "},
    {"{\"bricks\": [{\"host\": \"h..x\", \"path\": \"/b\"}]}", "field 'bricks[0].host': "},
};

static void test_bad_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        if (BAD[i].want != NULL)
            expect_error(BAD[i].patch, BAD[i].drop, BAD[i].want);
    }
}

static void test_bad_values_prefix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(BAD_PREFIX) / sizeof(BAD_PREFIX[0]); i++) {
        struct agd_config c;
        char err[AGD_CONFIG_ERR_MAX] = "", want[600];
        const char *drop = strstr(BAD_PREFIX[i].patch, "bricks") ? "volume" : NULL;
        int rc = load(BAD_PREFIX[i].patch, drop, &c, err, sizeof(err));
        snprintf(want, sizeof(want), "%s: %s", cfg_path, BAD_PREFIX[i].prefix);
        if (rc == 0 || strncmp(err, want, strlen(want)) != 0 || strlen(err) <= strlen(want))
            fail_msg("patch %s\n  want: %s...\n  got:  %s", BAD_PREFIX[i].patch, want,
                     rc == 0 ? "(accepted)" : err);
        print_message("  %s\n", err + strlen(cfg_path) + 2);
    }
}

/* client_socket: absent -> agorad.sock in $RUNTIME_DIRECTORY, else
 * /run/agora; false -> none; relative -> from the file's folder; it must fit
 * a sockaddr_un (107 bytes) and name a file. */
static void test_client_socket(void **state)
{
    (void)state;
    struct agd_config c;
    char err[AGD_CONFIG_ERR_MAX] = "", want[600];
    const char *saved = getenv("RUNTIME_DIRECTORY");
    char *keep = saved != NULL ? strdup(saved) : NULL;
    unsetenv("RUNTIME_DIRECTORY");
    if (load(NULL, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(c.client_socket, "/run/agora/agorad.sock");
    agd_config_free(&c);
    setenv("RUNTIME_DIRECTORY", "/run/agora-test", 1);
    if (load(NULL, NULL, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(c.client_socket, "/run/agora-test/agorad.sock");
    agd_config_free(&c);
    if (load("{\"client_socket\": false}", NULL, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_null(c.client_socket);
    agd_config_free(&c);
    if (load("{\"client_socket\": \"c.sock\"}", NULL, &c, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    snprintf(want, sizeof(want), "%s/c.sock", dir);
    assert_string_equal(c.client_socket, want);
    agd_config_free(&c);
    char longdir[200], patch[300];
    memset(longdir, 'd', 120);
    longdir[120] = '\0';
    setenv("RUNTIME_DIRECTORY", longdir, 1);
    snprintf(want, sizeof(want), "field 'client_socket': the default %s/agorad.sock is 132 bytes "
             "long, a unix socket path holds at most 107", longdir);
    expect_error(NULL, NULL, want);
    snprintf(patch, sizeof(patch), "{\"client_socket\": \"/%s\"}", longdir);
    snprintf(want, sizeof(want), "field 'client_socket': /%s is 121 bytes long, a unix socket "
             "path holds at most 107", longdir);
    expect_error(patch, NULL, want);
    if (keep != NULL)
        setenv("RUNTIME_DIRECTORY", keep, 1);
    else
        unsetenv("RUNTIME_DIRECTORY");
    free(keep);
    expect_error("{\"client_socket\": true}", NULL,
                 "field 'client_socket': must be a path or false, got true");
    expect_error("{\"client_socket\": 3}", NULL,
                 "field 'client_socket': must be a path or false, got 3");
    expect_error("{\"client_socket\": \"\"}", NULL, "field 'client_socket': must not be empty");
    expect_error("{\"client_socket\": \"/run/agora/\"}", NULL,
                 "field 'client_socket': /run/agora/ names a folder, not a socket");
}

/* The specific reasons of the file checks. */
static void test_file_reasons(void **state)
{
    (void)state;
    struct agd_config c;
    char err[AGD_CONFIG_ERR_MAX];
    assert_int_equal(load("{\"key_file\": \"open.key\"}", NULL, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "mode 0644, must be 0600 or stricter"));
    assert_int_equal(load("{\"key_file\": \"link.key\"}", NULL, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(load("{\"key_file\": \"short.key\"}", NULL, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must hold 16 to 1024 bytes of key, has 6 bytes"));
    assert_int_equal(load("{\"key_file\": \".\"}", NULL, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(load("{\"ssh_public_key_file\": \"opts.pub\"}", NULL, &c, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "not one valid SSH public key line"));
    assert_int_equal(load("{\"ssh_public_key_file\": \"two.pub\"}", NULL, &c, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "not one valid SSH public key line"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_full),
        cmocka_unit_test(test_syntax),     cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_values_prefix), cmocka_unit_test(test_file_reasons),
        cmocka_unit_test(test_client_socket),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
