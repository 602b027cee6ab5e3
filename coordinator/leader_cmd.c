/* leader_cmd.c: starting, fencing and stopping the leader-only command
 * (leader_cmd.h); the fencing itself is in keeper.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"
#include "leader_cmd.h"
#include "log.h"

extern char **environ;

#define NEVER UINT64_MAX

static void on_status(struct agd_loop *l, int fd, short revents, void *ctx);
static void on_output(struct agd_loop *l, int fd, short revents, void *ctx);

void agd_cmd_init(struct agd_leader_cmd *c, struct agd_loop *loop, char *const *argv,
                  agora_time_t grace, agora_time_t margin, struct agd_history *hist,
                  const char *prefix, void (*on_exit)(void *ctx), void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->argv = argv;
    c->grace = grace;
    c->margin = margin;
    c->hist = hist;
    c->prefix = prefix != NULL ? prefix : "";
    c->on_exit = on_exit;
    c->ctx = ctx;
    c->ctl_fd = c->status_fd = c->out_fd = -1;
    c->backoff = AGD_CMD_BACKOFF_MIN;
    c->next = NEVER;
}

bool agd_cmd_active(const struct agd_leader_cmd *c)
{
    return c->state != AGD_CMD_IDLE;
}

void agd_cmd_describe_status(int status, char *out, size_t len)
{
    if (WIFEXITED(status))
        snprintf(out, len, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, len, "signal %d", WTERMSIG(status));
    else
        snprintf(out, len, "status 0x%x", (unsigned)status);
}

int agd_cmd_resolve(const char *prog, char *out, size_t len)
{
    if (strchr(prog, '/') != NULL) {
        snprintf(out, len, "%s", prog);
        return access(out, X_OK) == 0 ? 0 : -errno;
    }
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path != '\0') {
        size_t n = strcspn(path, ":");
        snprintf(out, len, "%.*s/%s", (int)n, n > 0 ? path : ".", prog);
        if (access(out, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    return -ENOENT;
}

/* --- the keeper's pipe ------------------------------------------------------------ */

static void send_rec(struct agd_leader_cmd *c, uint32_t op, uint64_t arg)
{
    struct agd_keeper_rec r = {.op = op, .arg = arg};
    if (c->ctl_fd < 0)
        return;
    ssize_t w;
    do
        w = write(c->ctl_fd, &r, sizeof(r));
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof(r))
        agd_logp(AGD_WARNING, c->prefix, "leader command: cannot reach its keeper (pid %d): %s",
                 (int)c->keeper, w < 0 ? strerror(errno) : "short write");
}

static void set_deadline(struct agd_leader_cmd *c, agora_time_t deadline)
{
    if (deadline == c->deadline)
        return;
    c->deadline = deadline;
    send_rec(c, AGD_KEEPER_DEADLINE, deadline);
}

/* --- start ----------------------------------------------------------------------------- */

static void close_fd(struct agd_leader_cmd *c, int *fd)
{
    if (*fd < 0)
        return;
    agd_loop_del_fd(c->loop, *fd);
    close(*fd);
    *fd = -1;
}

static int make_pipes(int ctl[2], int status[2], int out[2], int *null_fd)
{
    ctl[0] = ctl[1] = status[0] = status[1] = out[0] = out[1] = *null_fd = -1;
    if (pipe2(ctl, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0 ||
        pipe2(out, O_CLOEXEC) != 0 ||
        (*null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        int e = errno;
        int all[] = {ctl[0], ctl[1], status[0], status[1], out[0], out[1], *null_fd};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
            if (all[i] >= 0)
                close(all[i]);
        }
        return -e;
    }
    /* Our ends never block the loop. */
    fcntl(ctl[1], F_SETFL, O_NONBLOCK);
    fcntl(status[0], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    return 0;
}

static int start(struct agd_leader_cmd *c, agora_time_t now, agora_time_t deadline)
{
    char path[PATH_MAX];
    int ctl[2], status[2], out[2], null_fd;
    int rc = agd_cmd_resolve(c->argv[0], path, sizeof(path));
    if (rc != 0) {
        agd_logp(AGD_ERR, c->prefix, "leader command: cannot run %s: %s", c->argv[0],
                 strerror(-rc));
        return rc;
    }
    if ((rc = make_pipes(ctl, status, out, &null_fd)) != 0) {
        agd_logp(AGD_ERR, c->prefix, "leader command: pipes: %s", strerror(-rc));
        return rc;
    }
    struct agd_keeper_args a = {.ctl_fd = ctl[0], .status_fd = status[1], .out_fd = out[1],
                                .null_fd = null_fd, .path = path, .argv = c->argv,
                                .envp = environ, .deadline = deadline};
    pid_t k = agd_keeper_spawn(&a);
    if (k < 0) {
        close(ctl[1]);
        close(status[0]);
        close(out[0]);
        agd_logp(AGD_ERR, c->prefix, "leader command: fork: %s", strerror((int)-k));
        return (int)k;
    }
    c->keeper = k;
    c->pid = 0;
    c->ctl_fd = ctl[1];
    c->status_fd = status[0];
    c->out_fd = out[0];
    c->deadline = deadline;
    c->started_at = now;
    c->stopped_by_us = false;
    c->rd.len = c->line_len = 0;
    c->state = AGD_CMD_RUNNING;
    if (agd_loop_add_fd(c->loop, c->status_fd, POLLIN, on_status, c) != 0 ||
        agd_loop_add_fd(c->loop, c->out_fd, POLLIN, on_output, c) != 0)
        agd_logp(AGD_ERR, c->prefix, "leader command: cannot watch its pipes");
    agd_history_add(c->hist, now, "cmd_started", ",\"keeper\":%d", (int)k);
    return 0;
}

/* --- policy ------------------------------------------------------------------------- */

void agd_cmd_stop(struct agd_leader_cmd *c, const char *why)
{
    if (c->state != AGD_CMD_RUNNING)
        return;
    agd_logp(AGD_NOTICE, c->prefix, "stopping the leader command (pid %d): %s", (int)c->pid, why);
    c->state = AGD_CMD_STOPPING;
    c->stopped_by_us = true;
    c->next = NEVER;
    send_rec(c, AGD_KEEPER_STOP, c->grace);
}

void agd_cmd_update(struct agd_leader_cmd *c, agora_time_t now, bool holds,
                    agora_time_t lease_end, bool may_start)
{
    c->next = NEVER;
    if (c->argv == NULL)
        return;
    agora_time_t guard = c->grace + c->margin;
    agora_time_t stop_at = holds && lease_end > guard ? lease_end - guard : 0;
    if (c->state == AGD_CMD_RUNNING) {
        if (!holds)
            agd_cmd_stop(c, "lost the lease");
        else if (now >= stop_at)
            agd_cmd_stop(c, "the lease is about to end without a renewal");
        else if (!may_start)
            agd_cmd_stop(c, "shutting down");
        else {
            set_deadline(c, lease_end - c->margin);
            c->next = stop_at;
        }
        return;
    }
    if (c->state != AGD_CMD_IDLE || !holds || !may_start || now >= stop_at)
        return;
    if (now < c->restart_at) {
        c->next = c->restart_at < stop_at ? c->restart_at : stop_at;
        return;
    }
    if (start(c, now, lease_end - c->margin) != 0) {
        c->restart_at = now + c->backoff;
        c->next = c->restart_at;
        return;
    }
    c->next = stop_at;
}

/* --- the command ended ------------------------------------------------------------ */

static void flush_line(struct agd_leader_cmd *c)
{
    if (c->line_len == 0)
        return;
    c->line[c->line_len] = '\0';
    agd_logp(AGD_INFO, c->prefix, "leader-command: %s", c->line);
    c->line_len = 0;
}

static void drain_output(struct agd_leader_cmd *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = c->out_fd >= 0 ? read(c->out_fd, buf, sizeof(buf)) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            flush_line(c);
            close_fd(c, &c->out_fd);
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || c->line_len == sizeof(c->line) - 1)
                flush_line(c);
            if (buf[i] != '\n')
                c->line[c->line_len++] = buf[i];
        }
    }
}

static void on_output(struct agd_loop *l, int fd, short revents, void *ctx)
{
    (void)l;
    (void)fd;
    (void)revents;
    drain_output(ctx);
}

static void ended(struct agd_leader_cmd *c, int status, bool clean)
{
    agora_time_t now = agd_loop_now(c->loop);
    char what[64];
    agd_cmd_describe_status(status, what, sizeof(what));
    while (waitpid(c->keeper, NULL, 0) < 0 && errno == EINTR)
        ;
    drain_output(c);
    close_fd(c, &c->out_fd);
    close_fd(c, &c->status_fd);
    if (c->ctl_fd >= 0)
        close(c->ctl_fd);
    c->ctl_fd = -1;
    agd_history_add(c->hist, now, "cmd_stopped", ",\"pid\":%d,\"status\":\"%s\"", (int)c->pid,
                    clean ? what : "keeper lost");
    agd_logp(clean ? AGD_NOTICE : AGD_WARNING, c->prefix,
             "leader command (pid %d) is gone: %s%s", (int)c->pid, what,
             clean ? "" : " (its keeper died: descendants may survive)");
    /* Stopped by us: start again at once when we lead again. Ended by
     * itself: back off, longer each time unless it ran a good while. */
    if (c->stopped_by_us) {
        c->restart_at = now;
    } else {
        if (now - c->started_at >= AGD_CMD_BACKOFF_MAX)
            c->backoff = AGD_CMD_BACKOFF_MIN;
        c->restart_at = now + c->backoff;
        c->backoff = c->backoff * 2 > AGD_CMD_BACKOFF_MAX ? AGD_CMD_BACKOFF_MAX : c->backoff * 2;
    }
    c->state = AGD_CMD_IDLE;
    c->keeper = c->pid = 0;
    if (c->on_exit != NULL)
        c->on_exit(c->ctx);
}

static void handle_rec(struct agd_leader_cmd *c, const struct agd_keeper_rec *r)
{
    if (r->op == AGD_KEEPER_STARTED) {
        c->pid = (pid_t)r->arg;
        agd_logp(AGD_NOTICE, c->prefix, "leader command started (pid %d): %s", (int)c->pid,
                 c->argv[0]);
        agd_history_add(c->hist, agd_loop_now(c->loop), "cmd_pid", ",\"pid\":%d", (int)c->pid);
    } else if (r->op == AGD_KEEPER_EXEC_FAILED) {
        agd_logp(AGD_ERR, c->prefix, "leader command: cannot execute %s: %s", c->argv[0],
                 strerror((int)r->arg));
    } else if (r->op == AGD_KEEPER_EXITED) {
        ended(c, (int)r->arg, true);
    }
}

static void on_status(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct agd_leader_cmd *c = ctx;
    (void)l;
    (void)revents;
    struct agd_keeper_rec r;
    int got;
    while ((got = agd_keeper_read(&c->rd, fd, &r)) > 0) {
        handle_rec(c, &r);
        if (c->state == AGD_CMD_IDLE)
            return;
    }
    if (got < 0) /* the keeper is gone without saying EXITED */
        ended(c, 0, false);
}

void agd_cmd_destroy(struct agd_leader_cmd *c)
{
    if (c->state == AGD_CMD_IDLE)
        return;
    /* EOF on its pipe makes the keeper SIGKILL the group at once. */
    close(c->ctl_fd);
    c->ctl_fd = -1;
    c->stopped_by_us = true;
    int fl = fcntl(c->status_fd, F_GETFL);
    fcntl(c->status_fd, F_SETFL, fl & ~O_NONBLOCK);
    void (*saved)(void *) = c->on_exit;
    c->on_exit = NULL;
    while (c->state != AGD_CMD_IDLE)
        on_status(c->loop, c->status_fd, POLLIN, c);
    c->on_exit = saved;
}
