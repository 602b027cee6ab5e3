/* log.c: the in-memory Paxos log shared by acceptor and proposer: a dense
 * array of slots above `base`, where slot 0 in an element marks a hole. */
#include <string.h>

#include "agora/log.h"

void agora_log_init(struct agora_log *l)
{
    memset(l, 0, sizeof(*l));
}

void agora_entry_clear(struct agora_entry *e)
{
    agora_free(e->data);
    memset(e, 0, sizeof(*e));
}

void agora_log_free(struct agora_log *l)
{
    for (size_t i = 0; i < l->n; i++)
        agora_entry_clear(&l->ents[i]);
    agora_free(l->ents);
    agora_log_init(l);
}

const struct agora_entry *agora_log_get(const struct agora_log *l, uint64_t slot)
{
    if (slot <= l->base || slot - l->base > l->n)
        return NULL;
    const struct agora_entry *e = &l->ents[slot - l->base - 1];
    return e->slot == slot ? e : NULL;
}

static int grow(struct agora_log *l, size_t n)
{
    if (n <= l->cap) {
        return AGORA_OK;
    }
    size_t cap = l->cap ? l->cap : 16;
    while (cap < n)
        cap *= 2;
    struct agora_entry *e = agora_realloc(l->ents, cap * sizeof(*e));
    if (e == NULL)
        return AGORA_ENOMEM;
    memset(e + l->cap, 0, (cap - l->cap) * sizeof(*e));
    l->ents = e;
    l->cap = cap;
    return AGORA_OK;
}

int agora_log_put(struct agora_log *l, uint64_t slot, struct agora_ballot b,
                  const uint8_t *data, uint32_t len)
{
    if (slot <= l->base)
        return AGORA_OK;
    uint64_t idx = slot - l->base - 1;
    if (idx >= (uint64_t)1 << 32)
        return AGORA_ETOOBIG;
    int rc = grow(l, (size_t)idx + 1);
    if (rc != AGORA_OK)
        return rc;
    uint8_t *copy = NULL;
    if (len > 0) {
        copy = agora_malloc(len);
        if (copy == NULL)
            return AGORA_ENOMEM;
        memcpy(copy, data, len);
    }
    struct agora_entry *e = &l->ents[idx];
    agora_free(e->data);
    e->slot = slot;
    e->ballot = b;
    e->data = copy;
    e->len = len;
    if (idx + 1 > l->n)
        l->n = (size_t)idx + 1;
    return AGORA_OK;
}

uint64_t agora_log_last(const struct agora_log *l)
{
    for (size_t i = l->n; i > 0; i--)
        if (l->ents[i - 1].slot != 0)
            return l->ents[i - 1].slot;
    return l->base;
}

void agora_log_compact(struct agora_log *l, uint64_t upto)
{
    if (upto <= l->base)
        return;
    uint64_t drop = upto - l->base;
    if (drop >= l->n) {
        for (size_t i = 0; i < l->n; i++)
            agora_entry_clear(&l->ents[i]);
        l->n = 0;
    } else {
        for (size_t i = 0; i < drop; i++)
            agora_entry_clear(&l->ents[i]);
        memmove(l->ents, l->ents + drop, (l->n - (size_t)drop) * sizeof(*l->ents));
        memset(l->ents + (l->n - (size_t)drop), 0, (size_t)drop * sizeof(*l->ents));
        l->n -= (size_t)drop;
    }
    l->base = upto;
}

void agora_log_truncate_after(struct agora_log *l, uint64_t after)
{
    if (after < l->base)
        after = l->base;
    size_t keep = (size_t)(after - l->base);
    for (size_t i = keep; i < l->n; i++)
        agora_entry_clear(&l->ents[i]);
    if (keep < l->n)
        l->n = keep;
}

int agora_entry_copy(struct agora_entry *dst, const struct agora_entry *src)
{
    *dst = *src;
    dst->data = NULL;
    if (src->len > 0) {
        dst->data = agora_malloc(src->len);
        if (dst->data == NULL)
            return AGORA_ENOMEM;
        memcpy(dst->data, src->data, src->len);
    }
    return AGORA_OK;
}
