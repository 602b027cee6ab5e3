/* sim.c: the deterministic simulation (sim.h, docs/simulation.md): one
 * seed's run (setup, the event loop, the dispatch of each event,
 * teardown) and the entry points of sim.h. The rest of the world is in
 * the sim_*.c files around it (sim_int.h).
 *
 * One global simulated true time T (ns) and one event queue ordered by
 * (T, sequence number). Every random choice comes from one splitmix64
 * stream seeded by the seed, so a run is a function of (seed, options).
 *
 * The shells are modelled as the contract in acceptor.h and proposer.h
 * asks:
 *   - a brick steps a request, appends the WAL bytes to its pending write
 *     and may send the reply only once those bytes are durable (a sync,
 *     immediately or a little later). A crash loses the pending bytes, or
 *     keeps a prefix of them (a torn write, sometimes followed by garbage);
 *     replies that waited for the sync are never sent. A restart is
 *     init + recover, and the disk is cut to what recover trusted.
 *   - an agorad delivers replies to agora_proposer_step, then calls
 *     agora_proposer_ready and does what it says: send, apply, sleep until
 *     rd.next. A crash loses everything; a restart is a new incarnation.
 * Each node reads its own clock: offset + T * (1 + drift).
 *
 * The checker (sim_check.c) is told what becomes durable, what is learned
 * and who holds the lease, and checks after every event. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

/* --- one event --------------------------------------------------------- */

/* A request reaches acceptor ev->node, unless the brick is down or the
 * link is cut. */
static void deliver_to_acc(struct sim *s, const struct sim_ev *ev)
{
    int i = ev->node;
    struct agora_msg *m = ev->m;
    if (!s->acc[i].up) {
        trace_msg(s, "LOST ", false, m);
        return;
    }
    if (m->from < 1 || m->from > s->n_prop) {
        chk_fail(&s->chk, CHK_CONTRACT, "a message to a%d from unknown proposer %u", i, m->from);
        return;
    }
    if (s->cut[m->from - 1] & (1u << i)) {
        trace_msg(s, "CUT ", false, m);
        return;
    }
    struct agora_msg in;
    if (!codec_roundtrip(s, m, &in)) {
        agora_msg_clear(&in);
        return;
    }
    trace_msg(s, "", false, &in);
    acc_step(s, i, &in);
    agora_msg_clear(&in);
}

/* A reply reaches proposer index ev->node, which steps it and pumps. */
static void deliver_to_prop(struct sim *s, const struct sim_ev *ev)
{
    int pi = ev->node;
    struct sim_prop *sp = &s->prop[pi];
    struct agora_msg *m = ev->m;
    if (!sp->up) {
        trace_msg(s, "LOST ", true, m);
        return;
    }
    if (m->from < SIM_ACCEPTORS && (s->cut[pi] & (1u << m->from))) {
        trace_msg(s, "CUT ", true, m);
        return;
    }
    struct agora_msg in;
    if (!codec_roundtrip(s, m, &in)) {
        agora_msg_clear(&in);
        return;
    }
    trace_msg(s, "", true, &in);
    int rc = agora_proposer_step(&sp->p, prop_now(s, pi), &in);
    agora_msg_clear(&in);
    if (rc != AGORA_OK) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_step(p%u, %s): %s", sp->id,
                 agora_msg_type_name(m->type), agora_strerror(rc));
        return;
    }
    pump(s, pi);
}

static void handle(struct sim *s, struct sim_ev *ev)
{
    switch (ev->kind) {
    case EV_TO_ACC:
        deliver_to_acc(s, ev);
        break;
    case EV_TO_PROP:
        deliver_to_prop(s, ev);
        break;
    case EV_WAKE:
        pump(s, ev->node);
        break;
    case EV_SYNC:
        acc_flush(s, ev->node);
        break;
    case EV_CLIENT:
        client(s);
        break;
    case EV_CHAOS:
        chaos(s);
        break;
    case EV_ACC_CRASH:
        acc_crash(s, ev->node);
        ev_push(s, s->T + rnd_range(s, 10 * MS, 2 * SEC), EV_ACC_RESTART, ev->node,
                s->acc[ev->node].gen, NULL);
        break;
    case EV_ACC_RESTART:
        acc_start(s, ev->node);
        break;
    case EV_PROP_RESTART:
        prop_start(s, ev->node);
        break;
    case EV_HEAL:
        memset(s->cut, 0, sizeof(s->cut));
        trace_text(s, "HEAL");
        break;
    case EV_COMPACT:
        compact_tick(s);
        break;
    default:
        break;
    }
}

/* Events that no longer apply (a timer superseded, a node restarted). */
static bool stale(const struct sim *s, const struct sim_ev *ev)
{
    switch (ev->kind) {
    case EV_WAKE:
        return !s->prop[ev->node].up || ev->gen != s->prop[ev->node].wake_gen;
    case EV_SYNC:
        return !s->acc[ev->node].up || ev->gen != s->acc[ev->node].gen ||
               (s->acc[ev->node].pend.len == 0 && s->acc[ev->node].n_replies == 0);
    case EV_ACC_CRASH:
        return s->quiet || !s->acc[ev->node].up || ev->gen != s->acc[ev->node].gen;
    case EV_ACC_RESTART:
        return s->acc[ev->node].up || ev->gen != s->acc[ev->node].gen;
    case EV_PROP_RESTART:
        return s->prop[ev->node].up || ev->gen != s->prop[ev->node].gen;
    case EV_HEAL:
        return ev->gen != s->heal_gen;
    case EV_CHAOS:
        return s->quiet;
    default:
        return false;
    }
}

/* --- setup, teardown --------------------------------------------------- */

static const double drop_choices[] = {0, 0.01, 0.05, 0.15};
static const double dup_choices[] = {0, 0.02, 0.1};
static const double long_choices[] = {0, 0.005, 0.03};
static const double atomic_choices[] = {1.0, 0.7, 0.2};
static const double window_choices[] = {0, 0.002, 0.01};
static const uint64_t delay_choices[] = {1 * MS, 10 * MS, 50 * MS};
static const uint64_t chaos_choices[] = {0, 3 * SEC, 1 * SEC, 300 * MS};
static const uint64_t client_choices[] = {5 * MS, 20 * MS, 60 * MS};

#define PICK(s, arr) (arr[rnd_below(s, sizeof(arr) / sizeof(arr[0]))])

static void setup_checker(struct sim *s)
{
    chk_init(&s->chk);
    chk_reset(&s->chk, SIM_ACCEPTORS);
    for (int l = 0; l < SIM_MAX_PROPOSERS; l++) {
        char name[16];
        snprintf(name, sizeof(name), "p%d", l + 1);
        chk_learner_name(&s->chk, l, name);
    }
    for (int i = 0; i < SIM_ACCEPTORS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "a%d", i);
        chk_learner_name(&s->chk, LRN_ACC + i, name);
    }
}

/* This seed's mix of faults and the core's configuration (the first
 * random draws of the seed, in this order). */
static void setup_mix(struct sim *s, const struct sim_opts *o, uint64_t seed)
{
    s->n_prop = o->proposers ? o->proposers : 1 + (uint32_t)(seed % SIM_MAX_PROPOSERS);
    s->drift_ppm = o->drift_ppm;
    s->p_drop = PICK(s, drop_choices);
    s->p_dup = PICK(s, dup_choices);
    s->p_long = PICK(s, long_choices);
    s->p_atomic = PICK(s, atomic_choices);
    s->p_window_crash = PICK(s, window_choices);
    s->max_delay = PICK(s, delay_choices);
    s->chaos_mean = PICK(s, chaos_choices);
    s->client_mean = PICK(s, client_choices);
    s->partitions = rnd_chance(s, 0.5);

    s->acfg.lease = 1 * SEC;
    s->acfg.max_reply_entries = rnd_chance(s, 0.5) ? 8 : 64;
    s->acfg.max_reply_bytes = rnd_chance(s, 0.5) ? 512 : 65536;

    s->pcfg.n_acceptors = SIM_ACCEPTORS;
    s->pcfg.lease = 1 * SEC;
    s->pcfg.drift_permille = 50;
    s->pcfg.heartbeat = 200 * MS;
    s->pcfg.rpc_timeout = 300 * MS;
    s->pcfg.backoff_min = 50 * MS;
    s->pcfg.backoff_max = 400 * MS;
    s->pcfg.max_batch = 1 + (uint32_t)rnd_below(s, 8);
    s->pcfg.window = (uint32_t)rnd_below(s, 3); /* 0: unlimited; agorad uses 2 */
    s->pcfg.campaign = true;
}

/* The nodes start, and the first client, fault and compaction events. */
static void setup_start(struct sim *s)
{
    for (int i = 0; i < SIM_ACCEPTORS && !failed(s); i++) {
        agora_buf_init(&s->acc[i].disk);
        agora_buf_init(&s->acc[i].pend);
        acc_start(s, i);
    }
    for (uint32_t pi = 0; pi < s->n_prop && !failed(s); pi++) {
        s->prop[pi].id = pi + 1;
        prop_start(s, (int)pi);
    }
    ev_push(s, rnd_below(s, s->client_mean), EV_CLIENT, 0, 0, NULL);
    if (s->chaos_mean > 0)
        ev_push(s, rnd_range(s, s->chaos_mean / 2, s->chaos_mean * 3 / 2), EV_CHAOS, 0, 0, NULL);
    ev_push(s, rnd_range(s, 200 * MS, SEC), EV_COMPACT, 0, 0, NULL);
}

static void setup(struct sim *s, const struct sim_opts *o, uint64_t seed, struct sim_stats *st)
{
    s->o = o;
    s->st = st;
    s->seed = seed;
    s->rng = seed * 0x2545f4914f6cdd1dull + 0x1234567;
    setup_checker(s);
    agora_buf_init(&s->enc);
    agora_buf_init(&s->enc2);
    agora_buf_init(&s->wal);
    setup_mix(s, o, seed);
    trace_text(s, "SEED %" PRIu64 ": %u proposers; drop %g dup %g long %g delay<=%" PRIu64
               "ms; sync-now %g crash-window %g; faults ~%" PRIu64 "ms%s; batch %u window %u caps %u/%u",
               seed, s->n_prop, s->p_drop, s->p_dup, s->p_long, s->max_delay / MS, s->p_atomic,
               s->p_window_crash, s->chaos_mean / MS, s->partitions ? " partitions" : "",
               s->pcfg.max_batch, s->pcfg.window, s->acfg.max_reply_entries,
               s->acfg.max_reply_bytes);
    setup_start(s);
}

static void teardown(struct sim *s)
{
    for (int i = 0; i < SIM_ACCEPTORS; i++) {
        struct sim_acc *sa = &s->acc[i];
        if (sa->up)
            agora_acceptor_free(&sa->a);
        for (size_t k = 0; k < sa->n_replies; k++)
            agora_msg_clear(&sa->replies[k]);
        free(sa->replies);
        free(sa->pacc);
        agora_buf_free(&sa->disk);
        agora_buf_free(&sa->pend);
    }
    for (uint32_t pi = 0; pi < s->n_prop; pi++)
        if (s->prop[pi].up)
            agora_proposer_free(&s->prop[pi].p);
    while (s->n_heap > 0) {
        struct sim_ev e = ev_pop(s);
        msg_free(e.m);
    }
    free(s->heap);
    agora_buf_free(&s->enc);
    agora_buf_free(&s->enc2);
    agora_buf_free(&s->wal);
    chk_free(&s->chk);
}

/* --- entry points ------------------------------------------------------ */

void sim_opts_default(struct sim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->steps = 2000;
    o->drift_ppm = 5000;
    o->settle_ns = 20 * SEC;
    o->liveness = true;
    o->out = stdout;
}

int sim_run(const struct sim_opts *o, uint64_t seed, struct sim_stats *st)
{
    struct sim *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    setup(s, o, seed, st);
    while (!failed(s) && !s->done) {
        if (s->n_heap == 0) {
            chk_fail(&s->chk, CHK_LIVENESS, "nothing left to do");
            break;
        }
        struct sim_ev ev = ev_pop(s);
        if (stale(s, &ev)) {
            msg_free(ev.m);
            continue;
        }
        s->T = ev.T;
        s->step++;
        handle(s, &ev);
        msg_free(ev.m);
        if (!failed(s) && !(o->skip_checks & (1u << CHK_ONE_LEASE)))
            check_leases(s);
        if (!failed(s) && !s->quiet && s->step >= o->steps) {
            if (!o->liveness)
                break;
            enter_quiet(s);
        }
        if (!failed(s) && s->quiet)
            check_liveness(s);
    }
    st->seeds++;
    st->steps += s->step;
    st->sim_ns += s->T;
    st->chosen += s->chk.n_chosen;
    int rc = 0;
    if (failed(s)) {
        report(s);
        rc = 1;
    }
    teardown(s);
    free(s);
    return rc;
}

static const char *const broken_names[SIM_BROKEN_MAX] = {
    [SIM_BROKEN_NONE] = "none",
    [SIM_BROKEN_ACCEPT_LOWER_BALLOT] = "accept-lower-ballot",
    [SIM_BROKEN_PROMISE_LOWER_BALLOT] = "promise-lower-ballot",
    [SIM_BROKEN_IGNORE_LEASE] = "ignore-lease",
    [SIM_BROKEN_NO_RESTART_QUIET] = "no-restart-quiet",
    [SIM_BROKEN_SKIP_FSYNC] = "skip-fsync",
    [SIM_BROKEN_LEASE_OVERRUN] = "lease-overrun",
    [SIM_BROKEN_MUTE_AFTER_FAULTS] = "mute-after-faults",
};

const char *sim_broken_name(int b)
{
    return b >= 0 && b < SIM_BROKEN_MAX ? broken_names[b] : "?";
}

int sim_broken_parse(const char *name)
{
    for (int b = 0; b < SIM_BROKEN_MAX; b++)
        if (strcmp(name, broken_names[b]) == 0)
            return b;
    return -1;
}
