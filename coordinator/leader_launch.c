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
/* A launcher that cannot be built or started is tried again after this,
 * doubling up to the cap (one error line per attempt, not one per turn). */
#define RETRY_MIN (1 * AGORA_SEC)
#define RETRY_MAX (60 * AGORA_SEC)

struct agd_launch {
    struct agd_node *n;
    struct agl_config acfg;
    char *spec_path;
    struct agl_spec *spec;
    struct agl_launcher *l;        /* NULL while we do not lead */
    bool replan;
    bool down;                     /* config cluster=down at the last turn */
    uint64_t synced;               /* applied index of the last sync */
    agora_time_t retry_at;         /* no new launcher before (0: at once) */
    agora_time_t retry_wait;       /* the next back-off (0: RETRY_MIN) */
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

/* why NULL: no log line (a launcher that failed to start) */
static void stop_launcher(struct agd_launch *L, const char *why)
{
    if (L->l == NULL)
        return;
    if (why != NULL)
        agd_logp(AGD_NOTICE, agd_node_prefix(L->n), "launcher: stopping (%s)", why);
    agl_launcher_stop(L->l);
    agl_launcher_free(L->l);
    L->l = NULL;
    agd_timer_cancel(agd_node_loop(L->n), &L->wake);
    while (L->n_fds > 0)
        agd_loop_del_fd(agd_node_loop(L->n), L->fds[--L->n_fds]);
}

/* A failed start: one error line, then the next try after a back-off. */
static void start_failed(struct agd_launch *L, agora_time_t now, const char *why)
{
    agora_time_t wait = L->retry_wait != 0 ? L->retry_wait : RETRY_MIN;
    L->retry_at = now + wait;
    L->retry_wait = wait * 2 > RETRY_MAX ? RETRY_MAX : wait * 2;
    agd_logp(AGD_ERR, agd_node_prefix(L->n), "launcher: %s (trying again in %llu s)", why,
             (unsigned long long)(wait / AGORA_SEC));
}

static void start_launcher(struct agd_launch *L, agora_time_t now)
{
    char err[AGL_ERR_MAX];
    const struct agora_sm *sm = agd_node_sm(L->n);
    struct agl_host host = {L, h_now, h_watch, h_wake_at, h_propose, h_log};
    L->l = agl_launcher_new(&L->acfg, &host, err, sizeof(err));
    if (L->l == NULL) {
        start_failed(L, now, err);
        return;
    }
    if (agl_launcher_start(L->l, agd_node_proposer(L->n)->ballot, sm) != 0) {
        stop_launcher(L, NULL);
        start_failed(L, now, "cannot start");
        return;
    }
    L->retry_wait = 0;
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
    if (!leading) {
        stop_launcher(L, "no longer leading");
        L->retry_at = L->retry_wait = 0; /* a new term tries at once */
        return UINT64_MAX;
    }
    if (L->l == NULL) {
        if (now < L->retry_at)
            return L->retry_at;
        /* our LEADER entry applied: the state is our term's */
        if (agora_ballot_cmp(agora_sm_leader(sm).ballot, agd_node_proposer(L->n)->ballot) == 0)
            start_launcher(L, now);
        if (L->l == NULL)
            return L->retry_at > now ? L->retry_at : UINT64_MAX;
    }
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
    if (agl_spec_load(L->spec_path, &L->spec, spec_problem, L) != 0) {
        snprintf(err, errlen, "%s: the cluster spec does not load (see above)", L->spec_path);
        free(L->spec_path);
        free(L);
        return -1;
    }
    L->acfg.backend = cfg->launcher == AGD_LAUNCHER_MESOS ? AGL_BACKEND_MESOS : AGL_BACKEND_LOCAL;
    L->acfg.node = cfg->name;
    /* the strings stay cfg's: agorad keeps its config until after
     * agd_launch_free, and agl_launcher_new copies them */
    L->acfg.masters = cfg->mesos.masters;
    L->acfg.framework_name = cfg->mesos.framework_name;
    L->acfg.user = cfg->mesos.user;
    L->acfg.role = cfg->mesos.role;
    L->acfg.principal = cfg->mesos.principal;
    L->acfg.failover_timeout_s = cfg->mesos.failover_timeout_s;
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
    stop_launcher(L, "no longer leading");
    agl_spec_free(L->spec);
    free(L->spec_path);
    free(L);
}

int agd_launch_check(const struct agd_config *cfg, char *err, size_t errlen)
{
    const char *masters = cfg->mesos.masters;
    char why[AGL_ERR_MAX];
    if (cfg->launcher != AGD_LAUNCHER_MESOS)
        return 0;
    if (agl_masters_check(masters, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: field 'mesos.masters': %s", cfg->file, why);
        return -1;
    }
    /* zk:// needs libzookeeper-mt: loaded now, so that a host without it
     * refuses to start instead of failing when it first leads */
    if (strncmp(masters, "zk://", 5) == 0 && agl_zk_dl_load(why, sizeof(why)) != 0) {
        const char *p = strncmp(why, "mesos launcher: ", 16) == 0 ? why + 16 : why;
        snprintf(err, errlen, "%s: field 'mesos.masters': a zk:// URL needs libzookeeper-mt: %s",
                 cfg->file, p);
        return -1;
    }
    return 0;
}
