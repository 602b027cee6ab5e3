/* sim.h: the deterministic simulation of Agora's consensus core
 * (docs/simulation.md): N proposers (agorad) and 3 acceptors (bricks) on a
 * simulated network, disk and set of clocks, driven by one seeded scheduler.
 * Everything a run does follows from (seed, options): a failing seed replays
 * exactly with `agora-sim --seed S --verbose`. */
#ifndef AGORA_SIM_H
#define AGORA_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_ACCEPTORS 3
#define SIM_MAX_PROPOSERS 5

/* Deliberately wrong rules, injected from outside the core by the
 * simulation, to show that the checker catches them (run-sim.sh). */
enum sim_broken {
    SIM_BROKEN_NONE = 0,
    SIM_BROKEN_ACCEPT_LOWER_BALLOT,  /* acceptor takes an ACCEPT below its promise */
    SIM_BROKEN_PROMISE_LOWER_BALLOT, /* acceptor promises a ballot <= its promise */
    SIM_BROKEN_IGNORE_LEASE,         /* acceptor forgets leases before a PREPARE */
    SIM_BROKEN_NO_RESTART_QUIET,     /* a restarted acceptor promises at once */
    SIM_BROKEN_SKIP_FSYNC,           /* brick replies without making the WAL durable */
    SIM_BROKEN_LEASE_OVERRUN,        /* proposer believes its lease lasts twice as long */
    SIM_BROKEN_MUTE_AFTER_FAULTS,    /* the network loses every reply once faults stop */
    SIM_BROKEN_MAX
};

struct sim_opts {
    uint32_t proposers;     /* 1..5; 0: 1 + seed % 5 */
    uint64_t steps;         /* events in the faulty phase of each seed */
    uint32_t drift_ppm;     /* bound on every clock's drift, parts per million */
    uint64_t settle_ns;     /* liveness bound once the faults stop */
    int broken;             /* enum sim_broken */
    bool liveness;          /* run the quiet phase and check progress (check 5) */
    uint32_t skip_checks;   /* bit k: do not evaluate check k (only 2 and 6) */
    bool verbose;           /* print every event */
    FILE *out;              /* trace and reports */
};

struct sim_stats {
    uint64_t seeds, steps, sim_ns;
    uint64_t msgs, drops, dups, partitions;
    uint64_t acc_crashes, torn_writes, prop_crashes, compactions;
    uint64_t elections, step_downs, proposals, chosen, snapshots_learned, resigns;
    uint64_t settle_ns_max;  /* longest time from quiet to liveness */
    uint64_t handovers;      /* the lease passed from one proposer to another */
    uint64_t handover_min_ns;/* shortest gap between two holders (true time) */
};

void sim_opts_default(struct sim_opts *o);
/* Runs one seed: 0 if every check held, 1 on a violation (reported on
 * o->out with the last events of the trace). */
int sim_run(const struct sim_opts *o, uint64_t seed, struct sim_stats *st);

const char *sim_broken_name(int b);
int sim_broken_parse(const char *s); /* -1 if unknown */

#endif
