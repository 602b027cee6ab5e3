/* sim_fault.c: the simulation's faults (sim_int.h): acceptor and proposer
 * crashes, bounces of two bricks while their lease runs, partitions (often
 * aimed at the leader), and the compaction ticks. */
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

static void partition(struct sim *s)
{
    int idx[SIM_MAX_PROPOSERS];
    int nh = lease_holders(s, NULL, idx);
    memset(s->cut, 0, sizeof(s->cut));
    if (nh == 1 && rnd_chance(s, 0.6)) {
        /* Isolate the leader from a majority or from every acceptor: it
         * keeps believing in its lease while the others may take over. */
        uint8_t keep = rnd_chance(s, 0.5) ? 0 : (uint8_t)(1u << rnd_below(s, SIM_ACCEPTORS));
        s->cut[idx[0]] = (uint8_t)(((1u << SIM_ACCEPTORS) - 1) & ~keep);
        trace_text(s, "PARTITION isolates the leader p%u", s->prop[idx[0]].id);
    } else {
        for (uint32_t pi = 0; pi < s->n_prop; pi++)
            s->cut[pi] = (uint8_t)(rnd_chance(s, 0.5) ? rnd_below(s, 1u << SIM_ACCEPTORS) : 0);
    }
    char desc[96];
    size_t k = 0;
    desc[0] = '\0';
    for (uint32_t pi = 0; pi < s->n_prop; pi++)
        if (s->cut[pi] && k + 16 < sizeof(desc))
            k += (size_t)snprintf(desc + k, sizeof(desc) - k, " p%u-/-%s%s%s", s->prop[pi].id,
                                  (s->cut[pi] & 1) ? "a0" : "", (s->cut[pi] & 2) ? "a1" : "",
                                  (s->cut[pi] & 4) ? "a2" : "");
    s->heal_gen++;
    s->st->partitions++;
    trace_text(s, "PARTITION%s", k ? desc : " (none cut)");
    ev_push(s, s->T + rnd_range(s, 200 * MS, 3 * SEC), EV_HEAL, 0, s->heal_gen, NULL);
}

void chaos(struct sim *s)
{
    if (s->quiet)
        return;
    uint64_t r = rnd_below(s, 100);
    if (r < 8) {
        /* A bounce: two bricks go down and come back within ~0.1 s, while
         * the lease they granted is still running (the restart rule). */
        int skip = (int)rnd_below(s, SIM_ACCEPTORS);
        for (int i = 0; i < SIM_ACCEPTORS; i++)
            if (i != skip && s->acc[i].up) {
                acc_crash(s, i);
                ev_push(s, s->T + rnd_range(s, 5 * MS, 100 * MS), EV_ACC_RESTART, (uint8_t)i,
                        s->acc[i].gen, NULL);
            }
        /* ... and the leader cannot reach them to renew: only the restart
         * rule keeps them from promising to another proposer. */
        int idx[SIM_MAX_PROPOSERS];
        if (s->partitions && lease_holders(s, NULL, idx) == 1 && rnd_chance(s, 0.5)) {
            memset(s->cut, 0, sizeof(s->cut));
            s->cut[idx[0]] = (uint8_t)(((1u << SIM_ACCEPTORS) - 1) & ~(1u << skip));
            s->heal_gen++;
            s->st->partitions++;
            trace_text(s, "PARTITION p%u cut from the bounced acceptors", s->prop[idx[0]].id);
            ev_push(s, s->T + rnd_range(s, 300 * MS, 1500 * MS), EV_HEAL, 0, s->heal_gen, NULL);
        }
    } else if (r < 30) {
        int i = (int)rnd_below(s, SIM_ACCEPTORS);
        if (s->acc[i].up) {
            acc_crash(s, i);
            ev_push(s, s->T + rnd_range(s, 10 * MS, 2 * SEC), EV_ACC_RESTART, (uint8_t)i,
                    s->acc[i].gen, NULL);
        }
    } else if (r < 60) {
        int pi = (int)rnd_below(s, s->n_prop);
        if (s->prop[pi].up) {
            prop_crash(s, pi);
            ev_push(s, s->T + rnd_range(s, 10 * MS, 2 * SEC), EV_PROP_RESTART, (uint8_t)pi,
                    s->prop[pi].gen, NULL);
        }
    } else if (r < 90 && s->partitions) {
        partition(s);
    }
    ev_push(s, s->T + rnd_range(s, s->chaos_mean / 2, s->chaos_mean * 3 / 2), EV_CHAOS, 0, 0,
            NULL);
}

void compact_tick(struct sim *s)
{
    int i = (int)rnd_below(s, SIM_ACCEPTORS);
    if (rnd_chance(s, 0.7))
        acc_compact(s, i);
    int pi = (int)rnd_below(s, s->n_prop);
    if (!failed(s) && rnd_chance(s, 0.7))
        prop_compact(s, pi);
    ev_push(s, s->T + rnd_range(s, 100 * MS, 1500 * MS), EV_COMPACT, 0, 0, NULL);
}

