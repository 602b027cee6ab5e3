/* test_cluster.c: three agorad nodes (coordinator/node.c, each with its own
 * event loop) and three real core acceptors (transport_inproc.c) in one
 * process, on one fake clock that the test advances from timer to timer.
 *
 *   - exactly one node becomes leader and runs the leader command (a real
 *     `sleep 1000`, checked with kill(pid, 0)); the others do not;
 *   - after every turn: at most one node holds the lease and at most one
 *     leader command is alive;
 *   - destroying the leader (as kill -9) lets another take over only after
 *     the old lease, and the history logs show the old command stopped
 *     before the new one started;
 *   - a clean shutdown (SIGTERM path) stops the command, then releases;
 *   - the same seeds give the same elections (lease events compared
 *     across two runs).
 * The fake clock starts at the real CLOCK_MONOTONIC and only runs ahead of
 * it, so the keepers' real-time deadlines never fire early. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agora/sm.h"
#include "log.h"
#include "loop.h"
#include "node.h"
#include "transport_inproc.h"

#define MS AGORA_MS
#define N 3

static const char *const KEYS[N] = {
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOAK1OJnniKMUyRdoUAlcNUIa/dYo/5rDfzXnLMGUysL u1@h",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICTYAl3Q7FtAQUS1ofcLs3kjoXAlLWNMXOWlYeR0k8tz u2@h",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO6lQS4w0Xlq75NlvHn3R/yxUzE1Fvvre0begezl55Zs u3@h",
};

static char *sleep_argv[] = {"sleep", "1000", NULL};

struct world {
    agora_time_t now;               /* the fake clock */
    struct agd_loop *net_loop;
    struct agd_inproc_net *net;
    struct agd_loop *loop[N];
    struct agd_transport *tr[N];
    struct agd_node *node[N];
    struct agd_config cfg[N];
    char names[N][32], hosts[N][32], ips[N][32], prefix[N][32], hist[N][300];
    char dir[256];
    uint64_t seed;
    bool done;                      /* shutdown callback ran */
    char log[1 << 16];              /* captured log */
};

static agora_time_t fake_clock(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static void sink(void *ctx, int level, const char *line)
{
    struct world *w = ctx;
    size_t n = strlen(w->log);
    (void)level;
    if (n + strlen(line) + 2 < sizeof(w->log))
        snprintf(w->log + n, sizeof(w->log) - n, "%s\n", line);
}

static void make_config(struct world *w, int i)
{
    struct agd_config *c = &w->cfg[i];
    memset(c, 0, sizeof(*c));
    snprintf(w->names[i], sizeof(w->names[i]), "host%d", i + 1);
    snprintf(w->hosts[i], sizeof(w->hosts[i]), "host%d.test", i + 1);
    snprintf(w->ips[i], sizeof(w->ips[i]), "10.0.0.%d", i + 1);
    snprintf(w->prefix[i], sizeof(w->prefix[i]), "node %d: ", i + 1);
    snprintf(w->hist[i], sizeof(w->hist[i]), "%s/history-%d.jsonl", w->dir, i + 1);
    c->id = (uint32_t)i + 1;
    c->name = w->names[i];
    c->hostname = w->hosts[i];
    c->ip = w->ips[i];
    c->ssh_key = (char *)KEYS[i];
    c->lease_ms = 3000;
    c->heartbeat_ms = 500;
    c->member_ttl_ms = 5000;
    c->drift_permille = 50;
    c->leader_argv = sleep_argv;
    c->grace_ms = 1000;
    c->margin_ms = 200;
    c->history_log = w->hist[i];
}

static void start_node(struct world *w, int i)
{
    w->loop[i] = agd_loop_new(fake_clock, w);
    w->tr[i] = agd_inproc_endpoint(w->net, (uint32_t)i + 1);
    assert_non_null(w->tr[i]);
    struct agd_node_opts o = {.cfg = &w->cfg[i], .loop = w->loop[i], .tr = w->tr[i],
                              .tag = w->seed * 100 + (uint64_t)i + 1, .seed = w->seed + (uint64_t)i,
                              .log_prefix = w->prefix[i]};
    assert_int_equal(agd_node_new(&o, &w->node[i]), 0);
}

/* Destroys node i as a kill -9 would: its command is SIGKILLed at once. */
static void kill_node(struct world *w, int i)
{
    agd_node_free(w->node[i]);
    agd_tr_close(w->tr[i]);
    agd_loop_free(w->loop[i]);
    w->node[i] = NULL;
    w->loop[i] = NULL;
}

static struct world *world_new(uint64_t seed)
{
    struct world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->seed = seed;
    w->now = agd_clock_monotonic(NULL);
    snprintf(w->dir, sizeof(w->dir), "/tmp/agd-cluster-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    agd_log_set_sink(sink, w);
    w->net_loop = agd_loop_new(fake_clock, w);
    w->net = agd_inproc_net_new(w->net_loop, 3, 3000 * MS);
    agd_inproc_set_latency(w->net, 1 * MS);
    for (int i = 0; i < N; i++) {
        make_config(w, i);
        start_node(w, i);
    }
    return w;
}

static void world_free(struct world *w)
{
    for (int i = 0; i < N; i++) {
        if (w->node[i] != NULL)
            kill_node(w, i);
        unlink(w->hist[i]);
    }
    agd_inproc_net_free(w->net);
    agd_loop_free(w->net_loop);
    rmdir(w->dir);
    agd_log_set_sink(NULL, NULL);
    free(w);
}

/* --- driving ----------------------------------------------------------------------- */

static void check_invariants(struct world *w)
{
    int leaders = 0, commands = 0;
    for (int i = 0; i < N; i++) {
        if (w->node[i] == NULL)
            continue;
        leaders += agd_node_holds_lease(w->node[i]);
        commands += agd_cmd_active(agd_node_cmd(w->node[i]));
    }
    if (leaders > 1 || commands > 1)
        fail_msg("at %" PRIu64 ": %d nodes hold the lease, %d commands alive", w->now, leaders,
                 commands);
}

/* Runs every loop until nothing is due at the current instant. */
static void turn_all(struct world *w)
{
    for (int round = 0; round < 1000; round++) {
        int ran = agd_loop_run_once(w->net_loop, 0);
        for (int i = 0; i < N; i++) {
            if (w->loop[i] != NULL)
                ran += agd_loop_run_once(w->loop[i], 0);
        }
        check_invariants(w);
        if (ran == 0)
            return;
    }
    fail_msg("the loops do not settle at %" PRIu64, w->now);
}

static agora_time_t next_timer(struct world *w)
{
    agora_time_t t = agd_loop_next_timer(w->net_loop);
    for (int i = 0; i < N; i++) {
        if (w->loop[i] != NULL && agd_loop_next_timer(w->loop[i]) < t)
            t = agd_loop_next_timer(w->loop[i]);
    }
    return t;
}

/* Advances the fake clock to `until`, from timer to timer. */
static void advance(struct world *w, agora_time_t span)
{
    agora_time_t until = w->now + span;
    for (;;) {
        turn_all(w);
        agora_time_t t = next_timer(w);
        if (t > until)
            break;
        if (t > w->now)
            w->now = t;
    }
    w->now = until;
    turn_all(w);
}

/* Waits in real time (the clock stands still) for a process to report. */
static bool wait_real(struct world *w, bool (*cond)(struct world *, int), int i)
{
    for (int ms = 0; ms < 3000 && !cond(w, i); ms++) {
        turn_all(w);
        usleep(1000);
    }
    return cond(w, i);
}

static bool has_pid(struct world *w, int i)
{
    return agd_node_cmd(w->node[i])->pid > 0;
}

static bool cmd_idle(struct world *w, int i)
{
    return !agd_cmd_active(agd_node_cmd(w->node[i]));
}

static int the_leader(struct world *w)
{
    int leader = -1;
    for (int i = 0; i < N; i++) {
        if (w->node[i] != NULL && agd_node_holds_lease(w->node[i])) {
            assert_int_equal(leader, -1);
            leader = i;
        }
    }
    return leader;
}

/* --- the history logs ------------------------------------------------------------------ */

struct event {
    agora_time_t t;
    unsigned node;
    char what[32];
};

static size_t read_history(struct world *w, struct event *ev, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        FILE *f = fopen(w->hist[i], "r");
        char line[512];
        while (f != NULL && fgets(line, sizeof(line), f) != NULL && n < max) {
            unsigned long long t;
            if (sscanf(line, "{\"t\":%llu,\"node\":%u,\"event\":\"%31[^\"]\"", &t, &ev[n].node,
                       ev[n].what) == 3) {
                ev[n].t = t;
                n++;
            }
        }
        if (f != NULL)
            fclose(f);
    }
    return n;
}

static agora_time_t find_event(struct event *ev, size_t n, unsigned node, const char *what,
                               int nth)
{
    for (size_t i = 0; i < n; i++) {
        if (ev[i].node == node && strcmp(ev[i].what, what) == 0 && nth-- == 0)
            return ev[i].t;
    }
    return 0;
}

/* Every [cmd_started, cmd_stopped] interval against every other node's. */
static void assert_no_overlap(struct event *ev, size_t n)
{
    for (size_t a = 0; a < n; a++) {
        if (strcmp(ev[a].what, "cmd_started") != 0)
            continue;
        agora_time_t a_end = UINT64_MAX;
        for (size_t k = 0; k < n; k++) {
            if (ev[k].node == ev[a].node && strcmp(ev[k].what, "cmd_stopped") == 0 &&
                ev[k].t >= ev[a].t && ev[k].t < a_end)
                a_end = ev[k].t;
        }
        for (size_t b = 0; b < n; b++) {
            if (ev[b].node != ev[a].node && strcmp(ev[b].what, "cmd_started") == 0 &&
                ev[b].t >= ev[a].t && ev[b].t < a_end)
                fail_msg("node %u started its command at %" PRIu64 " while node %u's ran "
                         "(%" PRIu64 " .. %" PRIu64 ")", ev[b].node, ev[b].t, ev[a].node,
                         ev[a].t, a_end);
        }
    }
}

/* --- the scenario ------------------------------------------------------------------------ */

static void test_failover(void **state)
{
    (void)state;
    struct world *w = world_new(42);
    agora_time_t t0 = w->now;
    advance(w, 5000 * MS);
    int old = the_leader(w);
    if (old < 0)
        fail_msg("no leader after 5 s:\n%s", w->log);
    assert_true(wait_real(w, has_pid, old));
    pid_t old_pid = agd_node_cmd(w->node[old])->pid;
    assert_int_equal(kill(old_pid, 0), 0);
    for (int i = 0; i < N; i++) {
        if (i != old)
            assert_false(agd_cmd_active(agd_node_cmd(w->node[i])));
    }
    /* Every node learns the leader entry and the leader's own join. */
    advance(w, 2000 * MS);
    for (int i = 0; i < N; i++) {
        struct agora_sm_leader l = agora_sm_leader(agd_node_sm(w->node[i]));
        assert_string_equal(l.id, w->names[old]);
        assert_non_null(agora_sm_member_find(agd_node_sm(w->node[i]), w->names[old]));
    }
    /* kill -9 of the leader. */
    agora_time_t old_lease_end = agd_node_proposer(w->node[old])->lease_end;
    agora_time_t t_kill = w->now;
    kill_node(w, old);
    assert_int_not_equal(kill(old_pid, 0), 0);
    advance(w, 8000 * MS);
    int next = the_leader(w);
    if (next < 0)
        fail_msg("no new leader 8 s after the kill:\n%s", w->log);
    assert_int_not_equal(next, old);
    assert_true(wait_real(w, has_pid, next));
    pid_t new_pid = agd_node_cmd(w->node[next])->pid;
    assert_int_equal(kill(new_pid, 0), 0);
    struct event ev[256];
    size_t n = read_history(w, ev, 256);
    agora_time_t acquired = find_event(ev, n, (unsigned)next + 1, "lease_acquired", 0);
    agora_time_t old_stop = find_event(ev, n, (unsigned)old + 1, "cmd_stopped", 0);
    agora_time_t new_start = find_event(ev, n, (unsigned)next + 1, "cmd_started", 0);
    assert_true(acquired > old_lease_end);  /* only after the old lease */
    assert_true(acquired <= t_kill + 3000 * MS + 2000 * MS); /* lease + election round */
    assert_true(old_stop != 0 && old_stop <= t_kill);
    assert_true(new_start > old_stop);
    assert_no_overlap(ev, n);
    print_message("  leader %d elected at +%" PRIu64 " ms, killed at +%" PRIu64 " ms, node %d "
                  "leads from +%" PRIu64 " ms\n", old + 1, (find_event(ev, n, (unsigned)old + 1,
                  "lease_acquired", 0) - t0) / MS, (t_kill - t0) / MS, next + 1,
                  (acquired - t0) / MS);
    world_free(w);
}

static void done_cb(void *ctx)
{
    ((struct world *)ctx)->done = true;
}

static void test_clean_shutdown(void **state)
{
    (void)state;
    struct world *w = world_new(7);
    advance(w, 5000 * MS);
    int leader = the_leader(w);
    assert_true(leader >= 0);
    assert_true(wait_real(w, has_pid, leader));
    pid_t pid = agd_node_cmd(w->node[leader])->pid;
    agd_node_shutdown(w->node[leader], done_cb, w);
    advance(w, 1 * MS);
    assert_true(wait_real(w, cmd_idle, leader)); /* sleep dies of SIGTERM */
    assert_int_not_equal(kill(pid, 0), 0);
    advance(w, 1500 * MS);
    assert_true(w->done);
    assert_false(agd_node_holds_lease(w->node[leader]));
    assert_non_null(strstr(w->log, "resigning: asking the bricks to release the lease"));
    struct event ev[256];
    size_t n = read_history(w, ev, 256);
    agora_time_t stopped = find_event(ev, n, (unsigned)leader + 1, "cmd_stopped", 0);
    agora_time_t lost = find_event(ev, n, (unsigned)leader + 1, "lease_lost", 0);
    assert_true(stopped != 0 && lost != 0 && stopped <= lost);
    /* The node that shut down never campaigns again; another one leads. */
    advance(w, 10000 * MS);
    int next = the_leader(w);
    assert_true(next >= 0 && next != leader);
    n = read_history(w, ev, 256);
    print_message("  lease released %" PRIu64 " ms after the command stopped; node %d leads %" PRIu64
                  " ms after the release\n", (lost - stopped) / MS, next + 1,
                  (find_event(ev, n, (unsigned)next + 1, "lease_acquired", 0) - lost) / MS);
    assert_no_overlap(ev, read_history(w, ev, 256));
    world_free(w);
}

/* The same seeds give the same lease history. */
static void lease_trace(uint64_t seed, char *out, size_t len)
{
    struct world *w = world_new(seed);
    agora_time_t t0 = w->now;
    advance(w, 4000 * MS);
    int l = the_leader(w);
    assert_true(l >= 0);
    kill_node(w, l);
    advance(w, 8000 * MS);
    struct event ev[256];
    size_t n = read_history(w, ev, 256);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (strncmp(ev[i].what, "lease", 5) == 0) {
            size_t k = strlen(out);
            snprintf(out + k, len - k, "%u %s +%" PRIu64 "\n", ev[i].node, ev[i].what,
                     ev[i].t - t0);
        }
    }
    world_free(w);
}

static void test_deterministic(void **state)
{
    (void)state;
    char a[4096], b[4096];
    lease_trace(1234, a, sizeof(a));
    lease_trace(1234, b, sizeof(b));
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "lease_acquired"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_clean_shutdown),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
