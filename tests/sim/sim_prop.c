/* sim_prop.c: the proposer shell, agorad (sim_int.h): agora_proposer_ready
 * and everything it asks for (send, install, apply, wake up), start as a
 * new incarnation, crash, compaction of the learner log. */
#include <inttypes.h>
#include <string.h>

#include "sim_int.h"

/* "Call ready() again no later than next": a pending earlier wake-up will
 * do (ready() then names the next one), so only an earlier one is queued. */
static void schedule_wake(struct sim *s, int pi, agora_time_t next)
{
    struct sim_prop *sp = &s->prop[pi];
    agora_time_t now = prop_now(s, pi);
    if (next > now + 3600 * SEC) /* "much later": an hour is later than any seed */
        next = now + 3600 * SEC;
    uint64_t Tw = clk_true_at(&sp->clk, next, s->T);
    if (Tw <= s->T)
        Tw = s->T + 1;
    if (sp->wake_at > s->T && sp->wake_at <= Tw)
        return;
    sp->wake_gen++;
    sp->wake_at = Tw;
    ev_push(s, Tw, EV_WAKE, (uint8_t)pi, sp->wake_gen, NULL);
}

/* What ready() hands the learner: a snapshot to install, then committed
 * entries to apply to the hash chain. */
static void pump_learn(struct sim *s, int pi, const struct agora_ready *rd)
{
    struct sim_prop *sp = &s->prop[pi];
    if (rd->events & AGORA_EV_SNAPSHOT) {
        uint64_t idx, dig;
        if (!parse_snap(rd->snap, rd->snap_len, &idx, &dig) || idx != rd->snap_index) {
            chk_fail(&s->chk, CHK_CONTRACT, "p%u got a snapshot at %" PRIu64
                     " that no shell made (%u bytes)", sp->id, rd->snap_index, rd->snap_len);
        } else if (chk_learn_snapshot(&s->chk, pi, idx, dig, false)) {
            sp->applied = idx;
            sp->digest = dig;
            s->st->snapshots_learned++;
            trace_text(s, "p%u SNAPSHOT installed up to slot %" PRIu64, sp->id, idx);
        }
    }
    for (size_t k = 0; k < rd->n_committed && !failed(s); k++) {
        const struct agora_entry *e = &rd->committed[k];
        if (!chk_learn(&s->chk, pi, e->slot, intern_entry(s, e)))
            break;
        sp->digest = sim_digest_step(sp->digest, e->slot, e->data, e->len);
        sp->applied = e->slot;
    }
    if (rd->n_committed > 0 && !failed(s))
        trace_text(s, "p%u COMMIT slots %" PRIu64 "..%" PRIu64, sp->id, rd->committed[0].slot,
                   rd->committed[rd->n_committed - 1].slot);
}

/* ELECTED (check 6), LEASE (--broken lease-overrun stretches it),
 * STEP_DOWN. */
static void pump_events(struct sim *s, int pi, const struct agora_ready *rd)
{
    struct sim_prop *sp = &s->prop[pi];
    if ((rd->events & AGORA_EV_ELECTED) && !failed(s)) {
        s->st->elections++;
        trace_text(s, "p%u ELECTED b=(%" PRIu64 ",%u)", sp->id, sp->p.ballot.round,
                   sp->p.ballot.node);
        if (!(s->o->skip_checks & (1u << CHK_ONE_LEADER)))
            chk_elected(&s->chk, sp->p.ballot, sp->id);
    }
    if (rd->events & AGORA_EV_LEASE) {
        agora_time_t now = prop_now(s, pi);
        if (s->o->broken == SIM_BROKEN_LEASE_OVERRUN) {
            sp->p.lease_end += s->pcfg.lease;
            sp->p.step_down_at = sp->p.lease_end;
        }
        trace_text(s, "p%u LEASE until +%" PRIu64 "ms", sp->id,
                   sp->p.lease_end > now ? (sp->p.lease_end - now) / MS : 0);
    }
    if (rd->events & AGORA_EV_STEP_DOWN) {
        s->st->step_downs++;
        trace_text(s, "p%u STEP_DOWN", sp->id);
    }
}

/* agora_proposer_ready and everything it asks for. */
void pump(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    struct agora_ready rd;
    memset(&rd, 0, sizeof(rd));
    int rc = agora_proposer_ready(&sp->p, prop_now(s, pi), &rd);
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_ready(p%u): %s", sp->id,
                 agora_strerror(rc));
        agora_ready_clear(&rd);
        return;
    }
    pump_learn(s, pi, &rd);
    pump_events(s, pi, &rd);
    for (size_t k = 0; k < rd.n_msgs && !failed(s); k++) {
        if (rd.msgs[k].to >= SIM_ACCEPTORS)
            chk_fail(&s->chk, CHK_CONTRACT, "p%u sends %s to acceptor %u", sp->id,
                     agora_msg_type_name(rd.msgs[k].type), rd.msgs[k].to);
        else
            net_send(s, false, rd.msgs[k].to, &rd.msgs[k]);
    }
    if (rd.next != 0)
        schedule_wake(s, pi, rd.next);
    agora_ready_clear(&rd);
}

void prop_start(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    sp->gen++;
    clk_random(s, &sp->clk);
    struct agora_proposer_config cfg = s->pcfg;
    cfg.id = sp->id;
    cfg.tag = ((uint64_t)sp->id << 40) | sp->gen;
    cfg.seed = rnd(s);
    int rc = agora_proposer_init(&sp->p, &cfg, prop_now(s, pi));
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_init(p%u): %s", sp->id,
                 agora_strerror(rc));
        return;
    }
    sp->up = true;
    sp->wake_at = 0;
    sp->applied = 0;
    sp->digest = SIM_DIGEST_INIT;
    chk_learner_reset(&s->chk, pi);
    trace_text(s, "p%u START incarnation %u", sp->id, sp->gen);
    pump(s, pi);
}

void prop_crash(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    trace_text(s, "p%u CRASH (role %d, applied %" PRIu64 ")", sp->id, (int)sp->p.role,
               sp->applied);
    agora_proposer_free(&sp->p);
    sp->up = false;
    s->st->prop_crashes++;
}

void prop_compact(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    if (!sp->up || sp->applied <= sp->p.snap_index)
        return;
    uint8_t snap[SIM_SNAP_LEN];
    make_snap(snap, sp->applied, sp->digest);
    int rc = agora_proposer_compact(&sp->p, sp->applied, snap, SIM_SNAP_LEN);
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_compact(p%u, %" PRIu64 "): %s", sp->id,
                 sp->applied, agora_strerror(rc));
        return;
    }
    trace_text(s, "p%u COMPACT upto=%" PRIu64, sp->id, sp->applied);
}

