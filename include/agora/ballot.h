/* ballot.h: Paxos ballots, (round, node) ordered lexicographically
 * (DESIGN.md section 2). The zero ballot is "none" and below every other. */
#ifndef AGORA_BALLOT_H
#define AGORA_BALLOT_H

#include <stdbool.h>
#include <stdint.h>

struct agora_ballot {
    uint64_t round;
    uint32_t node; /* proposer id, never 0 in a real ballot */
};

static inline int agora_ballot_cmp(struct agora_ballot a, struct agora_ballot b)
{
    if (a.round != b.round)
        return a.round < b.round ? -1 : 1;
    if (a.node != b.node)
        return a.node < b.node ? -1 : 1;
    return 0;
}

static inline bool agora_ballot_is_zero(struct agora_ballot a)
{
    return a.round == 0 && a.node == 0;
}

#endif
