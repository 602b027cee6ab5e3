/* msg.h: the messages between proposers (agorad) and acceptors (bricks),
 * and their binary wire encoding (docs/wire-format.md). One struct for all
 * types; the comment on each field says which types use it. */
#ifndef AGORA_MSG_H
#define AGORA_MSG_H

#include "agora/ballot.h"
#include "agora/common.h"
#include "agora/log.h"

enum agora_msg_type {
    AGORA_MSG_PREPARE = 1,  /* proposer -> acceptor: phase 1a */
    AGORA_MSG_PROMISE = 2,  /* acceptor -> proposer: phase 1b */
    AGORA_MSG_ACCEPT = 3,   /* proposer -> acceptor: phase 2a, lease renewal */
    AGORA_MSG_ACCEPTED = 4, /* acceptor -> proposer: phase 2b */
    AGORA_MSG_INSTALL = 5,  /* leader -> acceptor: snapshot for a lagging acceptor */
    AGORA_MSG_REJECT = 6,   /* acceptor -> proposer: ballot too low, lease held, restarting */
    AGORA_MSG_FETCH = 7,    /* learner -> acceptor: committed entries from a slot */
    AGORA_MSG_FETCHED = 8,  /* acceptor -> learner */
    AGORA_MSG_RELEASE = 9,  /* leader -> acceptor: give up my lease (clean step-down) */
    AGORA_MSG_RELEASED = 10,/* acceptor -> leader */
    AGORA_MSG_READ = 11,    /* candidate -> acceptor: the rest of a partial PROMISE */
};
#define AGORA_MSG_TYPE_MAX 11

enum agora_reject_reason {
    AGORA_REJECT_BALLOT = 1,   /* ballot below (or equal, for PREPARE) the promise */
    AGORA_REJECT_LEASE = 2,    /* another proposer holds an unexpired lease */
    AGORA_REJECT_RESTART = 3,  /* acceptor restarted less than a lease ago */
};

/* Bits of `reason` in PROMISE and FETCHED. */
#define AGORA_REPLY_PARTIAL 0x1   /* capped: entries are complete only up to `count` */
#define AGORA_REPLY_SNAPSHOT 0x2  /* the reply carries a snapshot (possibly empty) */

struct agora_msg {
    uint8_t type;
    uint8_t reason;          /* REJECT: enum agora_reject_reason; PROMISE/FETCHED:
                              * AGORA_REPLY_* bits */
    uint32_t from;           /* sender: proposer id, or acceptor index */
    uint32_t to;             /* receiver: acceptor index, or proposer id */
    uint64_t tag;            /* proposer incarnation; echoed in replies */
    uint64_t seq;            /* request number; echoed in replies */
    struct agora_ballot ballot; /* requests: proposer's ballot; replies: echoed,
                                 * except REJECT: the acceptor's promise */
    uint64_t slot;           /* PREPARE/READ/FETCH: from slot; ACCEPT: first slot;
                              * ACCEPTED: first slot accepted */
    uint64_t count;          /* ACCEPTED: number of slots accepted;
                              * PROMISE/FETCHED: entries are complete up to this slot */
    uint64_t commit;         /* ACCEPT: leader commit; replies: acceptor commit */
    uint64_t snap_index;     /* replies: acceptor's snapshot index; INSTALL/
                              * FETCHED: index of the carried snapshot */
    uint32_t lease_holder;   /* replies: node holding the lease at the acceptor (0: none) */
    uint64_t lease_left;     /* replies: ns of that lease left on the acceptor's clock */
    struct agora_entry *entries; /* PROMISE, ACCEPT, FETCHED */
    uint32_t n_entries;
    uint8_t *snap;           /* INSTALL, FETCHED: snapshot bytes (may be NULL) */
    uint32_t snap_len;
};

void agora_msg_init(struct agora_msg *m);
/* Frees entries and snapshot; leaves an initialised empty message. */
void agora_msg_clear(struct agora_msg *m);
int agora_msg_copy(struct agora_msg *dst, const struct agora_msg *src);
/* Appends (copies of) an entry / a snapshot to m. */
int agora_msg_add_entry(struct agora_msg *m, const struct agora_entry *e);
int agora_msg_set_snap(struct agora_msg *m, uint64_t index, const uint8_t *p, uint32_t len);
const char *agora_msg_type_name(uint8_t type);

/* Wire encoding (not framed; the transport carries the length). */
int agora_msg_encode(const struct agora_msg *m, struct agora_buf *out);
/* Decodes into m (initialised by the call). Limits: max_bytes per entry. */
int agora_msg_decode(const uint8_t *p, size_t len, struct agora_msg *m);

#endif
