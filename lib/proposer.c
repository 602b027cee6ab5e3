/* proposer.c: the roles of an agorad that are not leading: follower (polls
 * the acceptors, learns committed entries, watches the lease), candidate
 * (phase 1, recovering possibly-chosen values), and the ready() driver.
 * The leader's half (phase 2, leases, commit) is in leader.c. */
#include <string.h>

#include "proposer_int.h"

/* --- small helpers ------------------------------------------------------- */

static uint64_t rng_next(struct agora_proposer *p)
{
    /* splitmix64: a per-instance generator seeded by the shell. */
    uint64_t z = (p->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Random in [min, min + span * 2^failures], failures capped at 4: duelling
 * candidates spread out further each time they preempt each other. */
agora_time_t prop_backoff(struct agora_proposer *p)
{
    agora_time_t span = p->cfg.backoff_max - p->cfg.backoff_min;
    span <<= p->failures < 4 ? p->failures : 4;
    return p->cfg.backoff_min + (span ? rng_next(p) % (span + 1) : 0);
}

unsigned prop_popcount(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

int prop_send(struct agora_proposer *p, struct agora_msg *m)
{
    struct agora_ready *o = &p->out;
    struct agora_msg *msgs = agora_realloc(o->msgs, (o->n_msgs + 1) * sizeof(*msgs));
    if (msgs == NULL) {
        agora_msg_clear(m);
        return AGORA_ENOMEM;
    }
    o->msgs = msgs;
    o->msgs[o->n_msgs++] = *m;
    agora_msg_init(m);
    return AGORA_OK;
}

void prop_msg(struct agora_proposer *p, struct agora_msg *m, uint8_t type, uint32_t to, uint64_t seq)
{
    agora_msg_init(m);
    m->type = type;
    m->from = p->cfg.id;
    m->to = to;
    m->tag = p->cfg.tag;
    m->seq = seq;
    m->ballot = p->ballot;
}

static int broadcast(struct agora_proposer *p, uint8_t type, uint64_t slot, uint64_t seq)
{
    for (uint32_t i = 0; i < p->cfg.n_acceptors; i++) {
        struct agora_msg m;
        prop_msg(p, &m, type, i, seq);
        m.slot = slot;
        int rc = prop_send(p, &m);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

/* --- life cycle ------------------------------------------------------------- */

int agora_proposer_init(struct agora_proposer *p, const struct agora_proposer_config *cfg,
                        agora_time_t now)
{
    memset(p, 0, sizeof(*p));
    if (cfg->id == 0 || cfg->n_acceptors == 0 || cfg->n_acceptors > AGORA_MAX_ACCEPTORS ||
        cfg->lease == 0 || cfg->heartbeat == 0 || cfg->drift_permille >= 1000 ||
        cfg->heartbeat >= cfg->lease / 1000u * (1000u - cfg->drift_permille) || cfg->backoff_max < cfg->backoff_min ||
        cfg->rpc_timeout == 0)
        return AGORA_EINVAL;
    p->cfg = *cfg;
    if (p->cfg.max_batch == 0)
        p->cfg.max_batch = 64;
    if (p->cfg.max_inflight == 0)
        p->cfg.max_inflight = 8 * p->cfg.max_batch;
    p->rng = cfg->seed ^ ((uint64_t)cfg->id << 32) ^ cfg->tag;
    agora_log_init(&p->log);
    agora_log_init(&p->recovered);
    p->next_campaign = now + prop_backoff(p);
    p->next_poll = now;
    return AGORA_OK;
}

void agora_ready_clear(struct agora_ready *rd)
{
    for (size_t i = 0; i < rd->n_msgs; i++)
        agora_msg_clear(&rd->msgs[i]);
    agora_free(rd->msgs);
    for (size_t i = 0; i < rd->n_committed; i++)
        agora_entry_clear(&rd->committed[i]);
    agora_free(rd->committed);
    agora_free(rd->snap);
    memset(rd, 0, sizeof(*rd));
}

void agora_proposer_free(struct agora_proposer *p)
{
    agora_log_free(&p->log);
    agora_log_free(&p->recovered);
    agora_free(p->snap);
    agora_ready_clear(&p->out);
    p->snap = NULL;
}

bool agora_proposer_holds_lease(const struct agora_proposer *p, agora_time_t now)
{
    return p->role == AGORA_LEADER && now < p->lease_end;
}

void prop_step_down(struct agora_proposer *p, agora_time_t now)
{
    if (p->role == AGORA_LEADER)
        p->out.events |= AGORA_EV_STEP_DOWN;
    p->role = AGORA_FOLLOWER;
    p->lease_end = 0;
    p->dirty = false;
    /* Our uncommitted proposals may or may not be chosen; the next leader
     * recovers them. We keep only what we know is committed. */
    agora_log_truncate_after(&p->log, p->commit);
    agora_log_free(&p->recovered);
    p->next_campaign = now + prop_backoff(p);
    p->next_poll = now;
}

void agora_proposer_resign(struct agora_proposer *p, agora_time_t now)
{
    if (p->role != AGORA_LEADER)
        return;
    /* Step down first, then ask the acceptors to drop our lease. */
    prop_step_down(p, now);
    broadcast(p, AGORA_MSG_RELEASE, 0, ++p->seq);
    p->next_campaign = now + p->cfg.lease + prop_backoff(p);
}

/* --- candidate: phase 1 -------------------------------------------------------- */

static int start_campaign(struct agora_proposer *p, agora_time_t now)
{
    p->ballot.round = ++p->max_round;
    p->ballot.node = p->cfg.id;
    p->role = AGORA_CANDIDATE;
    p->promises = 0;
    p->rejects = 0;
    p->reject_wait = 0;
    agora_log_free(&p->recovered);
    p->from_slot = p->commit + 1;
    p->prepare_seq = ++p->seq;
    p->phase1_deadline = now + p->cfg.rpc_timeout;
    for (uint32_t i = 0; i < p->cfg.n_acceptors; i++)
        memset(&p->peers[i], 0, sizeof(p->peers[i]));
    return broadcast(p, AGORA_MSG_PREPARE, p->from_slot, p->prepare_seq);
}

static void give_up(struct agora_proposer *p, agora_time_t now, agora_time_t wait)
{
    p->failures++;
    p->role = AGORA_FOLLOWER;
    p->next_campaign = now + wait + prop_backoff(p);
    p->next_poll = now;
}

/* Keep, per slot, the value accepted with the highest ballot: Paxos phase 1
 * says the leader must propose it. */
static int merge_promise(struct agora_proposer *p, const struct agora_msg *m)
{
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const struct agora_entry *e = &m->entries[i];
        if (e->slot < p->from_slot)
            continue;
        const struct agora_entry *have = agora_log_get(&p->recovered, e->slot);
        if (have != NULL && agora_ballot_cmp(have->ballot, e->ballot) >= 0)
            continue;
        int rc = agora_log_put(&p->recovered, e->slot, e->ballot, e->data, e->len);
        if (rc != AGORA_OK)
            return rc;
    }
    return AGORA_OK;
}

static int on_promise(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    uint32_t bit = 1u << m->from;
    if (p->role != AGORA_CANDIDATE || agora_ballot_cmp(m->ballot, p->ballot) != 0 ||
        (p->promises & bit))
        return AGORA_OK;
    /* The acceptor compacted past what we know: catch up as a learner
     * first (FETCH brings the snapshot), then campaign again. */
    if (m->snap_index >= p->from_slot && m->snap_index > p->commit) {
        give_up(p, now, 0);
        return AGORA_OK;
    }
    int rc = merge_promise(p, m);
    if (rc != AGORA_OK)
        return rc;
    /* Progress: a long tail takes several round trips to read. */
    p->phase1_deadline = now + p->cfg.rpc_timeout;
    if (m->reason & AGORA_REPLY_PARTIAL) {
        /* A capped promise: read the rest before counting it. */
        struct agora_msg r;
        prop_msg(p, &r, AGORA_MSG_READ, m->from, p->prepare_seq);
        r.slot = m->count + 1;
        return prop_send(p, &r);
    }
    p->promises |= bit;
    p->peers[m->from].promised = true;
    p->peers[m->from].commit = m->commit;
    if (prop_popcount(p->promises) >= QUORUM(p))
        return leader_start(p, now);
    return AGORA_OK;
}

static void on_reject(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    if (m->ballot.round > p->max_round)
        p->max_round = m->ballot.round;
    if (p->role == AGORA_LEADER) {
        leader_on_reject(p, now, m);
        return;
    }
    uint32_t bit = 1u << m->from;
    if (p->role != AGORA_CANDIDATE || m->seq != p->prepare_seq || (p->rejects & bit))
        return;
    /* A lease elsewhere or a restarting acceptor: wait for it to lapse. */
    p->rejects |= bit;
    if (m->reason != AGORA_REJECT_BALLOT && m->lease_left > p->reject_wait)
        p->reject_wait = m->lease_left;
    /* Give up only once a quorum of promises is out of reach. */
    if (prop_popcount(p->rejects) > p->cfg.n_acceptors - QUORUM(p))
        give_up(p, now, p->reject_wait);
}

/* --- learner ---------------------------------------------------------------------- */

static int install_snapshot(struct agora_proposer *p, const struct agora_msg *m)
{
    uint8_t *copy = agora_malloc(m->snap_len);
    if (copy == NULL)
        return AGORA_ENOMEM;
    if (m->snap_len > 0)
        memcpy(copy, m->snap, m->snap_len);
    agora_free(p->snap);
    p->snap = copy;
    p->snap_len = m->snap_len;
    p->snap_index = m->snap_index;
    agora_log_compact(&p->log, m->snap_index);
    p->commit = p->applied = m->snap_index;
    p->snap_pending = true;
    return AGORA_OK;
}

static void watch_lease(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    uint32_t bit = 1u << m->from;
    if (m->lease_holder != 0)
        p->lease_free &= ~bit;
    else
        p->lease_free |= bit;
    if (m->lease_holder == 0 && p->lease_holder_seen != 0 &&
        prop_popcount(p->lease_free) >= QUORUM(p)) {
        /* The lease we were waiting out is gone on a quorum (released, or
         * expired): campaign after a fresh back-off, not later. One acceptor
         * alone saying so (it restarted, or lost touch with the leader)
         * proves nothing. */
        p->lease_holder_seen = 0;
        agora_time_t soon = now + prop_backoff(p);
        if (p->role == AGORA_FOLLOWER && p->next_campaign > soon)
            p->next_campaign = soon;
        return;
    }
    if (m->lease_holder == 0 || m->lease_holder == p->cfg.id)
        return;
    p->failures = 0; /* somebody leads: the duel is over */
    p->lease_holder_seen = m->lease_holder;
    agora_time_t until = now + m->lease_left + prop_backoff(p);
    if (p->role == AGORA_FOLLOWER && p->next_campaign < until)
        p->next_campaign = until;
}

static int on_fetched(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    if (p->role == AGORA_LEADER)
        return AGORA_OK;
    watch_lease(p, now, m);
    if ((m->reason & AGORA_REPLY_SNAPSHOT) && m->snap_index > p->commit) {
        int rc = install_snapshot(p, m);
        if (rc != AGORA_OK)
            return rc;
    }
    uint64_t before = p->commit;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const struct agora_entry *e = &m->entries[i];
        if (e->slot != p->commit + 1)
            continue;
        int rc = agora_log_put(&p->log, e->slot, e->ballot, e->data, e->len);
        if (rc != AGORA_OK)
            return rc;
        p->commit = e->slot;
    }
    /* More to fetch: ask the same acceptor again at once, but only when this
     * reply taught us something, so that replies from several acceptors
     * cannot multiply into a storm of fetches. */
    if ((m->reason & AGORA_REPLY_PARTIAL) && p->commit > before) {
        struct agora_msg f;
        prop_msg(p, &f, AGORA_MSG_FETCH, m->from, ++p->seq);
        f.slot = p->commit + 1;
        return prop_send(p, &f);
    }
    return AGORA_OK;
}

int agora_proposer_step(struct agora_proposer *p, agora_time_t now, const struct agora_msg *m)
{
    if (m->tag != p->cfg.tag || m->from >= p->cfg.n_acceptors)
        return AGORA_OK; /* not a reply to this incarnation */
    switch (m->type) {
    case AGORA_MSG_PROMISE: return on_promise(p, now, m);
    case AGORA_MSG_ACCEPTED: return leader_on_accepted(p, now, m);
    case AGORA_MSG_REJECT: on_reject(p, now, m); return AGORA_OK;
    case AGORA_MSG_FETCHED: return on_fetched(p, now, m);
    case AGORA_MSG_RELEASED: return AGORA_OK;
    default: return AGORA_EINVAL;
    }
}

int agora_proposer_compact(struct agora_proposer *p, uint64_t upto, const uint8_t *snap,
                           uint32_t len)
{
    if (upto > p->applied || upto <= p->snap_index)
        return AGORA_EINVAL;
    uint8_t *copy = agora_malloc(len);
    if (copy == NULL)
        return AGORA_ENOMEM;
    if (len > 0)
        memcpy(copy, snap, len);
    agora_free(p->snap);
    p->snap = copy;
    p->snap_len = len;
    p->snap_index = upto;
    agora_log_compact(&p->log, upto);
    return AGORA_OK;
}

/* --- ready ------------------------------------------------------------------------- */

static int hand_out_committed(struct agora_proposer *p)
{
    struct agora_ready *o = &p->out;
    if (p->commit <= p->applied)
        return AGORA_OK;
    size_t n = (size_t)(p->commit - p->applied);
    struct agora_entry *c = agora_realloc(o->committed, (o->n_committed + n) * sizeof(*c));
    if (c == NULL)
        return AGORA_ENOMEM;
    o->committed = c;
    for (uint64_t s = p->applied + 1; s <= p->commit; s++) {
        const struct agora_entry *e = agora_log_get(&p->log, s);
        if (e == NULL)
            return AGORA_ECORRUPT; /* a committed slot we do not hold: a bug */
        int rc = agora_entry_copy(&c[o->n_committed], e);
        if (rc != AGORA_OK)
            return rc;
        o->n_committed++;
        p->applied = s;
    }
    return AGORA_OK;
}

static int hand_out_snapshot(struct agora_proposer *p)
{
    if (!p->snap_pending)
        return AGORA_OK;
    uint8_t *copy = agora_malloc(p->snap_len);
    if (copy == NULL)
        return AGORA_ENOMEM;
    if (p->snap_len > 0)
        memcpy(copy, p->snap, p->snap_len);
    p->out.snap = copy;
    p->out.snap_len = p->snap_len;
    p->out.snap_index = p->snap_index;
    p->out.events |= AGORA_EV_SNAPSHOT;
    p->snap_pending = false;
    return AGORA_OK;
}

static int follower_tick(struct agora_proposer *p, agora_time_t now)
{
    int rc = AGORA_OK;
    if (p->role == AGORA_CANDIDATE && now >= p->phase1_deadline)
        give_up(p, now, 0);
    if (p->role == AGORA_FOLLOWER && p->cfg.campaign && now >= p->next_campaign)
        rc = start_campaign(p, now);
    if (rc == AGORA_OK && p->role != AGORA_LEADER && now >= p->next_poll) {
        p->next_poll = now + p->cfg.heartbeat;
        rc = broadcast(p, AGORA_MSG_FETCH, p->commit + 1, ++p->seq);
    }
    return rc;
}

static agora_time_t min_time(agora_time_t a, agora_time_t b)
{
    return a < b ? a : b;
}

static agora_time_t deadline(const struct agora_proposer *p, agora_time_t now)
{
    if (p->role == AGORA_LEADER) {
        agora_time_t t = leader_deadline(p);
        return t > now ? t : now;
    }
    agora_time_t t = p->next_poll;
    if (p->role == AGORA_FOLLOWER && p->cfg.campaign)
        t = min_time(t, p->next_campaign);
    if (p->role == AGORA_CANDIDATE)
        t = min_time(t, p->phase1_deadline);
    return t > now ? t : now + 1;
}

int agora_proposer_ready(struct agora_proposer *p, agora_time_t now, struct agora_ready *rd)
{
    int rc = p->role == AGORA_LEADER ? leader_tick(p, now) : AGORA_OK;
    if (rc == AGORA_OK && p->role != AGORA_LEADER)
        rc = follower_tick(p, now);
    if (rc == AGORA_OK)
        rc = hand_out_snapshot(p);
    if (rc == AGORA_OK)
        rc = hand_out_committed(p);
    p->out.next = deadline(p, now);
    *rd = p->out;
    memset(&p->out, 0, sizeof(p->out));
    return rc;
}
