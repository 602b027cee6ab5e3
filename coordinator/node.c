/* node.c: the Ready loop of one agorad (node.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora/msg.h"
#include "history.h"
#include "inbox.h"
#include "log.h"
#include "member.h"
#include "node.h"

enum shut {
    SHUT_NONE = 0,
    SHUT_CMD,       /* waiting for the leader command to be gone */
    SHUT_LEAVE,     /* waiting for our MEMBER_LEAVE to be applied */
    SHUT_RELEASE,   /* RELEASE sent, waiting for a quorum of RELEASED */
    SHUT_DONE,
};

struct agd_node {
    const struct agd_config *cfg;
    struct agd_loop *loop;
    struct agd_transport *tr;
    const char *prefix;
    struct agora_proposer p;
    struct agora_sm sm;
    struct agd_leader_cmd cmd;
    struct agd_history *hist;
    struct agd_members *mem;
    struct agd_inbox *inbox;       /* NULL without inbox_dir */
    struct agd_duty duty;          /* turn NULL: none */
    struct agd_observer obs;       /* client API; fields NULL: none */
    agora_time_t lease_end;        /* the last lease end we computed while leading */
    struct agd_timer wake;
    struct agora_buf enc;
    int8_t brick_up[AGORA_MAX_ACCEPTORS]; /* -1 unknown, 0 down, 1 up: for the log */
    bool had_lease;                /* holds_lease at the end of the last turn */
    bool announce;                 /* propose our LEADER entry at the first lease */
    enum shut shut;
    uint32_t released;             /* bitmask of RELEASED replies */
    agora_time_t shut_deadline;
    void (*done)(void *ctx);
    void *done_ctx;
};

static void tick(struct agd_loop *l, void *ctx);

#define RELEASE_GRACE (200 * AGORA_MS)

static void poke(struct agd_node *n)
{
    agd_timer_arm_before(n->loop, &n->wake, agd_loop_now(n->loop));
}

static void on_cmd_exit(void *ctx)
{
    poke(ctx);
}

/* --- replies ---------------------------------------------------------------------- */

static void on_reply(void *ctx, const struct agd_reply *r)
{
    struct agd_node *n = ctx;
    struct agora_msg m;
    int8_t up = r->status == AGD_TR_OK;
    if (r->acceptor < AGORA_MAX_ACCEPTORS && n->brick_up[r->acceptor] != up) {
        static const char *const why[] = {"ok", "unreachable", "refused us (authentication)",
                                          "error"};
        agd_logp(up ? AGD_NOTICE : AGD_WARNING, n->prefix, "brick %u: %s", r->acceptor,
                 r->status >= 0 && r->status <= AGD_TR_ERROR ? why[r->status] : "?");
        n->brick_up[r->acceptor] = up;
    }
    if (r->kind == AGD_TR_CONTROL) {
        agd_members_on_reply(n->mem, r);
        return;
    }
    if (r->status != AGD_TR_OK || r->kind != AGD_TR_PAXOS)
        return; /* lost: the proposer's timers resend */
    if (agora_msg_decode(r->data, r->len, &m) != AGORA_OK) {
        agd_logp(AGD_WARNING, n->prefix, "brick %u: undecodable reply (%zu bytes)", r->acceptor,
                 r->len);
        return;
    }
    if (m.type == AGORA_MSG_REJECT || m.type == AGORA_MSG_PROMISE ||
        m.type == AGORA_MSG_RELEASED)
        agd_logp(AGD_DEBUG, n->prefix, "brick %u: %s ballot %" PRIu64 ".%" PRIu32
                 " reason %u, lease holder %" PRIu32 " for %" PRIu64 " ms", r->acceptor,
                 agora_msg_type_name(m.type), m.ballot.round, m.ballot.node, m.reason,
                 m.lease_holder, m.lease_left / AGORA_MS);
    if (m.type == AGORA_MSG_RELEASED && m.tag == n->p.cfg.tag && m.from < 32)
        n->released |= 1u << m.from;
    int rc = agora_proposer_step(&n->p, agd_loop_now(n->loop), &m);
    if (n->p.lease_end > n->lease_end)
        n->lease_end = n->p.lease_end;
    if (rc != AGORA_OK)
        agd_logp(AGD_WARNING, n->prefix, "brick %u: %s reply: %s", r->acceptor,
                 agora_msg_type_name(m.type), agora_strerror(rc));
    agora_msg_clear(&m);
    poke(n);
}

/* --- the turn --------------------------------------------------------------------------- */

static void send_all(struct agd_node *n, const struct agora_ready *rd)
{
    for (size_t i = 0; i < rd->n_msgs; i++) {
        const struct agora_msg *m = &rd->msgs[i];
        agora_buf_reset(&n->enc);
        if (agora_msg_encode(m, &n->enc) != AGORA_OK) {
            agd_logp(AGD_ERR, n->prefix, "cannot encode %s", agora_msg_type_name(m->type));
            continue;
        }
        if (m->type == AGORA_MSG_PREPARE || m->type == AGORA_MSG_RELEASE)
            agd_logp(AGD_DEBUG, n->prefix, "brick %u: sending %s ballot %" PRIu64 ".%" PRIu32,
                     m->to, agora_msg_type_name(m->type), m->ballot.round, m->ballot.node);
        /* A dropped request is a lost message: the proposer resends. */
        agd_tr_send(n->tr, m->to, AGD_TR_PAXOS, n->enc.data, n->enc.len, m->seq);
    }
}

/* The history's `committed` event and the observer, for one applied slot.
 * Origins follow the id rule (agora_cmd_check_shape), so they need no JSON
 * escaping; anything else is replaced. */
static void on_applied(struct agd_node *n, const struct agora_entry *e, int rc, const char *why)
{
    if (n->hist == NULL && n->obs.applied == NULL)
        return;
    struct agora_cmd c;
    char w[64];
    bool have = e->len > 0 && agora_cmd_decode(&c, e->data, e->len, w, sizeof(w)) == AGORA_OK;
    const char *res = e->len == 0 ? "noop" : rc == AGORA_OK ? "ok" : rc == AGORA_ESTALE ? "stale"
                                                                                         : "rejected";
    if (have && c.seq != 0) {
        char o[AGORA_SM_ID_MAX + 1];
        const char *src = c.origin != NULL ? c.origin : "";
        size_t i = 0;
        for (; src[i] != '\0' && i < sizeof(o) - 1; i++)
            o[i] = strchr("\"\\", src[i]) != NULL || (unsigned char)src[i] < 0x20 ? '?' : src[i];
        o[i] = '\0';
        agd_history_add(n->hist, agd_loop_now(n->loop), "committed",
                        ",\"index\":%" PRIu64 ",\"origin\":\"%s\",\"seq\":%" PRIu64
                        ",\"result\":\"%s\"", e->slot, o, c.seq, res);
    } else {
        agd_history_add(n->hist, agd_loop_now(n->loop), "committed",
                        ",\"index\":%" PRIu64 ",\"result\":\"%s\"", e->slot, res);
    }
    if (n->obs.applied != NULL)
        n->obs.applied(n->obs.ctx, e->slot, have ? &c : NULL, rc, why);
    if (have)
        agora_cmd_clear(&c);
}

static int apply_all(struct agd_node *n, const struct agora_ready *rd)
{
    char why[256];
    if (rd->events & AGORA_EV_SNAPSHOT) {
        int rc = agora_sm_restore(&n->sm, rd->snap, rd->snap_len);
        if (rc != AGORA_OK) {
            agd_logp(AGD_ERR, n->prefix, "cannot install the snapshot at %" PRIu64 ": %s",
                     rd->snap_index, agora_strerror(rc));
            return rc;
        }
        agd_logp(AGD_INFO, n->prefix, "installed the snapshot at %" PRIu64, rd->snap_index);
    }
    for (size_t i = 0; i < rd->n_committed; i++) {
        const struct agora_entry *e = &rd->committed[i];
        int rc = agora_sm_apply(&n->sm, e->slot, e->data, e->len, why, sizeof(why));
        if (rc == AGORA_ENOMEM || rc == AGORA_EINVAL) {
            /* Out of memory, or a slot out of order (a bug): the state
             * would diverge from the bricks' if we went on. */
            agd_logp(AGD_ERR, n->prefix, "cannot apply slot %" PRIu64 ": %s", e->slot,
                     agora_strerror(rc));
            return rc;
        }
        if (rc != AGORA_OK && rc != AGORA_ESTALE)
            agd_logp(AGD_DEBUG, n->prefix, "slot %" PRIu64 " rejected: %s", e->slot, why);
        on_applied(n, e, rc, why);
    }
    return AGORA_OK;
}

static void maybe_compact(struct agd_node *n)
{
    uint64_t applied = agora_sm_applied(&n->sm);
    if (applied < n->p.snap_index + AGD_COMPACT_EVERY)
        return;
    struct agora_buf snap;
    agora_buf_init(&snap);
    int rc = agora_sm_snapshot(&n->sm, &snap);
    if (rc == AGORA_OK)
        rc = agora_proposer_compact(&n->p, applied, snap.data, (uint32_t)snap.len);
    if (rc != AGORA_OK)
        agd_logp(AGD_WARNING, n->prefix, "compaction at %" PRIu64 ": %s", applied,
                 agora_strerror(rc));
    agora_buf_free(&snap);
}

/* The leader records itself in the log (shown in /.agora/leader); its
 * membership is member.c's business. */
static void announce(struct agd_node *n)
{
    struct agora_cmd c;
    agora_cmd_init(&c);
    c.kind = AGORA_CMD_LEADER;
    c.u.leader.ballot = n->p.ballot;
    c.u.leader.id = n->cfg->name;
    int rc = agd_node_propose(n, &c);
    if (rc != AGORA_OK)
        agd_logp(AGD_WARNING, n->prefix, "cannot propose the leader entry: %s",
                 agora_strerror(rc));
}

/* The end of the lease we are losing, as we computed it (sent + lease x
 * (1 - drift) of the last renewal a quorum accepted): no other node may
 * hold a lease before it (tests/fault/check_history.py). Recorded just
 * before lease_lost. */
static void lease_ended(struct agd_node *n, agora_time_t now, struct agora_ballot b)
{
    agd_history_add(n->hist, now, "lease_end",
                    ",\"ballot\":\"%" PRIu64 ".%" PRIu32 "\",\"lease_end\":%" PRIu64, b.round,
                    b.node, n->lease_end);
    n->lease_end = 0;
}

static void lease_changes(struct agd_node *n, const struct agora_ready *rd, agora_time_t now)
{
    bool holds = agora_proposer_holds_lease(&n->p, now);
    struct agora_ballot b = n->p.ballot;
    if (rd->events & AGORA_EV_ELECTED) {
        agd_logp(AGD_NOTICE, n->prefix, "elected: leading with ballot %" PRIu64 ".%" PRIu32,
                 b.round, b.node);
        n->announce = true;
    }
    if (holds && n->p.lease_end > n->lease_end)
        n->lease_end = n->p.lease_end;
    if (holds && !n->had_lease) {
        agd_logp(AGD_NOTICE, n->prefix, "became leader: holding the lease (ballot %" PRIu64
                 ".%" PRIu32 ", %" PRIu64 " ms left)", b.round, b.node,
                 (n->p.lease_end - now) / AGORA_MS);
        agd_history_add(n->hist, now, "lease_acquired",
                        ",\"ballot\":\"%" PRIu64 ".%" PRIu32 "\",\"lease_end\":%" PRIu64,
                        b.round, b.node, n->p.lease_end);
    }
    if (!holds && n->had_lease) {
        agd_logp(AGD_NOTICE, n->prefix, "lost the lease%s",
                 (rd->events & AGORA_EV_STEP_DOWN) ? " and stepped down" : "");
        lease_ended(n, now, b);
        agd_history_add(n->hist, now, "lease_lost", ",\"ballot\":\"%" PRIu64 ".%" PRIu32 "\"",
                        b.round, b.node);
    }
    n->had_lease = holds;
    if (holds && n->announce) {
        n->announce = false;
        announce(n);
    }
}

static void resign(struct agd_node *n, agora_time_t now)
{
    n->p.cfg.campaign = false;
    if (n->p.role != AGORA_LEADER) {
        n->shut = SHUT_DONE;
        return;
    }
    agd_logp(AGD_NOTICE, n->prefix, "resigning: asking the bricks to release the lease");
    agora_proposer_resign(&n->p, now);
    n->released = 0;
    n->shut = SHUT_RELEASE;
    n->shut_deadline = now + 2 * n->p.cfg.heartbeat;
    poke(n);
}

static void shutdown_step(struct agd_node *n, agora_time_t now)
{
    if (n->shut == SHUT_CMD && !agd_cmd_active(&n->cmd))
        n->shut = SHUT_LEAVE;
    if (n->shut == SHUT_LEAVE) {
        if (agd_members_leave(n->mem, now, agora_proposer_holds_lease(&n->p, now)))
            resign(n, now);
        else
            agd_timer_arm_before(n->loop, &n->wake, now + 50 * AGORA_MS);
        if (n->shut == SHUT_RELEASE)
            return;
    }
    if (n->shut == SHUT_RELEASE) {
        /* Every brick, not just a quorum: a brick still holding our lease
         * makes the followers wait it out (they wait for the longest lease
         * any acceptor reports). A quorum, then RELEASE_GRACE for the rest. */
        unsigned acks = (unsigned)__builtin_popcount(n->released);
        if (acks >= n->p.cfg.n_acceptors / 2 + 1 && n->shut_deadline > now + RELEASE_GRACE)
            n->shut_deadline = now + RELEASE_GRACE;
        if (acks >= n->p.cfg.n_acceptors || now >= n->shut_deadline)
            n->shut = SHUT_DONE;
        else
            agd_timer_arm_before(n->loop, &n->wake, n->shut_deadline);
    }
    if (n->shut == SHUT_DONE && n->done != NULL) {
        void (*done)(void *) = n->done;
        n->done = NULL;
        done(n->done_ctx);
    }
}

static void tick(struct agd_loop *l, void *ctx)
{
    struct agd_node *n = ctx;
    agora_time_t now = agd_loop_now(l);
    struct agora_ready rd;
    memset(&rd, 0, sizeof(rd));
    int rc = agora_proposer_ready(&n->p, now, &rd);
    if (rc != AGORA_OK)
        agd_logp(AGD_ERR, n->prefix, "proposer: %s", agora_strerror(rc));
    send_all(n, &rd);
    if (apply_all(n, &rd) != AGORA_OK) {
        agd_logp(AGD_ERR, n->prefix, "the state machine cannot go on: stopping");
        agd_cmd_destroy(&n->cmd);
        agora_ready_clear(&rd);
        agd_loop_stop(l);
        return;
    }
    maybe_compact(n);
    lease_changes(n, &rd, now);
    bool holds = agora_proposer_holds_lease(&n->p, now);
    agd_cmd_update(&n->cmd, now, holds, n->p.lease_end, n->shut == SHUT_NONE);
    agora_time_t next = rd.next < n->cmd.next ? rd.next : n->cmd.next;
    agora_time_t mn = agd_members_turn(n->mem, now, holds);
    if (mn < next)
        next = mn;
    if (n->inbox != NULL) {
        mn = agd_inbox_turn(n->inbox, now, holds && n->shut == SHUT_NONE);
        next = mn < next ? mn : next;
    }
    if (n->duty.turn != NULL) {
        mn = n->duty.turn(n->duty.ctx, now, holds && n->shut == SHUT_NONE);
        next = mn < next ? mn : next;
    }
    if (n->obs.turn != NULL)
        n->obs.turn(n->obs.ctx, now, holds && n->shut == SHUT_NONE);
    agora_ready_clear(&rd);
    agd_timer_arm_before(l, &n->wake, next);
    if (n->shut != SHUT_NONE)
        shutdown_step(n, now);
}

/* --- life cycle ---------------------------------------------------------------------------- */

static void proposer_config(const struct agd_node_opts *o, struct agora_proposer_config *pc)
{
    const struct agd_config *c = o->cfg;
    agora_time_t hb = (agora_time_t)c->heartbeat_ms * AGORA_MS;
    memset(pc, 0, sizeof(*pc));
    pc->id = c->id;
    pc->tag = o->tag;
    pc->seed = o->seed;
    pc->n_acceptors = o->tr->n;
    pc->lease = (agora_time_t)c->lease_ms * AGORA_MS;
    pc->drift_permille = c->drift_permille;
    pc->heartbeat = hb;
    pc->rpc_timeout = 2 * hb;
    pc->backoff_min = hb / 2;
    pc->backoff_max = 2 * hb;
    pc->max_batch = 64;
    pc->window = 2; /* per brick: the transport's queue never fills (docs/coordinator.md) */
    pc->campaign = true;
}

int agd_node_new(const struct agd_node_opts *o, struct agd_node **out)
{
    struct agd_node *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    n->cfg = o->cfg;
    n->loop = o->loop;
    n->tr = o->tr;
    n->prefix = o->log_prefix != NULL ? o->log_prefix : "";
    memset(n->brick_up, -1, sizeof(n->brick_up));
    struct agora_proposer_config pc;
    proposer_config(o, &pc);
    agora_sm_init(&n->sm);
    agora_buf_init(&n->enc);
    agd_timer_init(&n->wake, tick, n);
    int rc = agora_proposer_init(&n->p, &pc, agd_loop_now(o->loop));
    if (rc != AGORA_OK) {
        free(n);
        return -EINVAL;
    }
    rc = agd_history_open(o->cfg->history_log, o->cfg->id, &n->hist);
    if (rc != 0) {
        agd_logp(AGD_ERR, n->prefix, "history log %s: %s", o->cfg->history_log, strerror(-rc));
        agora_proposer_free(&n->p);
        free(n);
        return rc;
    }
    agd_cmd_init(&n->cmd, n->loop, o->cfg->leader_argv,
                 (agora_time_t)o->cfg->grace_ms * AGORA_MS,
                 (agora_time_t)o->cfg->margin_ms * AGORA_MS, n->hist, n->prefix, on_cmd_exit, n);
    n->mem = agd_members_new(n);
    if (n->mem == NULL || (o->cfg->inbox_dir != NULL &&
                           agd_inbox_new(n, o->cfg->inbox_dir, &n->inbox) != 0)) {
        agd_logp(AGD_ERR, n->prefix, "cannot start the membership or the inbox");
        agd_node_free(n);
        return -ENOMEM;
    }
    n->tr->on_reply = on_reply;
    n->tr->reply_ctx = n;
    poke(n);
    *out = n;
    return 0;
}

void agd_node_free(struct agd_node *n)
{
    if (n == NULL)
        return;
    agd_cmd_destroy(&n->cmd);
    agd_inbox_free(n->inbox);
    agd_members_free(n->mem);
    if (n->had_lease) {
        lease_ended(n, agd_loop_now(n->loop), n->p.ballot);
        agd_history_add(n->hist, agd_loop_now(n->loop), "lease_lost", ",\"why\":\"destroyed\"");
    }
    agd_timer_cancel(n->loop, &n->wake);
    n->tr->on_reply = NULL;
    agora_proposer_free(&n->p);
    agora_sm_free(&n->sm);
    agora_buf_free(&n->enc);
    agd_history_close(n->hist);
    free(n);
}

void agd_node_shutdown(struct agd_node *n, void (*done)(void *ctx), void *ctx)
{
    if (n->shut != SHUT_NONE)
        return;
    n->shut = SHUT_CMD;
    n->done = done;
    n->done_ctx = ctx;
    poke(n);
}

const struct agora_proposer *agd_node_proposer(const struct agd_node *n)
{
    return &n->p;
}

const struct agora_sm *agd_node_sm(const struct agd_node *n)
{
    return &n->sm;
}

const struct agd_leader_cmd *agd_node_cmd(const struct agd_node *n)
{
    return &n->cmd;
}

bool agd_node_holds_lease(const struct agd_node *n)
{
    return agora_proposer_holds_lease(&n->p, agd_loop_now(n->loop));
}

int agd_node_propose(struct agd_node *n, const struct agora_cmd *cmd)
{
    char why[256];
    struct agora_buf b;
    agora_buf_init(&b);
    int rc = agora_cmd_encode(cmd, &b, why, sizeof(why));
    uint64_t slot = 0;
    if (rc == AGORA_OK)
        rc = agora_proposer_propose(&n->p, agd_loop_now(n->loop), b.data, (uint32_t)b.len, &slot);
    else
        agd_logp(AGD_WARNING, n->prefix, "cannot encode %s: %s", agora_cmd_kind_name(cmd->kind),
                 why);
    agora_buf_free(&b);
    if (rc == AGORA_OK)
        poke(n);
    return rc;
}

const struct agd_config *agd_node_config(const struct agd_node *n)
{
    return n->cfg;
}

const char *agd_node_prefix(const struct agd_node *n)
{
    return n->prefix;
}

struct agd_transport *agd_node_transport(const struct agd_node *n)
{
    return n->tr;
}

struct agd_loop *agd_node_loop(const struct agd_node *n)
{
    return n->loop;
}

void agd_node_poke(struct agd_node *n)
{
    poke(n);
}

void agd_node_set_duty(struct agd_node *n, const struct agd_duty *d)
{
    n->duty = d != NULL ? *d : (struct agd_duty){0};
    poke(n);
}

void agd_node_set_observer(struct agd_node *n, const struct agd_observer *o)
{
    n->obs = o != NULL ? *o : (struct agd_observer){0};
}
