/* log.h: an in-memory Paxos log: slot -> (ballot, value), with holes.
 * Slots start at 1. Entries at or below `base` have been compacted away. */
#ifndef AGORA_LOG_H
#define AGORA_LOG_H

#include "agora/ballot.h"
#include "agora/common.h"

/* A log entry. A value of length 0 is a no-op (gap filler). */
struct agora_entry {
    uint64_t slot;
    struct agora_ballot ballot;
    uint8_t *data;
    uint32_t len;
};

struct agora_log {
    uint64_t base;             /* slots <= base are compacted */
    struct agora_entry *ents;  /* ents[i] is slot base + 1 + i; slot 0 = absent */
    size_t n;                  /* used length of ents */
    size_t cap;
};

void agora_log_init(struct agora_log *l);
void agora_log_free(struct agora_log *l);
/* The entry at `slot`, or NULL if absent or compacted. */
const struct agora_entry *agora_log_get(const struct agora_log *l, uint64_t slot);
/* Stores a copy of data at slot (replacing what was there). Slots <= base
 * are ignored (returns AGORA_OK). */
int agora_log_put(struct agora_log *l, uint64_t slot, struct agora_ballot b,
                  const uint8_t *data, uint32_t len);
/* Highest present slot, or base if none. */
uint64_t agora_log_last(const struct agora_log *l);
/* Drops every slot <= upto and sets base = upto (if upto > base). */
void agora_log_compact(struct agora_log *l, uint64_t upto);
/* Drops every slot > after. */
void agora_log_truncate_after(struct agora_log *l, uint64_t after);

/* Deep copy helpers for entries handed to callers. */
int agora_entry_copy(struct agora_entry *dst, const struct agora_entry *src);
void agora_entry_clear(struct agora_entry *e);

#endif
