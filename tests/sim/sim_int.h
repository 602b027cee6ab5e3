/* sim_int.h: the simulation's internal header (docs/simulation.md): the
 * world (struct sim: event queue, clocks, nodes, network faults, trace) and
 * the functions the sim_*.c files call across each other. Not for use
 * outside tests/sim; the public entry points are in sim.h. */
#ifndef AGORA_SIM_INT_H
#define AGORA_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agora/acceptor.h"
#include "agora/ballot.h"
#include "agora/msg.h"
#include "agora/proposer.h"
#include "sim.h"
#include "sim_check.h"

#define TRACE_RING 64
#define TRACE_SHOW 40
#define LIVE_RING 64
#define LRN_ACC 8 /* learner index of acceptor i is LRN_ACC + i */
#define QUIET_MAX_STEPS 1000000u

#define US ((uint64_t)1000)
#define MS ((uint64_t)1000000)
#define SEC ((uint64_t)1000000000)

enum ev_kind {
    EV_TO_ACC = 1,   /* a request reaches acceptor `node` */
    EV_TO_PROP,      /* a reply reaches proposer index `node` */
    EV_WAKE,         /* proposer timer (gen: wake generation) */
    EV_SYNC,         /* acceptor's pending write becomes durable (gen: incarnation) */
    EV_CLIENT,       /* the workload proposes */
    EV_CHAOS,        /* a fault */
    EV_ACC_CRASH,    /* a crash aimed at the window before a sync (gen: incarnation) */
    EV_ACC_RESTART,
    EV_PROP_RESTART,
    EV_HEAL,         /* a partition ends (gen: partition generation) */
    EV_COMPACT,
};

struct sim_ev {
    uint64_t T, seq;
    uint8_t kind;
    uint8_t node;
    uint32_t gen;
    struct agora_msg *m;
};

struct sim_clock {
    uint64_t off;
    int64_t ppm;
};

struct pend_acc {            /* an acceptance waiting for the sync */
    uint64_t slot;
    struct agora_ballot b;
    uint32_t val;
};

struct sim_acc {
    struct agora_acceptor a;
    bool up;
    uint32_t gen;            /* incarnation: bumps at every crash */
    struct sim_clock clk;
    struct agora_buf disk;   /* the WAL file */
    size_t synced;           /* disk bytes known durable */
    struct agora_buf pend;   /* stepped, not yet durable */
    struct agora_msg *replies; /* waiting for the sync, in order */
    size_t n_replies, cap_replies;
    struct pend_acc *pacc;
    size_t n_pacc, cap_pacc;
    uint64_t seen_snap;      /* snapshot index last verified */
};

struct sim_prop {
    struct agora_proposer p;
    bool up;
    uint32_t id;
    uint32_t gen;
    uint32_t wake_gen;
    uint64_t wake_at;        /* true time of the pending wake-up */
    struct sim_clock clk;
    uint64_t applied;        /* the learner's state machine */
    uint64_t digest;
    bool held;               /* held the lease at the last step */
    uint64_t held_until;     /* true time its last lease ended (or ends) */
};

struct msum {                /* what the trace shows of a message */
    uint8_t type, reason;
    uint32_t from, to;
    struct agora_ballot b;
    uint64_t slot, count, commit, snap_index, lease_left;
    uint32_t lease_holder, n_entries;
    char v[24];
};

struct trace_rec {
    uint64_t T, step;
    bool is_msg, from_acc;
    char pre[8];
    struct msum s;
    char text[192];
};

struct sim {
    const struct sim_opts *o;
    struct sim_stats *st;
    uint64_t seed, rng;
    uint64_t T, step, seq;
    struct sim_ev *heap;
    size_t n_heap, cap_heap;
    struct sim_acc acc[SIM_ACCEPTORS];
    struct sim_prop prop[SIM_MAX_PROPOSERS];
    uint32_t n_prop;
    struct agora_acceptor_config acfg;
    struct agora_proposer_config pcfg;
    uint32_t drift_ppm;
    struct sim_check chk;
    /* fault parameters of this seed */
    double p_drop, p_dup, p_long, p_atomic, p_window_crash;
    uint64_t max_delay, chaos_mean, client_mean;
    bool partitions;
    uint8_t cut[SIM_MAX_PROPOSERS]; /* acceptors proposer i cannot reach */
    uint32_t heal_gen;
    /* phases */
    bool quiet, done;
    uint64_t quiet_T, deadline, quiet_steps;
    struct { uint64_t slot; uint32_t val; } live[LIVE_RING];
    uint32_t n_live;
    uint64_t vcount;
    /* scratch */
    struct agora_buf enc, enc2, wal;
    struct trace_rec ring[TRACE_RING];
    uint64_t n_trace;
};

static inline bool failed(const struct sim *s)
{
    return s->chk.kind != CHK_OK;
}

/* sim_sched.c: the random stream, the clocks, the event queue. */
uint64_t rnd(struct sim *s);
uint64_t rnd_below(struct sim *s, uint64_t n);
uint64_t rnd_range(struct sim *s, uint64_t lo, uint64_t hi);
bool rnd_chance(struct sim *s, double p);
agora_time_t clk_local(const struct sim_clock *c, uint64_t T);
uint64_t clk_true_at(const struct sim_clock *c, agora_time_t L, uint64_t Tnow);
void clk_random(struct sim *s, struct sim_clock *c);
agora_time_t acc_now(const struct sim *s, int i);
agora_time_t prop_now(const struct sim *s, int i);
void ev_push(struct sim *s, uint64_t T, uint8_t kind, uint8_t node, uint32_t gen,
             struct agora_msg *m);
struct sim_ev ev_pop(struct sim *s);
void msg_free(struct agora_msg *m);

/* sim_trace.c: the trace ring, --verbose, the violation report. */
void trace_msg(struct sim *s, const char *pre, bool from_acc, const struct agora_msg *m);
void trace_text(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report(struct sim *s);

/* sim_net.c: the network and the wire codec. */
void net_send(struct sim *s, bool from_acc, uint32_t dst, const struct agora_msg *m);
bool codec_roundtrip(struct sim *s, const struct agora_msg *m, struct agora_msg *out);

/* sim_acc.c: the acceptor shell (a brick). */
uint32_t intern_entry(struct sim *s, const struct agora_entry *e);
void acc_flush(struct sim *s, int i);
void acc_step(struct sim *s, int i, const struct agora_msg *in);
void acc_start(struct sim *s, int i);
void acc_crash(struct sim *s, int i);

/* sim_snap.c: the shells' snapshot format, a brick's compaction. */
bool parse_snap(const uint8_t *p, uint32_t len, uint64_t *index, uint64_t *digest);
void make_snap(uint8_t out[SIM_SNAP_LEN], uint64_t index, uint64_t digest);
void acc_compact(struct sim *s, int i);

/* sim_prop.c: the proposer shell (agorad). */
void pump(struct sim *s, int pi);
void prop_start(struct sim *s, int pi);
void prop_crash(struct sim *s, int pi);
void prop_compact(struct sim *s, int pi);

/* sim_client.c: the workload. */
int lease_holders(struct sim *s, uint32_t *ids, int *idx);
void client(struct sim *s);

/* sim_fault.c: crashes, bounces, partitions, compactions. */
void chaos(struct sim *s);
void compact_tick(struct sim *s);

/* sim_watch.c: what the world checks itself after every step. */
void check_leases(struct sim *s);
void enter_quiet(struct sim *s);
void check_liveness(struct sim *s);

#endif
