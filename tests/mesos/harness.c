/* harness.c: see harness.h. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agora/render.h"
#include "harness.h"

agora_time_t h_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (agora_time_t)ts.tv_sec * AGORA_SEC + (agora_time_t)ts.tv_nsec;
}

static agora_time_t host_now(void *ctx)
{
    (void)ctx;
    return h_now();
}

static int host_watch(void *ctx, int fd, short events)
{
    struct h_node *n = ctx;
    for (int i = 0; i < n->n_fds; i++) {
        if (n->fds[i] != fd)
            continue;
        if (events == 0) {
            n->fds[i] = n->fds[--n->n_fds];
            n->events[i] = n->events[n->n_fds];
        } else {
            n->events[i] = events;
        }
        return 0;
    }
    if (events == 0)
        return 0;
    if (n->n_fds == H_MAX_FDS)
        return -1;
    n->fds[n->n_fds] = fd;
    n->events[n->n_fds++] = events;
    return 0;
}

static void host_wake(void *ctx, agora_time_t when)
{
    ((struct h_node *)ctx)->wake = when;
}

static int host_propose(void *ctx, const struct agora_cmd *cmd)
{
    return h_propose(((struct h_node *)ctx)->w, cmd);
}

static void host_log(void *ctx, int level, const char *line)
{
    struct h_node *n = ctx;
    if (n->w->verbose || level <= 4)
        fprintf(stderr, "[node %d] <%d> %s\n", n->id, level, line);
}

void h_world_init(struct h_world *w)
{
    memset(w, 0, sizeof *w);
    agora_sm_init(&w->sm);
    w->verbose = getenv("AGL_VERBOSE") != NULL;
}

void h_world_free(struct h_world *w)
{
    for (int i = 0; i < w->n_nodes; i++) {
        if (!w->nodes[i].dead)
            agl_launcher_free(w->nodes[i].l);
    }
    for (int i = 0; i < w->n_pending; i++)
        agora_buf_free(&w->pending[i]);
    agora_sm_free(&w->sm);
}

struct h_node *h_node_new(struct h_world *w, const struct agl_config *cfg)
{
    struct h_node *n = &w->nodes[w->n_nodes];
    struct agl_host host = {n, host_now, host_watch, host_wake, host_propose, host_log};
    char err[AGL_ERR_MAX];

    memset(n, 0, sizeof *n);
    n->w = w;
    n->id = w->n_nodes + 1;
    n->wake = AGL_NEVER;
    n->l = agl_launcher_new(cfg, &host, err, sizeof err);
    if (n->l == NULL) {
        fprintf(stderr, "h_node_new: %s\n", err);
        return NULL;
    }
    w->n_nodes++;
    return n;
}

int h_propose(struct h_world *w, const struct agora_cmd *cmd)
{
    char why[256];
    struct agora_buf *b;

    if (w->n_pending == 256)
        return -1;
    b = &w->pending[w->n_pending];
    agora_buf_init(b);
    if (agora_cmd_encode(cmd, b, why, sizeof why) != AGORA_OK) {
        fprintf(stderr, "h_propose: %s\n", why);
        return -1;
    }
    w->n_pending++;
    if (cmd->kind == AGORA_CMD_TASK_OBSERVED && (cmd->u.observed.state == AGORA_TASK_STAGING ||
                                                 cmd->u.observed.state == AGORA_TASK_STARTING))
        w->launches++;
    return 0;
}

static void apply_pending(struct h_world *w)
{
    char why[256];

    for (int i = 0; i < w->n_pending; i++) {
        struct agora_buf *b = &w->pending[i];
        int rc = agora_sm_apply(&w->sm, agora_sm_applied(&w->sm) + 1, b->data, (uint32_t)b->len,
                                why, sizeof why);
        if (rc != AGORA_OK && rc != AGORA_ESTALE) {
            w->rejected++;
            if (w->verbose)
                fprintf(stderr, "[log] rejected: %s\n", why);
        }
        agora_buf_free(b);
    }
    w->n_pending = 0;
}

static int plan_cb(void *ctx, const struct agora_cmd *cmd);

/* leader_launch.c's plan(): proposals committed at once. */
static void duty(struct h_world *w)
{
    if (w->duty == NULL)
        return;
    if (agora_sm_cluster_down(&w->sm) != w->duty_down) {
        w->duty_down = agora_sm_cluster_down(&w->sm);
        w->duty_replan = true;
    }
    if (!w->duty_replan)
        return;
    w->duty_replan = agl_cluster_plan(w->duty, &w->sm, plan_cb, w) == AGL_PLAN_LATER;
    apply_pending(w);
}

void h_commit(struct h_world *w)
{
    bool any = w->n_pending > 0 || (w->duty != NULL && w->duty_replan);

    apply_pending(w);
    duty(w);
    for (int i = 0; any && i < w->n_nodes; i++) {
        if (!w->nodes[i].dead)
            agl_launcher_sync(w->nodes[i].l, &w->sm);
    }
}

void h_node_lead(struct h_node *n)
{
    struct agora_cmd c;
    char id[16];

    snprintf(id, sizeof id, "node%d", n->id);
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_LEADER;
    c.u.leader.ballot.round = ++n->w->round;
    c.u.leader.ballot.node = (uint32_t)n->id;
    c.u.leader.id = id;
    h_propose(n->w, &c);
    h_commit(n->w);
    agl_launcher_start(n->l, c.u.leader.ballot, &n->w->sm);
    n->w->duty_replan = n->w->duty != NULL;
    h_commit(n->w);
}

void h_world_duty(struct h_world *w, const struct agl_spec *spec)
{
    w->duty = spec;
    w->duty_down = agora_sm_cluster_down(&w->sm);
    w->duty_replan = true;
    h_commit(w);
}

void h_set_cluster(struct h_world *w, const char *value)
{
    static uint64_t seq;
    struct agora_cmd c;

    agora_cmd_init(&c);
    c.kind = AGORA_CMD_CONFIG;
    c.origin = "ctl:test";
    c.seq = ++seq;
    c.u.config.key = "cluster";
    c.u.config.value = value;
    h_propose(w, &c);
    h_commit(w);
}

void h_node_crash(struct h_node *n)
{
    n->dead = true;
    agl_launcher_free(n->l);
    n->l = NULL;
    n->n_fds = 0;
}

static int collect(struct h_world *w, struct pollfd *pfd, struct h_node **owner, int *timeout)
{
    int k = 0;
    agora_time_t now = h_now();

    for (int i = 0; i < w->n_nodes; i++) {
        struct h_node *n = &w->nodes[i];
        if (n->dead)
            continue;
        for (int j = 0; j < n->n_fds; j++) {
            pfd[k].fd = n->fds[j];
            pfd[k].events = n->events[j];
            owner[k++] = n;
        }
        if (n->wake != AGL_NEVER) {
            int ms = n->wake <= now ? 0 : (int)((n->wake - now) / AGORA_MS + 1);
            if (ms < *timeout)
                *timeout = ms;
        }
    }
    return k;
}

static void turn(struct h_world *w, int max_ms)
{
    struct pollfd pfd[H_MAX_NODES * H_MAX_FDS];
    struct h_node *owner[H_MAX_NODES * H_MAX_FDS];
    int timeout = max_ms;
    int k = collect(w, pfd, owner, &timeout);

    if (poll(pfd, (nfds_t)k, timeout) > 0) {
        for (int i = 0; i < k; i++) {
            if (pfd[i].revents != 0 && !owner[i]->dead) {
                agl_launcher_on_fd(owner[i]->l, pfd[i].fd, pfd[i].revents);
                h_commit(w);
            }
        }
    }
    for (int i = 0; i < w->n_nodes; i++) {
        struct h_node *n = &w->nodes[i];
        if (!n->dead && n->wake != AGL_NEVER && n->wake <= h_now()) {
            n->wake = AGL_NEVER;
            agl_launcher_on_timer(n->l);
            h_commit(w);
        }
    }
}

bool h_run_until(struct h_world *w, h_pred_fn *pred, void *arg, int timeout_ms)
{
    agora_time_t end = h_now() + (agora_time_t)timeout_ms * AGORA_MS;

    h_commit(w);
    while (pred == NULL || !pred(w, arg)) {
        agora_time_t now = h_now();
        if (now >= end)
            return false;
        int left = (int)((end - now) / AGORA_MS) + 1;
        turn(w, left < 50 ? left : 50);
    }
    return true;
}

void h_run_for(struct h_world *w, int ms)
{
    (void)h_run_until(w, NULL, NULL, ms);
}

unsigned h_count_state(struct h_world *w, enum agora_task_state st)
{
    unsigned n = 0;
    for (size_t i = 0; i < agora_sm_task_count(&w->sm); i++)
        n += agora_sm_task_at(&w->sm, i)->state == st;
    return n;
}

bool h_all_running(struct h_world *w, void *arg)
{
    unsigned want = (unsigned)(uintptr_t)arg;
    return agora_sm_task_count(&w->sm) == want && h_count_state(w, AGORA_TASK_RUNNING) == want;
}

bool h_hosts_has(struct h_world *w, const char *text)
{
    struct agora_buf hosts;
    agora_buf_init(&hosts);
    bool has = agora_render_hosts(&w->sm, &hosts) == 0 && agora_buf_put_u8(&hosts, 0) == 0 &&
               strstr((char *)hosts.data, text) != NULL;
    agora_buf_free(&hosts);
    return has;
}

bool h_hosts_seeded(struct h_world *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char line[64];
        snprintf(line, sizeof line, "192.168.0.10%u\tetcd-%u", i, i);
        if (!h_hosts_has(w, line))
            return false;
    }
    return true;
}

bool h_lead_until(struct h_node *n, const struct agl_spec *spec, bool duty, h_pred_fn *pred,
                  void *arg, int timeout_ms)
{
    h_node_lead(n);
    if (duty)
        h_world_duty(n->w, spec);
    else
        h_apply_spec(n->w, spec);
    return h_run_until(n->w, pred, arg, timeout_ms);
}

static int plan_cb(void *ctx, const struct agora_cmd *cmd)
{
    if (((struct h_world *)ctx)->verbose)
        fprintf(stderr, "[plan] %s goal %d\n", cmd->u.task.id, (int)cmd->u.task.goal);
    return h_propose(ctx, cmd);
}

int h_apply_spec(struct h_world *w, const struct agl_spec *spec)
{
    int n = agl_spec_plan(spec, &w->sm, plan_cb, w);
    h_commit(w);
    return n;
}

static void print_problem(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "spec: %s\n", line);
}

struct agl_spec *h_load_spec(const char *text)
{
    struct agl_spec *s = NULL;
    if (agl_spec_parse("test.json", text, strlen(text), &s, print_problem, NULL) != 0)
        return NULL;
    return s;
}
