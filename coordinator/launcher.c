/* launcher.c: the part of every launcher that is not the backend: the task
 * table mirrored from the committed state, fencing by ballot, proposals of
 * observed states, the relaunch back-off and the static-IP guard
 * (docs/launchers.md). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher_int.h"

#define RESET_AFTER (60 * AGORA_SEC) /* a run this long forgets past failures */

agora_time_t agl_now(const struct agl_launcher *l)
{
    return l->host.now(l->host.ctx);
}

void agl_log(const struct agl_launcher *l, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (l->host.log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    l->host.log(l->host.ctx, level, line);
}

void agl_deadline(struct agl_launcher *l, enum agl_deadline which, agora_time_t when)
{
    agora_time_t min = AGL_NEVER;

    l->deadlines[which] = when;
    for (int i = 0; i < AGL_DL_COUNT; i++)
        min = l->deadlines[i] < min ? l->deadlines[i] : min;
    l->host.wake_at(l->host.ctx, min);
}

int agl_watch(struct agl_launcher *l, int fd, short events)
{
    return l->host.watch_fd(l->host.ctx, fd, events);
}

bool agl_active(const struct agl_launcher *l)
{
    return l->started && !l->fenced;
}

struct agl_slot *agl_slot_find(struct agl_launcher *l, const char *id)
{
    for (size_t i = 0; i < l->n_slots; i++) {
        if (strcmp(l->slots[i].id, id) == 0)
            return &l->slots[i];
    }
    return NULL;
}

enum agora_task_state agl_slot_state(const struct agl_slot *s)
{
    return s->proposed != AGORA_TASK_NONE ? s->proposed : s->state;
}

bool agl_state_terminal(enum agora_task_state st)
{
    switch (st) {
    case AGORA_TASK_FINISHED: case AGORA_TASK_FAILED: case AGORA_TASK_KILLED:
    case AGORA_TASK_ERROR: case AGORA_TASK_LOST: case AGORA_TASK_DROPPED:
    case AGORA_TASK_GONE: case AGORA_TASK_GONE_BY_OPERATOR: case AGORA_TASK_UNKNOWN:
        return true;
    default:
        return false;
    }
}

int agl_observe(struct agl_launcher *l, struct agl_slot *s, enum agora_task_state st,
                const char *agent_id, const char *msg)
{
    struct agora_cmd c;
    int rc;

    if (!agl_active(l) || (s->proposed == st && st != AGORA_TASK_NONE))
        return 0;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_TASK_OBSERVED;
    c.u.observed.id = s->id;
    c.u.observed.state = st;
    c.u.observed.agent_id = agent_id != NULL ? agent_id : "";
    c.u.observed.message = msg != NULL ? msg : "";
    rc = l->host.propose(l->host.ctx, &c);
    if (rc == 0)
        s->proposed = st;
    agl_log(l, 6, "task %s: %s%s%s", s->id, agora_task_state_name(st), msg && *msg ? ": " : "",
            msg ? msg : "");
    return rc;
}

int agl_propose_framework(struct agl_launcher *l, const char *fid)
{
    struct agora_cmd c;

    if (!agl_active(l))
        return 0;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_FRAMEWORK_ID;
    c.u.framework.id = fid;
    return l->host.propose(l->host.ctx, &c);
}

int agl_propose_remove(struct agl_launcher *l, struct agl_slot *s)
{
    struct agora_cmd c;

    if (!agl_active(l) || s->remove_proposed)
        return 0;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_TASK_REMOVE;
    c.u.remove.id = s->id;
    s->remove_proposed = l->host.propose(l->host.ctx, &c) == 0;
    return s->remove_proposed ? 0 : -1;
}

bool agl_ip_busy(struct agl_launcher *l, const struct agl_slot *s)
{
    if (!s->def_ok || s->def.ip[0] == '\0')
        return false;
    for (size_t i = 0; i < l->n_slots; i++) {
        const struct agl_slot *o = &l->slots[i];
        enum agora_task_state st = agl_slot_state(o);
        if (o == s || !o->def_ok || strcmp(o->def.ip, s->def.ip) != 0)
            continue;
        if (st != AGORA_TASK_NONE && !agl_state_terminal(st))
            return true;
    }
    return false;
}

bool agl_slot_wants_launch(struct agl_launcher *l, const struct agl_slot *s)
{
    return agl_active(l) && !l->down && s->goal == AGORA_GOAL_RUN && s->def_ok &&
           agl_now(l) >= s->not_before && !agl_ip_busy(l, s);
}

void agl_slot_failed(struct agl_launcher *l, struct agl_slot *s, agora_time_t ran_ns)
{
    double delay;

    if (ran_ns >= RESET_AFTER)
        s->failures = 0;
    s->failures++;
    delay = s->def_ok ? agl_task_def_delay(&s->def, s->failures) : 1.0;
    s->not_before = agl_now(l) + (agora_time_t)(delay * 1e9);
    agl_log(l, 5, "task %s: failure %u, relaunch in %.3f s", s->id, s->failures, delay);
}

agora_time_t agl_next_launch(struct agl_launcher *l)
{
    agora_time_t min = AGL_NEVER;

    for (size_t i = 0; i < l->n_slots; i++) {
        const struct agl_slot *s = &l->slots[i];
        if (s->goal == AGORA_GOAL_RUN && s->not_before > agl_now(l) && s->not_before < min)
            min = s->not_before;
    }
    return min;
}
