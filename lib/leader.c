/* leader.c: the leader's half of the proposer: phase 2 for batches of
 * entries, lease accounting, commit index, catch-up of lagging acceptors.
 *
 * Lease (DESIGN.md section 2): every ACCEPT round is a renewal, remembered
 * with the time it was sent. When a quorum has accepted a round, we hold the
 * lease until sent + lease * (1 - drift_permille/1000) on our own clock; the
 * acceptors measure it from receipt on theirs, which is later. */
#include <string.h>

#include "proposer_int.h"

static agora_time_t lease_span(const struct agora_proposer *p)
{
    return p->cfg.lease / 1000u * (1000u - p->cfg.drift_permille) +
           p->cfg.lease % 1000u * (1000u - p->cfg.drift_permille) / 1000u;
}

/* Phase 1 succeeded: propose, under our ballot, the recovered value of every
 * slot above our commit (a no-op where no acceptor of the quorum had one). */
int leader_start(struct agora_proposer *p, agora_time_t now)
{
    agora_log_truncate_after(&p->log, p->commit);
    uint64_t last = agora_log_last(&p->recovered);
    for (uint64_t s = p->commit + 1; s <= last; s++) {
        const struct agora_entry *e = agora_log_get(&p->recovered, s);
        int rc = agora_log_put(&p->log, s, p->ballot, e ? e->data : NULL, e ? e->len : 0);
        if (rc != AGORA_OK)
            return rc;
    }
    agora_log_free(&p->recovered);
    for (uint32_t i = 0; i < p->cfg.n_acceptors; i++) {
        struct agora_peer *peer = &p->peers[i];
        peer->match = peer->promised ? peer->commit : 0;
        peer->next = (peer->promised ? peer->commit : p->commit) + 1;
        peer->resent_seq = p->seq;
        peer->unanswered = 0;
        peer->reset_seq = p->seq;
        peer->held = false;
    }
    p->role = AGORA_LEADER;
    p->failures = 0;
    p->out.events |= AGORA_EV_ELECTED;
    p->lease_end = 0;
    memset(p->renew, 0, sizeof(p->renew));
    /* If no round is accepted by a quorum within one lease, step down. */
    p->step_down_at = now + lease_span(p);
    p->dirty = true;
    p->next_heartbeat = now;
    return AGORA_OK;
}

static uint64_t log_end(const struct agora_proposer *p)
{
    uint64_t last = agora_log_last(&p->log);
    return last > p->commit ? last : p->commit;
}

static int send_install(struct agora_proposer *p, uint32_t i, uint64_t seq)
{
    struct agora_msg m;
    prop_msg(p, &m, AGORA_MSG_INSTALL, i, seq);
    int rc = agora_msg_set_snap(&m, p->snap_index, p->snap, p->snap_len);
    if (rc != AGORA_OK) {
        agora_msg_clear(&m);
        return rc;
    }
    p->peers[i].next = p->snap_index + 1;
    return prop_send(p, &m);
}

static int send_accept(struct agora_proposer *p, uint32_t i, uint64_t seq)
{
    struct agora_peer *peer = &p->peers[i];
    if (peer->next <= p->snap_index && p->snap != NULL)
        return send_install(p, i, seq);
    struct agora_msg m;
    prop_msg(p, &m, AGORA_MSG_ACCEPT, i, seq);
    m.slot = peer->next;
    m.commit = p->commit;
    uint64_t end = log_end(p);
    for (uint64_t s = peer->next; s <= end && m.n_entries < p->cfg.max_batch; s++) {
        const struct agora_entry *e = agora_log_get(&p->log, s);
        if (e == NULL)
            break; /* compacted without a snapshot: cannot happen */
        int rc = agora_msg_add_entry(&m, e);
        if (rc != AGORA_OK) {
            agora_msg_clear(&m);
            return rc;
        }
    }
    peer->next += m.n_entries;
    return prop_send(p, &m);
}

static bool window_full(const struct agora_proposer *p, const struct agora_peer *peer)
{
    return p->cfg.window != 0 && peer->unanswered >= p->cfg.window;
}

/* One ACCEPT round to every acceptor (`all`: a heartbeat) or to every one
 * whose window has room: new entries, commit, lease renewal. An acceptor
 * skipped now gets the next round once it answers, with everything that
 * came meanwhile in one message: a slow brick gets batches, not a queue
 * of small rounds that its transport would have to drop. */
static int send_round(struct agora_proposer *p, agora_time_t now, bool all)
{
    uint64_t seq = ++p->seq;
    struct agora_renewal *r = &p->renew[seq % AGORA_RENEW_WINDOW];
    r->seq = seq;
    r->sent = now;
    r->acks = 0;
    p->dirty = false;
    for (uint32_t i = 0; i < p->cfg.n_acceptors; i++) {
        struct agora_peer *peer = &p->peers[i];
        peer->held = !all && window_full(p, peer);
        if (peer->held)
            continue;
        int rc = send_accept(p, i, seq);
        if (rc != AGORA_OK)
            return rc;
        peer->unanswered++;
        if (peer->next <= log_end(p) && !window_full(p, peer))
            p->dirty = true; /* more than one batch pending */
        peer->held = peer->next <= log_end(p) && window_full(p, peer);
    }
    return AGORA_OK;
}

int leader_tick(struct agora_proposer *p, agora_time_t now)
{
    if (now >= p->step_down_at) {
        prop_step_down(p, now);
        return AGORA_OK;
    }
    if (now >= p->next_heartbeat) {
        /* Retransmit anything not acknowledged since the last heartbeat;
         * a request or reply lost meanwhile no longer counts in a window. */
        for (uint32_t i = 0; i < p->cfg.n_acceptors; i++) {
            p->peers[i].next = p->peers[i].match + 1;
            p->peers[i].unanswered = 0;
            p->peers[i].reset_seq = p->seq;
        }
        p->next_heartbeat = now + p->cfg.heartbeat;
        return send_round(p, now, true);
    }
    return p->dirty ? send_round(p, now, false) : AGORA_OK;
}

agora_time_t leader_deadline(const struct agora_proposer *p)
{
    agora_time_t t = p->next_heartbeat < p->step_down_at ? p->next_heartbeat : p->step_down_at;
    return p->dirty ? 0 : t;
}

static void count_renewal(struct agora_proposer *p, const struct agora_msg *m)
{
    struct agora_renewal *r = &p->renew[m->seq % AGORA_RENEW_WINDOW];
    uint32_t bit = 1u << m->from;
    if (r->seq != m->seq || (r->acks & bit))
        return;
    r->acks |= bit;
    if (prop_popcount(r->acks) != QUORUM(p))
        return;
    agora_time_t end = r->sent + lease_span(p);
    if (end > p->lease_end) {
        p->lease_end = end;
        p->out.events |= AGORA_EV_LEASE;
    }
    if (end > p->step_down_at)
        p->step_down_at = end;
}

/* An acceptor promised a higher ballot: step down at once. A rival cannot
 * have a quorum while our lease lives, but that acceptor will refuse every
 * round of ours from now on; the next election (usually won by us again,
 * since the other acceptors still hold our lease) brings it back. Followers
 * only campaign when a quorum reports the lease free (proposer.c), which
 * keeps this rare. */
void leader_on_reject(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    if (agora_ballot_cmp(m->ballot, p->ballot) > 0)
        prop_step_down(p, now);
}

/* A slot is chosen once a quorum holds our value for it (or knows it chosen). */
static void advance_commit(struct agora_proposer *p)
{
    uint64_t end = log_end(p);
    while (p->commit < end) {
        uint64_t s = p->commit + 1;
        unsigned n = 0;
        for (uint32_t i = 0; i < p->cfg.n_acceptors; i++)
            n += p->peers[i].match >= s;
        if (n < QUORUM(p) || agora_log_get(&p->log, s) == NULL)
            break;
        p->commit = s;
        p->dirty = true; /* tell the acceptors promptly */
    }
}

/* A reply starting past match + 1: an earlier ACCEPT to this acceptor was
 * lost (the transport may drop requests), so the acceptor holds a gap and
 * match cannot advance. Resend from match + 1 in the next round rather
 * than at the next heartbeat: while the other acceptors form a quorum the
 * gap costs nothing, but once one of them dies every commit would wait for
 * the heartbeat (tests/coordinator/test_brick_pause.sh). Replies to rounds
 * sent before the repair say nothing new, so one loss, one resend. */
static void repair_gap(struct agora_proposer *p, struct agora_peer *peer,
                       const struct agora_msg *m)
{
    if (m->slot <= peer->match + 1 || m->seq <= peer->resent_seq)
        return;
    peer->next = peer->match + 1;
    peer->resent_seq = p->seq;
    p->dirty = true;
}

int leader_on_accepted(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    (void)now;
    if (p->role != AGORA_LEADER || agora_ballot_cmp(m->ballot, p->ballot) != 0)
        return AGORA_OK;
    struct agora_peer *peer = &p->peers[m->from];
    count_renewal(p, m);
    if (m->seq > peer->reset_seq && peer->unanswered > 0)
        peer->unanswered--;
    if (peer->held && !window_full(p, peer))
        p->dirty = true; /* a round skipped it: send what it missed */
    if (m->commit > peer->commit)
        peer->commit = m->commit;
    if (m->count > 0 && m->slot <= peer->match + 1 && m->slot + m->count - 1 > peer->match)
        peer->match = m->slot + m->count - 1;
    if (peer->commit > peer->match)
        peer->match = peer->commit;
    repair_gap(p, peer, m);
    if (peer->match + 1 > peer->next)
        peer->next = peer->match + 1;
    advance_commit(p);
    return AGORA_OK;
}

int agora_proposer_propose(struct agora_proposer *p, agora_time_t now, const uint8_t *data,
                           uint32_t len, uint64_t *slot)
{
    if (!agora_proposer_holds_lease(p, now))
        return AGORA_ENOTLEADER;
    if (len == 0 || data == NULL)
        return AGORA_EINVAL;
    if (log_end(p) - p->commit >= p->cfg.max_inflight)
        return AGORA_ETOOBIG; /* flow control: let the acceptors catch up */
    uint64_t s = log_end(p) + 1;
    int rc = agora_log_put(&p->log, s, p->ballot, data, len);
    if (rc != AGORA_OK)
        return rc;
    p->dirty = true;
    *slot = s;
    return AGORA_OK;
}
