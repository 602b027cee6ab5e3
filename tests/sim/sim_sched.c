/* sim_sched.c: the simulation's scheduler (sim_int.h): the one splitmix64
 * stream every random choice comes from, each node's clock
 * (offset + T * (1 + drift)), and the event queue, a binary heap on
 * (T, sequence number). */
#include <stdlib.h>

#include "sim_int.h"

/* --- randomness -------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t rnd(struct sim *s)
{
    return splitmix(&s->rng);
}

uint64_t rnd_below(struct sim *s, uint64_t n)
{
    return n ? rnd(s) % n : 0;
}

uint64_t rnd_range(struct sim *s, uint64_t lo, uint64_t hi)
{
    return lo + rnd_below(s, hi - lo + 1);
}

bool rnd_chance(struct sim *s, double p)
{
    if (p <= 0)
        return false;
    return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* --- clocks ------------------------------------------------------------ */

agora_time_t clk_local(const struct sim_clock *c, uint64_t T)
{
    return (agora_time_t)((int64_t)c->off + (int64_t)T + (int64_t)T * c->ppm / 1000000);
}

/* The first true time >= Tnow at which the clock reads >= L. */
uint64_t clk_true_at(const struct sim_clock *c, agora_time_t L, uint64_t Tnow)
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

void clk_random(struct sim *s, struct sim_clock *c)
{
    c->off = SEC + rnd_below(s, 1000 * SEC);
    c->ppm = (int64_t)rnd_below(s, 2 * (uint64_t)s->drift_ppm + 1) - (int64_t)s->drift_ppm;
}

agora_time_t acc_now(const struct sim *s, int i)
{
    return clk_local(&s->acc[i].clk, s->T);
}

agora_time_t prop_now(const struct sim *s, int i)
{
    return clk_local(&s->prop[i].clk, s->T);
}

/* --- event queue (binary heap on (T, seq)) ----------------------------- */

static bool ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
    return a->T != b->T ? a->T < b->T : a->seq < b->seq;
}

void ev_push(struct sim *s, uint64_t T, uint8_t kind, uint8_t node, uint32_t gen,
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

struct sim_ev ev_pop(struct sim *s)
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

void msg_free(struct agora_msg *m)
{
    if (m != NULL) {
        agora_msg_clear(m);
        free(m);
    }
}

