/* test_local_launcher.c: the local backend end to end: real processes in
 * mount/UTS/PID namespaces (when the test runs as root), host names,
 * volumes, /.agora/hosts, relaunch with back-off, surplus stop, leader
 * failover and teardown; cluster down and up (config cluster in the log). Every process is the launcher's child and dies
 * with it; each test checks that none is left. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agora/render.h"
#include "harness.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/agl-local-XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    char p[300];
    snprintf(p, sizeof p, "%s/vol", g_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/logs", g_dir);
    mkdir(p, 0755);
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *spec_text(unsigned instances, const char *cmd, double backoff)
{
    char *s = NULL;
    int rc = asprintf(&s,
        "{\"name\":\"t\",\"primary\":\"etcd\","
        "\"networks\":{\"my_net\":{\"subnet\":\"192.168.0.0/24\"}},"
        "\"apps\":[{\"id\":\"etcd\",\"instances\":%u,\"cpus\":0.2,\"mem\":128,"
        "\"cmd\":\"%s\",\"hostname\":\"cluster\",\"hostsName\":\"etcd-{index}\","
        "\"backoffSeconds\":%g,\"backoffFactor\":2,\"maxLaunchDelaySeconds\":5,"
        "\"taskKillGracePeriodSeconds\":1,"
        "\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"etcd_image\"},"
        "\"volumes\":[{\"hostPath\":\"%s/vol\",\"containerPath\":\"%s/mnt/ssh_info\","
        "\"mode\":\"RW\"}]},"
        "\"network\":{\"name\":\"my_net\",\"ipPool\":[\"192.168.0.100-192.168.0.104\"]}}]}",
        instances, cmd, backoff, g_dir, g_dir);
    return rc < 0 ? NULL : s;
}

static struct h_node *local_node(struct h_world *w)
{
    char logs[300];
    snprintf(logs, sizeof logs, "%s/logs", g_dir);
    struct agl_config cfg = {.backend = AGL_BACKEND_LOCAL, .node = "host1", .log_dir = logs};
    return h_node_new(w, &cfg);
}

static bool n_files(struct h_world *w, void *arg)
{
    (void)w;
    unsigned want = (unsigned)(uintptr_t)arg, n = 0;
    char p[400];
    for (unsigned i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/vol/etcd-%u", g_dir, i);
        n += access(p, F_OK) == 0;
    }
    return n >= want;
}

static void read_file(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (f != NULL) {
        size_t k = fread(out, 1, n - 1, f);
        out[k] = '\0';
        fclose(f);
    }
}

/* The seed scenario on one machine: five tasks, five static IPs, host name
 * "cluster", the volume visible at its container path, all RUNNING and in
 * /.agora/hosts. */
static void test_seed_five_running(void **state)
{
    (void)state;
    struct h_world w;
    char cmd[600], *text;
    h_world_init(&w);
    snprintf(cmd, sizeof cmd,
             "echo $(hostname) $$ $AGORA_TASK_IP > %s/mnt/ssh_info/$AGORA_TASK_ID; "
             "exec sleep 60", g_dir);
    text = spec_text(5, cmd, 0.2);
    struct agl_spec *spec = h_load_spec(text);
    assert_non_null(spec);
    struct h_node *n = local_node(&w);
    assert_non_null(n);
    h_node_lead(n);
    assert_int_equal(h_apply_spec(&w, spec), 5);
    assert_true(h_run_until(&w, h_all_running, (void *)(uintptr_t)5, 10000));
    assert_true(h_run_until(&w, n_files, (void *)(uintptr_t)5, 5000));

    bool ns = geteuid() == 0;
    for (unsigned i = 0; i < 5; i++) {
        char p[400], got[200], want[200];
        snprintf(p, sizeof p, "%s/vol/etcd-%u", g_dir, i);
        read_file(p, got, sizeof got);
        /* In its own PID namespace the command is PID 2 (the init is 1). */
        snprintf(want, sizeof want, "cluster 2 192.168.0.10%u\n", i);
        if (ns)
            assert_string_equal(got, want);
        else
            assert_non_null(strstr(got, "192.168.0.10"));
    }
    assert_true(h_hosts_seeded(&w, 5));
    h_world_free(&w);
    agl_spec_free(spec);
    free(text);
}

static unsigned count_lines(const char *path)
{
    char buf[4096];
    unsigned n = 0;
    read_file(path, buf, sizeof buf);
    for (char *p = buf; *p; p++)
        n += *p == '\n';
    return n;
}

static bool three_starts(struct h_world *w, void *arg)
{
    (void)w;
    return count_lines(arg) >= 3;
}

static bool etcd0_failed(struct h_world *w, void *arg)
{
    (void)arg;
    const struct agora_task *t = agora_sm_task_find(&w->sm, "etcd-0");
    return t != NULL && t->state == AGORA_TASK_FAILED;
}

/* A failing task is relaunched with growing delays (0.3 s, then 0.6 s);
 * its host entry leaves /.agora/hosts while it is down. */
static void test_relaunch_backoff(void **state)
{
    (void)state;
    struct h_world w;
    char cmd[600], starts[300];
    h_world_init(&w);
    snprintf(starts, sizeof starts, "%s/vol/starts", g_dir);
    snprintf(cmd, sizeof cmd, "date +%%s.%%N >> %s/mnt/ssh_info/starts; exit 3", g_dir);
    char *text = spec_text(1, cmd, 0.3);
    struct agl_spec *spec = h_load_spec(text);
    assert_non_null(spec);
    h_node_lead(local_node(&w));
    h_apply_spec(&w, spec);
    assert_true(h_run_until(&w, three_starts, starts, 8000));
    h_commit(&w);

    double t[3];
    FILE *f = fopen(starts, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lf %lf %lf", &t[0], &t[1], &t[2]), 3);
    fclose(f);
    assert_true(t[1] - t[0] >= 0.28);
    assert_true(t[2] - t[1] >= 0.58);
    assert_true(t[2] - t[1] > t[1] - t[0]);
    /* Down between runs: its host entry is gone from /.agora/hosts. */
    assert_true(h_run_until(&w, etcd0_failed, NULL, 5000));
    assert_false(h_hosts_has(&w, "etcd-0"));
    h_world_free(&w);
    agl_spec_free(spec);
    free(text);
}

static bool surplus_gone(struct h_world *w, void *arg)
{
    (void)arg;
    return agora_sm_task_count(&w->sm) == 2 && h_count_state(w, AGORA_TASK_RUNNING) == 2;
}

/* Fewer instances in the spec: the surplus tasks are killed and removed. */
static void test_surplus_stopped(void **state)
{
    (void)state;
    struct h_world w;
    h_world_init(&w);
    char *t4 = spec_text(4, "exec sleep 60", 0.2), *t2 = spec_text(2, "exec sleep 60", 0.2);
    struct agl_spec *s4 = h_load_spec(t4), *s2 = h_load_spec(t2);
    assert_true(h_lead_until(local_node(&w), s4, false, h_all_running, (void *)(uintptr_t)4, 10000));
    assert_int_equal(h_apply_spec(&w, s2), 2);
    assert_true(h_run_until(&w, surplus_gone, NULL, 10000));
    assert_null(agora_sm_task_find(&w.sm, "etcd-3"));
    h_world_free(&w);
    agl_spec_free(s4);
    agl_spec_free(s2);
    free(t4);
    free(t2);
}

/* A world and a spec of three tasks that sleep. */
struct three {
    struct h_world w;
    char *text;
    struct agl_spec *spec;
};

static void three_init(struct three *t)
{
    h_world_init(&t->w);
    t->text = spec_text(3, "exec sleep 60", 0.2);
    t->spec = h_load_spec(t->text);
    assert_non_null(t->spec);
}

static void three_free(struct three *t)
{
    h_world_free(&t->w);
    agl_spec_free(t->spec);
    free(t->text);
}

static bool killed_or_lost(struct h_world *w, void *arg)
{
    (void)arg;
    return h_count_state(w, AGORA_TASK_RUNNING) == 0;
}

/* The leader dies: its processes die with it; the next leader records the
 * stale tasks lost and runs them again, each exactly once. */
static void test_leader_failover(void **state)
{
    (void)state;
    struct three t;
    three_init(&t);
    struct h_node *a = local_node(&t.w), *b = local_node(&t.w);
    assert_true(h_lead_until(a, t.spec, false, h_all_running, (void *)(uintptr_t)3, 10000));
    h_node_crash(a);
    h_node_lead(b);
    assert_true(h_run_until(&t.w, h_all_running, (void *)(uintptr_t)3, 10000));
    char out[200];
    agl_launcher_describe(b->l, out, sizeof out);
    assert_non_null(strstr(out, ": 3 processes"));
    /* Teardown: everything stops. */
    assert_int_equal(h_apply_spec(&t.w, NULL), 3);
    assert_int_equal(agl_launcher_teardown(b->l), 0);
    assert_true(h_run_until(&t.w, killed_or_lost, NULL, 10000));
    h_run_for(&t.w, 300);
    assert_int_equal(agora_sm_task_count(&t.w.sm), 0);
    three_free(&t);
}

static bool no_tasks(struct h_world *w, void *arg)
{
    (void)arg;
    return agora_sm_task_count(&w->sm) == 0;
}

static unsigned processes(struct h_node *n)
{
    char out[200];
    unsigned k = 99;
    agl_launcher_describe(n->l, out, sizeof out);
    const char *p = strstr(out, ": ");
    if (p != NULL)
        sscanf(p + 2, "%u", &k);
    return k;
}

/* `agoractl cluster down` (config cluster=down in the log): the leader
 * stops every task, the log forgets them, /.agora/hosts loses them and
 * nothing is relaunched; `cluster up` runs the spec again. */
static void test_cluster_down_stops_everything_and_up_restarts(void **state)
{
    (void)state;
    struct three t;
    three_init(&t);
    struct h_node *a = local_node(&t.w);
    assert_true(h_lead_until(a, t.spec, true, h_all_running, (void *)(uintptr_t)3, 10000));
    h_set_cluster(&t.w, "down");
    assert_true(h_run_until(&t.w, no_tasks, NULL, 10000));
    assert_int_equal(processes(a), 0);
    assert_false(h_hosts_has(&t.w, "etcd-"));
    unsigned launches = t.w.launches;
    h_run_for(&t.w, 1000);
    assert_int_equal(t.w.launches, launches);
    assert_int_equal(agora_sm_task_count(&t.w.sm), 0);
    h_set_cluster(&t.w, "up");
    assert_true(h_run_until(&t.w, h_all_running, (void *)(uintptr_t)3, 10000));
    assert_int_equal(processes(a), 3);
    assert_true(h_hosts_has(&t.w, "192.168.0.102\tetcd-2"));
    three_free(&t);
}

/* The leader dies; `down` is committed before the next leader starts: that
 * one launches nothing, records the old tasks killed and removes them. */
static void test_new_leader_of_a_down_cluster_launches_nothing(void **state)
{
    (void)state;
    struct three t;
    three_init(&t);
    struct h_node *a = local_node(&t.w), *b = local_node(&t.w);
    assert_true(h_lead_until(a, t.spec, true, h_all_running, (void *)(uintptr_t)3, 10000));
    h_node_crash(a);
    h_set_cluster(&t.w, "down");
    unsigned launches = t.w.launches;
    h_node_lead(b);
    assert_true(h_run_until(&t.w, no_tasks, NULL, 10000));
    h_run_for(&t.w, 1000);
    assert_int_equal(t.w.launches, launches);
    assert_int_equal(processes(b), 0);
    three_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_five_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relaunch_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_surplus_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leader_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cluster_down_stops_everything_and_up_restarts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_leader_of_a_down_cluster_launches_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
