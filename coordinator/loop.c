/* loop.c: the poll() loop (loop.h).
 *
 * Timers live in a small unsorted array and are found by a linear scan, as
 * in ae.c: an agorad has a handful (its wake-up, the leader command, the
 * transport), so a heap would only add code. Fds are kept in an array
 * parallel to the pollfd array that poll() gets; removal inside a callback
 * only marks the slot, and the array is compacted after the turn. At the
 * end, the self-pipe that brings signals into the loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

struct fd_reg {
    int fd;                 /* -1: removed during this turn */
    short events;
    agd_fd_fn *fn;
    void *ctx;
};

struct agd_loop {
    agd_clock_fn *clock;
    void *clock_ctx;
    struct fd_reg *fds;
    struct pollfd *pfds;
    size_t n_fds, cap_fds;
    struct agd_timer **timers;
    size_t n_timers, cap_timers;
    uint64_t arm_seq;
    bool stop;
};

agora_time_t agd_clock_monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (agora_time_t)ts.tv_sec * AGORA_SEC + (agora_time_t)ts.tv_nsec;
}

struct agd_loop *agd_loop_new(agd_clock_fn *clock, void *clock_ctx)
{
    struct agd_loop *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->clock = clock != NULL ? clock : agd_clock_monotonic;
    l->clock_ctx = clock_ctx;
    return l;
}

void agd_loop_free(struct agd_loop *l)
{
    if (l == NULL)
        return;
    free(l->fds);
    free(l->pfds);
    free(l->timers);
    free(l);
}

agora_time_t agd_loop_now(const struct agd_loop *l)
{
    return l->clock(l->clock_ctx);
}

/* --- fds ---------------------------------------------------------------------- */

static struct fd_reg *find_fd(struct agd_loop *l, int fd)
{
    for (size_t i = 0; i < l->n_fds; i++) {
        if (l->fds[i].fd == fd)
            return &l->fds[i];
    }
    return NULL;
}

int agd_loop_add_fd(struct agd_loop *l, int fd, short events, agd_fd_fn *fn, void *ctx)
{
    if (fd < 0 || find_fd(l, fd) != NULL)
        return -1;
    if (l->n_fds == l->cap_fds) {
        size_t cap = l->cap_fds ? 2 * l->cap_fds : 8;
        struct fd_reg *f = realloc(l->fds, cap * sizeof(*f));
        if (f == NULL)
            return -1;
        l->fds = f;
        struct pollfd *p = realloc(l->pfds, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        l->pfds = p;
        l->cap_fds = cap;
    }
    l->fds[l->n_fds++] = (struct fd_reg){fd, events, fn, ctx};
    return 0;
}

int agd_loop_set_events(struct agd_loop *l, int fd, short events)
{
    struct fd_reg *r = find_fd(l, fd);
    if (r == NULL)
        return -1;
    r->events = events;
    return 0;
}

void agd_loop_del_fd(struct agd_loop *l, int fd)
{
    struct fd_reg *r = find_fd(l, fd);
    if (r != NULL)
        r->fd = -1;
}

static void compact_fds(struct agd_loop *l)
{
    size_t o = 0;
    for (size_t i = 0; i < l->n_fds; i++) {
        if (l->fds[i].fd >= 0)
            l->fds[o++] = l->fds[i];
    }
    l->n_fds = o;
}

/* --- timers ---------------------------------------------------------------------- */

void agd_timer_init(struct agd_timer *t, agd_timer_fn *fn, void *ctx)
{
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->ctx = ctx;
}

int agd_timer_arm(struct agd_loop *l, struct agd_timer *t, agora_time_t when)
{
    t->when = when;
    t->seq = ++l->arm_seq;
    if (t->armed)
        return 0;
    if (l->n_timers == l->cap_timers) {
        size_t cap = l->cap_timers ? 2 * l->cap_timers : 8;
        struct agd_timer **a = realloc(l->timers, cap * sizeof(*a));
        if (a == NULL)
            return -1;
        l->timers = a;
        l->cap_timers = cap;
    }
    l->timers[l->n_timers++] = t;
    t->armed = true;
    return 0;
}

int agd_timer_arm_before(struct agd_loop *l, struct agd_timer *t, agora_time_t when)
{
    if (t->armed && t->when <= when)
        return 0;
    return agd_timer_arm(l, t, when);
}

void agd_timer_cancel(struct agd_loop *l, struct agd_timer *t)
{
    if (!t->armed)
        return;
    for (size_t i = 0; i < l->n_timers; i++) {
        if (l->timers[i] == t) {
            l->timers[i] = l->timers[--l->n_timers];
            break;
        }
    }
    t->armed = false;
}

agora_time_t agd_loop_next_timer(const struct agd_loop *l)
{
    agora_time_t t = UINT64_MAX;
    for (size_t i = 0; i < l->n_timers; i++) {
        if (l->timers[i]->when < t)
            t = l->timers[i]->when;
    }
    return t;
}

/* Fires every timer due at `now`, earliest first. A callback may arm or
 * cancel any timer, so the scan restarts after each one; a timer (re)armed
 * by a timer callback waits for the next turn, or a busy timer could starve
 * the fds. */
static int run_timers(struct agd_loop *l, agora_time_t now)
{
    int ran = 0;
    uint64_t armed_before = l->arm_seq;
    for (;;) {
        struct agd_timer *due = NULL;
        for (size_t i = 0; i < l->n_timers; i++) {
            struct agd_timer *t = l->timers[i];
            if (t->when <= now && t->seq <= armed_before && (due == NULL || t->when < due->when))
                due = t;
        }
        if (due == NULL)
            break;
        agd_timer_cancel(l, due);
        due->fn(l, due->ctx);
        ran++;
    }
    return ran;
}

/* --- turns ---------------------------------------------------------------------------- */

static int poll_timeout(struct agd_loop *l, int max_wait_ms)
{
    agora_time_t next = agd_loop_next_timer(l);
    if (next == UINT64_MAX)
        return max_wait_ms;
    agora_time_t now = agd_loop_now(l);
    if (next <= now)
        return 0;
    agora_time_t ms = (next - now + AGORA_MS - 1) / AGORA_MS;
    if (ms > 60000)
        ms = 60000;
    if (max_wait_ms >= 0 && (agora_time_t)max_wait_ms < ms)
        return max_wait_ms;
    return (int)ms;
}

int agd_loop_run_once(struct agd_loop *l, int max_wait_ms)
{
    size_t n = l->n_fds;
    for (size_t i = 0; i < n; i++)
        l->pfds[i] = (struct pollfd){.fd = l->fds[i].fd, .events = l->fds[i].events};
    int rc = poll(l->pfds, (nfds_t)n, poll_timeout(l, max_wait_ms));
    if (rc < 0 && errno != EINTR)
        return -1;
    int ran = 0;
    for (size_t i = 0; rc > 0 && i < n; i++) {
        struct fd_reg *r = &l->fds[i];
        /* Skip an fd removed (or removed and re-added) by an earlier callback. */
        if (l->pfds[i].revents == 0 || r->fd != l->pfds[i].fd)
            continue;
        r->fn(l, r->fd, l->pfds[i].revents, r->ctx);
        ran++;
    }
    compact_fds(l);
    return ran + run_timers(l, agd_loop_now(l));
}

int agd_loop_run(struct agd_loop *l)
{
    l->stop = false;
    while (!l->stop) {
        if (agd_loop_run_once(l, -1) < 0)
            return -1;
    }
    return 0;
}

void agd_loop_stop(struct agd_loop *l)
{
    l->stop = true;
}

/* --- signals ------------------------------------------------------------------------ */

static int sig_pipe[2] = {-1, -1};

static void on_signal_raised(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    if (write(sig_pipe[1], &b, 1) < 0) {
        /* the pipe is full: enough signals are pending already */
    }
    errno = saved;
}

int agd_signal_pipe_open(const int *signos)
{
    struct sigaction sa = {.sa_handler = on_signal_raised, .sa_flags = SA_RESTART};
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    sigemptyset(&ign.sa_mask);
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    for (; *signos != 0; signos++)
        if (sigaction(*signos, &sa, NULL) != 0)
            return -1;
    if (sigaction(SIGPIPE, &ign, NULL) != 0)
        return -1;
    return sig_pipe[0];
}

void agd_signal_pipe_close(void)
{
    for (int i = 0; i < 2; i++) {
        if (sig_pipe[i] >= 0)
            close(sig_pipe[i]);
        sig_pipe[i] = -1;
    }
}
