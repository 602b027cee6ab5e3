/* launcher_int.h: what launcher.c shares with the backends (private). */
#ifndef AGL_LAUNCHER_INT_H
#define AGL_LAUNCHER_INT_H

#include "cluster_spec.h"
#include "launcher.h"

/* Deadlines a launcher keeps; the earliest goes to host->wake_at. */
enum agl_deadline {
    AGL_DL_SLOTS = 0,              /* relaunch back-off, kill grace */
    AGL_DL_BACKEND1,
    AGL_DL_BACKEND2,
    AGL_DL_BACKEND3,
    AGL_DL_COUNT
};

/* One task of the log, as the launcher last saw it committed. */
struct agl_slot {
    char *id;
    struct agl_task_def def;       /* parsed from the entry's spec JSON */
    bool def_ok;                   /* def parsed; else `why` says why not */
    uint64_t desired_slot;
    enum agora_task_goal goal;
    enum agora_task_state state;   /* committed observed state */
    char *agent_id;                /* committed */
    uint64_t observed_slot;
    enum agora_task_state proposed;/* last TASK_OBSERVED we proposed */
    bool remove_proposed;
    unsigned failures;             /* consecutive failed runs */
    agora_time_t not_before;       /* no launch before this (back-off) */
    agora_time_t started_at;       /* when the current run started, 0 none */
    bool seen;                     /* in the last sync (sweep marker) */
    void *be;                      /* backend's per-task data */
};

struct agl_backend_ops {
    const char *name;
    int (*init)(struct agl_launcher *l, char *err, size_t errlen);
    int (*start)(struct agl_launcher *l);
    void (*sync)(struct agl_launcher *l);        /* after the table changed */
    void (*on_fd)(struct agl_launcher *l, int fd, short revents);
    void (*on_timer)(struct agl_launcher *l);
    void (*reconcile)(struct agl_launcher *l);
    int (*teardown)(struct agl_launcher *l);
    void (*stop)(struct agl_launcher *l);
    void (*slot_gone)(struct agl_launcher *l, struct agl_slot *s); /* before it is freed */
    void (*fini)(struct agl_launcher *l);
    void (*describe)(const struct agl_launcher *l, char *out, size_t outlen);
};

struct agl_launcher {
    struct agl_config cfg;         /* strings owned (copied) */
    struct agl_host host;
    const struct agl_backend_ops *ops;
    void *be;
    bool started;                  /* between start and stop */
    bool fenced;                   /* a higher ballot leads: act no more */
    struct agora_ballot ballot;
    struct agl_slot *slots;        /* sorted by id, like the state machine */
    size_t n_slots, cap_slots;
    char *framework_id;            /* committed, "" = none */
    bool down;                     /* committed config cluster=down: run nothing */
    agora_time_t deadlines[AGL_DL_COUNT];
};

extern const struct agl_backend_ops agl_local_ops;
extern const struct agl_backend_ops agl_mesos_ops;

agora_time_t agl_now(const struct agl_launcher *l);
void agl_log(const struct agl_launcher *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets one deadline (AGL_NEVER clears) and re-arms the host's wake-up. */
void agl_deadline(struct agl_launcher *l, enum agl_deadline which, agora_time_t when);
int agl_watch(struct agl_launcher *l, int fd, short events);
/* True while the launcher may act (started, not fenced). */
bool agl_active(const struct agl_launcher *l);

struct agl_slot *agl_slot_find(struct agl_launcher *l, const char *id);

/* Proposes TASK_OBSERVED unless it repeats the last one proposed. */
int agl_observe(struct agl_launcher *l, struct agl_slot *s, enum agora_task_state st,
                const char *agent_id, const char *msg);
int agl_propose_framework(struct agl_launcher *l, const char *fid);
int agl_propose_remove(struct agl_launcher *l, struct agl_slot *s);

/* The state that counts: what we proposed last, else the committed one. */
enum agora_task_state agl_slot_state(const struct agl_slot *s);
bool agl_state_terminal(enum agora_task_state st);
/* Should this slot run a new copy now? (cluster up, goal run, definition parsed, not
 * running or launching, back-off passed, IP not held by a live task.) */
bool agl_slot_wants_launch(struct agl_launcher *l, const struct agl_slot *s);
/* Another slot with the same static IP is not yet terminal. */
bool agl_ip_busy(struct agl_launcher *l, const struct agl_slot *s);
/* A run ended in failure: count it and set the back-off (ran_ns: how long). */
void agl_slot_failed(struct agl_launcher *l, struct agl_slot *s, agora_time_t ran_ns);
/* The earliest not_before among slots waiting to launch, or AGL_NEVER. */
agora_time_t agl_next_launch(struct agl_launcher *l);

#endif
