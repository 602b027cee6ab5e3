/* cluster_spec_plan.c: the TASK_DESIRED entries that turn the state
 * machine's task table into what the spec says (docs/launchers.md, "Desired
 * state"). The leader proposes them at start, on SIGHUP and when the
 * log's config "cluster" changes (agl_cluster_plan: down = spec NULL); the
 * launchers act on the result. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_spec.h"

static uint32_t milli(double cpus)
{
    return (uint32_t)lround(cpus * 1000.0);
}

static void fill(struct agora_cmd *c, const struct agl_task_def *d, const char *json)
{
    agora_cmd_init(c);
    c->kind = AGORA_CMD_TASK_DESIRED;
    c->u.task.id = d->id;
    c->u.task.group = d->app;
    c->u.task.hostname = d->hosts_name;
    c->u.task.ip = d->hosts_name[0] != '\0' ? d->ip : "";
    c->u.task.goal = AGORA_GOAL_RUN;
    c->u.task.image = d->image;
    c->u.task.network = d->network;
    c->u.task.cpus_milli = milli(d->cpus);
    c->u.task.mem_mb = (uint32_t)lround(ceil(d->mem));
    c->u.task.spec = json;
}

static bool same(const struct agora_task *t, const struct agora_cmd *c)
{
    return t->goal == c->u.task.goal && strcmp(t->group, c->u.task.group) == 0 &&
           strcasecmp(t->hostname, c->u.task.hostname) == 0 && strcmp(t->ip, c->u.task.ip) == 0 &&
           strcmp(t->image, c->u.task.image) == 0 && strcmp(t->network, c->u.task.network) == 0 &&
           t->cpus_milli == c->u.task.cpus_milli && t->mem_mb == c->u.task.mem_mb &&
           strcmp(t->spec, c->u.task.spec) == 0;
}

static int plan_run(const struct agl_spec *spec, const struct agora_sm *sm, agl_cmd_fn *fn,
                    void *ctx)
{
    int n = 0;

    for (size_t i = 0; spec != NULL && i < spec->n_tasks; i++) {
        const struct agl_task_def *d = &spec->tasks[i];
        const struct agora_task *t = agora_sm_task_find(sm, d->id);
        struct agora_cmd c;
        char *json = agl_task_def_to_json(d);
        int rc;

        if (json == NULL)
            return AGORA_ENOMEM;
        fill(&c, d, json);
        bool changed = t == NULL || !same(t, &c);
        rc = changed ? fn(ctx, &c) : 0;
        free(json);
        if (rc < 0)
            return rc;
        n += changed;
    }
    return n;
}

static bool in_spec(const struct agl_spec *spec, const char *id)
{
    for (size_t i = 0; spec != NULL && i < spec->n_tasks; i++) {
        if (strcmp(spec->tasks[i].id, id) == 0)
            return true;
    }
    return false;
}

int agl_spec_plan(const struct agl_spec *spec, const struct agora_sm *sm, agl_cmd_fn *fn,
                  void *ctx)
{
    int n = plan_run(spec, sm, fn, ctx);

    for (size_t i = 0; n >= 0 && i < agora_sm_task_count(sm); i++) {
        const struct agora_task *t = agora_sm_task_at(sm, i);
        struct agora_cmd c;
        int rc;

        if (t->goal == AGORA_GOAL_STOP || in_spec(spec, t->id))
            continue;
        agora_cmd_init(&c);
        c.kind = AGORA_CMD_TASK_DESIRED;
        c.u.task.id = t->id;
        c.u.task.group = t->group;
        c.u.task.hostname = t->hostname;
        c.u.task.ip = t->ip;
        c.u.task.goal = AGORA_GOAL_STOP;
        c.u.task.image = t->image;
        c.u.task.network = t->network;
        c.u.task.cpus_milli = t->cpus_milli;
        c.u.task.mem_mb = t->mem_mb;
        c.u.task.spec = t->spec;
        rc = fn(ctx, &c);
        if (rc < 0)
            return rc;
        n++;
    }
    return n;
}

/* A task of the spec still in the log with goal stop. */
static bool leaving(const struct agl_spec *spec, const struct agora_sm *sm)
{
    for (size_t i = 0; i < agora_sm_task_count(sm); i++) {
        const struct agora_task *t = agora_sm_task_at(sm, i);
        if (t->goal == AGORA_GOAL_STOP && in_spec(spec, t->id))
            return true;
    }
    return false;
}

int agl_cluster_plan(const struct agl_spec *spec, const struct agora_sm *sm, agl_cmd_fn *fn,
                     void *ctx)
{
    if (agora_sm_cluster_down(sm))
        return agl_spec_plan(NULL, sm, fn, ctx);
    if (leaving(spec, sm))
        return AGL_PLAN_LATER;
    return agl_spec_plan(spec, sm, fn, ctx);
}
