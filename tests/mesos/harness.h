/* harness.h: a small world for launcher tests: a poll() loop that plays
 * agorad's event loop for one or more launchers ("nodes"), and an
 * in-memory consensus log (a real agora_sm) that commits every proposal
 * after the callback that made it returns, then syncs every live node, as
 * the leader's learner would. Real time (CLOCK_MONOTONIC): the processes
 * and servers these tests drive are real. */
#ifndef AGL_HARNESS_H
#define AGL_HARNESS_H

#include <stdbool.h>

#include "agora/sm.h"
#include "cluster_spec.h"
#include "launcher.h"

#define H_MAX_NODES 4
#define H_MAX_FDS 64

struct h_world;

struct h_node {
    struct h_world *w;
    struct agl_launcher *l;
    int fds[H_MAX_FDS];
    short events[H_MAX_FDS];
    int n_fds;
    agora_time_t wake;
    int id;
    bool dead;
};

struct h_world {
    struct agora_sm sm;
    struct agora_buf pending[256];
    int n_pending;
    struct h_node nodes[H_MAX_NODES];
    int n_nodes;
    uint64_t round;
    bool verbose;
    unsigned rejected;
    const struct agl_spec *duty;   /* h_world_duty: the spec the leader plans */
    bool duty_down, duty_replan;
    unsigned launches;             /* TASK_STAGING / TASK_STARTING proposed */
};

void h_world_init(struct h_world *w);
void h_world_free(struct h_world *w);
agora_time_t h_now(void);

/* A node with a launcher for cfg (not started). */
struct h_node *h_node_new(struct h_world *w, const struct agl_config *cfg);
/* Commits a LEADER entry for the node with a fresh higher ballot and starts
 * its launcher. */
void h_node_lead(struct h_node *n);
/* "kill -9" of a node: its launcher is freed without a word to anyone
 * (connections simply close). Local processes die with it (PDEATHSIG
 * cannot be simulated in-process, so they are killed). */
void h_node_crash(struct h_node *n);

/* Proposes entries directly (the leader's own proposals, e.g. the plan). */
int h_propose(struct h_world *w, const struct agora_cmd *cmd);
/* Commits the spec's plan (agl_spec_plan) as the leader would. */
int h_apply_spec(struct h_world *w, const struct agl_spec *spec);
/* The leader's duty as leader_launch.c does it: from now on, at every new
 * leader and whenever the log's config "cluster" changes, the spec is
 * planned with agl_cluster_plan (down: every task stopped; retried while
 * the spec's tasks are still being removed). Plans once now. */
void h_world_duty(struct h_world *w, const struct agl_spec *spec);
/* `agoractl cluster up|down`: the config entry from a requester, committed. */
void h_set_cluster(struct h_world *w, const char *value);
/* Applies queued proposals and syncs the live nodes. */
void h_commit(struct h_world *w);

/* Turns the loop until pred(w, arg) is true or timeout_ms passes.
 * Returns true if pred became true. */
typedef bool h_pred_fn(struct h_world *w, void *arg);
bool h_run_until(struct h_world *w, h_pred_fn *pred, void *arg, int timeout_ms);
void h_run_for(struct h_world *w, int ms);

/* n leads (h_node_lead) and the spec is planned: as leader_launch.c does
 * (h_world_duty) with duty, once (h_apply_spec) without; then turns the
 * loop until pred(w, arg), as h_run_until (whose result it returns). */
bool h_lead_until(struct h_node *n, const struct agl_spec *spec, bool duty, h_pred_fn *pred,
                  void *arg, int timeout_ms);

/* Predicates. */
unsigned h_count_state(struct h_world *w, enum agora_task_state st);
bool h_all_running(struct h_world *w, void *n_expected);  /* arg: (uintptr_t)n */
/* /.agora/hosts rendered from the log contains text. */
bool h_hosts_has(struct h_world *w, const char *text);
/* /.agora/hosts has the seed specs' lines "192.168.0.10I<TAB>etcd-I", I < n. */
bool h_hosts_seeded(struct h_world *w, unsigned n);
struct agl_spec *h_load_spec(const char *text);
#endif
