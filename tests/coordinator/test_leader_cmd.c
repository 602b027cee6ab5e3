/* test_leader_cmd.c: the leader-only command and its keeper, in real time
 * with real processes (coordinator/leader_cmd.c, keeper.c): start and
 * clean stop, SIGKILL after the grace, the keeper's deadline while agorad
 * does nothing (as if SIGSTOPped), kill -9 of agorad, output relay, the
 * no-start window, the history log. Every process is stopped by its PID. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leader_cmd.h"
#include "log.h"
#include "loop.h"

#define MS AGORA_MS

static agora_time_t now_ns(void)
{
    return agd_clock_monotonic(NULL);
}

static bool alive(pid_t pid)
{
    return pid > 0 && kill(pid, 0) == 0;
}

/* Turns the loop until cond(ctx) or timeout; returns cond's last value. */
static bool run_until(struct agd_loop *l, bool (*cond)(void *), void *ctx, int timeout_ms)
{
    agora_time_t end = now_ns() + (agora_time_t)timeout_ms * MS;
    while (!cond(ctx) && now_ns() < end)
        agd_loop_run_once(l, 10);
    return cond(ctx);
}

static bool has_pid(void *c)
{
    return ((struct agd_leader_cmd *)c)->pid > 0;
}

static bool idle(void *c)
{
    return !agd_cmd_active(c);
}

static void wait_gone(pid_t pid, int timeout_ms)
{
    agora_time_t end = now_ns() + (agora_time_t)timeout_ms * MS;
    while (alive(pid) && now_ns() < end)
        usleep(2000);
    if (alive(pid))
        fail_msg("pid %d still alive after %d ms", (int)pid, timeout_ms);
}

/* Log lines captured for the relay test. */
static char captured[4096];

static void sink(void *ctx, int level, const char *line)
{
    (void)ctx;
    (void)level;
    size_t n = strlen(captured);
    snprintf(captured + n, sizeof(captured) - n, "%s\n", line);
}

static bool said_ready(void *ctx)
{
    (void)ctx;
    return strstr(captured, "leader-command: ready") != NULL;
}

static int setup(void **state)
{
    (void)state;
    captured[0] = '\0';
    agd_log_set_sink(sink, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agd_log_set_sink(NULL, NULL);
    return 0;
}

static char *sleep_argv[] = {"sleep", "1000", NULL};

static void test_start_stop(void **state)
{
    (void)state;
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, sleep_argv, 2000 * MS, 100 * MS, NULL, "", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 3000 * MS, true);
    assert_int_equal(c.state, AGD_CMD_RUNNING);
    assert_int_equal(c.next, t + 900 * MS); /* lease_end - grace - margin */
    assert_true(run_until(l, has_pid, &c, 2000));
    pid_t pid = c.pid;
    assert_true(alive(pid));
    assert_int_equal(getpgid(pid), pid); /* its own process group */
    agd_cmd_update(&c, now_ns(), false, 0, true);
    assert_int_equal(c.state, AGD_CMD_STOPPING);
    agora_time_t t0 = now_ns();
    assert_true(run_until(l, idle, &c, 2000));
    assert_true(now_ns() - t0 < 1500 * MS); /* sleep dies of SIGTERM: no wait for the grace */
    assert_false(alive(pid));
    assert_non_null(strstr(captured, "is gone: signal 15"));
    agd_loop_free(l);
}

/* A command that ignores SIGTERM is SIGKILLed once the grace is over. */
static void test_grace_then_kill(void **state)
{
    (void)state;
    char *argv[] = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done", NULL};
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, argv, 300 * MS, 100 * MS, NULL, "", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 5000 * MS, true);
    assert_true(run_until(l, has_pid, &c, 2000));
    assert_true(run_until(l, said_ready, NULL, 2000)); /* the trap is set */
    pid_t pid = c.pid;
    agd_cmd_stop(&c, "test");
    agora_time_t t0 = now_ns();
    assert_true(run_until(l, idle, &c, 3000));
    agora_time_t took = now_ns() - t0;
    assert_true(took >= 290 * MS);
    assert_true(took < 1500 * MS); /* generous: loaded CI machines */
    assert_false(alive(pid));
    assert_non_null(strstr(captured, "is gone: signal 9"));
    agd_loop_free(l);
}

/* agorad does nothing (stopped, hung): the keeper kills the command at
 * lease_end - margin on its own. */
static void test_keeper_deadline(void **state)
{
    (void)state;
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, sleep_argv, 200 * MS, 100 * MS, NULL, "", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 700 * MS, true); /* SIGKILL deadline t + 600 ms */
    assert_true(run_until(l, has_pid, &c, 2000));
    pid_t pid = c.pid;
    usleep((useconds_t)((t + 450 * MS - now_ns()) / 1000)); /* no loop turns from here */
    assert_true(alive(pid));                                  /* SIGTERM was never sent */
    while (alive(pid) && now_ns() < t + 1500 * MS)
        usleep(1000);
    agora_time_t died = now_ns();
    assert_false(alive(pid));
    assert_true(died >= t + 600 * MS);
    assert_true(died < t + 1000 * MS);
    assert_true(run_until(l, idle, &c, 2000));
    agd_loop_free(l);
}

/* A renewal moves the keeper's deadline. */
static void test_deadline_extended(void **state)
{
    (void)state;
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, sleep_argv, 100 * MS, 100 * MS, NULL, "", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 500 * MS, true);
    assert_true(run_until(l, has_pid, &c, 2000));
    agd_cmd_update(&c, now_ns(), true, t + 1500 * MS, true); /* deadline t + 1400 ms */
    assert_int_equal(c.deadline, t + 1400 * MS);
    usleep((useconds_t)((t + 1000 * MS - now_ns()) / 1000));
    assert_true(alive(c.pid)); /* past the first deadline */
    pid_t pid = c.pid;
    while (alive(pid) && now_ns() < t + 2500 * MS)
        usleep(1000);
    assert_false(alive(pid));
    assert_true(now_ns() >= t + 1400 * MS);
    assert_true(run_until(l, idle, &c, 2000));
    agd_loop_free(l);
}

/* kill -9 of agorad: the keeper sees EOF and kills the whole group, the
 * command's own children included. */
static void test_agorad_killed(void **state)
{
    (void)state;
    char file[] = "/tmp/agd-child-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    char script[256];
    snprintf(script, sizeof(script), "sleep 1000 & echo $! > %s; wait", file);
    char *argv[] = {"sh", "-c", script, NULL};
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t agorad = fork();
    assert_true(agorad >= 0);
    if (agorad == 0) { /* a stand-in agorad */
        close(p[0]);
        struct agd_loop *l = agd_loop_new(NULL, NULL);
        struct agd_leader_cmd c;
        agd_cmd_init(&c, l, argv, 500 * MS, 100 * MS, NULL, "", NULL, NULL);
        agora_time_t t = now_ns();
        agd_cmd_update(&c, t, true, t + 60000 * MS, true);
        run_until(l, has_pid, &c, 2000);
        pid_t pid = c.pid;
        if (write(p[1], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
            _exit(1);
        for (;;)
            agd_loop_run_once(l, 1000);
    }
    close(p[1]);
    pid_t pid = 0;
    assert_int_equal(read(p[0], &pid, sizeof(pid)), sizeof(pid));
    close(p[0]);
    pid_t child = 0;
    for (int i = 0; i < 200 && child == 0; i++) {
        FILE *f = fopen(file, "r");
        if (f != NULL && fscanf(f, "%d", &child) != 1)
            child = 0;
        if (f != NULL)
            fclose(f);
        if (child == 0)
            usleep(10000);
    }
    unlink(file);
    assert_true(alive(pid));
    assert_true(child > 0 && alive(child));
    assert_int_equal(kill(agorad, SIGKILL), 0);
    assert_int_equal(waitpid(agorad, NULL, 0), agorad);
    wait_gone(pid, 2000);
    wait_gone(child, 2000);
}

static void test_output_and_backoff(void **state)
{
    (void)state;
    char *argv[] = {"sh", "-c", "echo hello; echo 'to stderr' >&2; printf 'no newline'", NULL};
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, argv, 100 * MS, 100 * MS, NULL, "node 1: ", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 60000 * MS, true);
    assert_true(run_until(l, idle, &c, 3000));
    assert_non_null(strstr(captured, "node 1: leader-command: hello\n"));
    assert_non_null(strstr(captured, "node 1: leader-command: to stderr\n"));
    assert_non_null(strstr(captured, "node 1: leader-command: no newline\n"));
    assert_non_null(strstr(captured, "is gone: exit 0"));
    /* It ended by itself: not restarted before the back-off. */
    agora_time_t t1 = now_ns();
    agd_cmd_update(&c, t1, true, t1 + 60000 * MS, true);
    assert_int_equal(c.state, AGD_CMD_IDLE);
    assert_true(c.next > t1 && c.next <= t1 + AGD_CMD_BACKOFF_MIN);
    agd_loop_free(l);
}

static void test_no_start_window(void **state)
{
    (void)state;
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, sleep_argv, 500 * MS, 100 * MS, NULL, "", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 600 * MS, true); /* exactly grace + margin left */
    assert_int_equal(c.state, AGD_CMD_IDLE);
    agd_cmd_update(&c, t, false, t + 5000 * MS, true); /* no lease */
    assert_int_equal(c.state, AGD_CMD_IDLE);
    agd_cmd_update(&c, t, true, t + 5000 * MS, false); /* shutting down */
    assert_int_equal(c.state, AGD_CMD_IDLE);
    char *none[] = {"/nonexistent/prog", NULL};
    agd_cmd_init(&c, l, none, 500 * MS, 100 * MS, NULL, "", NULL, NULL);
    agd_cmd_update(&c, t, true, t + 5000 * MS, true);
    assert_int_equal(c.state, AGD_CMD_IDLE);
    assert_non_null(strstr(captured, "cannot run /nonexistent/prog"));
    agd_loop_free(l);
}

static void test_history_and_destroy(void **state)
{
    (void)state;
    char file[] = "/tmp/agd-history-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    struct agd_history *h;
    assert_int_equal(agd_history_open(file, 7, &h), 0);
    struct agd_loop *l = agd_loop_new(NULL, NULL);
    struct agd_leader_cmd c;
    agd_cmd_init(&c, l, sleep_argv, 500 * MS, 100 * MS, h, "", NULL, NULL);
    agora_time_t t = now_ns();
    agd_cmd_update(&c, t, true, t + 60000 * MS, true);
    assert_true(run_until(l, has_pid, &c, 2000));
    pid_t pid = c.pid;
    agd_cmd_destroy(&c); /* as agd_node_free: SIGKILL via the keeper, waited for */
    assert_int_equal(c.state, AGD_CMD_IDLE);
    assert_false(alive(pid));
    agd_history_close(h);
    FILE *f = fopen(file, "r");
    char text[2048] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(file);
    char want[128];
    assert_non_null(strstr(text, "\"node\":7,\"event\":\"cmd_started\""));
    snprintf(want, sizeof(want), "\"event\":\"cmd_stopped\",\"pid\":%d,\"status\":\"signal 9\"",
             (int)pid);
    assert_non_null(strstr(text, want));
    agd_loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grace_then_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keeper_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_extended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agorad_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_and_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_start_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_destroy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
