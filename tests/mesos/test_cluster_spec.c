/* test_cluster_spec.c: the cluster spec parser (docs/cluster-spec.md): the
 * seed example parses into the seed's five containers; each bad spec of
 * the issue is refused with its JSON path named; task definitions survive
 * the log's JSON; the plan turns the spec into TASK_DESIRED entries. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec.h"

#ifndef SEED_SPEC
#define SEED_SPEC "docs/examples/seed-cluster.json"
#endif

struct lines {
    char all[8192];
    int n;
};

static void keep(void *ctx, const char *line)
{
    struct lines *l = ctx;
    size_t k = strlen(l->all);
    snprintf(l->all + k, sizeof l->all - k, "%s\n", line);
    l->n++;
}

static const char *seed_path(void)
{
    const char *top = getenv("abs_top_srcdir");
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s", top ? top : "../..", SEED_SPEC);
    return p;
}

static void test_seed_example(void **state)
{
    (void)state;
    struct agl_spec *s;
    struct lines l = {{0}, 0};
    assert_int_equal(agl_spec_load(seed_path(), &s, keep, &l), 0);
    assert_int_equal(s->n_tasks, 5);
    for (unsigned i = 0; i < 5; i++) {
        const struct agl_task_def *d = &s->tasks[i];
        char ip[32], id[16], hn[16];
        snprintf(ip, sizeof ip, "192.168.0.10%u", i);
        snprintf(id, sizeof id, "etcd-%u", i);
        snprintf(hn, sizeof hn, "etcd-%u", i);
        assert_string_equal(d->id, id);
        assert_string_equal(d->ip, ip);
        assert_string_equal(d->hostname, "cluster");
        assert_string_equal(d->hosts_name, hn);
        assert_string_equal(d->network, "my_net");
        assert_string_equal(d->image, "etcd_image");
        assert_true(d->cpus > 0.199 && d->cpus < 0.201);
        assert_true(d->mem > 127.9 && d->mem < 128.1);
        assert_int_equal(d->n_volumes, 2);
        assert_string_equal(d->volumes[0].host_path, "/storage2");
        assert_string_equal(d->volumes[0].container_path, "/ssh_info");
        assert_string_equal(d->volumes[1].host_path, "/storage3");
        assert_string_equal(d->volumes[1].container_path, "/home/admin/shared_folder");
        assert_true(d->one_per_agent);
        assert_true(d->primary);
    }
    agl_spec_free(s);
}

#define BASE_APP(extra)                                                                        \
    "{\"networks\":{\"my_net\":{\"subnet\":\"192.168.0.0/24\"}},\"apps\":[{\"id\":\"etcd\","  \
    "\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"etcd_image\"}}" extra "}]}"

static void expect_problem(const char *text, const char *path_and_reason)
{
    struct agl_spec *s = NULL;
    struct lines l = {{0}, 0};
    int rc = agl_spec_parse("bad.json", text, strlen(text), &s, keep, &l);
    if (rc <= 0 || strstr(l.all, path_and_reason) == NULL)
        fail_msg("wanted \"%s\", got rc %d:\n%s", path_and_reason, rc, l.all);
    assert_null(s);
}

static void test_unknown_field(void **state)
{
    (void)state;
    expect_problem(BASE_APP(",\"cpu\":1"), "bad.json: $.apps[0].cpu: unknown field");
    expect_problem("{\"apps\":[],\"colour\":1}", "bad.json: $.colour: unknown field");
    expect_problem("{\"apps\":[{\"id\":\"a\",\"container\":{\"type\":\"DOCKER\","
                   "\"docker\":{\"image\":\"i\",\"imag\":\"j\"}}}]}",
                   "$.apps[0].container.docker.imag: unknown field");
}

static void test_pool_smaller_than_instances(void **state)
{
    (void)state;
    expect_problem(BASE_APP(",\"instances\":5,\"network\":{\"name\":\"my_net\","
                            "\"ipPool\":[\"192.168.0.100-192.168.0.103\"]}"),
                   "$.apps[0].network.ipPool: holds 4 addresses for 5 instances");
}

static void test_negative_cpus(void **state)
{
    (void)state;
    expect_problem(BASE_APP(",\"cpus\":-0.5"), "$.apps[0].cpus: must be > 0");
    expect_problem(BASE_APP(",\"mem\":0"), "$.apps[0].mem: must be > 0");
}

static void test_ip_outside_network(void **state)
{
    (void)state;
    expect_problem(BASE_APP(",\"instances\":2,\"network\":{\"name\":\"my_net\","
                            "\"ipPool\":[\"192.168.0.100\",\"10.0.0.1\"]}"),
                   "$.apps[0].network.ipPool[1]: address 10.0.0.1 is outside network my_net");
}

static void test_more_problems(void **state)
{
    (void)state;
    expect_problem(BASE_APP(",\"instances\":2,\"hostname\":\"cluster\""),
                   "$.apps[0].hostsName: required when hostname");
    expect_problem(BASE_APP(",\"network\":{\"name\":\"other\",\"ipPool\":[\"1.2.3.4\"]}"),
                   "$.apps[0].network.name: network \"other\" is not defined");
    expect_problem(BASE_APP(",\"cmd\":\"a\",\"args\":[\"b\"]"), "$.apps[0].args: give cmd or args");
    expect_problem(BASE_APP(",\"constraints\":[[\"rack\",\"CLUSTER\",\"a\"]]"),
                   "$.apps[0].constraints[0]: unsupported constraint");
    expect_problem("{\"primary\":\"web\",\"apps\":[{\"id\":\"a\",\"container\":{\"type\":"
                   "\"DOCKER\",\"docker\":{\"image\":\"i\"}}}]}", "$.primary: names no app");
    expect_problem("{\"apps\":[", "bad.json: line 1 column");
    expect_problem("{\"networks\":{\"n\":{\"subnet\":\"10.0.0.0/33\"}},\"apps\":[{}]}",
                   "$.networks.n.subnet: prefix length");
}

static void test_seed_check_file(void **state)
{
    (void)state;
    char out[256] = "", err[256] = "";
    FILE *o = fmemopen(out, sizeof out, "w"), *e = fmemopen(err, sizeof err, "w");
    assert_int_equal(agl_spec_check_file(seed_path(), o, e), 0);
    fclose(o);
    fclose(e);
    assert_non_null(strstr(out, "valid: 5 tasks"));
}

static void test_task_def_roundtrip(void **state)
{
    (void)state;
    struct agl_spec *s;
    assert_int_equal(agl_spec_load(seed_path(), &s, NULL, NULL), 0);
    char *json = agl_task_def_to_json(&s->tasks[3]);
    struct agl_task_def d;
    char why[128];
    if (agl_task_def_from_json(json, &d, why, sizeof why) != 0)
        fail_msg("%s: %s", why, json);
    char *again = agl_task_def_to_json(&d);
    assert_string_equal(json, again);
    assert_string_equal(d.ip, "192.168.0.103");
    assert_int_equal(d.n_volumes, 2);
    assert_true(agl_task_def_delay(&d, 1) >= 1.0 && agl_task_def_delay(&d, 2) > 1.1);
    assert_true(agl_task_def_delay(&d, 1000) <= 300.0);
    agl_task_def_clear(&d);
    assert_int_equal(agl_task_def_from_json("{\"id\":1}", &d, why, sizeof why), -1);
    free(json);
    free(again);
    agl_spec_free(s);
}

static int count_cmd(void *ctx, const struct agora_cmd *c)
{
    assert_int_equal(c->kind, AGORA_CMD_TASK_DESIRED);
    (*(int *)ctx)++;
    return 0;
}

static void test_plan(void **state)
{
    (void)state;
    struct agl_spec *s;
    struct agora_sm sm;
    int n = 0;
    agora_sm_init(&sm);
    assert_int_equal(agl_spec_load(seed_path(), &s, NULL, NULL), 0);
    assert_int_equal(agl_spec_plan(s, &sm, count_cmd, &n), 5);
    assert_int_equal(n, 5);
    assert_int_equal(agl_spec_plan(NULL, &sm, count_cmd, &n), 0); /* nothing to stop */
    agl_spec_free(s);
    agora_sm_free(&sm);
}

static void test_check_json_hook(void **state)
{
    (void)state;
    json_t *j = json_loads(BASE_APP(",\"cpus\":-1,\"mem\":-1"), 0, NULL);
    char err[512];
    assert_int_equal(agl_spec_check_json("x.json", j, err, sizeof err), -1);
    assert_non_null(strstr(err, "x.json: $.apps[0].cpus"));
    assert_non_null(strstr(err, "and 1 more problem"));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_example),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_pool_smaller_than_instances),
        cmocka_unit_test(test_negative_cpus),
        cmocka_unit_test(test_ip_outside_network),
        cmocka_unit_test(test_more_problems),
        cmocka_unit_test(test_seed_check_file),
        cmocka_unit_test(test_task_def_roundtrip),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_check_json_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
