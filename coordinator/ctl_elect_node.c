/* ctl_elect_node.c: the contender of one named lease (ctl_elect.h): the
 * pure proposer in a Ready loop like node.c's, minus everything a
 * contender must not do (membership heartbeats, state machine, inbox,
 * duties): committed entries (no-ops) are dropped, only the lease counts.
 * Messages travel as PAXOS_GROUP envelopes: `str name` then the message. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agora/envelope.h"
#include "agora/msg.h"
#include "ctl_elect_int.h"

#define RELEASE_GRACE (200 * AGORA_MS)
#define REFUSALS_FATAL 5 /* refusals in a row from a quorum: give up */

static void poke(struct elect *e)
{
    agd_timer_arm_before(e->loop, &e->wake, agd_loop_now(e->loop));
}

static unsigned quorum(const struct elect *e)
{
    return e->p.cfg.n_acceptors / 2 + 1;
}

static void say(const struct elect *e, const char *what)
{
    fprintf(stderr, "agoractl elect: lease %s: %s\n", e->o->name, what);
}

/* --- replies ----------------------------------------------------------------------- */

static void count_refusal(struct elect *e, const struct agd_reply *r)
{
    if (r->status == AGD_TR_OK) {
        e->answered[r->acceptor] = true;
        e->errors[r->acceptor] = 0;
        return;
    }
    if (r->status == AGD_TR_UNREACHABLE)
        return;
    e->errors[r->acceptor]++;
    unsigned bad = 0;
    for (uint32_t i = 0; i < e->p.cfg.n_acceptors; i++)
        bad += !e->answered[i] && e->errors[i] >= REFUSALS_FATAL;
    if (bad >= quorum(e) && e->phase < EP_RUNNING) {
        say(e, "the bricks refuse it (a translator without named leases, their limit of "
               "64 names reached, or another cluster key: see the brick logs)");
        e->code = 1;
        e->phase = EP_DONE;
    }
}

/* During EP_GATE: a lease that a former contender with our node id (same
 * slot, killed) still holds must run out before we campaign, or we would
 * inherit it while its CMD may still be dying. */
static void gate_reply(struct elect *e, const struct agora_msg *m, uint32_t brick)
{
    agora_time_t now = agd_loop_now(e->loop);
    e->gate_seen |= 1u << brick;
    if (m->lease_holder == e->node && now + m->lease_left > e->stale_until)
        e->stale_until = now + m->lease_left;
}

static void on_reply(void *ctx, const struct agd_reply *r)
{
    struct elect *e = ctx;
    char name[AGORA_GROUP_NAME_MAX + 1];
    const uint8_t *body;
    size_t len;
    struct agora_msg m;
    if (r->acceptor >= e->p.cfg.n_acceptors)
        return;
    count_refusal(e, r);
    if (r->status != AGD_TR_OK || r->kind != AGORA_ENV_PAXOS_GROUP ||
        agora_env_group_split(r->data, r->len, name, &body, &len) != AGORA_OK ||
        strcmp(name, e->o->name) != 0 || agora_msg_decode(body, len, &m) != AGORA_OK) {
        poke(e);
        return; /* lost or foreign: the proposer resends */
    }
    if (e->phase == EP_GATE)
        gate_reply(e, &m, r->acceptor);
    if (m.type == AGORA_MSG_RELEASED && m.tag == e->tag && m.from < 32)
        e->released |= 1u << m.from;
    agora_proposer_step(&e->p, agd_loop_now(e->loop), &m);
    agora_msg_clear(&m);
    poke(e);
}

/* --- the turn ------------------------------------------------------------------------- */

static void send_all(struct elect *e, const struct agora_ready *rd)
{
    for (size_t i = 0; i < rd->n_msgs; i++) {
        const struct agora_msg *m = &rd->msgs[i];
        agora_buf_reset(&e->enc);
        agora_buf_reset(&e->wrapped);
        if (agora_msg_encode(m, &e->enc) != AGORA_OK ||
            agora_env_group_wrap(e->o->name, e->enc.data, e->enc.len, &e->wrapped) != AGORA_OK)
            continue; /* out of memory: a lost message, resent */
        agd_tr_send(e->tr, m->to, AGORA_ENV_PAXOS_GROUP, e->wrapped.data, e->wrapped.len, m->seq);
    }
}

static void resign(struct elect *e, agora_time_t now, int code)
{
    e->code = code;
    e->p.cfg.campaign = false;
    if (e->p.role != AGORA_LEADER) {
        e->phase = EP_DONE;
        return;
    }
    agora_proposer_resign(&e->p, now);
    e->released = 0;
    e->release_deadline = now + 2 * e->p.cfg.heartbeat;
    e->phase = EP_RELEASING;
}

static void report(struct elect *e, agora_time_t now, bool holds)
{
    char line[160];
    if (holds && !e->had_lease) {
        snprintf(line, sizeof(line), "held (node %" PRIu32 ", ballot %" PRIu64 ".%" PRIu32
                 ", %" PRIu64 " ms left)", e->node, e->p.ballot.round, e->p.ballot.node,
                 (e->p.lease_end - now) / AGORA_MS);
        say(e, line);
    }
    if (!holds && e->had_lease)
        say(e, "lost");
    e->had_lease = holds;
}

/* EP_GATE and EP_CAMPAIGN: start CMD once the lease is ours with room for
 * it. Returns when to look again. */
static agora_time_t campaign(struct elect *e, agora_time_t now, bool holds)
{
    if (e->phase == EP_GATE) {
        if ((unsigned)__builtin_popcount(e->gate_seen) < quorum(e) || now < e->stale_until)
            return e->stale_until > now ? e->stale_until : UINT64_MAX;
        e->phase = EP_CAMPAIGN;
        e->p.cfg.campaign = true;
        poke(e);
    }
    if (e->signo != 0) {
        resign(e, now, 128 + e->signo);
        return UINT64_MAX;
    }
    agora_time_t guard = e->grace + e->margin;
    if (!holds || e->p.lease_end <= guard || now >= e->p.lease_end - guard)
        return UINT64_MAX;
    int rc = elect_cmd_start(&e->cmd, e->p.lease_end - e->margin);
    if (rc != 0) {
        resign(e, now, 127);
        return UINT64_MAX;
    }
    e->phase = EP_RUNNING;
    return e->p.lease_end - guard;
}

/* EP_RUNNING and EP_STOPPING. */
static agora_time_t running(struct elect *e, agora_time_t now, bool holds)
{
    agora_time_t guard = e->grace + e->margin;
    bool lapsing = !holds || now >= e->p.lease_end - guard;
    if (e->phase == EP_RUNNING && e->cmd.state == ELECT_CMD_IDLE && !lapsing) {
        resign(e, now, elect_cmd_exit_code(&e->cmd)); /* CMD is done: hand over */
        return UINT64_MAX;
    }
    if (e->phase == EP_RUNNING) {
        /* (gone with the lease lapsing: its keeper's deadline killed it while
         * we were stopped; that is a lost lease, not CMD's own exit) */
        if (e->signo == 0 && !lapsing) {
            elect_cmd_extend(&e->cmd, e->p.lease_end - e->margin);
            return e->p.lease_end - guard;
        }
        e->lost = e->signo == 0;
        if (e->cmd.state == ELECT_CMD_RUNNING)
            say(e, e->lost ? "stopping the command: the lease is ending without a renewal"
                           : "stopping the command: signal");
        elect_cmd_stop(&e->cmd);
        e->phase = EP_STOPPING;
    }
    if (e->cmd.state != ELECT_CMD_IDLE)
        return UINT64_MAX; /* its exit pokes us */
    if (e->lost && e->o->retry && e->signo == 0) {
        e->phase = EP_CAMPAIGN;
        return now;
    }
    resign(e, now, e->lost ? 3 : 128 + e->signo);
    return UINT64_MAX;
}

static void releasing(struct elect *e, agora_time_t now)
{
    unsigned acks = (unsigned)__builtin_popcount(e->released);
    if (acks >= quorum(e) && e->release_deadline > now + RELEASE_GRACE)
        e->release_deadline = now + RELEASE_GRACE;
    if (acks >= e->p.cfg.n_acceptors || now >= e->release_deadline)
        e->phase = EP_DONE;
    else
        agd_timer_arm_before(e->loop, &e->wake, e->release_deadline);
}

static void tick(struct agd_loop *l, void *ctx)
{
    struct elect *e = ctx;
    agora_time_t now = agd_loop_now(l);
    struct agora_ready rd;
    memset(&rd, 0, sizeof(rd));
    if (agora_proposer_ready(&e->p, now, &rd) == AGORA_OK)
        send_all(e, &rd);
    agora_time_t next = rd.next;
    agora_ready_clear(&rd); /* committed entries are no-ops: nothing to learn */
    bool holds = agora_proposer_holds_lease(&e->p, now);
    report(e, now, holds);
    agora_time_t mine = UINT64_MAX;
    if (e->phase <= EP_CAMPAIGN)
        mine = campaign(e, now, holds);
    else if (e->phase <= EP_STOPPING)
        mine = running(e, now, holds);
    if (e->phase == EP_RELEASING)
        releasing(e, now);
    if (e->phase == EP_DONE) {
        agd_loop_stop(l);
        return;
    }
    agd_timer_arm_before(l, &e->wake, mine < next ? mine : next);
}

/* --- life cycle ------------------------------------------------------------------------- */

static void on_cmd_exit(void *ctx)
{
    poke(ctx);
}

int elect_node_start(struct elect *e)
{
    agora_time_t hb = (agora_time_t)e->cfg.heartbeat_ms * AGORA_MS;
    struct agora_proposer_config pc = {
        .id = e->node, .tag = e->tag, .seed = e->tag ^ e->node, .n_acceptors = e->tr->n,
        .lease = (agora_time_t)e->cfg.lease_ms * AGORA_MS,
        .drift_permille = e->cfg.drift_permille, .heartbeat = hb, .rpc_timeout = 2 * hb,
        .backoff_min = hb / 2, .backoff_max = 2 * hb, .max_batch = 64,
        .campaign = false, /* EP_GATE first */
    };
    e->grace = (agora_time_t)e->cfg.grace_ms * AGORA_MS;
    e->margin = (agora_time_t)e->cfg.margin_ms * AGORA_MS;
    agora_buf_init(&e->enc);
    agora_buf_init(&e->wrapped);
    agd_timer_init(&e->wake, tick, e);
    elect_cmd_init(&e->cmd, e->loop, e->o->argv, e->grace, on_cmd_exit, e);
    if (agora_proposer_init(&e->p, &pc, agd_loop_now(e->loop)) != AGORA_OK)
        return -1;
    e->phase = EP_GATE;
    e->tr->on_reply = on_reply;
    e->tr->reply_ctx = e;
    poke(e);
    return 0;
}

void elect_node_signal(struct elect *e, int signo)
{
    if (e->signo == 0)
        e->signo = signo;
    poke(e);
}

void elect_node_free(struct elect *e)
{
    agd_timer_cancel(e->loop, &e->wake);
    e->tr->on_reply = NULL;
    agora_proposer_free(&e->p);
    agora_buf_free(&e->enc);
    agora_buf_free(&e->wrapped);
}
