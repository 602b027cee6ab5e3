/* keeper.c: the keeper process (keeper.h). Async-signal-safe calls only:
 * it runs in the child of a fork() of a possibly multithreaded agorad.
 * At the end, the parent's reader of the keeper's records. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeper.h"

#define NEVER UINT64_MAX

static agora_time_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (agora_time_t)ts.tv_sec * AGORA_SEC + (agora_time_t)ts.tv_nsec;
}

static void put(int fd, uint32_t op, uint64_t arg)
{
    struct agd_keeper_rec r = {.op = op, .arg = arg};
    ssize_t w;
    do
        w = write(fd, &r, sizeof(r));
    while (w < 0 && errno == EINTR);
}

/* Closes every fd but the four we use: agorad's copies of the pipes' other
 * ends would otherwise keep them open, and EOF is how we learn of agorad's
 * death. */
static void keep_only(const struct agd_keeper_args *a)
{
    int keep[4] = {a->ctl_fd, a->status_fd, a->out_fd, a->null_fd};
    for (int i = 1; i < 4; i++) { /* insertion sort */
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    }
    unsigned lo = 3;
    for (int i = 0; i < 4; i++) {
        if ((unsigned)keep[i] > lo)
            close_range(lo, (unsigned)keep[i] - 1, 0);
        if ((unsigned)keep[i] + 1 > lo)
            lo = (unsigned)keep[i] + 1;
    }
    close_range(lo, ~0u, 0);
}

/* The command's side of the fork: own process group, death signal,
 * stdio, default signal state, exec. */
_Noreturn static void exec_command(const struct agd_keeper_args *a, pid_t keeper)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != keeper) /* the keeper died before prctl */
        _exit(127);
    dup2(a->null_fd, 0);
    dup2(a->out_fd, 1);
    dup2(a->out_fd, 2);
    close_range(3, ~0u, CLOSE_RANGE_CLOEXEC); /* status_fd stays open until exec */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(a->path, a->argv, a->envp);
    put(a->status_fd, AGD_KEEPER_EXEC_FAILED, (uint64_t)errno);
    _exit(127);
}

static bool command_exited(pid_t c)
{
    siginfo_t si;
    si.si_pid = 0;
    /* WNOWAIT: the zombie keeps the process group id reserved until we
     * have killed the rest of the group. */
    return waitid(P_PID, (id_t)c, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == c;
}

/* Waits until no process of group c is left, reaping those that come to
 * us as orphans (we are their subreaper). */
static void reap_group(pid_t c)
{
    const struct timespec ms = {0, 1000000};
    for (;;) {
        if (waitpid(-c, NULL, WNOHANG) > 0)
            continue;
        if (kill(-c, 0) != 0 && errno == ESRCH)
            return;
        kill(-c, SIGKILL);
        nanosleep(&ms, NULL);
    }
}

static int wait_ms(agora_time_t now, agora_time_t until)
{
    if (until == NEVER)
        return 1000;
    if (until <= now)
        return 0;
    agora_time_t ms = (until - now + AGORA_MS - 1) / AGORA_MS;
    return ms > 1000 ? 1000 : (int)ms;
}

struct kstate {
    pid_t c;
    int ctl;                    /* -1 after EOF */
    agora_time_t deadline;      /* from agorad */
    agora_time_t kill_at;       /* from STOP */
    bool termed, killed;
};

/* Reads what agorad sent; EOF means agorad is gone: kill at once. */
static void read_ctl(struct kstate *k)
{
    struct agd_keeper_rec r;
    ssize_t n = read(k->ctl, &r, sizeof(r));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n != (ssize_t)sizeof(r)) {
        k->ctl = -1;
        k->kill_at = 0;
        return;
    }
    if (r.op == AGD_KEEPER_DEADLINE)
        k->deadline = r.arg;
    if (r.op == AGD_KEEPER_STOP && !k->termed) {
        kill(-k->c, SIGTERM);
        k->termed = true;
        agora_time_t at = mono() + r.arg;
        if (at < k->kill_at)
            k->kill_at = at;
    }
}

_Noreturn void agd_keeper_run(const struct agd_keeper_args *a)
{
    keep_only(a);
    /* agorad's handlers write to a pipe we closed: the keeper ignores the
     * stop signals and is driven by its own pipe (systemd's SIGTERM to the
     * cgroup must not make it die before the group it guards). */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGTERM, &ign, NULL);
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGHUP, &ign, NULL);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t self = getpid();
    /* Block every signal across the fork: the child inherits our SIG_IGN
     * for SIGTERM, and a stop sent before it resets that and execs must not
     * be lost. Blocked signals stay pending even when ignored (Linux), and
     * the child unblocks only after restoring the default actions. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t c = fork();
    if (c == 0)
        exec_command(a, self);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (c < 0) {
        put(a->status_fd, AGD_KEEPER_EXEC_FAILED, (uint64_t)errno);
        put(a->status_fd, AGD_KEEPER_EXITED, 127u << 8);
        _exit(1);
    }
    setpgid(c, c); /* as the child does: whichever runs first */
    close(a->out_fd);
    close(a->null_fd);
    put(a->status_fd, AGD_KEEPER_STARTED, (uint64_t)c);
    int pidfd = (int)syscall(SYS_pidfd_open, c, 0);
    struct kstate k = {.c = c, .ctl = a->ctl_fd, .deadline = a->deadline, .kill_at = NEVER};
    while (!command_exited(c)) {
        agora_time_t now = mono();
        agora_time_t due = k.deadline < k.kill_at ? k.deadline : k.kill_at;
        if (!k.killed && now >= due) {
            kill(-c, SIGKILL);
            k.killed = true;
        }
        struct pollfd p[2] = {{.fd = k.ctl, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        int ms = k.killed ? 1000 : wait_ms(now, due);
        if (pidfd < 0 && (ms < 0 || ms > 10))
            ms = 10; /* no pidfd: look at the child often */
        if (poll(p, 2, ms) > 0 && p[0].revents != 0)
            read_ctl(&k);
    }
    kill(-c, SIGKILL);
    int st = 0;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR)
        ;
    reap_group(c);
    put(a->status_fd, AGD_KEEPER_EXITED, (uint64_t)(unsigned)st);
    _exit(0);
}

/* --- the parent's side --------------------------------------------------------------- */

pid_t agd_keeper_spawn(const struct agd_keeper_args *a)
{
    pid_t k = fork();
    if (k == 0)
        agd_keeper_run(a);
    int e = errno;
    close(a->ctl_fd);
    close(a->status_fd);
    close(a->out_fd);
    close(a->null_fd);
    return k < 0 ? -e : k;
}

int agd_keeper_read(struct agd_keeper_reader *rd, int fd, struct agd_keeper_rec *r)
{
    for (;;) {
        ssize_t n = read(fd, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return -1;
        rd->len += (size_t)n;
        if (rd->len == sizeof(rd->buf)) {
            memcpy(r, rd->buf, sizeof(*r));
            rd->len = 0;
            return 1;
        }
    }
}
