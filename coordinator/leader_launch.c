/* leader_launch.c: the launcher duty of the leader (leader_launch.h). */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec.h"
#include "launcher.h"
#include "leader_launch.h"
#include "log.h"
#include "mesos_dl.h"

#define MAX_FDS 64

struct agd_launch {
    struct agd_node *n;
    struct agl_config acfg;
    char *spec_path;
    struct agl_spec *spec;
    struct agl_launcher *l;        /* NULL while we do not lead */
    bool replan;
    bool down;                     /* config cluster=down at the last turn */
    uint64_t synced;               /* applied index of the last sync */
    struct agd_timer wake;
    int fds[MAX_FDS];
    size_t n_fds;
};

static void spec_problem(void *ctx, const char *line)
{
    agd_logp(AGD_ERR, ((struct agd_launch *)ctx)->n != NULL ?
             agd_node_prefix(((struct agd_launch *)ctx)->n) : "", "cluster spec: %s", line);
}

/* --- the host side of launcher.h ------------------------------------------------ */

static agora_time_t h_now(void *ctx)
{
    return agd_loop_now(agd_node_loop(((struct agd_launch *)ctx)->n));
}

static void on_fd(struct agd_loop *loop, int fd, short revents, void *ctx)
{
    struct agd_launch *L = ctx;
    (void)loop;
    if (L->l != NULL)
        agl_launcher_on_fd(L->l, fd, revents);
}

static int h_watch(void *ctx, int fd, short events)
{
    struct agd_launch *L = ctx;
    struct agd_loop *loop = agd_node_loop(L->n);
    for (size_t i = 0; i < L->n_fds; i++) {
        if (L->fds[i] != fd)
            continue;
        if (events != 0)
            return agd_loop_set_events(loop, fd, events);
        agd_loop_del_fd(loop, fd);
        L->fds[i] = L->fds[--L->n_fds];
        return 0;
    }
    if (events == 0)
        return 0;
    if (L->n_fds == MAX_FDS || agd_loop_add_fd(loop, fd, events, on_fd, L) != 0)
        return -1;
    L->fds[L->n_fds++] = fd;
    return 0;
}

static void on_wake(struct agd_loop *loop, void *ctx)
{
    struct agd_launch *L = ctx;
    (void)loop;
    if (L->l != NULL)
        agl_launcher_on_timer(L->l);
}

static void h_wake_at(void *ctx, agora_time_t when)
{
    struct agd_launch *L = ctx;
    if (when == AGL_NEVER)
        agd_timer_cancel(agd_node_loop(L->n), &L->wake);
    else
        agd_timer_arm(agd_node_loop(L->n), &L->wake, when);
}

static int h_propose(void *ctx, const struct agora_cmd *cmd)
{
    return agd_node_propose(((struct agd_launch *)ctx)->n, cmd) == AGORA_OK ? 0 : -1;
}

static void h_log(void *ctx, int level, const char *line)
{
    agd_logp(level, agd_node_prefix(((struct agd_launch *)ctx)->n), "launcher: %s", line);
}

/* --- the duty ------------------------------------------------------------------------ */

static int plan_one(void *ctx, const struct agora_cmd *cmd)
{
    agd_logp(AGD_INFO, agd_node_prefix(((struct agd_launch *)ctx)->n),
             "launcher: desired task %s: %s", cmd->u.task.id,
             agora_task_goal_name(cmd->u.task.goal));
    return h_propose(ctx, cmd);
}

static void stop_launcher(struct agd_launch *L)
{
    if (L->l == NULL)
        return;
    agd_logp(AGD_NOTICE, agd_node_prefix(L->n), "launcher: stopping (no longer leading)");
    agl_launcher_stop(L->l);
    agl_launcher_free(L->l);
    L->l = NULL;
    agd_timer_cancel(agd_node_loop(L->n), &L->wake);
    while (L->n_fds > 0)
        agd_loop_del_fd(agd_node_loop(L->n), L->fds[--L->n_fds]);
}

static void start_launcher(struct agd_launch *L)
{
    char err[AGL_ERR_MAX];
    const struct agora_sm *sm = agd_node_sm(L->n);
    struct agl_host host = {L, h_now, h_watch, h_wake_at, h_propose, h_log};
    L->l = agl_launcher_new(&L->acfg, &host, err, sizeof(err));
    if (L->l == NULL) {
        agd_logp(AGD_ERR, agd_node_prefix(L->n), "launcher: %s", err);
        return;
    }
    if (agl_launcher_start(L->l, agd_node_proposer(L->n)->ballot, sm) != 0) {
        agd_logp(AGD_ERR, agd_node_prefix(L->n), "launcher: cannot start");
        stop_launcher(L);
        return;
    }
    char what[256];
    agl_launcher_describe(L->l, what, sizeof(what));
    agd_logp(AGD_NOTICE, agd_node_prefix(L->n), "launcher: started (%s)", what);
    L->synced = agora_sm_applied(sm);
    L->down = agora_sm_cluster_down(sm);
    L->replan = true;
}

/* The spec's plan, or every task stopped while the log says the cluster is
 * down (`agoractl cluster down`); tried again later while old copies of
 * the spec's tasks are still being removed. */
static void plan(struct agd_launch *L, const struct agora_sm *sm)
{
    bool down = agora_sm_cluster_down(sm);
    if (down != L->down) {
        agd_logp(AGD_NOTICE, agd_node_prefix(L->n), "launcher: the log says cluster %s",
                 down ? "down: stopping every task" : "up: planning the spec");
        L->down = down;
        L->replan = true;
    }
    if (!L->replan || L->spec == NULL)
        return;
    int k = agl_cluster_plan(L->spec, sm, plan_one, L);
    L->replan = k == AGL_PLAN_LATER;
    if (k < 0 && k != AGL_PLAN_LATER)
        agd_logp(AGD_WARNING, agd_node_prefix(L->n), "launcher: planning failed (%d)", k);
}

static agora_time_t turn(void *ctx, agora_time_t now, bool leading)
{
    struct agd_launch *L = ctx;
    const struct agora_sm *sm = agd_node_sm(L->n);
    (void)now;
    if (!leading) {
        stop_launcher(L);
        return UINT64_MAX;
    }
    /* our LEADER entry applied: the state is our term's */
    struct agora_ballot mine = agd_node_proposer(L->n)->ballot;
    if (L->l == NULL && agora_ballot_cmp(agora_sm_leader(sm).ballot, mine) == 0)
        start_launcher(L);
    if (L->l == NULL)
        return UINT64_MAX;
    plan(L, sm);
    if (agora_sm_applied(sm) != L->synced) {
        L->synced = agora_sm_applied(sm);
        agl_launcher_sync(L->l, sm);
    }
    return UINT64_MAX;
}

int agd_launch_new(struct agd_node *n, const struct agd_config *cfg, struct agd_launch **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (cfg->cluster_spec == NULL)
        return 0;
    struct agd_launch *L = calloc(1, sizeof(*L));
    if (L == NULL || (L->spec_path = strdup(cfg->cluster_spec)) == NULL) {
        free(L);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    L->n = n;
    /* the Mesos launcher's libraries, loaded now so that a host without
     * them fails at start, not when it first leads (mesos_dl.h) */
    if (cfg->launcher == AGD_LAUNCHER_MESOS && agl_mesos_dl_load(err, errlen) != 0) {
        free(L->spec_path);
        free(L);
        return -1;
    }
    if (agl_spec_load(L->spec_path, &L->spec, spec_problem, L) != 0) {
        snprintf(err, errlen, "%s: the cluster spec does not load (see above)", L->spec_path);
        free(L->spec_path);
        free(L);
        return -1;
    }
    L->acfg.backend = cfg->launcher == AGD_LAUNCHER_MESOS ? AGL_BACKEND_MESOS : AGL_BACKEND_LOCAL;
    L->acfg.node = cfg->name;
    agl_config_defaults(&L->acfg);
    agd_timer_init(&L->wake, on_wake, L);
    struct agd_duty d = {turn, L};
    agd_node_set_duty(n, &d);
    *out = L;
    return 0;
}

void agd_launch_reload(struct agd_launch *L)
{
    struct agl_spec *fresh = NULL;
    if (L == NULL)
        return;
    if (agl_spec_load(L->spec_path, &fresh, spec_problem, L) != 0) {
        agd_logp(AGD_ERR, agd_node_prefix(L->n), "launcher: %s: keeping the old cluster spec",
                 L->spec_path);
        return;
    }
    agl_spec_free(L->spec);
    L->spec = fresh;
    L->replan = true;
    agd_node_poke(L->n);
}

void agd_launch_free(struct agd_launch *L)
{
    if (L == NULL)
        return;
    agd_node_set_duty(L->n, NULL);
    stop_launcher(L);
    agl_spec_free(L->spec);
    free(L->spec_path);
    free(L);
}
