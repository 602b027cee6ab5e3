/* sim_trace.c: the simulation's history (sim_int.h): every event goes into
 * a ring of the last TRACE_RING records (printed at once with --verbose),
 * and a violation is reported with the last TRACE_SHOW of them and the
 * agora-sim command that replays it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "sim_int.h"

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

/* The fields that matter for the message's type; snprintf's count. */
static int fmt_msum_fields(char *buf, size_t n, const struct msum *m)
{
    switch (m->type) {
    case AGORA_MSG_PREPARE:
    case AGORA_MSG_READ:
    case AGORA_MSG_FETCH:
        return snprintf(buf, n, " from=%" PRIu64, m->slot);
    case AGORA_MSG_PROMISE:
        return snprintf(buf, n, " slot=%" PRIu64 " n=%u upto=%" PRIu64 "%s commit=%" PRIu64
                        " snap=%" PRIu64 "%s%s", m->slot, m->n_entries, m->count,
                        (m->reason & AGORA_REPLY_PARTIAL) ? " partial" : "", m->commit,
                        m->snap_index, m->n_entries ? " v=" : "", m->v);
    case AGORA_MSG_ACCEPT:
        return snprintf(buf, n, " slot=%" PRIu64 " n=%u commit=%" PRIu64 "%s%s", m->slot,
                        m->n_entries, m->commit, m->n_entries ? " v=" : "", m->v);
    case AGORA_MSG_ACCEPTED:
        return snprintf(buf, n, " slot=%" PRIu64 " count=%" PRIu64 " commit=%" PRIu64,
                        m->slot, m->count, m->commit);
    case AGORA_MSG_INSTALL:
        return snprintf(buf, n, " snap=%" PRIu64 " commit=%" PRIu64, m->snap_index,
                        m->commit);
    case AGORA_MSG_FETCHED:
        return snprintf(buf, n, " slot=%" PRIu64 " n=%u%s commit=%" PRIu64 " snap=%" PRIu64,
                        m->slot, m->n_entries, (m->reason & AGORA_REPLY_PARTIAL) ? " partial" : "",
                        m->commit, m->snap_index);
    case AGORA_MSG_REJECT:
        return snprintf(buf, n, " reason=%s commit=%" PRIu64, reason_name(m->reason),
                        m->commit);
    default:
        return 0;
    }
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
    k = fmt_msum_fields(buf + o, n - o, m);
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

void trace_msg(struct sim *s, const char *pre, bool from_acc, const struct agora_msg *m)
{
    struct trace_rec *r = trace_new(s);
    r->is_msg = true;
    r->from_acc = from_acc;
    snprintf(r->pre, sizeof(r->pre), "%s", pre);
    msum_of(&r->s, m);
    trace_emit(s, r);
}

void trace_text(struct sim *s, const char *fmt, ...)
{
    struct trace_rec *r = trace_new(s);
    r->is_msg = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof(r->text), fmt, ap);
    va_end(ap);
    trace_emit(s, r);
}

void report(struct sim *s)
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

