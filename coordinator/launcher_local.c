/* launcher_local.c: the embedded default backend. Every task of the log is
 * a local process tree (local_spawn.h), supervised with the relaunch policy
 * the Mesos backend uses (launcher.c): STARTING at fork, RUNNING once the
 * command is exec'd, then FINISHED / FAILED / KILLED when it ends, each
 * proposed as TASK_OBSERVED. Exits are seen through a pidfd per process,
 * so the event loop needs no SIGCHLD handling. Only a leader runs tasks:
 * stop() kills them all. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher_int.h"
#include "local_spawn.h"

#define POLL_NS (100 * AGORA_MS)   /* exit polling when pidfds are missing */

struct lproc {
    pid_t pid;
    int pidfd;                     /* -1: poll with waitpid */
    int status_fd;                 /* -1 once read to EOF */
    char why[AGL_SPAWN_MSG_MAX];   /* set-up or exec failure, from the child */
    bool execd;
    bool stopping;
    agora_time_t kill_at;
    agora_time_t started;
};

struct local {
    char agent[AGORA_SM_ID_MAX + 1];
    bool ns;
};

static struct local *L(struct agl_launcher *l)
{
    return l->be;
}

static int local_init(struct agl_launcher *l, char *err, size_t errlen)
{
    struct local *lo = calloc(1, sizeof *lo);

    if (lo == NULL) {
        snprintf(err, errlen, "local launcher: out of memory");
        return -1;
    }
    snprintf(lo->agent, sizeof lo->agent, "local:%s", l->cfg.node);
    lo->ns = !l->cfg.no_namespaces && agl_spawn_namespaces_available();
    l->be = lo;
    return 0;
}

static void proc_close(struct agl_launcher *l, struct lproc *p)
{
    if (p->pidfd >= 0) {
        agl_watch(l, p->pidfd, 0);
        close(p->pidfd);
    }
    if (p->status_fd >= 0) {
        agl_watch(l, p->status_fd, 0);
        close(p->status_fd);
    }
    free(p);
}

static void launch(struct agl_launcher *l, struct agl_slot *s)
{
    struct lproc *p = calloc(1, sizeof *p);
    struct agl_spawn sp;
    char why[AGL_SPAWN_MSG_MAX], logp[4096], msg[AGL_SPAWN_MSG_MAX + 64];
    char e1[300], e2[80], e3[80], e4[40];
    char *extra[] = {e1, e2, e3, e4, NULL};

    if (p == NULL)
        return;
    snprintf(e1, sizeof e1, "AGORA_TASK_ID=%s", s->id);
    snprintf(e2, sizeof e2, "AGORA_TASK_IP=%s", s->def.ip);
    snprintf(e3, sizeof e3, "AGORA_HOSTNAME=%s", s->def.hostname);
    snprintf(e4, sizeof e4, "AGORA_PRIMARY=%d", s->def.primary);
    if (l->cfg.log_dir != NULL)
        snprintf(logp, sizeof logp, "%s/%s.log", l->cfg.log_dir, s->id);
    if (agl_spawn(&s->def, L(l)->ns, l->cfg.log_dir ? logp : NULL, extra, &sp, why,
                  sizeof why) != 0) {
        free(p);
        agl_observe(l, s, AGORA_TASK_FAILED, L(l)->agent, why);
        agl_slot_failed(l, s, 0);
        return;
    }
    p->pid = sp.pid;
    p->status_fd = sp.status_fd;
    p->started = agl_now(l);
    p->pidfd = (int)syscall(SYS_pidfd_open, sp.pid, 0);
    if (p->pidfd >= 0)
        agl_watch(l, p->pidfd, POLLIN);
    agl_watch(l, p->status_fd, POLLIN);
    s->be = p;
    s->started_at = p->started;
    snprintf(msg, sizeof msg, "pid %d%s", (int)sp.pid,
             sp.namespaces ? ", namespaces mount,uts,pid" : ", no namespaces");
    agl_observe(l, s, AGORA_TASK_STARTING, L(l)->agent, msg);
}

/* The child's status pipe: EOF alone = exec'd; text = the failure. */
static void read_status(struct agl_launcher *l, struct agl_slot *s, struct lproc *p)
{
    size_t have = strlen(p->why);
    ssize_t n = read(p->status_fd, p->why + have, sizeof p->why - 1 - have);

    if (n > 0) {
        p->why[have + (size_t)n] = '\0';
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    agl_watch(l, p->status_fd, 0);
    close(p->status_fd);
    p->status_fd = -1;
    if (p->why[0] == '\0' && !p->stopping) {
        p->execd = true;
        agl_observe(l, s, AGORA_TASK_RUNNING, L(l)->agent, s->def.ip);
    }
}

static void ended(struct agl_launcher *l, struct agl_slot *s, struct lproc *p, int status)
{
    char msg[AGL_SPAWN_MSG_MAX + 32];
    enum agora_task_state st;

    if (p->status_fd >= 0)
        read_status(l, s, p); /* collect a last failure message */
    if (p->why[0] != '\0')
        snprintf(msg, sizeof msg, "%s", p->why);
    else
        agl_spawn_describe_status(status, msg, sizeof msg);
    st = p->stopping ? AGORA_TASK_KILLED
       : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? AGORA_TASK_FINISHED : AGORA_TASK_FAILED;
    agora_time_t ran = agl_now(l) - p->started;
    s->be = NULL;
    proc_close(l, p);
    agl_observe(l, s, st, L(l)->agent, msg);
    if (st != AGORA_TASK_KILLED)
        agl_slot_failed(l, s, ran);
}

static void reap(struct agl_launcher *l, struct agl_slot *s)
{
    struct lproc *p = s->be;
    int status;

    if (p != NULL && waitpid(p->pid, &status, WNOHANG) == p->pid)
        ended(l, s, p, status);
}

static void step(struct agl_launcher *l);

static void local_on_fd(struct agl_launcher *l, int fd, short revents)
{
    (void)revents;
    for (size_t i = 0; i < l->n_slots; i++) {
        struct agl_slot *s = &l->slots[i];
        struct lproc *p = s->be;
        if (p != NULL && fd == p->status_fd)
            read_status(l, s, p);
        else if (p != NULL && fd == p->pidfd)
            reap(l, s);
    }
    step(l);
}

static void signal_proc(struct agl_launcher *l, struct agl_slot *s, struct lproc *p)
{
    agora_time_t now = agl_now(l);

    if (!p->stopping) {
        p->stopping = true;
        p->kill_at = now + (agora_time_t)(s->def.grace_s * 1e9);
        kill(p->pid, SIGTERM);
        agl_observe(l, s, AGORA_TASK_KILLING, L(l)->agent, "SIGTERM");
    } else if (now >= p->kill_at) {
        kill(p->pid, SIGKILL);
        p->kill_at = AGL_NEVER;
    }
}

/* A task the log says is live but that has no process under this leader
 * (the previous leader's, gone with it): record it lost, then relaunch. */
static void adopt_stale(struct agl_launcher *l, struct agl_slot *s)
{
    enum agora_task_state st = agl_slot_state(s);

    if (st != AGORA_TASK_NONE && !agl_state_terminal(st))
        agl_observe(l, s, AGORA_TASK_LOST, L(l)->agent, "no process under this leader");
}

static agora_time_t step_slot(struct agl_launcher *l, struct agl_slot *s)
{
    struct lproc *p = s->be;

    if (p != NULL && p->pidfd < 0)
        reap(l, s);
    p = s->be;
    if (p != NULL && (s->goal != AGORA_GOAL_RUN || !s->def_ok || l->down)) {
        signal_proc(l, s, p);
        return p->kill_at;
    }
    if (p != NULL)
        return p->pidfd < 0 ? agl_now(l) + POLL_NS : AGL_NEVER;
    if (s->goal == AGORA_GOAL_STOP) {
        enum agora_task_state st = agl_slot_state(s);
        if (st == AGORA_TASK_NONE || agl_state_terminal(st))
            agl_propose_remove(l, s);
        else
            agl_observe(l, s, AGORA_TASK_KILLED, L(l)->agent, "stopped");
        return AGL_NEVER;
    }
    adopt_stale(l, s);
    if (agl_slot_wants_launch(l, s))
        launch(l, s);
    return s->be == NULL ? s->not_before : AGL_NEVER;
}

static void step(struct agl_launcher *l)
{
    agora_time_t next = AGL_NEVER;

    if (!agl_active(l))
        return;
    for (size_t i = 0; i < l->n_slots; i++) {
        agora_time_t t = step_slot(l, &l->slots[i]);
        if (t > agl_now(l) && t < next)
            next = t;
    }
    agl_deadline(l, AGL_DL_SLOTS, next);
}

static int local_start(struct agl_launcher *l)
{
    agl_log(l, 5, "local launcher: %s", L(l)->ns ? "namespaces mount,uts,pid"
                                                 : "no namespaces (plain processes)");
    step(l);
    return 0;
}

static void local_kill_all(struct agl_launcher *l)
{
    for (size_t i = 0; i < l->n_slots; i++) {
        struct lproc *p = l->slots[i].be;
        int status;
        if (p == NULL)
            continue;
        kill(p->pid, SIGKILL); /* A dies; B and C follow (PDEATHSIG) */
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
            ;
        l->slots[i].be = NULL;
        proc_close(l, p);
    }
    agl_deadline(l, AGL_DL_SLOTS, AGL_NEVER);
}

static int local_teardown(struct agl_launcher *l)
{
    for (size_t i = 0; i < l->n_slots; i++) {
        struct lproc *p = l->slots[i].be;
        if (p != NULL)
            signal_proc(l, &l->slots[i], p);
    }
    step(l);
    return 0;
}

static void local_slot_gone(struct agl_launcher *l, struct agl_slot *s)
{
    struct lproc *p = s->be;
    int status;

    if (p == NULL)
        return;
    kill(p->pid, SIGKILL);
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    s->be = NULL;
    proc_close(l, p);
}

static void local_fini(struct agl_launcher *l)
{
    free(l->be);
}

static void local_describe(const struct agl_launcher *l, char *out, size_t outlen)
{
    size_t live = 0;
    for (size_t i = 0; i < l->n_slots; i++)
        live += l->slots[i].be != NULL;
    snprintf(out, outlen, "local (%s): %zu process%s", ((struct local *)l->be)->ns
             ? "namespaces" : "no namespaces", live, live == 1 ? "" : "es");
}

const struct agl_backend_ops agl_local_ops = {
    .name = "local",
    .init = local_init,
    .start = local_start,
    .sync = step,
    .on_fd = local_on_fd,
    .on_timer = step,
    .reconcile = step,
    .teardown = local_teardown,
    .stop = local_kill_all,
    .slot_gone = local_slot_gone,
    .fini = local_fini,
    .describe = local_describe,
};
