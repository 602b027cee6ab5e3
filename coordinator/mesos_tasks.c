/* mesos_tasks.c: what the Mesos backend does with tasks
 * (docs/launchers.md, "Mesos backend"; mesos-v1-notes.md 2 and 5):
 *  - reconciliation after every SUBSCRIBED: explicit for every task the log
 *    holds as live (retried until each has an answer newer than the round's
 *    start), then implicit; no launch before it is done;
 *  - offers: matched against the tasks that should run (cpus, mem, one per
 *    agent); the launch intent (TASK_OBSERVED STAGING with the agent) is
 *    committed before ACCEPT; unused offers are declined with
 *    refuse_seconds; SUPPRESS when nothing is missing, REVIVE when it is;
 *  - updates: recorded in the log, then acknowledged (only those with a
 *    uuid); a failed task waits out its back-off; tasks the log does not
 *    want are killed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos_int.h"

#define PEND_TIMEOUT (5 * AGORA_SEC)
#define KILL_RETRY (5 * AGORA_SEC)
#define LONG_REFUSE 120.0 /* seconds: nothing to launch */

static bool live(enum agora_task_state s)
{
    return s != AGORA_TASK_NONE && !agl_state_terminal(s);
}

void ms_drop_pending(struct msched *m)
{
    for (int i = 0; i < m->n_pend; i++) {
        for (int k = 0; k < m->pend[i].n_tasks; k++) {
            struct agl_slot *s = agl_slot_find(m->l, m->pend[i].tasks[k]);
            if (s != NULL)
                ms_task(s)->pending = false;
            free(m->pend[i].tasks[k]);
        }
    }
    m->n_pend = 0;
}

/* ---- reconciliation --------------------------------------------------------- */

void ms_on_subscribed(struct msched *m)
{
    struct agl_launcher *l = m->l;

    if (strcmp(m->fid, l->framework_id) != 0)
        agl_propose_framework(l, m->fid);
    m->suppressed = false;
    m->recon_done = false;
    m->implicit_sent = false;
    m->recon_start = agl_now(l);
    m->recon_next = m->recon_start;
    m->recon_wait = l->cfg.reconcile_retry_s;
    ms_reconcile_step(m);
}

agora_time_t ms_reconcile_step(struct msched *m)
{
    struct agl_launcher *l = m->l;
    agora_time_t now = agl_now(l);
    json_t *items;

    if (m->recon_done || now < m->recon_next)
        return m->recon_done ? AGL_NEVER : m->recon_next;
    items = json_array();
    for (size_t i = 0; i < l->n_slots; i++) {
        struct agl_slot *s = &l->slots[i];
        if (live(s->state) && ms_task(s)->last_update < m->recon_start)
            json_array_append_new(items, agl_mj_reconcile_item(s->id, s->agent_id));
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        ms_send(m, agl_mj_reconcile(m->fid, NULL));
        m->stats.implicit_reconciles++;
        m->recon_done = true;
        agl_log(l, 6, "mesos: reconciliation done");
        return AGL_NEVER;
    }
    agl_log(l, 6, "mesos: explicit reconciliation of %zu task(s)", json_array_size(items));
    ms_send(m, agl_mj_reconcile(m->fid, items));
    m->stats.explicit_reconciles++;
    m->recon_next = now + (agora_time_t)(m->recon_wait * 1e9);
    m->recon_wait = m->recon_wait * 2 > 60 ? 60 : m->recon_wait * 2;
    return m->recon_next;
}

/* ---- offers ------------------------------------------------------------------ */

static bool wants(struct msched *m, struct agl_slot *s)
{
    struct ms_task *t = ms_task(s);
    return t != NULL && !t->pending && !t->launched && !live(agl_slot_state(s)) &&
           agl_slot_wants_launch(m->l, s);
}

/* One per agent: no other live or pending task of the app on that agent. */
static bool agent_taken(struct msched *m, const struct agl_slot *s, const char *agent,
                        const struct ms_pend *p)
{
    for (size_t i = 0; s->def.one_per_agent && i < m->l->n_slots; i++) {
        struct agl_slot *o = &m->l->slots[i];
        if (o == s || !o->def_ok || strcmp(o->def.app, s->def.app) != 0)
            continue;
        if (live(agl_slot_state(o)) && o->agent_id != NULL && strcmp(o->agent_id, agent) == 0)
            return true;
        for (int k = 0; k < p->n_tasks; k++) {
            if (strcmp(p->tasks[k], o->id) == 0)
                return true;
        }
    }
    return false;
}

static void decline(struct msched *m, const char *offer_id, double refuse)
{
    json_t *ids = json_pack("[o]", agl_mj_id(offer_id));
    ms_send(m, agl_mj_decline(m->fid, ids, refuse));
    m->stats.declines++;
}

static void hold_offer(struct msched *m, const struct agl_offer *o)
{
    struct ms_pend *p = &m->pend[m->n_pend];
    double cpus = o->cpus, mem = o->mem;

    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < m->l->n_slots && p->n_tasks < 16; i++) {
        struct agl_slot *s = &m->l->slots[i];
        if (!wants(m, s) || s->def.cpus > cpus + 1e-9 || s->def.mem > mem + 1e-9 ||
            agent_taken(m, s, o->agent_id, p))
            continue;
        cpus -= s->def.cpus;
        mem -= s->def.mem;
        p->tasks[p->n_tasks++] = strdup(s->id);
        ms_task(s)->pending = true;
        /* Write-ahead: the intent is in the log before ACCEPT is sent. */
        agl_observe(m->l, s, AGORA_TASK_STAGING, o->agent_id, "launch requested");
    }
    if (p->n_tasks == 0) {
        decline(m, o->id, m->l->cfg.refuse_seconds);
        return;
    }
    snprintf(p->offer_id, sizeof p->offer_id, "%s", o->id);
    snprintf(p->agent_id, sizeof p->agent_id, "%s", o->agent_id);
    p->deadline = agl_now(m->l) + PEND_TIMEOUT;
    m->n_pend++;
}

void ms_on_offers(struct msched *m, const struct agl_event *ev)
{
    for (size_t i = 0; i < ev->n_offers; i++) {
        if (!m->recon_done || m->n_pend == MS_MAX_PEND)
            decline(m, ev->offers[i].id, 1.0);
        else
            hold_offer(m, &ev->offers[i]);
    }
    ms_progress(m);
}

void ms_on_rescind(struct msched *m, const char *offer_id)
{
    for (int i = 0; i < m->n_pend; i++) {
        if (strcmp(m->pend[i].offer_id, offer_id) == 0)
            m->pend[i].deadline = 0; /* never accepted: dropped at the next progress */
    }
}

static bool intent_committed(struct msched *m, const struct ms_pend *p)
{
    for (int k = 0; k < p->n_tasks; k++) {
        struct agl_slot *s = agl_slot_find(m->l, p->tasks[k]);
        if (s == NULL || s->state != AGORA_TASK_STAGING || s->proposed != AGORA_TASK_NONE)
            return false;
    }
    return true;
}

static void accept(struct msched *m, struct ms_pend *p)
{
    json_t *infos = json_array();

    for (int k = 0; k < p->n_tasks; k++) {
        struct agl_slot *s = agl_slot_find(m->l, p->tasks[k]);
        json_array_append_new(infos, agl_mj_task_info(&s->def, p->agent_id));
        ms_task(s)->launched = true;
        ms_task(s)->pending = false;
        m->stats.launches++;
        agl_log(m->l, 6, "mesos: launching %s on %s (ip %s)", s->id, p->agent_id,
                s->def.ip[0] ? s->def.ip : "-");
    }
    ms_send(m, agl_mj_accept(m->fid, json_pack("[o]", agl_mj_id(p->offer_id)), infos,
                             m->l->cfg.refuse_seconds));
    m->stats.accepts++;
}

/* A held offer whose intents did not commit in time: the tasks were never
 * launched, so the log may say so (lost) and they go round again. */
static void give_up(struct msched *m, struct ms_pend *p)
{
    for (int k = 0; k < p->n_tasks; k++) {
        struct agl_slot *s = agl_slot_find(m->l, p->tasks[k]);
        if (s != NULL) {
            ms_task(s)->pending = false;
            agl_observe(m->l, s, AGORA_TASK_LOST, p->agent_id, "offer not used");
        }
    }
    decline(m, p->offer_id, 0);
}

static void progress_pending(struct msched *m)
{
    int w = 0;

    for (int i = 0; i < m->n_pend; i++) {
        struct ms_pend *p = &m->pend[i];
        bool done = true;
        if (intent_committed(m, p))
            accept(m, p);
        else if (agl_now(m->l) >= p->deadline)
            give_up(m, p);
        else
            done = false;
        if (!done) {
            m->pend[w++] = *p;
            continue;
        }
        for (int k = 0; k < p->n_tasks; k++)
            free(p->tasks[k]);
    }
    m->n_pend = w;
}

/* ---- updates and acknowledgements -------------------------------------------- */

static void send_ack(struct msched *m, const char *agent, const char *task, const char *uuid)
{
    ms_send(m, agl_mj_ack(m->fid, agent, task, uuid));
    m->stats.acks++;
}

static void queue_ack(struct msched *m, const struct agl_status *st)
{
    struct ms_ack *a;

    if (m->n_acks == MS_MAX_ACKS) {
        send_ack(m, st->agent_id, st->task_id, st->uuid); /* better early than never */
        return;
    }
    a = &m->acks[m->n_acks++];
    snprintf(a->task_id, sizeof a->task_id, "%s", st->task_id);
    snprintf(a->agent_id, sizeof a->agent_id, "%s", st->agent_id ? st->agent_id : "");
    snprintf(a->uuid, sizeof a->uuid, "%s", st->uuid);
    a->state = st->state;
}

static void progress_acks(struct msched *m)
{
    int w = 0;

    for (int i = 0; i < m->n_acks; i++) {
        struct ms_ack *a = &m->acks[i];
        struct agl_slot *s = agl_slot_find(m->l, a->task_id);
        if (s == NULL || s->proposed == AGORA_TASK_NONE || s->proposed != a->state)
            send_ack(m, a->agent_id, a->task_id, a->uuid);
        else
            m->acks[w++] = *a;
    }
    m->n_acks = w;
}

static void kill_task(struct msched *m, const char *task_id, const char *agent, double grace)
{
    ms_send(m, agl_mj_kill(m->fid, task_id, agent, grace));
    m->stats.kills++;
    agl_log(m->l, 6, "mesos: KILL %s", task_id);
}

static void update_slot(struct msched *m, struct agl_slot *s, const struct agl_status *st)
{
    struct ms_task *t = ms_task(s);
    char msg[AGORA_SM_MESSAGE_MAX];
    bool was_launched = t->launched;

    t->last_update = agl_now(m->l);
    if (st->state != AGORA_TASK_STAGING)
        t->launched = false;
    snprintf(msg, sizeof msg, "%s%s%s", st->state == AGORA_TASK_RUNNING && st->ip ? "ip " : "",
             st->state == AGORA_TASK_RUNNING && st->ip ? st->ip : "",
             st->message && st->state != AGORA_TASK_RUNNING ? st->message : "");
    if (s->state == st->state && s->proposed == AGORA_TASK_NONE) {
        if (st->uuid != NULL)
            send_ack(m, st->agent_id, st->task_id, st->uuid); /* already in the log */
    } else {
        agl_observe(m->l, s, st->state, st->agent_id, msg);
        if (st->uuid != NULL)
            queue_ack(m, st);
    }
    if (agl_state_terminal(st->state) && s->goal == AGORA_GOAL_RUN &&
        (was_launched || st->state != AGORA_TASK_KILLED))
        agl_slot_failed(m->l, s, s->started_at ? agl_now(m->l) - s->started_at : 0);
    if (st->state == AGORA_TASK_RUNNING)
        s->started_at = agl_now(m->l);
    if (live(st->state) && s->goal == AGORA_GOAL_STOP)
        kill_task(m, s->id, st->agent_id, s->def_ok ? s->def.grace_s : 5);
}

void ms_on_update(struct msched *m, const struct agl_status *st)
{
    struct agl_slot *s = agl_slot_find(m->l, st->task_id);

    if (st->state == AGORA_TASK_ERROR && st->message != NULL &&
        strstr(st->message, "duplicate ID") != NULL) {
        /* A second launch of a task the master still runs: the first copy
         * is the real one; ask for its state instead. */
        agl_log(m->l, 4, "mesos: %s launched twice; keeping the running copy", st->task_id);
        if (s != NULL)
            ms_task(s)->launched = false;
        ms_send(m, agl_mj_reconcile(m->fid, json_pack("[o]", agl_mj_reconcile_item(
                                                             st->task_id, st->agent_id))));
        return;
    }
    if (s == NULL) {
        if (live(st->state))
            kill_task(m, st->task_id, st->agent_id, 5); /* not ours (any more): surplus */
        if (st->uuid != NULL)
            send_ack(m, st->agent_id, st->task_id, st->uuid);
        return;
    }
    update_slot(m, s, st);
    ms_progress(m);
}

/* ---- the rest: kills, removals, suppression ---------------------------------- */

static bool progress_slots(struct msched *m)
{
    bool missing = false;

    for (size_t i = 0; i < m->l->n_slots; i++) {
        struct agl_slot *s = &m->l->slots[i];
        struct ms_task *t = ms_task(s);
        enum agora_task_state st = agl_slot_state(s);
        if (s->goal == AGORA_GOAL_STOP && live(st) && !t->pending &&
            agl_now(m->l) >= t->kill_sent + KILL_RETRY) {
            t->kill_sent = agl_now(m->l);
            kill_task(m, s->id, s->agent_id, s->def_ok ? s->def.grace_s : 5);
        } else if (s->goal == AGORA_GOAL_STOP && !live(st) && !t->pending) {
            agl_propose_remove(m->l, s);
        }
        missing = missing || wants(m, s) || (s->goal == AGORA_GOAL_RUN && s->def_ok &&
                                             !live(st) && !t->pending && !t->launched);
    }
    return missing;
}

void ms_progress(struct msched *m)
{
    bool missing;

    if (m->st != MS_SUBSCRIBED || !agl_active(m->l))
        return;
    progress_pending(m);
    progress_acks(m);
    missing = progress_slots(m);
    if (!m->recon_done)
        return;
    if (missing && m->suppressed) {
        ms_send(m, agl_mj_call(m->fid, "REVIVE"));
        m->suppressed = false;
        m->stats.revives++;
    } else if (!missing && !m->suppressed && m->n_pend == 0) {
        ms_send(m, agl_mj_call(m->fid, "SUPPRESS"));
        m->suppressed = true;
        m->stats.suppresses++;
    }
    agora_time_t next = agl_next_launch(m->l);
    agl_deadline(m->l, AGL_DL_SLOTS, next);
}
