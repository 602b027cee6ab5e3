/* keeper.h: the keeper, a small process between agorad and its leader-only
 * command, which fences the command to the lease even when agorad cannot.
 *
 *   agorad --fork--> keeper --fork/exec--> command (own process group)
 *
 * agorad tells the keeper, over a pipe, the instant by which the command
 * must have been SIGKILLed (lease_end - margin, CLOCK_MONOTONIC) and
 * extends it at every renewal. The keeper kills the command's whole
 * process group (SIGKILL) when
 *   - the deadline passes (agorad is stopped, hung or too slow to renew:
 *     PR_SET_PDEATHSIG alone would not help while agorad is SIGSTOPped),
 *   - the pipe reaches EOF (agorad died, kill -9 included), at once,
 *   - grace ns after a STOP (agorad's clean stop sends SIGTERM first).
 * It is a child subreaper, so orphans of the group come back to it; it
 * reports EXITED only when no process of the group is left, then exits.
 * The command itself has PR_SET_PDEATHSIG(SIGKILL) against the keeper
 * being killed (then only its direct descendants are guaranteed to die).
 *
 * The keeper is forked from a process that may have threads (the brick
 * transport), so it calls only async-signal-safe functions and never
 * allocates. */
#ifndef AGD_KEEPER_H
#define AGD_KEEPER_H

#include <stdint.h>
#include <sys/types.h>

#include "agora/common.h"

/* Records on both pipes: 16 bytes, one write() each (atomic: < PIPE_BUF). */
struct agd_keeper_rec {
    uint32_t op;
    uint32_t pad;
    uint64_t arg;
};

enum agd_keeper_op {
    /* agorad -> keeper */
    AGD_KEEPER_DEADLINE = 1,    /* arg: SIGKILL the group by this CLOCK_MONOTONIC ns */
    AGD_KEEPER_STOP = 2,        /* arg: grace ns; SIGTERM now, SIGKILL after grace */
    /* keeper -> agorad */
    AGD_KEEPER_STARTED = 16,    /* arg: pid of the command (= its process group) */
    AGD_KEEPER_EXEC_FAILED = 17,/* arg: errno of execve */
    AGD_KEEPER_EXITED = 18,     /* arg: wait status of the command; the group is gone */
};

struct agd_keeper_args {
    int ctl_fd;                 /* read end: records from agorad */
    int status_fd;              /* write end: records to agorad */
    int out_fd;                 /* write end: the command's stdout and stderr */
    int null_fd;                /* /dev/null, the command's stdin */
    const char *path;           /* executable, already resolved */
    char *const *argv;
    char *const *envp;
    agora_time_t deadline;      /* the first deadline */
};

/* Runs in the child of fork() and never returns. */
_Noreturn void agd_keeper_run(const struct agd_keeper_args *a);

/* Forks the keeper for a, then closes a's four fds (the keeper's ends) in
 * the parent whatever happened. Returns the keeper's pid, or -errno if
 * fork failed. */
pid_t agd_keeper_spawn(const struct agd_keeper_args *a);

/* The parent's end of the status pipe (non-blocking), where a record may
 * arrive in pieces. Zeroed: empty. */
struct agd_keeper_reader {
    unsigned char buf[sizeof(struct agd_keeper_rec)];
    size_t len;
};

/* Reads fd for the next whole record: 1 with *r set; 0 when there is
 * nothing more to read now; -1 at EOF or on an error (the keeper is gone). */
int agd_keeper_read(struct agd_keeper_reader *rd, int fd, struct agd_keeper_rec *r);

#endif
