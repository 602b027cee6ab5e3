/* ctl_elect_cmd.c: starting, fencing and stopping the command of `agoractl
 * elect` through the keeper (ctl_elect_cmd.h, keeper.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_elect_cmd.h"
#include "keeper.h"
#include "leader_cmd.h"

extern char **environ;

static void on_status(struct agd_loop *l, int fd, short revents, void *ctx);

void elect_cmd_init(struct elect_cmd *c, struct agd_loop *loop, char *const *argv,
                    agora_time_t grace, void (*on_exit)(void *ctx), void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->argv = argv;
    c->grace = grace;
    c->on_exit = on_exit;
    c->ctx = ctx;
    c->ctl_fd = c->status_fd = -1;
}

static void send_rec(struct elect_cmd *c, uint32_t op, uint64_t arg)
{
    struct agd_keeper_rec r = {.op = op, .arg = arg};
    ssize_t w;
    if (c->ctl_fd < 0)
        return;
    do
        w = write(c->ctl_fd, &r, sizeof(r));
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof(r))
        fprintf(stderr, "agoractl elect: cannot reach the keeper (pid %d): %s\n",
                (int)c->keeper, w < 0 ? strerror(errno) : "short write");
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* ctl: agoractl -> keeper; st: keeper -> agoractl; out: our stdout, dup'd;
 * nul: /dev/null for the command's stdin. */
static int make_fds(int ctl[2], int st[2], int *out, int *nul)
{
    ctl[0] = ctl[1] = st[0] = st[1] = *out = *nul = -1;
    if (pipe2(ctl, O_CLOEXEC) != 0 || pipe2(st, O_CLOEXEC) != 0 ||
        (*out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
        (*nul = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        int e = errno;
        int all[] = {ctl[0], ctl[1], st[0], st[1], *out, *nul};
        close_all(all, 6);
        return -e;
    }
    fcntl(ctl[1], F_SETFL, O_NONBLOCK);
    fcntl(st[0], F_SETFL, O_NONBLOCK);
    return 0;
}

int elect_cmd_start(struct elect_cmd *c, agora_time_t deadline)
{
    char path[PATH_MAX];
    int ctl[2], st[2], out, nul;
    int rc = agd_cmd_resolve(c->argv[0], path, sizeof(path));
    if (rc != 0) {
        fprintf(stderr, "agoractl elect: cannot run %s: %s\n", c->argv[0], strerror(-rc));
        return rc;
    }
    if ((rc = make_fds(ctl, st, &out, &nul)) != 0) {
        fprintf(stderr, "agoractl elect: pipes: %s\n", strerror(-rc));
        return rc;
    }
    fflush(NULL); /* nothing buffered may be written twice */
    struct agd_keeper_args a = {.ctl_fd = ctl[0], .status_fd = st[1], .out_fd = out,
                                .null_fd = nul, .path = path, .argv = c->argv,
                                .envp = environ, .deadline = deadline};
    pid_t k = agd_keeper_spawn(&a);
    if (k < 0) {
        int ours[] = {ctl[1], st[0]};
        close_all(ours, 2);
        fprintf(stderr, "agoractl elect: fork: %s\n", strerror((int)-k));
        return (int)k;
    }
    c->keeper = k;
    c->pid = 0;
    c->ctl_fd = ctl[1];
    c->status_fd = st[0];
    c->deadline = deadline;
    c->rd.len = 0;
    c->state = ELECT_CMD_RUNNING;
    c->ran = true;
    if (agd_loop_add_fd(c->loop, c->status_fd, POLLIN, on_status, c) != 0)
        fprintf(stderr, "agoractl elect: cannot watch the keeper's pipe\n");
    return 0;
}

void elect_cmd_extend(struct elect_cmd *c, agora_time_t deadline)
{
    if (c->state != ELECT_CMD_RUNNING || deadline == c->deadline)
        return;
    c->deadline = deadline;
    send_rec(c, AGD_KEEPER_DEADLINE, deadline);
}

void elect_cmd_stop(struct elect_cmd *c)
{
    if (c->state != ELECT_CMD_RUNNING)
        return;
    c->state = ELECT_CMD_STOPPING;
    send_rec(c, AGD_KEEPER_STOP, c->grace);
}

int elect_cmd_exit_code(const struct elect_cmd *c)
{
    if (!c->clean)
        return 1;
    if (WIFEXITED(c->status))
        return WEXITSTATUS(c->status);
    if (WIFSIGNALED(c->status))
        return 128 + WTERMSIG(c->status);
    return 1;
}

static void ended(struct elect_cmd *c, int status, bool clean)
{
    while (waitpid(c->keeper, NULL, 0) < 0 && errno == EINTR)
        ;
    agd_loop_del_fd(c->loop, c->status_fd);
    close(c->status_fd);
    close(c->ctl_fd);
    c->status_fd = c->ctl_fd = -1;
    c->status = status;
    c->clean = clean;
    c->state = ELECT_CMD_IDLE;
    c->keeper = 0;
    if (c->on_exit != NULL)
        c->on_exit(c->ctx);
}

static void handle_rec(struct elect_cmd *c, const struct agd_keeper_rec *r)
{
    if (r->op == AGD_KEEPER_STARTED)
        c->pid = (pid_t)r->arg;
    else if (r->op == AGD_KEEPER_EXEC_FAILED)
        fprintf(stderr, "agoractl elect: cannot execute %s: %s\n", c->argv[0],
                strerror((int)r->arg));
    else if (r->op == AGD_KEEPER_EXITED)
        ended(c, (int)r->arg, true);
}

static void on_status(struct agd_loop *l, int fd, short revents, void *ctx)
{
    struct elect_cmd *c = ctx;
    (void)l;
    (void)revents;
    struct agd_keeper_rec r;
    int got = 0;
    while (c->state != ELECT_CMD_IDLE && (got = agd_keeper_read(&c->rd, fd, &r)) > 0)
        handle_rec(c, &r);
    if (got < 0) /* the keeper is gone without saying EXITED */
        ended(c, 0, false);
}
