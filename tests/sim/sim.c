/* sim.c: the deterministic simulation (sim.h, docs/simulation.md).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora/acceptor.h"
#include "agora/ballot.h"
#include "agora/msg.h"
#include "agora/proposer.h"
#include "sim.h"
#include "sim_check.h"

#define TRACE_RING 64
#define TRACE_SHOW 40
#define LIVE_RING 64
#define LRN_ACC 8 /* learner index of acceptor i is LRN_ACC + i */
#define QUIET_MAX_STEPS 1000000u

#define US ((uint64_t)1000)
#define MS ((uint64_t)1000000)
#define SEC ((uint64_t)1000000000)

enum ev_kind {
    EV_TO_ACC = 1,   /* a request reaches acceptor `node` */
    EV_TO_PROP,      /* a reply reaches proposer index `node` */
    EV_WAKE,         /* proposer timer (gen: wake generation) */
    EV_SYNC,         /* acceptor's pending write becomes durable (gen: incarnation) */
    EV_CLIENT,       /* the workload proposes */
    EV_CHAOS,        /* a fault */
    EV_ACC_CRASH,    /* a crash aimed at the window before a sync (gen: incarnation) */
    EV_ACC_RESTART,
    EV_PROP_RESTART,
    EV_HEAL,         /* a partition ends (gen: partition generation) */
    EV_COMPACT,
};

struct sim_ev {
    uint64_t T, seq;
    uint8_t kind;
    uint8_t node;
    uint32_t gen;
    struct agora_msg *m;
};

struct sim_clock {
    uint64_t off;
    int64_t ppm;
};

struct pend_acc {            /* an acceptance waiting for the sync */
    uint64_t slot;
    struct agora_ballot b;
    uint32_t val;
};

struct sim_acc {
    struct agora_acceptor a;
    bool up;
    uint32_t gen;            /* incarnation: bumps at every crash */
    struct sim_clock clk;
    struct agora_buf disk;   /* the WAL file */
    size_t synced;           /* disk bytes known durable */
    struct agora_buf pend;   /* stepped, not yet durable */
    struct agora_msg *replies; /* waiting for the sync, in order */
    size_t n_replies, cap_replies;
    struct pend_acc *pacc;
    size_t n_pacc, cap_pacc;
    uint64_t seen_snap;      /* snapshot index last verified */
};

struct sim_prop {
    struct agora_proposer p;
    bool up;
    uint32_t id;
    uint32_t gen;
    uint32_t wake_gen;
    uint64_t wake_at;        /* true time of the pending wake-up */
    struct sim_clock clk;
    uint64_t applied;        /* the learner's state machine */
    uint64_t digest;
    bool held;               /* held the lease at the last step */
    uint64_t held_until;     /* true time its last lease ended (or ends) */
};

struct msum {                /* what the trace shows of a message */
    uint8_t type, reason;
    uint32_t from, to;
    struct agora_ballot b;
    uint64_t slot, count, commit, snap_index, lease_left;
    uint32_t lease_holder, n_entries;
    char v[24];
};

struct trace_rec {
    uint64_t T, step;
    bool is_msg, from_acc;
    char pre[8];
    struct msum s;
    char text[192];
};

struct sim {
    const struct sim_opts *o;
    struct sim_stats *st;
    uint64_t seed, rng;
    uint64_t T, step, seq;
    struct sim_ev *heap;
    size_t n_heap, cap_heap;
    struct sim_acc acc[SIM_ACCEPTORS];
    struct sim_prop prop[SIM_MAX_PROPOSERS];
    uint32_t n_prop;
    struct agora_acceptor_config acfg;
    struct agora_proposer_config pcfg;
    uint32_t drift_ppm;
    struct sim_check chk;
    /* fault parameters of this seed */
    double p_drop, p_dup, p_long, p_atomic, p_window_crash;
    uint64_t max_delay, chaos_mean, client_mean;
    bool partitions;
    uint8_t cut[SIM_MAX_PROPOSERS]; /* acceptors proposer i cannot reach */
    uint32_t heal_gen;
    /* phases */
    bool quiet, done;
    uint64_t quiet_T, deadline, quiet_steps;
    struct { uint64_t slot; uint32_t val; } live[LIVE_RING];
    uint32_t n_live;
    uint64_t vcount;
    /* scratch */
    struct agora_buf enc, enc2, wal;
    struct trace_rec ring[TRACE_RING];
    uint64_t n_trace;
};

static bool failed(const struct sim *s)
{
    return s->chk.kind != CHK_OK;
}

/* --- randomness -------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd(struct sim *s)
{
    return splitmix(&s->rng);
}

static uint64_t rnd_below(struct sim *s, uint64_t n)
{
    return n ? rnd(s) % n : 0;
}

static uint64_t rnd_range(struct sim *s, uint64_t lo, uint64_t hi)
{
    return lo + rnd_below(s, hi - lo + 1);
}

static bool rnd_chance(struct sim *s, double p)
{
    if (p <= 0)
        return false;
    return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* --- clocks ------------------------------------------------------------ */

static agora_time_t clk_local(const struct sim_clock *c, uint64_t T)
{
    return (agora_time_t)((int64_t)c->off + (int64_t)T + (int64_t)T * c->ppm / 1000000);
}

/* The first true time >= Tnow at which the clock reads >= L. */
static uint64_t clk_true_at(const struct sim_clock *c, agora_time_t L, uint64_t Tnow)
{
    if (clk_local(c, Tnow) >= L)
        return Tnow;
    double d = (double)(L - c->off) * 1e6 / (1e6 + (double)c->ppm);
    uint64_t T = d > (double)Tnow ? (uint64_t)d : Tnow;
    while (T > Tnow && clk_local(c, T - 1) >= L)
        T--;
    while (clk_local(c, T) < L)
        T++;
    return T;
}

static void clk_random(struct sim *s, struct sim_clock *c)
{
    c->off = SEC + rnd_below(s, 1000 * SEC);
    c->ppm = (int64_t)rnd_below(s, 2 * (uint64_t)s->drift_ppm + 1) - (int64_t)s->drift_ppm;
}

static agora_time_t acc_now(const struct sim *s, int i)
{
    return clk_local(&s->acc[i].clk, s->T);
}

static agora_time_t prop_now(const struct sim *s, int i)
{
    return clk_local(&s->prop[i].clk, s->T);
}

/* --- event queue (binary heap on (T, seq)) ----------------------------- */

static bool ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
    return a->T != b->T ? a->T < b->T : a->seq < b->seq;
}

static void ev_push(struct sim *s, uint64_t T, uint8_t kind, uint8_t node, uint32_t gen,
                    struct agora_msg *m)
{
    if (s->n_heap == s->cap_heap) {
        s->cap_heap = s->cap_heap ? 2 * s->cap_heap : 256;
        s->heap = realloc(s->heap, s->cap_heap * sizeof(*s->heap));
        if (s->heap == NULL)
            abort();
    }
    struct sim_ev e = {.T = T, .seq = s->seq++, .kind = kind, .node = node, .gen = gen, .m = m};
    size_t i = s->n_heap++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!ev_less(&e, &s->heap[up]))
            break;
        s->heap[i] = s->heap[up];
        i = up;
    }
    s->heap[i] = e;
}

static struct sim_ev ev_pop(struct sim *s)
{
    struct sim_ev top = s->heap[0];
    struct sim_ev last = s->heap[--s->n_heap];
    size_t i = 0, n = s->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct sim_ev *best = &last;
        if (l < n && ev_less(&s->heap[l], best)) {
            m = l;
            best = &s->heap[l];
        }
        if (r < n && ev_less(&s->heap[r], best))
            m = r;
        if (m == i)
            break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (n > 0)
        s->heap[i] = last;
    return top;
}

static void msg_free(struct agora_msg *m)
{
    if (m != NULL) {
        agora_msg_clear(m);
        free(m);
    }
}

/* --- trace ------------------------------------------------------------- */

static const char *reason_name(uint8_t r)
{
    switch (r) {
    case AGORA_REJECT_BALLOT: return "ballot";
    case AGORA_REJECT_LEASE: return "lease";
    case AGORA_REJECT_RESTART: return "restart";
    default: return "?";
    }
}

static void msum_of(struct msum *d, const struct agora_msg *m)
{
    d->type = m->type;
    d->reason = m->reason;
    d->from = m->from;
    d->to = m->to;
    d->b = m->ballot;
    d->slot = m->slot;
    d->count = m->count;
    d->commit = m->commit;
    d->snap_index = m->snap_index;
    d->lease_left = m->lease_left;
    d->lease_holder = m->lease_holder;
    d->n_entries = m->n_entries;
    d->v[0] = '\0';
    if (m->n_entries > 0) {
        const struct agora_entry *e = &m->entries[0];
        if (e->len == 0) {
            snprintf(d->v, sizeof(d->v), "noop");
        } else {
            size_t k = 0;
            for (uint32_t i = 0; i < e->len && k + 1 < sizeof(d->v) && i < 16; i++)
                d->v[k++] = (e->data[i] >= 0x20 && e->data[i] < 0x7f) ? (char)e->data[i] : '?';
            d->v[k] = '\0';
        }
    }
}

static void fmt_time(char *buf, size_t n, uint64_t T)
{
    snprintf(buf, n, "%" PRIu64 ".%06" PRIu64, T / SEC, (T % SEC) / US);
}

static size_t fmt_msum(char *buf, size_t n, const struct msum *m, bool from_acc)
{
    char from[16], to[16];
    if (from_acc) {
        snprintf(from, sizeof(from), "a%u", m->from);
        snprintf(to, sizeof(to), "p%u", m->to);
    } else {
        snprintf(from, sizeof(from), "p%u", m->from);
        snprintf(to, sizeof(to), "a%u", m->to);
    }
    int k = snprintf(buf, n, "%s -> %s %s b=(%" PRIu64 ",%u)", from, to,
                     agora_msg_type_name(m->type), m->b.round, m->b.node);
    if (k < 0 || (size_t)k >= n)
        return n;
    size_t o = (size_t)k;
    switch (m->type) {
    case AGORA_MSG_PREPARE:
    case AGORA_MSG_READ:
    case AGORA_MSG_FETCH:
        k = snprintf(buf + o, n - o, " from=%" PRIu64, m->slot);
        break;
    case AGORA_MSG_PROMISE:
        k = snprintf(buf + o, n - o, " slot=%" PRIu64 " n=%u upto=%" PRIu64 "%s commit=%" PRIu64
                     " snap=%" PRIu64 "%s%s", m->slot, m->n_entries, m->count,
                     (m->reason & AGORA_REPLY_PARTIAL) ? " partial" : "", m->commit,
                     m->snap_index, m->n_entries ? " v=" : "", m->v);
        break;
    case AGORA_MSG_ACCEPT:
        k = snprintf(buf + o, n - o, " slot=%" PRIu64 " n=%u commit=%" PRIu64 "%s%s", m->slot,
                     m->n_entries, m->commit, m->n_entries ? " v=" : "", m->v);
        break;
    case AGORA_MSG_ACCEPTED:
        k = snprintf(buf + o, n - o, " slot=%" PRIu64 " count=%" PRIu64 " commit=%" PRIu64,
                     m->slot, m->count, m->commit);
        break;
    case AGORA_MSG_INSTALL:
        k = snprintf(buf + o, n - o, " snap=%" PRIu64 " commit=%" PRIu64, m->snap_index,
                     m->commit);
        break;
    case AGORA_MSG_FETCHED:
        k = snprintf(buf + o, n - o, " slot=%" PRIu64 " n=%u%s commit=%" PRIu64 " snap=%" PRIu64,
                     m->slot, m->n_entries, (m->reason & AGORA_REPLY_PARTIAL) ? " partial" : "",
                     m->commit, m->snap_index);
        break;
    case AGORA_MSG_REJECT:
        k = snprintf(buf + o, n - o, " reason=%s commit=%" PRIu64, reason_name(m->reason),
                     m->commit);
        break;
    default:
        k = 0;
        break;
    }
    if (k > 0 && (size_t)k < n - o)
        o += (size_t)k;
    if (from_acc && m->lease_holder != 0 && o < n) {
        k = snprintf(buf + o, n - o, " lease=p%u left=%" PRIu64 "ms", m->lease_holder,
                     m->lease_left / MS);
        if (k > 0 && (size_t)k < n - o)
            o += (size_t)k;
    }
    return o;
}

static void fmt_rec(char *buf, size_t n, const struct trace_rec *r)
{
    char t[32];
    fmt_time(t, sizeof(t), r->T);
    int k = snprintf(buf, n, "T=%s #%" PRIu64 " ", t, r->step);
    if (k < 0 || (size_t)k >= n)
        return;
    if (r->is_msg) {
        int k2 = snprintf(buf + k, n - (size_t)k, "%s", r->pre);
        if (k2 > 0)
            k += k2;
        if ((size_t)k < n)
            fmt_msum(buf + k, n - (size_t)k, &r->s, r->from_acc);
    } else {
        snprintf(buf + k, n - (size_t)k, "%s", r->text);
    }
}

static struct trace_rec *trace_new(struct sim *s)
{
    struct trace_rec *r = &s->ring[s->n_trace++ % TRACE_RING];
    r->T = s->T;
    r->step = s->step;
    return r;
}

static void trace_emit(struct sim *s, const struct trace_rec *r)
{
    if (s->o->verbose) {
        char line[512];
        fmt_rec(line, sizeof(line), r);
        fprintf(s->o->out, "%s\n", line);
    }
}

static void trace_msg(struct sim *s, const char *pre, bool from_acc, const struct agora_msg *m)
{
    struct trace_rec *r = trace_new(s);
    r->is_msg = true;
    r->from_acc = from_acc;
    snprintf(r->pre, sizeof(r->pre), "%s", pre);
    msum_of(&r->s, m);
    trace_emit(s, r);
}

static void trace_text(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace_text(struct sim *s, const char *fmt, ...)
{
    struct trace_rec *r = trace_new(s);
    r->is_msg = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof(r->text), fmt, ap);
    va_end(ap);
    trace_emit(s, r);
}

/* --- network ----------------------------------------------------------- */

/* Sends a copy of m (the caller keeps m). from_acc: acceptor -> proposer,
 * dst is then a proposer index; otherwise dst is an acceptor index. */
static void net_send(struct sim *s, bool from_acc, uint32_t dst, const struct agora_msg *m)
{
    s->st->msgs++;
    if (s->o->verbose)
        trace_msg(s, "send ", from_acc, m);
    if ((!s->quiet && rnd_chance(s, s->p_drop)) ||
        (s->quiet && from_acc && s->o->broken == SIM_BROKEN_MUTE_AFTER_FAULTS)) {
        s->st->drops++;
        trace_msg(s, "DROP ", from_acc, m);
        return;
    }
    int copies = 1;
    if (!s->quiet && rnd_chance(s, s->p_dup)) {
        copies = 2;
        s->st->dups++;
    }
    for (int c = 0; c < copies; c++) {
        uint64_t delay = rnd_range(s, 100 * US, s->max_delay);
        if (!s->quiet && rnd_chance(s, s->p_long))
            delay = rnd_range(s, 100 * MS, 3 * SEC);
        struct agora_msg *mc = malloc(sizeof(*mc));
        if (mc == NULL)
            abort();
        agora_msg_init(mc);
        int rc = agora_msg_copy(mc, m);
        if (rc != AGORA_OK) {
            chk_fail(&s->chk, CHK_CONTRACT, "agora_msg_copy: %s", agora_strerror(rc));
            msg_free(mc);
            return;
        }
        ev_push(s, s->T + delay, from_acc ? EV_TO_PROP : EV_TO_ACC, (uint8_t)dst, 0, mc);
    }
}

static const char *msg_diff(const struct agora_msg *a, const struct agora_msg *b)
{
#define DIFF(f) \
    if (a->f != b->f) \
        return #f;
    DIFF(type) DIFF(reason) DIFF(from) DIFF(to) DIFF(tag) DIFF(seq) DIFF(ballot.round)
    DIFF(ballot.node) DIFF(slot) DIFF(count) DIFF(commit) DIFF(snap_index) DIFF(lease_holder)
    DIFF(lease_left) DIFF(n_entries) DIFF(snap_len)
#undef DIFF
    for (uint32_t i = 0; i < a->n_entries; i++) {
        const struct agora_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->slot != y->slot || agora_ballot_cmp(x->ballot, y->ballot) != 0 || x->len != y->len ||
            (x->len > 0 && memcmp(x->data, y->data, x->len) != 0))
            return "entries";
    }
    if (a->snap_len > 0 && memcmp(a->snap, b->snap, a->snap_len) != 0)
        return "snap";
    return NULL;
}

/* Every delivery goes through the wire codec: out = decode(encode(m)),
 * which must equal m and re-encode to the same bytes. */
static bool codec_roundtrip(struct sim *s, const struct agora_msg *m, struct agora_msg *out)
{
    agora_msg_init(out);
    agora_buf_reset(&s->enc);
    int rc = agora_msg_encode(m, &s->enc);
    if (rc != AGORA_OK)
        return chk_fail(&s->chk, CHK_CONTRACT, "agora_msg_encode(%s): %s",
                        agora_msg_type_name(m->type), agora_strerror(rc));
    rc = agora_msg_decode(s->enc.data, s->enc.len, out);
    if (rc != AGORA_OK)
        return chk_fail(&s->chk, CHK_CONTRACT, "agora_msg_decode of an encoded %s: %s",
                        agora_msg_type_name(m->type), agora_strerror(rc));
    const char *d = msg_diff(m, out);
    if (d != NULL)
        return chk_fail(&s->chk, CHK_CONTRACT, "decode(encode(%s)) differs in field %s",
                        agora_msg_type_name(m->type), d);
    agora_buf_reset(&s->enc2);
    rc = agora_msg_encode(out, &s->enc2);
    if (rc != AGORA_OK || s->enc2.len != s->enc.len ||
        memcmp(s->enc.data, s->enc2.data, s->enc.len) != 0)
        return chk_fail(&s->chk, CHK_CONTRACT, "encode(decode(encode(%s))) differs",
                        agora_msg_type_name(m->type));
    return true;
}

/* --- acceptors --------------------------------------------------------- */

static uint32_t intern_entry(struct sim *s, const struct agora_entry *e)
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

static bool parse_snap(const uint8_t *p, uint32_t len, uint64_t *index, uint64_t *digest)
{
    if (len != SIM_SNAP_LEN || p == NULL)
        return false;
    struct agora_rd r;
    agora_rd_init(&r, p, len);
    *index = agora_rd_u64(&r);
    *digest = agora_rd_u64(&r);
    return !r.err;
}

static void make_snap(uint8_t out[SIM_SNAP_LEN], uint64_t index, uint64_t digest)
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(index >> (8 * i));
        out[8 + i] = (uint8_t)(digest >> (8 * i));
    }
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

/* The sync: the pending bytes reach the disk, what the steps accepted is
 * durable, and the replies that waited go out. */
static void acc_flush(struct sim *s, int i)
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
        if (!failed(s)) {
            if (r->to < 1 || r->to > s->n_prop)
                chk_fail(&s->chk, CHK_CONTRACT, "a%d replies %s to unknown proposer %u", i,
                         agora_msg_type_name(r->type), r->to);
            else
                net_send(s, true, r->to - 1, r);
        }
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

static void acc_step(struct sim *s, int i, const struct agora_msg *in)
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
    if (in->type == AGORA_MSG_ACCEPT)
        for (uint32_t k = 0; k < in->n_entries; k++)
            note_slot(s, sa, in->entries[k].slot);
    uint64_t new_last = agora_log_last(&a->log);
    for (uint64_t slot = old_last + 1; slot <= new_last; slot++)
        note_slot(s, sa, slot);
    acc_learn(s, i);
    /* A committed slot rewritten by this step must still hold its value. */
    uint64_t applied = chk_learner_applied(&s->chk, LRN_ACC + i);
    if (in->type == AGORA_MSG_ACCEPT)
        for (uint32_t k = 0; k < in->n_entries && !failed(s); k++) {
            uint64_t slot = in->entries[k].slot;
            const struct agora_entry *e = agora_log_get(&a->log, slot);
            if (slot <= applied && e != NULL)
                chk_still(&s->chk, LRN_ACC + i, slot, intern_entry(s, e));
        }
    if (s->wal.len > 0)
        agora_buf_put(&sa->pend, s->wal.data, s->wal.len);
    bool has_reply = reply.type != 0;
    if (sa->pend.len == 0 && sa->n_replies == 0) {
        acc_flush(s, i); /* nothing to wait for */
        if (has_reply && !failed(s)) {
            if (reply.to < 1 || reply.to > s->n_prop)
                chk_fail(&s->chk, CHK_CONTRACT, "a%d replies %s to unknown proposer %u", i,
                         agora_msg_type_name(reply.type), reply.to);
            else
                net_send(s, true, reply.to - 1, &reply);
        }
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

static void acc_start(struct sim *s, int i)
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

static void acc_crash(struct sim *s, int i)
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

/* Compaction: the shell's state machine is the digest chain; the acceptor
 * drops slots <= upto and the disk becomes the new image (atomic rename).
 * The image is replayed into a scratch acceptor and compared. */
static void acc_compact(struct sim *s, int i)
{
    struct sim_acc *sa = &s->acc[i];
    struct agora_acceptor *a = &sa->a;
    if (!sa->up || a->commit <= a->snap_index)
        return;
    acc_flush(s, i);
    if (failed(s))
        return;
    uint64_t upto = a->snap_index + 1 + rnd_below(s, a->commit - a->snap_index);
    uint64_t idx = 0, dig = SIM_DIGEST_INIT;
    if (a->snap_index > 0 && !parse_snap(a->snap, a->snap_len, &idx, &dig)) {
        chk_fail(&s->chk, CHK_CONTRACT, "a%d: unreadable snapshot", i);
        return;
    }
    for (uint64_t slot = a->snap_index + 1; slot <= upto; slot++) {
        const struct agora_entry *e = agora_log_get(&a->log, slot);
        if (e == NULL) {
            chk_fail(&s->chk, CHK_CONTRACT, "a%d: slot %" PRIu64 " <= commit %" PRIu64 " absent",
                     i, slot, a->commit);
            return;
        }
        dig = sim_digest_step(dig, slot, e->data, e->len);
    }
    uint8_t snap[SIM_SNAP_LEN];
    make_snap(snap, upto, dig);
    struct agora_buf image;
    agora_buf_init(&image);
    int rc = agora_acceptor_compact(a, upto, snap, SIM_SNAP_LEN, &image);
    if (rc != AGORA_OK || a->snap_index != upto) {
        chk_fail(&s->chk, CHK_CONTRACT, "agora_acceptor_compact(a%d, %" PRIu64 "): %s, snap=%" PRIu64,
                 i, upto, agora_strerror(rc), a->snap_index);
        agora_buf_free(&image);
        return;
    }
    /* The image must replay to the same durable state. */
    struct agora_acceptor r;
    size_t valid = 0;
    rc = agora_acceptor_init(&r, &s->acfg, (uint32_t)i, acc_now(s, i));
    if (rc == AGORA_OK)
        rc = agora_acceptor_recover(&r, image.data, image.len, &valid);
    const char *why = NULL;
    if (rc != AGORA_OK)
        why = agora_strerror(rc);
    else if (valid != image.len)
        why = "not every byte of the image is valid";
    else if (agora_ballot_cmp(r.promised, a->promised) != 0)
        why = "promise differs";
    else if (r.snap_index != a->snap_index || r.snap_len != a->snap_len ||
             (a->snap_len > 0 && memcmp(r.snap, a->snap, a->snap_len) != 0))
        why = "snapshot differs";
    else if (r.commit != a->commit)
        why = "commit differs";
    else if (agora_log_last(&r.log) != agora_log_last(&a->log))
        why = "last slot differs";
    else
        for (uint64_t slot = upto + 1; slot <= agora_log_last(&a->log) && why == NULL; slot++) {
            const struct agora_entry *x = agora_log_get(&a->log, slot);
            const struct agora_entry *y = agora_log_get(&r.log, slot);
            if ((x == NULL) != (y == NULL) ||
                (x != NULL && (agora_ballot_cmp(x->ballot, y->ballot) != 0 || x->len != y->len ||
                               (x->len && memcmp(x->data, y->data, x->len) != 0))))
                why = "an entry differs";
        }
    agora_acceptor_free(&r);
    if (why != NULL) {
        chk_fail(&s->chk, CHK_DURABLE, "a%d: the compacted image (upto %" PRIu64
                 ") does not replay to the acceptor's state: %s", i, upto, why);
        agora_buf_free(&image);
        return;
    }
    agora_buf_free(&sa->disk);
    sa->disk = image;
    sa->synced = sa->disk.len;
    chk_durable_compact(&s->chk, i, upto);
    sa->seen_snap = upto; /* the shell's own snapshot */
    s->st->compactions++;
    trace_text(s, "a%d COMPACT upto=%" PRIu64 " image=%zu bytes", i, upto, sa->disk.len);
}

/* --- proposers --------------------------------------------------------- */

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

/* agora_proposer_ready and everything it asks for. */
static void pump(struct sim *s, int pi)
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
    if (rd.events & AGORA_EV_SNAPSHOT) {
        uint64_t idx, dig;
        if (!parse_snap(rd.snap, rd.snap_len, &idx, &dig) || idx != rd.snap_index) {
            chk_fail(&s->chk, CHK_CONTRACT, "p%u got a snapshot at %" PRIu64
                     " that no shell made (%u bytes)", sp->id, rd.snap_index, rd.snap_len);
        } else if (chk_learn_snapshot(&s->chk, pi, idx, dig, false)) {
            sp->applied = idx;
            sp->digest = dig;
            s->st->snapshots_learned++;
            trace_text(s, "p%u SNAPSHOT installed up to slot %" PRIu64, sp->id, idx);
        }
    }
    for (size_t k = 0; k < rd.n_committed && !failed(s); k++) {
        const struct agora_entry *e = &rd.committed[k];
        if (!chk_learn(&s->chk, pi, e->slot, intern_entry(s, e)))
            break;
        sp->digest = sim_digest_step(sp->digest, e->slot, e->data, e->len);
        sp->applied = e->slot;
    }
    if (rd.n_committed > 0 && !failed(s))
        trace_text(s, "p%u COMMIT slots %" PRIu64 "..%" PRIu64, sp->id, rd.committed[0].slot,
                   rd.committed[rd.n_committed - 1].slot);
    if ((rd.events & AGORA_EV_ELECTED) && !failed(s)) {
        s->st->elections++;
        trace_text(s, "p%u ELECTED b=(%" PRIu64 ",%u)", sp->id, sp->p.ballot.round,
                   sp->p.ballot.node);
        if (!(s->o->skip_checks & (1u << CHK_ONE_LEADER)))
            chk_elected(&s->chk, sp->p.ballot, sp->id);
    }
    if (rd.events & AGORA_EV_LEASE) {
        agora_time_t now = prop_now(s, pi);
        if (s->o->broken == SIM_BROKEN_LEASE_OVERRUN) {
            sp->p.lease_end += s->pcfg.lease;
            sp->p.step_down_at = sp->p.lease_end;
        }
        trace_text(s, "p%u LEASE until +%" PRIu64 "ms", sp->id,
                   sp->p.lease_end > now ? (sp->p.lease_end - now) / MS : 0);
    }
    if (rd.events & AGORA_EV_STEP_DOWN) {
        s->st->step_downs++;
        trace_text(s, "p%u STEP_DOWN", sp->id);
    }
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

static void prop_start(struct sim *s, int pi)
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

static void prop_crash(struct sim *s, int pi)
{
    struct sim_prop *sp = &s->prop[pi];
    trace_text(s, "p%u CRASH (role %d, applied %" PRIu64 ")", sp->id, (int)sp->p.role,
               sp->applied);
    agora_proposer_free(&sp->p);
    sp->up = false;
    s->st->prop_crashes++;
}

static void prop_compact(struct sim *s, int pi)
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

/* --- workload and faults ----------------------------------------------- */

static int lease_holders(struct sim *s, uint32_t *ids, int *idx)
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

static void client(struct sim *s)
{
    int idx[SIM_MAX_PROPOSERS];
    int n = lease_holders(s, NULL, idx);
    /* Once the faults stop the load is light: one value now and then, which
     * must reach every learner (check_liveness). */
    if (n == 1 && s->quiet) {
        int pi = idx[0];
        struct sim_prop *sp = &s->prop[pi];
        char v[64];
        int len = snprintf(v, sizeof(v), "p%u-live%" PRIu64, sp->id, ++s->vcount);
        uint64_t slot = 0;
        int rc = agora_proposer_propose(&sp->p, prop_now(s, pi), (const uint8_t *)v,
                                        (uint32_t)len, &slot);
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
    } else if (n == 1) {
        int pi = idx[0];
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
            trace_text(s, "p%u PROPOSE slot=%" PRIu64 " %.*s", sp->id, slot,
                       len > 24 ? 24 : len, v);
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
    if (rnd_chance(s, 0.05) && !failed(s)) {
        int pi = (int)rnd_below(s, s->n_prop);
        struct sim_prop *sp = &s->prop[pi];
        if (sp->up && !agora_proposer_holds_lease(&sp->p, prop_now(s, pi))) {
            uint64_t slot = 0;
            int rc = agora_proposer_propose(&sp->p, prop_now(s, pi), (const uint8_t *)"nope", 4,
                                            &slot);
            if (rc == AGORA_OK)
                chk_fail(&s->chk, CHK_CONTRACT, "p%u accepted a proposal without the lease "
                         "(slot %" PRIu64 ")", sp->id, slot);
        }
    }
    uint64_t gap = s->quiet ? rnd_range(s, 100 * MS, 300 * MS) : rnd_range(s, MS, 2 * s->client_mean);
    ev_push(s, s->T + gap, EV_CLIENT, 0, 0, NULL);
}

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

static void chaos(struct sim *s)
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

static void compact_tick(struct sim *s)
{
    int i = (int)rnd_below(s, SIM_ACCEPTORS);
    if (rnd_chance(s, 0.7))
        acc_compact(s, i);
    int pi = (int)rnd_below(s, s->n_prop);
    if (!failed(s) && rnd_chance(s, 0.7))
        prop_compact(s, pi);
    ev_push(s, s->T + rnd_range(s, 100 * MS, 1500 * MS), EV_COMPACT, 0, 0, NULL);
}

/* --- checks at every step ---------------------------------------------- */

/* Check 2, and the closest hand-over of the lease from one proposer to
 * another (in true time), a measure of the margin left. */
static void check_leases(struct sim *s)
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

static void enter_quiet(struct sim *s)
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

static void check_liveness(struct sim *s)
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

/* --- one event --------------------------------------------------------- */

static void handle(struct sim *s, struct sim_ev *ev)
{
    switch (ev->kind) {
    case EV_TO_ACC: {
        int i = ev->node;
        struct agora_msg *m = ev->m;
        if (!s->acc[i].up) {
            trace_msg(s, "LOST ", false, m);
            break;
        }
        if (m->from < 1 || m->from > s->n_prop) {
            chk_fail(&s->chk, CHK_CONTRACT, "a message to a%d from unknown proposer %u", i,
                     m->from);
            break;
        }
        if (s->cut[m->from - 1] & (1u << i)) {
            trace_msg(s, "CUT ", false, m);
            break;
        }
        struct agora_msg in;
        if (!codec_roundtrip(s, m, &in)) {
            agora_msg_clear(&in);
            break;
        }
        trace_msg(s, "", false, &in);
        acc_step(s, i, &in);
        agora_msg_clear(&in);
        break;
    }
    case EV_TO_PROP: {
        int pi = ev->node;
        struct sim_prop *sp = &s->prop[pi];
        struct agora_msg *m = ev->m;
        if (!sp->up) {
            trace_msg(s, "LOST ", true, m);
            break;
        }
        if (m->from < SIM_ACCEPTORS && (s->cut[pi] & (1u << m->from))) {
            trace_msg(s, "CUT ", true, m);
            break;
        }
        struct agora_msg in;
        if (!codec_roundtrip(s, m, &in)) {
            agora_msg_clear(&in);
            break;
        }
        trace_msg(s, "", true, &in);
        int rc = agora_proposer_step(&sp->p, prop_now(s, pi), &in);
        agora_msg_clear(&in);
        if (rc != AGORA_OK) {
            chk_fail(&s->chk, CHK_CONTRACT, "agora_proposer_step(p%u, %s): %s", sp->id,
                     agora_msg_type_name(m->type), agora_strerror(rc));
            break;
        }
        pump(s, pi);
        break;
    }
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

/* --- setup, report ----------------------------------------------------- */

static const double drop_choices[] = {0, 0.01, 0.05, 0.15};
static const double dup_choices[] = {0, 0.02, 0.1};
static const double long_choices[] = {0, 0.005, 0.03};
static const double atomic_choices[] = {1.0, 0.7, 0.2};
static const double window_choices[] = {0, 0.002, 0.01};
static const uint64_t delay_choices[] = {1 * MS, 10 * MS, 50 * MS};
static const uint64_t chaos_choices[] = {0, 3 * SEC, 1 * SEC, 300 * MS};
static const uint64_t client_choices[] = {5 * MS, 20 * MS, 60 * MS};

#define PICK(s, arr) (arr[rnd_below(s, sizeof(arr) / sizeof(arr[0]))])

static void setup(struct sim *s, const struct sim_opts *o, uint64_t seed, struct sim_stats *st)
{
    s->o = o;
    s->st = st;
    s->seed = seed;
    s->rng = seed * 0x2545f4914f6cdd1dull + 0x1234567;
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
    agora_buf_init(&s->enc);
    agora_buf_init(&s->enc2);
    agora_buf_init(&s->wal);
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
    s->pcfg.campaign = true;

    trace_text(s, "SEED %" PRIu64 ": %u proposers; drop %g dup %g long %g delay<=%" PRIu64
               "ms; sync-now %g crash-window %g; faults ~%" PRIu64 "ms%s; batch %u caps %u/%u",
               seed, s->n_prop, s->p_drop, s->p_dup, s->p_long, s->max_delay / MS, s->p_atomic,
               s->p_window_crash, s->chaos_mean / MS, s->partitions ? " partitions" : "",
               s->pcfg.max_batch, s->acfg.max_reply_entries, s->acfg.max_reply_bytes);
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

static void report(struct sim *s)
{
    FILE *out = s->o->out;
    char t[32];
    fmt_time(t, sizeof(t), s->T);
    fprintf(out, "VIOLATION seed=%" PRIu64 " step=%" PRIu64 " T=%s check %s\n  %s\n", s->seed,
            s->step, t, chk_kind_name(s->chk.kind), s->chk.why);
    if (!s->o->verbose) {
        uint64_t n = s->n_trace < TRACE_SHOW ? s->n_trace : TRACE_SHOW;
        fprintf(out, "last %" PRIu64 " events:\n", n);
        for (uint64_t k = s->n_trace - n; k < s->n_trace; k++) {
            char line[512];
            fmt_rec(line, sizeof(line), &s->ring[k % TRACE_RING]);
            fprintf(out, "  %s\n", line);
        }
    }
    fprintf(out, "replay: agora-sim --seed %" PRIu64, s->seed);
    if (s->o->proposers)
        fprintf(out, " --proposers %u", s->o->proposers);
    fprintf(out, " --steps %" PRIu64, s->o->steps);
    if (s->o->drift_ppm != 5000)
        fprintf(out, " --drift-ppm %u", s->o->drift_ppm);
    if (s->o->settle_ns != 20 * SEC)
        fprintf(out, " --settle %" PRIu64, s->o->settle_ns / SEC);
    if (!s->o->liveness)
        fprintf(out, " --no-liveness");
    for (int k = 0; k < 32; k++)
        if (s->o->skip_checks & (1u << k))
            fprintf(out, " --skip-check %d", k);
    if (s->o->broken)
        fprintf(out, " --broken %s", sim_broken_name(s->o->broken));
    fprintf(out, " --verbose\n");
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
