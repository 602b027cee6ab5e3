/* sim_client.c: the simulation's workload (sim_int.h): who holds the lease,
 * and the client that proposes to it (busy while the faults last, one value
 * now and then after), makes it resign now and then, and checks that a
 * proposer without the lease refuses. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

int lease_holders(struct sim *s, uint32_t *ids, int *idx)
{
    int n = 0;
    for (uint32_t pi = 0; pi < s->n_prop; pi++)
        if (s->prop[pi].up && agora_proposer_holds_lease(&s->prop[pi].p, prop_now(s, (int)pi))) {
            if (ids)
                ids[n] = s->prop[pi].id;
            if (idx)
                idx[n] = (int)pi;
            n++;
        }
    return n;
}

/* Once the faults stop the load is light: one value now and then, which
 * must reach every learner (check_liveness). pi holds the lease. */
static void client_quiet(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    char v[64];
    int len = snprintf(v, sizeof(v), "p%u-live%" PRIu64, sp->id, ++s->vcount);
    uint64_t slot = 0;
    int rc = agora_proposer_propose(&sp->p, prop_now(s, pi), (const uint8_t *)v, (uint32_t)len,
                                    &slot);
    if (rc == AGORA_OK) {
        s->st->proposals++;
        trace_text(s, "p%u PROPOSE slot=%" PRIu64 " %s", sp->id, slot, v);
        s->live[s->n_live % LIVE_RING].slot = slot;
        s->live[s->n_live % LIVE_RING].val =
            chk_intern(&s->chk, (const uint8_t *)v, (uint32_t)len);
        s->n_live++;
        pump(s, pi);
    } else if (rc != AGORA_ENOTLEADER && rc != AGORA_ETOOBIG) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_propose(p%u): %s", sp->id,
                 agora_strerror(rc));
    }
}

/* While the faults last: 1-3 values (one in ten padded), and now and then
 * the leader resigns. pi holds the lease. */
static void client_busy(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    int k = 1 + (int)rnd_below(s, 3);
    for (int j = 0; j < k && !failed(s); j++) {
        char v[700];
        int len = snprintf(v, sizeof(v), "p%u-v%" PRIu64, sp->id, ++s->vcount);
        if (rnd_chance(s, 0.1)) { /* now and then a longer value */
            size_t pad = rnd_below(s, 600);
            memset(v + len, 'x', pad);
            len += (int)pad;
        }
        uint64_t slot = 0;
        int rc = agora_proposer_propose(&sp->p, prop_now(s, pi), (const uint8_t *)v,
                                        (uint32_t)len, &slot);
        if (rc == AGORA_ENOTLEADER || rc == AGORA_ETOOBIG)
            break;
        if (rc != AGORA_OK) {
            chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_propose(p%u): %s", sp->id,
                     agora_strerror(rc));
            break;
        }
        s->st->proposals++;
        trace_text(s, "p%u PROPOSE slot=%" PRIu64 " %.*s", sp->id, slot, len > 24 ? 24 : len, v);
    }
    if (rnd_chance(s, 0.01)) {
        trace_text(s, "p%u RESIGN", sp->id);
        agora_proposer_resign(&sp->p, prop_now(s, pi));
        s->st->resigns++;
    }
    if (!failed(s))
        pump(s, pi);
}

/* Somebody without the lease must be refused. */
static void client_refused(struct sim *s)
{
    int pi = (int)rnd_below(s, s->n_prop);
    struct sim_prop *sp = &s->prop[pi];
    if (sp->up && !agora_proposer_holds_lease(&sp->p, prop_now(s, pi))) {
        uint64_t slot = 0;
        int rc = agora_proposer_propose(&sp->p, prop_now(s, pi), (const uint8_t *)"nope", 4, &slot);
        if (rc == AGORA_OK)
            chk_fail(&s->chk, CHK_CONTRACT, "p%u accepted a proposal without the lease "
                     "(slot %" PRIu64 ")", sp->id, slot);
    }
}

void client(struct sim *s)
{
    int idx[SIM_MAX_PROPOSERS];
    int n = lease_holders(s, NULL, idx);
    if (n == 1 && s->quiet)
        client_quiet(s, idx[0]);
    else if (n == 1)
        client_busy(s, idx[0]);
    if (rnd_chance(s, 0.05) && !failed(s))
        client_refused(s);
    uint64_t gap = s->quiet ? rnd_range(s, 100 * MS, 300 * MS) : rnd_range(s, MS, 2 * s->client_mean);
    ev_push(s, s->T + gap, EV_CLIENT, 0, 0, NULL);
}
