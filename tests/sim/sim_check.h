/* sim_check.h: the history checker of the deterministic simulation.
 *
 * The checker knows nothing of the core's internals: the simulation tells it
 * what happened, as facts a black-box observer could record, and it checks
 * the safety properties of docs/simulation.md against its own history:
 *
 *   - durable acceptances: "acceptor a has durably accepted (slot, ballot,
 *     value)"; a value is chosen at a slot when a quorum of acceptors have
 *     durably accepted it with the same ballot (check 1);
 *   - the durable state of each acceptor (value held per slot, snapshot
 *     index, promise), so that "a committed entry is never lost" and "a
 *     restart recovers every synced record" can be checked (check 4);
 *   - learners (proposers and acceptors) reporting committed entries one slot
 *     at a time or as a snapshot digest (check 3);
 *   - elections and lease holders (checks 2 and 6).
 *
 * Values are interned (chk_intern) and handled as small ids. The first
 * violation is kept in `kind` and `why`; later calls are ignored. Every
 * function that checks something returns false on a violation. */
#ifndef AGORA_SIM_CHECK_H
#define AGORA_SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agora/ballot.h"

#define CHK_MAX_ACC 5
#define CHK_MAX_LEARNERS 16
#define CHK_MAX_SLOT 10000000u /* a slot beyond this is a runaway core */

enum chk_kind {
    CHK_OK = 0,
    CHK_SINGLE_VALUE = 1, /* two values chosen for one slot (or one ballot) */
    CHK_ONE_LEASE = 2,    /* two proposers hold the lease at one instant */
    CHK_AGREEMENT = 3,    /* a learner learned something that was not chosen */
    CHK_DURABLE = 4,      /* a committed entry lost its durable quorum */
    CHK_LIVENESS = 5,     /* no progress after the faults stopped */
    CHK_ONE_LEADER = 6,   /* two proposers elected with one ballot */
    CHK_CONTRACT = 7,     /* the core broke its API contract (error, codec) */
};

/* The state machine of the simulation: a hash chain over the committed
 * values, slot by slot. A snapshot is (index, digest), 16 bytes. */
#define SIM_DIGEST_INIT 0xcbf29ce484222325ull
#define SIM_SNAP_LEN 16u

static inline uint64_t sim_digest_step(uint64_t h, uint64_t slot, const uint8_t *p,
                                       uint32_t len)
{
    for (int i = 0; i < 8; i++) {
        h ^= (uint8_t)(slot >> (8 * i));
        h *= 0x100000001b3ull;
    }
    for (int i = 0; i < 4; i++) {
        h ^= (uint8_t)(len >> (8 * i));
        h *= 0x100000001b3ull;
    }
    for (uint32_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

struct chk_bal {             /* acceptances of one (slot, ballot) */
    struct agora_ballot b;
    uint32_t val;            /* value id */
    uint32_t mask;           /* acceptors that durably accepted it */
};

struct chk_slot {
    uint32_t chosen;         /* value id + 1; 0: not chosen */
    struct agora_ballot chosen_b; /* lowest ballot at which it was chosen */
    uint32_t committed;      /* value id + 1 reported by a learner; 0: none */
    uint32_t durable[CHK_MAX_ACC]; /* value id + 1 held durably; 0: none */
    uint32_t seen[CHK_MAX_ACC];    /* recovery epoch stamps */
    uint32_t n_bal, cap_bal;
    struct chk_bal *bal;
};

struct chk_val {
    uint64_t h;
    size_t off;
    uint32_t len;
};

struct chk_acc {
    uint64_t snap;           /* durable snapshot index */
    struct agora_ballot promised; /* durable promise */
    uint32_t epoch;          /* recovery in progress: stamp */
    bool recovering;
};

struct chk_learner {
    uint64_t applied;        /* every slot <= applied learned */
    char name[16];           /* for reports: "p2", "a0" */
};

struct chk_elected {
    struct agora_ballot b;
    uint32_t node;
};

struct sim_check {
    int n_acc, quorum;
    /* first violation */
    int kind;
    char why[1024];
    /* interned values */
    struct chk_val *vals;
    uint32_t n_vals, cap_vals;
    uint32_t *tab;           /* open addressing, value id + 1 */
    uint32_t tab_cap;
    uint8_t *bytes;
    size_t n_bytes, cap_bytes;
    /* per slot */
    struct chk_slot *slots;  /* slots[s], s >= 1 */
    uint64_t cap_slots, max_slot;
    uint64_t *prefix;        /* prefix[s]: digest of chosen 1..s */
    uint64_t prefix_upto, cap_prefix;
    struct chk_acc acc[CHK_MAX_ACC];
    struct chk_learner lrn[CHK_MAX_LEARNERS];
    struct chk_elected *elected;
    uint32_t n_elected, cap_elected;
    uint32_t epoch;
    /* counters */
    uint64_t n_chosen, n_committed;
};

void chk_init(struct sim_check *c);
void chk_free(struct sim_check *c);
/* Forgets every history; n_acc acceptors, quorum n_acc/2 + 1. */
void chk_reset(struct sim_check *c, int n_acc);
/* Records the first violation (printf-style reason). Returns false. */
bool chk_fail(struct sim_check *c, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *chk_kind_name(int kind);

/* Values. */
uint32_t chk_intern(struct sim_check *c, const uint8_t *p, uint32_t len);
const uint8_t *chk_value(const struct sim_check *c, uint32_t id, uint32_t *len);
/* A printable, truncated rendering of a value ("noop" for length 0). */
const char *chk_value_str(const struct sim_check *c, uint32_t id, char *buf, size_t n);

/* Acceptor durable state. */
bool chk_durable_accept(struct sim_check *c, int acc, uint64_t slot, struct agora_ballot b,
                        uint32_t val);
void chk_durable_promise(struct sim_check *c, int acc, struct agora_ballot b);
bool chk_durable_compact(struct sim_check *c, int acc, uint64_t upto);
/* A restart: begin with the recovered snapshot index and promise, report each
 * recovered entry, end. Fails if a synced promise, snapshot or entry is
 * missing from what was recovered. */
bool chk_recover_begin(struct sim_check *c, int acc, uint64_t snap, struct agora_ballot promised);
bool chk_recover_entry(struct sim_check *c, int acc, uint64_t slot, struct agora_ballot b,
                       uint32_t val);
bool chk_recover_end(struct sim_check *c, int acc);

/* Learners: l in 0 .. CHK_MAX_LEARNERS-1, named for reports. */
void chk_learner_name(struct sim_check *c, int l, const char *name);
void chk_learner_reset(struct sim_check *c, int l);
uint64_t chk_learner_applied(const struct sim_check *c, int l);
/* The learner learned `slot` = val; slot must be applied + 1. */
bool chk_learn(struct sim_check *c, int l, uint64_t slot, uint32_t val);
/* The learner (re)read its committed slot: must still be the chosen value. */
bool chk_still(struct sim_check *c, int l, uint64_t slot, uint32_t val);
/* The learner installed a snapshot; behind_ok: an index below applied is
 * fine (an acceptor compacting), otherwise it is a regression. */
bool chk_learn_snapshot(struct sim_check *c, int l, uint64_t index, uint64_t digest,
                        bool behind_ok);
/* Digest of the chosen values 1..index; false if one is not chosen yet. */
bool chk_prefix_digest(const struct sim_check *c, uint64_t index, uint64_t *digest);
/* The value chosen at slot (id + 1), 0 if none. */
uint32_t chk_chosen(const struct sim_check *c, uint64_t slot);

/* Leadership. */
bool chk_elected(struct sim_check *c, struct agora_ballot b, uint32_t node);
bool chk_lease_holders(struct sim_check *c, const uint32_t *holders, int n);

#endif
