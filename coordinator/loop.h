/* loop.h: agorad's event loop. Single-threaded, poll()-based, with file
 * descriptors and one-shot timers, in the manner of redis's ae.c: a small
 * loop that does one thing. Time comes from a clock function, so tests run
 * several loops on one fake clock and step them deterministically.
 *
 * Nothing here blocks except poll() itself; callbacks must not block either
 * (a brick that hangs is the transport's thread's problem, never the
 * loop's: transport.h). Signals arrive as a readable fd (the self-pipe of
 * agd_signal_pipe_open) and are handled in the loop. */
#ifndef AGD_LOOP_H
#define AGD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "agora/common.h"

struct agd_loop;

/* Reads the loop's clock: ns, monotonic. */
typedef agora_time_t agd_clock_fn(void *ctx);
/* CLOCK_MONOTONIC, the daemon's clock (ctx unused). */
agora_time_t agd_clock_monotonic(void *ctx);

typedef void agd_fd_fn(struct agd_loop *l, int fd, short revents, void *ctx);
typedef void agd_timer_fn(struct agd_loop *l, void *ctx);

/* A one-shot timer, owned by the caller (embedded in its struct). */
struct agd_timer {
    agora_time_t when;
    agd_timer_fn *fn;
    void *ctx;
    bool armed;
    uint64_t seq;           /* arming order (loop.c) */
};

struct agd_loop *agd_loop_new(agd_clock_fn *clock, void *clock_ctx);
/* Every timer must be cancelled and every fd removed by its owner first. */
void agd_loop_free(struct agd_loop *l);
agora_time_t agd_loop_now(const struct agd_loop *l);

/* Watches fd for `events` (POLLIN, POLLOUT). One registration per fd. */
int agd_loop_add_fd(struct agd_loop *l, int fd, short events, agd_fd_fn *fn, void *ctx);
int agd_loop_set_events(struct agd_loop *l, int fd, short events);
/* Safe inside a callback, including fd's own. */
void agd_loop_del_fd(struct agd_loop *l, int fd);

void agd_timer_init(struct agd_timer *t, agd_timer_fn *fn, void *ctx);
/* (Re)arms t to fire once at `when` (in the past: at the next turn). */
int agd_timer_arm(struct agd_loop *l, struct agd_timer *t, agora_time_t when);
/* Arms t at `when` unless it is already armed earlier. */
int agd_timer_arm_before(struct agd_loop *l, struct agd_timer *t, agora_time_t when);
void agd_timer_cancel(struct agd_loop *l, struct agd_timer *t);

/* Earliest armed timer, or UINT64_MAX. */
agora_time_t agd_loop_next_timer(const struct agd_loop *l);

/* One turn: polls the fds for at most max_wait_ms (-1: until the next timer,
 * or forever), runs their callbacks, then every timer that is due. Returns
 * the number of callbacks run, or -1 if poll() failed. */
int agd_loop_run_once(struct agd_loop *l, int max_wait_ms);

/* Turns until agd_loop_stop(). Returns 0, or -1 if poll() failed. */
int agd_loop_run(struct agd_loop *l);
void agd_loop_stop(struct agd_loop *l);

/* The self-pipe for signals, once per process: a handler (SA_RESTART) for
 * each signal of `signos` (0-terminated) writes its number, one byte, to a
 * non-blocking pipe; SIGPIPE is ignored. Returns the pipe's read end (to
 * watch with agd_loop_add_fd and read a byte per signal), or -1. */
int agd_signal_pipe_open(const int *signos);
/* Closes both ends. */
void agd_signal_pipe_close(void);

#endif
