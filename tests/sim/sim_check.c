/* sim_check.c: the history checker (sim_check.h, docs/simulation.md).
 *
 * Everything here is derived from facts reported by the simulation, never
 * from the core's own bookkeeping: a buggy core must not be able to hide a
 * violation by being consistently wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_check.h"

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "sim_check: out of memory\n");
        abort();
    }
    return q;
}

const char *chk_kind_name(int kind)
{
    switch (kind) {
    case CHK_OK: return "ok";
    case CHK_SINGLE_VALUE: return "1 single value per slot";
    case CHK_ONE_LEASE: return "2 one lease holder at a time";
    case CHK_AGREEMENT: return "3 learners agree with the chosen values";
    case CHK_DURABLE: return "4 committed entries stay durable";
    case CHK_LIVENESS: return "5 liveness after faults stop";
    case CHK_ONE_LEADER: return "6 one leader per ballot";
    case CHK_CONTRACT: return "7 core API contract";
    default: return "?";
    }
}

void chk_init(struct sim_check *c)
{
    memset(c, 0, sizeof(*c));
    chk_reset(c, 3);
}

void chk_free(struct sim_check *c)
{
    for (uint64_t s = 0; s < c->cap_slots; s++)
        free(c->slots[s].bal);
    free(c->slots);
    free(c->prefix);
    free(c->vals);
    free(c->tab);
    free(c->bytes);
    free(c->elected);
    memset(c, 0, sizeof(*c));
}

void chk_reset(struct sim_check *c, int n_acc)
{
    for (uint64_t s = 0; s <= c->max_slot && s < c->cap_slots; s++) {
        free(c->slots[s].bal);
        memset(&c->slots[s], 0, sizeof(c->slots[s]));
    }
    c->max_slot = 0;
    c->n_acc = n_acc > CHK_MAX_ACC ? CHK_MAX_ACC : n_acc;
    c->quorum = c->n_acc / 2 + 1;
    c->kind = CHK_OK;
    c->why[0] = '\0';
    c->n_vals = 0;
    c->n_bytes = 0;
    if (c->tab != NULL)
        memset(c->tab, 0, c->tab_cap * sizeof(*c->tab));
    if (c->cap_prefix == 0) {
        c->cap_prefix = 1024;
        c->prefix = xrealloc(c->prefix, c->cap_prefix * sizeof(*c->prefix));
    }
    c->prefix[0] = SIM_DIGEST_INIT;
    c->prefix_upto = 0;
    memset(c->acc, 0, sizeof(c->acc));
    for (int l = 0; l < CHK_MAX_LEARNERS; l++)
        c->lrn[l].applied = 0; /* names stay */
    c->n_elected = 0;
    c->epoch = 0;
    c->n_chosen = c->n_committed = 0;
}

bool chk_fail(struct sim_check *c, int kind, const char *fmt, ...)
{
    if (c->kind != CHK_OK)
        return false;
    c->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
    return false;
}

/* --- values ------------------------------------------------------------ */

static uint64_t hash_bytes(const uint8_t *p, uint32_t len)
{
    uint64_t h = SIM_DIGEST_INIT ^ len;
    for (uint32_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

static void tab_insert(struct sim_check *c, uint32_t id)
{
    uint32_t mask = c->tab_cap - 1;
    uint32_t i = (uint32_t)c->vals[id].h & mask;
    while (c->tab[i] != 0)
        i = (i + 1) & mask;
    c->tab[i] = id + 1;
}

uint32_t chk_intern(struct sim_check *c, const uint8_t *p, uint32_t len)
{
    uint64_t h = hash_bytes(p, len);
    if (c->tab_cap != 0) {
        uint32_t mask = c->tab_cap - 1;
        for (uint32_t i = (uint32_t)h & mask; c->tab[i] != 0; i = (i + 1) & mask) {
            const struct chk_val *v = &c->vals[c->tab[i] - 1];
            if (v->h == h && v->len == len && (len == 0 || memcmp(c->bytes + v->off, p, len) == 0))
                return c->tab[i] - 1;
        }
    }
    if (c->n_vals == c->cap_vals) {
        c->cap_vals = c->cap_vals ? 2 * c->cap_vals : 256;
        c->vals = xrealloc(c->vals, c->cap_vals * sizeof(*c->vals));
    }
    if (c->n_bytes + len > c->cap_bytes) {
        while (c->n_bytes + len > c->cap_bytes)
            c->cap_bytes = c->cap_bytes ? 2 * c->cap_bytes : 65536;
        c->bytes = xrealloc(c->bytes, c->cap_bytes);
    }
    uint32_t id = c->n_vals++;
    c->vals[id].h = h;
    c->vals[id].off = c->n_bytes;
    c->vals[id].len = len;
    if (len > 0)
        memcpy(c->bytes + c->n_bytes, p, len);
    c->n_bytes += len;
    if (2 * c->n_vals > c->tab_cap) { /* keep the load under 1/2 */
        c->tab_cap = c->tab_cap ? 2 * c->tab_cap : 1024;
        c->tab = xrealloc(c->tab, c->tab_cap * sizeof(*c->tab));
        memset(c->tab, 0, c->tab_cap * sizeof(*c->tab));
        for (uint32_t k = 0; k < c->n_vals; k++)
            tab_insert(c, k);
    } else {
        tab_insert(c, id);
    }
    return id;
}

const uint8_t *chk_value(const struct sim_check *c, uint32_t id, uint32_t *len)
{
    *len = c->vals[id].len;
    return c->bytes + c->vals[id].off;
}

const char *chk_value_str(const struct sim_check *c, uint32_t id, char *buf, size_t n)
{
    uint32_t len;
    const uint8_t *p = chk_value(c, id, &len);
    if (len == 0) {
        snprintf(buf, n, "noop");
        return buf;
    }
    size_t k = 0;
    for (uint32_t i = 0; i < len && k + 4 < n && i < 24; i++)
        buf[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    if (len > 24 && k + 4 < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* --- slots ------------------------------------------------------------- */

static struct chk_slot *slot_get(struct sim_check *c, uint64_t s)
{
    if (s == 0 || s > CHK_MAX_SLOT) {
        chk_fail(c, CHK_CONTRACT, "slot %llu out of range", (unsigned long long)s);
        return NULL;
    }
    if (s >= c->cap_slots) {
        uint64_t cap = c->cap_slots ? c->cap_slots : 1024;
        while (cap <= s)
            cap *= 2;
        c->slots = xrealloc(c->slots, cap * sizeof(*c->slots));
        memset(c->slots + c->cap_slots, 0, (cap - c->cap_slots) * sizeof(*c->slots));
        c->cap_slots = cap;
    }
    if (s > c->max_slot)
        c->max_slot = s;
    return &c->slots[s];
}

static const struct chk_slot *slot_peek(const struct sim_check *c, uint64_t s)
{
    if (s == 0 || s > c->max_slot)
        return NULL;
    return &c->slots[s];
}

static int popcount(uint32_t m)
{
    int n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

static void fmt_ballot(char *buf, size_t n, struct agora_ballot b)
{
    snprintf(buf, n, "(%llu,%u)", (unsigned long long)b.round, b.node);
}

static void fmt_mask(char *buf, size_t n, uint32_t mask)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < CHK_MAX_ACC && k + 4 < n; i++)
        if (mask & (1u << i))
            k += (size_t)snprintf(buf + k, n - k, "%sa%d", k ? "," : "", i);
}

/* Extends the digest of the contiguous chosen prefix. */
static void extend_prefix(struct sim_check *c)
{
    while (c->prefix_upto < c->max_slot && c->slots[c->prefix_upto + 1].chosen != 0) {
        uint64_t s = c->prefix_upto + 1;
        if (s >= c->cap_prefix) {
            c->cap_prefix *= 2;
            c->prefix = xrealloc(c->prefix, c->cap_prefix * sizeof(*c->prefix));
        }
        uint32_t len;
        const uint8_t *p = chk_value(c, c->slots[s].chosen - 1, &len);
        c->prefix[s] = sim_digest_step(c->prefix[s - 1], s, p, len);
        c->prefix_upto = s;
    }
}

/* Number of acceptors whose durable state holds `val` at `slot` or has
 * compacted past it. */
static int durable_holders(const struct sim_check *c, uint64_t slot, uint32_t val1)
{
    const struct chk_slot *sl = slot_peek(c, slot);
    int n = 0;
    for (int i = 0; i < c->n_acc; i++)
        if (c->acc[i].snap >= slot || (sl != NULL && sl->durable[i] == val1))
            n++;
    return n;
}

static bool check_still_durable(struct sim_check *c, uint64_t slot, const char *what, int acc)
{
    const struct chk_slot *sl = slot_peek(c, slot);
    if (sl == NULL || sl->committed == 0)
        return true;
    int n = durable_holders(c, slot, sl->committed);
    if (n >= c->quorum)
        return true;
    char v[64], at[16] = "";
    if (acc >= 0)
        snprintf(at, sizeof(at), " at a%d", acc);
    return chk_fail(c, CHK_DURABLE,
                    "slot %llu was committed with %s but after %s%s only %d acceptor(s) "
                    "hold it durably (quorum %d)",
                    (unsigned long long)slot, chk_value_str(c, sl->committed - 1, v, sizeof(v)),
                    what, at, n, c->quorum);
}

/* (slot, b) has reached a quorum with value val: it is chosen. Paxos
 * (P2): every value chosen at a slot is the same, and every acceptance at a
 * higher ballot than a chosen one carries the chosen value. */
static bool mark_chosen(struct sim_check *c, uint64_t slot, struct chk_slot *sl,
                        const struct chk_bal *cb)
{
    char v1[64], v2[64], b1[48], b2[48], m1[32], m2[32];
    if (sl->chosen != 0 && sl->chosen != cb->val + 1) {
        const struct chk_bal *other = NULL;
        for (uint32_t i = 0; i < sl->n_bal; i++)
            if (sl->bal[i].val + 1 == sl->chosen && popcount(sl->bal[i].mask) >= c->quorum)
                other = &sl->bal[i];
        fmt_ballot(b1, sizeof(b1), sl->chosen_b);
        fmt_ballot(b2, sizeof(b2), cb->b);
        fmt_mask(m1, sizeof(m1), other ? other->mask : 0);
        fmt_mask(m2, sizeof(m2), cb->mask);
        return chk_fail(c, CHK_SINGLE_VALUE,
                        "two values chosen for slot %llu: %s at ballot %s (acceptors %s) and "
                        "%s at ballot %s (acceptors %s)",
                        (unsigned long long)slot, chk_value_str(c, sl->chosen - 1, v1, sizeof(v1)),
                        b1, m1, chk_value_str(c, cb->val, v2, sizeof(v2)), b2, m2);
    }
    for (uint32_t i = 0; i < sl->n_bal; i++) {
        const struct chk_bal *o = &sl->bal[i];
        if (agora_ballot_cmp(o->b, cb->b) > 0 && o->val != cb->val) {
            fmt_ballot(b1, sizeof(b1), cb->b);
            fmt_ballot(b2, sizeof(b2), o->b);
            fmt_mask(m1, sizeof(m1), cb->mask);
            fmt_mask(m2, sizeof(m2), o->mask);
            return chk_fail(c, CHK_SINGLE_VALUE,
                            "slot %llu: %s is chosen at ballot %s (acceptors %s) but %s was "
                            "accepted at the higher ballot %s (acceptors %s)",
                            (unsigned long long)slot, chk_value_str(c, cb->val, v1, sizeof(v1)),
                            b1, m1, chk_value_str(c, o->val, v2, sizeof(v2)), b2, m2);
        }
    }
    if (sl->chosen == 0) {
        sl->chosen = cb->val + 1;
        sl->chosen_b = cb->b;
        c->n_chosen++;
        extend_prefix(c);
    } else if (agora_ballot_cmp(cb->b, sl->chosen_b) < 0) {
        sl->chosen_b = cb->b;
    }
    return true;
}

bool chk_durable_accept(struct sim_check *c, int acc, uint64_t slot, struct agora_ballot b,
                        uint32_t val)
{
    if (c->kind != CHK_OK)
        return false;
    struct chk_slot *sl = slot_get(c, slot);
    if (sl == NULL)
        return false;
    char v1[64], v2[64], b1[48], b2[48], m1[32];
    /* P2: a value chosen at a lower ballot binds every higher ballot. */
    if (sl->chosen != 0 && sl->chosen != val + 1 && agora_ballot_cmp(b, sl->chosen_b) > 0) {
        fmt_ballot(b1, sizeof(b1), sl->chosen_b);
        fmt_ballot(b2, sizeof(b2), b);
        return chk_fail(c, CHK_SINGLE_VALUE,
                        "slot %llu: %s is chosen at ballot %s but a%d durably accepted %s at "
                        "the higher ballot %s",
                        (unsigned long long)slot, chk_value_str(c, sl->chosen - 1, v1, sizeof(v1)),
                        b1, acc, chk_value_str(c, val, v2, sizeof(v2)), b2);
    }
    struct chk_bal *cb = NULL;
    for (uint32_t i = 0; i < sl->n_bal; i++)
        if (agora_ballot_cmp(sl->bal[i].b, b) == 0)
            cb = &sl->bal[i];
    if (cb == NULL) {
        if (sl->n_bal == sl->cap_bal) {
            sl->cap_bal = sl->cap_bal ? 2 * sl->cap_bal : 2;
            sl->bal = xrealloc(sl->bal, sl->cap_bal * sizeof(*sl->bal));
        }
        cb = &sl->bal[sl->n_bal++];
        cb->b = b;
        cb->val = val;
        cb->mask = 0;
    } else if (cb->val != val) {
        fmt_ballot(b1, sizeof(b1), b);
        fmt_mask(m1, sizeof(m1), cb->mask);
        return chk_fail(c, CHK_SINGLE_VALUE,
                        "slot %llu ballot %s: a%d accepted %s but acceptors %s accepted %s "
                        "(one ballot proposed two values)",
                        (unsigned long long)slot, b1, acc, chk_value_str(c, val, v1, sizeof(v1)),
                        m1, chk_value_str(c, cb->val, v2, sizeof(v2)));
    }
    uint32_t before = cb->mask;
    cb->mask |= 1u << acc;
    if (popcount(cb->mask) >= c->quorum && popcount(before) < c->quorum)
        if (!mark_chosen(c, slot, sl, cb))
            return false;
    uint32_t old = sl->durable[acc];
    sl->durable[acc] = val + 1;
    if (c->acc[acc].recovering)
        sl->seen[acc] = c->acc[acc].epoch;
    if (old != val + 1 && old == sl->committed)
        return check_still_durable(c, slot, "an overwrite", acc);
    return true;
}

void chk_durable_promise(struct sim_check *c, int acc, struct agora_ballot b)
{
    c->acc[acc].promised = b;
}

bool chk_durable_compact(struct sim_check *c, int acc, uint64_t upto)
{
    if (upto < c->acc[acc].snap)
        return chk_fail(c, CHK_DURABLE, "a%d: snapshot index went back from %llu to %llu", acc,
                        (unsigned long long)c->acc[acc].snap, (unsigned long long)upto);
    /* A snapshot stands for the chosen prefix; it must have been chosen. */
    if (upto > c->prefix_upto)
        return chk_fail(c, CHK_AGREEMENT,
                        "a%d compacted up to slot %llu but slot %llu was never chosen", acc,
                        (unsigned long long)upto, (unsigned long long)c->prefix_upto + 1);
    c->acc[acc].snap = upto;
    return true;
}

bool chk_recover_begin(struct sim_check *c, int acc, uint64_t snap, struct agora_ballot promised)
{
    char b1[48], b2[48];
    struct chk_acc *a = &c->acc[acc];
    c->epoch++;
    a->epoch = c->epoch;
    a->recovering = true;
    if (agora_ballot_cmp(promised, a->promised) < 0) {
        fmt_ballot(b1, sizeof(b1), a->promised);
        fmt_ballot(b2, sizeof(b2), promised);
        return chk_fail(c, CHK_DURABLE,
                        "a%d: recovery lost a synced promise: synced %s, recovered %s", acc, b1,
                        b2);
    }
    if (snap < a->snap)
        return chk_fail(c, CHK_DURABLE,
                        "a%d: recovery lost a synced snapshot: synced %llu, recovered %llu", acc,
                        (unsigned long long)a->snap, (unsigned long long)snap);
    if (snap > a->snap && !chk_durable_compact(c, acc, snap))
        return false;
    a->promised = promised;
    return true;
}

bool chk_recover_entry(struct sim_check *c, int acc, uint64_t slot, struct agora_ballot b,
                       uint32_t val)
{
    return chk_durable_accept(c, acc, slot, b, val);
}

bool chk_recover_end(struct sim_check *c, int acc)
{
    struct chk_acc *a = &c->acc[acc];
    a->recovering = false;
    if (c->kind != CHK_OK)
        return false;
    for (uint64_t s = a->snap + 1; s <= c->max_slot; s++) {
        struct chk_slot *sl = &c->slots[s];
        if (sl->durable[acc] != 0 && sl->seen[acc] != a->epoch) {
            char v[64];
            return chk_fail(c, CHK_DURABLE,
                            "a%d: recovery lost slot %llu (%s), which was synced", acc,
                            (unsigned long long)s,
                            chk_value_str(c, sl->durable[acc] - 1, v, sizeof(v)));
        }
    }
    return true;
}

/* --- learners ---------------------------------------------------------- */

void chk_learner_name(struct sim_check *c, int l, const char *name)
{
    snprintf(c->lrn[l].name, sizeof(c->lrn[l].name), "%s", name);
}

static const char *lname(const struct sim_check *c, int l)
{
    return c->lrn[l].name[0] ? c->lrn[l].name : "?";
}

void chk_learner_reset(struct sim_check *c, int l)
{
    c->lrn[l].applied = 0;
}

uint64_t chk_learner_applied(const struct sim_check *c, int l)
{
    return c->lrn[l].applied;
}

uint32_t chk_chosen(const struct sim_check *c, uint64_t slot)
{
    const struct chk_slot *sl = slot_peek(c, slot);
    return sl ? sl->chosen : 0;
}

static bool check_chosen_value(struct sim_check *c, int l, uint64_t slot, uint32_t val,
                               const char *what)
{
    const struct chk_slot *sl = slot_peek(c, slot);
    char v1[64], v2[64];
    if (sl == NULL || sl->chosen == 0)
        return chk_fail(c, CHK_AGREEMENT,
                        "learner %s %s slot %llu = %s, but no value is chosen there (no quorum "
                        "durably accepted one ballot)",
                        lname(c, l), what, (unsigned long long)slot, chk_value_str(c, val, v1, sizeof(v1)));
    if (sl->chosen != val + 1)
        return chk_fail(c, CHK_AGREEMENT, "learner %s %s slot %llu = %s, but %s is chosen there",
                        lname(c, l), what, (unsigned long long)slot, chk_value_str(c, val, v1, sizeof(v1)),
                        chk_value_str(c, sl->chosen - 1, v2, sizeof(v2)));
    return true;
}

bool chk_learn(struct sim_check *c, int l, uint64_t slot, uint32_t val)
{
    if (c->kind != CHK_OK)
        return false;
    struct chk_learner *lr = &c->lrn[l];
    if (slot != lr->applied + 1)
        return chk_fail(c, CHK_AGREEMENT,
                        "learner %s learned slot %llu right after slot %llu (not consecutive)",
                        lname(c, l),
                        (unsigned long long)slot, (unsigned long long)lr->applied);
    if (!check_chosen_value(c, l, slot, val, "committed"))
        return false;
    lr->applied = slot;
    struct chk_slot *sl = slot_get(c, slot);
    if (sl->committed == 0) {
        sl->committed = val + 1;
        c->n_committed++;
        return check_still_durable(c, slot, "its first commit", -1);
    }
    return true;
}

bool chk_still(struct sim_check *c, int l, uint64_t slot, uint32_t val)
{
    if (c->kind != CHK_OK)
        return false;
    return check_chosen_value(c, l, slot, val, "holds committed");
}

bool chk_prefix_digest(const struct sim_check *c, uint64_t index, uint64_t *digest)
{
    if (index > c->prefix_upto)
        return false;
    *digest = c->prefix[index];
    return true;
}

bool chk_learn_snapshot(struct sim_check *c, int l, uint64_t index, uint64_t digest,
                        bool behind_ok)
{
    if (c->kind != CHK_OK)
        return false;
    struct chk_learner *lr = &c->lrn[l];
    uint64_t want;
    if (!chk_prefix_digest(c, index, &want))
        return chk_fail(c, CHK_AGREEMENT,
                        "learner %s installed a snapshot up to slot %llu but slot %llu was never "
                        "chosen",
                        lname(c, l), (unsigned long long)index, (unsigned long long)c->prefix_upto + 1);
    if (want != digest)
        return chk_fail(c, CHK_AGREEMENT,
                        "learner %s installed a snapshot up to slot %llu whose digest %016llx "
                        "differs from the chosen prefix %016llx",
                        lname(c, l), (unsigned long long)index, (unsigned long long)digest,
                        (unsigned long long)want);
    if (index < lr->applied && !behind_ok)
        return chk_fail(c, CHK_AGREEMENT,
                        "learner %s went back from slot %llu to a snapshot at %llu", lname(c, l),
                        (unsigned long long)lr->applied, (unsigned long long)index);
    if (index > lr->applied)
        lr->applied = index;
    return true;
}

/* --- leadership -------------------------------------------------------- */

bool chk_elected(struct sim_check *c, struct agora_ballot b, uint32_t node)
{
    char b1[48];
    fmt_ballot(b1, sizeof(b1), b);
    if (b.node != node)
        return chk_fail(c, CHK_ONE_LEADER, "p%u elected with ballot %s, which is not its own",
                        node, b1);
    for (uint32_t i = 0; i < c->n_elected; i++)
        if (agora_ballot_cmp(c->elected[i].b, b) == 0)
            return chk_fail(c, CHK_ONE_LEADER, "ballot %s elected twice (p%u and p%u)", b1,
                            c->elected[i].node, node);
    if (c->n_elected == c->cap_elected) {
        c->cap_elected = c->cap_elected ? 2 * c->cap_elected : 16;
        c->elected = xrealloc(c->elected, c->cap_elected * sizeof(*c->elected));
    }
    c->elected[c->n_elected].b = b;
    c->elected[c->n_elected].node = node;
    c->n_elected++;
    return true;
}

bool chk_lease_holders(struct sim_check *c, const uint32_t *holders, int n)
{
    if (n <= 1)
        return true;
    char list[64];
    size_t k = 0;
    list[0] = '\0';
    for (int i = 0; i < n && k + 8 < sizeof(list); i++)
        k += (size_t)snprintf(list + k, sizeof(list) - k, "%sp%u", i ? " and " : "", holders[i]);
    return chk_fail(c, CHK_ONE_LEASE, "%s hold the lease at the same instant", list);
}
