/* mesos_down.c: the Mesos backend while the log says the cluster is down
 * (config cluster=down, `agoractl cluster down`; docs/launchers.md,
 * "Cluster down and up"):
 *  - subscribed: TEARDOWN, once per subscription. When the master answers
 *    it (202), every task the log holds as live is recorded TASK_KILLED and
 *    the framework id is cleared in the log, in that order;
 *  - a framework id still in the log (a leader died before its teardown
 *    was answered): subscribe to that framework, then as above. A master
 *    that already removed it answers "Framework has been removed", which
 *    clears it too (mesos_sched.c);
 *  - no framework left: no subscription at all (MS_DOWN); tasks the log
 *    still holds as live are recorded killed, stopped tasks removed.
 * When the cluster is up again the launcher subscribes a new framework:
 * Mesos forgets a torn-down framework for good. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "mesos_int.h"

static bool live(enum agora_task_state s)
{
    return s != AGORA_TASK_NONE && !agl_state_terminal(s);
}

/* The framework a teardown still has to reach, or NULL. */
static const char *pending_fid(const struct msched *m)
{
    const char *fid = m->fid[0] != '\0' ? m->fid : m->l->framework_id;
    return fid[0] != '\0' && strcmp(fid, m->dropped_fid) != 0 ? fid : NULL;
}

static void kill_all_in_log(struct msched *m)
{
    for (size_t i = 0; i < m->l->n_slots; i++) {
        struct agl_slot *s = &m->l->slots[i];
        if (live(agl_slot_state(s)))
            agl_observe(m->l, s, AGORA_TASK_KILLED, s->agent_id, "framework torn down");
    }
}

/* Parked: the log catches up with "no framework, nothing runs". */
static void settle(struct msched *m)
{
    kill_all_in_log(m);
    for (size_t i = 0; i < m->l->n_slots; i++) {
        struct agl_slot *s = &m->l->slots[i];
        if (s->goal == AGORA_GOAL_STOP && !live(agl_slot_state(s)))
            agl_propose_remove(m->l, s);
    }
}

static void park(struct msched *m)
{
    agl_mconn_close(m->conn);
    ms_drop_pending(m);
    m->st = MS_DOWN;
    m->recon_done = false;
    agl_log(m->l, 5, "mesos: cluster down: no framework subscribed");
}

int ms_teardown(struct msched *m)
{
    if (m->st != MS_SUBSCRIBED)
        return -1;
    if (m->teardown_sent)
        return 0;
    agl_log(m->l, 5, "mesos: TEARDOWN of framework %s", m->fid);
    ms_send(m, agl_mj_call(m->fid, "TEARDOWN"));
    m->teardown_sent = true;
    m->stats.teardowns++;
    return 0;
}

void ms_torn_down(struct msched *m)
{
    agl_log(m->l, 5, "mesos: framework %s torn down", m->fid);
    snprintf(m->dropped_fid, sizeof m->dropped_fid, "%s", m->fid);
    kill_all_in_log(m);
    agl_propose_framework(m->l, "");
    m->fid[0] = '\0';
    m->teardown_sent = false;
    if (m->l->down)
        park(m);
    else
        ms_reconnect(m, "framework torn down", true);
}

bool ms_down_tick(struct msched *m)
{
    struct agl_launcher *l = m->l;

    if (!l->down) {
        if (m->st == MS_DOWN) {
            agl_log(l, 5, "mesos: cluster up: subscribing a new framework");
            m->st = MS_WAIT;
            m->retry_at = agl_now(l);
            m->backoff_s = l->cfg.backoff_min_s;
        }
        return false;
    }
    if (m->st == MS_SUBSCRIBED)
        ms_teardown(m);
    if ((m->st == MS_WAIT || m->st == MS_SUBSCRIBING) && pending_fid(m) == NULL)
        park(m);
    if (m->st != MS_DOWN)
        return false;
    settle(m);
    agl_deadline(l, AGL_DL_BACKEND2, AGL_NEVER);
    agl_deadline(l, AGL_DL_SLOTS, AGL_NEVER);
    return true;
}
