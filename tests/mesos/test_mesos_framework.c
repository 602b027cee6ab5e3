/* test_mesos_framework.c: the Mesos backend against the Mesos master
 * emulator (tests/mesos/mesos-master-emulator.py) and, for zk://, a real
 * ZooKeeper server started by the test. Each test starts its own emulator
 * and stops it by PID. Timings are shortened through the emulator's
 * options (heartbeat, allocation interval, status retry) and the
 * launcher's configuration; the defaults are the Mesos ones. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agora/render.h"
#include "harness.h"
#include "mesos_dl.h"
#include "mesos_int.h"
#include "procs.h"

static const char *const FAST[] = {"--agents", "5", "--heartbeat", "0.5",
                                   "--allocation-interval", "0.1", "--status-retry", "0.5",
                                   "--reregister-delay", "0.3", NULL};

static char *spec_text(unsigned instances)
{
    char *s = NULL;
    if (asprintf(&s,
        "{\"name\":\"seed\",\"primary\":\"etcd\","
        "\"networks\":{\"my_net\":{\"subnet\":\"192.168.0.0/24\"}},"
        "\"apps\":[{\"id\":\"etcd\",\"instances\":%u,\"cpus\":0.2,\"mem\":128,"
        "\"hostname\":\"cluster\",\"hostsName\":\"etcd-{index}\",\"backoffSeconds\":1,"
        "\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"etcd_image\"},"
        "\"volumes\":[{\"hostPath\":\"/storage2\",\"containerPath\":\"/ssh_info\",\"mode\":\"RW\"},"
        "{\"hostPath\":\"/storage3\",\"containerPath\":\"/home/admin/shared_folder\","
        "\"mode\":\"RW\"}]},"
        "\"network\":{\"name\":\"my_net\",\"ipPool\":[\"192.168.0.100-192.168.0.104\"]},"
        "\"constraints\":[[\"hostname\",\"UNIQUE\"]]}]}", instances) < 0)
        return NULL;
    return s;
}

static struct h_node *mesos_node(struct h_world *w, const char *masters)
{
    struct agl_config cfg = {.backend = AGL_BACKEND_MESOS, .node = "host1", .masters = masters,
                             .backoff_min_s = 0.1, .backoff_max_s = 1.0,
                             .watchdog_heartbeats = 4, .reconcile_retry_s = 0.5,
                             .refuse_seconds = 1, .failover_timeout_s = 60};
    return h_node_new(w, &cfg);
}

/* The emulator's view: tasks in `state`, and whether their IPs are distinct. */
static int emu_count(struct emu *e, const char *state, int *distinct_ips)
{
    json_t *st = emu_state(e), *t;
    size_t i;
    int n = 0;
    char seen[64][64];
    int ns = 0;

    if (distinct_ips)
        *distinct_ips = 1;
    json_array_foreach(json_object_get(st, "tasks"), i, t) {
        const char *ip = json_string_value(json_object_get(t, "ip"));
        if (state != NULL && strcmp(json_string_value(json_object_get(t, "state")), state) != 0)
            continue;
        n++;
        for (int k = 0; ip != NULL && k < ns; k++) {
            if (distinct_ips && strcmp(seen[k], ip) == 0)
                *distinct_ips = 0;
        }
        if (ip != NULL && ns < 64)
            snprintf(seen[ns++], sizeof seen[0], "%s", ip);
    }
    json_decref(st);
    return n;
}

struct want {
    struct emu *e;
    int running;
};

static bool emu_running(struct h_world *w, void *arg)
{
    struct want *x = arg;
    int distinct;
    return h_all_running(w, (void *)(uintptr_t)x->running) &&
           emu_count(x->e, "TASK_RUNNING", &distinct) == x->running &&
           emu_count(x->e, NULL, NULL) == x->running && distinct;
}


struct fixture {
    struct emu e;
    struct h_world w;
    struct agl_spec *spec;
    char masters[512];
};

static int fx_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char *text = spec_text(5);
    *state = f;
    if (f == NULL || emu_start(&f->e, 3, FAST) != 0)
        return -1;
    h_world_init(&f->w);
    f->spec = h_load_spec(text);
    free(text);
    emu_masters_url(&f->e, 1, f->masters, sizeof f->masters); /* a follower first */
    *state = f;
    return f->spec != NULL ? 0 : -1;
}

static int fx_teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        return 0;
    h_world_free(&f->w);
    emu_stop(&f->e);
    agl_spec_free(f->spec);
    free(f);
    return 0;
}

/* Launch the seed's five tasks: static IPs, one per agent, all RUNNING,
 * every update acknowledged, in /.agora/hosts; then SUPPRESS. The first
 * master named is a follower: its 307 leads to the leader. */
static void test_launch_seed(void **state)
{
    struct fixture *f = *state;
    struct h_node *n = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    assert_non_null(n);
    assert_true(h_lead_until(n, f->spec, false, emu_running, &x, 20000));
    assert_true(h_hosts_seeded(&f->w, 5));
    h_run_for(&f->w, 1500);
    const struct agl_mesos_stats *s = agl_mesos_stats(n->l);
    assert_true(s->redirects >= 1);
    assert_int_equal(s->launches, 5);
    assert_true(s->acks >= 10); /* STARTING and RUNNING of each */
    assert_true(s->suppresses >= 1);
    json_t *st = emu_state(&f->e), *t;
    size_t i;
    json_array_foreach(json_object_get(st, "tasks"), i, t)
        assert_int_equal(json_integer_value(json_object_get(t, "unacked")), 0);
    json_t *fw = json_array_get(json_object_get(st, "frameworks"), 0);
    assert_true(json_is_true(json_object_get(fw, "suppressed")));
    assert_string_equal(json_string_value(json_object_get(fw, "id")),
                        agora_sm_framework_id(&f->w.sm));
    json_decref(st);
}

static bool fid_committed(struct h_world *w, void *arg)
{
    (void)arg;
    return agora_sm_framework_id(&w->sm)[0] != '\0' &&
           h_count_state(w, AGORA_TASK_STAGING) + h_count_state(w, AGORA_TASK_STARTING) +
           h_count_state(w, AGORA_TASK_RUNNING) >= 2;
}

/* The leader agorad dies mid-launch; the next one re-subscribes the same
 * framework, reconciles, and the cluster ends with exactly five tasks and
 * no IP twice. */
static void test_scheduler_failover(void **state)
{
    struct fixture *f = *state;
    struct h_node *a = mesos_node(&f->w, f->masters), *b = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    h_node_lead(a);
    h_apply_spec(&f->w, f->spec);
    assert_true(h_run_until(&f->w, fid_committed, NULL, 20000));
    char fid[256];
    snprintf(fid, sizeof fid, "%s", agora_sm_framework_id(&f->w.sm));
    h_node_crash(a);
    h_node_lead(b);
    assert_true(h_run_until(&f->w, emu_running, &x, 30000));
    assert_string_equal(agora_sm_framework_id(&f->w.sm), fid);
    json_t *st = emu_state(&f->e);
    assert_int_equal(json_array_size(json_object_get(st, "frameworks")), 1);
    json_decref(st);
    assert_true(agl_mesos_stats(b->l)->explicit_reconciles >= 1);
    h_run_for(&f->w, 1000);
    assert_int_equal(emu_count(&f->e, NULL, NULL), 5);
}

struct task_state {
    const char *id;
    enum agora_task_state st;
};

static bool task_is(struct h_world *w, void *arg)
{
    struct task_state *ts = arg;
    const struct agora_task *t = agora_sm_task_find(&w->sm, ts->id);
    return t != NULL && t->state == ts->st;
}

/* A task fails: recorded, its host entry leaves, relaunched after the
 * back-off, its entry returns. */
static void test_relaunch_after_failure(void **state)
{
    struct fixture *f = *state;
    struct h_node *n = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    h_node_lead(n);
    h_apply_spec(&f->w, f->spec);
    assert_true(h_run_until(&f->w, h_all_running, (void *)(uintptr_t)5, 20000));
    assert_int_equal(emu_post(&f->e, "fail-task?id=etcd-2"), 0);
    struct task_state failed = {"etcd-2", AGORA_TASK_FAILED};
    assert_true(h_run_until(&f->w, task_is, &failed, 10000));
    assert_false(h_hosts_has(&f->w, "etcd-2"));
    agora_time_t t0 = h_now();
    assert_true(h_run_until(&f->w, emu_running, &x, 20000));
    assert_true(h_now() - t0 >= 900 * AGORA_MS); /* backoffSeconds 1 (jitter-free) */
    assert_true(h_hosts_seeded(&f->w, 5));
    assert_int_equal(agl_mesos_stats(n->l)->launches, 6);
}

/* The leading master is killed (static list): the scheduler finds the next
 * one, re-subscribes the same framework and reconciles; nothing relaunched. */
static void test_master_failover_static(void **state)
{
    struct fixture *f = *state;
    struct h_node *n = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    assert_true(h_lead_until(n, f->spec, false, emu_running, &x, 20000));
    unsigned subscribed = agl_mesos_stats(n->l)->subscribed;
    assert_int_equal(emu_post(&f->e, "kill-leader"), 0);
    struct want again = {&f->e, 5};
    h_run_for(&f->w, 500);
    assert_true(h_run_until(&f->w, emu_running, &again, 20000));
    h_run_for(&f->w, 1500);
    assert_true(agl_mesos_stats(n->l)->subscribed > subscribed);
    assert_int_equal(agl_mesos_stats(n->l)->launches, 5);
    assert_int_equal(emu_count(&f->e, "TASK_RUNNING", NULL), 5);
}

static bool watchdog_fired(struct h_world *w, void *arg)
{
    (void)w;
    return agl_mesos_stats(((struct h_node *)arg)->l)->watchdog_fired >= 1;
}

/* The stream goes silent (no heartbeats): detected, re-subscribed. */
static void test_stream_stall(void **state)
{
    struct fixture *f = *state;
    struct h_node *n = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    assert_true(h_lead_until(n, f->spec, false, emu_running, &x, 20000));
    unsigned subscribed = agl_mesos_stats(n->l)->subscribed;
    assert_int_equal(emu_post(&f->e, "stall"), 0);
    assert_true(h_run_until(&f->w, watchdog_fired, n, 10000));
    assert_int_equal(emu_post(&f->e, "unstall"), 0);
    h_run_for(&f->w, 2500);
    assert_true(agl_mesos_stats(n->l)->subscribed > subscribed);
    assert_true(emu_running(&f->w, &x));
}

static bool n_tasks(struct h_world *w, void *arg)
{
    struct want *x = arg;
    return agora_sm_task_count(&w->sm) == (size_t)x->running &&
           emu_count(x->e, NULL, NULL) == x->running;
}

/* Fewer instances: the surplus is killed; then teardown removes the
 * framework and all its tasks. */
static void test_kill_surplus_and_teardown(void **state)
{
    struct fixture *f = *state;
    struct h_node *n = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5}, three = {&f->e, 3}, none = {&f->e, 0};
    char *t3 = spec_text(3);
    struct agl_spec *s3 = h_load_spec(t3);
    assert_true(h_lead_until(n, f->spec, false, emu_running, &x, 20000));
    h_apply_spec(&f->w, s3);
    assert_true(h_run_until(&f->w, n_tasks, &three, 20000));
    assert_true(agl_mesos_stats(n->l)->kills >= 2);
    h_apply_spec(&f->w, NULL);
    assert_int_equal(agl_launcher_teardown(n->l), 0);
    assert_true(h_run_until(&f->w, n_tasks, &none, 20000));
    json_t *st = emu_state(&f->e);
    assert_int_equal(json_array_size(json_object_get(st, "removed")), 1);
    json_decref(st);
    agl_spec_free(s3);
    free(t3);
}

static size_t emu_list(struct emu *e, const char *what)
{
    json_t *st = emu_state(e);
    size_t n = json_array_size(json_object_get(st, what));
    json_decref(st);
    return n;
}

/* Down and settled: no task in the log or on the master, no framework id. */
static bool all_down(struct h_world *w, void *arg)
{
    return agora_sm_task_count(&w->sm) == 0 && agora_sm_framework_id(&w->sm)[0] == '\0' &&
           emu_count(arg, NULL, NULL) == 0;
}

/* `agoractl cluster down` (config cluster=down): TEARDOWN reaches the
 * master, every task dies, the log forgets them and the framework id, the
 * hosts entries go, and no framework subscribes again while down. `cluster
 * up`: a new framework (Mesos forgets a torn-down one) runs five tasks
 * again, no IP twice. */
static void test_cluster_down_tears_down_and_up_starts_a_new_framework(void **state)
{
    struct fixture *f = *state;
    struct h_node *n = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    assert_true(h_lead_until(n, f->spec, true, emu_running, &x, 20000));
    char fid[256];
    snprintf(fid, sizeof fid, "%s", agora_sm_framework_id(&f->w.sm));
    h_set_cluster(&f->w, "down");
    assert_true(h_run_until(&f->w, all_down, &f->e, 20000));
    assert_int_equal(agl_mesos_stats(n->l)->teardowns, 1);
    assert_int_equal(emu_list(&f->e, "removed"), 1);
    assert_false(h_hosts_has(&f->w, "etcd-"));
    unsigned subscribes = agl_mesos_stats(n->l)->subscribes, launches = f->w.launches;
    h_run_for(&f->w, 1500);
    assert_int_equal(agl_mesos_stats(n->l)->subscribes, subscribes);
    assert_int_equal(f->w.launches, launches);
    assert_int_equal(emu_list(&f->e, "frameworks"), 0);
    h_set_cluster(&f->w, "up");
    assert_true(h_run_until(&f->w, emu_running, &x, 20000));
    assert_string_not_equal(agora_sm_framework_id(&f->w.sm), fid);
    assert_int_equal(emu_list(&f->e, "frameworks"), 1);
    assert_true(h_hosts_seeded(&f->w, 5));
}

/* The leader dies with the cluster up; `down` is committed before the next
 * leader starts. That one subscribes the old framework only to tear it
 * down: nothing is launched, and afterwards nothing subscribes. */
static void test_leader_failover_while_down_relaunches_nothing(void **state)
{
    struct fixture *f = *state;
    struct h_node *a = mesos_node(&f->w, f->masters), *b = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    assert_true(h_lead_until(a, f->spec, true, emu_running, &x, 20000));
    h_node_crash(a);
    h_set_cluster(&f->w, "down");
    unsigned launches = f->w.launches;
    h_node_lead(b);
    assert_true(h_run_until(&f->w, all_down, &f->e, 20000));
    assert_int_equal(emu_list(&f->e, "removed"), 1);
    unsigned subscribes = agl_mesos_stats(b->l)->subscribes;
    h_run_for(&f->w, 1500);
    assert_int_equal(f->w.launches, launches);
    assert_int_equal(agl_mesos_stats(b->l)->launches, 0);
    assert_int_equal(agl_mesos_stats(b->l)->subscribes, subscribes);
    assert_int_equal(emu_list(&f->e, "frameworks"), 0);
}

/* A leader takes over a cluster that is down and torn down: it subscribes
 * nothing at all until `cluster up`. */
static void test_new_leader_of_a_torn_down_cluster_subscribes_nothing(void **state)
{
    struct fixture *f = *state;
    struct h_node *a = mesos_node(&f->w, f->masters), *b = mesos_node(&f->w, f->masters);
    struct want x = {&f->e, 5};
    assert_true(h_lead_until(a, f->spec, true, emu_running, &x, 20000));
    h_set_cluster(&f->w, "down");
    assert_true(h_run_until(&f->w, all_down, &f->e, 20000));
    h_node_crash(a);
    h_node_lead(b);
    h_run_for(&f->w, 1500);
    assert_int_equal(agl_mesos_stats(b->l)->subscribes, 0);
    assert_int_equal(emu_list(&f->e, "frameworks"), 0);
    h_set_cluster(&f->w, "up");
    assert_true(h_run_until(&f->w, emu_running, &x, 20000));
    assert_int_equal(agl_mesos_stats(b->l)->launches, 5);
}

struct zfixture {
    struct zk z;
    struct emu e;
    struct h_world w;
    struct agl_spec *spec;
    bool up;
};

static int zk_setup(void **state)
{
    struct zfixture *f = calloc(1, sizeof *f);
    char zkarg[64], *text = spec_text(5);

    *state = f;
    if (f == NULL || text == NULL)
        return -1;
    h_world_init(&f->w);
    f->spec = h_load_spec(text);
    free(text);
    if (zk_start(&f->z) != 0)
        return 0; /* no ZooKeeper here: the test skips */
    snprintf(zkarg, sizeof zkarg, "127.0.0.1:%d/mesos", f->z.port);
    const char *args[] = {"--agents", "5", "--heartbeat", "0.5", "--allocation-interval", "0.1",
                          "--status-retry", "0.5", "--reregister-delay", "0.3", "--zk", zkarg,
                          "--zk-session-ms", "1000", NULL};
    f->up = emu_start(&f->e, 3, args) == 0;
    return f->up ? 0 : -1;
}

static int zk_teardown(void **state)
{
    struct zfixture *f = *state;
    h_world_free(&f->w);
    emu_stop(&f->e);
    zk_stop(&f->z);
    agl_spec_free(f->spec);
    free(f);
    return 0;
}

struct resub {
    struct h_node *n;
    unsigned before;
};

static bool resubscribed(struct h_world *w, void *arg)
{
    struct resub *r = arg;
    (void)w;
    return agl_mesos_stats(r->n->l)->subscribed > r->before;
}

/* A node whose masters are zk://HOST:PORT/mesos (the test's ZooKeeper),
 * leading until the five tasks run: the leader was found in ZooKeeper. */
static struct h_node *zk_lead(struct zfixture *f, const char *host)
{
    char url[128];
    struct want x = {&f->e, 5};

    snprintf(url, sizeof url, "zk://%s:%d/mesos", host, f->z.port);
    struct h_node *n = mesos_node(&f->w, url);
    assert_non_null(n);
    assert_true(h_lead_until(n, f->spec, false, emu_running, &x, 30000));
    return n;
}

/* zk://: the leading master is read from a real ZooKeeper; when it is
 * killed its session expires, the next master leads, and the scheduler
 * follows ZooKeeper there with the same framework: the master failover of
 * the original setup, automated. */
static void test_master_failover_zookeeper(void **state)
{
    struct zfixture *f = *state;
    char fid[256];

    if (!f->up)
        skip();
    struct h_node *n = zk_lead(f, "127.0.0.1");
    struct want x = {&f->e, 5};
    json_t *st = emu_state(&f->e);
    int first = (int)json_integer_value(json_object_get(st, "leader"));
    json_decref(st);
    struct resub r = {n, agl_mesos_stats(n->l)->subscribed};
    snprintf(fid, sizeof fid, "%s", agora_sm_framework_id(&f->w.sm));
    assert_int_equal(emu_post(&f->e, "kill-leader"), 0);
    assert_true(h_run_until(&f->w, resubscribed, &r, 30000));
    assert_true(h_run_until(&f->w, emu_running, &x, 30000));
    h_run_for(&f->w, 1000);
    st = emu_state(&f->e);
    int second = (int)json_integer_value(json_object_get(st, "leader"));
    json_decref(st);
    assert_int_not_equal(first, second);
    assert_string_equal(agora_sm_framework_id(&f->w.sm), fid);
    assert_int_equal(agl_mesos_stats(n->l)->launches, 5);
    assert_true(emu_running(&f->w, &x));
}

/* zk:// naming the server "localhost": the name is resolved off the loop
 * (getaddrinfo_a), the session starts from its address, and the leading
 * master is found as with a numeric host. */
static void test_zookeeper_by_host_name(void **state)
{
    struct zfixture *f = *state;

    if (!f->up)
        skip();
    struct h_node *n = zk_lead(f, "localhost");
    assert_int_equal(agl_mesos_stats(n->l)->launches, 5);
    assert_int_equal(agl_mesos_stats(n->l)->subscribed, 1);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Drains z until agl_zk_check has something to say (the lookups are done);
 * each call returns at once. Its answer, 0 if none within 60 s. */
static int zk_check_when_resolved(struct agl_zk *z, char *why, size_t whylen)
{
    struct timespec t0;
    int rc = 0;

    for (int i = 0; i < 600 && rc == 0; i++) {
        struct pollfd p = {agl_zk_fd(z), POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            clock_gettime(CLOCK_MONOTONIC, &t0);
            agl_zk_drain(z);
            assert_true(ms_since(&t0) < 100);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = agl_zk_check(z, why, whylen);
        assert_true(ms_since(&t0) < 100);
    }
    return rc;
}

/* A host name that cannot resolve: agl_zk_new returns at once (the lookup
 * runs on glibc's thread), then agl_zk_check names the host and starts
 * again; with another host that resolves, that one is used. No ZooKeeper
 * server needed, only libzookeeper-mt. */
static void test_zk_name_that_does_not_resolve(void **state)
{
    char why[768] = "", leader[64];
    struct timespec t0;

    (void)state;
    if (agl_zk_dl_load(why, sizeof why) != 0)
        skip();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct agl_zk *z = agl_zk_new("zk://no-such-host.invalid:2181/mesos", why, sizeof why);
    assert_true(ms_since(&t0) < 100);
    assert_non_null(z);
    assert_int_equal(zk_check_when_resolved(z, why, sizeof why), -1);
    assert_non_null(strstr(why, "zk: resolve no-such-host.invalid: "));
    assert_non_null(strstr(why, "resolving no-such-host.invalid:2181 again"));
    agl_zk_leader(z, leader, sizeof leader);
    assert_string_equal(leader, "");
    agl_zk_free(z); /* with the new lookup still running: never waits */

    z = agl_zk_new("zk://no-such-host.invalid:2181,127.0.0.1:1/mesos", why, sizeof why);
    assert_non_null(z);
    assert_int_equal(zk_check_when_resolved(z, why, sizeof why), 1);
    assert_non_null(strstr(why, "no-such-host.invalid"));
    assert_non_null(strstr(why, "(using the other hosts)"));
    agl_zk_free(z);

    assert_null(agl_zk_new("zk://zk1/mesos", why, sizeof why)); /* no port: at once */
    assert_string_equal(why, "zk: \"zk1\": expected host:port");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_launch_seed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_scheduler_failover, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_relaunch_after_failure, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_master_failover_static, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_stream_stall, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_kill_surplus_and_teardown, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cluster_down_tears_down_and_up_starts_a_new_framework,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_leader_failover_while_down_relaunches_nothing,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_new_leader_of_a_torn_down_cluster_subscribes_nothing,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_master_failover_zookeeper, zk_setup, zk_teardown),
        cmocka_unit_test_setup_teardown(test_zookeeper_by_host_name, zk_setup, zk_teardown),
        cmocka_unit_test(test_zk_name_that_does_not_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
