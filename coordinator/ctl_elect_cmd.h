/* ctl_elect_cmd.h: the command of `agoractl elect`, run through the same
 * keeper process as agorad's leader-only command (keeper.h), so that it is
 * SIGKILLed by the lease deadline even when agoractl is killed (-9: at
 * once, EOF on the keeper's pipe), stopped or hung (the keeper's own
 * deadline). Unlike leader_cmd.c it runs the command once and never
 * restarts it, keeps its exit status, and gives it agoractl's standard
 * output (for both its stdout and stderr; stdin is /dev/null). */
#ifndef AGD_CTL_ELECT_CMD_H
#define AGD_CTL_ELECT_CMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "agora/common.h"
#include "keeper.h"
#include "loop.h"

enum elect_cmd_state {
    ELECT_CMD_IDLE = 0,     /* not started, or gone (status valid) */
    ELECT_CMD_RUNNING = 1,
    ELECT_CMD_STOPPING = 2, /* STOP sent: SIGTERM now, SIGKILL after grace */
};

struct elect_cmd {
    struct agd_loop *loop;
    char *const *argv;
    agora_time_t grace;
    void (*on_exit)(void *ctx); /* the command's group is gone */
    void *ctx;
    enum elect_cmd_state state;
    pid_t keeper, pid;
    int ctl_fd, status_fd;
    agora_time_t deadline;      /* SIGKILL deadline the keeper holds */
    int status;                 /* wait status once gone */
    bool clean;                 /* false: the keeper died without reporting */
    bool ran;                   /* started at least once */
    struct agd_keeper_reader rd;
};

void elect_cmd_init(struct elect_cmd *c, struct agd_loop *loop, char *const *argv,
                    agora_time_t grace, void (*on_exit)(void *ctx), void *ctx);

/* Forks the keeper, which execs argv in its own process group and SIGKILLs
 * the group by `deadline` (CLOCK_MONOTONIC ns). Returns 0 or -errno (the
 * program cannot be found: -ENOENT, -EACCES), with a message on stderr. */
int elect_cmd_start(struct elect_cmd *c, agora_time_t deadline);

/* Moves the keeper's SIGKILL deadline (lease renewed). */
void elect_cmd_extend(struct elect_cmd *c, agora_time_t deadline);

/* SIGTERM to the group now, SIGKILL grace later (or at the deadline). */
void elect_cmd_stop(struct elect_cmd *c);

/* Exit status for agoractl: the command's exit code, 128 + N for a
 * signal N (as a shell reports it), 1 if its keeper was lost. */
int elect_cmd_exit_code(const struct elect_cmd *c);

#endif
