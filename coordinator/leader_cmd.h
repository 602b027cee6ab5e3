/* leader_cmd.h: the leader-only command (DESIGN.md section 5): it runs only
 * while this agorad holds the lease, and is dead before the lease can lapse.
 *
 * Timeline, with lease_end the end of the lease on our own clock (already
 * shortened by the drift margin, proposer.h):
 *
 *   start   only if now < lease_end - grace - margin
 *   SIGTERM at lease_end - grace - margin, unless a renewal moved lease_end
 *   SIGKILL grace later, and in any case by lease_end - margin
 *
 * The SIGKILL deadline is enforced by the keeper process (keeper.h), not by
 * agorad's loop, so it holds when agorad is killed (-9), stopped or hung.
 * Output goes to agorad's log line by line, prefixed "leader-command: ".
 * Transitions are written to the history log (history.h). */
#ifndef AGD_LEADER_CMD_H
#define AGD_LEADER_CMD_H

#include <stdbool.h>
#include <sys/types.h>

#include "agora/common.h"
#include "keeper.h"
#include "history.h"
#include "loop.h"

#define AGD_CMD_BACKOFF_MIN (1 * AGORA_SEC)
#define AGD_CMD_BACKOFF_MAX (30 * AGORA_SEC)
#define AGD_CMD_LINE_MAX 1024

enum agd_cmd_state {
    AGD_CMD_IDLE = 0,
    AGD_CMD_RUNNING = 1,
    AGD_CMD_STOPPING = 2,       /* STOP sent, waiting for the group to be gone */
};

struct agd_leader_cmd {
    struct agd_loop *loop;
    char *const *argv;          /* NULL: no command configured */
    agora_time_t grace, margin;
    const char *prefix;         /* for log lines, may be "" */
    struct agd_history *hist;
    void (*on_exit)(void *ctx); /* the command is gone: re-evaluate */
    void *ctx;
    enum agd_cmd_state state;
    pid_t keeper, pid;          /* pid 0 until the keeper reports it */
    int ctl_fd, status_fd, out_fd;
    agora_time_t deadline;      /* SIGKILL deadline the keeper holds */
    agora_time_t started_at, restart_at, backoff;
    agora_time_t next;          /* call update() again by then (UINT64_MAX: no need) */
    bool stopped_by_us;
    char line[AGD_CMD_LINE_MAX];
    size_t line_len;
    struct agd_keeper_reader rd;
};

void agd_cmd_init(struct agd_leader_cmd *c, struct agd_loop *loop, char *const *argv,
                  agora_time_t grace, agora_time_t margin, struct agd_history *hist,
                  const char *prefix, void (*on_exit)(void *ctx), void *ctx);

/* Applies the policy above: starts, stops or extends the command. holds
 * and lease_end from the proposer; may_start false while shutting down. */
void agd_cmd_update(struct agd_leader_cmd *c, agora_time_t now, bool holds,
                    agora_time_t lease_end, bool may_start);

/* Clean stop: SIGTERM to the group, SIGKILL after grace (or the deadline). */
void agd_cmd_stop(struct agd_leader_cmd *c, const char *why);

/* RUNNING or STOPPING: some process of the command may be alive. */
bool agd_cmd_active(const struct agd_leader_cmd *c);

/* Kills the command at once (SIGKILL via the keeper, as if agorad had
 * died), waits until its group is gone and records it. */
void agd_cmd_destroy(struct agd_leader_cmd *c);

/* Describes a wait status: "exit 0", "signal 15". */
void agd_cmd_describe_status(int status, char *out, size_t len);

/* Finds prog in PATH (or takes it as is if it holds a '/'); out gets the
 * path. Returns 0 or -ENOENT / -EACCES. */
int agd_cmd_resolve(const char *prog, char *out, size_t len);

#endif
