/* sim_acc.c: the acceptor shell, a brick (sim_int.h): step, pending write
 * and sync, replies held back until the sync, crash (torn writes), restart
 * (init + recover), and what the brick reports to the checker as durable or
 * learned. Its compaction is in sim_snap.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

uint32_t intern_entry(struct sim *s, const struct agora_entry *e)
{
    return chk_intern(&s->chk, e->data, e->len);
}

/* Records the in-memory state of `slot` after a step: once the pending
 * write is synced it is a durable acceptance. */
static void note_slot(struct sim *s, struct sim_acc *sa, uint64_t slot)
{
    const struct agora_entry *e = agora_log_get(&sa->a.log, slot);
    if (e == NULL)
        return;
    if (sa->n_pacc == sa->cap_pacc) {
        sa->cap_pacc = sa->cap_pacc ? 2 * sa->cap_pacc : 32;
        sa->pacc = realloc(sa->pacc, sa->cap_pacc * sizeof(*sa->pacc));
        if (sa->pacc == NULL)
            abort();
    }
    struct pend_acc *p = &sa->pacc[sa->n_pacc++];
    p->slot = slot;
    p->b = e->ballot;
    p->val = intern_entry(s, e);
}

/* The acceptor as a learner: its snapshot and committed prefix must be the
 * chosen values. */
static void acc_learn(struct sim *s, int i)
{
    struct sim_acc *sa = &s->acc[i];
    struct agora_acceptor *a = &sa->a;
    int l = LRN_ACC + i;
    if (a->snap_index != sa->seen_snap && a->snap_index > 0) {
        uint64_t idx, dig;
        if (!parse_snap(a->snap, a->snap_len, &idx, &dig) || idx != a->snap_index) {
            chk_fail(&s->chk, CHK_CONTRACT, "a%d holds a snapshot at %" PRIu64
                     " that is not the one the shell made (%u bytes)", i, a->snap_index,
                     a->snap_len);
            return;
        }
        if (!chk_learn_snapshot(&s->chk, l, idx, dig, true))
            return;
    }
    sa->seen_snap = a->snap_index;
    uint64_t applied = chk_learner_applied(&s->chk, l);
    if (a->commit < applied) {
        if (a->commit < a->snap_index)
            chk_fail(&s->chk, CHK_CONTRACT, "a%d: commit %" PRIu64 " below its snapshot %" PRIu64,
                     i, a->commit, a->snap_index);
        else
            chk_fail(&s->chk, CHK_CONTRACT, "a%d: commit went back from %" PRIu64 " to %" PRIu64,
                     i, applied, a->commit);
        return;
    }
    for (uint64_t slot = applied + 1; slot <= a->commit; slot++) {
        const struct agora_entry *e = agora_log_get(&a->log, slot);
        if (e == NULL) {
            chk_fail(&s->chk, CHK_CONTRACT,
                     "a%d: commit=%" PRIu64 " but slot %" PRIu64 " is absent (snap=%" PRIu64 ")",
                     i, a->commit, slot, a->snap_index);
            return;
        }
        if (!chk_learn(&s->chk, l, slot, intern_entry(s, e)))
            return;
    }
}

/* A reply leaves the brick (to is the proposer's id, 1..n_prop). */
static void acc_reply_out(struct sim *s, int i, const struct agora_msg *r)
{
    if (r->to < 1 || r->to > s->n_prop)
        chk_fail(&s->chk, CHK_CONTRACT, "a%d replies %s to unknown proposer %u", i,
                 agora_msg_type_name(r->type), r->to);
    else
        net_send(s, true, r->to - 1, r);
}

/* The sync: the pending bytes reach the disk, what the steps accepted is
 * durable, and the replies that waited go out. */
void acc_flush(struct sim *s, int i)
{
    struct sim_acc *sa = &s->acc[i];
    if (sa->pend.len > 0) {
        if (s->o->broken != SIM_BROKEN_SKIP_FSYNC)
            agora_buf_put(&sa->disk, sa->pend.data, sa->pend.len);
        agora_buf_reset(&sa->pend);
    }
    sa->synced = sa->disk.len;
    for (size_t k = 0; k < sa->n_pacc && !failed(s); k++)
        chk_durable_accept(&s->chk, i, sa->pacc[k].slot, sa->pacc[k].b, sa->pacc[k].val);
    sa->n_pacc = 0;
    chk_durable_promise(&s->chk, i, sa->a.promised);
    if (sa->a.snap_index > s->chk.acc[i].snap)
        chk_durable_compact(&s->chk, i, sa->a.snap_index);
    for (size_t k = 0; k < sa->n_replies; k++) {
        struct agora_msg *r = &sa->replies[k];
        if (!failed(s))
            acc_reply_out(s, i, r);
        agora_msg_clear(r);
    }
    sa->n_replies = 0;
}

static void acc_queue_reply(struct sim_acc *sa, struct agora_msg *r)
{
    if (sa->n_replies == sa->cap_replies) {
        sa->cap_replies = sa->cap_replies ? 2 * sa->cap_replies : 8;
        sa->replies = realloc(sa->replies, sa->cap_replies * sizeof(*sa->replies));
        if (sa->replies == NULL)
            abort();
    }
    sa->replies[sa->n_replies++] = *r; /* moves ownership */
    agora_msg_init(r);
}

/* A deliberately wrong rule, applied from outside the core (--broken). */
static void broken_before_step(struct sim *s, struct agora_acceptor *a, const struct agora_msg *m)
{
    switch (s->o->broken) {
    case SIM_BROKEN_ACCEPT_LOWER_BALLOT:
        if (m->type == AGORA_MSG_ACCEPT && agora_ballot_cmp(m->ballot, a->promised) < 0)
            a->promised = m->ballot;
        break;
    case SIM_BROKEN_PROMISE_LOWER_BALLOT:
        if (m->type == AGORA_MSG_PREPARE && agora_ballot_cmp(m->ballot, a->promised) <= 0)
            a->promised = (struct agora_ballot){0, 0};
        break;
    case SIM_BROKEN_IGNORE_LEASE:
        if (m->type == AGORA_MSG_PREPARE) {
            a->lease_holder = 0;
            a->lease_until = 0;
        }
        break;
    default:
        break;
    }
}

/* What a step changed: the slots it touched wait for the sync; what it
 * committed is learned; a committed slot it rewrote must still hold its
 * value. old_last: the last slot before the step. */
static void acc_after_step(struct sim *s, int i, const struct agora_msg *in, uint64_t old_last)
{
    struct sim_acc *sa = &s->acc[i];
    struct agora_acceptor *a = &sa->a;
    if (in->type == AGORA_MSG_ACCEPT)
        for (uint32_t k = 0; k < in->n_entries; k++)
            note_slot(s, sa, in->entries[k].slot);
    uint64_t new_last = agora_log_last(&a->log);
    for (uint64_t slot = old_last + 1; slot <= new_last; slot++)
        note_slot(s, sa, slot);
    acc_learn(s, i);
    uint64_t applied = chk_learner_applied(&s->chk, LRN_ACC + i);
    if (in->type == AGORA_MSG_ACCEPT)
        for (uint32_t k = 0; k < in->n_entries && !failed(s); k++) {
            uint64_t slot = in->entries[k].slot;
            const struct agora_entry *e = agora_log_get(&a->log, slot);
            if (slot <= applied && e != NULL)
                chk_still(&s->chk, LRN_ACC + i, slot, intern_entry(s, e));
        }
}

void acc_step(struct sim *s, int i, const struct agora_msg *in)
{
    struct sim_acc *sa = &s->acc[i];
    struct agora_acceptor *a = &sa->a;
    uint64_t old_last = agora_log_last(&a->log);
    struct agora_msg reply;
    agora_msg_init(&reply);
    agora_buf_reset(&s->wal);
    broken_before_step(s, a, in);
    int rc = agora_acceptor_step(a, acc_now(s, i), in, &reply, &s->wal);
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_acceptor_step(a%d, %s): %s", i,
                 agora_msg_type_name(in->type), agora_strerror(rc));
        agora_msg_clear(&reply);
        return;
    }
    acc_after_step(s, i, in, old_last);
    if (s->wal.len > 0)
        agora_buf_put(&sa->pend, s->wal.data, s->wal.len);
    bool has_reply = reply.type != 0;
    if (sa->pend.len == 0 && sa->n_replies == 0) {
        acc_flush(s, i); /* nothing to wait for */
        if (has_reply && !failed(s))
            acc_reply_out(s, i, &reply);
        agora_msg_clear(&reply);
        return;
    }
    if (has_reply)
        acc_queue_reply(sa, &reply);
    agora_msg_clear(&reply);
    if (rnd_chance(s, s->p_atomic)) {
        acc_flush(s, i);
        return;
    }
    uint64_t d = rnd_range(s, 50 * US, 5 * MS);
    ev_push(s, s->T + d, EV_SYNC, (uint8_t)i, sa->gen, NULL);
    /* Now and then the brick dies before the sync: the crash window. */
    if (!s->quiet && s->chaos_mean > 0 && rnd_chance(s, s->p_window_crash))
        ev_push(s, s->T + rnd_below(s, d), EV_ACC_CRASH, (uint8_t)i, sa->gen, NULL);
}

void acc_start(struct sim *s, int i)
{
    struct sim_acc *sa = &s->acc[i];
    struct agora_acceptor *a = &sa->a;
    clk_random(s, &sa->clk); /* a restarted brick may be a rebooted host */
    int rc = agora_acceptor_init(a, &s->acfg, (uint32_t)i, acc_now(s, i));
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_acceptor_init(a%d): %s", i, agora_strerror(rc));
        return;
    }
    sa->up = true;
    size_t valid = 0, len = sa->disk.len;
    rc = agora_acceptor_recover(a, sa->disk.data, sa->disk.len, &valid);
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_acceptor_recover(a%d, %zu bytes): %s", i,
                 sa->disk.len, agora_strerror(rc));
        return;
    }
    if (valid > sa->disk.len) {
        chk_fail(&s->chk, CHK_CONTRACT, "a%d: recover says %zu of %zu bytes are valid", i, valid,
                 sa->disk.len);
        return;
    }
    if (valid < sa->synced) {
        chk_fail(&s->chk, CHK_DURABLE, "a%d: recover trusts only %zu of the %zu synced bytes", i,
                 valid, sa->synced);
        return;
    }
    sa->disk.len = valid;
    sa->synced = valid;
    if (s->o->broken == SIM_BROKEN_NO_RESTART_QUIET)
        a->quiet_until = 0;
    trace_text(s, "a%d RESTART wal %zu/%zu bytes valid, promised=(%" PRIu64 ",%u) commit=%" PRIu64
               " snap=%" PRIu64 " last=%" PRIu64,
               i, valid, len, a->promised.round, a->promised.node, a->commit, a->snap_index,
               agora_log_last(&a->log));
    if (!chk_recover_begin(&s->chk, i, a->snap_index, a->promised))
        return;
    uint64_t last = agora_log_last(&a->log);
    for (uint64_t slot = a->snap_index + 1; slot <= last; slot++) {
        const struct agora_entry *e = agora_log_get(&a->log, slot);
        if (e != NULL && !chk_recover_entry(&s->chk, i, slot, e->ballot, intern_entry(s, e)))
            return;
    }
    if (!chk_recover_end(&s->chk, i))
        return;
    chk_learner_reset(&s->chk, LRN_ACC + i);
    sa->seen_snap = 0;
    acc_learn(s, i);
}

void acc_crash(struct sim *s, int i)
{
    struct sim_acc *sa = &s->acc[i];
    size_t keep = 0, garbage = 0;
    if (sa->pend.len > 0) {
        switch (rnd_below(s, 3)) {
        case 0: keep = 0; break;                /* nothing reached the disk */
        case 1: keep = sa->pend.len; break;     /* all of it, but no reply went out */
        default:                                /* torn */
            keep = rnd_below(s, sa->pend.len);
            if (rnd_chance(s, 0.5))
                garbage = 1 + rnd_below(s, 16);
            s->st->torn_writes++;
            break;
        }
        agora_buf_put(&sa->disk, sa->pend.data, keep);
        for (size_t k = 0; k < garbage; k++)
            agora_buf_put_u8(&sa->disk, (uint8_t)rnd(s));
    }
    trace_text(s, "a%d CRASH: %zu bytes unsynced, %zu reached the disk (+%zu garbage), %zu "
               "replies lost",
               i, sa->pend.len, keep, garbage, sa->n_replies);
    agora_acceptor_free(&sa->a);
    sa->up = false;
    sa->gen++;
    agora_buf_reset(&sa->pend);
    for (size_t k = 0; k < sa->n_replies; k++)
        agora_msg_clear(&sa->replies[k]);
    sa->n_replies = 0;
    sa->n_pacc = 0;
    s->st->acc_crashes++;
}
