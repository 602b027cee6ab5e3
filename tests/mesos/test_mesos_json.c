/* test_mesos_json.c: the Mesos JSON the scheduler builds and parses
 * (mesos-v1-notes.md 1-4), Location parsing for 307s, and the pure parts of
 * ZooKeeper discovery (leader pick, MasterInfo address, zk:// URLs), and
 * the master list's check (agl_masters_check: agorad.json's mesos.masters). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "mesos_json.h"
#include "zk_discovery.h"

static struct agl_spec *seed(void)
{
    static const char text[] =
        "{\"primary\":\"etcd\",\"networks\":{\"my_net\":{\"subnet\":\"192.168.0.0/24\"}},"
        "\"apps\":[{\"id\":\"etcd\",\"instances\":2,\"cpus\":0.2,\"mem\":128,"
        "\"hostname\":\"cluster\",\"hostsName\":\"etcd-{index}\",\"env\":{\"A\":\"1\"},"
        "\"args\":[\"run\",\"--x\"],\"taskKillGracePeriodSeconds\":3,"
        "\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"etcd_image\"},"
        "\"volumes\":[{\"hostPath\":\"/storage2\",\"containerPath\":\"/ssh_info\","
        "\"mode\":\"RO\"}]},"
        "\"network\":{\"name\":\"my_net\",\"ipPool\":[\"192.168.0.100-192.168.0.101\"]}}]}";
    struct agl_spec *s = NULL;
    assert_int_equal(agl_spec_parse("t.json", text, strlen(text), &s, NULL, NULL), 0);
    return s;
}

static const char *param(json_t *docker, const char *key)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(docker, "parameters"), i, p) {
        if (strcmp(json_string_value(json_object_get(p, "key")), key) == 0)
            return json_string_value(json_object_get(p, "value"));
    }
    return NULL;
}

static void test_task_info(void **state)
{
    (void)state;
    struct agl_spec *s = seed();
    json_t *t = agl_mj_task_info(&s->tasks[1], "M-S4");
    json_t *c = json_object_get(t, "container"), *d = json_object_get(c, "docker");

    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "task_id"),
                                                          "value")), "etcd-1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "agent_id"),
                                                          "value")), "M-S4");
    assert_string_equal(json_string_value(json_object_get(c, "type")), "DOCKER");
    assert_string_equal(json_string_value(json_object_get(d, "image")), "etcd_image");
    assert_string_equal(json_string_value(json_object_get(d, "network")), "USER");
    assert_string_equal(param(d, "ip"), "192.168.0.101");
    assert_string_equal(param(d, "hostname"), "cluster");
    assert_null(param(d, "name"));
    json_t *ni = json_array_get(json_object_get(c, "network_infos"), 0);
    assert_string_equal(json_string_value(json_object_get(ni, "name")), "my_net");
    assert_int_equal(json_array_size(json_object_get(c, "network_infos")), 1);
    json_t *v = json_array_get(json_object_get(c, "volumes"), 0);
    assert_string_equal(json_string_value(json_object_get(v, "host_path")), "/storage2");
    assert_string_equal(json_string_value(json_object_get(v, "container_path")), "/ssh_info");
    assert_string_equal(json_string_value(json_object_get(v, "mode")), "RO");
    json_t *cmd = json_object_get(t, "command");
    assert_true(json_is_false(json_object_get(cmd, "shell")));
    assert_null(json_object_get(cmd, "value"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(cmd, "arguments"), 1)),
                        "--x");
    json_t *var = json_array_get(json_object_get(json_object_get(cmd, "environment"),
                                                 "variables"), 0);
    assert_string_equal(json_string_value(json_object_get(var, "name")), "A");
    json_t *res = json_object_get(t, "resources");
    assert_true(json_is_real(json_object_get(json_object_get(json_array_get(res, 0), "scalar"),
                                             "value")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
                         t, "kill_policy"), "grace_period"), "nanoseconds")),
                     3000000000LL);
    json_decref(t);
    agl_spec_free(s);
}

static void test_subscribe_calls(void **state)
{
    (void)state;
    struct agl_fwinfo fw = {"root", "agora", "*", NULL, "h1", NULL, 604800.0};
    json_t *c = agl_mj_subscribe(&fw);
    assert_null(json_object_get(c, "framework_id"));
    json_t *info = json_object_get(json_object_get(c, "subscribe"), "framework_info");
    assert_true(json_is_true(json_object_get(info, "checkpoint")));
    assert_true(json_is_real(json_object_get(info, "failover_timeout")));
    assert_null(json_object_get(info, "id"));
    json_decref(c);
    fw.id = "F-0001";
    c = agl_mj_subscribe(&fw);
    info = json_object_get(json_object_get(c, "subscribe"), "framework_info");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "framework_id"),
                                                          "value")), "F-0001");
    assert_string_equal(json_string_value(json_object_get(json_object_get(info, "id"),
                                                          "value")), "F-0001");
    json_decref(c);
    c = agl_mj_ack("F", "A", "T", "q83vEjRWeJCrze8SNFZ4kA==");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "acknowledge"),
                                                          "uuid")), "q83vEjRWeJCrze8SNFZ4kA==");
    json_decref(c);
    c = agl_mj_decline("F", json_pack("[{s:s}]", "value", "O1"), 300.0);
    assert_true(json_real_value(json_object_get(json_object_get(json_object_get(
                    c, "decline"), "filters"), "refuse_seconds")) == 300.0);
    json_decref(c);
    c = agl_mj_reconcile("F", NULL);
    assert_int_equal(json_array_size(json_object_get(json_object_get(c, "reconcile"), "tasks")),
                     0);
    json_decref(c);
}

static void parse(const char *text, struct agl_event *ev)
{
    char why[128];
    if (agl_mj_parse_event(text, strlen(text), ev, why, sizeof why) != 0)
        fail_msg("%s", why);
}

static void test_events(void **state)
{
    (void)state;
    struct agl_event ev;
    parse("{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":\"F\"},"
          "\"heartbeat_interval_seconds\":15.0}}", &ev);
    assert_int_equal(ev.type, AGL_EV_SUBSCRIBED);
    assert_string_equal(ev.framework_id, "F");
    assert_true(ev.heartbeat_s == 15.0);
    agl_mj_event_free(&ev);
    parse("{\"type\":\"OFFERS\",\"offers\":{\"offers\":[{\"id\":{\"value\":\"O1\"},"
          "\"agent_id\":{\"value\":\"S1\"},\"hostname\":\"a1\",\"resources\":["
          "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":7.5}},"
          "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":300}}]}]}}", &ev);
    assert_int_equal(ev.n_offers, 1);
    assert_string_equal(ev.offers[0].agent_id, "S1");
    assert_true(ev.offers[0].cpus == 7.5 && ev.offers[0].mem == 300);
    agl_mj_event_free(&ev);
    parse("{\"type\":\"UPDATE\",\"update\":{\"status\":{\"task_id\":{\"value\":\"t\"},"
          "\"state\":\"TASK_RUNNING\",\"agent_id\":{\"value\":\"S1\"},\"uuid\":\"abc=\","
          "\"container_status\":{\"network_infos\":[{\"name\":\"n\",\"ip_addresses\":"
          "[{\"ip_address\":\"10.0.0.3\"}]}]}}}}", &ev);
    assert_int_equal(ev.status.state, AGORA_TASK_RUNNING);
    assert_string_equal(ev.status.uuid, "abc=");
    assert_string_equal(ev.status.ip, "10.0.0.3");
    agl_mj_event_free(&ev);
    parse("{\"type\":\"ERROR\",\"error\":{\"message\":\"Framework failed over\"}}", &ev);
    assert_string_equal(ev.error, "Framework failed over");
    agl_mj_event_free(&ev);
    parse("{\"type\":\"ERROR\",\"message\":\"old form\"}", &ev);
    assert_string_equal(ev.error, "old form");
    agl_mj_event_free(&ev);
    parse("{\"type\":\"INVERSE_OFFERS\",\"x\":1}", &ev);
    assert_int_equal(ev.type, AGL_EV_UNKNOWN);
    agl_mj_event_free(&ev);
    char why[64];
    assert_int_equal(agl_mj_parse_event("{\"x\":1}", 7, &ev, why, sizeof why), -1);
    assert_int_equal(agl_mj_parse_event("{\"type\":\"UPDATE\"}", 17, &ev, why, sizeof why), -1);
}

static void test_location(void **state)
{
    (void)state;
    char hp[64];
    assert_int_equal(agl_mj_location_hostport("//10.0.0.1:5050/api/v1/scheduler", hp,
                                              sizeof hp), 0);
    assert_string_equal(hp, "10.0.0.1:5050");
    assert_int_equal(agl_mj_location_hostport("//m2:5050", hp, sizeof hp), 0);
    assert_string_equal(hp, "m2:5050");
    assert_int_equal(agl_mj_location_hostport("http://m3:5051", hp, sizeof hp), 0);
    assert_string_equal(hp, "m3:5051");
    assert_int_equal(agl_mj_location_hostport("", hp, sizeof hp), -1);
}

static void test_zk_pure(void **state)
{
    (void)state;
    const char *kids[] = {"log_replicas", "json.info_0000000012", "info_0000000001",
                          "json.info_0000000010"};
    assert_string_equal(agl_zk_pick_leader(kids, 4), "json.info_0000000010");
    assert_null(agl_zk_pick_leader(kids, 1));
    char hp[64], hosts[128], path[64], why[128];
    const char *mi = "{\"id\":\"x\",\"hostname\":\"m1\",\"port\":5050,"
                     "\"address\":{\"hostname\":\"m1\",\"ip\":\"10.0.0.1\",\"port\":5050}}";
    assert_int_equal(agl_zk_master_address(mi, strlen(mi), hp, sizeof hp), 0);
    assert_string_equal(hp, "10.0.0.1:5050");
    assert_int_equal(agl_zk_master_address("{}", 2, hp, sizeof hp), -1);
    assert_int_equal(agl_zk_parse_url("zk://a:2181,b:2181/mesos", hosts, sizeof hosts, path,
                                      sizeof path, why, sizeof why), 0);
    assert_string_equal(hosts, "a:2181,b:2181");
    assert_string_equal(path, "/mesos");
    assert_int_equal(agl_zk_parse_url("zk://u:p@a:2181/mesos", hosts, sizeof hosts, path,
                                      sizeof path, why, sizeof why), 0);
    assert_string_equal(hosts, "a:2181");
    assert_int_equal(agl_zk_parse_url("zk://a:2181/", hosts, sizeof hosts, path, sizeof path,
                                      why, sizeof why), -1);
    assert_int_equal(agl_zk_parse_url("http://a/", hosts, sizeof hosts, path, sizeof path, why,
                                      sizeof why), -1);
}

/* Every list the launcher takes passes; each bad one is refused with the
 * reason agorad prints after "field 'mesos.masters': ". */
static void test_masters_check(void **state)
{
    (void)state;
    static const char *const good[] = {
        "http://10.0.0.1:5050", "http://m1:5050,m2:5050,http://m3:5051/",
        "http://[::1]:5050", "http://master-1.example.org:5050",
        "zk://z1:2181,z2:2181,10.0.0.3:2181/mesos", "zk://u:p@z1:2181/mesos/a",
    };
    static const struct {
        const char *masters, *why;
    } bad[] = {
        {"", "no masters (\"http://h:p,...\" or \"zk://...\")"},
        {"https://m:5050", "masters \"https://m:5050\": expected http:// or zk://"},
        {"http://", "no master given"},
        {"http://m", "master \"m\" is not host:port"},
        {"http://m:5050,m2", "master \"m2\" is not host:port"},
        {"http://m:0", "bad address \"m:0\": port not in 1..65535"},
        {"http://m:50x", "bad address \"m:50x\": port not in 1..65535"},
        {"http://:5050", "bad address \":5050\": no host"},
        {"zk://z1:2181/", "\"zk://z1:2181/\": expected zk://host:port[,...]/path, path not /"},
        {"zk://z1:2181", "\"zk://z1:2181\": expected zk://host:port[,...]/path, path not /"},
        {"zk://z1/mesos", "bad address \"z1\": expected host:port"},
        {"zk://z1:2181,,z2:2181/mesos",
         "\"zk://z1:2181,,z2:2181/mesos\": an empty ZooKeeper server"},
    };
    char why[256];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (agl_masters_check(good[i], why, sizeof why) != 0)
            fail_msg("%s refused: %s", good[i], why);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why[0] = '\0';
        if (agl_masters_check(bad[i].masters, why, sizeof why) == 0)
            fail_msg("%s accepted", bad[i].masters);
        if (strcmp(why, bad[i].why) != 0)
            fail_msg("%s\n  want: %s\n  got:  %s", bad[i].masters, bad[i].why, why);
    }
    assert_int_equal(agl_masters_check("http://m_1:5050", why, sizeof why), -1);
    assert_non_null(strstr(why, "bad address \"m_1:5050\": not an IP address nor a host name: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_info),   cmocka_unit_test(test_subscribe_calls),
        cmocka_unit_test(test_events),      cmocka_unit_test(test_location),
        cmocka_unit_test(test_zk_pure),     cmocka_unit_test(test_masters_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
