/* mesos_int.h: the Mesos backend's state, shared by mesos_sched.c (the
 * subscription: masters, back-off, watchdog, events) and mesos_tasks.c
 * (offers, launches, updates, acknowledgements, kills, reconciliation). */
#ifndef AGL_MESOS_INT_H
#define AGL_MESOS_INT_H

#include "launcher_int.h"
#include "mesos_conn.h"
#include "mesos_json.h"
#include "zk_discovery.h"

#define MS_MAX_PEND 32
#define MS_MAX_ACKS 512

enum ms_state {
    MS_IDLE = 0,                   /* not started, or stopped */
    MS_WAIT,                       /* back-off before the next SUBSCRIBE */
    MS_SUBSCRIBING,
    MS_SUBSCRIBED,
    MS_DOWN,                       /* cluster down, framework torn down: none */
};

/* Per task (slot->be). */
struct ms_task {
    agora_time_t last_update;      /* arrival of the latest UPDATE */
    agora_time_t kill_sent;        /* 0 = never */
    bool pending;                  /* in a held offer, waiting for its intent to commit */
    bool launched;                 /* ACCEPT sent, no update since */
};

/* An offer held while the launch intents (TASK_OBSERVED STAGING) commit:
 * the write-ahead rule of mesos-v1-notes.md 5.1. */
struct ms_pend {
    char offer_id[192];
    char agent_id[192];
    char *tasks[16];
    int n_tasks;
    agora_time_t deadline;
};

/* An UPDATE to acknowledge once its observed state is in the log. */
struct ms_ack {
    char task_id[AGORA_SM_ID_MAX + 1];
    char agent_id[192];
    char uuid[64];
    enum agora_task_state state;
};

struct agl_mesos_stats {
    unsigned subscribes, subscribed, redirects, watchdog_fired, reconnects;
    unsigned launches, accepts, declines, suppresses, revives, kills, acks;
    unsigned explicit_reconciles, implicit_reconciles, teardowns;
};

struct msched {
    struct agl_launcher *l;
    struct agl_mconn *conn;
    struct agl_zk *zk;
    char **masters;                /* static list (http://), NULL with zk */
    size_t n_masters, next_master;
    char redirect[256];            /* leader named by a 307 */
    char current[256];             /* master of the current attempt */
    enum ms_state st;
    double backoff_s;
    agora_time_t retry_at;         /* MS_WAIT: when to subscribe */
    agora_time_t last_event;       /* watchdog */
    agora_time_t attempt_start;
    double hb_s;
    char fid[192];                 /* framework id of this subscription */
    char dropped_fid[192];         /* torn down / removed: never re-use */
    bool recon_done, implicit_sent;
    agora_time_t recon_start, recon_next;
    double recon_wait;
    bool suppressed;
    bool teardown_sent;            /* TEARDOWN sent on this subscription */
    struct ms_pend pend[MS_MAX_PEND];
    int n_pend;
    struct ms_ack acks[MS_MAX_ACKS];
    int n_acks;
    unsigned seed;
    struct agl_mesos_stats stats;
};

static inline struct msched *MS(struct agl_launcher *l)
{
    return l->be;
}

struct ms_task *ms_task(struct agl_slot *s);
void ms_send(struct msched *m, json_t *call);
void ms_reconnect(struct msched *m, const char *why, bool now);
void ms_tick(struct agl_launcher *l);

/* mesos_tasks.c */
void ms_on_subscribed(struct msched *m);
void ms_on_offers(struct msched *m, const struct agl_event *ev);
void ms_on_rescind(struct msched *m, const char *offer_id);
void ms_on_update(struct msched *m, const struct agl_status *st);
/* After a sync or an event: held offers, acks, kills, removals, suppression. */
void ms_progress(struct msched *m);
/* Reconciliation step; returns its next deadline. */
agora_time_t ms_reconcile_step(struct msched *m);
void ms_drop_pending(struct msched *m);

/* mesos_down.c: the cluster is down (config cluster=down). */
/* TEARDOWN of the subscribed framework (once); -1 if not subscribed. */
int ms_teardown(struct msched *m);
/* The master answered TEARDOWN: the log learns it; parks when down. */
void ms_torn_down(struct msched *m);
/* First thing of every tick: true when the down state handled it. */
bool ms_down_tick(struct msched *m);

/* For tests: the counters of a Mesos launcher (NULL for another backend). */
const struct agl_mesos_stats *agl_mesos_stats(const struct agl_launcher *l);

#endif
