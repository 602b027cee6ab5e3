/* sim_watch.c: what the simulation checks itself after every step
 * (sim_int.h): the lease holders (check 2, via the checker) and the closest
 * hand-over; the quiet phase once the faults stop, and liveness in it
 * (check 5: a value proposed after the faults is committed everywhere). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim_int.h"

/* Check 2, and the closest hand-over of the lease from one proposer to
 * another (in true time), a measure of the margin left. */
void check_leases(struct sim *s)
{
    uint32_t ids[SIM_MAX_PROPOSERS];
    int n = lease_holders(s, ids, NULL);
    if (!chk_lease_holders(&s->chk, ids, n))
        return;
    for (uint32_t pi = 0; pi < s->n_prop; pi++) {
        struct sim_prop *sp = &s->prop[pi];
        bool h = sp->up && agora_proposer_holds_lease(&sp->p, prop_now(s, (int)pi));
        if (h && !sp->held) {
            uint64_t prev = 0;
            for (uint32_t q = 0; q < s->n_prop; q++)
                if (q != pi && s->prop[q].held_until > prev)
                    prev = s->prop[q].held_until;
            if (prev > 0) {
                s->st->handovers++;
                if (s->T - prev < s->st->handover_min_ns)
                    s->st->handover_min_ns = s->T - prev;
            }
        }
        if (h)
            sp->held_until = clk_true_at(&sp->clk, sp->p.lease_end, s->T);
        else if (sp->held && sp->held_until > s->T)
            sp->held_until = s->T; /* stepped down or crashed early */
        sp->held = h;
    }
}

void enter_quiet(struct sim *s)
{
    s->quiet = true;
    s->quiet_T = s->T;
    s->deadline = s->T + s->o->settle_ns;
    memset(s->cut, 0, sizeof(s->cut));
    trace_text(s, "QUIET: faults stop; a value must be committed everywhere by T+%" PRIu64 "s",
               s->o->settle_ns / SEC);
    for (int i = 0; i < SIM_ACCEPTORS && !failed(s); i++)
        if (!s->acc[i].up)
            acc_start(s, i);
    for (uint32_t pi = 0; pi < s->n_prop && !failed(s); pi++)
        if (!s->prop[pi].up)
            prop_start(s, (int)pi);
}

static void liveness_report(struct sim *s, const char *what)
{
    char buf[600];
    size_t k = 0;
    for (uint32_t pi = 0; pi < s->n_prop; pi++) {
        const struct sim_prop *sp = &s->prop[pi];
        int n = snprintf(buf + k, sizeof(buf) - k, " p%u:role=%d,b=(%" PRIu64 ",%u),applied=%" PRIu64
                         ",lease=%d", sp->id, (int)sp->p.role, sp->p.ballot.round,
                         sp->p.ballot.node, sp->applied,
                         (int)agora_proposer_holds_lease(&sp->p, prop_now(s, (int)pi)));
        if (n < 0 || (size_t)n >= sizeof(buf) - k)
            break;
        k += (size_t)n;
    }
    for (int i = 0; i < SIM_ACCEPTORS; i++) {
        const struct agora_acceptor *a = &s->acc[i].a;
        int n = snprintf(buf + k, sizeof(buf) - k, " a%d:promised=(%" PRIu64 ",%u),commit=%" PRIu64
                         ",last=%" PRIu64, i, a->promised.round, a->promised.node, a->commit,
                         agora_log_last(&a->log));
        if (n < 0 || (size_t)n >= sizeof(buf) - k)
            break;
        k += (size_t)n;
    }
    chk_fail(&s->chk, CHK_LIVENESS, "%s (%u proposals since the faults stopped);%s", what, s->n_live,
             buf);
}

void check_liveness(struct sim *s)
{
    if (++s->quiet_steps > QUIET_MAX_STEPS) {
        liveness_report(s, "too many steps after the faults stopped (a busy loop?)");
        return;
    }
    if (s->T > s->deadline) {
        liveness_report(s, "no value proposed after the faults stopped was committed by every "
                           "learner in time");
        return;
    }
    uint64_t min = UINT64_MAX;
    for (uint32_t pi = 0; pi < s->n_prop; pi++)
        if (s->prop[pi].up && s->prop[pi].applied < min)
            min = s->prop[pi].applied;
    for (int i = 0; i < SIM_ACCEPTORS; i++) {
        uint64_t c = chk_learner_applied(&s->chk, LRN_ACC + i);
        if (c < min)
            min = c;
    }
    uint32_t n = s->n_live < LIVE_RING ? s->n_live : LIVE_RING;
    for (uint32_t k = 0; k < n; k++)
        if (s->live[k].slot <= min && chk_chosen(&s->chk, s->live[k].slot) == s->live[k].val + 1) {
            uint64_t took = s->T - s->quiet_T;
            if (took > s->st->settle_ns_max)
                s->st->settle_ns_max = took;
            trace_text(s, "LIVE: slot %" PRIu64 " committed everywhere after %" PRIu64 "ms",
                       s->live[k].slot, took / MS);
            s->done = true;
            return;
        }
}

